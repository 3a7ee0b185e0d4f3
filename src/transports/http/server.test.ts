import assert from 'node:assert/strict';
import { Agent, createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '../../server/index.js';
import { MemoryBus } from '../../stores/memory-bus.js';
import { MemoryEventStore } from '../../stores/memory-event-store.js';
import { MemorySessionStore } from '../../stores/memory-session-store.js';
import { StreamableHttpServer, type StreamableHttpServerOptions } from './server.js';

// ---------- harness ----------

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until `cond` holds, checking every few ms. The bound is a backstop for a broken build,
 * far above anything a loaded machine needs; tests never depend on how soon it holds.
 */
async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** Test-controlled latches: the `gate` tool waits until the test opens its key. */
const gates = new Map<string, () => void>();
function gateOpened(key: string): Promise<void> {
  return new Promise((resolve) => gates.set(key, resolve));
}
async function openGate(key: string): Promise<void> {
  await waitFor(() => gates.has(key), `gate ${key} to be reached`);
  const open = gates.get(key)!;
  gates.delete(key);
  open();
}

function makeServer(): McpServer {
  const server = new McpServer({ name: 'http-test', version: '1.0.0' });
  const textSchema = { type: 'object', properties: { text: { type: 'string' } } } as const;
  server.tool('echo', { description: 'Echo', inputSchema: textSchema }, async (args) => ({ content: [{ type: 'text', text: String(args.text) }] }));
  server.tool('chatty', { description: 'Logs and reports progress, then echoes', inputSchema: textSchema }, async (args, ctx) => {
    await ctx.log('info', 'working');
    await ctx.progress(1, 2);
    return { content: [{ type: 'text', text: String(args.text) }] };
  });
  server.tool('gate', { description: 'Waits for the test', inputSchema: { type: 'object', properties: { key: { type: 'string' } } } }, async (args) => {
    await gateOpened(String(args.key));
    return { content: [{ type: 'text', text: `released ${String(args.key)}` }] };
  });
  server.tool('chattyGate', { description: 'Logs, then waits for the test', inputSchema: { type: 'object', properties: { key: { type: 'string' } } } }, async (args, ctx) => {
    await ctx.log('info', `waiting ${String(args.key)}`);
    await gateOpened(String(args.key));
    return { content: [{ type: 'text', text: `released ${String(args.key)}` }] };
  });
  server.tool('reconnect', { description: 'Closes its SSE stream mid-call (SEP-1699)' }, async (_args, ctx) => {
    ctx.closeSSEStream();
    await sleep(30);
    await ctx.log('info', 'after close');
    return { content: [{ type: 'text', text: 'result after reconnect' }] };
  });
  server.tool('sample', { description: 'Asks the client LLM' }, async (_args, ctx) => {
    const r = await ctx.sample({ messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }], maxTokens: 100 });
    const content = r.content as { type: string; text?: string };
    return { content: [{ type: 'text', text: `model said: ${String(content.text)}` }] };
  });
  return server;
}

interface Harness {
  server: McpServer;
  http: StreamableHttpServer;
  url: string;
}

async function start(t: TestContext, options: Partial<StreamableHttpServerOptions> = {}): Promise<Harness> {
  const server = options.server ?? makeServer();
  const http = new StreamableHttpServer({ ...options, server });
  const { url } = await http.listen(0);
  t.after(() => http.close());
  return { server, http, url };
}

const ACCEPT_BOTH = 'application/json, text/event-stream';
type Headers = Record<string, string>;

