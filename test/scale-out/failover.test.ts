/**
 * Issue 4 (b) and node failure: SIGKILL the process holding a client's GET stream, then the
 * one running a tool call. The client (our Client over Streamable HTTP, through the proxy)
 * must get every event it missed, keep its session, and see a clear error — not a hang — for
 * the call whose node died.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { RoundRobinProxy, type ProxiedRequest } from '../../src/cluster/proxy.js';
import { Client } from '../../src/client/index.js';
import { McpError } from '../../src/protocol/errors.js';
import { StreamableHttpClientTransport } from '../../src/transports/http/index.js';
import { deleteKeys, requireRedis, spawnNodes, testPrefix, waitFor, type NodeProcess } from './helpers.js';

/** Fresh GET streams go to node 0, `sleepy` calls to node 1, `notify_standalone` calls to node 2. */
function route(req: ProxiedRequest): number | undefined {
  if (req.method === 'GET' && req.headers['last-event-id'] === undefined) return 0;
  const body = req.body.toString();
  if (body.includes('"sleepy"')) return 1;
  if (body.includes('"notify_standalone"')) return 2;
  return undefined;
}

describe('node failure', { concurrency: false, timeout: 240_000 }, () => {
  const prefix = testPrefix();
  let admin: Redis;
  let nodes: NodeProcess[] = [];
  let proxy: RoundRobinProxy;
  let client: Client;
  const received: number[] = [];

  before(async () => {
    admin = await requireRedis();
    nodes = await spawnNodes(3, { prefix, heartbeatMs: 300 });
    proxy = new RoundRobinProxy({ backends: nodes.map((n) => n.origin), pick: route });
    const { url } = await proxy.listen();
    client = new Client({ name: 'failover-test', version: '1' });
    client.onLogMessage = (p) => {
      if (p.logger === 'standalone') received.push(p.data as number);
    };
    await client.connect(new StreamableHttpClientTransport(`${url}/mcp`));
    await waitFor('the GET stream on node 0', () => proxy.log.some((e) => e.method === 'GET' && !e.resume && e.backend === 0 && e.status === 200));
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

  it('notifications sent on node 2 reach the GET stream held by node 0, live', async () => {
    await client.callTool({ name: 'notify_standalone', arguments: { from: 1, count: 5 } });
    await waitFor('5 notifications', () => received.length >= 5);
    assert.deepEqual(received, [1, 2, 3, 4, 5]);
  });

  it('after SIGKILL of the GET-stream node, the client resumes on a survivor and gets every missed event once, in order', async () => {
    await nodes[0]!.kill();
    // Sent while the client has no stream: stored, then replayed on the resumed one.
    await client.callTool({ name: 'notify_standalone', arguments: { from: 6, count: 5 } });
    await waitFor('10 notifications', () => received.length >= 10, 15_000);
    assert.deepEqual(received, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const resumed = proxy.log.filter((e) => e.method === 'GET' && e.resume && e.status === 200);
    assert.ok(resumed.length >= 1 && resumed.every((e) => e.backend !== 0), JSON.stringify(proxy.log.filter((e) => e.method === 'GET')));
  });

  it('the session goes on: calls succeed and new notifications arrive live on the resumed stream', async () => {
    const r = await client.callTool({ name: 'echo', arguments: { text: 'still here' } });
    assert.deepEqual(r.content, [{ type: 'text', text: 'still here' }]);
    await client.callTool({ name: 'notify_standalone', arguments: { from: 11, count: 2 } });
    await waitFor('12 notifications', () => received.length >= 12);
    assert.deepEqual(received, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it('a call in flight on a node that dies ends with a JSON-RPC error naming the node, not a hang', async () => {
    const dead = nodes[1]!;
    const call = client.callTool({ name: 'sleepy', arguments: { ms: 30_000 } });
    const outcome = call.then(
      () => 'resolved',
      (e: unknown) => e,
    );
    await waitFor('the sleepy call running on node 1', () => proxy.log.some((e) => e.body.includes('"sleepy"') && e.backend === 1 && e.status === 200));
    const t0 = Date.now();
    await dead.kill();
    const e = await outcome;
    assert.ok(e instanceof McpError, `expected McpError, got ${String(e)}`);
    assert.equal(e.code, -32603);
    assert.equal(e.message, `node ${dead.nodeId} holding this request died`);
    // Well before the call's own 30 s (a loose bound: only "not a hang").
    assert.ok(Date.now() - t0 < 25_000, `took ${Date.now() - t0} ms`);
    // And the session still works on the last node standing.
    const r = await client.callTool({ name: 'echo', arguments: { text: 'last node' } });
    assert.deepEqual(r.content, [{ type: 'text', text: 'last node' }]);
  });
});
