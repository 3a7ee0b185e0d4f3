import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { z } from 'zod';
import { compileSchema, isStandardSchema, type ValidationResult } from './validator.js';

async function check(schema: Parameters<typeof compileSchema>[0], value: unknown, io: 'input' | 'output' = 'input'): Promise<ValidationResult> {
  return await compileSchema(schema, io).validate(value);
}

describe('compileSchema with a Standard Schema (zod 4)', () => {
  const schema = z.object({ city: z.string().describe('City name'), days: z.number().int().default(3) });

  it('advertises a 2020-12 object JSON Schema derived from the zod schema', () => {
    const js = compileSchema(schema).jsonSchema;
    assert.equal(js.type, 'object');
    assert.equal(js.$schema, 'https://json-schema.org/draft/2020-12/schema');
    assert.deepEqual(js.required, ['city']);
    assert.deepEqual((js.properties as Record<string, { description?: string }>).city?.description, 'City name');
  });

  it('validates with zod and returns the parsed value with defaults applied', async () => {
    assert.deepEqual(await check(schema, { city: 'Oslo' }), { ok: true, value: { city: 'Oslo', days: 3 } });
  });

  it('names the failing field in the message', async () => {
    const r = await check(schema, { city: 5 });
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.message : '', /^city: /);
  });

  it('uses the output JSON Schema for output schemas (defaults make a field required)', () => {
    const out = compileSchema(schema, 'output').jsonSchema;
    assert.deepEqual([...(out.required ?? [])].sort(), ['city', 'days']);
  });

  it('rejects schemas that do not describe an object', () => {
    assert.throws(() => compileSchema(z.string() as unknown as StandardSchemaV1), /type: "object"/);
  });

  it('rejects a Standard Schema without the JSON Schema extension, naming its vendor', () => {
    const bare: StandardSchemaV1 = { '~standard': { version: 1, vendor: 'acme', validate: (v) => ({ value: v }) } };
    assert.ok(isStandardSchema(bare));
    assert.throws(() => compileSchema(bare), /acme/);
  });

  it('passes through asynchronous Standard Schema validation', async () => {
    const asyncSchema = {
      '~standard': {
        version: 1,
        vendor: 'async-test',
        validate: async (v: unknown) => ((v as { ok?: boolean }).ok ? { value: v } : { issues: [{ message: 'not ok', path: ['ok'] }] }),
        jsonSchema: { input: () => ({ type: 'object' }), output: () => ({ type: 'object' }) },
      },
    } as unknown as StandardSchemaV1;
    const c = compileSchema(asyncSchema);
    const pending = c.validate({ ok: false });
    assert.ok(pending instanceof Promise);
    assert.deepEqual(await pending, { ok: false, message: 'ok: not ok' });
    assert.deepEqual(await c.validate({ ok: true }), { ok: true, value: { ok: true } });
  });
});

describe('compileSchema with a raw JSON Schema', () => {
  const raw = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object' as const,
    $defs: { positive: { type: 'integer', minimum: 1 } },
    properties: { count: { $ref: '#/$defs/positive' }, email: { type: 'string', format: 'email' } },
    required: ['count'],
    additionalProperties: false,
  };

  it('advertises the schema object exactly as given', () => {
    const c = compileSchema(raw);
    assert.equal(c.jsonSchema, raw);
    assert.deepEqual(c.jsonSchema, structuredClone(raw));
  });

  it('enforces $ref into $defs, required, additionalProperties and formats', async () => {
    assert.deepEqual(await check(raw, { count: 2 }), { ok: true, value: { count: 2 } });
    const neg = await check(raw, { count: 0 });
    assert.equal(neg.ok, false);
    assert.match(!neg.ok ? neg.message : '', /\/count/);
    const missing = await check(raw, {});
    assert.match(!missing.ok ? missing.message : '', /count/);
    assert.equal((await check(raw, { count: 1, extra: true })).ok, false);
    assert.equal((await check(raw, { count: 1, email: 'not-an-email' })).ok, false);
    assert.equal((await check(raw, { count: 1, email: 'a@example.com' })).ok, true);
  });

  it('accepts a draft-07 schema and validates with draft-07 semantics', async () => {
    const d7 = {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object' as const,
      definitions: { name: { type: 'string', minLength: 2 } },
      properties: { name: { $ref: '#/definitions/name' } },
      required: ['name'],
    };
    assert.equal((await check(d7, { name: 'ab' })).ok, true);
    assert.equal((await check(d7, { name: 'a' })).ok, false);
  });

  it('defaults to 2020-12 when $schema is absent (prefixItems is understood)', async () => {
    const s = { type: 'object' as const, properties: { pair: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'number' }] } } };
    assert.equal((await check(s, { pair: ['a', 1] })).ok, true);
    assert.equal((await check(s, { pair: [1, 'a'] })).ok, false);
  });

  it('rejects a raw schema whose type is not object', () => {
    assert.throws(() => compileSchema({ type: 'string' }), TypeError);
  });
});
