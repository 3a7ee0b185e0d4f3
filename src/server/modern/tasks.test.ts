/**
 * The tasks extension on 2026-07-28 (SEP-2663): opted into per request, server-directed task
 * creation with a flat CreateTaskResult, tasks/get inlining the outcome, cancel and update
 * acknowledged, everything -32021 for a request that did not declare the extension.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { RawPeer } from '../../../test/helpers/pair.js';
import { META } from '../../protocol/eras.js';
import type { CallToolResult } from '../../protocol/types.js';
import { McpServer } from '../server.js';
import { TASKS_EXTENSION } from './tasks.js';

let servers: McpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

/** `gate` lets a test hold the `slow` tool open until it says so. */
function newServer(gate: Promise<void>): McpServer {
  const s = new McpServer({ name: 'tasks', version: '1' });
  s.tool('sync', {}, () => ({ content: [{ type: 'text', text: 'now' }] }));
  s.tool('slow', { execution: { taskSupport: 'optional' } }, async (_a, ctx) => {
    await Promise.race([gate, new Promise((_r, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('cancelled'))))]);
    return { content: [{ type: 'text', text: 'done' }] };
  });
  s.tool('must', { execution: { taskSupport: 'required' } }, () => ({ content: [{ type: 'text', text: 'bad' }], isError: true }));
  s.tool('broken', { execution: { taskSupport: 'optional' } }, () => ({}) as unknown as CallToolResult);
  servers.push(s);
  return s;
}

const WITH = { extensions: { [TASKS_EXTENSION]: {} } };
const env = (caps: Record<string, unknown>) => ({ [META.protocolVersion]: '2026-07-28', [META.clientCapabilities]: caps });

/** Polls tasks/get until the task leaves `working` (each poll waits for the server's answer, not a clock). */
async function settled(peer: RawPeer, taskId: string): Promise<Record<string, unknown>> {
  for (;;) {
    const r = await peer.request('tasks/get', { taskId, _meta: env(WITH) });
    if (r.result?.status !== 'working') return r.result!;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('tasks extension on 2026-07-28', () => {
  it('is advertised in discover, in capabilities.extensions, without the legacy tasks capability', async () => {
    let open!: () => void;
    const peer = await RawPeer.connect(newServer(new Promise((r) => (open = r))));
    const d = await peer.request('server/discover', { _meta: env({}) });
    const caps = d.result?.capabilities as Record<string, unknown>;
    assert.deepEqual(caps.extensions, { [TASKS_EXTENSION]: {} });
    assert.equal(caps.tasks, undefined);
    open();
    await peer.close();
  });

  it('a declaring request gets a flat CreateTaskResult; tasks/get inlines the result; a sync tool stays sync', async () => {
    let open!: () => void;
    const peer = await RawPeer.connect(newServer(new Promise((r) => (open = r))));
    const created = (await peer.request('tools/call', { name: 'slow', task: { ttl: 5 }, _meta: env(WITH) })).result!;
    assert.equal(created.resultType, 'task');
    assert.equal(created.status, 'working');
    assert.equal(typeof created.taskId, 'string');
    assert.equal(typeof created.ttlMs, 'number', 'ttlMs, not ttl; the legacy task param was ignored');
    assert.notEqual(created.ttlMs, 5);
    assert.equal(created.task, undefined, 'no nested task key');
    const working = (await peer.request('tasks/get', { taskId: created.taskId, _meta: env(WITH) })).result!;
    assert.equal(working.resultType, 'complete');
    assert.equal(working.status, 'working');
    assert.equal(working.result, undefined);
    open();
    const done = await settled(peer, created.taskId as string);
    assert.equal(done.status, 'completed');
    assert.deepEqual((done.result as { content: unknown }).content, [{ type: 'text', text: 'done' }]);
    const sync = (await peer.request('tools/call', { name: 'sync', _meta: env(WITH) })).result!;
    assert.equal(sync.resultType, 'complete');
    assert.equal(sync.taskId, undefined);
    await peer.close();
  });

  it('a tool error is a completed task with isError; a protocol error is failed with the error inlined', async () => {
    const peer = await RawPeer.connect(newServer(Promise.resolve()));
    const a = (await peer.request('tools/call', { name: 'must', _meta: env(WITH) })).result!;
    const done = await settled(peer, a.taskId as string);
    assert.equal(done.status, 'completed');
    assert.equal((done.result as { isError: boolean }).isError, true);
    const b = (await peer.request('tools/call', { name: 'broken', _meta: env(WITH) })).result!;
    const failed = await settled(peer, b.taskId as string);
    assert.equal(failed.status, 'failed');
    assert.equal((failed.error as { code: number }).code, -32603);
    assert.equal(failed.result, undefined);
    await peer.close();
  });

  it('cancel is an empty ack, idempotent; the running tool stops and the task stays cancelled; update is acked', async () => {
    const peer = await RawPeer.connect(newServer(new Promise(() => {})));
    const t = (await peer.request('tools/call', { name: 'slow', _meta: env(WITH) })).result!;
    const upd = (await peer.request('tasks/update', { taskId: t.taskId, inputResponses: {}, _meta: env(WITH) })).result!;
    assert.equal(upd.resultType, 'complete');
    for (let i = 0; i < 2; i++) {
      const c = (await peer.request('tasks/cancel', { taskId: t.taskId, _meta: env(WITH) })).result!;
      assert.equal(c.resultType, 'complete');
      assert.equal(c.status, undefined, 'no task envelope in the ack');
    }
    assert.equal((await settled(peer, t.taskId as string)).status, 'cancelled');
    const unknown = await peer.request('tasks/get', { taskId: 'no-such-task', _meta: env(WITH) });
    assert.equal(unknown.error?.code, -32602);
    await peer.close();
  });

  it('without the extension: tasks/* and a task-required tool are -32021, an optional one runs sync; tasks/result and tasks/list do not exist', async () => {
    const peer = await RawPeer.connect(newServer(Promise.resolve()));
    for (const method of ['tasks/get', 'tasks/update', 'tasks/cancel']) {
      const r = await peer.request(method, { taskId: 'x', _meta: env({}) });
      assert.equal(r.error?.code, -32021, method);
      assert.deepEqual((r.error?.data as { requiredCapabilities: unknown }).requiredCapabilities, WITH);
    }
    assert.equal((await peer.request('tools/call', { name: 'must', _meta: env({}) })).error?.code, -32021);
    const sync = (await peer.request('tools/call', { name: 'slow', _meta: env({}) })).result!;
    assert.equal(sync.resultType, 'complete');
    assert.deepEqual(sync.content, [{ type: 'text', text: 'done' }]);
    for (const method of ['tasks/result', 'tasks/list']) assert.equal((await peer.request(method, { taskId: 'x', _meta: env(WITH) })).error?.code, -32601, method);
    await peer.close();
  });
});
