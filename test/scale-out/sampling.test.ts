/**
 * Issue 4 (d): one sampling round trip spread over three server processes. The proxy sends
 * every tools/call POST to node 0, every GET to node 1, and every client reply (a JSON-RPC
 * response) to node 2 — so the tool runs on 0, the client's stream is held by 1, and the
 * answer reaches 2, which must hand it to the call waiting on 0.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { RoundRobinProxy, type ProxiedRequest } from '../../src/cluster/proxy.js';
import { Client } from '../../src/client/index.js';
import { StreamableHttpClientTransport } from '../../src/transports/http/index.js';
import { deleteKeys, keysWithoutTtl, requireRedis, spawnNodes, testPrefix, waitFor, type NodeProcess } from './helpers.js';

function role(req: ProxiedRequest): number | undefined {
  if (req.method === 'GET') return 1;
  if (req.method !== 'POST') return undefined;
  let body: { method?: string; result?: unknown; error?: unknown } | undefined;
  try {
    body = JSON.parse(req.body.toString()) as typeof body;
  } catch {
    return undefined;
  }
  if (body?.method === 'tools/call') return 0;
  if (body && body.method === undefined && (body.result !== undefined || body.error !== undefined)) return 2;
  return undefined;
}

describe('sampling across three nodes', { concurrency: false, timeout: 240_000 }, () => {
  const prefix = testPrefix();
  let admin: Redis;
  let nodes: NodeProcess[] = [];
  let proxy: RoundRobinProxy;
  let client: Client;
  let prompts: string[];

  before(async () => {
    admin = await requireRedis();
    nodes = await spawnNodes(3, { prefix });
    proxy = new RoundRobinProxy({ backends: nodes.map((n) => n.origin), pick: role });
    const { url } = await proxy.listen();
    prompts = [];
    client = new Client(
      { name: 'scale-out-test', version: '1' },
      {
        sampling: (params) => {
          const block = params.messages[0]?.content as { text?: string } | undefined;
          prompts.push(String(block?.text));
          return { role: 'assistant', content: { type: 'text', text: `echo:${String(block?.text)}` }, model: 'test-model' };
        },
      },
    );
    await client.connect(new StreamableHttpClientTransport(`${url}/mcp`, { reconnection: { initialDelayMs: 100 } }));
  });

  after(async () => {
    await client?.close();
    await proxy?.close();
    await Promise.all(nodes.map((n) => n.stop()));
    if (admin) {
      await deleteKeys(admin, prefix);
      admin.disconnect();
    }
  });

  it('a reply POSTed to node 2 completes the sampling call running on node 0', async () => {
    const start = proxy.log.length;
    const r = await client.callTool({ name: 'test_sampling', arguments: { prompt: 'three nodes' } });
    assert.deepEqual(r.content, [{ type: 'text', text: 'LLM response: echo:three nodes' }]);
    const log = proxy.log.slice(start);
    assert.ok(log.some((e) => e.method === 'POST' && e.body.includes('"tools/call"') && e.backend === 0 && e.status === 200), JSON.stringify(log));
    // The call can complete before the proxy has relayed node 2's 202 for the reply: wait for it.
    await waitFor('the reply answered by node 2', () => proxy.log.slice(start).some((e) => e.method === 'POST' && e.body.includes('"result"') && e.backend === 2 && e.status === 202));
  });

  it('a sampling request sent on a stream resumed on node 1 arrives live, and the reply via node 2 completes the call on node 0', async () => {
    const start = proxy.log.length;
    const r = await client.callTool({ name: 'sample_after_reconnect', arguments: { prompt: 'resumed' } });
    const text = (r.content as { text: string }[])[0]?.text ?? '';
    assert.equal(text, `sampled on ${nodes[0]!.nodeId}: echo:resumed`);
    const log = proxy.log.slice(start);
    assert.ok(log.some((e) => e.method === 'GET' && e.resume && e.backend === 1 && e.status === 200), JSON.stringify(log));
    await waitFor('the reply answered by node 2', () => proxy.log.slice(start).some((e) => e.method === 'POST' && e.body.includes('"result"') && e.backend === 2 && e.status === 202));
    // Live, not polled: one resumption carried both the request and the result.
    assert.equal(log.filter((e) => e.method === 'GET' && e.resume).length, 1, JSON.stringify(log));
    assert.deepEqual(prompts.slice(-1), ['resumed']);
  });

  it('leaves no Redis key without a TTL', async () => {
    assert.deepEqual(await keysWithoutTtl(admin, prefix), []);
  });
});
