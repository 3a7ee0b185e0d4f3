/**
 * SSE streams of the Streamable HTTP server under load and over their lifetime: backpressure
 * on chatty tools, large resumption replays, deletion of finished POST streams, and one socket
 * write per answer.
 */
import assert from 'node:assert/strict';
import { Agent, createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { McpServer } from '../../server/index.js';
import { MemoryEventStore } from '../../stores/memory-event-store.js';
import { StreamableHttpServer, type StreamableHttpServerOptions } from './server.js';

const ACCEPT = 'application/json, text/event-stream';
const KiB = 1024;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Test-controlled latches, as in server.test.ts. */
const gates = new Map<string, () => void>();
const gateOpened = (key: string): Promise<void> => new Promise((resolve) => gates.set(key, resolve));
async function openGate(key: string): Promise<void> {
  await until(`gate ${key} to be reached`, () => gates.has(key));
  const open = gates.get(key)!;
  gates.delete(key);
  open();
}

/** What the `flood` tool has done so far, by call key. */
const floods = new Map<string, { sent: number; done: boolean }>();

function makeServer(): McpServer {
  const server = new McpServer({ name: 'streams-test', version: '1.0.0' });
  server.tool('echo', { inputSchema: { type: 'object', properties: { text: { type: 'string' } } } }, (args) => ({ content: [{ type: 'text', text: String(args.text) }] }));
  // Logs `count` messages of `size` bytes, awaiting each, without ever yielding to the event loop itself.
  server.tool('flood', { inputSchema: { type: 'object' } }, async (args, ctx) => {
    const key = String(args.key);
    const state = { sent: 0, done: false };
    floods.set(key, state);
    if (args.startGate) await gateOpened(`${key}:start`);
    const pad = 'x'.repeat(Number(args.size));
    for (let i = 0; i < Number(args.count); i++) {
      await ctx.log('info', `${i}:${pad}`);
      state.sent++;
    }
    if (args.endGate) await gateOpened(`${key}:end`);
    state.done = true;
    return { content: [{ type: 'text', text: `flooded ${state.sent}` }] };
  });
  return server;
}

interface Harness {
  http: StreamableHttpServer;
  url: string;
  headers: Record<string, string>;
}

async function start(t: TestContext, options: Partial<StreamableHttpServerOptions> = {}): Promise<Harness> {
  const http = new StreamableHttpServer({ server: makeServer(), ...options });
  const { url } = await http.listen(0);
  t.after(() => http.close());
  const init = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: ACCEPT },
    body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } }),
  });
  await init.text();
  const headers = { 'mcp-session-id': init.headers.get('mcp-session-id')!, 'mcp-protocol-version': '2025-11-25' };
  const n = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: ACCEPT, ...headers }, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) });
  await n.text();
  return { http, url, headers };
}

/**
 * Resolves once the server has seen the next new connection close: a test that needs "the client
 * left before the tool wrote anything" waits on this, not on a fixed sleep (on a loaded machine
 * 20 ms was not always enough, and the tool's result then went to a stream still counted live).
 * The http.Server is private to StreamableHttpServer: reached by a cast, in this test only.
 */
function nextConnectionClosed(http: StreamableHttpServer): Promise<void> {
  const srv = (http as unknown as { httpServer: Server }).httpServer;
  return new Promise((resolve) => srv.once('connection', (socket: Socket) => socket.once('close', () => resolve())));
}

const floodCall = (id: number, args: Record<string, unknown>): string => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'flood', arguments: args } });

/** A response read by hand: paused at first, so the test decides when the client reads. */
interface Reading {
  res: IncomingMessage;
  /** Resumes reading; resolves when the connection ends. complete = ended properly, not cut. */
  readAll(): Promise<{ text: string; complete: boolean }>;
}

function open(method: string, url: string, headers: Record<string, string>, body?: string): Promise<Reading> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { accept: ACCEPT, ...(body ? { 'content-type': 'application/json' } : {}), ...headers }, agent: false });
    req.on('error', reject);
    req.on('response', (res) => {
      res.pause();
      res.on('error', () => {}); // 'aborted' when the server cuts the stream
      resolve({
        res,
        readAll: () =>
          new Promise((done) => {
            const chunks: string[] = [];
            res.setEncoding('utf8');
            res.on('data', (c: string) => chunks.push(c));
            res.once('close', () => done({ text: chunks.join(''), complete: res.complete }));
            res.resume();
          }),
      });
    });
    req.end(body);
  });
}

