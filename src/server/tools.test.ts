import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { z } from 'zod';
import { connectPair, RawPeer, sleep, until, WAIT_MS } from '../../test/helpers/pair.js';
import { ErlmcpError, McpError } from '../protocol/errors.js';
import type { CallToolResult, TextContent } from '../protocol/types.js';
import { McpServer } from './server.js';

let servers: McpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});
function newServer(options?: ConstructorParameters<typeof McpServer>[1]): McpServer {
  const s = new McpServer({ name: 'tools-server', version: '1.0.0' }, options);
  servers.push(s);
  return s;
}
function text(r: CallToolResult): string {
  return r.content.map((c) => (c as TextContent).text).join('\n');
}

const rawSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object' as const,
  $defs: {
    positive: { type: 'integer', minimum: 1 },
    unit: { type: 'string', enum: ['c', 'f'] },
  },
  properties: {
    count: { $ref: '#/$defs/positive' },
    unit: { $ref: '#/$defs/unit' },
  },
  required: ['count'],
  additionalProperties: false,
};

describe('tools with a zod input schema', () => {
  it('passes parsed arguments with defaults applied, typed from the schema', async () => {
    const server = newServer();
    server.tool(
      'forecast',
      { inputSchema: z.object({ city: z.string(), days: z.number().int().default(3), metric: z.boolean().optional() }) },
      (args) => {
        // Compile-time: inferred types, the default makes `days` a number.
        const days: number = args.days;
        const city: string = args.city;
        const metric: boolean | undefined = args.metric;
        return { content: [{ type: 'text', text: `${city}:${days}:${String(metric)}` }] };
      },
    );
    const { client } = await connectPair(server);
    const r = await client.callTool({ name: 'forecast', arguments: { city: 'Oslo' } });
    assert.equal(text(r), 'Oslo:3:undefined');
    assert.equal(r.isError, undefined);
  });

  it('answers invalid arguments with an isError result naming the field', async () => {
    const server = newServer();
    let called = false;
    server.tool('forecast', { inputSchema: z.object({ city: z.string(), days: z.number() }) }, () => {
      called = true;
      return { content: [] };
    });
    const { client } = await connectPair(server);
    const r = await client.callTool({ name: 'forecast', arguments: { city: 'Oslo', days: 'many' } });
    assert.equal(r.isError, true);
    assert.match(text(r), /days/);
    const missing = await client.callTool({ name: 'forecast' });
    assert.equal(missing.isError, true);
    assert.match(text(missing), /city/);
    assert.equal(called, false);
  });

  it('advertises the zod schema as a JSON Schema object', async () => {
    const server = newServer();
    server.tool('t', { inputSchema: z.object({ q: z.string().describe('query') }) }, () => ({ content: [] }));
    const { client } = await connectPair(server);
    const [tool] = (await client.listTools()).tools;
    assert.equal(tool?.inputSchema.type, 'object');
    assert.deepEqual(tool?.inputSchema.properties, { q: { type: 'string', description: 'query' } });
    assert.deepEqual(tool?.inputSchema.required, ['q']);
  });

  it('advertises an empty object schema for a tool without an input schema', async () => {
    const server = newServer();
    server.tool('bare', {}, (args) => ({ content: [{ type: 'text', text: JSON.stringify(args) }] }));
    const { client } = await connectPair(server);
    const [tool] = (await client.listTools()).tools;
    assert.deepEqual(tool?.inputSchema, { type: 'object', properties: {} });
    assert.equal(text(await client.callTool({ name: 'bare', arguments: { x: 1 } })), '{"x":1}');
  });
});

