/**
 * Tasks across nodes (basic/utilities/tasks): a task-augmented tools/call runs on node A, and
 * the client's tasks/get, tasks/list, tasks/result and tasks/cancel land on node B. With the
 * Redis task store every one of them works, and a cancel on B stops the handler on A.
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

interface TaskNode extends InProcessNode {
  ran: string[];
  aborted: string[];
}

async function startNode(name: string, prefix: string, release: Promise<void>): Promise<TaskNode> {
  const ran: string[] = [];
  const aborted: string[] = [];
  const node = await startInProcessNode(prefix, async (server, stores) => {
    await server.useTaskStore(stores.taskStore);
    server.tool('work', { execution: { taskSupport: 'optional' } }, async (_args, ctx) => {
      ran.push(name);
      await Promise.race([release, new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => (aborted.push(name), resolve())))]);
      return { content: [{ type: 'text', text: `done on ${name}` }], structuredContent: { items: [], node: name } };
    });
  });
  return { ...node, ran, aborted };
}

describe('tasks across nodes', { concurrency: false, timeout: 240_000 }, () => {
  const prefix = testPrefix();
  let admin: Redis;
  let nodes: TaskNode[] = [];
  let proxy: RoundRobinProxy;
  let client: Client;
  let release!: () => void;

  before(async () => {
    admin = await requireRedis();
    const released = new Promise<void>((r) => (release = r));
    nodes = [await startNode('A', prefix, released), await startNode('B', prefix, released)];
    proxy = new RoundRobinProxy({
      backends: nodes.map((n) => n.origin),
      // Tool calls run on A; every tasks/* request is served by B.
      pick: (req) => {
        const body = req.body.toString();
        if (body.includes('"tools/call"')) return 0;
        if (body.includes('"tasks/')) return 1;
        return undefined;
      },
    });
    const { url } = await proxy.listen();
    client = new Client({ name: 'tasks-test', version: '1' });
    await client.connect(new StreamableHttpClientTransport(`${url}/mcp`));
  });

  after(async () => {
    release?.();
    await client?.close();
    await proxy?.close();
    for (const n of nodes) await n.close();
    if (admin) {
      await deleteKeys(admin, prefix);
      admin.disconnect();
    }
  });

  it('polls, lists and fetches the result on node B of a task running on node A', async () => {
    const { task } = await client.callToolAsTask({ name: 'work', arguments: {} }, { ttl: 60_000 });
    await waitFor('the task to start on A', () => nodes[0]!.ran.length === 1);
    assert.equal((await client.getTask(task.taskId)).status, 'working');
    assert.ok((await client.listTasks()).tasks.some((t) => t.taskId === task.taskId));
    const result = client.getTaskResult(task.taskId);
    release();
    const r = await result;
    assert.deepEqual(r.structuredContent, { items: [], node: 'A' });
    assert.equal((await client.getTask(task.taskId)).status, 'completed');
    assert.deepEqual(nodes.map((n) => n.ran.length), [1, 0], 'the handler ran once, on A');
  });

  it('stops the handler on node A when tasks/cancel lands on node B', async () => {
    // `release` already fired: a fresh gate for this task.
    for (const n of nodes) n.ran.length = 0;
    const gateNode = nodes[0]!;
    gateNode.server.tool('hold', { execution: { taskSupport: 'optional' } }, (_args, ctx) => {
      gateNode.ran.push('A');
      return new Promise<CallToolResult>((resolve) =>
        ctx.signal.addEventListener('abort', () => {
          gateNode.aborted.push('A');
          resolve({ content: [{ type: 'text', text: 'stopped' }] });
        }),
      );
    });
    const { task } = await client.callToolAsTask({ name: 'hold', arguments: {} }, { ttl: 60_000 });
    await waitFor('the task to start on A', () => gateNode.ran.length === 1);
    const cancelled = await client.cancelTask(task.taskId);
    assert.equal(cancelled.status, 'cancelled');
    await waitFor('the handler on A to see its signal abort', () => gateNode.aborted.includes('A'));
    assert.equal((await client.getTask(task.taskId)).status, 'cancelled', 'the late handler result did not overwrite the cancellation');
    const cancelLog = proxy.log.find((e) => e.body.includes('tasks/cancel'));
    assert.equal(cancelLog?.backend, 1, 'tasks/cancel was served by node B');
  });
});
