/**
 * End to end over real pipes: a client Endpoint in this process, a server Endpoint in a child
 * process (fixtures/echo-endpoint-server), joined by the two stdio transports.
 */
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { Endpoint } from '../../engine/endpoint.js';
import { McpError } from '../../protocol/errors.js';
import type { Result } from '../../protocol/types.js';
import { StdioClientTransport } from './client.js';
import { DEFAULT_MAX_MESSAGE_BYTES, serialize } from '../shared/framing.js';

class ClientEndpoint extends Endpoint {
  protected dispatchRequest(_method: string, params: Record<string, unknown> | undefined): Result {
    return params ?? {};
  }
  protected dispatchNotification(): void {}
}

const serverScript = fileURLToPath(new URL('./fixtures/echo-endpoint-server.js', import.meta.url));

describe('stdio end to end', () => {
  it('round-trips requests, and answers a 16 MiB + 1 request with a -32600 error for its id', async () => {
    const client = new ClientEndpoint({ defaultTimeoutMs: 20_000 });
    const transport = new StdioClientTransport({ command: process.execPath, args: [serverScript], stderr: 'pipe' });
    let serverLog = '';
    transport.stderr?.on('data', (c: Buffer) => (serverLog += c.toString()));
    let closed = false;
    client.onclose = () => (closed = true);
    await client.connect(transport);
    try {
      assert.deepEqual(await client.request('echo', { hello: 'wörld', n: [1, 2, 3] }), { hello: 'wörld', n: [1, 2, 3] });

      // The engine numbers ids 0, 1, 2…; the next request gets id 1. Size its line to limit + 1.
      const shape = (pad: string): string => serialize({ jsonrpc: '2.0', id: 1, method: 'echo', params: { pad } });
      const pad = 'x'.repeat(DEFAULT_MAX_MESSAGE_BYTES + 2 - Buffer.byteLength(shape('')));
      assert.equal(Buffer.byteLength(shape(pad)), DEFAULT_MAX_MESSAGE_BYTES + 2, 'limit + 1 bytes plus the newline');
      const err = await client.request('echo', { pad }).then(
        () => assert.fail('an oversized request must fail'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof McpError, `expected McpError, got ${String(err)}`);
      assert.equal(err.code, -32600);
      assert.equal(err.message, `Message of ${DEFAULT_MAX_MESSAGE_BYTES + 1} bytes exceeds the 16777216-byte limit`);
      assert.deepEqual(err.data, { limit: DEFAULT_MAX_MESSAGE_BYTES, bytes: DEFAULT_MAX_MESSAGE_BYTES + 1 });

      // The server dropped only that message; the session goes on.
      assert.deepEqual(await client.request('echo', { after: true }), { after: true });
    } finally {
      await client.close();
    }
    assert.equal(closed, true);
    // Logs travel on stderr, never stdout (basic/transports#stdio).
    assert.match(serverLog, /Dropped an inbound message of 16777217\+ bytes/);
    assert.deepEqual(transport.exitStatus, { code: 0, signal: null });
  });
});
