/**
 * `erlmcp start`: serves one McpServer over Streamable HTTP (basic/transports#streamable-http),
 * in supervised worker processes (service.ts: one, or `--cluster N`), on the memory stores or
 * on Redis. Independent of the argument parser, so tests drive it directly.
 */
import { ErlmcpError } from '../protocol/errors.js';
import { connectRedisStores, type RedisStores } from '../stores/redis/index.js';
import { StreamableHttpServer } from '../transports/http/index.js';
import { applyProtection, httpProtection, type ProtectionConfig } from '../features/protection.js';
import { installSecurity, type SecurityConfig } from '../features/auth/configure.js';
import { isLoopbackHost } from '../transports/shared/origin.js';
import type { ServerLimits } from '../server/index.js';
import { wantsTelemetry, type TelemetryConfig } from '../features/telemetry/config.js';
import { loadServer } from './server-module.js';
import { startSupervised } from './service.js';

/** Telemetry (`--otel`, `--metrics`, `--metrics-port`, `--log-level`): docs/observability.md. */
export interface StartOptions extends TelemetryConfig {
  /** 0 = a free port (the real one is in `RunningServer.port`). */
  port: number;
  host: string;
  /** Module exporting createServer() or a default McpServer. Default: the everything example. */
  module?: string;
  /** Answer POSTs with one JSON body instead of an SSE stream. */
  json?: boolean;
  /** Run this many node:cluster workers on the one port. Default 1 (always supervised). */
  cluster?: number;
  /** Redis URL: sessions, SSE events and replies are shared with every process using it. */
  redis?: string;
  /** Prefix of every Redis key and channel. Default `erlmcp:`. */
  redisPrefix?: string;
  allowedOrigins?: string[];
  allowedHosts?: string[];
  maxSessions?: number;
  maxConnections?: number;
  maxInFlight?: number;
  toolTimeout?: number;
  rateLimit?: { points: number; duration: number };
  /** Grace period (ms) for calls in flight when draining (SIGTERM, rolling restart). Default 10 000. */
  drainTimeout?: number;
  /** Worker restarts allowed within `restartWindow` before the service gives up. Default 5. */
  maxRestarts?: number;
  /** Window (ms) in which restarts are counted. Default 60 000. */
  restartWindow?: number;
  /** Write the supervisor's pid here (for `erlmcp restart --pid-file`). */
  pidFile?: string;
  /** --auth-issuer, --auth-audience, --auth-jwks, --auth-resource, --api-keys, --policy, --audit-log (docs/security.md). */
  authIssuer?: string;
  authAudience?: string;
  authJwks?: string;
  authResource?: string;
  apiKeys?: string;
  policy?: string;
  auditLog?: string;
}

/** The security settings the flags give. */
export function securityOf(o: StartOptions): SecurityConfig {
  const c: SecurityConfig = {};
  if (o.authIssuer !== undefined) c.issuer = o.authIssuer;
  if (o.authAudience !== undefined) c.audience = o.authAudience;
  if (o.authJwks !== undefined) c.jwks = o.authJwks;
  if (o.authResource !== undefined) c.resource = o.authResource;
  if (o.apiKeys !== undefined) c.apiKeys = o.apiKeys;
  if (o.policy !== undefined) c.policy = o.policy;
  if (o.auditLog !== undefined) c.auditLog = o.auditLog;
  return c;
}

/** The start-up warning for a server reachable from the network that checks no one, or undefined. */
export function exposureWarning(o: StartOptions): string | undefined {
  if (isLoopbackHost(o.host) || o.authIssuer !== undefined || o.apiKeys !== undefined) return undefined;
  return `erlmcp: WARNING: listening on ${o.host} with no authentication: anyone who can reach this address can call every tool. Use --auth-issuer or --api-keys (docs/security.md), or bind 127.0.0.1.`;
}

/** The protection settings the flags give (docs/limits.md). */
export function protectionOf(o: StartOptions): ProtectionConfig {
  const limits: ServerLimits = {};
  if (o.maxSessions !== undefined) limits.maxSessions = o.maxSessions;
  if (o.maxInFlight !== undefined) limits.maxInFlightPerSession = o.maxInFlight;
  if (o.toolTimeout !== undefined) limits.toolTimeoutMs = o.toolTimeout;
  const c: ProtectionConfig = { limits };
  if (o.rateLimit) c.rateLimit = o.rateLimit;
  if (o.allowedOrigins) c.allowedOrigins = o.allowedOrigins;
  if (o.allowedHosts) c.allowedHosts = o.allowedHosts;
  if (o.maxConnections !== undefined) c.maxConnections = o.maxConnections;
  return c;
}

