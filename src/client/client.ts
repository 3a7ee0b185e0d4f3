/**
 * MCP client: typed methods for every client→server request, handlers for the server's
 * requests (sampling, elicitation, roots), notification callbacks, and output-schema checks
 * of structuredContent. Re-initializes transparently when the server forgot the session
 * (Streamable HTTP 404, basic/transports#session-management).
 */
import { Endpoint } from '../engine/endpoint.js';
import type { RequestContext } from '../engine/context.js';
import type { RequestOptions } from '../engine/outbound.js';
import { ErlmcpError } from '../protocol/errors.js';
import type { ClientRequestMap } from '../protocol/methods.js';
import type { MessageExtra, Transport } from '../protocol/transport.js';
import type * as T from '../protocol/types.js';
import { LATEST_PROTOCOL_VERSION, isSupportedVersion } from '../protocol/versions.js';
import { runClientChain, type ClientCall, type ClientMiddleware } from './middleware.js';
import { OutputValidators } from './output-validators.js';
import { META, LATEST_MODERN_PROTOCOL_VERSION } from '../protocol/eras.js';
import { classifyProbe, eraVerdicts, originOf } from './era.js';
import type { ClientOptions } from './options.js';
import { serveInbound } from './inbound.js';
import { ModernRequests } from './modern.js';
import { Listens, type ListenFilter, type Subscription } from './listen.js';
import { sendBatch, type BatchCall, type BatchResult } from './batch.js';
import { versionAllowsBatch } from '../protocol/versions.js';

export type { ClientOptions, ElicitationHandler, SamplingHandler } from './options.js';

/** Legacy methods 2026-07-28 removed; a modern client refuses them locally. */
const REMOVED_IN_MODERN = new Set(['ping', 'initialize', 'resources/subscribe', 'resources/unsubscribe', 'tasks/get', 'tasks/result', 'tasks/list', 'tasks/cancel']);

type Params<M extends keyof ClientRequestMap> = ClientRequestMap[M]['params'];
type ResultOf<M extends keyof ClientRequestMap> = ClientRequestMap[M]['result'];

/**
 * An MCP client: typed methods for every client→server request; sampling, elicitation and roots
 * handlers given as options (they also declare the capabilities).
 *
 * @example
 * const client = new Client({ name: 'my-client', version: '1.0.0' });
 * await client.connect(new StreamableHttpClientTransport('http://127.0.0.1:3000/mcp'));
 * const { tools } = await client.listTools();
 */
export class Client extends Endpoint {
  serverCapabilities: T.ServerCapabilities | undefined;
  serverInfo: T.Implementation | undefined;
  protocolVersion: string | undefined;
  instructions: string | undefined;
  private roots: T.Root[] | undefined;
  private readonly outputs = new OutputValidators();
  private reinit: Promise<void> | undefined;
  private readonly middlewares: ClientMiddleware[] = [];
  /** Set once the era is modern (2026-07-28): the request path with envelope, MRTR and cache. */
  private modern: ModernRequests | undefined;
  private readonly listens = new Listens();

  onnotification?: (method: string, params: Record<string, unknown> | undefined) => void;
  onToolsListChanged?: () => void;
  onResourcesListChanged?: () => void;
  onPromptsListChanged?: () => void;
  onResourceUpdated?: (uri: string) => void;
  onLogMessage?: (params: T.LoggingMessageNotificationParams) => void;
  onElicitationComplete?: (elicitationId: string) => void;
  onTaskStatus?: (task: T.Task) => void;

  constructor(
    readonly info: T.Implementation,
    readonly options: ClientOptions = {},
  ) {
    super(options);
    this.roots = options.roots;
  }

  /**
   * Adds a middleware around every request sent and received (outermost first); see middleware.ts.
   *
   * @example
   * client.use((call, next) => (call.direction === 'outbound' ? next() : next()));
   */
  use(middleware: ClientMiddleware): this {
    this.middlewares.push(middleware);
    return this;
  }

  override request<R = T.Result>(method: string, params?: Record<string, unknown>, options?: RequestOptions): Promise<R> {
    if (this.middlewares.length === 0) return super.request<R>(method, params, options);
    const call = this.clientCall('outbound', method, params, undefined);
    return runClientChain(this.middlewares, call, () => super.request(method, call.params, options)) as Promise<R>;
  }