function post(url: string, body: unknown, headers: Headers = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: ACCEPT_BOTH, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

function initBody(version = '2025-11-25', capabilities: Record<string, unknown> = {}, id: number | string = 0): unknown {
  return { jsonrpc: '2.0', id, method: 'initialize', params: { protocolVersion: version, capabilities, clientInfo: { name: 'test', version: '1' } } };
}

function call(id: number | string, name: string, args: Record<string, unknown> = {}, meta?: Record<string, unknown>): unknown {
  return { jsonrpc: '2.0', id, method: 'tools/call', params: meta ? { name, arguments: args, _meta: meta } : { name, arguments: args } };
}

/** Initializes a session (initialize + initialized) and returns the headers later requests carry. */
async function initSession(url: string, version = '2025-11-25', capabilities: Record<string, unknown> = {}): Promise<Headers> {
  const r = await post(url, initBody(version, capabilities));
  assert.equal(r.status, 200);
  const sid = r.headers.get('mcp-session-id');
  assert.ok(sid);
  await r.text();
  const h = { 'mcp-session-id': sid, 'mcp-protocol-version': version };
  const n = await post(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, h);
  assert.equal(n.status, 202);
  return h;
}

interface SseEvent {
  id?: string;
  data?: string;
  retry?: number;
}

/** Incremental SSE parser over a fetch Response. */
class SseReader {
  private buf = '';
  private queue: SseEvent[] = [];
  private done = false;
  private readonly reader: ReadableStreamDefaultReader<string>;

  constructor(res: Response) {
    assert.equal(res.headers.get('content-type'), 'text/event-stream', `expected an SSE stream, got HTTP ${res.status} ${res.headers.get('content-type')}`);
    this.reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  }

  async next(): Promise<SseEvent | undefined> {
    while (this.queue.length === 0) {
      if (this.done) return undefined;
      const { value, done } = await this.reader.read();
      if (done) {
        this.done = true;
        continue;
      }
      this.buf += value;
      let i: number;
      while ((i = this.buf.indexOf('\n\n')) >= 0) {
        const block = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 2);
        const ev: SseEvent = {};
        for (const line of block.split('\n')) {
          const colon = line.indexOf(':');
          const field = line.slice(0, colon);
          const v = line.slice(colon + 1).replace(/^ /, '');
          if (field === 'id') ev.id = v;
          else if (field === 'data') ev.data = ev.data === undefined ? v : `${ev.data}\n${v}`;
          else if (field === 'retry') ev.retry = Number(v);
        }
        this.queue.push(ev);
      }
    }
    return this.queue.shift();
  }

  /** Next event carrying a JSON-RPC message. */
  async message(): Promise<{ id?: string; msg: Record<string, any> } | undefined> {
    for (;;) {
      const ev = await this.next();
      if (!ev) return undefined;
      if (ev.data) return { id: ev.id, msg: JSON.parse(ev.data) };
    }
  }

  /** Every remaining event until the server ends the stream. */
  async rest(): Promise<SseEvent[]> {
    const out: SseEvent[] = [];
    for (let ev = await this.next(); ev; ev = await this.next()) out.push(ev);
    return out;
  }

  cancel(): Promise<void> {
    return this.reader.cancel();
  }
}

function messages(events: SseEvent[]): Record<string, any>[] {
  return events.filter((e) => e.data).map((e) => JSON.parse(e.data!));
}