export interface RunningServer {
  /** The MCP endpoint, e.g. http://127.0.0.1:3000/mcp. */
  readonly url: string;
  readonly port: number;
  readonly healthUrl: string;
  readonly readyUrl: string;
  /** Where Prometheus metrics are served, when asked for (in process). */
  readonly metricsUrl?: string;
  /** Worker pids; empty when serving in this process. */
  readonly workerPids: () => number[];
  /** Closes the HTTP server, every session and the Redis connections (or drains and stops every worker). */
  close(): Promise<void>;
  /** Supervised: replaces every worker one at a time (SIGHUP). */
  restart?(): Promise<void>;
  /** Supervised: resolves when the service ended by itself (`code` 1: a crash loop). */
  readonly done?: Promise<{ code: number; reason?: string }>;
  /** In process: this node's id in the stores. */
  readonly nodeId?: string;
  /** In process: refuse new sessions, let calls in flight finish within `graceMs` (see StreamableHttpServer.drain). */
  drain?(graceMs: number, handover: boolean): Promise<void>;
  /** In process: answer every call in flight with a -32603 error naming `reason` (a crash). */
  failInFlight?(reason: string): Promise<void>;
}

/** Why these options cannot work together, or undefined. Mirrors runCluster's own rule. */
export function checkStartOptions(o: StartOptions): string | undefined {
  if (o.cluster !== undefined && o.cluster > 1 && !o.redis) {
    return `--cluster ${o.cluster} needs --redis <url>: the workers share one port and each request may reach any of them, so sessions must live in Redis (use --cluster 1, or no --cluster, for the in-memory stores)`;
  }
  if ((o.cluster ?? 1) > 1 && wantsTelemetry(o)) return '--otel, --metrics, --metrics-port, --log-level and --dashboard are not supported with --cluster above 1 yet (each worker would report alone)';
  if (o.cluster !== undefined && Object.keys(securityOf(o)).length > 0) return '--auth-*, --api-keys, --policy and --audit-log are not supported with --cluster yet (each worker would need its own audit chain)';
  return undefined;
}

/** Shows a Redis URL without its password. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

function base(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export function endpoints(host: string, port: number): Pick<RunningServer, 'url' | 'healthUrl' | 'readyUrl'> {
  const b = base(host, port);
  return { url: `${b}/mcp`, healthUrl: `${b}/health`, readyUrl: `${b}/ready` };
}

/**
 * Starts serving in supervised workers. Rejects with ErlmcpError ERR_INVALID_ARGUMENT for bad
 * options (a usage error).
 */
export async function startServer(o: StartOptions, log: (line: string) => void = (l) => console.error(l)): Promise<RunningServer> {
  const problem = checkStartOptions(o);
  if (problem) throw new ErlmcpError('ERR_INVALID_ARGUMENT', problem);
  const exposed = exposureWarning(o);
  if (exposed) log(exposed);
  return startSupervised(o, log);
}

