/**
 * Opens one client session to an upstream as its config says: the transport (a stdio child with
 * its env and cwd, Streamable HTTP or WebSocket with this upstream's own headers and bearer
 * token), the client capabilities the gateway presents, the routing of the upstream's requests
 * back to the gateway, and the cache (features/cache) when configured.
 */
import { Client } from '../client/client.js';
import type { RequestContext } from '../engine/context.js';
import { cacheClient } from '../features/cache/client.js';
import { McpCache } from '../features/cache/cache.js';
import { identityOf } from '../features/cache/key.js';
import { ErlmcpError } from '../protocol/errors.js';
import type { AuthInfo, Transport } from '../protocol/transport.js';
import type { Implementation, RequestId, Result } from '../protocol/types.js';
import type { RedisConnection } from '../stores/redis/connection.js';
import { StreamableHttpClientTransport } from '../transports/http/client.js';
import { StdioClientTransport } from '../transports/stdio/client.js';
import { WebSocketClientTransport } from '../transports/ws/client.js';
import type { UpstreamConfig } from './config.js';

/** What the gateway presents upstream: everything, since any of its clients may answer (each call is checked against its own client's capabilities). */
const GATEWAY_CLIENT_CAPS = { sampling: {}, elicitation: { form: {}, url: {} }, roots: { listChanged: true } };
const STDERR_TAIL = 2048;

export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;

/** The caller a forwarded request is made for, as the cache keys 'caller' entries (`identityOf` its auth). */
export type Identify = () => AuthInfo | undefined;

/**
 * A forwarded request, as the connection knows it: the upstream classes put one on the params
 * of each request they send for a client's call (under `CALL`, a symbol key — spreads copy it,
 * JSON never writes it), and the connection records under which request id it went out.
 */
export class CallTag<O = unknown> {
  private readonly undo: (() => void)[] = [];
  constructor(readonly origin: O) {}
  /** @internal the connection sent it (again, after a retry) under an id. */
  sentAs(forget: () => void): void {
    this.undo.push(forget);
  }
  /** The request is over: no later upstream request can belong to it. */
  done(): void {
    for (const f of this.undo) f();
    this.undo.length = 0;
  }
}

export const CALL: unique symbol = Symbol('erlmcp.gateway.call');

/** `params` with `tag` attached (a copy: the caller's object is left alone). */
export function tagged(params: Record<string, unknown> | undefined, tag: CallTag): Record<string, unknown> {
  return { ...params, [CALL]: tag };
}

/** Which forwarded call an upstream's request belongs to, as far as the connection can tell. */
export interface Cause {
  /**
   * The request arrived on the response stream of one of our requests (Streamable HTTP), so it
   * is known which: `call` is its tag, or undefined when that request was no client's call (a
   * listing, or a call already answered).
   */
  linked: boolean;
  call: CallTag | undefined;
  /** The forwarded calls in flight on this connection (what it may belong to when not linked). */
  inFlight: CallTag[];
}

/** The server→client requests the gateway routes to a client. */
const ROUTED = new Set(['sampling/createMessage', 'elicitation/create', 'roots/list']);

export interface ConnectHooks {
  /** A request the upstream sent (sampling, elicitation, roots); `signal` aborts when the upstream cancels it. */
  serverRequest(method: string, params: Record<string, unknown> | undefined, signal: AbortSignal, cause: Cause): Promise<Result>;
  notification(method: string, params: Record<string, unknown> | undefined): void;
  /** The last lines of a stdio upstream's stderr, as they arrive. */
  stderr?(tail: string): void;
}

export interface Connected {
  client: Client;
  /** The child's pid (stdio). */
  pid: number | undefined;
}

function transportOf(config: UpstreamConfig, hooks: ConnectHooks): { transport: Transport; stdio?: StdioClientTransport } {
  if (config.type === 'stdio') {
    const t = new StdioClientTransport({ command: config.command, args: config.args, env: config.env, cwd: config.cwd, stderr: 'pipe' });
    let tail = '';
    // Kept short: the last lines say why a process died, in health and in errors.
    t.stderr?.on('data', (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-STDERR_TAIL);
      hooks.stderr?.(tail);
    });
    return { transport: t, stdio: t };
  }
  const headers: Record<string, string> = { ...config.headers };
  if (config.bearer !== undefined) headers.authorization = `Bearer ${config.bearer}`;
  return { transport: config.type === 'http' ? new StreamableHttpClientTransport(config.url, { headers }) : new WebSocketClientTransport(config.url, { headers }) };
}

/**
 * The gateway's client of one upstream session: roots/list, which a Client answers from a fixed
 * list, goes to the gateway instead. An override rather than a `client.use()` middleware, which
 * would also wrap every outbound request — a cost on each forwarded call.
 */
class UpstreamClient extends Client {
  constructor(
    private readonly listRoots: (params: Record<string, unknown> | undefined, ctx: RequestContext) => Promise<Result>,
    ...args: ConstructorParameters<typeof Client>
  ) {
    super(...args);
  }

