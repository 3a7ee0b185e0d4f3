/**
 * valibot through Standard Schema. valibot's own schemas implement Standard Schema's `validate`
 * but not Standard JSON Schema (`~standard.jsonSchema`), which a tool needs for the JSON
 * Schema it advertises; `toStandardJsonSchema()` from `@valibot/to-json-schema` adds it.
 * Both facts are checked here, so the README's claim stays true.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toStandardJsonSchema } from '@valibot/to-json-schema';
import * as v from 'valibot';
import { connectPair } from '../../test/helpers/pair.js';
import { McpServer } from '../server/server.js';

const Forecast = toStandardJsonSchema(
  v.object({
    city: v.pipe(v.string(), v.minLength(1), v.description('City name')),
    days: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 3),
  }),
);
const Report = toStandardJsonSchema(v.object({ city: v.string(), temperatures: v.array(v.number()) }));

function forecastServer(): McpServer {
  const server = new McpServer({ name: 'weather', version: '1.0.0' });
  server.tool('forecast', { description: 'Daily temperatures', inputSchema: Forecast, outputSchema: Report }, (args) => {
    // Typed from the valibot schema: `days` is a number here (its default is filled in).
    const temperatures: number[] = Array.from({ length: args.days }, (_, i) => 20 + i);
    return { content: [{ type: 'text', text: `${args.city}: ${temperatures.join(', ')}` }], structuredContent: { city: args.city, temperatures } };
  });
  return server;
}

describe('valibot schemas (via @valibot/to-json-schema)', () => {
  it('lists the tool with input and output JSON Schema derived from valibot', async () => {
    const server = forecastServer();
    const pair = await connectPair(server);
    try {
      const { tools } = await pair.client.listTools();
      const tool = tools.find((t) => t.name === 'forecast');
      assert.ok(tool, 'forecast is listed');
      assert.equal(tool.inputSchema.type, 'object');
      assert.equal(tool.inputSchema.$schema, 'https://json-schema.org/draft/2020-12/schema');
      assert.deepEqual(tool.inputSchema.required, ['city']);
      assert.deepEqual(tool.inputSchema.properties, {
        city: { type: 'string', minLength: 1, description: 'City name' },
        days: { type: 'integer', minimum: 1, default: 3 },
      });
      assert.deepEqual(tool.outputSchema?.required, ['city', 'temperatures']);
      assert.deepEqual(tool.outputSchema?.properties?.temperatures, { type: 'array', items: { type: 'number' } });
    } finally {
      await pair.close();
      await server.close();
    }
  });

  it('calls it with valid arguments: valibot parses (default filled), output is checked on both sides', async () => {
    const server = forecastServer();
    const pair = await connectPair(server);
    try {
      await pair.client.listTools(); // the client compiles output validators from the list
      const r = await pair.client.callTool({ name: 'forecast', arguments: { city: 'Oslo' } });
      assert.equal(r.isError, undefined);
      assert.deepEqual(r.structuredContent, { city: 'Oslo', temperatures: [20, 21, 22] });
      const two = await pair.client.callTool({ name: 'forecast', arguments: { city: 'Bergen', days: 2 } });
      assert.deepEqual(two.structuredContent, { city: 'Bergen', temperatures: [20, 21] });
    } finally {
      await pair.close();
      await server.close();
    }
  });

  it('answers invalid arguments with a tool error naming the field (valibot\'s message)', async () => {
    const server = forecastServer();
    const pair = await connectPair(server);
    try {
      const wrongType = await pair.client.callTool({ name: 'forecast', arguments: { city: 5 } });
      assert.equal(wrongType.isError, true);
      assert.match((wrongType.content[0] as { text: string }).text, /^Invalid arguments for tool forecast: city: Invalid type: Expected string/);
      const tooFew = await pair.client.callTool({ name: 'forecast', arguments: { city: 'Oslo', days: 0 } });
      assert.equal(tooFew.isError, true);
      assert.match((tooFew.content[0] as { text: string }).text, /days: Invalid value: Expected >=1/);
      const missing = await pair.client.callTool({ name: 'forecast', arguments: {} });
      assert.equal(missing.isError, true);
      assert.match((missing.content[0] as { text: string }).text, /city: /);
    } finally {
      await pair.close();
      await server.close();
    }
  });

  it('refuses a bare valibot schema at registration, saying what is missing', () => {
    const server = new McpServer({ name: 'weather', version: '1.0.0' });
    assert.throws(
      () => server.tool('bare', { inputSchema: v.object({ city: v.string() }) }, () => ({ content: [] })),
      /"valibot" does not implement Standard JSON Schema/,
    );
  });
});