/** node:http request: lets a test set Host freely (fetch does not). */
function raw(url: string, method: string, headers: Headers, body?: string, agent?: Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers, agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function errorOf(r: Response): Promise<{ code: number; message: string }> {
  const body = (await r.json()) as { jsonrpc: string; id: unknown; error: { code: number; message: string } };
  assert.equal(body.jsonrpc, '2.0');
  assert.equal(body.id, null);
  return body.error;
}

// ---------- POST validation ----------

describe('POST validation', () => {
  it('rejects a non-JSON content type with 415', async (t) => {
    const { url } = await start(t);
    const r = await post(url, JSON.stringify(initBody()), { 'content-type': 'text/plain' });
    assert.equal(r.status, 415);
    assert.equal((await errorOf(r)).code, -32000);
  });

  it('requires Accept to list both application/json and text/event-stream (406), and takes */*', async (t) => {
    const { url } = await start(t);
    const r = await post(url, initBody(), { accept: 'application/json' });
    assert.equal(r.status, 406);
    await r.body?.cancel();
    const ok = await post(url, initBody(), { accept: '*/*' });
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
  });

  it('accepts a body of exactly maxBodyBytes and rejects one byte more with 413', async (t) => {
    const { url } = await start(t, { maxBodyBytes: 1000 });
    const json = JSON.stringify(initBody());
    const atLimit = json + ' '.repeat(1000 - Buffer.byteLength(json));
    const ok = await post(url, atLimit);
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
    const over = await post(url, atLimit + ' ');
    assert.equal(over.status, 413);
    assert.equal((await errorOf(over)).code, -32000);
  });

  it('rejects a 16 MiB + 1 byte body with 413 and keeps serving', async (t) => {
    const { url } = await start(t);
    const h = await initSession(url);
    const big = await post(url, 'x'.repeat(16 * 1024 * 1024 + 1), h);
    assert.equal(big.status, 413);
    await big.body?.cancel();
    // The same limit is enforced on a chunked body that declares no length.
    const chunks = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 17; i++) c.enqueue(new Uint8Array(1024 * 1024).fill(32));
        c.close();
      },
    });
    const chunked = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: ACCEPT_BOTH, ...h }, body: chunks, duplex: 'half' } as RequestInit);
    assert.equal(chunked.status, 413);
    await chunked.body?.cancel();
    const sse = new SseReader(await post(url, call(1, 'echo', { text: 'still here' }), h));
    const m = await sse.message();
    assert.equal(m?.msg.result.content[0].text, 'still here');
  });

  it('answers invalid JSON with 400 and a -32700 parse error', async (t) => {
    const { url } = await start(t);
    const r = await post(url, '{"jsonrpc": "2.0", ');
    assert.equal(r.status, 400);
    assert.equal((await errorOf(r)).code, -32700);
  });

  it('answers a JSON value that is not a JSON-RPC message with 400 and -32600', async (t) => {
    const { url } = await start(t);
    const h = await initSession(url);
    for (const bad of [{ hello: 'world' }, { jsonrpc: '1.0', id: 1, method: 'ping' }, 42, []]) {
      const r = await post(url, bad, h);
      assert.equal(r.status, 400, JSON.stringify(bad));
      assert.equal((await errorOf(r)).code, -32600);
    }
  });

  it('rejects an unsupported MCP-Protocol-Version header with 400 and accepts a missing one', async (t) => {
    const { url } = await start(t);
    const h = await initSession(url);
    const bad = await post(url, { jsonrpc: '2.0', id: 1, method: 'ping' }, { ...h, 'mcp-protocol-version': '1999-01-01' });
    assert.equal(bad.status, 400);
    assert.match((await errorOf(bad)).message, /1999-01-01/);
    const { 'mcp-protocol-version': _, ...noVersion } = h;
    const ok = await post(url, { jsonrpc: '2.0', id: 2, method: 'ping' }, noVersion);
    assert.equal(ok.status, 200);
    assert.deepEqual((await new SseReader(ok).message())?.msg, { jsonrpc: '2.0', id: 2, result: {} });
  });

  it('accepts JSON-RPC batches only on a 2025-03-26 session', async (t) => {
    const { url } = await start(t);
    const modern = await initSession(url, '2025-11-25');
    const rejected = await post(url, [{ jsonrpc: '2.0', id: 1, method: 'ping' }], modern);
    assert.equal(rejected.status, 400);
    assert.equal((await errorOf(rejected)).code, -32600);

    const legacy = await initSession(url, '2025-03-26');
    const r = await post(url, [{ jsonrpc: '2.0', id: 1, method: 'ping' }, { jsonrpc: '2.0', method: 'notifications/roots/list_changed' }, call(2, 'echo', { text: 'b' })], legacy);
    assert.equal(r.status, 200);
    const events = await new SseReader(r).rest();
    // 2025-03-26 clients get no priming event (empty data would break them).
    assert.ok(events.every((e) => e.data));
    const byId = new Map(messages(events).map((m) => [m.id, m]));
    assert.deepEqual(byId.get(1), { jsonrpc: '2.0', id: 1, result: {} });
    assert.equal(byId.get(2)?.result.content[0].text, 'b');
  });

  it('answers a batch with a JSON array in JSON response mode', async (t) => {
    const { url } = await start(t, { enableJsonResponse: true });
    const h = await initSession(url, '2025-03-26');
    const r = await post(url, [{ jsonrpc: '2.0', id: 'a', method: 'ping' }, call('b', 'echo', { text: 'x' })], h);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/json');
    const body = (await r.json()) as { id: string }[];
    assert.ok(Array.isArray(body));
    assert.deepEqual(body.map((m) => m.id).sort(), ['a', 'b']);
  });
});

// ---------- sessions ----------

