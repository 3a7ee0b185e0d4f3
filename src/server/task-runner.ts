/**
 * Task-augmented tools/call and the tasks/* methods (basic/utilities/tasks). The call returns
 * a CreateTaskResult at once; the tool runs detached from the request, under the task's own
 * AbortController, and its outcome — result or JSON-RPC error — is kept for tasks/result.
 */
import type { RequestContext } from '../engine/context.js';
import type { RequestOptions } from '../engine/outbound.js';
import { ErrorCode, McpError } from '../protocol/errors.js';
import { RELATED_TASK_META_KEY } from '../protocol/methods.js';
import type { CallToolRequestParams, CreateTaskResult, Meta, RequestId, Result, Task } from '../protocol/types.js';
import { HandlerContext } from './context.js';
import { page } from './pagination.js';
import type { ToolEntry } from './registry/tools.js';
import type { ServerSession } from './session.js';
import { isTerminal } from '../stores/types.js';
import type { RequestHandler } from './handlers.js';

function owner(session: ServerSession): string {
  return session.id ?? `local:${session.server.localId(session)}`;
}

/** A request context for work that outlives its request: messages go unrelated (standalone stream). */
export class DetachedContext implements RequestContext {
  readonly extra = undefined;
  constructor(
    private readonly session: ServerSession,
    readonly id: RequestId,
    readonly method: string,
    readonly signal: AbortSignal,
    readonly meta: Meta | undefined,
  ) {}
  get progressToken() {
    return undefined;
  }
  notify(method: string, params?: Record<string, unknown>): Promise<void> {
    return this.session.notify(method, params);
  }
  request<R = Result>(method: string, params?: Record<string, unknown>, options?: RequestOptions): Promise<R> {
    return this.session.request<R>(method, params, { signal: this.signal, ...options });
  }
  progress(): Promise<void> {
    return Promise.resolve();
  }
  /** Tasks are bounded by their TTL and tasks/cancel, not by the tool time limit: nothing to abort here. */
  abort(): void {}
}

async function notifyStatus(session: ServerSession, task: Task | undefined): Promise<void> {
  if (!task || !session.connected) return;
  await session.notify('notifications/tasks/status', { ...task }).catch(() => {});
}

export async function callAsTask(session: ServerSession, tool: ToolEntry, p: CallToolRequestParams, ctx: RequestContext): Promise<CreateTaskResult> {
  const server = session.server;
  const o = server.options;
  const requested = typeof p.task?.ttl === 'number' ? p.task.ttl : (o.defaultTaskTtlMs ?? 3_600_000);
  const ttl = Math.min(requested, o.maxTaskTtlMs ?? 24 * 3_600_000);
  const task = await server.taskStore.create(owner(session), ttl, o.taskPollIntervalMs ?? 1000);
  const controller = new AbortController();
  const running = server.runningTasks;
  running.set(task.taskId, controller);
  // tasks/cancel may land on another node: a shared store tells this one to stop the handler.
  const unwatch = server.taskStore.watchCancel?.(task.taskId, () => controller.abort('Task cancelled'));
  const hctx = new HandlerContext(session, new DetachedContext(session, ctx.id, ctx.method, controller.signal, ctx.meta));
  hctx.taskId = task.taskId;
  void (async () => {
    let t: Task | undefined;
    try {
      const result = await tool.call(p.arguments, hctx);
      // A failed tool call SHOULD explain itself in statusMessage (basic/utilities/tasks#error-handling).
      const first = result.isError ? result.content.find((c) => c.type === 'text') : undefined;
      const why = first && first.type === 'text' ? first.text : result.isError ? 'Tool returned an error' : undefined;
      t = await server.taskStore.setStatus(task.taskId, result.isError ? 'failed' : 'completed', why, { result });
    } catch (e) {
      const error = e instanceof McpError ? e.toJSON() : { code: ErrorCode.InternalError, message: e instanceof Error ? e.message : String(e) };
      t = await server.taskStore.setStatus(task.taskId, 'failed', error.message, { error });
    } finally {
      running.delete(task.taskId);
      unwatch?.();
    }
    await notifyStatus(session, t);
  })();
  return { task };
}

function taskId(params: Record<string, unknown>): string {
  if (typeof params.taskId !== 'string') throw new McpError(ErrorCode.InvalidParams, 'params.taskId must be a string');
  return params.taskId;
}

function notFound(id: string): McpError {
  return new McpError(ErrorCode.InvalidParams, `Task not found: ${id}`);
}

export const taskHandlers: Record<string, RequestHandler> = {
  async 'tasks/get'(session, params) {
    const id = taskId(params);
    const t = await session.server.taskStore.get(owner(session), id);
    if (!t) throw notFound(id);
    return t as unknown as Result;
  },

  async 'tasks/result'(session, params, ctx) {
    const id = taskId(params);
    const r = await session.server.taskStore.waitForOutcome(owner(session), id, ctx.signal);
    if (!r) throw notFound(id);
    if (!r.outcome) throw new McpError(ErrorCode.InvalidParams, `Task ${id} was ${r.task.status} and has no result`);
    if ('error' in r.outcome) throw new McpError(r.outcome.error.code, r.outcome.error.message, r.outcome.error.data);
    // tasks/result MUST carry the related-task meta (basic/utilities/tasks#related-task-metadata).
    return { ...r.outcome.result, _meta: { ...r.outcome.result._meta, [RELATED_TASK_META_KEY]: { taskId: id } } };
  },

  async 'tasks/list'(session, params) {
    const tasks = await session.server.taskStore.list(owner(session));
    const { items, nextCursor } = page(tasks, params.cursor, session.server.pageSize, 0);
    return nextCursor === undefined ? { tasks: items } : { tasks: items, nextCursor };
  },

  async 'tasks/cancel'(session, params) {
    const id = taskId(params);
    const store = session.server.taskStore;
    const t = await store.get(owner(session), id);
    if (!t) throw notFound(id);
    if (isTerminal(t.status)) throw new McpError(ErrorCode.InvalidParams, `Task ${id} is already ${t.status}`);
    const updated = await store.setStatus(id, 'cancelled', 'Cancelled by request');
    session.server.runningTasks.get(id)?.abort('Task cancelled');
    if (!updated) throw new McpError(ErrorCode.InvalidParams, `Task ${id} is already terminal`);
    return updated as unknown as Result;
  },
};
