import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { until, WAIT_MS } from '../../../test/helpers/pair.js';
import { Client } from '../../client/client.js';
import { ErlmcpError } from '../../protocol/errors.js';
import { selfSignedCert } from '../tcp/fixtures/cert.js';
import { testServer, text } from '../tcp/fixtures/mcp-server.js';
import { WebSocketClientTransport, WebSocketCloseError } from './client.js';
import { McpWebSocketServer, type McpWebSocketServerOptions } from './server.js';

async function start(t: TestContext, options?: Partial<McpWebSocketServerOptions>) {
  const { server } = testServer();
  const wss = new McpWebSocketServer({ server, ...options });
  const { url } = await wss.listen();
  t.after(async () => {
    await wss.close();
    await server.close();
  });
  return { wss, server, url };
}

/** Connects a Client and records what its transport reports. */
async function connect(t: TestContext, transport: WebSocketClientTransport) {
  const client = new Client({ name: 'ws-client-test', version: '1.0.0' });
  const errors: Error[] = [];
  let closed = false;
  client.onerror = (e) => errors.push(e);
  client.onclose = () => (closed = true);
  await client.connect(transport);
  t.after(() => client.close());
  return { client, errors, isClosed: () => closed };
}

describe('WebSocketClientTransport', () => {
  it('talks to a wss:// server whose self-signed certificate it is given, and refuses one it is not', async (t) => {
    const { key, cert } = selfSignedCert();
    const { url } = await start(t, { tls: { key, cert } });
    assert.match(url, /^wss:\/\/127\.0\.0\.1:\d+\/mcp\/ws$/);
    const { client } = await connect(t, new WebSocketClientTransport(url, { ca: cert }));
    assert.equal(text(await client.callTool({ name: 'echo', arguments: { secure: true } })), '{"secure":true}');

    const untrusted = new WebSocketClientTransport(url);
    await assert.rejects(untrusted.start(), (e: unknown) => e instanceof ErlmcpError && e.code === 'ERR_TRANSPORT' && /self[- ]signed/i.test(e.message));
  });

  it('fails start() with the HTTP status when the upgrade is refused', async (t) => {
    const { url } = await start(t);
    const transport = new WebSocketClientTransport(url, { origin: 'https://evil.example' });
    const reported: unknown[] = [];
    transport.onerror = (e) => reported.push(e);
    transport.onclose = () => reported.push('close');
    await assert.rejects(transport.start(), (e: unknown) => e instanceof ErlmcpError && e.code === 'ERR_TRANSPORT' && /HTTP 403 Forbidden.*invalid Origin/.test(e.message));
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(reported, [], 'a failed start is reported by its rejection only');
  });

  it('reports a 1009 close as ERR_MESSAGE_TOO_LARGE when its message is over the server limit, then closes', async (t) => {
    const { url } = await start(t, { maxMessageBytes: 4096 });
    const { client, errors, isClosed } = await connect(t, new WebSocketClientTransport(url));
    const call = client.callTool({ name: 'echo', arguments: { pad: 'x'.repeat(5000) } });
    await assert.rejects(call, (e: unknown) => e instanceof ErlmcpError && e.code === 'ERR_CONNECTION_CLOSED');
    await until(isClosed, WAIT_MS, 'onclose');
    const closeError = errors.find((e) => e instanceof WebSocketCloseError);
    assert.ok(closeError instanceof WebSocketCloseError, `errors: ${errors.map((e) => e.message).join('; ')}`);
    assert.equal(closeError.code, 'ERR_MESSAGE_TOO_LARGE');
    assert.equal(closeError.closeCode, 1009);
  });

  it('closes with 1009 itself when the server sends more than its maxMessageBytes', async (t) => {
    const { url } = await start(t);
    const transport = new WebSocketClientTransport(url, { maxMessageBytes: 4096 });
    const { client, errors, isClosed } = await connect(t, transport);
    await assert.rejects(client.callTool({ name: 'echo', arguments: { pad: 'x'.repeat(5000) } }), (e: unknown) => e instanceof ErlmcpError);
    await until(isClosed, WAIT_MS, 'onclose');
    assert.ok(errors.some((e) => e instanceof ErlmcpError && e.code === 'ERR_MESSAGE_TOO_LARGE'));
    assert.equal(transport.closeCode, 1009);
  });

  it('surfaces a server shutdown as a 1001 close error followed by onclose', async (t) => {
    const { wss, url } = await start(t);
    const transport = new WebSocketClientTransport(url);
    const { errors, isClosed } = await connect(t, transport);
    await wss.close();
    await until(isClosed, WAIT_MS, 'onclose');
    const e = errors.find((x) => x instanceof WebSocketCloseError);
    assert.ok(e instanceof WebSocketCloseError);
    assert.equal(e.code, 'ERR_CONNECTION_CLOSED');
    assert.equal(e.closeCode, 1001);
    assert.equal(e.closeReason, 'Server shutting down');
  });

  it('closes quietly on close(): no error, onclose once, sends rejected afterwards', async (t) => {
    const { url } = await start(t);
    const transport = new WebSocketClientTransport(url);
    const { client, errors } = await connect(t, transport);
    let closes = 0;
    const previous = transport.onclose;
    transport.onclose = () => {
      closes++;
      previous?.();
    };
    await client.close();
    await client.close();
    assert.equal(closes, 1);
    assert.equal(transport.closeCode, 1000);
    assert.deepEqual(errors, []);
    await assert.rejects(transport.send({ jsonrpc: '2.0', method: 'notifications/initialized' }), (e: unknown) => e instanceof ErlmcpError && e.code === 'ERR_CONNECTION_CLOSED');
  });
});
