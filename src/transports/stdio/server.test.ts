import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../shared/framing.js';
import { StdioServerTransport } from './server.js';

/** A transport over PassThrough pipes; `output()` resolves with the next n lines written. */
function harness(options?: { maxMessageBytes?: number; stdout?: PassThrough }) {
  const stdin = new PassThrough();
  const stdout = options?.stdout ?? new PassThrough();
  const transport = new StdioServerTransport({ stdin, stdout, maxMessageBytes: options?.maxMessageBytes });
  const received: unknown[] = [];
  let waiter: (() => void) | undefined;
  transport.onmessage = (m) => {
    received.push(m);
    waiter?.();
  };
  const messages = (n: number): Promise<unknown[]> =>
    new Promise((resolve) => {
      const check = (): void => {
        if (received.length >= n) resolve(received.slice(0, n));
      };
      waiter = check;
      check();
    });
  let text = '';
  const output = (n: number): Promise<unknown[]> =>
    new Promise((resolve) => {
      const check = (): void => {
        const lines = text.split('\n').filter((l) => l !== '');
        if (lines.length >= n) {
          stdout.off('data', onData);
          resolve(lines.slice(0, n).map((l) => JSON.parse(l) as unknown));
        }
      };
      const onData = (c: Buffer): void => {
        text += c.toString('utf8');
        check();
      };
      stdout.on('data', onData);
      check();
    });
  return { stdin, stdout, transport, received, messages, output };
}

describe('StdioServerTransport', () => {
  it('delivers parsed messages and writes sent messages as newline-terminated lines', async () => {
    const h = harness();
    await h.transport.start();
    h.stdin.write('{"jsonrpc":"2.0","id":1,"method":"ping"}\n');
    assert.deepEqual(await h.messages(1), [{ jsonrpc: '2.0', id: 1, method: 'ping' }]);
    await h.transport.send({ jsonrpc: '2.0', id: 1, result: {} });
    assert.equal(h.stdout.read().toString(), '{"jsonrpc":"2.0","id":1,"result":{}}\n');
    await h.transport.close();
  });

  it('answers unparsable JSON with a -32700 parse error and keeps serving', async () => {
    const h = harness();
    await h.transport.start();
    h.stdin.write('{"jsonrpc":"2.0","id":1,"meth\n{"jsonrpc":"2.0","id":2,"method":"ping"}\n');
    const [err] = (await h.output(1)) as [{ id: unknown; error: { code: number; message: string } }];
    assert.equal(err.id, null);
    assert.equal(err.error.code, -32700);
    assert.match(err.error.message, /^Parse error/);
    assert.deepEqual(await h.messages(1), [{ jsonrpc: '2.0', id: 2, method: 'ping' }]);
    await h.transport.close();
  });

  it('answers a 16 MiB + 1 byte line with -32600 carrying its id, then serves the next message', async () => {
    const h = harness();
    await h.transport.start();
    const errors: Error[] = [];
    h.transport.onerror = (e) => errors.push(e);
    const limit = DEFAULT_MAX_MESSAGE_BYTES;
    const base = JSON.stringify({ jsonrpc: '2.0', id: 'big-1', method: 'echo', params: { pad: '' } });
    const big = JSON.stringify({ jsonrpc: '2.0', id: 'big-1', method: 'echo', params: { pad: 'x'.repeat(limit + 1 - base.length) } });
    assert.equal(Buffer.byteLength(big), limit + 1);
    // Written in 64 KiB pieces as a pipe would deliver it.
    const bytes = Buffer.from(big + '\n');
    for (let i = 0; i < bytes.length; i += 65536) h.stdin.write(bytes.subarray(i, i + 65536));
    h.stdin.write('{"jsonrpc":"2.0","id":2,"method":"ping"}\n');
    const [err] = await h.output(1);
    assert.deepEqual(err, {
      jsonrpc: '2.0',
      id: 'big-1',
      error: { code: -32600, message: `Message of ${limit + 1} bytes exceeds the 16777216-byte limit`, data: { limit, bytes: limit + 1 } },
    });
    assert.deepEqual(await h.messages(1), [{ jsonrpc: '2.0', id: 2, method: 'ping' }]);
    assert.equal(h.received.length, 1, 'the oversized message never reached onmessage');
    assert.equal((errors[0] as { code?: string } | undefined)?.code, 'ERR_MESSAGE_TOO_LARGE');
    await h.transport.close();
  });

  it('waits for drain when stdout is full and keeps messages in order', async () => {
    const stdout = new PassThrough({ highWaterMark: 16 });
    const h = harness({ stdout });
    await h.transport.start();
    const settled: number[] = [];
    const sends = [1, 2, 3, 4, 5].map((n) => h.transport.send({ jsonrpc: '2.0', method: 'n', params: { n } }).then(() => settled.push(n)));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(settled, [], 'no send resolves while nobody reads stdout');
    const lines = h.output(5);
    await Promise.all(sends);
    assert.deepEqual(settled, [1, 2, 3, 4, 5]);
    assert.deepEqual(
      (await lines).map((m) => (m as { params: { n: number } }).params.n),
      [1, 2, 3, 4, 5],
    );
    await h.transport.close();
  });

  it('closes once when stdin ends, without destroying stdin, and rejects later sends', async () => {
    const h = harness();
    let closes = 0;
    h.transport.onclose = () => closes++;
    await h.transport.start();
    h.stdin.end();
    await new Promise((r) => setImmediate(r));
    assert.equal(closes, 1);
    await h.transport.close();
    assert.equal(closes, 1);
    assert.equal(h.stdin.listenerCount('data'), 0);
    await assert.rejects(h.transport.send({ jsonrpc: '2.0', method: 'x' }), { code: 'ERR_CONNECTION_CLOSED' });
  });

  it('stops reading on close(): later input is not delivered and stdin stays usable', async () => {
    const h = harness();
    await h.transport.start();
    await h.transport.close();
    h.stdin.write('{"jsonrpc":"2.0","method":"late"}\n');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(h.received, []);
    assert.equal(h.stdin.destroyed, false);
    assert.equal(h.stdin.isPaused(), true);
  });
});