describe('sessions', () => {
  it('issues a random session id on initialize and requires it afterwards', async (t) => {
    const { url, http } = await start(t);
    const r1 = await post(url, initBody());
    const r2 = await post(url, initBody());
    const [a, b] = [r1.headers.get('mcp-session-id'), r2.headers.get('mcp-session-id')];
    await Promise.all([r1.text(), r2.text()]);
    assert.match(a ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.notEqual(a, b);
    assert.equal(http.sessionCount, 2);

    const noSessionPost = await post(url, { jsonrpc: '2.0', id: 1, method: 'ping' });
    assert.equal(noSessionPost.status, 400);
    assert.equal((await errorOf(noSessionPost)).code, -32000);
    const noSessionGet = await fetch(url, { headers: { accept: 'text/event-stream' } });
    assert.equal(noSessionGet.status, 400);
    await noSessionGet.body?.cancel();
  });

  it('answers 404 for an unknown session id', async (t) => {
    const { url } = await start(t);
    const r = await post(url, { jsonrpc: '2.0', id: 1, method: 'ping' }, { 'mcp-session-id': 'no-such-session' });
    assert.equal(r.status, 404);
    await r.body?.cancel();
  });

  it('ends a session on DELETE; later requests get 404', async (t) => {
    const { url, http } = await start(t);
    const h = await initSession(url);
    const del = await fetch(url, { method: 'DELETE', headers: h });
    assert.equal(del.status, 204);
    assert.equal(http.sessionCount, 0);
    const after = await post(url, { jsonrpc: '2.0', id: 1, method: 'ping' }, h);
    assert.equal(after.status, 404);
    await after.body?.cancel();
    const again = await fetch(url, { method: 'DELETE', headers: h });
    assert.equal(again.status, 404);
    await again.body?.cancel();
  });

  it('expires a session idle for longer than sessionIdleTtlMs; requests restart the idle clock', async (t) => {
    // No fixed sleeps: two sessions start together; `busy` is pinged back to back (each ping
    // restarts its idle clock) until the sweeper drops `idle`. Only a gap of a whole TTL between
    // two consecutive pings (a >1.5 s stall) could expire `busy` too.
    const { url, http } = await start(t, { sessionIdleTtlMs: 1500 });
    const busy = await initSession(url);
    const idle = await initSession(url);
    let pings = 0;
    for (; http.sessionCount === 2 && pings < 100_000; pings++) {
      const r = await post(url, { jsonrpc: '2.0', id: pings, method: 'ping' }, busy);
      assert.equal(r.status, 200, `the busy session expired after ${pings} pings`);
      await r.text();
    }
    assert.equal(http.sessionCount, 1, 'the idle session expired, the busy one did not');
    const gone = await post(url, { jsonrpc: '2.0', id: 'i', method: 'ping' }, idle);
    assert.equal(gone.status, 404);
    await gone.body?.cancel();
    const alive = await post(url, { jsonrpc: '2.0', id: 'b', method: 'ping' }, busy);
    assert.equal(alive.status, 200);
    await alive.text();
    // Left alone, the busy session expires too.
    await waitFor(() => http.sessionCount === 0, 'the busy session to expire once idle');
    const expired = await post(url, { jsonrpc: '2.0', id: 'e', method: 'ping' }, busy);
    assert.equal(expired.status, 404);
    await expired.body?.cancel();
  });

  it('persists session state to the SessionStore as it changes', async (t) => {
    const sessionStore = new MemorySessionStore();
    t.after(() => sessionStore.close());
    const { url } = await start(t, { sessionStore });
    const h = await initSession(url, '2025-06-18');
    const state = await sessionStore.get(h['mcp-session-id']!);
    assert.equal(state?.protocolVersion, '2025-06-18');
    assert.equal(state?.initialized, true);
    assert.equal(state?.clientInfo?.name, 'test');
    const r = await post(url, { jsonrpc: '2.0', id: 1, method: 'logging/setLevel', params: { level: 'error' } }, h);
    await r.text();
    assert.equal((await sessionStore.get(h['mcp-session-id']!))?.logLevel, 'error');
  });

  it('serves a session created on another node by rebuilding it from the store, and DELETE reaches every node', async (t) => {
    const sessionStore = new MemorySessionStore();
    const eventStore = new MemoryEventStore();
    const bus = new MemoryBus();
    t.after(() => Promise.all([sessionStore.close(), eventStore.close(), bus.close()]));
    const a = await start(t, { sessionStore, eventStore, bus });
    const b = await start(t, { sessionStore, eventStore, bus });
    const h = await initSession(a.url);
    assert.equal(b.http.sessionCount, 0);
    const r = await post(b.url, call(1, 'echo', { text: 'from b' }), h);
    assert.equal(r.status, 200);
    assert.equal((await new SseReader(r).message())?.msg.result.content[0].text, 'from b');
    assert.equal(b.http.sessionCount, 1);

    const del = await fetch(a.url, { method: 'DELETE', headers: h });
    assert.equal(del.status, 204);
    await waitFor(() => b.http.sessionCount === 0, 'the DELETE to reach node b');
    const gone = await post(b.url, { jsonrpc: '2.0', id: 2, method: 'ping' }, h);
    assert.equal(gone.status, 404);
    await gone.body?.cancel();
  });
});

// ---------- responses and streams ----------

describe('responses', () => {
  it('answers a POST of only notifications with 202 and no body', async (t) => {
    const { url } = await start(t);
    const h = await initSession(url);
    const r = await post(url, { jsonrpc: '2.0', method: 'notifications/roots/list_changed' }, h);
    assert.equal(r.status, 202);
    assert.equal(await r.text(), '');
  });

  it('streams a 2025-11-25 request as SSE: retry + priming event, related messages, response, end', async (t) => {
    const { url } = await start(t, { retryMs: 1234 });
    const h = await initSession(url);
    const r = await post(url, call(7, 'chatty', { text: 'done' }, { progressToken: 'p1' }), h);
    assert.equal(r.status, 200);
    const events = await new SseReader(r).rest();
    const [priming, ...rest] = events;
    assert.equal(priming?.retry, 1234);
    assert.ok(priming?.id);
    assert.equal(priming?.data, '');
    assert.ok(rest.every((e) => e.id), 'every event carries an id');
    assert.equal(new Set(events.map((e) => e.id)).size, events.length, 'event ids are unique');
    const msgs = messages(rest);
    assert.deepEqual(
      msgs.map((m) => m.method ?? 'response'),
      ['notifications/message', 'notifications/progress', 'response'],
    );
    assert.equal(msgs[1]!.params.progressToken, 'p1');
    assert.equal(msgs[2]!.id, 7);
    assert.equal(msgs[2]!.result.content[0].text, 'done');
  });

  it('sends no priming event to a 2025-06-18 session', async (t) => {
    const { url } = await start(t);
    const h = await initSession(url, '2025-06-18');
    const events = await new SseReader(await post(url, call(1, 'echo', { text: 'x' }), h)).rest();
    assert.equal(events.length, 1);
    assert.ok(events[0]!.id);
    assert.equal(JSON.parse(events[0]!.data!).result.content[0].text, 'x');
  });

  it('answers with one JSON object in JSON mode when the call sends nothing else', async (t) => {
    const { url } = await start(t, { enableJsonResponse: true });
    const h = await initSession(url);
    const r = await post(url, call(3, 'echo', { text: 'json' }), h);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/json');
    const body = (await r.json()) as { id: number; result: { content: { text: string }[] } };
    assert.equal(body.id, 3);
    assert.equal(body.result.content[0]!.text, 'json');
  });

  it('in JSON mode, upgrades a call that logs before answering to SSE, keeping the log before the result on its own stream', async (t) => {
    const { url } = await start(t, { enableJsonResponse: true });
    const h = await initSession(url);
    const r = await post(url, call(4, 'chatty', { text: 'upgraded' }), h);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'text/event-stream');
    const sse = new SseReader(r);
    const log = await sse.message();
    assert.equal(log?.msg.method, 'notifications/message');
    const result = await sse.message();
    assert.equal(result?.msg.id, 4);
  });

  it('puts unrelated server messages on the GET stream, storing them while no GET is connected', async (t) => {
    const { url, server } = await start(t);
    const h = await initSession(url);
    const first = await fetch(url, { headers: { ...h, accept: 'text/event-stream' } });
    assert.equal(first.status, 200);
    const get = new SseReader(first);
    const priming = await get.next();
    assert.ok(priming?.id);
    server.tool('added1', { description: 'new' }, () => ({ content: [] }));
    assert.equal((await get.message())?.msg.method, 'notifications/tools/list_changed');
    await get.cancel();
    await sleep(20);

    server.tool('added2', { description: 'new' }, () => ({ content: [] })); // nobody listening now
    await sleep(20);
    const resumed = new SseReader(await fetch(url, { headers: { ...h, accept: 'text/event-stream', 'last-event-id': priming.id } }));
    const replay = [await resumed.message(), await resumed.message()];
    assert.deepEqual(
      replay.map((m) => m?.msg.method),
      ['notifications/tools/list_changed', 'notifications/tools/list_changed'],
    );
    await resumed.cancel();
  });
});