  private clientCall(direction: ClientCall['direction'], method: string, params: Record<string, unknown> | undefined, id: T.RequestId | undefined): ClientCall {
    const transport = this.transport;
    return { direction, method, params, id, transport: transport?.kind, sessionId: transport?.sessionId, protocolVersion: this.protocolVersion };
  }

  capabilities(): T.ClientCapabilities {
    if (this.options.capabilities) return this.options.capabilities;
    const caps: T.ClientCapabilities = {};
    if (this.options.sampling) caps.sampling = this.options.samplingTools ? { tools: {} } : {};
    if (this.options.elicitation) {
      const modes = this.options.elicitationModes ?? ['form'];
      caps.elicitation = Object.fromEntries(modes.map((m) => [m, {}]));
    }
    if (this.roots) caps.roots = { listChanged: true };
    return caps;
  }

  /** The negotiated era: 'modern' (2026-07-28, stateless) or 'legacy' (initialize); undefined before connect. */
  get era(): 'modern' | 'legacy' | undefined {
    return this.modern ? 'modern' : this.protocolVersion ? 'legacy' : undefined;
  }

  /**
   * Connects and settles the era: the initialize handshake (basic/lifecycle#initialization) or,
   * per `versionNegotiation`, the 2026-07-28 probe with `server/discover`.
   */
  override async connect(transport: Transport): Promise<void> {
    await super.connect(transport);
    try {
      const mode = this.options.versionNegotiation ?? 'legacy';
      if (mode === 'legacy') await this.initialize();
      else await this.negotiate(mode, transport);
    } catch (e) {
      this.modern = undefined;
      await this.close();
      throw e;
    }
  }

  /** 2026-07-28 basic/versioning §Backward Compatibility: probe, classify, cache the verdict. */
  private async negotiate(mode: 'auto' | { pin: string }, transport: Transport): Promise<void> {
    const cached = eraVerdicts.get(transport);
    if (cached?.kind === 'legacy' && mode === 'auto') return this.initialize();
    if (cached?.kind === 'modern' && (mode === 'auto' || mode.pin === cached.version)) return this.adoptModern(cached.version, cached.discover);
    let version = mode === 'auto' ? LATEST_MODERN_PROTOCOL_VERSION : mode.pin;
    for (let corrected = false; ; corrected = true) {
      const probe = new ModernRequests(this.modernHost(), version, this.options.maxInputRounds);
      let outcome: { result: Record<string, unknown> } | { error: unknown };
      try {
        const timeoutMs = this.options.probeTimeoutMs;
        outcome = { result: await this.request<Record<string, unknown>>('server/discover', probe.withEnvelope(undefined), timeoutMs === undefined ? undefined : { timeoutMs }) };
      } catch (error) {
        outcome = { error };
      }
      const verdict = classifyProbe(outcome, version, corrected, originOf(transport) === undefined);
      if (verdict.kind === 'retry') {
        version = verdict.version;
        if (!corrected) continue;
      }
      if (verdict.kind === 'modern') {
        eraVerdicts.set(transport, { kind: 'modern', discover: verdict.discover, version });
        return this.adoptModern(version, verdict.discover);
      }
      if (verdict.kind === 'legacy' && mode === 'auto') {
        eraVerdicts.set(transport, { kind: 'legacy' });
        return this.initialize();
      }
      if (verdict.kind === 'error') throw verdict.error;
      throw new ErlmcpError('ERR_PROTOCOL_VERSION', `Server does not speak protocol ${version} (pinned)`, { cause: 'error' in outcome ? outcome.error : undefined });
    }
  }

  private adoptModern(version: string, discover: Record<string, unknown>): void {
    this.modern = new ModernRequests(this.modernHost(), version, this.options.maxInputRounds);
    this.modern.logLevel = this.options.logLevel;
    this.protocolVersion = version;
    this.serverCapabilities = discover.capabilities as T.ServerCapabilities | undefined;
    // serverInfo belongs in the result _meta; some servers still put it in the body.
    this.serverInfo = ((discover._meta as Record<string, unknown> | undefined)?.[META.serverInfo] ?? discover.serverInfo) as T.Implementation | undefined;
    this.instructions = typeof discover.instructions === 'string' ? discover.instructions : undefined;
  }

