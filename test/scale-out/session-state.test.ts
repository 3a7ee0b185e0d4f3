/**
 * Session state across nodes: every node caches its copy of a session, and a change made on one
 * node (here logging/setLevel) must reach the copies other nodes already hold — not only
 * nodes that load the session afterwards.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { RoundRobinProxy } from '../../src/cluster/proxy.js';
import { Client } from '../../src/client/index.js';
import { StreamableHttpClientTransport } from '../../src/transports/http/index.js';
import { deleteKeys, requireRedis, spawnNodes, testPrefix, waitFor, type NodeProcess } from './helpers.js';

describe('session state across nodes', { concurrency: false, timeout: 240_000 }, () => {
  const prefix = testPrefix();
  let admin: Redis;
  let nodes: NodeProcess[] = [];
  let proxy: RoundRobinProxy;
  let client: Client;
  const logs: string[] = [];

  before(async () => {
    admin = await requireRedis();
    nodes = await spawnNodes(3, { prefix });
    proxy = new RoundRobinProxy({ backends: nodes.map((n) => n.origin) });
    const { url } = await proxy.listen();
    client = new Client({ name: 'state-test', version: '1' });
    client.onLogMessage = (p) => logs.push(`${p.level}:${String(p.data)}`);
    await client.connect(new StreamableHttpClientTransport(`${url}/mcp`));
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

  it('a log level set on one node filters the logs of calls on every node, including ones that already held the session', async () => {
    // Warm every node's copy: round robin spreads these over all three.
    for (let i = 0; i < 6; i++) await client.callTool({ name: 'test_tool_with_logging', arguments: {} });
    assert.ok(logs.some((l) => l.startsWith('info:')), 'info logs flow before the level is set');
    const warmed = proxy.hits();
    assert.ok(warmed.every((h) => h > 0), `every node served the session: ${JSON.stringify(warmed)}`);
    await client.setLoggingLevel('error');
    // The broadcast to the other nodes is asynchronous to the setLevel answer: wait until a
    // round of six calls (two per node) brings no info log, rather than for a fixed time.
    await waitFor('every node to apply setLevel(error)', async () => {
      logs.length = 0;
      for (let i = 0; i < 6; i++) await client.callTool({ name: 'test_tool_with_logging', arguments: {} });
      return logs.length === 0;
    });
    assert.deepEqual(logs, [], 'no node sent info logs after setLevel(error)');
  });
});
