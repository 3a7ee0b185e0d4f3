/**
 * InferInput / InferOutput, checked by the compiler: this file fails `tsc` if the types are
 * wrong (the `Equal` assertions and `@ts-expect-error` lines), and its runtime test shows the
 * types describe what really happens: a tool handler receives the schema's *output* (defaults
 * filled, transforms applied) and returns its output schema's *input*.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { connectPair } from '../../test/helpers/pair.js';
import type { ToolHandler } from '../server/registry/tools.js';
import { McpServer } from '../server/server.js';
import type { InferInput, InferOutput } from './validator.js';

/** True when A and B are the same type (not merely assignable one way). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** Compiles only when T is `true`. */
function expectTrue<T extends true>(_proof?: T): void {}

// Input and output differ: `days` has a default (optional in, required out); `name` is
// transformed (a string in, its length out).
const Args = z.object({ city: z.string(), days: z.number().default(3), name: z.string().transform((s) => s.length) });
type ArgsIn = { city: string; days?: number | undefined; name: string };
type ArgsOut = { city: string; days: number; name: number };

const Out = z.object({ total: z.number(), unit: z.string().default('km') });
const Num = z.object({ n: z.string().transform(Number) });

describe('InferInput / InferOutput (type level)', () => {
  it('InferInput is what the schema accepts, InferOutput what it produces', () => {
    expectTrue<Equal<Required<InferInput<typeof Args>>, Required<ArgsIn>>>();
    expectTrue<Equal<InferOutput<typeof Args>, ArgsOut>>();
    expectTrue<Equal<InferInput<typeof Args>, z.input<typeof Args>>>();
    expectTrue<Equal<InferOutput<typeof Args>, z.output<typeof Args>>>();

    const accepted: InferInput<typeof Args> = { city: 'Oslo', name: 'x' }; // default may be omitted
    const produced: InferOutput<typeof Args> = { city: 'Oslo', days: 3, name: 1 };
    // @ts-expect-error the output has `days` filled in
    const missingDefault: InferOutput<typeof Args> = { city: 'Oslo', name: 1 };
    // @ts-expect-error the input takes the string before its transform
    const transformedIn: InferInput<typeof Args> = { city: 'Oslo', name: 1 };
    assert.ok(accepted && produced && missingDefault && transformedIn);
  });

  it('a raw JSON Schema infers any object, both ways', () => {
    type Raw = { type: 'object'; properties: { a: { type: 'string' } } };
    expectTrue<Equal<InferInput<Raw>, Record<string, unknown>>>();
    expectTrue<Equal<InferOutput<Raw>, Record<string, unknown>>>();
  });
});

describe('tool handler types match what the server does', () => {
  it('args are the input schema\'s output; structuredContent is the output schema\'s input', async () => {
    const server = new McpServer({ name: 's', version: '1' });
    let seen: unknown;
    server.tool('trip', { inputSchema: Args, outputSchema: Out }, (args) => {
      expectTrue<Equal<typeof args, ArgsOut>>();
      seen = args;
      // `unit` has a default, so the handler may leave it out.
      return { content: [], structuredContent: { total: args.days * args.name } };
    });
    // @ts-expect-error `total` is required by the output schema
    const missingTotal: ToolHandler<typeof Args, typeof Out> = () => ({ content: [], structuredContent: { unit: 'mi' } });
    // @ts-expect-error structuredContent is checked against the output schema's input, not its output
    const transformedOut: ToolHandler<typeof Args, typeof Num> = () => ({ content: [], structuredContent: { n: 1 } });
    assert.equal(typeof missingTotal, 'function');
    assert.equal(typeof transformedOut, 'function');
    const pair = await connectPair(server);
    try {
      const r = await pair.client.callTool({ name: 'trip', arguments: { city: 'Oslo', name: 'four' } });
      assert.deepEqual(seen, { city: 'Oslo', days: 3, name: 4 });
      assert.equal(r.isError, undefined);
      assert.deepEqual(r.structuredContent, { total: 12 });
    } finally {
      await pair.close();
      await server.close();
    }
  });
});