  private modernHost() {
    return {
      request: (method: string, params: Record<string, unknown>, options?: RequestOptions) => this.request<Record<string, unknown>>(method, params, options),
      capabilities: () => this.capabilities(),
      info: this.info,
      fulfil: (method: string, params: Record<string, unknown> | undefined, signal: AbortSignal | undefined) => this.fulfilInput(method, params, signal),
      toolsListed: (r: Record<string, unknown>) => {
        if (Array.isArray(r.tools)) this.outputs.learn(r.tools as T.Tool[]);
      },
    };
  }

  /** MRTR: an embedded input request goes to the same handler a legacy server→client request would. */
  private async fulfilInput(method: string, params: Record<string, unknown> | undefined, signal: AbortSignal | undefined): Promise<Record<string, unknown>> {
    const ctx: RequestContext = {
      id: `input:${method}`,
      method,
      signal: signal ?? new AbortController().signal,
      meta: undefined,
      progressToken: undefined,
      extra: undefined,
      notify: async () => {},
      request: () => Promise.reject(new ErlmcpError('ERR_CAPABILITY', 'A 2026-07-28 input request cannot send nested requests')),
      progress: async () => {},
      abort: () => {},
    };
    return (await this.dispatchRequest(method, params, ctx)) as Record<string, unknown>;
  }

  /**
   * Opens a `subscriptions/listen` stream (2026-07-28 only) and resolves once the server
   * acknowledged it, with the subset it honours in `honored`.
   * @example
   * const sub = await client.listen({ toolsListChanged: true, resourceSubscriptions: ['file:///a'] });
   * sub.onnotification = (n) => console.log(n.method);
   * await sub.close();
   */
  listen(filter: ListenFilter, options?: { timeoutMs?: number }): Promise<Subscription> {
    const modern = this.modern;
    if (!modern) return Promise.reject(new ErlmcpError('ERR_CAPABILITY', 'listen() needs the 2026-07-28 era (versionNegotiation auto or pin)'));
    return this.listens.open((signal) => modern.send('subscriptions/listen', { notifications: filter }, { signal, timeoutMs: options?.timeoutMs ?? Infinity }));
  }

  private async initialize(): Promise<void> {
    const requested = this.options.protocolVersion ?? LATEST_PROTOCOL_VERSION;
    const result = await this.request<T.InitializeResult>('initialize', { protocolVersion: requested, capabilities: this.capabilities(), clientInfo: this.info });
    if (!isSupportedVersion(result.protocolVersion)) {
      throw new ErlmcpError('ERR_PROTOCOL_VERSION', `Server chose protocol version ${result.protocolVersion}, which this client does not support`);
    }
    this.protocolVersion = result.protocolVersion;
    this.serverCapabilities = result.capabilities;
    this.serverInfo = result.serverInfo;
    this.instructions = result.instructions;
    this.transport?.setProtocolVersion?.(result.protocolVersion);
    await this.notify('notifications/initialized');
  }

  /** Sends a typed request; after a session expiry it re-initializes once and retries. */
  async call<M extends keyof ClientRequestMap>(method: M, params?: Params<M>, options?: RequestOptions): Promise<ResultOf<M>> {
    if (this.modern) return this.modernCall(method, params as Record<string, unknown> | undefined, options) as Promise<ResultOf<M>>;
    try {
      return await this.request<ResultOf<M>>(method, params as Record<string, unknown> | undefined, options);
    } catch (e) {
      if (!(e instanceof ErlmcpError) || e.code !== 'ERR_SESSION_EXPIRED' || method === 'initialize') throw e;
      this.reinit ??= this.initialize().finally(() => (this.reinit = undefined));
      await this.reinit;
      return this.request<ResultOf<M>>(method, params as Record<string, unknown> | undefined, options);
    }
  }

