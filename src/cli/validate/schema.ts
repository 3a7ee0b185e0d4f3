/**
 * JSON Schema for the tool checks: is a tool's schema a valid JSON Schema (2020-12 unless it
 * names another dialect, server/tools#tool and SEP-1613), does a value conform, and a value
 * generated from a schema to call a tool on a server we know nothing about.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';

const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: unknown) => void;

type AnyAjv = InstanceType<typeof Ajv2020> | InstanceType<typeof Ajv>;
let a2020: AnyAjv | undefined;
let a07: AnyAjv | undefined;

function ajvFor(schema: Record<string, unknown>): AnyAjv {
  const dialect = typeof schema.$schema === 'string' ? schema.$schema : '';
  if (/draft-0[4-7]/.test(dialect)) {
    a07 ??= new Ajv({ strict: false, allErrors: true, validateFormats: true });
    if (!('formatsAdded' in a07)) addFormats(a07), Object.assign(a07, { formatsAdded: true });
    return a07;
  }
  a2020 ??= new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
  if (!('formatsAdded' in a2020)) addFormats(a2020), Object.assign(a2020, { formatsAdded: true });
  return a2020;
}

export type SchemaVerdict = { ok: true; validate: (v: unknown) => string | undefined } | { ok: false; problem: string };

/** Checks a tool's inputSchema/outputSchema: an object schema (type "object") that compiles. */
export function checkToolSchema(schema: unknown): SchemaVerdict {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return { ok: false, problem: 'not a JSON object' };
  const s = schema as Record<string, unknown>;
  if (s.type !== 'object') return { ok: false, problem: `type is ${JSON.stringify(s.type)}, not "object"` };
  const ajv = ajvFor(s);
  // Compile a copy without $id so two tools sharing one $id do not collide in the cache.
  const { $id: _id, ...copy } = s;
  if (!ajv.validateSchema(copy)) return { ok: false, problem: ajv.errorsText(ajv.errors) };
  try {
    const fn = ajv.compile(copy);
    return { ok: true, validate: (v) => (fn(v) ? undefined : ajv.errorsText(fn.errors)) };
  } catch (e) {
    return { ok: false, problem: (e as Error).message };
  }
}

function resolveRef(ref: string, root: Record<string, unknown>): Record<string, unknown> | undefined {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = root;
  for (const part of ref.slice(2).split('/')) node = (node as Record<string, unknown> | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  return node !== null && typeof node === 'object' ? (node as Record<string, unknown>) : undefined;
}

const FORMAT_SAMPLES: Record<string, string> = {
  uri: 'https://example.com/',
  'uri-reference': 'https://example.com/',
  url: 'https://example.com/',
  email: 'someone@example.com',
  'date-time': '2025-01-01T00:00:00Z',
  date: '2025-01-01',
  time: '00:00:00Z',
  uuid: '00000000-0000-4000-8000-000000000000',
  ipv4: '127.0.0.1',
  hostname: 'example.com',
};

/** A value that satisfies simple schemas: required properties only, defaults and examples first. */
export function sampleValue(schema: unknown, root?: Record<string, unknown>, depth = 0): unknown {
  if (schema === true || schema === undefined) return 'test';
  if (schema === null || typeof schema !== 'object' || depth > 8) return null;
  let s = schema as Record<string, unknown>;
  const top = root ?? s;
  if (typeof s.$ref === 'string') s = resolveRef(s.$ref, top) ?? {};
  if ('const' in s) return s.const;
  // The smallest number a schema allows, even over its default: the cheapest call to make.
  if ((s.type === 'integer' || s.type === 'number') && typeof s.minimum === 'number') return s.minimum;
  if ('default' in s) return s.default;
  if (Array.isArray(s.enum) && s.enum.length) return s.enum[0];
  if (Array.isArray(s.examples) && s.examples.length) return s.examples[0];
  for (const k of ['oneOf', 'anyOf'] as const) if (Array.isArray(s[k]) && (s[k] as unknown[]).length) return sampleValue((s[k] as unknown[])[0], top, depth + 1);
  const type = Array.isArray(s.type) ? (s.type.find((t) => t !== 'null') ?? s.type[0]) : s.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      const props = (s.properties ?? {}) as Record<string, unknown>;
      const required = new Set(Array.isArray(s.required) ? (s.required as string[]) : []);
      for (const k of required) out[k] = sampleValue(props[k], top, depth + 1);
      return out;
    }
    case 'array': {
      const n = typeof s.minItems === 'number' ? s.minItems : 0;
      return Array.from({ length: n }, () => sampleValue(s.items, top, depth + 1));
    }
    case 'integer':
    case 'number': {
      const min = typeof s.minimum === 'number' ? s.minimum : typeof s.exclusiveMinimum === 'number' ? s.exclusiveMinimum + 1 : undefined;
      const max = typeof s.maximum === 'number' ? s.maximum : undefined;
      let v = min ?? Math.min(1, max ?? 1);
      if (type === 'integer') v = Math.ceil(v);
      return v;
    }
    case 'boolean':
      return true;
    case 'null':
      return null;
    default: {
      if (typeof s.format === 'string' && FORMAT_SAMPLES[s.format]) return FORMAT_SAMPLES[s.format];
      const min = typeof s.minLength === 'number' ? s.minLength : 0;
      return 'test'.padEnd(min, 'x');
    }
  }
}
