import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { connectPair, sleep, until, WAIT_MS } from '../../test/helpers/pair.js';
import { McpError, UrlElicitationRequiredError } from '../protocol/errors.js';
import { RELATED_TASK_META_KEY } from '../protocol/methods.js';
import type { CallToolResult, ElicitRequestParams, Task, TextContent } from '../protocol/types.js';
import { McpServer, type ServerOptions } from './server.js';

let servers: McpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

function makeServer(options?: ServerOptions) {
  const server = new McpServer({ name: 'tasks-server', version: '1.0.0' }, { taskPollIntervalMs: 250, ...options });
  servers.push(server);
  const release = gate();
  const state = { aborted: false, release };
  server.tool('slow', { execution: { taskSupport: 'optional' } }, async (_args, ctx) => {
    await Promise.race([
      release.opened,
      new Promise<void>((resolve) =>
        ctx.signal.addEventListener('abort', () => {
          state.aborted = true;
          resolve();
        }),
      ),
    ]);
    return { content: [{ type: 'text', text: 'slow done' }] };
  });
  server.tool('quick', { execution: { taskSupport: 'required' } }, () => ({ content: [{ type: 'text', text: 'quick done' }] }));
  server.tool('plain', {}, () => ({ content: [{ type: 'text', text: 'plain' }] }));
  server.tool('broken', { execution: { taskSupport: 'optional' } }, () => {
    throw new Error('tool exploded');
  });
  server.tool('needs-url', { execution: { taskSupport: 'optional' } }, () => {
    throw new UrlElicitationRequiredError([{ mode: 'url', message: 'Sign in', elicitationId: 'e1', url: 'https://example.com/login' }]);
  });
  server.tool('asks', { execution: { taskSupport: 'optional' } }, async (_args, ctx) => {
    const r = await ctx.elicit({ message: 'Name?', requestedSchema: { type: 'object', properties: { name: { type: 'string' } } } });
    return { content: [{ type: 'text', text: String(r.content?.name) }] };
  });
  return { server, state };
}

function invalidParams(e: unknown): boolean {
  return e instanceof McpError && e.code === -32602;
}

