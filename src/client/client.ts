/**
 * MCP client: typed methods for every client→server request, handlers for the server's
 * requests (sampling, elicitation, roots), notification callbacks, and output-schema checks
 * of structuredContent. Re-initializes transparently when the server forgot the session
 * (Streamable HTTP 404, basic/transports#session-management).
 */
import { Endpoint, type EndpointOptions } from '../engine/endpoint.js';
import type { RequestContext } from '../engine/context.js';
import type { RequestOptions } from '../engine/outbound.js';
import { ErlmcpError, ErrorCode, McpError } from '../protocol/errors.js';
import type { ClientRequestMap } from '../protocol/methods.js';
import type { MessageExtra, Transport } from '../protocol/transport.js';
import type * as T from '../protocol/types.js';
import { LATEST_PROTOCOL_VERSION, isSupportedVersion } from '../protocol/versions.js';
import { applyElicitationDefaults } from './elicitation-defaults.js';
import { runClientChain, type ClientCall, type ClientMiddleware } from './middleware.js';
import { OutputValidators } from './output-validators.js';

export type SamplingHandler = (params: T.CreateMessageRequestParams, ctx: RequestContext) => T.CreateMessageResult | Promise<T.CreateMessageResult>;
export type ElicitationHandler = (params: T.ElicitRequestParams, ctx: RequestContext) => T.ElicitResult | Promise<T.ElicitResult>;

export interface ClientOptions extends EndpointOptions {
  /** Sent as-is at initialize; otherwise derived from the handlers given here. */
  capabilities?: T.ClientCapabilities;
  protocolVersion?: string;
  sampling?: SamplingHandler;
  /** Advertise tool use in sampling (sampling.tools). */
  samplingTools?: boolean;
  elicitation?: ElicitationHandler;
  /** Which elicitation modes to advertise. Default ['form']. */
  elicitationModes?: ('form' | 'url')[];
  roots?: T.Root[];
  /** Reject structuredContent that does not match the tool's outputSchema. Default true. */
  validateOutput?: boolean;
}

type Params<M extends keyof ClientRequestMap> = ClientRequestMap[M]['params'];
type ResultOf<M extends keyof ClientRequestMap> = ClientRequestMap[M]['result'];

export class Client extends Endpoint {
  serverCapabilities: T.ServerCapabilities | undefined;
  serverInfo: T.Implementation | undefined;
  protocolVersion: string | undefined;
  instructions: string | undefined;
  private roots: T.Root[] | undefined;
  private readonly outputs = new OutputValidators();
  private reinit: Promise<void> | undefined;
  private readonly middlewares: ClientMiddleware[] = [];

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

  /** Connects and runs the initialize handshake (basic/lifecycle#initialization). */
  override async connect(transport: Transport): Promise<void> {
    await super.connect(transport);
    try {
      await this.initialize();
    } catch (e) {
      await this.close();
      throw e;
    }
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
    try {
      return await this.request<ResultOf<M>>(method, params as Record<string, unknown> | undefined, options);
    } catch (e) {
      if (!(e instanceof ErlmcpError) || e.code !== 'ERR_SESSION_EXPIRED' || method === 'initialize') throw e;
      this.reinit ??= this.initialize().finally(() => (this.reinit = undefined));
      await this.reinit;
      return this.request<ResultOf<M>>(method, params as Record<string, unknown> | undefined, options);
    }
  }

  ping(options?: RequestOptions) {
    return this.call('ping', undefined, options);
  }
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
  async callTool(params: T.CallToolRequestParams, options?: RequestOptions): Promise<T.CallToolResult> {
    const r = (await this.call('tools/call', params, options)) as T.CallToolResult;
    if (this.options.validateOutput !== false) this.outputs.check(params.name, r);
    return r;
  }
  /** Task-augmented tools/call (basic/utilities/tasks): returns the created task at once. */
  async callToolAsTask(params: Omit<T.CallToolRequestParams, 'task'>, task: T.TaskMetadata = {}, options?: RequestOptions): Promise<T.CreateTaskResult> {
    return (await this.call('tools/call', { ...params, task }, options)) as T.CreateTaskResult;
  }
  getTask(taskId: string, options?: RequestOptions) {
    return this.call('tasks/get', { taskId }, options);
  }
  getTaskResult(taskId: string, options?: RequestOptions) {
    return this.call('tasks/result', { taskId }, options);
  }
  listTasks(params?: T.PaginatedRequestParams, options?: RequestOptions) {
    return this.call('tasks/list', params, options);
  }
  cancelTask(taskId: string, options?: RequestOptions) {
    return this.call('tasks/cancel', { taskId }, options);
  }
  listResources(params?: T.PaginatedRequestParams, options?: RequestOptions) {
    return this.call('resources/list', params, options);
  }
  listResourceTemplates(params?: T.PaginatedRequestParams, options?: RequestOptions) {
    return this.call('resources/templates/list', params, options);
  }
  readResource(uri: string, options?: RequestOptions) {
    return this.call('resources/read', { uri }, options);
  }
  subscribeResource(uri: string, options?: RequestOptions) {
    return this.call('resources/subscribe', { uri }, options);
  }
  unsubscribeResource(uri: string, options?: RequestOptions) {
    return this.call('resources/unsubscribe', { uri }, options);
  }
  listPrompts(params?: T.PaginatedRequestParams, options?: RequestOptions) {
    return this.call('prompts/list', params, options);
  }
  getPrompt(name: string, args?: Record<string, string>, options?: RequestOptions) {
    return this.call('prompts/get', args === undefined ? { name } : { name, arguments: args }, options);
  }
  complete(params: T.CompleteRequestParams, options?: RequestOptions) {
    return this.call('completion/complete', params, options);
  }
  setLoggingLevel(level: T.LoggingLevel, options?: RequestOptions) {
    return this.call('logging/setLevel', { level }, options);
  }

  /** Replaces the roots and tells the server (client/roots#root-list-changes). */
  async setRoots(roots: T.Root[]): Promise<void> {
    this.roots = roots;
    if (this.connected && this.protocolVersion) await this.notify('notifications/roots/list_changed');
  }

  protected override dispatchRequest(method: string, params: Record<string, unknown> | undefined, ctx: RequestContext): Promise<T.Result> {
    if (this.middlewares.length === 0) return this.serve(method, params, ctx);
    return runClientChain(this.middlewares, this.clientCall('inbound', method, params, ctx.id), () => this.serve(method, params, ctx));
  }

  private async serve(method: string, params: Record<string, unknown> | undefined, ctx: RequestContext): Promise<T.Result> {
    switch (method) {
      case 'ping':
        return {};
      case 'sampling/createMessage': {
        const h = this.options.sampling;
        if (!h) throw new McpError(ErrorCode.MethodNotFound, 'Client does not support sampling');
        return h(params as unknown as T.CreateMessageRequestParams, ctx);
      }
      case 'elicitation/create': {
        const h = this.options.elicitation;
        if (!h) throw new McpError(ErrorCode.MethodNotFound, 'Client does not support elicitation');
        const p = params as unknown as T.ElicitRequestParams;
        const result = await h(p, ctx);
        return p.mode === 'url' ? result : applyElicitationDefaults(p, result);
      }
      case 'roots/list':
        if (!this.roots) throw new McpError(ErrorCode.MethodNotFound, 'Client does not support roots');
        return { roots: this.roots };
      default:
        throw new McpError(ErrorCode.MethodNotFound, `Method not found: ${method}`);
    }
  }

  protected override dispatchNotification(method: string, params: Record<string, unknown> | undefined, _extra: MessageExtra | undefined): void {
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