  /**
   * Sends many calls at once and resolves with one settled result per call, in order: one
   * JSON-RPC batch (one HTTP POST) on a 2025-03-26 session, pipelined requests otherwise
   * (see batch.ts). A call's failure never fails the others.
   *
   * @example
   * const [a, b] = await client.batch([{ method: 'tools/list' }, { method: 'resources/read', params: { uri: 'file:///a' } }]);
   * if (a.status === 'fulfilled') console.log(a.value);
   */
  batch(calls: readonly BatchCall[], options?: RequestOptions): Promise<BatchResult[]> {
    return sendBatch(
      {
        middlewares: this.middlewares,
        batchable: this.modern === undefined && versionAllowsBatch(this.protocolVersion),
        modern: this.modern !== undefined,
        callOne: (method, params, o) => this.call(method as keyof ClientRequestMap, params as never, o) as Promise<T.Result>,
        requestMany: (cs, asBatch) => this.requestMany(cs, asBatch),
        clientCall: (method, params) => this.clientCall('outbound', method, params, undefined),
        recover: () => (this.reinit ??= this.initialize().finally(() => (this.reinit = undefined))),
      },
      calls,
      options,
    );
  }

  /** 2026-07-28: the envelope, resultType, MRTR and the cache; methods the revision removed fail locally. */
  private modernCall(method: string, params: Record<string, unknown> | undefined, options?: RequestOptions): Promise<Record<string, unknown>> {
    const modern = this.modern!;
    if (method === 'logging/setLevel') {
      // Replaced by the per-request _meta logLevel (basic/utilities/logging, 2026-07-28).
      modern.logLevel = params?.level as T.LoggingLevel;
      return Promise.resolve({});
    }
    if (REMOVED_IN_MODERN.has(method)) return Promise.reject(new ErlmcpError('ERR_CAPABILITY', `${method} does not exist in protocol ${modern.version}`));
    return modern.call(method, params, options);
  }

  /** Fetches `server/discover` (2026-07-28; cached for its ttlMs). */
  discover(options?: RequestOptions): Promise<Record<string, unknown>> {
    if (!this.modern) return Promise.reject(new ErlmcpError('ERR_CAPABILITY', 'server/discover needs the 2026-07-28 era'));
    return this.modern.call('server/discover', undefined, options);
  }