describe('tools with a raw JSON Schema 2020-12', () => {
  it('lists the schema verbatim ($schema, $defs, $ref, additionalProperties)', async () => {
    const server = newServer();
    const registered = structuredClone(rawSchema);
    server.tool('raw', { inputSchema: registered, outputSchema: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] } }, () => ({
      content: [],
      structuredContent: { n: 1 },
    }));
    const { client } = await connectPair(server);
    const [tool] = (await client.listTools()).tools;
    assert.deepEqual(tool?.inputSchema, rawSchema);
    assert.deepEqual(tool?.outputSchema, { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] });
  });

  it('validates $ref into $defs, required and additionalProperties', async () => {
    const server = newServer();
    server.tool('raw', { inputSchema: rawSchema }, (args) => ({ content: [{ type: 'text', text: `ok ${JSON.stringify(args)}` }] }));
    const { client } = await connectPair(server);
    assert.equal(text(await client.callTool({ name: 'raw', arguments: { count: 2, unit: 'c' } })), 'ok {"count":2,"unit":"c"}');
    const zero = await client.callTool({ name: 'raw', arguments: { count: 0 } });
    assert.equal(zero.isError, true);
    assert.match(text(zero), /count/);
    const unit = await client.callTool({ name: 'raw', arguments: { count: 1, unit: 'k' } });
    assert.equal(unit.isError, true);
    assert.match(text(unit), /unit/);
    const missing = await client.callTool({ name: 'raw', arguments: {} });
    assert.equal(missing.isError, true);
    assert.match(text(missing), /count/);
    assert.equal((await client.callTool({ name: 'raw', arguments: { count: 1, extra: 1 } })).isError, true);
  });
});

describe('tools/call errors', () => {
  it('answers an unknown tool with a -32602 protocol error', async () => {
    const server = newServer();
    const { client } = await connectPair(server);
    await assert.rejects(client.callTool({ name: 'nope' }), (e: unknown) => e instanceof McpError && e.code === -32602 && /nope/.test(e.message));
  });

  it('turns a throwing handler into an isError result carrying the message', async () => {
    const server = newServer();
    server.tool('fails', {}, () => {
      throw new Error('disk on fire');
    });
    server.tool('fails-async', {}, async () => {
      await sleep(1);
      throw new Error('later fire');
    });
    const { client } = await connectPair(server);
    const r = await client.callTool({ name: 'fails' });
    assert.equal(r.isError, true);
    assert.match(text(r), /disk on fire/);
    const a = await client.callTool({ name: 'fails-async' });
    assert.equal(a.isError, true);
    assert.match(text(a), /later fire/);
  });
});

describe('output schemas', () => {
  const outputSchema = z.object({ temperature: z.number(), unit: z.enum(['c', 'f']) });

  it('returns valid structuredContent and lists the output schema', async () => {
    const server = newServer();
    server.tool('weather', { outputSchema }, () => ({
      content: [{ type: 'text', text: '21c' }],
      structuredContent: { temperature: 21, unit: 'c' as const },
    }));
    const { client } = await connectPair(server);
    const [tool] = (await client.listTools()).tools;
    assert.equal(tool?.outputSchema?.type, 'object');
    assert.deepEqual([...(tool?.outputSchema?.required ?? [])].sort(), ['temperature', 'unit']);
    const r = await client.callTool({ name: 'weather' });
    assert.deepEqual(r.structuredContent, { temperature: 21, unit: 'c' });
    assert.equal(r.isError, undefined);
  });

  it('turns missing structuredContent into an isError result', async () => {
    const server = newServer();
    server.tool('weather', { outputSchema }, () => ({ content: [{ type: 'text', text: 'forgot' }] }));
    const { client } = await connectPair(server);
    await client.listTools();
    const r = await client.callTool({ name: 'weather' });
    assert.equal(r.isError, true);
    assert.match(text(r), /structuredContent/);
  });

  it('turns structuredContent that does not match into an isError result', async () => {
    const server = newServer();
    server.tool('weather', { outputSchema }, () => ({ content: [], structuredContent: { temperature: 'hot', unit: 'c' } as never }));
    const { client } = await connectPair(server);
    await client.listTools();
    const r = await client.callTool({ name: 'weather' });
    assert.equal(r.isError, true);
    assert.match(text(r), /temperature/);
  });

  it('lets a tool with an output schema report its own error without structuredContent', async () => {
    const server = newServer();
    server.tool('weather', { outputSchema }, () => ({ content: [{ type: 'text', text: 'station offline' }], isError: true }));
    const { client } = await connectPair(server);
    await client.listTools();
    const r = await client.callTool({ name: 'weather' });
    assert.equal(r.isError, true);
    assert.equal(text(r), 'station offline');
  });
});