describe('GET', () => {
  it('requires Accept: text/event-stream (406) and allows one standalone stream per session (409)', async (t) => {
    const { url } = await start(t);
    const h = await initSession(url);
    const bad = await fetch(url, { headers: { ...h, accept: 'application/json' } });
    assert.equal(bad.status, 406);
    await bad.body?.cancel();
    const first = await fetch(url, { headers: { ...h, accept: 'text/event-stream' } });
    assert.equal(first.status, 200);
    const second = await fetch(url, { headers: { ...h, accept: 'text/event-stream' } });
    assert.equal(second.status, 409);
    await second.body?.cancel();
    await first.body?.cancel();
    // The server learns of the disconnect asynchronously: until then a GET is still 409.
    let third: Response | undefined;
    await waitFor(async () => {
      third = await fetch(url, { headers: { ...h, accept: 'text/event-stream' } });
      if (third.status === 409) await third.body?.cancel();
      return third.status !== 409;
    }, 'the disconnected stream to free its slot');
    assert.equal(third!.status, 200, 'a disconnected stream frees the slot');
    await third!.body?.cancel();
  });

  it('delivers the result over GET + Last-Event-ID after the tool closes its POST stream (SEP-1699)', async (t) => {
    const { url } = await start(t);
    const h = await initSession(url);
    const postEvents = await new SseReader(await post(url, call(9, 'reconnect'), h)).rest();
    assert.equal(messages(postEvents).length, 0, 'the POST stream ends before any message');
    const last = postEvents.filter((e) => e.id).at(-1)!.id!;
    assert.ok(postEvents.some((e) => e.retry !== undefined), 'a retry hint precedes the close');
    const resumed = await fetch(url, { headers: { ...h, accept: 'text/event-stream', 'last-event-id': last } });
    assert.equal(resumed.status, 200);
    const msgs = messages(await new SseReader(resumed).rest()); // ends after the final response
    assert.deepEqual(
      msgs.map((m) => m.method ?? m.id),
      ['notifications/message', 9],
    );
    assert.equal(msgs[1]!.result.content[0].text, 'result after reconnect');
  });

  it('replays only the events of the stream named by Last-Event-ID', async (t) => {
    const { url, server } = await start(t);
    const h = await initSession(url);
    // Two calls whose clients drop mid-call (so their streams are kept for resumption).
    const primed: string[] = [];
    for (const [id, key] of [[1, 'ra'], [2, 'rb']] as const) {
      const ac = new AbortController();
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: ACCEPT_BOTH, ...h }, body: JSON.stringify(call(id, 'chattyGate', { key })), signal: ac.signal });
      const reader = new SseReader(res);
      primed.push((await reader.next())!.id!);
      assert.equal((await reader.message())?.msg.params.data, `waiting ${key}`);
      ac.abort();
    }
    await sleep(20);
    await openGate('ra');
    await openGate('rb');
    server.tool('noise', { description: 'standalone noise' }, () => ({ content: [] }));
    await sleep(10);
    const resumed = messages(await new SseReader(await fetch(url, { headers: { ...h, accept: 'text/event-stream', 'last-event-id': primed[1]! } })).rest());
    assert.deepEqual(
      resumed.map((m) => m.method ?? m.id),
      ['notifications/message', 2],
    );
    assert.equal(resumed[0]!.params.data, 'waiting rb');
    assert.equal(resumed[1]!.result.content[0].text, 'released rb');
    const foreign = await fetch(url, { headers: { ...h, accept: 'text/event-stream', 'last-event-id': 'another-session/x.1#1' } });
    assert.equal(foreign.status, 400);
    await foreign.body?.cancel();
  });

  it('keeps a request running when its client disconnects, storing the result for replay', async (t) => {
    const { url, http } = await start(t);
    let errors = 0;
    http.onerror = () => errors++;
    const h = await initSession(url);
    const ac = new AbortController();
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: ACCEPT_BOTH, ...h }, body: JSON.stringify(call(5, 'gate', { key: 'disc' })), signal: ac.signal });
    const reader = new SseReader(res);
    const priming = await reader.next();
    ac.abort();
    await sleep(20);
    await openGate('disc');
    await sleep(20);
    const replay = messages(await new SseReader(await fetch(url, { headers: { ...h, accept: 'text/event-stream', 'last-event-id': priming!.id! } })).rest());
    assert.equal(replay.length, 1);
    assert.equal(replay[0]!.result.content[0].text, 'released disc');
    assert.equal(errors, 0);
  });

  it('routes a sampling reply POSTed by the client back to the waiting tool', async (t) => {
    const { url } = await start(t);
    const h = await initSession(url, '2025-11-25', { sampling: {} });
    const stream = new SseReader(await post(url, call(11, 'sample'), h));
    const req = await stream.message();
    assert.equal(req?.msg.method, 'sampling/createMessage');
    const reply = await post(url, { jsonrpc: '2.0', id: req!.msg.id, result: { role: 'assistant', content: { type: 'text', text: 'forty-two' }, model: 'm' } }, h);
    assert.equal(reply.status, 202);
    const result = await stream.message();
    assert.equal(result?.msg.id, 11);
    assert.equal(result?.msg.result.content[0].text, 'model said: forty-two');
  });

  it('routes a sampling reply that lands on another node through the bus', async (t) => {
    const sessionStore = new MemorySessionStore();
    const eventStore = new MemoryEventStore();
    const bus = new MemoryBus();
    t.after(() => Promise.all([sessionStore.close(), eventStore.close(), bus.close()]));
    const a = await start(t, { sessionStore, eventStore, bus });
    const b = await start(t, { sessionStore, eventStore, bus });
    const h = await initSession(a.url, '2025-11-25', { sampling: {} });
    const stream = new SseReader(await post(a.url, call(12, 'sample'), h));
    const req = await stream.message();
    const reply = await post(b.url, { jsonrpc: '2.0', id: req!.msg.id, result: { role: 'assistant', content: { type: 'text', text: 'via bus' }, model: 'm' } }, h);
    assert.equal(reply.status, 202);
    const result = await stream.message();
    assert.equal(result?.msg.result.content[0].text, 'model said: via bus');
  });
});