describe('task-augmented tools/call', () => {
  it('advertises task support for tools/call', async () => {
    const { server } = makeServer();
    const { client } = await connectPair(server);
    assert.ok(client.serverCapabilities?.tasks?.requests?.tools?.call);
    const tools = (await client.listTools()).tools;
    assert.deepEqual(tools.find((t) => t.name === 'slow')?.execution, { taskSupport: 'optional' });
  });

  it('returns a CreateTaskResult in working status at once', async () => {
    const { server, state } = makeServer();
    const { client } = await connectPair(server);
    const { task } = await client.callToolAsTask({ name: 'slow' }, { ttl: 60_000 });
    assert.equal(typeof task.taskId, 'string');
    assert.ok(task.taskId.length >= 16, 'task ids are long enough not to be guessed');
    assert.equal(task.status, 'working');
    assert.equal(task.ttl, 60_000);
    assert.equal(task.pollInterval, 250);
    assert.ok(!Number.isNaN(Date.parse(task.createdAt)));
    assert.ok(!Number.isNaN(Date.parse(task.lastUpdatedAt)));
    state.release.open();
  });

  it('tasks/get reports working, then completed; tasks/result blocks until done and carries related-task meta', async () => {
    const { server, state } = makeServer();
    const { client } = await connectPair(server);
    const statuses: Task[] = [];
    client.onTaskStatus = (t) => statuses.push(t);
    const { task } = await client.callToolAsTask({ name: 'slow' });
    assert.equal((await client.getTask(task.taskId)).status, 'working');

    let settled = false;
    const pending = client.getTaskResult(task.taskId).finally(() => (settled = true));
    // A round trip through the same store: the task is still working, so no result can have come.
    assert.equal((await client.getTask(task.taskId)).status, 'working');
    assert.equal(settled, false, 'tasks/result waits for a terminal status');
    state.release.open();
    const result = (await pending) as CallToolResult;
    assert.equal((result.content[0] as TextContent).text, 'slow done');
    assert.deepEqual(result._meta?.[RELATED_TASK_META_KEY], { taskId: task.taskId });

    const done = await client.getTask(task.taskId);
    assert.equal(done.status, 'completed');
    assert.equal(done.taskId, task.taskId);
    await until(() => statuses.some((t) => t.status === 'completed'), WAIT_MS, 'status notification');
    // Asking again returns the same result.
    assert.equal(((await client.getTaskResult(task.taskId)) as CallToolResult).content.length, 1);
  });

  it('tasks/list returns the session\'s tasks', async () => {
    const { server, state } = makeServer();
    const { client } = await connectPair(server);
    const a = await client.callToolAsTask({ name: 'slow' });
    const b = await client.callToolAsTask({ name: 'quick' });
    const { tasks } = await client.listTasks();
    assert.deepEqual(tasks.map((t) => t.taskId).sort(), [a.task.taskId, b.task.taskId].sort());
    state.release.open();
  });

  it('tasks/cancel moves the task to cancelled and aborts the tool', async () => {
    const { server, state } = makeServer();
    const { client } = await connectPair(server);
    const { task } = await client.callToolAsTask({ name: 'slow' });
    const cancelled = await client.cancelTask(task.taskId);
    assert.equal(cancelled.status, 'cancelled');
    assert.equal(cancelled.taskId, task.taskId);
    await until(() => state.aborted, WAIT_MS, 'tool abort');
    await client.ping(); // the tool's return (after the abort) has been handled by now
    assert.equal((await client.getTask(task.taskId)).status, 'cancelled', 'stays cancelled after the tool returns');
    await assert.rejects(client.cancelTask(task.taskId), invalidParams);
  });

  it('refuses to cancel a completed task with -32602', async () => {
    const { server } = makeServer();
    const { client } = await connectPair(server);
    const { task } = await client.callToolAsTask({ name: 'quick' });
    await client.getTaskResult(task.taskId);
    await assert.rejects(client.cancelTask(task.taskId), invalidParams);
    assert.equal((await client.getTask(task.taskId)).status, 'completed');
  });

  it('answers an unknown taskId with -32602 on get, result and cancel', async () => {
    const { server } = makeServer();
    const { client } = await connectPair(server);
    await assert.rejects(client.getTask('no-such-task'), invalidParams);
    await assert.rejects(client.getTaskResult('no-such-task'), invalidParams);
    await assert.rejects(client.cancelTask('no-such-task'), invalidParams);
  });

  it('keeps tasks private to the session that created them', async () => {
    const { server, state } = makeServer();
    const owner = await connectPair(server, {}, 'owner');
    const other = await connectPair(server, {}, 'other');
    const { task } = await owner.client.callToolAsTask({ name: 'slow' });
    await assert.rejects(other.client.getTask(task.taskId), invalidParams);
    await assert.rejects(other.client.cancelTask(task.taskId), invalidParams);
    assert.deepEqual((await other.client.listTasks()).tasks, []);
    state.release.open();
  });

  it('answers a task request for a tool whose taskSupport is forbidden with -32601', async () => {
    const { server } = makeServer();
    const { client } = await connectPair(server);
    await assert.rejects(client.callToolAsTask({ name: 'plain' }), (e: unknown) => e instanceof McpError && e.code === -32601);
  });

  it('answers a plain call to a tool whose taskSupport is required with -32601', async () => {
    const { server } = makeServer();
    const { client } = await connectPair(server);
    await assert.rejects(client.callTool({ name: 'quick' }), (e: unknown) => e instanceof McpError && e.code === -32601);
  });

  it('marks a task whose tool fails as failed and returns the isError result', async () => {
    const { server } = makeServer();
    const { client } = await connectPair(server);
    const { task } = await client.callToolAsTask({ name: 'broken' });
    const result = (await client.getTaskResult(task.taskId)) as CallToolResult;
    assert.equal(result.isError, true);
    assert.match((result.content[0] as TextContent).text, /tool exploded/);
    assert.equal((await client.getTask(task.taskId)).status, 'failed');
  });

  it('returns the JSON-RPC error the call would have returned from tasks/result', async () => {
    const { server } = makeServer();
    const { client } = await connectPair(server);
    const { task } = await client.callToolAsTask({ name: 'needs-url' });
    await assert.rejects(client.getTaskResult(task.taskId), (e: unknown) => e instanceof UrlElicitationRequiredError && e.elicitations[0]?.elicitationId === 'e1');
    assert.equal((await client.getTask(task.taskId)).status, 'failed');
  });

  it('tags requests a task makes to the client with the related-task meta', async () => {
    const { server } = makeServer();
    let seen: ElicitRequestParams | undefined;
    const { client } = await connectPair(server, {
      elicitation: (params) => {
        seen = params;
        return { action: 'accept', content: { name: 'Ada' } };
      },
    });
    const { task } = await client.callToolAsTask({ name: 'asks' });
    const result = (await client.getTaskResult(task.taskId)) as CallToolResult;
    assert.equal((result.content[0] as TextContent).text, 'Ada');
    assert.deepEqual(seen?._meta?.[RELATED_TASK_META_KEY], { taskId: task.taskId });
  });

  it('caps the requested ttl at maxTaskTtlMs and forgets the task when it expires', async () => {
    // 1 s: long enough to read the task back on a loaded machine; then wait for it to go.
    const { server } = makeServer({ maxTaskTtlMs: 1000 });
    const { client } = await connectPair(server);
    const { task } = await client.callToolAsTask({ name: 'quick' }, { ttl: 3_600_000 });
    assert.equal(task.ttl, 1000);
    assert.equal((await client.getTask(task.taskId)).status, 'completed');
    const deadline = Date.now() + WAIT_MS;
    let gone: unknown;
    while (gone === undefined && Date.now() < deadline) {
      gone = await client.getTask(task.taskId).then(
        () => sleep(20).then(() => undefined),
        (e: unknown) => e,
      );
    }
    assert.ok(invalidParams(gone), `the task expired (${String(gone)})`);
  });
});
