import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { Client, type ClientOptions } from '../../client/index.js';
import { ErlmcpError } from '../../protocol/errors.js';
import { McpServer } from '../../server/index.js';
import { StreamableHttpServer } from '../http/server.js';
import { StreamableHttpClientTransport } from '../http/client.js';
import { readSseStream, type SseEvent } from '../shared/sse-reader.js';
import { LegacySseClientTransport } from './client.js';
import { LegacySseServer, type LegacySseServerOptions } from './server.js';

// ---------- harness ----------

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(5);
  }
}

interface Observed {
  cancelled: string[];
  /** Calls of `wait` that have started. */
  waiting?: number;
}

function makeServer(observed: Observed = { cancelled: [] }): McpServer {
  const server = new McpServer({ name: 'legacy-test', version: '1.0.0' });
  const textSchema = { type: 'object', properties: { text: { type: 'string' } } } as const;
  server.tool('echo', { description: 'Echo', inputSchema: textSchema }, async (args) => ({ content: [{ type: 'text', text: String(args.text) }] }));
  server.tool('chatty', { description: 'Logs and reports progress, then echoes', inputSchema: textSchema }, async (args, ctx) => {
    await ctx.log('debug', 'filtered out');
    await ctx.log('info', 'working');
    await ctx.progress(1, 2, 'half');
    await ctx.progress(2, 2);
    return { content: [{ type: 'text', text: String(args.text) }] };
  });
  server.tool('sample', { description: 'Asks the client LLM' }, async (_args, ctx) => {
    const r = await ctx.sample({ messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }], maxTokens: 100 });
    const content = r.content as { type: string; text?: string };
    return { content: [{ type: 'text', text: `model said: ${String(content.text)}` }] };
  });
  server.tool('ask', { description: 'Elicits a name' }, async (_args, ctx) => {
    const r = await ctx.elicit({ message: 'Your name?', requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } });
    return { content: [{ type: 'text', text: `${r.action}: ${String(r.content?.name)}` }] };
  });
  server.tool('wait', { description: 'Runs until cancelled' }, async (_args, ctx) => {
    observed.waiting = (observed.waiting ?? 0) + 1;
    await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
    observed.cancelled.push(String(ctx.signal.reason ?? 'aborted'));
    return { content: [] };
  });
  server.resource('test://doc', { name: 'doc', mimeType: 'text/plain' }, (uri) => ({ contents: [{ uri, mimeType: 'text/plain', text: 'v1' }] }));
  return server;
}

interface Harness {
  server: McpServer;
  legacy: LegacySseServer;
  url: string;
  observed: Observed;
}

async function start(t: TestContext, options: Partial<LegacySseServerOptions> = {}): Promise<Harness> {
  const observed: Observed = { cancelled: [] };
  const server = options.server ?? makeServer(observed);
  const legacy = new LegacySseServer({ ...options, server });
  const { url } = await legacy.listen(0);
  t.after(() => legacy.close());
  return { server, legacy, url, observed };
}

async function connect(t: TestContext, url: string, options: ClientOptions = {}): Promise<{ client: Client; transport: LegacySseClientTransport }> {
  const client = new Client({ name: 'legacy-client', version: '1.0.0' }, options);
  const transport = new LegacySseClientTransport(url);
  await client.connect(transport);
  t.after(() => client.close());
  return { client, transport };
}

/** A raw SSE session: the events as they arrive, and the POST endpoint from the first one. */
async function openRaw(t: TestContext, url: string, headers: Record<string, string> = {}): Promise<{ events: SseEvent[]; endpoint: URL; abort: () => void }> {
  const controller = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  const events: SseEvent[] = [];
  const done = readSseStream(res.body!, { onEvent: (e) => void events.push(e) }).catch(() => {});
  const abort = (): void => controller.abort();
  t.after(async () => {
    abort();
    await done;
  });
  await until(() => events.length > 0);
  assert.equal(events[0]!.event, 'endpoint');
  return { events, endpoint: new URL(events[0]!.data, url), abort };
}

function postJson(url: URL | string, body: string): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
}

// ---------- tests ----------