// ---------- security, stateless, robustness ----------

describe('DNS rebinding protection', () => {
  it('rejects a foreign Host or Origin with 403 on a loopback listener and keeps serving', async (t) => {
    const { url } = await start(t);
    const body = JSON.stringify(initBody());
    const base = { 'content-type': 'application/json', accept: ACCEPT_BOTH };
    const evilHost = await raw(url, 'POST', { ...base, host: 'evil.example.com' }, body);
    assert.equal(evilHost.status, 403);
    assert.deepEqual(JSON.parse(evilHost.body).error.code, -32000);
    const evilOrigin = await raw(url, 'POST', { ...base, origin: 'http://evil.example.com' }, body);
    assert.equal(evilOrigin.status, 403);
    const port = new URL(url).port;
    const local = await raw(url, 'POST', { ...base, host: `localhost:${port}`, origin: `http://localhost:5173` }, body);
    assert.equal(local.status, 200);
  });

  it('admits listed hosts and origins, and is off when disabled', async (t) => {
    const guarded = await start(t, { allowedHosts: ['mcp.example.com'], allowedOrigins: ['https://app.example.com'] });
    const base = { 'content-type': 'application/json', accept: ACCEPT_BOTH };
    const body = JSON.stringify(initBody());
    assert.equal((await raw(guarded.url, 'POST', { ...base, host: 'mcp.example.com', origin: 'https://app.example.com' }, body)).status, 200);
    assert.equal((await raw(guarded.url, 'POST', { ...base, origin: 'https://other.example.com' }, body)).status, 403);
    const open = await start(t, { dnsRebindingProtection: false });
    assert.equal((await raw(open.url, 'POST', { ...base, host: 'evil.example.com' }, body)).status, 200);
  });
});