interface Event {
  id?: string;
  msg?: { id?: number; method?: string; params?: { data?: string }; result?: { content: { text: string }[] } };
}

function parse(text: string): Event[] {
  const out: Event[] = [];
  // Only whole events: a cut stream may end mid-event.
  for (const block of text.split('\n\n').slice(0, -1)) {
    const ev: Event = {};
    for (const line of block.split('\n')) {
      if (line.startsWith('id: ')) ev.id = line.slice(4);
      else if (line.startsWith('data: ') && line.length > 6) ev.msg = JSON.parse(line.slice(6)) as Event['msg'];
    }
    if (ev.id !== undefined || ev.msg !== undefined) out.push(ev);
  }
  return out;
}

/** Log indices carried by events, in order. */
const logIndices = (events: Event[]): number[] => events.filter((e) => e.msg?.method === 'notifications/message').map((e) => Number(e.msg!.params!.data!.split(':', 1)[0]));
const resultOf = (events: Event[], id: number): string | undefined => events.find((e) => e.msg?.id === id)?.msg?.result?.content[0]?.text;
const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

async function until(what: string, check: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

describe('SSE backpressure', () => {
  it('slows a chatty tool to its reader: a client that pauses reading still gets every log and the result, uncut', async (t) => {
    const { url, headers } = await start(t, { sse: { stallTimeoutMs: 5000 } });
    // 400 × 64 KiB = 25 MiB: far more than the kernel's socket buffers and the 8 MiB hard cut.
    const reading = await open('POST', url, headers, floodCall(1, { key: 'paced', count: 400, size: 64 * KiB }));
    await sleep(300);
    const state = floods.get('paced')!;
    assert.ok(!state.done && state.sent < 400, `the tool ran ahead of its paused reader (${state.sent} of 400 logs sent)`);
    const { text, complete } = await reading.readAll();
    assert.equal(complete, true, 'the stream was cut');
    const events = parse(text);
    assert.deepEqual(logIndices(events), range(0, 400));
    assert.equal(resultOf(events, 1), 'flooded 400');
  });

  it('cuts a reader that stays stuck after stallTimeoutMs; the tool finishes and Last-Event-ID recovers the rest', async (t) => {
    const { url, headers } = await start(t, { sse: { stallTimeoutMs: 200 } });
    const reading = await open('POST', url, headers, floodCall(2, { key: 'stuck', count: 200, size: 64 * KiB }));
    await until('the tool to finish once its stuck reader is cut', () => floods.get('stuck')?.done === true);
    const got = await reading.readAll();
    assert.equal(got.complete, false, 'the stuck stream was cut');
    const before = parse(got.text);
    const last = before.filter((e) => e.id).at(-1)!.id!;
    const resumed = await open('GET', url, { ...headers, accept: 'text/event-stream', 'last-event-id': last });
    const after = parse((await resumed.readAll()).text);
    assert.deepEqual([...logIndices(before), ...logIndices(after)], range(0, 200), 'each log exactly once across both connections');
    assert.equal(resultOf(after, 2), 'flooded 200');
  });
});

describe('SSE resumption replay', () => {
  it('delivers a stored backlog of more than 8 MiB whole on one resumed connection', async (t) => {
    const { url, headers, http } = await start(t);
    const left = nextConnectionClosed(http);
    const post = await open('POST', url, headers, floodCall(3, { key: 'big', count: 200, size: 64 * KiB, startGate: true }));
    const priming = await new Promise<string>((resolve) => {
      post.res.setEncoding('utf8');
      post.res.once('data', (c: string) => resolve(parse(c)[0]!.id!));
      post.res.resume();
    });
    post.res.destroy(); // the client goes away before the tool says anything
    await left;
    await openGate('big:start');
    await until('the tool to finish', () => floods.get('big')?.done === true);
    const resumed = await open('GET', url, { ...headers, accept: 'text/event-stream', 'last-event-id': priming });
    const { text, complete } = await resumed.readAll();
    assert.equal(complete, true, 'the replay was cut');
    const events = parse(text);
    assert.deepEqual(logIndices(events), range(0, 200), '12.5 MiB replayed');
    assert.equal(resultOf(events, 3), 'flooded 200');
  });

  it('replays more than 8 MiB to a client resuming a running request, then carries it on live', async (t) => {
    const { url, headers, http } = await start(t);
    const left = nextConnectionClosed(http);
    const post = await open('POST', url, headers, floodCall(4, { key: 'running', count: 200, size: 64 * KiB, startGate: true, endGate: true }));
    const priming = await new Promise<string>((resolve) => {
      post.res.setEncoding('utf8');
      post.res.once('data', (c: string) => resolve(parse(c)[0]!.id!));
      post.res.resume();
    });
    post.res.destroy();
    await left;
    await openGate('running:start');
    await until('the logs to be stored', () => floods.get('running')?.sent === 200);
    const resumed = await open('GET', url, { ...headers, accept: 'text/event-stream', 'last-event-id': priming });
    const all = resumed.readAll();
    await openGate('running:end');
    const { text, complete } = await all;
    assert.equal(complete, true, 'the replay was cut');
    const events = parse(text);
    assert.deepEqual(logIndices(events), range(0, 200));
    assert.equal(resultOf(events, 4), 'flooded 200');
  });
});

describe('POST streams in the EventStore', () => {
  it('stores no priming marker, deletes a stream that finished normally, and keeps one whose client left first', async (t) => {
    const eventStore = new MemoryEventStore();
    t.after(() => eventStore.close());
    const { url, headers, http } = await start(t, { eventStore });

    const waiting = await open('POST', url, headers, floodCall(5, { key: 'quiet', count: 0, size: 0, startGate: true }));
    await until('the call to start', () => floods.has('quiet'));
    assert.equal(eventStore.streamCount, 0, 'priming stored nothing');
    const done = waiting.readAll();
    await openGate('quiet:start');
    assert.equal(resultOf(parse((await done).text), 5), 'flooded 0');
    // Deleted once its last write has finished, which the client may see first.
    await until('the finished stream to be deleted', () => eventStore.streamCount === 0);

    const left = nextConnectionClosed(http);
    const chatty = await open('POST', url, headers, floodCall(6, { key: 'left', count: 3, size: 10, startGate: true }));
    chatty.res.destroy();
    await left;
    await openGate('left:start');
    await until('the call to finish', () => floods.get('left')?.done === true);
    await sleep(20);
    assert.equal(eventStore.streamCount, 1, 'the abandoned stream is kept for resumption');
  });
});

describe('socket writes', () => {
  /** Counts libuv write calls (each one syscall) on the server's sockets. */
  function countWrites(socket: Socket, counter: { n: number }): void {
    const handle = (socket as unknown as { _handle: Record<string, unknown> | null })._handle;
    if (!handle || handle.__counted) return;
    handle.__counted = true;
    for (const name of ['writev', 'writeBuffer', 'writeUtf8String', 'writeLatin1String', 'writeAsciiString', 'writeUcs2String']) {
      const original = handle[name];
      if (typeof original !== 'function') continue;
      handle[name] = function (this: unknown, ...args: unknown[]) {
        counter.n++;
        return (original as (...a: unknown[]) => unknown).apply(this, args);
      };
    }
  }

  for (const enableJsonResponse of [false, true]) {
    it(`answers a call in one socket write (${enableJsonResponse ? 'JSON' : 'SSE'} response)`, async (t) => {
      const mcp = new StreamableHttpServer({ server: makeServer(), enableJsonResponse });
      const counter = { n: 0 };
      const srv = createServer((req, res) => {
        countWrites(req.socket, counter);
        void mcp.handle(req, res);
      });
      await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      t.after(async () => {
        agent.destroy();
        await mcp.close();
        await new Promise((resolve) => srv.close(resolve));
      });
      const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/mcp`;
      const post = (headers: Record<string, string>, body: unknown): Promise<{ headers: Record<string, unknown>; text: string }> =>
        new Promise((resolve, reject) => {
          const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', accept: ACCEPT, ...headers } }, (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => (text += c));
            res.on('end', () => resolve({ headers: res.headers, text }));
          });
          req.on('error', reject);
          req.end(JSON.stringify(body));
        });
      const init = await post({}, { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } });
      const h = { 'mcp-session-id': String(init.headers['mcp-session-id']), 'mcp-protocol-version': '2025-11-25' };
      await post(h, { jsonrpc: '2.0', method: 'notifications/initialized' });
      const CALLS = 20;
      counter.n = 0;
      for (let i = 1; i <= CALLS; i++) {
        const r = await post(h, { jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'echo', arguments: { text: `n${i}` } } });
        assert.ok(r.text.includes(`"text":"n${i}"`), r.text);
      }
      assert.equal(counter.n / CALLS, 1, `socket writes per call: ${counter.n / CALLS}`);
    });
  }
});