describe('LegacySseServer with our Client', () => {
  it('serves tools over one SSE session and ends it when the client disconnects', async (t) => {
    const { legacy, server, url } = await start(t);
    const { client, transport } = await connect(t, url);
    assert.equal(client.serverInfo?.name, 'legacy-test');
    assert.equal(legacy.sessionCount, 1);
    assert.match(transport.sessionId ?? '', /^[0-9a-f]{32}$/);
    assert.equal(transport.endpoint?.pathname, '/messages');
    const tools = await client.listAllTools();
    assert.deepEqual(tools.map((x) => x.name).sort(), ['ask', 'chatty', 'echo', 'sample', 'wait']);
    const r = await client.callTool({ name: 'echo', arguments: { text: 'over sse' } });
    assert.deepEqual(r.content, [{ type: 'text', text: 'over sse' }]);
    await client.close();
    await until(() => legacy.sessionCount === 0 && server.sessionCount === 0);
  });

  it('round-trips sampling and elicitation requests from a tool to the client', async (t) => {
    const { url } = await start(t);
    const { client } = await connect(t, url, {
      sampling: async () => ({ role: 'assistant', content: { type: 'text', text: 'hello' }, model: 'test-model' }),
      elicitation: async () => ({ action: 'accept', content: { name: 'Ada' } }),
    });
    const sampled = await client.callTool({ name: 'sample', arguments: {} });
    assert.deepEqual(sampled.content, [{ type: 'text', text: 'model said: hello' }]);
    const elicited = await client.callTool({ name: 'ask', arguments: {} });
    assert.deepEqual(elicited.content, [{ type: 'text', text: 'accept: Ada' }]);
  });

  it('delivers progress and log messages at the level the client set', async (t) => {
    const { url } = await start(t);
    const { client } = await connect(t, url);
    const logs: unknown[] = [];
    client.onLogMessage = (p) => logs.push(p.data);
    await client.setLoggingLevel('info');
    const progress: unknown[] = [];
    const r = await client.callTool({ name: 'chatty', arguments: { text: 'done' } }, { onprogress: (p) => progress.push(p) });
    assert.deepEqual(r.content, [{ type: 'text', text: 'done' }]);
    assert.deepEqual(logs, ['working']);
    assert.deepEqual(progress, [
      { progress: 1, total: 2, message: 'half' },
      { progress: 2, total: 2, message: undefined },
    ]);
  });

  it('notifies a subscribed client that a resource changed', async (t) => {
    const { url, server } = await start(t);
    const { client } = await connect(t, url);
    const updated: string[] = [];
    client.onResourceUpdated = (uri) => updated.push(uri);
    await client.subscribeResource('test://doc');
    await server.notifyResourceUpdated('test://doc');
    await until(() => updated.length === 1);
    assert.deepEqual(updated, ['test://doc']);
  });

  it('cancels a running tool when the caller aborts', async (t) => {
    const { url, observed } = await start(t);
    const { client } = await connect(t, url);
    const controller = new AbortController();
    const call = client.callTool({ name: 'wait', arguments: {} }, { signal: controller.signal });
    await until(() => observed.waiting === 1);
    controller.abort('user gave up');
    await assert.rejects(call, (e: unknown) => e instanceof ErlmcpError && e.code === 'ERR_CANCELLED');
    await until(() => observed.cancelled.length === 1);
    assert.match(observed.cancelled[0]!, /user gave up/);
    // The session is still usable afterwards.
    assert.deepEqual(await client.ping(), {});
  });
});

