/**
 * Client input inside tasks on 2026-07-28 (SEP-2663 with MRTR shapes): a task that asks parks in
 * input_required and resumes on tasks/update; partial answers; keys unique over the task's
 * lifetime; cancel while waiting; and a handler that gathers input by MRTR rounds first and
 * then continues as a task (`taskStart: 'handler'`, `ctx.runAsTask()`).
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { connectPair, RawPeer } from '../../../test/helpers/pair.js';
import { META } from '../../protocol/eras.js';
import type { ElicitResult } from '../../protocol/types.js';
import { McpServer } from '../server.js';
import { TASKS_EXTENSION } from './tasks.js';

let servers: McpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

const text = (t: string) => ({ content: [{ type: 'text' as const, text: t }] });
const FORM = { type: 'object' as const, properties: { name: { type: 'string' as const } } };
const said = (r: ElicitResult) => (r.action === 'accept' ? String(r.content?.name) : r.action);

/** What the `confirm` tool's handler saw when its ask ended: an answer or a rejection. */
let confirmOutcome: Promise<string>;

function newServer(): McpServer {
  const s = new McpServer({ name: 'task-input', version: '1' });
  let settle!: (v: string) => void;
  confirmOutcome = new Promise((r) => (settle = r));
  s.tool('confirm', { execution: { taskSupport: 'optional' } }, async (_a, ctx) => {
    try {
      const r = await ctx.elicit({ message: 'Sure?', requestedSchema: FORM }, { inputKey: 'sure' });
      settle(`answered ${said(r)}`);
      return text(`confirmed by ${said(r)}`);
    } catch (e) {
      settle(`rejected: ${(e as Error).message}`);
      throw e;
    }
  });
  s.tool('two', { execution: { taskSupport: 'optional' } }, async (_a, ctx) => {
    const [a, b] = await Promise.all([ctx.elicit({ message: 'A?', requestedSchema: FORM }, { inputKey: 'a' }), ctx.elicit({ message: 'B?', requestedSchema: FORM }, { inputKey: 'b' })]);
    return text(`${said(a)}+${said(b)}`);
  });
  s.tool('chatty', { execution: { taskSupport: 'optional' } }, async (_a, ctx) => {
    await ctx.log('info', 'from the task');
    return text('logged');
  });
  s.tool('twice', { execution: { taskSupport: 'optional' } }, async (_a, ctx) => {
    const first = await ctx.elicit({ message: 'Name?', requestedSchema: FORM }, { inputKey: 'name' });
    const second = await ctx.elicit({ message: 'Name again?', requestedSchema: FORM }, { inputKey: 'name' });
    return text(`${said(first)} then ${said(second)}`);
  });
  for (const support of ['required', 'optional'] as const) {
    s.tool(`greet_${support}`, { execution: { taskSupport: support }, taskStart: 'handler' }, async (_a, ctx) => {
      const r = await ctx.elicit({ message: 'Name?', requestedSchema: FORM }, { inputKey: 'user_name' });
      return ctx.runAsTask(async (tctx) => text(`Hello, ${said(r)}! task=${tctx.taskId !== undefined}`));
    });
  }
  servers.push(s);
  return s;
}

const WITH = { elicitation: {}, extensions: { [TASKS_EXTENSION]: {} } };
const env = (caps: Record<string, unknown>) => ({ [META.protocolVersion]: '2026-07-28', [META.clientCapabilities]: caps });
const accept = (name: string) => ({ action: 'accept', content: { name } });

