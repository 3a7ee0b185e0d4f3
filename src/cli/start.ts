/**
 * `erlmcp start`: serves one McpServer over Streamable HTTP (basic/transports#streamable-http)
 * and, on request, WebSocket, legacy HTTP+SSE and TCP/TLS beside it, in supervised worker
 * processes (service.ts: one, or `--cluster N`), on the memory stores or on Redis — or over
 * stdio alone, in this process (a stdio client owns one child process; there is nothing to
 * supervise or share). Independent of the argument parser, so tests drive it directly.
 */
import { pickPort } from '../cluster/index.js';
import type { AuditWriter } from '../features/audit/chain.js';
import type { SecurityConfig } from '../features/auth/configure.js';
import { applyProtection, type ProtectionConfig } from '../features/protection.js';
import { wantsTelemetry, type TelemetryConfig } from '../features/telemetry/config.js';
import type { ServerLimits } from '../server/index.js';
import type { RedisStores } from '../stores/redis/index.js';
import { isLoopbackHost } from '../transports/shared/origin.js';
import { CliError, EXIT_USAGE, redisError } from './errors.js';
import { readTls, serveNetwork, serveStdio, type Endpoints } from './listeners.js';
import { probeRedis } from './redis-probe.js';
import { loadServer, resolveModulePath } from './server-module.js';
import { startSupervised } from './service.js';

/** Every option of `erlmcp start`; the config file uses the same names (config-schema.ts). */
export interface StartOptions extends TelemetryConfig {
  /** 0 = a free port (the real one is in `RunningServer.port`). */
  port: number;
  host: string;
  /** Module exporting createServer() or a default McpServer (.js, .mjs or .ts). Default: the everything example. */
  module?: string;
  /** Answer POSTs with one JSON body instead of an SSE stream. */
  json?: boolean;
  /** Serve stdio only (stdin/stdout), in this process: no network listener. */
  stdio?: boolean;
  /** Also accept WebSocket connections on the HTTP port, at /mcp/ws. */
  ws?: boolean;
  /** Also serve the 2024-11-05 HTTP+SSE endpoints (/sse, /messages) on the HTTP port. */
  legacySse?: boolean;
  /** Also serve newline-delimited JSON-RPC over TCP (TLS with tlsCert/tlsKey) on this port. */
  tcpPort?: number;
  /** PEM certificate and key files: HTTPS, WSS and TLS TCP instead of plain. */
  tlsCert?: string;
  tlsKey?: string;
  /** Run this many worker processes on the one port. Default 1 (always supervised). */
  cluster?: number;
  /** Redis URL: sessions, SSE events and replies are shared with every process using it. */
  redis?: string;
  /** Prefix of every Redis key and channel. Default `erlmcp:`. */
  redisPrefix?: string;
  /** Write this process's id here while serving (erlmcp stop / erlmcp restart read it). */
  pidFile?: string;
  /** Browser origins allowed to call ('*' = any); default loopback origins on a loopback bind. */
  allowedOrigins?: string[];
  /** Host header values accepted; default loopback names on a loopback bind, any elsewhere. */
  allowedHosts?: string[];
  maxSessions?: number;
  maxConnections?: number;
  maxInFlight?: number;
  toolTimeout?: number;
  rateLimit?: { points: number; duration: number };
  /** Bearer token `GET /status` requires; without one, /status answers loopback clients only. */
  adminToken?: string;
  /** Grace period (ms) for calls in flight when draining (SIGTERM, rolling restart). Default 10 000. */
  drainTimeout?: number;
  /** Worker restarts allowed within `restartWindow` before the service gives up. Default 5. */
  maxRestarts?: number;
  /** Window (ms) in which restarts are counted. Default 60 000. */
  restartWindow?: number;
  /** --auth-issuer, --auth-audience, --auth-jwks, --auth-resource, --api-keys, --policy, --audit-log (docs/security.md). */
  authIssuer?: string;
  authAudience?: string;
  authJwks?: string;
  authResource?: string;
  apiKeys?: string;
  policy?: string;
  auditLog?: string;
}

/** The security settings the options give. */
export function securityOf(o: StartOptions): SecurityConfig {
  const c: SecurityConfig = {};
  if (o.authIssuer !== undefined) c.issuer = o.authIssuer;
  if (o.authAudience !== undefined) c.audience = o.authAudience;
  if (o.authJwks !== undefined) c.jwks = o.authJwks;
  if (o.authResource !== undefined) c.resource = o.authResource;
  if (o.apiKeys !== undefined) c.apiKeys = o.apiKeys;
  if (o.policy !== undefined) c.policy = o.policy;
  if (o.auditLog !== undefined) c.auditLog = o.auditLog;
  if (o.redisPrefix !== undefined) c.auditPrefix = o.redisPrefix;
  return c;
}

