/**
 * One input/output schema, two accepted forms:
 * - a Standard Schema (zod 4, valibot, arktype…): its own validator runs; the wire JSON Schema
 *   comes from the Standard JSON Schema extension (`~standard.jsonSchema`), converted once;
 * - a raw JSON Schema object: sent verbatim (2020-12 `$schema`, `$defs`, `$ref` kept) and
 *   validated by an Ajv validator compiled once, at registration.
 * Nothing here runs per message except `validate`.
 */
import type { StandardSchemaV1, StandardJSONSchemaV1 } from '@standard-schema/spec';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { Ajv } from 'ajv';
import type { ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { ObjectJsonSchema } from '../protocol/types.js';

// ajv-formats ships CJS; under NodeNext its default import is the module namespace.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: unknown) => void;

export type SchemaInput = StandardSchemaV1 | ObjectJsonSchema | Record<string, unknown>;

export type ValidationResult<T = unknown> = { ok: true; value: T } | { ok: false; message: string };

export interface CompiledSchema {
  /** The JSON Schema advertised on the wire. */
  readonly jsonSchema: ObjectJsonSchema;
  validate(value: unknown): ValidationResult | Promise<ValidationResult>;
}

let ajv2020: InstanceType<typeof Ajv2020> | undefined;
let ajv07: InstanceType<typeof Ajv> | undefined;

function ajvFor(schema: Record<string, unknown>): { compile(s: object): ValidateFunction } {
  const draft = typeof schema.$schema === 'string' ? schema.$schema : '';
  // MCP 2025-11-25 makes 2020-12 the default dialect; draft-07 schemas still appear from older tools.
  if (draft.includes('draft-07') || draft.includes('draft-06') || draft.includes('draft-04')) {
    if (!ajv07) {
      ajv07 = new Ajv({ strict: false, allErrors: false, validateSchema: false });
      addFormats(ajv07);
    }
    return ajv07;
  }
  if (!ajv2020) {
    ajv2020 = new Ajv2020({ strict: false, allErrors: false, validateSchema: false });
    addFormats(ajv2020);
  }
  return ajv2020;
}

export function isStandardSchema(s: unknown): s is StandardSchemaV1 {
  return typeof s === 'object' && s !== null && '~standard' in s;
}

function formatIssues(issues: readonly StandardSchemaV1.Issue[]): string {
  return issues
    .map((i) => {
      const path = i.path?.map((p) => (typeof p === 'object' ? String(p.key) : String(p))).join('.');
      return path ? `${path}: ${i.message}` : i.message;
    })
    .join('; ');
}

function standardToJsonSchema(schema: StandardSchemaV1, io: 'input' | 'output'): ObjectJsonSchema {
  const ext = (schema['~standard'] as Partial<StandardJSONSchemaV1.Props>).jsonSchema;
  if (!ext) {
    throw new TypeError(`Schema from "${schema['~standard'].vendor}" does not implement Standard JSON Schema; pass a JSON Schema object instead`);
  }
  const js = ext[io]({ target: 'draft-2020-12' }) as ObjectJsonSchema;
  if (js.type !== 'object') throw new TypeError('Tool schemas must describe an object (type: "object")');
  return js;
}

/** Compiles a schema once; the result is shared by every session. */
export function compileSchema(schema: SchemaInput, io: 'input' | 'output' = 'input'): CompiledSchema {
  if (isStandardSchema(schema)) {
    const std = schema['~standard'];
    return {
      jsonSchema: standardToJsonSchema(schema, io),
      validate(value) {
        const r = std.validate(value);
        const done = (res: StandardSchemaV1.Result<unknown>): ValidationResult =>
          res.issues ? { ok: false, message: formatIssues(res.issues) } : { ok: true, value: res.value };
        return r instanceof Promise ? r.then(done) : done(r);
      },
    };
  }
  const raw = schema as ObjectJsonSchema;
  if (raw.type !== 'object') throw new TypeError('Tool schemas must describe an object (type: "object")');
  const fn = ajvFor(raw).compile(raw);
  return {
    jsonSchema: raw,
    validate(value) {
      if (fn(value)) return { ok: true, value };
      const e = fn.errors?.[0];
      return { ok: false, message: e ? `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}` : 'Invalid value' };
    },
  };
}

/**
 * What a schema accepts, before validation (defaults not yet filled, transforms not applied):
 * what a tool handler returns as `structuredContent` for its output schema. A raw JSON Schema
 * infers nothing: any object.
 */
export type InferInput<S> = S extends StandardSchemaV1 ? StandardSchemaV1.InferInput<S> : Record<string, unknown>;
/**
 * What a schema produces once validated (defaults filled, transforms applied): the arguments a
 * tool or prompt handler receives for its input schema. A raw JSON Schema: any object.
 */
export type InferOutput<S> = S extends StandardSchemaV1 ? StandardSchemaV1.InferOutput<S> : Record<string, unknown>;
