import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { deleteKeys, requireRedis, testPrefix, REDIS_URL } from '../../test/scale-out/helpers.js';
import { runCluster, type ClusterHandle } from './cluster.js';

const SERVER_MODULE = fileURLToPath(new URL('../../test/scale-out/cluster-server.js', import.meta.url));

interface Reply {
  status: number;
  sessionId: string | undefined;
  messages: { id?: unknown; result?: { content?: { text: string }[] }; error?: unknown }[];
}

/** One request on its own TCP connection, so node:cluster may hand it to any worker. */
function post(url: string, body: unknown, sessionId?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    if (sessionId) headers['mcp-session-id'] = sessionId;
    const req = request(url, { method: 'POST', headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        const messages = text
          .split('\n')
          .filter((l) => l.startsWith('data: ') && l.length > 6)
          .map((l) => JSON.parse(l.slice(6)) as Reply['messages'][number]);
        const sid = res.headers['mcp-session-id'];
        resolve({ status: res.statusCode ?? 0, sessionId: Array.isArray(sid) ? sid[0] : sid, messages });
      });
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('runCluster', { concurrency: false, timeout: 180_000 }, () => {
  const prefix = testPrefix();
  let admin: Redis;
  let cluster: ClusterHandle | undefined;

  before(async () => {
    admin = await requireRedis();
  });

  after(async () => {
    await cluster?.stop();
    if (admin) {
      await deleteKeys(admin, prefix);
      admin.disconnect();
    }
  });

  it('refuses more than one worker without Redis (sessions could not be shared)', async () => {
    await assert.rejects(runCluster({ workers: 2, port: 0, serverModule: SERVER_MODULE }), /more than one worker needs redisUrl/);
  });

  it('serves one session from every worker on one shared port', async () => {
    cluster = await runCluster({ workers: 2, port: 0, redisUrl: REDIS_URL, redisPrefix: prefix, serverModule: SERVER_MODULE, heartbeatMs: 500 });
    assert.equal(cluster.workerPids().length, 2);
    assert.equal(new Set(cluster.nodeIds().values()).size, 2, 'each worker has its own node id');
    const origin = new URL(cluster.url).origin;
    for (const path of ['/health', '/ready']) assert.equal((await fetch(`${origin}${path}`)).status, 200, path);

    const init = await post(cluster.url, { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } });
    assert.equal(init.status, 200);
    const sid = init.sessionId;
    assert.ok(sid);
    assert.equal((await post(cluster.url, { jsonrpc: '2.0', method: 'notifications/initialized' }, sid)).status, 202);
    const pids = new Set<string>();
    for (let i = 1; i <= 12; i++) {
      const r = await post(cluster.url, { jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'whoami', arguments: {} } }, sid);
      assert.equal(r.status, 200, JSON.stringify(r));
      const text = r.messages.find((m) => m.id === i)?.result?.content?.[0]?.text;
      assert.ok(text, JSON.stringify(r.messages));
      pids.add((JSON.parse(text) as { nodeId: string }).nodeId);
    }
    assert.equal(pids.size, 2, `calls of one session were served by both workers: ${[...pids].join(', ')}`);
  });

  it('replaces a worker that dies, and stop() ends them all', async () => {
    const c = cluster!;
    const [victim] = c.workerPids();
    process.kill(victim!, 'SIGKILL');
    const deadline = Date.now() + 60_000;
    while ((c.workerPids().includes(victim!) || c.workerPids().length < 2) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(c.workerPids().length, 2);
    assert.ok(!c.workerPids().includes(victim!));
    const pids = c.workerPids();
    await c.stop();
    cluster = undefined;
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), /ESRCH/);
  });
});