/** The start-up warning for a server reachable from the network that checks no one, or undefined. */
export function exposureWarning(o: StartOptions): string | undefined {
  if (o.stdio || isLoopbackHost(o.host) || o.authIssuer !== undefined || o.apiKeys !== undefined) return undefined;
  return `erlmcp: WARNING: listening on ${o.host} with no authentication: anyone who can reach this address can call every tool. Use --auth-issuer or --api-keys (docs/security.md), or bind 127.0.0.1.`;
}

/** The protection settings the options give (docs/limits.md). */
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

export interface RunningServer extends Endpoints {
  /** Where Prometheus metrics are served, when asked for (in process). */
  readonly metricsUrl?: string;
  /** Worker pids; empty when serving in this process. */
  readonly workerPids: () => number[];
  /** Closes every listener, every session and the Redis connections (or drains and stops every worker). */
  close(): Promise<void>;
  /** Supervised: replaces every worker one at a time (SIGHUP). */
  restart?(): Promise<void>;
  /** Supervised: resolves when the service ended by itself (`code` 1: a crash loop). */
  readonly done?: Promise<{ code: number; reason?: string }>;
  /** In process, network: this node's id in the stores. */
  readonly nodeId?: string;
  /** In process, network: refuse new sessions, let calls in flight finish within `graceMs` (StreamableHttpServer.drain). */
  drain?(graceMs: number, handover: boolean): Promise<void>;
  /** In process, network: answer every call in flight with a -32603 error naming `reason` (a crash). */
  failInFlight?(reason: string): Promise<void>;
}

/** `tcpPort` → `--tcp-port`. */
export function flagName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

const SECURITY_KEYS = ['authIssuer', 'authAudience', 'authJwks', 'authResource', 'apiKeys', 'policy', 'auditLog'] as const;

/** Why these options cannot work together, or undefined. */
export function checkStartOptions(o: StartOptions): string | undefined {
  const given = (keys: readonly (keyof StartOptions)[]): string[] => keys.filter((k) => o[k] !== undefined && o[k] !== false).map(flagName);
  if (o.stdio) {
    const extra = given(['ws', 'legacySse', 'tcpPort', 'tlsCert', 'json', 'redis', 'cluster', 'metrics', 'dashboard', ...SECURITY_KEYS]);
    if (extra.length) return `--stdio serves one client on stdin/stdout with no network listener: drop ${extra.join(', ')}`;
  }
  if (o.cluster !== undefined && o.cluster > 1 && !o.redis) {
    return `--cluster ${o.cluster} needs --redis <url>: the workers share one port and each request may reach any of them, so sessions must live in Redis (use --cluster 1, or no --cluster, for the in-memory stores)`;
  }
  if ((o.tlsCert === undefined) !== (o.tlsKey === undefined)) return `--tls-cert and --tls-key go together (got only ${o.tlsCert ? '--tls-cert' : '--tls-key'})`;
  return undefined;
}

/** The URLs of a network server on `host:port` (the supervisor knows them from the options). */
export function endpoints(o: Pick<StartOptions, 'host' | 'tlsCert' | 'ws' | 'legacySse'>, port: number): Endpoints {
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  const b = `${o.tlsCert ? 'https' : 'http'}://${host}:${port}`;
  return {
    url: `${b}/mcp`,
    port,
    healthUrl: `${b}/health`,
    readyUrl: `${b}/ready`,
    statusUrl: `${b}/status`,
    ...(o.ws ? { wsUrl: `${o.tlsCert ? 'wss' : 'ws'}://${host}:${port}/mcp/ws` } : {}),
    ...(o.legacySse ? { legacySseUrl: `${b}/sse` } : {}),
  };
}

export interface StartHooks {
  /** With `--stdio`: the client closed stdin (the session is over). Default: nothing. */
  onStdioEnd?: () => void;
}

/**
 * Starts serving: over the network in supervised workers, or over stdio in this process.
 * Rejects with a CliError: exit code 2 for options that cannot work, 1 for runtime failures
 * (explained: port in use, Redis refused, the module failing to load).
 */
export async function startServer(o: StartOptions, log: (line: string) => void = (l) => console.error(l), hooks: StartHooks = {}): Promise<RunningServer> {
  const problem = checkStartOptions(o);
  if (problem) throw new CliError(problem, EXIT_USAGE);
  if (o.stdio) return startStdio(o, log, hooks);
  const exposed = exposureWarning(o);
  if (exposed) log(exposed);
  // Checked once here, so a mistake is one clear message rather than every worker failing alike.
  readTls(o);
  if (o.redis) await probeRedis(o.redis);
  const options = o.module === undefined ? { ...o } : { ...o, module: resolveModulePath(o.module) };
  // Every worker listens on the same ports: a free TCP port is picked once, here (as the supervisor does for HTTP).
  if (options.tcpPort === 0) options.tcpPort = await pickPort(o.host);
  return startSupervised(options, log);
}

