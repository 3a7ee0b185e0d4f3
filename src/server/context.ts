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

export class HandlerContext {
  /** Set when the call runs as a task (tasks/*); nested requests carry the related-task meta. */
  taskId: string | undefined;

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

  /** server/utilities/logging: filtered by the session's level from logging/setLevel. */
  log(level: LoggingLevel, data: unknown, logger?: string): Promise<void> {
    if (!this.session.wantsLog(level)) return Promise.resolve();
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

  /** client/sampling: asks the client's LLM. Tools in the request need `sampling.tools`. */
  sample(params: CreateMessageRequestParams, options?: RequestOptions): Promise<CreateMessageResult> {
    const caps = this.session.clientCapabilities;
    if (!caps.sampling) return Promise.reject(new ErlmcpError('ERR_CAPABILITY', 'Client does not support sampling'));
    if ((params.tools || params.toolChoice) && !caps.sampling.tools) {
      return Promise.reject(new ErlmcpError('ERR_CAPABILITY', 'Client does not support tool use in sampling'));
    }
    return this.send('sampling/createMessage', params as unknown as Record<string, unknown>, options);
  }

  /** client/elicitation form mode. An empty `elicitation: {}` capability means form (2025-06-18). */
  elicit(params: Omit<ElicitRequestFormParams, 'mode'> & { mode?: 'form' }, options?: RequestOptions): Promise<ElicitResult> {
    const e = this.session.clientCapabilities.elicitation;
    if (!e || (e.form === undefined && e.url !== undefined)) {
      return Promise.reject(new ErlmcpError('ERR_CAPABILITY', 'Client does not support form elicitation'));
    }
    return this.send('elicitation/create', params as unknown as Record<string, unknown>, options);
  }

  /** client/elicitation URL mode (2025-11-25). */
  elicitUrl(params: Omit<ElicitRequestURLParams, 'mode'>, options?: RequestOptions): Promise<ElicitResult> {
    if (!this.session.clientCapabilities.elicitation?.url) {
      return Promise.reject(new ErlmcpError('ERR_CAPABILITY', 'Client does not support URL elicitation'));
    }
    return this.send('elicitation/create', { ...params, mode: 'url' }, options);
  }

  /** client/roots */
  listRoots(options?: RequestOptions): Promise<ListRootsResult> {
    if (!this.session.clientCapabilities.roots) return Promise.reject(new ErlmcpError('ERR_CAPABILITY', 'Client does not support roots'));
    return this.send('roots/list', {}, options);
  }

  /** Streamable HTTP: end this request's SSE stream now; the client resumes it (SEP-1699). */
  closeSSEStream(): void {
    this.req.extra?.closeSSEStream?.();
  }
}