  protected override dispatchRequest(method: string, params: Record<string, unknown> | undefined, ctx: RequestContext): Promise<Result> {
    if (method === 'roots/list') return this.listRoots(params, ctx);
    return super.dispatchRequest(method, params, ctx);
  }
}

/** Where an upstream's cache keeps L2 and hears invalidations: shared by the gateway nodes on one Redis. */
export interface SharedCache {
  redis: RedisConnection;
  /** Keys `<prefix><namespace>:…` and bus channel `<namespace>:invalidate`: one per gateway and upstream. */
  namespace: string;
  onerror?: (error: Error) => void;
}

/** One McpCache per upstream, kept across its reconnects; undefined when not configured. With `shared`, L2 is Redis and invalidations travel on its bus. */
export function upstreamCache(config: UpstreamConfig, shared?: SharedCache): McpCache | undefined {
  if (!config.cache) return undefined;
  return new McpCache(shared ? { ...config.cache, redis: shared.redis, namespace: shared.namespace, ...(shared.onerror ? { onerror: shared.onerror } : {}) } : config.cache);
}

/**
 * Links this connection's requests to the forwarded calls: every request sent with a CallTag is
 * recorded under its id (until the call is done), and every request the upstream sends on one
 * of our response streams (the transport says which: `relatedRequestId`) to the id it belongs to.
 */
function linkCalls(transport: Transport): (inboundId: RequestId) => Cause {
  const inFlight = new Map<RequestId, CallTag>();
  const related = new Map<RequestId, RequestId>();
  const send = transport.send.bind(transport);
  transport.send = (message, options) => {
    const m = message as { id?: RequestId; method?: string; params?: { [CALL]?: unknown } };
    const tag = m.params?.[CALL];
    if (tag instanceof CallTag && m.method !== undefined && m.id !== undefined) {
      const id = m.id;
      inFlight.set(id, tag);
      tag.sentAs(() => inFlight.delete(id));
    }
    return send(message, options);
  };
  const receive = transport.onmessage!;
  transport.onmessage = (message, extra, classified) => {
    const m = message as { id?: RequestId; method?: unknown } | null;
    const rel = extra?.relatedRequestId;
    if (rel !== undefined && m !== null && typeof m === 'object' && typeof m.method === 'string' && ROUTED.has(m.method) && m.id !== undefined) related.set(m.id, rel);
    receive(message, extra, classified);
  };
  return (inboundId) => {
    const rel = related.get(inboundId);
    related.delete(inboundId);
    return { linked: rel !== undefined, call: rel === undefined ? undefined : inFlight.get(rel), inFlight: [...inFlight.values()] };
  };
}

/** Connects (initialize included) within `connectTimeoutMs`; the client is closed on failure. */
export async function connectUpstream(config: UpstreamConfig, info: Implementation, hooks: ConnectHooks, cache: { cache: McpCache; identify: Identify } | undefined): Promise<Connected> {
  const connectTimeoutMs = config.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  // Set once connected (the transport's callbacks are the Client's from then on).
  let causeOf: (inboundId: RequestId) => Cause = () => ({ linked: false, call: undefined, inFlight: [] });
  // roots/list is answered by the Client from a fixed list: routed to the gateway instead.
  const client = new UpstreamClient((params, ctx) => hooks.serverRequest('roots/list', params, ctx.signal, causeOf(ctx.id)), info, {
    capabilities: GATEWAY_CLIENT_CAPS,
    validateOutput: false,
    // Governs initialize (each forwarded request passes its own limit).
    defaultTimeoutMs: connectTimeoutMs,
    // The handlers' signal aborts when the upstream cancels its request: passed on to the client.
    sampling: (params, ctx) => hooks.serverRequest('sampling/createMessage', params as unknown as Record<string, unknown>, ctx.signal, causeOf(ctx.id)) as never,
    elicitation: (params, ctx) => hooks.serverRequest('elicitation/create', params as unknown as Record<string, unknown>, ctx.signal, causeOf(ctx.id)) as never,
  });
  client.onnotification = (method, params) => hooks.notification(method, params);
  client.onerror = () => {};
  const { transport, stdio } = transportOf(config, hooks);
  let timer: NodeJS.Timeout | undefined;
  try {
    // The transport's own start (a WebSocket handshake, a process spawn) is bounded too.
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ErlmcpError('ERR_TIMEOUT', `no initialize answer within ${connectTimeoutMs} ms`)), connectTimeoutMs);
    });
    await Promise.race([client.connect(transport), timeout]);
    causeOf = linkCalls(transport);
    if (cache) await Promise.race([cacheClient(client, { cache: cache.cache, identify: () => identityOf(cache.identify()) }), timeout]);
  } catch (e) {
    void client.close().catch(() => {});
    throw e;
  } finally {
    clearTimeout(timer);
  }
  return { client, pid: stdio?.pid };
}
