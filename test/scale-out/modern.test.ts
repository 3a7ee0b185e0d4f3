/**
 * 2026-07-28 across two nodes on one Redis, through a round-robin proxy: a multi-round-trip
 * tools/call whose retry lands on the other node (the nodes share the requestState secret), and
 * a subscriptions/listen held by one node hearing a list_changed raised on the other.
 */
import assert from 'node:assert/strict';
import { streamReader } from '../helpers/sse-read.js';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { RoundRobinProxy } from '../../src/cluster/proxy.js';
import { META } from '../../src/protocol/eras.js';
import { deleteKeys, requireRedis, testPrefix } from './helpers.js';
import { startInProcessNode, type InProcessNode } from './in-process.js';

const SECRET = 'shared-secret-of-this-deployment';

describe('2026-07-28 across two nodes', () => {
  let redis: Redis;
  let prefix: string;
  let nodes: InProcessNode[];
  let proxy: RoundRobinProxy;
  let url: string;
  const ran: string[] = [];

  before(async () => {
    redis = await requireRedis();
    prefix = testPrefix();
    nodes = [];
    for (const name of ['A', 'B']) {
      nodes.push(
        await startInProcessNode(
          prefix,
          (server) => {
            server.tool('greet', { description: 'asks a name' }, async (_a, ctx) => {
              ran.push(name);
              const r = await ctx.elicit({ message: 'Name?', requestedSchema: { type: 'object', properties: { name: { type: 'string' } } } }, { inputKey: 'who' });
              return { content: [{ type: 'text', text: `hi ${String(r.content?.name)} from ${name}` }] };
            });
          },
          { requestStateSecret: SECRET },
        ),
      );
    }
    proxy = new RoundRobinProxy({ backends: nodes.map((n) => n.origin) });
    url = `${(await proxy.listen()).url}/mcp`;
  });

  after(async () => {
    await proxy?.close();
    for (const n of nodes ?? []) await n.close();
    await deleteKeys(redis, prefix);
    await redis.quit();
  });

  const meta = { [META.protocolVersion]: '2026-07-28', [META.clientCapabilities]: { elicitation: {} } };
  const post = async (id: number, params: Record<string, unknown>) => {
    const r = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'greet' },
      body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'greet', ...params, _meta: meta } }),
    });
    return (await r.json()) as { result: { resultType: string; requestState?: string; content?: { text: string }[] } };
  };

  it('an MRTR retry that lands on the other node completes', async () => {
    ran.length = 0;
    const r1 = await post(1, {});
    assert.equal(r1.result.resultType, 'input_required');
    const r2 = await post(2, { inputResponses: { who: { action: 'accept', content: { name: 'Ada' } } }, requestState: r1.result.requestState });
    assert.equal(r2.result.resultType, 'complete');
    assert.deepEqual(ran.length, 2);
    assert.notEqual(ran[0], ran[1], `round robin put both rounds on one node: ${ran.join(',')}`);
    assert.equal(r2.result.content?.[0]?.text, `hi Ada from ${ran[1]}`);
  });

  it('a listen held by one node hears a list_changed raised on the other', async () => {
    const ac = new AbortController();
    const r = await fetch(url, {
      signal: ac.signal,
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'subscriptions/listen' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 'L', method: 'subscriptions/listen', params: { _meta: meta, notifications: { toolsListChanged: true } } }),
    });
    const holder = proxy.log.at(-1)!.backend;
    const other = nodes[1 - holder]!;
    const stream = streamReader(r.body!);
    const readUntil = (needle: string) => stream.readUntil(needle);
    await readUntil('notifications/subscriptions/acknowledged');
    // The relay subscription of each node is confirmed before the test starts (listen() awaits the
    // bus). Raise the change on the node NOT holding the stream.
    other.server.tool('added_on_other_node', {}, () => ({ content: [] }));
    await readUntil('notifications/tools/list_changed');
    assert.match(stream.text, /"io.modelcontextprotocol\/subscriptionId":"L"/);
    ac.abort();
  });
});
