import assert from 'node:assert/strict';
import { connect as netConnect, type Socket } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { until, WAIT_MS } from '../../../test/helpers/pair.js';
import { Client, type ClientOptions } from '../../client/client.js';
import { ErlmcpError } from '../../protocol/errors.js';
import { TcpClientTransport } from './client.js';
import { selfSignedCert } from './fixtures/cert.js';
import { initializeMessages, testServer, text } from './fixtures/mcp-server.js';
import { McpTcpServer, type McpTcpServerOptions } from './server.js';

const LIMIT = 16 * 1024 * 1024;
const MiB = 1024 * 1024;

async function start(t: TestContext, options?: Partial<McpTcpServerOptions>) {
  const { server, flood } = testServer();
  const tcp = new McpTcpServer({ server, ...options });
  const errors: Error[] = [];
  tcp.onerror = (e) => errors.push(e);
  server.onerror = (e) => errors.push(e);
  const { port, url } = await tcp.listen();
  t.after(async () => {
    await tcp.close();
    await server.close();
  });
  return { tcp, server, port, url, flood, errors };
}

async function connect(t: TestContext, port: number, options?: ClientOptions): Promise<Client> {
  const client = new Client({ name: 'tcp-test', version: '1.0.0' }, options);
  await client.connect(new TcpClientTransport({ port, reconnect: false }));
  t.after(() => client.close());
  return client;
}

type Msg = { id?: unknown; method?: string; result?: Record<string, unknown>; error?: { code: number; message: string; data?: unknown } };

