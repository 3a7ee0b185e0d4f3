/**
 * The tasks extension on the modern era (`io.modelcontextprotocol/tasks`, SEP-2663): a request
 * opts in by declaring the extension in its own `clientCapabilities` (never inferred from an
 * earlier request); the server then decides which tools/call become tasks — here, every call of
 * a tool whose `execution.taskSupport` is 'optional' or 'required' — and answers a flat
 * CreateTaskResult (`resultType: "task"`). tasks/get returns the DetailedTask with the result
 * or error inlined (there is no tasks/result or tasks/list on this era); tasks/update and
 * tasks/cancel are acknowledged with an empty result. A tool that reported `isError` is
 * `completed`; `failed` is kept for JSON-RPC errors. Without the extension, tasks/* are -32021
 * and a tool that requires a task is -32021 too; an optional one runs synchronously.
 *
 * Tasks are stored in the server's TaskStore under one owner per authenticated client (the
 * modern era has no session to own them); task ids are unguessable (the store mints them).
 */
import type { RequestContext } from '../../engine/context.js';
import { ErrorCode, McpError } from '../../protocol/errors.js';
import { missingCapability } from '../../protocol/eras.js';
import type { CallToolRequestParams, ClientCapabilities, Result, Task } from '../../protocol/types.js';
import { isTerminal } from '../../stores/types.js';
import { HandlerContext } from '../context.js';
import type { RequestHandler } from '../handlers.js';
import type { ToolEntry } from '../registry/tools.js';
import type { ServerSession } from '../session.js';
import { DetachedContext } from '../task-runner.js';

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

/**
 * Starts a tool call as a task and answers once the task is stored (SEP-2663: MUST NOT respond
 * before tasks/get would find it). The tool runs detached from the request.
 */
export async function startModernTask(session: ServerSession, tool: ToolEntry, p: CallToolRequestParams, ctx: RequestContext): Promise<Result> {
  const server = session.server;
  const o = server.options;
  const store = server.taskStore;
  const ttl = Math.min(o.defaultTaskTtlMs ?? 3_600_000, o.maxTaskTtlMs ?? 24 * 3_600_000);
  const task = await store.create(owner(ctx), ttl, o.taskPollIntervalMs ?? 1000);
  const controller = new AbortController();
  server.runningTasks.set(task.taskId, controller);
  const unwatch = store.watchCancel?.(task.taskId, () => controller.abort('Task cancelled'));
  const hctx = new HandlerContext(session, new DetachedContext(session, ctx.id, ctx.method, controller.signal, undefined));
  hctx.taskId = task.taskId;
  void (async () => {
    try {
      const result = await tool.call(p.arguments, hctx);
      // A tool that ran and reported an error is still completed (SEP-2663 error semantics).
      await store.setStatus(task.taskId, 'completed', undefined, { result });
    } catch (e) {
      // Cancelled: the task is already terminal and stays `cancelled` (setStatus is a no-op).
      const error = e instanceof McpError ? e.toJSON() : { code: ErrorCode.InternalError, message: e instanceof Error ? e.message : String(e) };
      await store.setStatus(task.taskId, 'failed', error.message, { error });
    } finally {
      server.runningTasks.delete(task.taskId);
      unwatch?.();
    }
  })().catch((e: unknown) => server.onerror?.(e instanceof Error ? e : new Error(String(e))));
  return { ...wireTask(task), resultType: 'task' };
}

/** tools/call on the modern era: a task when the tool supports one and the request opted in. */
export function modernToolCall(session: ServerSession, tool: ToolEntry, p: CallToolRequestParams, ctx: RequestContext, caps: ClientCapabilities): Promise<Result> | undefined {
  // The legacy `task` request param is gone: creation is server-directed, the param ignored.
  if (tool.taskSupport === 'forbidden') return undefined;
  if (declaresTasks(caps)) return startModernTask(session, tool, p, ctx);
  if (tool.taskSupport === 'required') throw needsExtension(`Tool ${tool.name}`);
  return undefined;
}

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
    await find(session, params, ctx, 'tasks/update');
    // Eventually consistent ack; no task here waits for input, so there is nothing to resume.
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
