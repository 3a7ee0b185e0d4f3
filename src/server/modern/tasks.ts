/**
 * The tasks extension on the modern era (`io.modelcontextprotocol/tasks`, SEP-2663): a request
 * opts in by declaring the extension in its own `clientCapabilities` (never inferred from an
 * earlier request); the server then decides which tools/call become tasks — here, every call of
 * a tool whose `execution.taskSupport` is 'optional' or 'required' — and answers a flat
 * CreateTaskResult (`resultType: "task"`). tasks/get returns the DetailedTask with the result
 * or error inlined (there is no tasks/result or tasks/list on this era); tasks/update and
 * tasks/cancel are acknowledged with an empty result; tasks/update answers the asks of a task
 * waiting in `input_required` (task-input.ts). A tool that reported `isError` is
 * `completed`; `failed` is kept for JSON-RPC errors. Without the extension, tasks/* are -32021
 * and a tool that requires a task is -32021 too; an optional one runs synchronously.
 *
 * Tasks are stored in the server's TaskStore under one owner per authenticated client (the
 * modern era has no session to own them); task ids are unguessable (the store mints them).
 */
import type { RequestContext } from '../../engine/context.js';
import { ErrorCode, McpError } from '../../protocol/errors.js';
import { missingCapability } from '../../protocol/eras.js';
import type { CallToolRequestParams, CallToolResult, ClientCapabilities, Result, Task } from '../../protocol/types.js';
import { isTerminal } from '../../stores/types.js';
import { HandlerContext } from '../context.js';
import type { RequestHandler } from '../handlers.js';
import type { ToolEntry } from '../registry/tools.js';
import type { ServerSession } from '../session.js';
import { DetachedContext } from '../task-runner.js';
import type { Envelope } from './dispatch.js';
import { taskInputsOf, TaskInputs } from './task-input.js';

export const TASKS_EXTENSION = 'io.modelcontextprotocol/tasks';

/** Whether this request's own capabilities declare the tasks extension. */
export function declaresTasks(caps: ClientCapabilities | undefined): boolean {
  const ext = (caps as { extensions?: Record<string, unknown> } | undefined)?.extensions;
  return typeof ext === 'object' && ext !== null && ext[TASKS_EXTENSION] !== undefined;
}

function needsExtension(what: string): McpError {
  return missingCapability({ extensions: { [TASKS_EXTENSION]: {} } }, what);
}

/** The tasks of one client: the authenticated one, or everyone's on an open server. */
function owner(ctx: RequestContext): string {
  const auth = ctx.extra?.authInfo;
  return `modern:${auth?.clientId ?? ''}`;
}

/** The 2026-07-28 wire shape of a stored task (fields renamed from ttl/pollInterval). */
function wireTask(t: Task): Result {
  const out: Result = { taskId: t.taskId, status: t.status, createdAt: t.createdAt, lastUpdatedAt: t.lastUpdatedAt, ttlMs: t.ttl };
  if (t.statusMessage !== undefined) out.statusMessage = t.statusMessage;
  if (t.pollInterval !== undefined) out.pollIntervalMs = t.pollInterval;
  return out;
}

/** The body a task runs: the whole tool call, or the part a handler hands to `ctx.runAsTask()`. */
export type TaskBody = (ctx: HandlerContext) => Promise<CallToolResult>;

/**
 * Starts a task and answers once it is stored (SEP-2663: MUST NOT respond before tasks/get
 * would find it). The body runs detached from the request; its asks for client input park the
 * task in `input_required` (task-input.ts).
 */
export async function startModernTask(session: ServerSession, ctx: RequestContext, envelope: Envelope, body: TaskBody): Promise<Result> {
  const server = session.server;
  const o = server.options;
  const store = server.taskStore;
  const ttl = Math.min(o.defaultTaskTtlMs ?? 3_600_000, o.maxTaskTtlMs ?? 24 * 3_600_000);
  const task = await store.create(owner(ctx), ttl, o.taskPollIntervalMs ?? 1000);
  const controller = new AbortController();
  server.runningTasks.set(task.taskId, controller);
  const unwatch = store.watchCancel?.(task.taskId, () => controller.abort('Task cancelled'));
  // Past its TTL the task is gone from the store: a handler still waiting (for input) stops.
  const expiry = setTimeout(() => controller.abort('Task expired'), ttl);
  expiry.unref();
  const onerror = (e: Error) => server.onerror?.(e);
  const inputs = new TaskInputs(store, task.taskId, envelope.capabilities, controller.signal, onerror);
  const pending = taskInputsOf(server);
  pending.set(task.taskId, inputs);
  const detached = new DetachedContext(session, ctx.id, ctx.method, controller.signal, undefined);
  // The task's handler sees the creating request's envelope (capabilities, log level) and asks through the task.
  session.beginModern(detached, { envelope, rounds: inputs });
  const hctx = new HandlerContext(session, detached);
  hctx.taskId = task.taskId;
  void (async () => {
    try {
      const result = await body(hctx);
      // A tool that ran and reported an error is still completed (SEP-2663 error semantics).
      await store.setStatus(task.taskId, 'completed', undefined, { result });
    } catch (e) {
      // Cancelled: the task is already terminal and stays `cancelled` (setStatus is a no-op).
      const error = e instanceof McpError ? e.toJSON() : { code: ErrorCode.InternalError, message: e instanceof Error ? e.message : String(e) };
      await store.setStatus(task.taskId, 'failed', error.message, { error });
    } finally {
      session.endModern(detached);
      pending.delete(task.taskId);
      clearTimeout(expiry);
      server.runningTasks.delete(task.taskId);
      unwatch?.();
    }
  })().catch((e: unknown) => onerror(e instanceof Error ? e : new Error(String(e))));
  return { ...wireTask(task), resultType: 'task' };
}