async function connectStores(o: StartOptions, log: (line: string) => void): Promise<RedisStores> {
  // Loaded on use, like auth and telemetry below: a plain `erlmcp start` starts in about a second.
  const { connectRedisStores } = await import('../stores/redis/index.js');
  let stores: RedisStores;
  try {
    stores = await connectRedisStores({ url: o.redis!, prefix: o.redisPrefix });
  } catch (e) {
    // A one-connection probe tells refused, unresolvable and bad credentials apart.
    await probeRedis(o.redis!);
    throw redisError(e, o.redis!);
  }
  stores.connection.onerror = (e) => log(`erlmcp: redis: ${e.message}`);
  return stores;
}

/** `--stdio`: one session on stdin/stdout, in this process. */
async function startStdio(o: StartOptions, log: (line: string) => void, hooks: StartHooks): Promise<RunningServer> {
  const server = await loadServer(o.module);
  server.onerror = (e) => log(`erlmcp: ${e.message}`);
  const telemetry = wantsTelemetry(o) ? await (await import('../features/telemetry/setup.js')).setupTelemetry(server, o) : undefined;
  applyProtection(server, protectionOf(o));
  const listeners = await serveStdio(server, () => hooks.onStdioEnd?.());
  let closing: Promise<void> | undefined;
  return {
    url: listeners.url,
    port: 0,
    ...(telemetry?.metricsUrl ? { metricsUrl: telemetry.metricsUrl } : {}),
    workerPids: () => [],
    close: () =>
      (closing ??= (async () => {
        await listeners.close().catch((e: Error) => log(`erlmcp: closing stdio: ${e.message}`));
        await server.close().catch((e: Error) => log(`erlmcp: closing server: ${e.message}`));
        await telemetry?.close();
      })()),
  };
}

/**
 * Serves the network transports in this process (what each supervised worker runs).
 * `auditWriter`: where audit records go instead of `--audit-log` (a worker forwards them to the
 * supervisor, which owns the file, so every worker and every generation extends one chain).
 * `clusterWorker`: its metrics are aggregated by the supervisor (features/telemetry/cluster-metrics.ts).
 */
export async function startInProcess(o: StartOptions, log: (line: string) => void, auditWriter?: AuditWriter, clusterWorker = false): Promise<RunningServer> {
  const server = await loadServer(o.module);
  server.onerror = (e) => log(`erlmcp: ${e.message}`);
  // Undone in reverse after the server (its sessions write to the stores and the audit log).
  const cleanups: (() => Promise<unknown>)[] = [];
  const cleanUp = async (): Promise<void> => {
    await server.close().catch((e: Error) => log(`erlmcp: closing server: ${e.message}`));
    for (const c of cleanups.reverse()) await c().catch((e: Error) => log(`erlmcp: closing: ${e.message}`));
  };
  try {
    const stores = o.redis ? await connectStores(o, log) : undefined;
    if (stores) {
      cleanups.push(() => stores.close());
      await server.useTaskStore(stores.taskStore);
    }
    // Telemetry first: its middleware is then the outermost, so calls a protection refuses are traced too.
    const telemetry = wantsTelemetry(o) ? await (await import('../features/telemetry/setup.js')).setupTelemetry(server, o, { clusterWorker }) : undefined;
    if (telemetry) cleanups.push(() => telemetry.close());
    // Security next: rate limiting keys on the identity the admission hook establishes.
    const wanted = securityOf(o);
    const security = Object.keys(wanted).length ? await (await import('../features/auth/configure.js')).installSecurity(server, wanted, auditWriter) : undefined;
    if (security) cleanups.push(() => security.close());
    const protection = protectionOf(o);
    applyProtection(server, protection, stores?.connection.cmd);
    const net = await serveNetwork(server, o, protection, stores, telemetry?.logger ? (l) => telemetry.logger!.error(l) : log, { ...telemetry?.routes, ...security?.routes });
    security?.bind(net.url);
    telemetry?.observe({ transports: net.counts, eventStore: net.eventStore, redis: stores?.connection });
    const metricsUrl = telemetry?.metricsUrl ?? (telemetry?.routes['/metrics'] ? net.url.replace(/\/mcp$/, '/metrics') : undefined);
    let closing: Promise<void> | undefined;
    const { close: closeListeners, ...rest } = net;
    return {
      ...rest,
      ...(metricsUrl ? { metricsUrl } : {}),
      workerPids: () => [],
      close: () =>
        (closing ??= (async () => {
          // Streams and sessions first, then what they write to.
          await closeListeners().catch((e: Error) => log(`erlmcp: closing listeners: ${e.message}`));
          await cleanUp();
        })()),
    };
  } catch (e) {
    await cleanUp();
    throw e;
  }
}

export { banner, exitOnSignals, redactUrl, type SignalIO } from './banner.js';
