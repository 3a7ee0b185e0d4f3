/**
 * Server-wide notifications and cancellations across nodes (docs/deployment.md#notifications-across-nodes).
 * Three in-process nodes share one Redis; the client talks to nodes A and B through a
 * round-robin proxy, so both hold a copy of its session, and node C never sees it. Whichever
 * node the application calls, a subscribed session gets each resources/updated and each
 * list_changed exactly once; a cancellation that lands on another node stops the handler.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { Client } from '../../src/client/index.js';
import { RoundRobinProxy } from '../../src/cluster/proxy.js';
import type { CallToolResult } from '../../src/protocol/types.js';
import { StreamableHttpClientTransport } from '../../src/transports/http/index.js';
import { deleteKeys, requireRedis, testPrefix, waitFor } from './helpers.js';
import { startInProcessNode, type InProcessNode } from './in-process.js';

interface Node extends InProcessNode {
  name: string;
  aborted: string[];
}

async function startNode(name: string, prefix: string): Promise<Node> {
  const aborted: string[] = [];
  const node = await startInProcessNode(prefix, (server) => {
    for (const uri of ['test://doc', 'test://sentinel']) server.resource(uri, { name: uri }, () => ({ contents: [{ uri, text: 'x' }] }));
    server.tool('wait_for_cancel', { description: 'Runs until cancelled' }, (_args, ctx) => {
      return new Promise<CallToolResult>((resolve) => {
        ctx.signal.addEventListener('abort', () => {
          aborted.push(name);
          resolve({ content: [{ type: 'text', text: 'cancelled' }] });
        });
      });
    });
  });
  return { ...node, name, aborted };
}

describe('notifications and cancellations across nodes', { concurrency: false, timeout: 240_000 }, () => {
  const prefix = testPrefix();
  let admin: Redis;
  let nodes: Node[] = [];
  let proxy: RoundRobinProxy;
  let client: Client;
  let transport: StreamableHttpClientTransport;
  const received: string[] = [];

  before(async () => {
    admin = await requireRedis();
    nodes = await Promise.all(['A', 'B', 'C'].map((n) => startNode(n, prefix)));
    proxy = new RoundRobinProxy({
      backends: [nodes[0]!.origin, nodes[1]!.origin],
      // The long call runs on A and its cancellation lands on B; everything else alternates.
      pick: (req) => {
        const body = req.body.toString();
        if (body.includes('wait_for_cancel')) return 0;
        if (body.includes('notifications/cancelled')) return 1;
        return undefined;
      },
    });
    const { url } = await proxy.listen();
    client = new Client({ name: 'fanout-test', version: '1' });
    client.onResourceUpdated = (uri) => received.push(`updated ${uri}`);
    client.onToolsListChanged = () => received.push('tools/list_changed');
    transport = new StreamableHttpClientTransport(`${url}/mcp`);
    await client.connect(transport);
    await client.subscribeResource('test://doc');
    await client.subscribeResource('test://sentinel');
    // Warm both proxied nodes' copies of the session.
    for (let i = 0; i < 4; i++) await client.listResources();
    assert.ok(proxy.hits().every((h) => h > 0), `both proxied nodes served the session: ${JSON.stringify(proxy.hits())}`);
  });

  after(async () => {
    await client?.close();
    await proxy?.close();
    for (const n of nodes) await n.close();
    if (admin) {
      await deleteKeys(admin, prefix);
      admin.disconnect();
    }
  });

  /** Notifies, then sends a sentinel from the same node and waits for it: the stream is ordered, so anything owed has arrived. */
  async function settle(node: Node): Promise<void> {
    const before = received.filter((r) => r === 'updated test://sentinel').length;
    await node.server.notifyResourceUpdated('test://sentinel');
    await waitFor('the sentinel notification', () => received.filter((r) => r === 'updated test://sentinel').length > before);
  }

  it('delivers a resources/updated sent from a node that never saw the session, exactly once', async () => {
    received.length = 0;
    await nodes[2]!.server.notifyResourceUpdated('test://doc');
    await settle(nodes[2]!);
    assert.deepEqual(received, ['updated test://doc', 'updated test://sentinel']);
  });

  it('delivers a resources/updated sent from a node holding a copy once, not once per copy', async () => {
    received.length = 0;
    await nodes[0]!.server.notifyResourceUpdated('test://doc');
    await settle(nodes[0]!);
    assert.deepEqual(received, ['updated test://doc', 'updated test://sentinel']);
  });

  it('stops sending resources/updated after an unsubscribe made on another node', async () => {
    await client.unsubscribeResource('test://doc');
    received.length = 0;
    await nodes[2]!.server.notifyResourceUpdated('test://doc');
    await settle(nodes[2]!);
    assert.deepEqual(received, ['updated test://sentinel']);
  });

  it('delivers tools/list_changed from a registry change on any node, once', async () => {
    received.length = 0;
    nodes[2]!.server.tool('added_on_c', { description: 'new' }, () => ({ content: [] }));
    await waitFor('tools/list_changed', () => received.includes('tools/list_changed'));
    await settle(nodes[2]!);
    assert.deepEqual(received, ['tools/list_changed', 'updated test://sentinel']);
  });

  it('answers 503, not 202, to a reply no node is waiting for, so an acknowledged reply is never dropped', async () => {
    const sessionId = transport.sessionId!;
    const post = (origin: string, body: unknown): Promise<Response> =>
      fetch(`${origin}/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' },
        body: JSON.stringify(body),
      });
    const r = await post(nodes[2]!.origin, { jsonrpc: '2.0', id: 'gone-1', result: {} });
    assert.equal(r.status, 503);
    assert.equal(r.headers.get('retry-after'), '1');
    assert.match(((await r.json()) as { error: { message: string } }).error.message, /no server node is waiting for this response/);
    // A notification is still acknowledged as before.
    const n = await post(nodes[2]!.origin, { jsonrpc: '2.0', method: 'notifications/roots/list_changed' });
    assert.equal(n.status, 202);
  });

  it('stops a tool call running on one node when its cancellation lands on another', async () => {
    const controller = new AbortController();
    const call = client.callTool({ name: 'wait_for_cancel', arguments: {} }, { signal: controller.signal });
    await waitFor('the call to reach node A', () => proxy.log.some((e) => e.body.includes('wait_for_cancel')));
    controller.abort('user gave up');
    await assert.rejects(call);
    await waitFor('the handler on node A to see its signal abort', () => nodes[0]!.aborted.length > 0);
    const cancel = proxy.log.find((e) => e.body.includes('notifications/cancelled'));
    assert.equal(cancel?.backend, 1, 'the cancellation was served by node B');
    assert.deepEqual(nodes.map((n) => n.aborted.length), [1, 0, 0]);
  });
});