/** Polls tasks/get until `done` says so (each poll waits for the server's answer, not a clock). */
async function poll(peer: RawPeer, taskId: string, done: (t: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  for (;;) {
    const r = await peer.request('tasks/get', { taskId, _meta: env(WITH) });
    if (r.error) throw new Error(r.error.message);
    if (done(r.result!)) return r.result!;
    await new Promise((resolve) => setImmediate(resolve));
  }
}
const waiting = (t: Record<string, unknown>) => t.status === 'input_required';
const terminal = (t: Record<string, unknown>) => ['completed', 'failed', 'cancelled'].includes(t.status as string);

async function start(peer: RawPeer, name: string, caps: Record<string, unknown> = WITH): Promise<string> {
  const created = (await peer.request('tools/call', { name, _meta: env(caps) })).result!;
  assert.equal(created.resultType, 'task');
  return created.taskId as string;
}

describe('client input inside tasks (2026-07-28)', () => {
  it('a task that asks parks in input_required with inputRequests; tasks/update resumes it to completed', async () => {
    const peer = await RawPeer.connect(newServer());
    const id = await start(peer, 'confirm');
    const parked = await poll(peer, id, waiting);
    assert.equal(parked.resultType, 'complete');
    assert.equal(parked.requestState, undefined, 'no requestState on the tasks wire');
    assert.deepEqual(parked.inputRequests, { sure: { method: 'elicitation/create', params: { mode: 'form', message: 'Sure?', requestedSchema: FORM } } });
    const ack = (await peer.request('tasks/update', { taskId: id, inputResponses: { sure: accept('Ann') }, _meta: env(WITH) })).result!;
    assert.deepEqual(Object.keys(ack).sort(), ['_meta', 'resultType']);
    assert.equal(ack.resultType, 'complete');
    const done = await poll(peer, id, terminal);
    assert.equal(done.status, 'completed');
    assert.equal(done.inputRequests, undefined);
    assert.deepEqual((done.result as { content: unknown }).content, [{ type: 'text', text: 'confirmed by Ann' }]);
    await peer.close();
  });

  it('partial answers: the task stays input_required with only the unanswered key; unknown keys and misshapen answers are ignored', async () => {
    const peer = await RawPeer.connect(newServer());
    const id = await start(peer, 'two');
    await poll(peer, id, (t) => waiting(t) && Object.keys(t.inputRequests as object).length === 2);
    await peer.request('tasks/update', { taskId: id, inputResponses: { a: accept('x'), nope: accept('y'), b: { wrong: true } }, _meta: env(WITH) });
    const still = (await peer.request('tasks/get', { taskId: id, _meta: env(WITH) })).result!;
    assert.equal(still.status, 'input_required');
    assert.deepEqual(Object.keys(still.inputRequests as object), ['b']);
    // An answer to an already answered key changes nothing.
    await peer.request('tasks/update', { taskId: id, inputResponses: { a: accept('again'), b: accept('z') }, _meta: env(WITH) });
    const done = await poll(peer, id, terminal);
    assert.deepEqual((done.result as { content: unknown }).content, [{ type: 'text', text: 'x+z' }]);
    await peer.close();
  });

  it('input keys are unique over the task lifetime: a second ask with the same key gets a new one', async () => {
    const peer = await RawPeer.connect(newServer());
    const id = await start(peer, 'twice');
    await poll(peer, id, waiting);
    await peer.request('tasks/update', { taskId: id, inputResponses: { name: accept('first') }, _meta: env(WITH) });
    const second = await poll(peer, id, (t) => waiting(t) && !('name' in (t.inputRequests as object)));
    assert.deepEqual(Object.keys(second.inputRequests as object), ['name-2']);
    await peer.request('tasks/update', { taskId: id, inputResponses: { name: accept('stale'), 'name-2': accept('second') }, _meta: env(WITH) });
    const done = await poll(peer, id, terminal);
    assert.deepEqual((done.result as { content: unknown }).content, [{ type: 'text', text: 'first then second' }]);
    await peer.close();
  });

  it('cancelling a task that waits for input ends the handler: its ask rejects and the task stays cancelled', async () => {
    const peer = await RawPeer.connect(newServer());
    const id = await start(peer, 'confirm');
    await poll(peer, id, waiting);
    assert.equal((await peer.request('tasks/cancel', { taskId: id, _meta: env(WITH) })).result?.resultType, 'complete');
    assert.match(await confirmOutcome, /^rejected: /);
    const t = await poll(peer, id, terminal);
    assert.equal(t.status, 'cancelled');
    assert.equal(t.inputRequests, undefined);
    await peer.close();
  });

  it('a task may only ask for what the creating request declared: without elicitation it fails with -32021', async () => {
    const peer = await RawPeer.connect(newServer());
    const id = await start(peer, 'confirm', { extensions: { [TASKS_EXTENSION]: {} } });
    const t = await poll(peer, id, terminal);
    assert.equal(t.status, 'failed');
    assert.equal((t.error as { code: number }).code, -32021);
    await peer.close();
  });

  it('a task sends no notifications/message even when the creating request asked for a log level (SEP-2663)', async () => {
    const peer = await RawPeer.connect(newServer());
    const created = (await peer.request('tools/call', { name: 'chatty', _meta: { ...env(WITH), [META.logLevel]: 'debug' } })).result!;
    const done = await poll(peer, created.taskId as string, terminal);
    assert.equal(done.status, 'completed');
    assert.deepEqual((done.result as { content: unknown }).content, [{ type: 'text', text: 'logged' }]);
    assert.deepEqual(peer.received.filter((m) => m.method === 'notifications/message'), []);
    await peer.close();
  });

  it("taskStart 'handler': MRTR rounds first (no task), then a CreateTaskResult without requestState whose result has the answer", async () => {
    const peer = await RawPeer.connect(newServer());
    const r1 = (await peer.request('tools/call', { name: 'greet_required', _meta: env(WITH) })).result!;
    assert.equal(r1.resultType, 'input_required');
    assert.equal(r1.taskId, undefined);
    assert.deepEqual(Object.keys(r1.inputRequests as object), ['user_name']);
    const r2 = (await peer.request('tools/call', { name: 'greet_required', inputResponses: { user_name: accept('Alice') }, requestState: r1.requestState, _meta: env(WITH) })).result!;
    assert.equal(r2.resultType, 'task');
    assert.equal(r2.requestState, undefined);
    assert.equal(r2.inputRequests, undefined);
    const done = await poll(peer, r2.taskId as string, terminal);
    assert.equal(done.status, 'completed');
    assert.deepEqual((done.result as { content: unknown }).content, [{ type: 'text', text: 'Hello, Alice! task=true' }]);
    await peer.close();
  });

  it("taskStart 'handler' without the extension: a required tool is -32021 before any round; an optional one completes inline", async () => {
    const peer = await RawPeer.connect(newServer());
    const caps = { elicitation: {} };
    assert.equal((await peer.request('tools/call', { name: 'greet_required', _meta: env(caps) })).error?.code, -32021);
    const r1 = (await peer.request('tools/call', { name: 'greet_optional', _meta: env(caps) })).result!;
    assert.equal(r1.resultType, 'input_required');
    const r2 = (await peer.request('tools/call', { name: 'greet_optional', inputResponses: { user_name: accept('Bo') }, requestState: r1.requestState, _meta: env(caps) })).result!;
    assert.equal(r2.resultType, 'complete');
    assert.deepEqual(r2.content, [{ type: 'text', text: 'Hello, Bo! task=false' }]);
    await peer.close();
  });

  it('on a 2025-11-25 session the same handler asks the client directly and runAsTask runs inline (plain and as a legacy task)', async () => {
    const pair = await connectPair(newServer(), { elicitation: () => ({ action: 'accept', content: { name: 'Cy' } }) });
    const plain = await pair.client.callTool({ name: 'greet_optional' });
    assert.deepEqual(plain.content, [{ type: 'text', text: 'Hello, Cy! task=false' }]);
    const { task } = await pair.client.callToolAsTask({ name: 'greet_required' });
    const r = await pair.client.getTaskResult(task.taskId);
    assert.deepEqual(r.content, [{ type: 'text', text: 'Hello, Cy! task=true' }]);
    await pair.close();
  });
});
