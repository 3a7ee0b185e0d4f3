import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { until, WAIT_MS } from '../../../test/helpers/pair.js';
import { Client } from '../../client/client.js';
import { ErlmcpError, McpError } from '../../protocol/errors.js';
import type { CallToolResult } from '../../protocol/types.js';
import type { McpServer } from '../../server/server.js';
import { CONNECTION_LOST, TcpClientTransport, type TcpClientTransportOptions } from './client.js';
import { testServer, text } from './fixtures/mcp-server.js';
import { McpTcpServer } from './server.js';

/** A server on `port` (0 = any) that the test can stop and restart. */
async function serve(t: TestContext, port = 0): Promise<{ tcp: McpTcpServer; server: McpServer; port: number }> {
  const { server } = testServer();
  const tcp = new McpTcpServer({ server });
  const listening = await tcp.listen(port);
  t.after(async () => {
    await tcp.close();
    await server.close();
  });
  return { tcp, server, port: listening.port };
}

async function connect(t: TestContext, options: TcpClientTransportOptions) {
  const transport = new TcpClientTransport(options);
  const client = new Client({ name: 'tcp-client-test', version: '1.0.0' });
  const errors: Error[] = [];
  let closed = false;
  client.onerror = (e) => errors.push(e);
  client.onclose = () => (closed = true);
  await client.connect(transport);
  t.after(() => client.close());
  return { client, transport, errors, isClosed: () => closed };
}

describe('TcpClientTransport', () => {
  it('reconnects after the server restarts on the same port and the Client re-initializes transparently', async (t) => {
    const first = await serve(t);
    const { client, transport, errors } = await connect(t, { port: first.port, reconnect: { initialDelayMs: 50, maxDelayMs: 200 } });
    let reconnects = 0;
    transport.onreconnect = () => reconnects++;
    assert.equal(text(await client.callTool({ name: 'echo', arguments: { n: 1 } })), '{"n":1}');

    await first.tcp.close();
    await until(() => !transport.isConnected, WAIT_MS, 'the drop to be noticed');
    assert.ok(errors.some((e) => e instanceof ErlmcpError && e.code === 'ERR_CONNECTION_CLOSED' && /reconnecting/.test(e.message)));
    // A call made during the outage waits for the new connection, then runs in a new session.
    const during = client.callTool({ name: 'echo', arguments: { n: 2 } });
    await new Promise((r) => setTimeout(r, 150));
    const second = await serve(t, first.port);
    assert.equal(text(await during), '{"n":2}');
    assert.equal(reconnects, 1);
    assert.equal(second.server.sessionCount, 1);
    assert.equal(text(await client.callTool({ name: 'echo', arguments: { n: 3 } })), '{"n":3}');
  });

  it('fails a request in flight when the connection drops with a -32000 error instead of waiting for its timeout', async (t) => {
    const { tcp, port, server } = await serve(t);
    let running = false;
    server.tool('hang-here', {}, (_args, ctx) => {
      running = true;
      return new Promise<CallToolResult>((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
    });
    const { client } = await connect(t, { port, reconnect: { initialDelayMs: 5000 } });
    // The call's own timeout is 10 minutes: failing at all within the test's time shows it did not wait for it.
    const call = client.callTool({ name: 'hang-here' }, { timeoutMs: 600_000 });
    await until(() => running, WAIT_MS, 'the call to reach the server');
    const failed = assert.rejects(call, (e: unknown) => e instanceof McpError && e.code === CONNECTION_LOST && /Connection lost/.test(e.message));
    await tcp.close();
    await failed;
  });

  it('gives up after maxRetries failed attempts: onclose fires and sends are refused', async (t) => {
    const { tcp, port } = await serve(t);
    const { transport, errors, isClosed } = await connect(t, { port, reconnect: { initialDelayMs: 20, factor: 2, maxRetries: 3 } });
    await tcp.close();
    await until(isClosed, WAIT_MS, 'onclose after giving up');
    assert.ok(errors.some((e) => /Gave up reconnecting to 127\.0\.0\.1:\d+ after 3 attempts/.test(e.message)));
    await assert.rejects(transport.send({ jsonrpc: '2.0', method: 'notifications/initialized' }), (e: unknown) => e instanceof ErlmcpError && e.code === 'ERR_CONNECTION_CLOSED');
  });

  it('with reconnect: false, a drop closes the transport at once', async (t) => {
    const { tcp, port } = await serve(t);
    const { isClosed } = await connect(t, { port, reconnect: false });
    await tcp.close();
    await until(isClosed, WAIT_MS, 'onclose');
  });

  it('fails start() at once when nothing listens, without retrying', async (t) => {
    const { tcp, port } = await serve(t);
    await tcp.close();
    // With a first retry a minute away, an answer in well under a minute shows none was made.
    const transport = new TcpClientTransport({ port, reconnect: { initialDelayMs: 60_000 } });
    const began = Date.now();
    await assert.rejects(transport.start(), (e: unknown) => e instanceof ErlmcpError && e.code === 'ERR_TRANSPORT' && /ECONNREFUSED/.test(e.message));
    assert.ok(Date.now() - began < 30_000);
  });
});