/**
 * tools/call on the modern era: a task when the tool supports one and the request opted in.
 * A tool registered with `taskStart: 'handler'` runs on the request first — its asks are MRTR
 * rounds — and becomes a task where it calls `ctx.runAsTask()` (SEP-2663 §composition with
 * MRTR: input rounds resolve synchronously, then CreateTaskResult).
 */
export function modernToolCall(session: ServerSession, tool: ToolEntry, p: CallToolRequestParams, ctx: RequestContext, envelope: Envelope): Promise<Result> | undefined {
  // The legacy `task` request param is gone: creation is server-directed, the param ignored.
  if (tool.taskSupport === 'forbidden') return undefined;
  if (!declaresTasks(envelope.capabilities)) {
    if (tool.taskSupport === 'required') throw needsExtension(`Tool ${tool.name}`);
    return undefined;
  }
  if (tool.config.taskStart !== 'handler') return startModernTask(session, ctx, envelope, (h) => tool.call(p.arguments, h));
  return handlerStartedTask(session, tool, p, ctx, envelope);
}

async function handlerStartedTask(session: ServerSession, tool: ToolEntry, p: CallToolRequestParams, ctx: RequestContext, envelope: Envelope): Promise<Result> {
  const hctx = new HandlerContext(session, ctx);
  let created: Result | undefined;
  hctx.taskStarter = async (work) => {
    if (created) throw new McpError(ErrorCode.InternalError, `Tool ${tool.name} called runAsTask twice`);
    created = await startModernTask(session, ctx, envelope, (h) => tool.runBody(() => work(h), h));
    // What the handler returns now is dropped: the request is answered with the CreateTaskResult.
    return STARTED;
  };
  const result = await tool.call(p.arguments, hctx);
  // A handler that finished without runAsTask answered directly (an immediate result is valid).
  return created ?? result;
}

const STARTED: CallToolResult = Object.freeze({ content: [] }) as unknown as CallToolResult;

function taskIdOf(params: Record<string, unknown>): string {
  if (typeof params.taskId !== 'string') throw new McpError(ErrorCode.InvalidParams, 'params.taskId must be a string');
  return params.taskId;
}

async function find(session: ServerSession, params: Record<string, unknown>, ctx: RequestContext, method: string): Promise<Task> {
  if (!declaresTasks(session.modernOf(ctx)?.envelope.capabilities)) throw needsExtension(method);
  const id = taskIdOf(params);
  const t = await session.server.taskStore.get(owner(ctx), id);
  if (!t) throw new McpError(ErrorCode.InvalidParams, `Task not found: ${id}`);
  return t;
}

export const modernTaskHandlers: Record<string, RequestHandler> = {
  async 'tasks/get'(session, params, ctx) {
    const t = await find(session, params, ctx, 'tasks/get');
    const out = wireTask(t);
    const inputs = taskInputsOf(session.server).get(t.taskId);
    if (inputs && !isTerminal(t.status)) {
      // This node runs the task: its pending asks are the current truth (the store's status may lag them).
      out.status = inputs.waiting ? 'input_required' : 'working';
      const requests = inputs.inputRequests;
      if (requests) out.inputRequests = requests;
    }
    if (t.status === 'completed' || t.status === 'failed') {
      // Terminal: the outcome is there at once.
      const r = await session.server.taskStore.waitForOutcome(owner(ctx), t.taskId, ctx.signal);
      const outcome = r?.outcome;
      if (outcome && 'result' in outcome) out.result = outcome.result;
      else if (outcome && 'error' in outcome) out.error = outcome.error;
    }
    return out;
  },

  async 'tasks/update'(session, params, ctx) {
    const t = await find(session, params, ctx, 'tasks/update');
    // An eventually consistent acknowledgement: unknown or already answered keys are ignored.
    await taskInputsOf(session.server).get(t.taskId)?.answer(params.inputResponses);
    return {};
  },

  async 'tasks/cancel'(session, params, ctx) {
    const t = await find(session, params, ctx, 'tasks/cancel');
    // Idempotent: a terminal task is left as it is and the ack is the same.
    if (!isTerminal(t.status)) {
      await session.server.taskStore.setStatus(t.taskId, 'cancelled', 'Cancelled by request');
      session.server.runningTasks.get(t.taskId)?.abort('Task cancelled');
    }
    return {};
  },
};