/** A bare socket speaking newline-delimited JSON-RPC by hand. */
class Raw {
  readonly received: Msg[] = [];
  readonly closed: Promise<void>;
  private buffer = '';
  constructor(readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('error', () => {});
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        this.received.push(JSON.parse(this.buffer.slice(0, nl)) as Msg);
        this.buffer = this.buffer.slice(nl + 1);
      }
    });
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }
  static async open(t: TestContext, port: number): Promise<Raw> {
    const socket = netConnect({ host: '127.0.0.1', port });
    t.after(() => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new Raw(socket);
  }
  send(value: unknown): void {
    this.socket.write((typeof value === 'string' ? value : JSON.stringify(value)) + '\n');
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

function pingOfSize(id: number, bytes: number): string {
  const shape = (pad: string) => JSON.stringify({ jsonrpc: '2.0', id, method: 'ping', params: { pad } });
  const line = shape('x'.repeat(bytes - Buffer.byteLength(shape(''))));
  assert.equal(Buffer.byteLength(line), bytes);
  return line;
}

function heldMemory(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

describe('McpTcpServer', () => {
  it('serves a tool call with progress and a sampling round trip, one session per connection', async (t) => {
    const { tcp, server, port, url } = await start(t);
    assert.equal(url, `tcp://127.0.0.1:${port}`);
    const client = await connect(t, port, {
      sampling: (params) => ({ role: 'assistant', model: 'm', content: { type: 'text', text: `echo ${(params.messages[0]!.content as { text: string }).text}` } }),
    });
    const progress: string[] = [];
    const r = await client.callTool({ name: 'steps', arguments: { steps: 3 } }, { onprogress: (p) => progress.push(p.message ?? '') });
    assert.equal(text(r), 'did 3 steps');
    assert.deepEqual(progress, ['step 1', 'step 2', 'step 3']);
    assert.equal(text(await client.callTool({ name: 'ask', arguments: { question: 'why?' } })), 'model said: echo why?');
    const second = await connect(t, port);
    await second.ping();
    assert.equal(tcp.connectionCount, 2);
    assert.equal(server.sessionCount, 2);
    await second.close();
    await until(() => tcp.connectionCount === 1 && server.sessionCount === 1, WAIT_MS, 'second connection gone');
  });

  it('answers a line that is not JSON with -32700 and serves the next request', async (t) => {
    const { port } = await start(t);
    const raw = await Raw.open(t, port);
    raw.send('{"jsonrpc":"2.0","id":1,"method":');
    await until(() => raw.received.length === 1);
    assert.equal(raw.received[0]!.error?.code, -32700);
    raw.send({ jsonrpc: '2.0', id: 2, method: 'ping' });
    assert.deepEqual((await raw.reply(2)).result, {});
  });

  it('accepts a 16 MiB line and answers a 16 MiB + 1 line with -32600 for its id, then serves the next', async (t) => {
    const { port, errors } = await start(t);
    const raw = await Raw.open(t, port);
    raw.send(pingOfSize(1, LIMIT));
    assert.deepEqual((await raw.reply(1, 15_000)).result, {});
    raw.send(pingOfSize(2, LIMIT + 1));
    const tooBig = await raw.reply(2, 15_000);
    assert.equal(tooBig.error?.code, -32600);
    assert.deepEqual(tooBig.error?.data, { limit: LIMIT, bytes: LIMIT + 1 });
    raw.send({ jsonrpc: '2.0', id: 3, method: 'ping' });
    assert.deepEqual((await raw.reply(3)).result, {});
    assert.ok(errors.some((e) => e instanceof ErlmcpError && e.code === 'ERR_MESSAGE_TOO_LARGE'));
  });

  it('tells a connection beyond maxConnections why in a JSON-RPC error line, closes it, and admits again later', async (t) => {
    const { tcp, port } = await start(t, { maxConnections: 2 });
    const a = await Raw.open(t, port);
    await Raw.open(t, port);
    const refused = await Raw.open(t, port);
    await refused.closed;
    assert.equal(refused.received.length, 1);
    assert.equal(refused.received[0]!.id, null);
    assert.equal(refused.received[0]!.error?.code, -32000);
    assert.match(refused.received[0]!.error!.message, /Too many connections \(limit 2\)/);
    a.socket.end();
    await until(() => tcp.connectionCount === 1, WAIT_MS, 'slot released');
    const again = await Raw.open(t, port);
    again.send({ jsonrpc: '2.0', id: 1, method: 'ping' });
    assert.deepEqual((await again.reply(1)).result, {});
  });

  it('closes a connection with no traffic for idleTimeoutMs', async (t) => {
    const { port, errors } = await start(t, { idleTimeoutMs: 200 });
    const chatty = await Raw.open(t, port);
    const idle = await Raw.open(t, port);
    const timer = setInterval(() => chatty.send({ jsonrpc: '2.0', id: Date.now(), method: 'ping' }), 50);
    t.after(() => clearInterval(timer));
    const began = Date.now();
    await idle.closed;
    assert.ok(Date.now() - began >= 150, 'not long before the timeout');
    assert.equal(chatty.socket.destroyed, false, 'traffic keeps a connection alive');
    assert.ok(errors.some((e) => e instanceof ErlmcpError && e.code === 'ERR_TIMEOUT'));
  });

  it('drops a reader that stops reading once its backlog passes maxQueuedBytes, holding memory bounded', async (t) => {
    const { server, port, flood, errors } = await start(t, { maxQueuedBytes: 4 * MiB });
    const bystander = await connect(t, port);
    const slow = await Raw.open(t, port);
    await slow.initialize();
    const baseline = heldMemory();
    let peak = 0;
    const sample = (): void => void (peak = Math.max(peak, heldMemory() - baseline));
    const sampler = setInterval(sample, 2);
    t.after(() => clearInterval(sampler));
    slow.socket.pause();
    // 400 × 256 KiB = 100 MiB of notifications, fired without waiting for the reader.
    slow.send({ jsonrpc: '2.0', id: 'flood', method: 'tools/call', params: { name: 'flood', arguments: { count: 400, size: 256 * 1024 } } });
    await until(() => server.sessionCount === 1, WAIT_MS, 'the slow session to be closed');
    sample();
    clearInterval(sampler);
    assert.ok(flood.refused > 200, `most of the flood was refused (refused ${flood.refused})`);
    assert.ok(peak < 40 * MiB, `buffered memory stayed bounded (peak +${(peak / MiB).toFixed(1)} MiB of 100 MiB attempted)`);
    assert.ok(errors.some((e) => /Slow reader: over 4194304 bytes queued/.test(e.message)), 'the reason is logged');
    assert.equal(text(await bystander.callTool({ name: 'echo', arguments: { ok: true } })), '{"ok":true}');
    slow.socket.resume();
    await slow.closed;
  });

  it('keeps serving other clients while one floods it with pings', async (t) => {
    const { port } = await start(t);
    const client = await connect(t, port);
    const flooder = await Raw.open(t, port);
    let sent = 0;
    let stop = false;
    const flooding = (async () => {
      while (!stop) {
        let batch = '';
        for (let i = 0; i < 500; i++) batch += `{"jsonrpc":"2.0","id":${sent++},"method":"ping"}\n`;
        if (!flooder.socket.write(batch)) await new Promise((r) => flooder.socket.once('drain', r));
        await new Promise((r) => setImmediate(r));
      }
    })();
    // Ten calls from a well-behaved client, each while the flood is running: all must complete
    // (a per-call timeout, not a speed target), and the flood must not have paused meanwhile.
    const sentBefore = sent;
    for (let i = 0; i < 10; i++) {
      const before = sent;
      const r = await client.callTool({ name: 'echo', arguments: { n: i } }, { timeoutMs: 60_000 });
      assert.equal(r.isError, undefined);
      await until(() => sent > before, WAIT_MS, 'the flood to go on');
    }
    stop = true;
    await flooding;
    await until(() => flooder.received.length > sent / 2, WAIT_MS, 'flood answered');
    assert.ok(sent - sentBefore > 2000, `flooder sent ${sent - sentBefore} pings during the calls`);
  });

  it('serves TLS to a client that trusts its certificate and fails the handshake for one that does not', async (t) => {
    const { key, cert } = selfSignedCert();
    const { port, url, errors } = await start(t, { tls: { key, cert } });
    assert.equal(url, `tls://127.0.0.1:${port}`);
    const client = new Client({ name: 'tls-test', version: '1.0.0' });
    await client.connect(new TcpClientTransport({ port, tls: { ca: cert }, reconnect: false }));
    t.after(() => client.close());
    assert.equal(text(await client.callTool({ name: 'echo', arguments: { tls: 1 } })), '{"tls":1}');

    const untrusted = new TcpClientTransport({ port, tls: {}, reconnect: false });
    await assert.rejects(untrusted.start(), (e: unknown) => e instanceof ErlmcpError && e.code === 'ERR_TRANSPORT' && /self[- ]signed/i.test(e.message));
    // A plaintext peer on the TLS port is dropped at the handshake, never reaching a session.
    const plain = await Raw.open(t, port);
    plain.send({ jsonrpc: '2.0', id: 1, method: 'ping' });
    await plain.closed;
    assert.deepEqual(plain.received, []);
    await until(() => errors.some((e) => /TLS handshake failed/.test(e.message)), WAIT_MS, 'handshake failure logged');
  });
});
