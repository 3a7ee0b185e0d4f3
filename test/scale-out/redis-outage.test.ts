/**
 * Issue 4 (c): Redis goes away and comes back. We run our own redis-server on a free port so
 * we can stop it (SHUTDOWN SAVE) and start it again on the same data. Meanwhile /ready says
 * 503, MCP requests get an immediate 503 JSON-RPC error (no hang), and afterwards the same
 * session carries on — including its GET stream, whose subscription is restored.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createEverythingServer } from '../../examples/everything/server.js';
import { Client } from '../../src/client/index.js';
import { connectRedisStores, type RedisStores } from '../../src/stores/redis/index.js';
import { StreamableHttpClientTransport, StreamableHttpServer } from '../../src/transports/http/index.js';
import { startPrivateRedis, testPrefix, waitFor, type PrivateRedis } from './helpers.js';
import { registerFixtureTools } from './fixtures.js';

describe('Redis outage', { concurrency: false, timeout: 240_000 }, () => {
  let redis: PrivateRedis;
  let stores: RedisStores;
  let http: StreamableHttpServer;
  let origin: string;
  let mcpUrl: string;
  let client: Client;
  let transport: StreamableHttpClientTransport;
  const received: number[] = [];

  const status = async (path: string): Promise<number> => (await fetch(`${origin}${path}`)).status;

  before(async () => {
    redis = await startPrivateRedis();
    stores = await connectRedisStores({ url: redis.url, prefix: testPrefix(), heartbeatMs: 200 });
    stores.connection.onerror = () => {}; // connection errors are the point of this test
    const server = createEverythingServer();
    registerFixtureTools(server, () => stores.nodeId);
    http = new StreamableHttpServer({ server, ...stores.seams });
    ({ url: mcpUrl } = await http.listen(0, '127.0.0.1'));
    origin = new URL(mcpUrl).origin;
    client = new Client({ name: 'outage-test', version: '1' });
    client.onLogMessage = (p) => {
      if (p.logger === 'standalone') received.push(p.data as number);
    };
    transport = new StreamableHttpClientTransport(mcpUrl);
    await client.connect(transport);
  });

  after(async () => {
    await client?.close();
    await http?.close();
    await stores?.close();
    await redis?.dispose();
  });

  it('is live and ready while Redis is up', async () => {
    assert.equal(await status('/health'), 200);
    assert.equal(await status('/ready'), 200);
    const r = await client.callTool({ name: 'notify_standalone', arguments: { from: 1, count: 2 } });
    assert.deepEqual(r.content, [{ type: 'text', text: 'sent 2' }]);
    await waitFor('2 notifications', () => received.length === 2);
  });

  it('reports 503 on /ready, stays live on /health, and answers MCP requests with an immediate 503 JSON-RPC error while Redis is down', async () => {
    await redis.stop();
    await waitFor('/ready to report 503', async () => (await status('/ready')) === 503);
    const ready = (await (await fetch(`${origin}/ready`)).json()) as { ready: boolean; error?: string };
    assert.equal(ready.ready, false);
    assert.equal(await status('/health'), 200);

    const t0 = Date.now();
    const res = await fetch(mcpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': transport.sessionId!, 'mcp-protocol-version': '2025-11-25' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('retry-after'), '1');
    const body = (await res.json()) as { error: { code: number; message: string } };
    assert.equal(body.error.code, -32603);
    assert.match(body.error.message, /Redis\) is unreachable/);

    await assert.rejects(client.callTool({ name: 'echo', arguments: { text: 'x' } }), /HTTP 503: .*session store \(Redis\) is unreachable/);
    // Answered rather than queued until Redis returns (a loose bound: only "not hanging").
    assert.ok(Date.now() - t0 < 10_000, `answered in ${Date.now() - t0} ms`);
  });

  it('recovers: /ready returns to 200 and the same session, GET stream included, carries on', async () => {
    const sid = transport.sessionId;
    await redis.start();
    await waitFor('/ready to report 200', async () => (await status('/ready')) === 200, 15_000);
    const r = await client.callTool({ name: 'echo', arguments: { text: 'back' } });
    assert.deepEqual(r.content, [{ type: 'text', text: 'back' }]);
    assert.equal(transport.sessionId, sid, 'no re-initialization was needed');
    await client.callTool({ name: 'notify_standalone', arguments: { from: 3, count: 2 } });
    await waitFor('notifications on the restored GET stream', () => received.length === 4);
    assert.deepEqual(received, [1, 2, 3, 4]);
  });
});
