/**
 * What a tool, resource or prompt handler receives: cancellation, progress, logging, and
 * requests back to the client — each checked against the capabilities the client declared
 * (client/sampling, client/elicitation, client/roots), failing locally with ERR_CAPABILITY
 * instead of sending a request the client cannot answer.
 */
import type { RequestContext } from '../engine/context.js';
import type { RequestOptions } from '../engine/outbound.js';
import { ErlmcpError } from '../protocol/errors.js';
import { RELATED_TASK_META_KEY } from '../protocol/methods.js';
import type { AuthInfo, RequestInfo } from '../protocol/transport.js';
import type {
  CallToolResult,
  ClientCapabilities,
  CreateMessageRequestParams,
  CreateMessageResult,
  ElicitRequestFormParams,
  ElicitRequestURLParams,
  ElicitResult,
  ListRootsResult,
  LoggingLevel,
  Meta,
  RequestId,
} from '../protocol/types.js';
import type { ServerSession } from './session.js';
import { LOG_LEVELS } from './session.js';

/** Options of a request for client input: the engine's request options, plus the key naming it in a 2026-07-28 input round. */
export interface InputOptions extends RequestOptions {
  /** Key of this ask in `inputRequests` (2026-07-28 multi-round-trip requests). Default: `elicit-0`, `sample-0`, `roots-0`… in call order. */
  inputKey?: string;
}

export class HandlerContext {
  /** Set when the call runs as a task (tasks/*); nested requests carry the related-task meta. */
  taskId: string | undefined;
  /** @internal Set on a 2026-07-28 call that may still become a task (`taskStart: 'handler'`). */
  taskStarter: ((work: (ctx: HandlerContext) => CallToolResult | Promise<CallToolResult>) => Promise<CallToolResult>) | undefined;

  constructor(
    readonly session: ServerSession,
    private readonly req: RequestContext,
  ) {}

  get requestId(): RequestId {
    return this.req.id;
  }
  get signal(): AbortSignal {
    return this.req.signal;
  }
  get meta(): Meta | undefined {
    return this.req.meta;
  }
  get requestInfo(): RequestInfo | undefined {
    return this.req.extra?.requestInfo;
  }
  /** The identity an admission hook established for this request (a verified token, an API key). */
  get authInfo(): AuthInfo | undefined {
    return this.req.extra?.authInfo;
  }

  /** @internal A time limit fired: abort `signal`; the request is still answered. */
  abort(reason: unknown): void {
    this.req.abort(reason);
  }
  get sessionId(): string | undefined {
    return this.session.id;
  }

  /** basic/utilities/progress: sent only if the caller supplied a progressToken. */
  progress(progress: number, total?: number, message?: string): Promise<void> {
    return this.req.progress(progress, total, message);
  }

  /** The capabilities the client declared: at initialize (legacy), or in this request's envelope (2026-07-28). */
  get clientCapabilities(): ClientCapabilities {
    return this.session.modernOf(this.req)?.envelope.capabilities ?? this.session.clientCapabilities;
  }

  /**
   * server/utilities/logging: filtered by the session's level from logging/setLevel; on a
   * 2026-07-28 request by its `_meta` logLevel, and not sent at all when it has none (nor from
   * a 2026-07-28 task).
   */
  log(level: LoggingLevel, data: unknown, logger?: string): Promise<void> {
    const modern = this.session.modernOf(this.req);
    if (modern) {
      // The tasks extension has no message notifications for tasks (SEP-2663): a task's log lines are dropped.
      if (this.taskId !== undefined) return Promise.resolve();
      const min = modern.envelope.logLevel;
      if (min === undefined || LOG_LEVELS.indexOf(level) < LOG_LEVELS.indexOf(min)) return Promise.resolve();
    } else if (!this.session.wantsLog(level)) return Promise.resolve();
    const params: Record<string, unknown> = logger === undefined ? { level, data } : { level, logger, data };
    return this.req.notify('notifications/message', params);
  }

  /** Sends any notification tied to this request. */
  notify(method: string, params?: Record<string, unknown>): Promise<void> {
    return this.req.notify(method, params);
  }

