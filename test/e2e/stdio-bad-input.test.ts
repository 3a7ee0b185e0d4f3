/**
 * Bad input over real stdio pipes against the everything server: each gets the spec-correct
 * error and the same process keeps serving the next request.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const serverPath = fileURLToPath(new URL('../../examples/everything/stdio.js', import.meta.url));

/**
 * Reads the server's stdout line by line. A reply is awaited without a timer of its own: the
 * wait ends with the reply, or with an error as soon as the server exits (with its stderr);
 * the test's own timeout is the only bound, so a slow, loaded machine is not a failure.
 */
class RawPeer {
  private buf = '';
  private waiters: { resolve: (m: Record<string, unknown>) => void; reject: (e: Error) => void }[] = [];
  private queue: Record<string, unknown>[] = [];
  private stderr = '';
  private exitError: Error | undefined;
  readonly exited: Promise<void>;
  constructor(readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      this.buf += d;
      let nl;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        const m = JSON.parse(line) as Record<string, unknown>;
        const w = this.waiters.shift();
        if (w) w.resolve(m);
        else this.queue.push(m);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (this.stderr = (this.stderr + d).slice(-4000)));
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitError = new Error(`server exited (code ${code}, signal ${signal}) before replying; stderr: ${this.stderr}`);
        for (const w of this.waiters.splice(0)) w.reject(this.exitError);
        resolve();
      });
    });
  }
  write(text: string): void {
    this.child.stdin.write(text);
  }
  next(): Promise<Record<string, unknown>> {
    const q = this.queue.shift();
    if (q) return Promise.resolve(q);
    if (this.exitError) return Promise.reject(this.exitError);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill();
    await this.exited;
  }
  async request(id: number, method: string, params?: object): Promise<Record<string, unknown>> {
    this.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n');
    return this.next();
  }
}

describe('stdio server under bad input', () => {
  let peer: RawPeer;
  let nextId = 100;
  const ping = async () => {
    const id = nextId++;
    const r = await peer.request(id, 'tools/call', { name: 'echo', arguments: { text: `still serving ${id}` } });
    assert.equal(r.id, id);
    assert.deepEqual((r.result as { content: unknown[] }).content, [{ type: 'text', text: `still serving ${id}` }]);
  };

  before(async () => {
    const child = spawn(process.execPath, [serverPath], { stdio: ['pipe', 'pipe', 'pipe'] });
    peer = new RawPeer(child);
    const init = await peer.request(1, 'initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } });
    assert.equal((init.result as { protocolVersion: string }).protocolVersion, '2025-11-25');
    peer.write(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) + '\n');
  });
  after(async () => {
    await peer?.stop();
  });

  test('malformed JSON gets -32700 with id null', async () => {
    peer.write('{"jsonrpc":"2.0","id":5,"method":\n');
    const r = await peer.next();
    assert.equal(r.id, null);
    assert.equal((r.error as { code: number }).code, -32700);
    await ping();
  });

  test('a message that is not JSON-RPC gets -32600', async () => {
    peer.write(JSON.stringify({ hello: 'world', id: 7 }) + '\n');
    const r = await peer.next();
    assert.equal((r.error as { code: number }).code, -32600);
    assert.equal(r.id, 7);
    await ping();
  });

  test('a batch array on a 2025-11-25 session gets -32600', async () => {
    peer.write(JSON.stringify([{ jsonrpc: '2.0', id: 8, method: 'ping' }]) + '\n');
    const r = await peer.next();
    assert.equal((r.error as { code: number }).code, -32600);
    await ping();
  });

  test('an unknown method gets -32601', async () => {
    const r = await peer.request(9, 'tools/explode');
    assert.equal((r.error as { code: number }).code, -32601);
    await ping();
  });

  test('wrong params get -32602 naming the field', async () => {
    const r = await peer.request(10, 'resources/read', { url: 'test://static-text' });
    assert.equal((r.error as { code: number }).code, -32602);
    assert.match((r.error as { message: string }).message, /uri/);
    await ping();
  });

  test('an unknown tool gets -32602; bad arguments get an isError result', async () => {
    const unknown = await peer.request(11, 'tools/call', { name: 'nope', arguments: {} });
    assert.equal((unknown.error as { code: number }).code, -32602);
    const bad = await peer.request(12, 'tools/call', { name: 'add_numbers', arguments: { a: 'five' } });
    assert.equal((bad.result as { isError: boolean }).isError, true);
    await ping();
  });

  test('a 16 MiB + 1 message gets -32600 correlated to its id, and the next request is served', async () => {
    const limit = 16 * 1024 * 1024;
    const head = JSON.stringify({ jsonrpc: '2.0', id: 13, method: 'tools/call', params: { name: 'echo', arguments: { text: '' } } });
    // Pad the text so the serialized line is exactly limit + 1 bytes.
    const pad = 'x'.repeat(limit + 1 - Buffer.byteLength(head));
    const line = head.replace('"text":""', `"text":"${pad}"`);
    assert.equal(Buffer.byteLength(line), limit + 1);
    peer.write(line + '\n');
    const r = await peer.next();
    assert.equal(r.id, 13);
    assert.equal((r.error as { code: number }).code, -32600);
    await ping();
  });

  test('a message of exactly 16 MiB is accepted', async () => {
    const limit = 16 * 1024 * 1024;
    const head = JSON.stringify({ jsonrpc: '2.0', id: 14, method: 'tools/call', params: { name: 'echo', arguments: { text: '' } } });
    const pad = 'y'.repeat(limit - Buffer.byteLength(head));
    peer.write(head.replace('"text":""', `"text":"${pad}"`) + '\n');
    const r = await peer.next();
    assert.equal(r.id, 14);
    assert.equal(((r.result as { content: { text: string }[] }).content[0]?.text ?? '').length, pad.length);
    await ping();
  });
});

describe('stdio server with a 2025-03-26 session', () => {
  test('a JSON-RPC batch is answered with one array of responses; notifications in it get none', async () => {
    const child = spawn(process.execPath, [serverPath], { stdio: ['pipe', 'pipe', 'pipe'] });
    const peer = new RawPeer(child);
    try {
      const init = await peer.request(1, 'initialize', { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 'raw', version: '1' } });
      assert.equal((init.result as { protocolVersion: string }).protocolVersion, '2025-03-26');
      peer.write(
        JSON.stringify([
          { jsonrpc: '2.0', method: 'notifications/initialized' },
          { jsonrpc: '2.0', id: 2, method: 'ping' },
          { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'echo', arguments: { text: 'in a batch' } } },
          { jsonrpc: '2.0', id: 4, method: 'no/such/method' },
        ]) + '\n',
      );
      const reply = (await peer.next()) as unknown as { id: number; result?: { content?: unknown[] }; error?: { code: number } }[];
      assert.ok(Array.isArray(reply), 'one array back');
      const byId = new Map(reply.map((r) => [r.id, r]));
      assert.equal(reply.length, 3);
      assert.deepEqual(byId.get(2)?.result, {});
      assert.deepEqual(byId.get(3)?.result?.content, [{ type: 'text', text: 'in a batch' }]);
      assert.equal(byId.get(4)?.error?.code, -32601);
    } finally {
      await peer.stop();
    }
  });
});
