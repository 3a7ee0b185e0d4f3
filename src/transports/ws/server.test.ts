import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { WebSocket } from 'ws';
import { sleep, until, WAIT_MS } from '../../../test/helpers/pair.js';
import { Client, type ClientOptions } from '../../client/client.js';
import { initializeMessages, testServer, text } from '../tcp/fixtures/mcp-server.js';
import { WebSocketClientTransport } from './client.js';
import { McpWebSocketServer, type McpWebSocketServerOptions } from './server.js';

const LIMIT = 16 * 1024 * 1024;

async function start(t: TestContext, options?: Partial<McpWebSocketServerOptions>) {
  const { server, flood } = testServer();
  const wss = new McpWebSocketServer({ server, ...options });
  const { url } = await wss.listen();
  t.after(async () => {
    await wss.close();
    await server.close();
  });
  return { wss, server, url, flood };
}

async function connect(t: TestContext, url: string, options?: ClientOptions): Promise<Client> {
  const client = new Client({ name: 'ws-test', version: '1.0.0' }, options);
  await client.connect(new WebSocketClientTransport(url));
  t.after(() => client.close());
  return client;
}

type Msg = { id?: unknown; method?: string; result?: Record<string, unknown>; error?: { code: number; message: string } };

/** A bare `ws` client speaking JSON-RPC by hand. */
class Raw {
  readonly received: Msg[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => this.received.push(JSON.parse(d.toString()) as Msg));
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }
  static async open(t: TestContext, url: string, options?: ConstructorParameters<typeof WebSocket>[2]): Promise<Raw> {
    const ws = new WebSocket(url, options);
    ws.on('error', () => {});
    t.after(() => ws.terminate());
    await new Promise<void>((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
    return new Raw(ws);
  }
  send(value: unknown): void {
    this.ws.send(typeof value === 'string' ? value : JSON.stringify(value));
  }
  async initialize(): Promise<void> {
    const [init, initialized] = initializeMessages('init');
    this.send(init);
    await this.reply('init');
    this.send(initialized);
  }
  async reply(id: unknown, timeoutMs = 5000): Promise<Msg> {
    await until(() => this.received.some((m) => m.id === id && !m.method), timeoutMs, `response ${String(id)}`);
    return this.received.find((m) => m.id === id && !m.method)!;
  }
}

/** Heap (queued frames are V8 strings) plus Buffers: what an unbounded send queue would grow. */
function heldMemory(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** A ping request whose frame is exactly `bytes` long. */
function pingOfSize(id: number, bytes: number): string {
  const shape = (pad: string) => JSON.stringify({ jsonrpc: '2.0', id, method: 'ping', params: { pad } });
  const frame = shape('x'.repeat(bytes - Buffer.byteLength(shape(''))));
  assert.equal(Buffer.byteLength(frame), bytes);
  return frame;
}

describe('McpWebSocketServer', () => {
  it('serves a tool call with progress and a sampling round trip, one session per connection', async (t) => {
    const { wss, server, url } = await start(t);
    const client = await connect(t, url, {
      sampling: (params) => ({ role: 'assistant', model: 'test-model', content: { type: 'text', text: `echo ${(params.messages[0]!.content as { text: string }).text}` } }),
    });
    const progress: number[] = [];
    const r = await client.callTool({ name: 'steps', arguments: { steps: 3 } }, { onprogress: (p) => progress.push(p.progress) });
    assert.equal(text(r), 'did 3 steps');
    assert.deepEqual(progress, [1, 2, 3]);
    assert.equal(text(await client.callTool({ name: 'ask', arguments: { question: 'hi?' } })), 'model said: echo hi?');

    const second = await connect(t, url);
    assert.equal(text(await second.callTool({ name: 'echo', arguments: { a: 1 } })), '{"a":1}');
    assert.equal(wss.connectionCount, 2);
    assert.equal(server.sessionCount, 2);
    await second.close();
    await until(() => wss.connectionCount === 1 && server.sessionCount === 1, WAIT_MS, 'second connection gone');
  });

  it('answers a text frame that is not JSON with -32700 and serves the next request', async (t) => {
    const { url } = await start(t);
    const raw = await Raw.open(t, url);
    raw.send('{"jsonrpc":"2.0", "id": 1, "method": ');
    await until(() => raw.received.length === 1);
    assert.equal(raw.received[0]!.error?.code, -32700);
    assert.equal(raw.received[0]!.id, null);
    raw.send({ jsonrpc: '2.0', id: 2, method: 'ping' });
    assert.deepEqual((await raw.reply(2)).result, {});
  });

  it('accepts a 16 MiB frame, closes the connection that sends 16 MiB + 1 with 1009, and other connections carry on', async (t) => {
    const { url } = await start(t);
    const bystander = await connect(t, url);
    const raw = await Raw.open(t, url);
    raw.send(pingOfSize(1, LIMIT));
    assert.deepEqual((await raw.reply(1, 15_000)).result, {});
    raw.send(pingOfSize(2, LIMIT + 1));
    const closed = await raw.closed;
    assert.equal(closed.code, 1009);
    assert.ok(!raw.received.some((m) => m.id === 2), 'the oversized request is not served');
    assert.equal(text(await bystander.callTool({ name: 'echo', arguments: { still: 'here' } })), '{"still":"here"}');
  });

  it('closes a connection that sends a binary frame with 1003', async (t) => {
    const { url } = await start(t);
    const raw = await Raw.open(t, url);
    raw.ws.send(Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' })));
    const closed = await raw.closed;
    assert.equal(closed.code, 1003);
    assert.match(closed.reason, /text/);
  });

  it('rejects an upgrade from a foreign Origin with HTTP 403 and accepts loopback and listed origins', async (t) => {
    const { url } = await start(t);
    await assert.rejects(Raw.open(t, url, { origin: 'http://evil.example' }), /HTTP 403/);
    await Raw.open(t, url, { origin: 'http://localhost:5173' });

    const listed = await start(t, { allowedOrigins: ['https://app.example'] });
    await Raw.open(t, listed.url, { origin: 'https://app.example' });
    await assert.rejects(Raw.open(t, listed.url, { origin: 'https://other.example' }), /HTTP 403/);
  });

  it('refuses upgrades beyond maxConnections with HTTP 503 and admits again once one closes', async (t) => {
    const { wss, url } = await start(t, { maxConnections: 2 });
    const a = await Raw.open(t, url);
    await Raw.open(t, url);
    await assert.rejects(Raw.open(t, url), /HTTP 503/);
    a.ws.close();
    await until(() => wss.connectionCount === 1, WAIT_MS, 'slot released');
    await Raw.open(t, url);
    assert.equal(wss.connectionCount, 2);
  });

  it('terminates a peer that stops answering pings and keeps one that answers', async (t) => {
    // No idle timeout: only the missed pongs can end the deaf connection.
    const { wss, url } = await start(t, { pingIntervalMs: 100, idleTimeoutMs: 0 });
    const deaf = await Raw.open(t, url, { autoPong: false });
    const healthy = await Raw.open(t, url);
    let pings = 0;
    healthy.ws.on('ping', () => pings++);
    const closed = await deaf.closed;
    assert.equal(closed.code, 1006, 'terminated without a close frame');
    // The healthy peer lives through more ping rounds than it took to drop the deaf one.
    const seen = pings;
    await until(() => pings >= seen + 3, WAIT_MS, 'three more pings to the healthy peer');
    assert.equal(healthy.ws.readyState, WebSocket.OPEN);
    assert.equal(wss.connectionCount, 1);
  });

  it('closes a connection with no traffic for idleTimeoutMs with 1001', async (t) => {
    // 1 s idle timeout, traffic every 50 ms: the chatty peer survives unless one 50 ms tick slips by 20×.
    const { url } = await start(t, { idleTimeoutMs: 1000, pingIntervalMs: 0 });
    const chatty = await Raw.open(t, url);
    const idle = await Raw.open(t, url);
    const began = Date.now();
    const timer = setInterval(() => chatty.send({ jsonrpc: '2.0', id: Date.now(), method: 'ping' }), 50);
    t.after(() => clearInterval(timer));
    const closed = await idle.closed;
    assert.equal(closed.code, 1001);
    assert.equal(closed.reason, 'Idle timeout');
    assert.ok(Date.now() - began >= 990, 'not before the timeout');
    assert.equal(chatty.ws.readyState, WebSocket.OPEN, 'traffic keeps a connection alive');
  });

  it('closes a reader that stops reading with 1008 once its backlog passes maxQueuedBytes, holding memory bounded', async (t) => {
    const MiB = 1024 * 1024;
    const { server, url, flood } = await start(t, { maxQueuedBytes: 4 * MiB, closeGraceMs: 10_000 });
    const bystander = await connect(t, url);
    const slow = await Raw.open(t, url);
    await slow.initialize();
    const baseline = heldMemory();
    let peak = 0;
    const sample = (): void => void (peak = Math.max(peak, heldMemory() - baseline));
    const sampler = setInterval(sample, 2);
    t.after(() => clearInterval(sampler));
    slow.ws.pause(); // never read again (until the end of the test)
    // 400 × 256 KiB = 100 MiB of notifications, fired without waiting for the reader.
    slow.send({ jsonrpc: '2.0', id: 'flood', method: 'tools/call', params: { name: 'flood', arguments: { count: 400, size: 256 * 1024 } } });
    await until(() => server.sessionCount === 1, WAIT_MS, 'the slow session to be closed');
    sample(); // the backlog is still held here: the peer has not read it and the grace period runs
    clearInterval(sampler);
    assert.ok(flood.refused > 200, `most of the flood was refused (refused ${flood.refused})`);
    assert.ok(peak < 40 * MiB, `buffered memory stayed bounded (peak +${(peak / MiB).toFixed(1)} MiB of 100 MiB attempted)`);
    assert.equal(text(await bystander.callTool({ name: 'echo', arguments: { ok: true } })), '{"ok":true}');
    // Reading again, the peer finds the close frame queued behind its backlog.
    slow.ws.resume();
    const closed = await slow.closed;
    assert.equal(closed.code, 1008);
    assert.match(closed.reason, /Slow reader/);
  });

  it('keeps serving other clients while one floods it with pings', async (t) => {
    const { url } = await start(t);
    const client = await connect(t, url);
    const flooder = await Raw.open(t, url);
    let sent = 0;
    let stop = false;
    const flooding = (async () => {
      while (!stop) {
        for (let i = 0; i < 500; i++) flooder.send({ jsonrpc: '2.0', id: sent++, method: 'ping' });
        // Yield only as much as the socket needs to drain: as fast as the connection allows.
        while (flooder.ws.bufferedAmount > 1024 * 1024) await sleep(1);
        await new Promise((r) => setImmediate(r));
      }
    })();
    // Ten calls from a well-behaved client, each while the flood is running: all must complete
    // (a per-call timeout, not a speed target), and the flood must not have paused meanwhile.
    const sentBefore = sent;
    for (let i = 0; i < 10; i++) {
      const before = sent;
      assert.equal(text(await client.callTool({ name: 'echo', arguments: { n: i } }, { timeoutMs: 60_000 })), `{"n":${i}}`);
      await until(() => sent > before, WAIT_MS, 'the flood to go on');
    }
    stop = true;
    await flooding;
    await until(() => flooder.received.length > sent / 2, WAIT_MS, 'flood answered');
    assert.ok(sent - sentBefore > 2000, `flooder sent ${sent - sentBefore} pings during the calls`);
  });

  it('attach() serves WebSocket upgrades on an existing http server and leaves its routes alone', async (t) => {
    const { server } = testServer();
    const http: Server = createServer((_req, res) => res.end('plain http'));
    const wss = new McpWebSocketServer({ server, path: '/ws' });
    wss.attach(http);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    t.after(async () => {
      await wss.close();
      await server.close();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    });
    const port = (http.address() as AddressInfo).port;
    assert.equal(await (await fetch(`http://127.0.0.1:${port}/health`)).text(), 'plain http');
    const client = await connect(t, `ws://127.0.0.1:${port}/ws`);
    assert.equal(text(await client.callTool({ name: 'echo', arguments: { via: 'attach' } })), '{"via":"attach"}');
    await assert.rejects(Raw.open(t, `ws://127.0.0.1:${port}/elsewhere`), /HTTP 404/);
  });
});
