/**
 * A server definition: tools, resources, prompts, options. Defined once, it serves any number
 * of sessions — `connect(transport)` creates a small ServerSession that points back here.
 * Runtime changes (add/remove/enable/disable) fan out as list_changed notifications to every
 * initialized session, coalesced per tick.
 */
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { randomBytes } from 'node:crypto';
import type { OutboundHook } from '../engine/endpoint.js';
import type { AuthInfo, Transport } from '../protocol/transport.js';
import type { Implementation, Resource, Result, ServerCapabilities } from '../protocol/types.js';
import type { Admission, AdmissionHook, AdmissionRequest } from './admission.js';
import { ServerEvents } from './events.js';
import { resolveLimits, type ServerLimits } from './limits.js';
import type { Refusal, RefusalListener } from './refusal.js';
import { RequestStateCodec } from './modern/request-state.js';
import { modernHandler } from './modern/dispatch.js';
import type { Call, Middleware } from './middleware.js';
import type { NotificationFanout, Registered, ServerEventListener, ServerOptions } from './options.js';
import { Seam } from './seam.js';
import type { SchemaInput } from '../schema/validator.js';
import type { SessionState } from '../stores/types.js';
import type { HandlerContext } from './context.js';
import type { WorkerPool } from './isolate/pool.js';
import type { IsolateConfig } from './isolate/types.js';
import { Registry } from './registry/list.js';
import { PromptEntry, type PromptArgsInput, type PromptConfig, type PromptHandler } from './registry/prompts.js';
import {
  ResourceEntry,
  TemplateEntry,
  type ReadResourceHandler,
  type ReadTemplateHandler,
  type ResourceMetadata,
  type ResourceTemplateOptions,
} from './registry/resources.js';
import { ToolEntry, type ToolConfig, type ToolHandler } from './registry/tools.js';
import { ServerSession } from './session.js';
import { MemoryTaskStore } from '../stores/memory-task-store.js';
import type { TaskStore } from '../stores/types.js';

export type { NotificationFanout, Registered, ServerEventListener, ServerOptions } from './options.js';



/**
 * An MCP server definition: tools, resources, templates and prompts, registered once and served
 * to any number of sessions over any transports (`connect`, or a transport server given it).
 *
 * @example
 * const server = new McpServer({ name: 'weather', version: '1.0.0' });
 * server.tool('forecast', { inputSchema: z.object({ city: z.string() }) }, ({ city }) => ({ content: [{ type: 'text', text: `${city}: sunny` }] }));
 * await server.connect(new StdioServerTransport());
 */
export class McpServer {
  readonly tools: Registry<string, ToolEntry, ReturnType<ToolEntry['wire']>>;
  readonly resources: Registry<string, ResourceEntry, ReturnType<ResourceEntry['wire']>>;
  readonly templates: Registry<string, TemplateEntry, ReturnType<TemplateEntry['wire']>>;
  readonly prompts: Registry<string, PromptEntry, ReturnType<PromptEntry['wire']>>;
  /** Where tasks live; `useTaskStore` swaps it (a Redis one shares tasks across nodes). */
  taskStore: TaskStore;
  readonly pageSize: number;
  readonly idPrefix: string;
  private readonly sessions = new Set<ServerSession>();
  private readonly sessionEndListeners = new Set<(session: ServerSession) => void>();
  /** @internal task id → the controller of its detached run. */
  readonly runningTasks = new Map<string, AbortController>();
  private readonly localIds = new WeakMap<ServerSession, number>();
  private nextLocalId = 0;
  private capsCache: ServerCapabilities | undefined;
  private readonly seam = new Seam();
  private readonly events: ServerEvents;
  /** @internal signs and checks MRTR requestState. */
  readonly requestStates: RequestStateCodec;
  /** @internal cache hints stamped on cacheable modern results. */
  readonly cacheHints: { readonly ttlMs: number; readonly scope: 'public' | 'private' };
  /** The limits in force: `options.limits` over the defaults (see `configureLimits`). */
  limits: ReturnType<typeof resolveLimits>;
  /** The worker pool of isolated tools (stats, events); made on the first isolated call. */
  isolatePool: WorkerPool | undefined;
  onerror?: (error: Error) => void;
  /** One handler for every session's errors (no closure per session). */
  private readonly reportSessionError = (e: Error): void => this.onerror?.(e);
  /** A client sent notifications/roots/list_changed. */
  onrootschanged?: (session: ServerSession) => void;