/** Serves in this process (what each worker runs). */
export async function startInProcess(o: StartOptions, log: (line: string) => void): Promise<RunningServer> {
  const server = await loadServer(o.module);
  server.onerror = (e) => log(`erlmcp: ${e.message}`);
  let stores: RedisStores | undefined;
  if (o.redis) {
    try {
      stores = await connectRedisStores({ url: o.redis, prefix: o.redisPrefix });
    } catch (e) {
      await server.close().catch(() => {});
      throw e;
    }
    stores.connection.onerror = (e) => log(`erlmcp: redis: ${e.message}`);
    await server.useTaskStore(stores.taskStore);
  }
  // Telemetry first: its middleware is then the outermost, so calls a protection refuses are traced too.
  const telemetry = wantsTelemetry(o) ? await (await import('../features/telemetry/setup.js')).setupTelemetry(server, o) : undefined;
  // Security next: rate limiting keys on the identity the admission hook establishes.
  const security = await installSecurity(server, securityOf(o)).catch(async (e: unknown) => {
    await telemetry?.close();
    await server.close().catch(() => {});
    await stores?.close().catch(() => {});
    throw e;
  });
  const protection = protectionOf(o);
  applyProtection(server, protection, stores?.connection.cmd);
  const routes = telemetry?.routes || security.routes ? { ...telemetry?.routes, ...security.routes } : undefined;
  const http = new StreamableHttpServer({ server, enableJsonResponse: o.json, routes, ...stores?.seams, ...httpProtection(protection) });
  http.onerror = telemetry?.logger ? (e) => telemetry.logger!.error({ err: e }, e.message) : (e) => log(`erlmcp: ${e.message}`);
  let port: number;
  try {
    ({ port } = await http.listen(o.port, o.host));
  } catch (e) {
    await http.close().catch(() => {});
    await telemetry?.close();
    await server.close().catch(() => {});
    await stores?.close().catch(() => {});
    await security.close().catch(() => {});
    throw e;
  }
  security.bind(endpoints(o.host, port).url);
  let closing: Promise<void> | undefined;
  const metricsUrl = telemetry?.metricsUrl ?? (telemetry?.routes['/metrics'] ? `${base(o.host, port)}/metrics` : undefined);
  return {
    ...endpoints(o.host, port),
    port,
    nodeId: http.nodeId,
    metricsUrl,
    workerPids: () => [],
    drain: (graceMs, handover) => http.drain(graceMs, { handover }),
    failInFlight: (reason) => http.failInFlight(reason),
    close: () =>
      (closing ??= (async () => {
        // Same order as a cluster worker: streams and sessions first, then what they write to.
        await http.close().catch((e: Error) => log(`erlmcp: closing http: ${e.message}`));
        await server.close().catch((e: Error) => log(`erlmcp: closing server: ${e.message}`));
        await stores?.close().catch((e: Error) => log(`erlmcp: closing redis: ${e.message}`));
        await telemetry?.close();
        await security.close().catch((e: Error) => log(`erlmcp: closing audit log: ${e.message}`));
      })()),
  };
}

/** What `erlmcp start` prints once it serves. */
export function banner(o: StartOptions, running: RunningServer): string[] {
  const what = o.module ?? 'the everything example server';
  const mode = [
    'MCP 2025-11-25, Streamable HTTP',
    ...(o.json ? ['JSON responses'] : []),
    o.redis ? `Redis stores at ${redactUrl(o.redis)}` : 'in-memory stores',
    `${o.cluster ?? 1} worker${(o.cluster ?? 1) === 1 ? '' : 's'} (supervised)`,
  ];
  const lines = [`erlmcp: serving ${what} (${mode.join(', ')})`, `  endpoint: ${running.url}`, `  health:   ${running.healthUrl}`, `  ready:    ${running.readyUrl}`];
  // The worker serves them; the supervisor knows where from the options.
  const metricsUrl = running.metricsUrl ?? (o.metricsPort !== undefined ? `http://127.0.0.1:${o.metricsPort}/metrics` : o.metrics ? running.url.replace(/\/mcp$/, '/metrics') : undefined);
  if (metricsUrl) lines.push(`  metrics:  ${metricsUrl}`);
  if (o.dashboard && (o.cluster ?? 1) === 1) lines.push(`  dashboard: ${running.url.replace(/\/mcp$/, '/dashboard')}`);
  return lines;
}

export interface SignalIO {
  log(line: string): void;
  exit(code: number): void;
  /** Default: process. */
  target?: NodeJS.EventEmitter;
}

/**
 * SIGINT/SIGTERM close gracefully, then exit 0 (1 if closing failed); a second signal exits 1
 * at once. Returns the remover of the handlers.
 */
export function exitOnSignals(close: () => Promise<void>, io: SignalIO): () => void {
  const target = io.target ?? process;
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      io.log(`erlmcp: ${signal} again, exiting now`);
      io.exit(1);
      return;
    }
    stopping = true;
    io.log(`erlmcp: ${signal}, shutting down (send it again to exit at once)`);
    close().then(
      () => io.exit(0),
      (e: Error) => {
        io.log(`erlmcp: shutdown failed: ${e.message}`);
        io.exit(1);
      },
    );
  };
  const signals = ['SIGINT', 'SIGTERM'] as const;
  for (const s of signals) target.on(s, onSignal);
  return () => {
    for (const s of signals) target.off(s, onSignal);
  };
}