describe('stateless mode', () => {
  it('serves each POST with a fresh session, issues no session id, and refuses GET/DELETE with 405', async (t) => {
    const { url, http, server } = await start(t, { stateless: true });
    const init = await post(url, initBody());
    assert.equal(init.status, 200);
    assert.equal(init.headers.get('mcp-session-id'), null);
    assert.equal((await new SseReader(init).message())?.msg.result.protocolVersion, '2025-11-25');
    const r = await post(url, call(1, 'echo', { text: 'no session' }), { 'mcp-protocol-version': '2025-11-25' });
    assert.equal((await new SseReader(r).message())?.msg.result.content[0].text, 'no session');
    const n = await post(url, { jsonrpc: '2.0', method: 'notifications/initialized' });
    assert.equal(n.status, 202);
    await waitFor(() => server.sessionCount === 0, 'per-request sessions to close');
    assert.equal(http.sessionCount, 0);
    const get = await fetch(url, { headers: { accept: 'text/event-stream' } });
    assert.equal(get.status, 405);
    await get.body?.cancel();
    const del = await fetch(url, { method: 'DELETE' });
    assert.equal(del.status, 405);
    await del.body?.cancel();
  });
});

describe('robustness', () => {
  it('serves 2000 sequential requests without leaking listeners, streams or sessions', async (t) => {
    const eventStore = new MemoryEventStore();
    t.after(() => eventStore.close());
    const { url, server, http } = await start(t, { eventStore });
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => void warnings.push(w);
    process.on('warning', onWarning);
    t.after(() => void process.off('warning', onWarning));
    const h = await initSession(url);
    // One keep-alive socket: a listener added per request would trip MaxListenersExceededWarning.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    t.after(() => agent.destroy());
    const headers = { 'content-type': 'application/json', accept: ACCEPT_BOTH, ...h };
    for (let i = 0; i < 2000; i++) {
      const r = await raw(url, 'POST', headers, JSON.stringify({ jsonrpc: '2.0', id: i, method: 'ping' }), agent);
      assert.equal(r.status, 200);
      assert.ok(r.body.includes(`"id":${i},"result":{}`));
    }
    assert.deepEqual(warnings, []);
    assert.equal(server.sessionCount, 1);
    assert.equal(http.sessionCount, 1);
    await waitFor(() => eventStore.streamCount === 0, 'finished POST streams to be deleted');
  });

  it('mounts in an existing node:http server through handle(), taking a pre-parsed body', async (t) => {
    const http = new StreamableHttpServer({ server: makeServer(), enableJsonResponse: true });
    const srv = createServer((req, res) => {
      let text = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (text += c));
      req.on('end', () => void http.handle(req, res, text ? JSON.parse(text) : undefined));
    });
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    t.after(async () => {
      await http.close();
      await new Promise((resolve) => srv.close(resolve));
    });
    const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/anything`;
    const r = await post(url, initBody());
    assert.equal(r.status, 200);
    assert.equal(((await r.json()) as { result: { protocolVersion: string } }).result.protocolVersion, '2025-11-25');
  });

  it('ends open streams and sessions on close()', async (t) => {
    const { url, http, server } = await start(t);
    const h = await initSession(url);
    const get = new SseReader(await fetch(url, { headers: { ...h, accept: 'text/event-stream' } }));
    await get.next();
    await http.close();
    assert.equal(await get.next(), undefined);
    assert.equal(server.sessionCount, 0);
    assert.equal(http.sessionCount, 0);
  });

  it('unknown paths on the listener answer 404', async (t) => {
    const { url } = await start(t);
    const r = await fetch(new URL('/other', url));
    assert.equal(r.status, 404);
    await r.body?.cancel();
  });
});

describe('official SDK client interop', () => {
  for (const enableJsonResponse of [false, true]) {
    it(`connects, lists tools and calls echo (${enableJsonResponse ? 'JSON' : 'SSE'} responses)`, async (t) => {
      const { url } = await start(t, { enableJsonResponse });
      const client = new Client({ name: 'sdk', version: '1.0.0' });
      const transport = new StreamableHTTPClientTransport(new URL(url));
      await client.connect(transport);
      t.after(() => client.close());
      const { tools } = await client.listTools();
      assert.ok(tools.some((tool) => tool.name === 'echo'));
      const r = await client.callTool({ name: 'echo', arguments: { text: 'interop' } });
      assert.deepEqual(r.content, [{ type: 'text', text: 'interop' }]);
      await transport.terminateSession();
    });
  }

  it('resumes a stream the server closed mid-call (SEP-1699) with the SDK client', async (t) => {
    const { url } = await start(t, { retryMs: 20 });
    const client = new Client({ name: 'sdk', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(url));
    await client.connect(transport);
    t.after(() => client.close());
    const r = await client.callTool({ name: 'reconnect', arguments: {} });
    assert.deepEqual(r.content, [{ type: 'text', text: 'result after reconnect' }]);
  });
});