  constructor(
    readonly info: Implementation,
    readonly options: ServerOptions = {},
  ) {
    this.idPrefix = options.idPrefix ?? `${randomBytes(4).toString('hex')}-`;
    this.pageSize = options.pageSize ?? 100;
    this.limits = resolveLimits(options.limits);
    this.requestStates = new RequestStateCodec(options.requestStateSecret ?? process.env.ERLMCP_REQUEST_STATE_SECRET);
    this.cacheHints = { ttlMs: options.cache?.ttlMs ?? 0, scope: options.cache?.scope ?? 'private' };
    this.taskStore = options.taskStore ?? new MemoryTaskStore();
    this.events = new ServerEvents(() => this.sessions, (e) => this.onerror?.(e));
    this.tools = new Registry('Tool', () => this.listChanged('tools'));
    this.resources = new Registry('Resource', () => this.listChanged('resources'));
    this.templates = new Registry('Resource template', () => this.listChanged('resources'));
    this.prompts = new Registry('Prompt', () => this.listChanged('prompts'));
  }

  // ---------- registration ----------

  /**
   * Registers a tool (server/tools). `inputSchema`/`outputSchema` are Standard Schemas (zod…) or
   * JSON Schema objects, compiled once here; a duplicate name throws. With `isolate`, the handler is
   * that module's export, run on a worker thread (docs/isolation.md). Guide: docs/tools.md.
   *
   * @example
   * server.tool('add', { description: 'Adds', inputSchema: z.object({ a: z.number(), b: z.number() }) }, ({ a, b }) => ({
   *   content: [{ type: 'text', text: String(a + b) }],
   * }));
   */
  /** An isolated tool: its handler is `config.isolate`'s module export, run on a worker thread. */
  tool<I extends SchemaInput | undefined = undefined, O extends SchemaInput | undefined = undefined>(name: string, config: ToolConfig<I, O> & { isolate: IsolateConfig }): Registered;
  tool<I extends SchemaInput | undefined = undefined, O extends SchemaInput | undefined = undefined>(name: string, config: ToolConfig<I, O>, handler: ToolHandler<I, O>): Registered;
  tool<I extends SchemaInput | undefined = undefined, O extends SchemaInput | undefined = undefined>(name: string, config: ToolConfig<I, O>, handler?: ToolHandler<I, O>): Registered {
    const entry = new ToolEntry(name, config as ToolConfig<SchemaInput | undefined, SchemaInput | undefined>, handler as unknown as ToolHandler<SchemaInput | undefined, SchemaInput | undefined> | undefined);
    return this.tools.register(name, entry);
  }

  /**
   * Registers a resource at one fixed URI (server/resources). Guide: docs/resources.md.
   *
   * @example
   * server.resource('config://motd', { name: 'motd', mimeType: 'text/plain' }, (uri) => ({ contents: [{ uri, text: 'hello' }] }));
   */
  resource(uri: string, metadata: ResourceMetadata & { name?: string }, read: ReadResourceHandler): Registered {
    const entry = new ResourceEntry(uri, metadata, read);
    return this.resources.register(uri, entry);
  }

  /**
   * Registers an RFC 6570 resource template; `read` gets the matched variables, `options.complete`
   * offers values per variable (completion/complete). Guide: docs/resources.md.
   *
   * @example
   * server.resourceTemplate('user', 'users://{id}', { mimeType: 'application/json' }, (uri, { id }) => ({
   *   contents: [{ uri, text: JSON.stringify({ id }) }],
   * }));
   */
  resourceTemplate(name: string, uriTemplate: string, metadata: ResourceMetadata, read: ReadTemplateHandler, options?: ResourceTemplateOptions): Registered {
    const entry = new TemplateEntry(name, uriTemplate, metadata, read, options);
    return this.templates.register(name, entry);
  }

  /**
   * Registers a prompt (server/prompts); `config.arguments` is a list of arguments or a Standard
   * Schema object. Guide: docs/prompts.md.
   *
   * @example
   * server.prompt('review', { arguments: [{ name: 'code', required: true }] }, ({ code }) => ({
   *   messages: [{ role: 'user', content: { type: 'text', text: `Review:\n${code}` } }],
   * }));
   */
  prompt<A extends PromptArgsInput | undefined = undefined>(name: string, config: PromptConfig<A>, handler: PromptHandler<A>): Registered {
    const entry = new PromptEntry(name, config as PromptConfig<PromptArgsInput | undefined>, handler as unknown as PromptHandler<PromptArgsInput | undefined>);
    return this.prompts.register(name, entry);
  }