describe('tool metadata', () => {
  it('lists title, description, annotations, icons, execution and _meta', async () => {
    const server = newServer();
    const icons = [{ src: 'https://example.com/icon.png', mimeType: 'image/png', sizes: ['48x48'] }];
    server.tool(
      'delete_file',
      {
        title: 'Delete file',
        description: 'Deletes a file',
        annotations: { title: 'Delete', destructiveHint: true, readOnlyHint: false, idempotentHint: true, openWorldHint: false },
        icons,
        execution: { taskSupport: 'optional' },
        _meta: { 'example.com/owner': 'ops' },
      },
      () => ({ content: [] }),
    );
    const { client } = await connectPair(server);
    const [tool] = (await client.listTools()).tools;
    assert.deepEqual(tool, {
      name: 'delete_file',
      title: 'Delete file',
      description: 'Deletes a file',
      inputSchema: { type: 'object', properties: {} },
      annotations: { title: 'Delete', destructiveHint: true, readOnlyHint: false, idempotentHint: true, openWorldHint: false },
      icons,
      execution: { taskSupport: 'optional' },
      _meta: { 'example.com/owner': 'ops' },
    });
  });

  it('refuses to register two tools with the same name', () => {
    const server = newServer();
    server.tool('dup', {}, () => ({ content: [] }));
    assert.throws(() => server.tool('dup', {}, () => ({ content: [] })), /already registered/);
  });
});

describe('runtime changes', () => {
  it('disable hides and refuses a tool, enable restores it, remove deletes it — each announced by list_changed', async () => {
    const server = newServer();
    const handle = server.tool('flip', {}, () => ({ content: [{ type: 'text', text: 'flipped' }] }));
    server.tool('stay', {}, () => ({ content: [] }));
    const { client } = await connectPair(server);
    let changes = 0;
    client.onToolsListChanged = () => changes++;

    handle.disable();
    await until(() => changes === 1, WAIT_MS, 'list_changed after disable');
    assert.deepEqual((await client.listTools()).tools.map((t) => t.name), ['stay']);
    await assert.rejects(client.callTool({ name: 'flip' }), (e: unknown) => e instanceof McpError && e.code === -32602);

    handle.enable();
    await until(() => changes === 2, WAIT_MS, 'list_changed after enable');
    assert.deepEqual((await client.listTools()).tools.map((t) => t.name), ['flip', 'stay']);
    assert.equal(text(await client.callTool({ name: 'flip' })), 'flipped');

    handle.remove();
    await until(() => changes === 3, WAIT_MS, 'list_changed after remove');
    assert.deepEqual((await client.listTools()).tools.map((t) => t.name), ['stay']);
    // Adding a tool at runtime is announced too, and the name is free again.
    server.tool('flip', {}, () => ({ content: [] }));
    await until(() => changes === 4, WAIT_MS, 'list_changed after add');
  });

  it('does not announce enable/disable calls that change nothing', async () => {
    const server = newServer();
    const handle = server.tool('t', {}, () => ({ content: [] }));
    const { client } = await connectPair(server);
    let changes = 0;
    client.onToolsListChanged = () => changes++;
    handle.enable();
    await client.ping(); // anything sent before the pong has arrived
    assert.equal(changes, 0);
  });

  it('coalesces changes made in the same tick into one notification', async () => {
    const server = newServer();
    const a = server.tool('a', {}, () => ({ content: [] }));
    const { client } = await connectPair(server);
    let changes = 0;
    client.onToolsListChanged = () => changes++;
    a.disable();
    server.tool('b', {}, () => ({ content: [] }));
    server.tool('c', {}, () => ({ content: [] }));
    await client.ping();
    assert.equal(changes, 1);
    assert.deepEqual((await client.listTools()).tools.map((t) => t.name), ['b', 'c']);
  });
});