  /** `ping`: resolves when the server answers. @example await client.ping(); */
  ping(options?: RequestOptions) {
    return this.call('ping', undefined, options);
  }
  /** One page of `tools/list` (pass `{ cursor }` for the next). @example const { tools, nextCursor } = await client.listTools(); */
  listTools(params?: T.PaginatedRequestParams, options?: RequestOptions): Promise<T.ListToolsResult> {
    return this.call('tools/list', params, options).then((r) => {
      this.outputs.learn(r.tools);
      return r;
    });
  }
  /** Follows nextCursor to the end. */
  async listAllTools(options?: RequestOptions): Promise<T.Tool[]> {
    const out: T.Tool[] = [];
    let cursor: string | undefined;
    do {
      const r = await this.listTools(cursor === undefined ? undefined : { cursor }, options);
      out.push(...r.tools);
      cursor = r.nextCursor;
    } while (cursor !== undefined);
    return out;
  }
  /**
   * `tools/call`; `structuredContent` is checked against the tool's `outputSchema` (learnt from
   * `tools/list`). A tool failure is a result with `isError: true`, not a rejection.
   *
   * @example
   * const r = await client.callTool({ name: 'add', arguments: { a: 1, b: 2 } }, { onprogress: (p) => console.log(p.progress) });
   */
  async callTool(params: T.CallToolRequestParams, options?: RequestOptions): Promise<T.CallToolResult> {
    const r = (await this.call('tools/call', params, options)) as T.CallToolResult;
    if (this.options.validateOutput !== false) this.outputs.check(params.name, r);
    return r;
  }
  /** Task-augmented tools/call (basic/utilities/tasks): returns the created task at once. */
  /** `tools/call` as a task (experimental): resolves at once with the task. @example const { task } = await client.callToolAsTask({ name: 'report', arguments: {} }); */
  async callToolAsTask(params: Omit<T.CallToolRequestParams, 'task'>, task: T.TaskMetadata = {}, options?: RequestOptions): Promise<T.CreateTaskResult> {
    return (await this.call('tools/call', { ...params, task }, options)) as T.CreateTaskResult;
  }
  getTask(taskId: string, options?: RequestOptions) {
    return this.call('tasks/get', { taskId }, options);
  }
  /** `tasks/result`: waits for the task to finish and returns the tool's result. @example const r = await client.getTaskResult(task.taskId); */
  getTaskResult(taskId: string, options?: RequestOptions) {
    return this.call('tasks/result', { taskId }, options);
  }
  listTasks(params?: T.PaginatedRequestParams, options?: RequestOptions) {
    return this.call('tasks/list', params, options);
  }
  cancelTask(taskId: string, options?: RequestOptions) {
    return this.call('tasks/cancel', { taskId }, options);
  }
  /** One page of `resources/list`. @example const { resources } = await client.listResources(); */
  listResources(params?: T.PaginatedRequestParams, options?: RequestOptions) {
    return this.call('resources/list', params, options);
  }
  listResourceTemplates(params?: T.PaginatedRequestParams, options?: RequestOptions) {
    return this.call('resources/templates/list', params, options);
  }
  /** `resources/read`. @example const { contents } = await client.readResource('config://motd'); */
  readResource(uri: string, options?: RequestOptions) {
    return this.call('resources/read', { uri }, options);
  }
  /** `resources/subscribe`: `notifications/resources/updated` follow (see `onnotification`). @example await client.subscribeResource('config://motd'); */
  subscribeResource(uri: string, options?: RequestOptions) {
    return this.call('resources/subscribe', { uri }, options);
  }
  unsubscribeResource(uri: string, options?: RequestOptions) {
    return this.call('resources/unsubscribe', { uri }, options);
  }
  /** One page of `prompts/list`. @example const { prompts } = await client.listPrompts(); */
  listPrompts(params?: T.PaginatedRequestParams, options?: RequestOptions) {
    return this.call('prompts/list', params, options);
  }
  /** `prompts/get` with string arguments. @example const { messages } = await client.getPrompt('review', { code: 'x = 1' }); */
  getPrompt(name: string, args?: Record<string, string>, options?: RequestOptions) {
    return this.call('prompts/get', args === undefined ? { name } : { name, arguments: args }, options);
  }
  /** `completion/complete` for a prompt or template argument. @example await client.complete({ ref: { type: 'ref/prompt', name: 'review' }, argument: { name: 'code', value: 'x' } }); */
  complete(params: T.CompleteRequestParams, options?: RequestOptions) {
    return this.call('completion/complete', params, options);
  }
  setLoggingLevel(level: T.LoggingLevel, options?: RequestOptions) {
    return this.call('logging/setLevel', { level }, options);
  }

  /** Replaces the roots and tells the server (client/roots#root-list-changes). */
  async setRoots(roots: T.Root[]): Promise<void> {
    this.roots = roots;
    // 2026-07-28 has no roots/list_changed: roots travel with each input request.
    if (this.connected && this.protocolVersion && !this.modern) await this.notify('notifications/roots/list_changed');
  }

  protected override dispatchRequest(method: string, params: Record<string, unknown> | undefined, ctx: RequestContext): Promise<T.Result> {
    const serve = (): Promise<T.Result> => serveInbound(method, params, ctx, this.options, this.roots);
    if (this.middlewares.length === 0) return serve();
    return runClientChain(this.middlewares, this.clientCall('inbound', method, params, ctx.id), serve);
  }

  protected override dispatchNotification(method: string, params: Record<string, unknown> | undefined, _extra: MessageExtra | undefined): void {
    if (this.modern) {
      if (this.listens.acknowledged(method, params)) return;
      this.modern.cache.invalidate(method, params);
      this.listens.deliver(method, params);
    }
    switch (method) {
      case 'notifications/tools/list_changed':
        this.outputs.clear();
        this.onToolsListChanged?.();
        break;
      case 'notifications/resources/list_changed':
        this.onResourcesListChanged?.();
        break;
      case 'notifications/prompts/list_changed':
        this.onPromptsListChanged?.();
        break;
      case 'notifications/resources/updated':
        this.onResourceUpdated?.(String(params?.uri));
        break;
      case 'notifications/message':
        this.onLogMessage?.(params as unknown as T.LoggingMessageNotificationParams);
        break;
      case 'notifications/elicitation/complete':
        this.onElicitationComplete?.(String(params?.elicitationId));
        break;
      case 'notifications/tasks/status':
        this.onTaskStatus?.(params as unknown as T.Task);
        break;
    }
    this.onnotification?.(method, params);
  }
}