describe('LegacySseServer HTTP behaviour', () => {
  it('answers client messages 202 and sends the response as an `event: message`', async (t) => {
    const { url } = await start(t);
    const { events, endpoint } = await openRaw(t, url);
    assert.match(endpoint.search, /^\?sessionId=[0-9a-f]{32}$/);
    const r = await postJson(endpoint, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }));
    assert.equal(r.status, 202);
    await r.body?.cancel();
    await until(() => events.length === 2);
    assert.equal(events[1]!.event, 'message');
    assert.deepEqual(JSON.parse(events[1]!.data), { jsonrpc: '2.0', id: 1, result: {} });
  });

  it('answers invalid JSON with 400 and a -32700 parse error', async (t) => {
    const { url } = await start(t);
    const { endpoint } = await openRaw(t, url);
    const r = await postJson(endpoint, '{"jsonrpc": "2.0", "id": 1,');
    assert.equal(r.status, 400);
    const body = (await r.json()) as { error: { code: number } };
    assert.equal(body.error.code, -32700);
  });

  it('refuses a body over the limit with 413, and the session keeps working', async (t) => {
    const { url } = await start(t);
    const { client, transport } = await connect(t, url);
    const big = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/x', params: { pad: '' } });
    const pad = 16 * 1024 * 1024 + 1 - big.length;
    const body = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/x', params: { pad: 'a'.repeat(pad) } });
    assert.equal(Buffer.byteLength(body), 16 * 1024 * 1024 + 1);
    const r = await postJson(transport.endpoint!, body);
    assert.equal(r.status, 413);
    await r.body?.cancel();
    assert.deepEqual(await client.ping(), {});
    const ok = await client.callTool({ name: 'echo', arguments: { text: 'still here' } });
    assert.deepEqual(ok.content, [{ type: 'text', text: 'still here' }]);
  });

  it('answers 404 to an unknown session, 400 without a session id, 405 to other methods', async (t) => {
    const { url } = await start(t);
    const msg = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' });
    const unknown = await postJson(new URL('/messages?sessionId=00000000000000000000000000000000', url), msg);
    assert.equal(unknown.status, 404);
    await unknown.body?.cancel();
    const missing = await postJson(new URL('/messages', url), msg);
    assert.equal(missing.status, 400);
    await missing.body?.cancel();
    const postSse = await postJson(url, msg);
    assert.equal(postSse.status, 405);
    assert.equal(postSse.headers.get('allow'), 'GET');
    await postSse.body?.cancel();
    const getMessages = await fetch(new URL('/messages', url));
    assert.equal(getMessages.status, 405);
    await getMessages.body?.cancel();
    const other = await fetch(new URL('/other', url));
    assert.equal(other.status, 404);
    await other.body?.cancel();
  });

  it('ends the session when the SSE connection closes; its POST endpoint then answers 404', async (t) => {
    const { url, legacy, server } = await start(t);
    const { endpoint, abort } = await openRaw(t, url);
    const init = { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2024-11-05', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };
    const r = await postJson(endpoint, JSON.stringify(init));
    assert.equal(r.status, 202);
    await r.body?.cancel();
    assert.equal(legacy.sessionCount, 1);
    abort();
    await until(() => legacy.sessionCount === 0 && server.sessionCount === 0);
    const after = await postJson(endpoint, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }));
    assert.equal(after.status, 404);
    await after.body?.cancel();
  });

  it('sends comment pings on an idle stream', async (t) => {
    const { url } = await start(t, { keepAliveMs: 20 });
    const res = await fetch(url, { headers: { accept: 'text/event-stream' } });
    const reader = res.body!.getReader();
    let text = '';
    const decoder = new TextDecoder();
    while (!text.includes(': ping')) text += decoder.decode((await reader.read()).value, { stream: true });
    await reader.cancel();
    assert.match(text, /^event: endpoint\n/);
  });

  it('rejects a foreign Origin with 403 when bound to loopback', async (t) => {
    const { url } = await start(t);
    const r = await fetch(url, { headers: { accept: 'text/event-stream', origin: 'https://evil.example' } });
    assert.equal(r.status, 403);
    await r.body?.cancel();
    const ok = await fetch(url, { headers: { accept: 'text/event-stream', origin: 'http://localhost:3000' } });
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
  });

  it('chains with StreamableHttpServer in one node:http server', async (t) => {
    const server = makeServer();
    const legacy = new LegacySseServer({ server });
    const streamable = new StreamableHttpServer({ server });
    const srv = createServer((req, res) => {
      void legacy.handle(req, res).then((handled) => {
        if (handled) return;
        if (req.url?.startsWith('/mcp')) return streamable.handle(req, res);
        res.writeHead(404).end();
      });
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    t.after(async () => {
      await legacy.close();
      await streamable.close();
      srv.closeAllConnections();
      await new Promise((r) => srv.close(r));
    });
    const base = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
    const oldClient = new Client({ name: 'old', version: '1' });
    await oldClient.connect(new LegacySseClientTransport(`${base}/sse`));
    t.after(() => oldClient.close());
    const newClient = new Client({ name: 'new', version: '1' });
    await newClient.connect(new StreamableHttpClientTransport(`${base}/mcp`));
    t.after(() => newClient.close());
    for (const c of [oldClient, newClient]) {
      const r = await c.callTool({ name: 'echo', arguments: { text: c.info.name } });
      assert.deepEqual(r.content, [{ type: 'text', text: c.info.name }]);
    }
    assert.equal(legacy.sessionCount, 1);
    assert.equal(streamable.sessionCount, 1);
  });

  it('close() ends every stream, and the client sees its transport close', async (t) => {
    const { url, legacy } = await start(t);
    const client = new Client({ name: 'c', version: '1' });
    let closed = false;
    client.onclose = () => (closed = true);
    await client.connect(new LegacySseClientTransport(url));
    await legacy.close();
    await until(() => closed);
    assert.equal(client.connected, false);
    const refused = await fetch(url).catch((e: unknown) => e);
    assert.ok(refused instanceof Error, 'the listener is closed');
  });
});