  /** Template `list` callbacks, for resources/list. */
  templateListers(): ((ctx: HandlerContext) => Resource[] | Promise<Resource[]>)[] {
    const out: ((ctx: HandlerContext) => Resource[] | Promise<Resource[]>)[] = [];
    for (const t of this.templates.values()) if (t.enabled && t.options.list) out.push(t.options.list);
    return out;
  }

  capabilities(): ServerCapabilities {
    if (this.capsCache) return this.capsCache;
    const caps: ServerCapabilities = {
      logging: {},
      completions: {},
      tools: { listChanged: true },
      resources: { subscribe: true, listChanged: true },
      prompts: { listChanged: true },
      tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } },
    };
    const extra = this.options.capabilities;
    this.capsCache = extra ? { ...caps, ...extra } : caps;
    return this.capsCache;
  }

  /**
   * Replaces the task store before serving, e.g. `erlmcp start --redis` installs a Redis one
   * into a server a user module built. The replaced store is closed.
   */
  async useTaskStore(store: TaskStore): Promise<void> {
    const old = this.taskStore;
    if (old === store) return;
    this.taskStore = store;
    await old.close();
  }

  // ---------- the seam ----------

  /**
   * Adds a request middleware (outermost first). The chain is composed here, once; every
   * session of this server runs every request through it.
   *
   * @example
   * server.use(async (call, next) => {
   *   if (call.method === 'tools/call' && call.target === 'admin' && !call.auth?.scopes?.includes('admin')) {
   *     throw new McpError(ErrorCode.InvalidParams, 'Unknown tool: admin');
   *   }
   *   return next();
   * });
   */
  use(middleware: Middleware): this {
    this.seam.use(middleware);
    return this;
  }

  /** @internal the composed chain, or undefined when no middleware is installed. */
  get middlewareChain(): ((call: Call) => Promise<Result>) | undefined {
    return this.seam.chain;
  }

  /** @internal the composed outbound hook every session sends through; undefined when none. */
  get outboundHook(): OutboundHook | undefined {
    return this.seam.outboundHook;
  }

  /**
   * Adds an admission hook, run by every network transport serving this server before any
   * session lookup (see admission.ts).
   *
   * @example
   * server.admit((req) => (req.remoteAddress?.startsWith('10.') ? undefined : { refuse: { status: 403, message: 'Forbidden' } }));
   */
  admit(hook: AdmissionHook): this {
    this.seam.admit(hook);
    return this;
  }

  /** Whether any admission hook is installed (transports skip the seam when none is). */
  get hasAdmission(): boolean {
    return this.seam.hasAdmission;
  }

  /** Runs the admission hooks for one carrier request (synchronously when they all are); a refusal is reported to `onRefusal` listeners. */
  admission(req: AdmissionRequest): Admission | Promise<Admission> {
    return this.seam.admission(req);
  }

  /**
   * Listens for what this server refuses before any middleware runs (refusal.ts): admission
   * refusals, a full server, a full session. Returns the remover.
   *
   * @example
   * server.onRefusal((r) => console.error(`refused ${r.method}: ${r.reason ?? r.code}`));
   */
  onRefusal(listener: RefusalListener): () => void {
    return this.seam.onRefusal(listener);
  }

  /** @internal a transport or session reports a refusal it answered. */
  refused(r: Refusal): void {
    this.seam.refused(r);
  }

  /** @internal a transport refused a new session for `limits.maxSessions`. */
  refusedSession(transport: string, remoteAddress: string | undefined, method: string, auth?: AuthInfo): void {
    this.seam.refusedSession(transport, remoteAddress, method, auth);
  }

  /**
   * Adds a hook that sees (and may replace) every message any session of this server sends.
   *
   * @example
   * server.onOutbound((message) => void sent.inc({ kind: 'method' in message ? 'request' : 'response' }));
   */
  onOutbound(hook: OutboundHook): this {
    this.seam.onOutbound(hook);
    return this;
  }

  /**
   * Changes limits before serving (e.g. `erlmcp start --max-sessions` on a server a module built).
   * Sessions opened afterwards and tools first called afterwards use the new values.
   */
  configureLimits(limits: ServerLimits): void {
    this.limits = resolveLimits({ ...this.limits, ...limits });
  }

  /** Whether 2026-07-28 requests may call `method` (the revision removed some legacy methods). */
  servesModern(method: string): boolean {
    return modernHandler(method) !== undefined;
  }

  /** Whether a new session may open now (`limits.maxSessions`). */
  get acceptsSessions(): boolean {
    return this.sessions.size < this.limits.maxSessions;
  }

  // ---------- sessions ----------

  /**
   * Serves one session over `transport`. With `state`, the session resumes from a stored
   * SessionState (another node created it) instead of waiting for initialize.
   */
  async connect(transport: Transport, options?: { state?: SessionState; era?: 'modern' }): Promise<ServerSession> {
    const session = new ServerSession(this);
    if (options?.state) session.restoreState(options.state);
    // A transport that already knows the era (HTTP classified the request): no first-request guess.
    if (options?.era) session.era = options.era;
    session.onerror = this.reportSessionError;
    this.sessions.add(session);
    await session.connect(transport);
    return session;
  }

  /**
   * @internal a one-request 2026-07-28 session on a transport with nothing to start (HTTP):
   * connected synchronously, since the stateless path pays this on every request.
   */
  attachModern(transport: Transport): ServerSession {
    const session = new ServerSession(this);
    session.era = 'modern';
    session.onerror = this.reportSessionError;
    this.sessions.add(session);
    session.attachNow(transport);
    return session;
  }

  /** Live sessions on this process. */
  get sessionCount(): number {
    return this.sessions.size;
  }

  localId(session: ServerSession): number {
    let id = this.localIds.get(session);
    if (id === undefined) {
      id = this.nextLocalId++;
      this.localIds.set(session, id);
    }
    return id;
  }

  /**
   * Calls `listener` whenever a session leaves this process (its transport closed: the client
   * went away, DELETE, idle expiry, server close). Returns the remover. For observers (session
   * duration metrics); the session is already detached when it runs.
   *
   * @example
   * server.onSessionEnd((session) => console.log('session ended', session.id));
   */
  onSessionEnd(listener: (session: ServerSession) => void): () => void {
    this.sessionEndListeners.add(listener);
    return () => void this.sessionEndListeners.delete(listener);
  }

  /** @internal called when a session's transport closes. */
  detach(session: ServerSession): void {
    const live = this.sessions.delete(session);
    this.events.forget(session);
    if (live) for (const l of this.sessionEndListeners) l(session);
  }

  /** server/resources#subscriptions: `session` wants `notifications/resources/updated` for `uri`. */
  subscribe(session: ServerSession, uri: string): void {
    this.events.subscribe(session, uri);
  }

  unsubscribe(session: ServerSession, uri: string): void {
    this.events.unsubscribe(session, uri);
  }

  /** Listens to server-wide notifications raised on this process; returns the remover. */
  onEvent(listener: ServerEventListener): () => void {
    return this.events.onEvent(listener);
  }

  /** Called once when the server closes (streams that outlive requests end gracefully). */
  onClose(listener: () => void): () => void {
    return this.events.onClose(listener);
  }

  /**
   * Hands this process's listeners a server-wide notification raised on another node (a
   * transport relays them over its MessageBus); `remote` tells relays not to send it back.
   */
  relayEvent(method: string, params: Record<string, unknown> | undefined): void {
    this.events.emit(method, params, true);
  }

  /** Adds a fan-out for sessions that span nodes; returns its remover. */
  addFanout(fanout: NotificationFanout): () => void {
    return this.events.addFanout(fanout);
  }

  /**
   * server/resources#subscriptions: tells every subscribed session that `uri` changed — with
   * a shared store, every subscribed session of the deployment, once, so call it on one node.
   */
  async notifyResourceUpdated(uri: string): Promise<void> {
    await this.events.resourceUpdated(uri);
  }

  private listChanged(kind: 'tools' | 'resources' | 'prompts'): void {
    this.capsCache = undefined;
    this.events.listChanged(kind);
  }

  async close(): Promise<void> {
    if (this.events.closing()) {
      // Let the graceful answers those produced (listen results) go out before sessions close.
      await new Promise((resolve) => setImmediate(resolve));
    }
    for (const c of this.runningTasks.values()) c.abort('Server closing');
    this.runningTasks.clear();
    await Promise.all([...this.sessions].map((s) => s.close()));
    await this.taskStore.close();
    await this.isolatePool?.close();
  }
}

export type { StandardSchemaV1 };
