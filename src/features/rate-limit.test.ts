import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { RawPeer } from '../../test/helpers/pair.js';
import { McpServer } from '../server/index.js';
import { StreamableHttpServer } from '../transports/http/index.js';
import { rateLimit } from './rate-limit.js';

const closers: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c();
});

function newServer(): McpServer {
  const s = new McpServer({ name: 'rl', version: '1' });
  s.tool('a', {}, () => ({ content: [] }));
  s.tool('b', {}, () => ({ content: [] }));
  closers.push(() => s.close());
  return s;
}

describe('rate limiting inside a session', () => {
  it('serves `points` requests per window, refuses the next with -32000 rate_limited and retryAfterMs, and keeps serving other callers', async () => {
    const server = newServer();
    rateLimit(server, { points: 4, duration: 60 });
    const peer = await RawPeer.connect(server);
    await peer.initialize(); // initialize = 1 point
    for (let i = 0; i < 3; i++) assert.deepEqual((await peer.request('tools/call', { name: 'a' })).result, { content: [] });
    const refused = await peer.request('tools/call', { name: 'a' });
    assert.equal(refused.error?.code, -32000);
    const data = refused.error?.data as { reason: string; retryAfterMs: number };
    assert.equal(data.reason, 'rate_limited');
    assert.ok(data.retryAfterMs > 0 && data.retryAfterMs <= 60_000);
    await peer.close();
  });

  it('perTool budgets count per caller and tool', async () => {
    const server = newServer();
    rateLimit(server, { points: 1000, duration: 60, perTool: { a: { points: 2, duration: 60 } } });
    const peer = await RawPeer.connect(server);
    await peer.initialize();
    await peer.request('tools/call', { name: 'a' });
    await peer.request('tools/call', { name: 'a' });
    const third = await peer.request('tools/call', { name: 'a' });
    assert.match(third.error!.message, /Rate limit exceeded for a/);
    assert.deepEqual((await peer.request('tools/call', { name: 'b' })).result, { content: [] });
    await peer.close();
  });
});

describe('rate limiting before a session exists (HTTP)', () => {
  it('answers 429 with Retry-After past the budget for new sessions from one address', async () => {
    const server = newServer();
    rateLimit(server, { points: 2, duration: 60 });
    const http = new StreamableHttpServer({ server, enableJsonResponse: true });
    closers.push(() => http.close());
    const { url } = await http.listen(0);
    const init = () =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } } }),
      });
    // Each initialize counts at admission (by address) and again inside its new session (by session).
    assert.equal((await init()).status, 200);
    assert.equal((await init()).status, 200);
    const r = await init();
    assert.equal(r.status, 429);
    assert.ok(Number(r.headers.get('retry-after')) >= 1);
    const body = (await r.json()) as { error: { data: { reason: string } } };
    assert.equal(body.error.data.reason, 'rate_limited');
  });
});

describe('rate limiting across nodes (Redis)', () => {
  it('two servers sharing one Redis share one budget per caller', async (t) => {
    const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
    } catch {
      t.diagnostic('no Redis on 127.0.0.1:6379');
      throw new Error('this test needs Redis on 127.0.0.1:6379 (scripts/test.mjs starts one when redis-server is installed)');
    }
    closers.push(() => redis.quit());
    const keyPrefix = `erlmcp:test:rl:${process.pid}:${Date.now()}`;
    const servers = [newServer(), newServer()];
    for (const s of servers) rateLimit(s, { points: 3, duration: 60, redis, keyPrefix });
    // In-memory sessions have neither an id nor an address: on both nodes they are the same caller.
    const peers = await Promise.all(servers.map((s) => RawPeer.connect(s)));
    const results: (number | undefined)[] = [];
    for (const p of [peers[0]!, peers[1]!, peers[0]!, peers[1]!]) results.push((await p.request('ping')).error?.code);
    assert.deepEqual(results, [undefined, undefined, undefined, -32000]);
    const keys = await redis.keys(`${keyPrefix}*`);
    assert.ok(keys.length > 0, 'counters live in Redis');
    await redis.del(...keys);
    for (const p of peers) await p.close();
  });
});