describe('pagination', () => {
  async function fivePaged() {
    const server = newServer({ pageSize: 2 });
    for (const n of ['t1', 't2', 't3', 't4', 't5']) server.tool(n, {}, () => ({ content: [] }));
    return connectPair(server).then((p) => ({ ...p, server }));
  }

  it('pages 5 tools two at a time with opaque cursors', async () => {
    const { client } = await fivePaged();
    const p1 = await client.listTools();
    assert.deepEqual(p1.tools.map((t) => t.name), ['t1', 't2']);
    assert.equal(typeof p1.nextCursor, 'string');
    const p2 = await client.listTools({ cursor: p1.nextCursor! });
    assert.deepEqual(p2.tools.map((t) => t.name), ['t3', 't4']);
    const p3 = await client.listTools({ cursor: p2.nextCursor! });
    assert.deepEqual(p3.tools.map((t) => t.name), ['t5']);
    assert.equal(p3.nextCursor, undefined);
  });

  it('listAllTools follows the cursors to the end', async () => {
    const { client } = await fivePaged();
    assert.deepEqual((await client.listAllTools()).map((t) => t.name), ['t1', 't2', 't3', 't4', 't5']);
  });

  it('answers an invalid cursor with -32602', async () => {
    const { client } = await fivePaged();
    for (const cursor of ['garbage', '', 'bm90LWEtY3Vyc29y']) {
      await assert.rejects(client.listTools({ cursor }), (e: unknown) => e instanceof McpError && e.code === -32602, cursor);
    }
  });

  it('answers an invalid cursor with -32602 after the pages were listed, too', async () => {
    const { client } = await fivePaged();
    await client.listAllTools();
    for (const cursor of ['garbage', '']) {
      await assert.rejects(client.listTools({ cursor }), (e: unknown) => e instanceof McpError && e.code === -32602, cursor);
    }
  });

  it('lists the new pages, not remembered ones, after a tool is disabled', async () => {
    const { client, server } = await fivePaged();
    assert.deepEqual((await client.listAllTools()).map((t) => t.name), ['t1', 't2', 't3', 't4', 't5']);
    const t2 = server.tool('t6', {}, () => ({ content: [] }));
    t2.disable();
    assert.deepEqual((await client.listAllTools()).map((t) => t.name), ['t1', 't2', 't3', 't4', 't5']);
    t2.enable();
    assert.deepEqual((await client.listAllTools()).map((t) => t.name), ['t1', 't2', 't3', 't4', 't5', 't6']);
  });

  it('answers a cursor taken before the list changed with -32602', async () => {
    const { client, server } = await fivePaged();
    const p1 = await client.listTools();
    server.tool('t6', {}, () => ({ content: [] }));
    await assert.rejects(client.listTools({ cursor: p1.nextCursor! }), (e: unknown) => e instanceof McpError && e.code === -32602);
  });
});

describe('one definition, many sessions', () => {
  it('serves 3 concurrent client sessions independently', async () => {
    const server = newServer();
    server.tool('who', { inputSchema: z.object({ delay: z.number() }) }, async ({ delay }, ctx) => {
      await sleep(delay);
      return { content: [{ type: 'text', text: ctx.session.clientInfo?.name ?? '?' }] };
    });
    const pairs = await Promise.all(['c1', 'c2', 'c3'].map((n) => connectPair(server, {}, n)));
    assert.equal(server.sessionCount, 3);
    const results = await Promise.all(
      pairs.flatMap(({ client }, i) => [client.callTool({ name: 'who', arguments: { delay: 30 - i * 10 } }), client.callTool({ name: 'who', arguments: { delay: i * 5 } })]),
    );
    assert.deepEqual(results.map(text), ['c1', 'c1', 'c2', 'c2', 'c3', 'c3']);
    let changes = 0;
    for (const { client } of pairs) client.onToolsListChanged = () => changes++;
    server.tool('new', {}, () => ({ content: [] }));
    await until(() => changes === 3, WAIT_MS, 'list_changed on every session');
    await pairs[0]!.close();
    assert.equal(text(await pairs[1]!.client.callTool({ name: 'who', arguments: { delay: 0 } })), 'c2');
  });
});

describe('tools/call on the wire', () => {
  it('answers an arguments value that is not an object with -32602', async () => {
    const server = newServer();
    server.tool('t', {}, () => ({ content: [] }));
    const raw = await RawPeer.connect(server);
    await raw.initialize();
    assert.equal((await raw.request('tools/call', { name: 't', arguments: 'x' })).error?.code, -32602);
    assert.deepEqual((await raw.request('tools/call', { name: 't' })).result, { content: [] });
  });

  it('client rejects locally with ERR_NOT_CONNECTED after close', async () => {
    const server = newServer();
    const { client } = await connectPair(server);
    await client.close();
    await assert.rejects(client.callTool({ name: 't' }), (e: unknown) => e instanceof ErlmcpError && e.code === 'ERR_NOT_CONNECTED');
  });
});