  private send<R>(method: string, params: Record<string, unknown>, options?: RequestOptions): Promise<R> {
    const p = this.taskId === undefined ? params : { ...params, _meta: { ...(params._meta as Meta | undefined), [RELATED_TASK_META_KEY]: { taskId: this.taskId } } };
    return this.req.request<R>(method, p, options);
  }

  /**
   * client/sampling: asks the client's LLM. Tools in the request need `sampling.tools`.
   * On a 2026-07-28 request this is a multi-round-trip input (`options.inputKey` names it).
   */
  sample(params: CreateMessageRequestParams, options?: InputOptions): Promise<CreateMessageResult> {
    const modern = this.session.modernOf(this.req);
    if (modern) return modern.rounds.ask('sampling/createMessage', params as unknown as Record<string, unknown>, options?.inputKey);
    const caps = this.session.clientCapabilities;
    if (!caps.sampling) return Promise.reject(new ErlmcpError('ERR_CAPABILITY', 'Client does not support sampling'));
    if ((params.tools || params.toolChoice) && !caps.sampling.tools) {
      return Promise.reject(new ErlmcpError('ERR_CAPABILITY', 'Client does not support tool use in sampling'));
    }
    return this.send('sampling/createMessage', params as unknown as Record<string, unknown>, options);
  }

  /** client/elicitation form mode. An empty `elicitation: {}` capability means form (2025-06-18). */
  elicit(params: Omit<ElicitRequestFormParams, 'mode'> & { mode?: 'form' }, options?: InputOptions): Promise<ElicitResult> {
    const modern = this.session.modernOf(this.req);
    if (modern) return modern.rounds.ask('elicitation/create', { mode: 'form', ...params } as Record<string, unknown>, options?.inputKey);
    const e = this.session.clientCapabilities.elicitation;
    if (!e || (e.form === undefined && e.url !== undefined)) {
      return Promise.reject(new ErlmcpError('ERR_CAPABILITY', 'Client does not support form elicitation'));
    }
    return this.send('elicitation/create', params as unknown as Record<string, unknown>, options);
  }

  /** client/elicitation URL mode (2025-11-25). */
  elicitUrl(params: Omit<ElicitRequestURLParams, 'mode'>, options?: InputOptions): Promise<ElicitResult> {
    const modern = this.session.modernOf(this.req);
    if (modern) {
      // 2026-07-28 removed elicitationId: the outcome is learned on the retry.
      const { elicitationId: _id, ...rest } = params as Omit<ElicitRequestURLParams, 'mode'> & { elicitationId?: string };
      return modern.rounds.ask('elicitation/create', { ...rest, mode: 'url' }, options?.inputKey);
    }
    if (!this.session.clientCapabilities.elicitation?.url) {
      return Promise.reject(new ErlmcpError('ERR_CAPABILITY', 'Client does not support URL elicitation'));
    }
    return this.send('elicitation/create', { ...params, mode: 'url' }, options);
  }

  /** client/roots */
  listRoots(options?: InputOptions): Promise<ListRootsResult> {
    const modern = this.session.modernOf(this.req);
    if (modern) return modern.rounds.ask('roots/list', {}, options?.inputKey);
    if (!this.session.clientCapabilities.roots) return Promise.reject(new ErlmcpError('ERR_CAPABILITY', 'Client does not support roots'));
    return this.send('roots/list', {}, options);
  }

  /**
   * Continues a tool call as a task (tools registered with `taskStart: 'handler'`): on a
   * 2026-07-28 request that declared the tasks extension the request is answered with a
   * CreateTaskResult and `work` runs detached, its outcome on tasks/get; the handler should
   * return what this resolves to. Anywhere else (a legacy session, a call already running as a
   * task, a request without the extension) `work` simply runs now, with this context.
   */
  runAsTask(work: (ctx: HandlerContext) => CallToolResult | Promise<CallToolResult>): Promise<CallToolResult> {
    const start = this.taskStarter;
    if (start === undefined) return Promise.resolve().then(() => work(this));
    return start(work);
  }

  /** Streamable HTTP: end this request's SSE stream now; the client resumes it (SEP-1699). */
  closeSSEStream(): void {
    this.req.extra?.closeSSEStream?.();
  }
}
