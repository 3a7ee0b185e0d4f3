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
import type { Implementation, Result } from '../protocol/types.js';
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

export interface ConnectHooks {
  /** A request the upstream sent (sampling, elicitation, roots); `signal` aborts when the upstream cancels it. */
  serverRequest(method: string, params: Record<string, unknown> | undefined, signal: AbortSignal): Promise<Result>;
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
    private readonly hooks: ConnectHooks,
    ...args: ConstructorParameters<typeof Client>
  ) {
    super(...args);
  }

  protected override dispatchRequest(method: string, params: Record<string, unknown> | undefined, ctx: RequestContext): Promise<Result> {
    if (method === 'roots/list') return this.hooks.serverRequest(method, params, ctx.signal);
    return super.dispatchRequest(method, params, ctx);
  }
}

/** One McpCache per upstream, kept across its reconnects; undefined when not configured. */
export function upstreamCache(config: UpstreamConfig): McpCache | undefined {
  return config.cache ? new McpCache(config.cache) : undefined;
}

/** Connects (initialize included) within `connectTimeoutMs`; the client is closed on failure. */
export async function connectUpstream(config: UpstreamConfig, info: Implementation, hooks: ConnectHooks, cache: { cache: McpCache; identify: Identify } | undefined): Promise<Connected> {
  const connectTimeoutMs = config.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const client = new UpstreamClient(hooks, info, {
    capabilities: GATEWAY_CLIENT_CAPS,
    validateOutput: false,
    // Governs initialize (each forwarded request passes its own limit).
    defaultTimeoutMs: connectTimeoutMs,
    // The handlers' signal aborts when the upstream cancels its request: passed on to the client.
    sampling: (params, ctx) => hooks.serverRequest('sampling/createMessage', params as unknown as Record<string, unknown>, ctx.signal) as never,
    elicitation: (params, ctx) => hooks.serverRequest('elicitation/create', params as unknown as Record<string, unknown>, ctx.signal) as never,
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
    if (cache) await Promise.race([cacheClient(client, { cache: cache.cache, identify: () => identityOf(cache.identify()) }), timeout]);
  } catch (e) {
    void client.close().catch(() => {});
    throw e;
  } finally {
    clearTimeout(timer);
  }
  return { client, pid: stdio?.pid };
}
