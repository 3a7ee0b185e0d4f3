/**
 * `erlmcp start`: serves one McpServer over Streamable HTTP (basic/transports#streamable-http)
 * and, on request, WebSocket, legacy HTTP+SSE, TCP/TLS — or over stdio alone — in this process
 * or as a node:cluster of workers, on the memory stores or on Redis.
 * Independent of the argument parser, so tests drive it directly.
 */
import { writeFileSync, unlinkSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCluster } from '../cluster/index.js';
import { applyProtection, type ProtectionConfig } from '../features/protection.js';
import type { ServerLimits } from '../server/index.js';
import { connectRedisStores, type RedisStores } from '../stores/redis/index.js';
import { CliError, EXIT_USAGE, listenError, redisError } from './errors.js';
import { serveNetwork, serveStdio, type Endpoints, type Listeners } from './listeners.js';
import { probeRedis } from './redis-probe.js';
import { loadServer, resolveModulePath, SERVER_MODULE_ENV } from './server-module.js';

export interface StartOptions {
  /** 0 = a free port (the real one is in `RunningServer.port`). */
  port: number;
  host: string;
  /** Module exporting createServer() or a default McpServer (.js, .mjs or .ts). Default: the everything example. */
  module?: string;
  /** Answer POSTs with one JSON body instead of an SSE stream. */
  json?: boolean;
  /** Serve stdio only (stdin/stdout): no network listener. */
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
  /** Run this many node:cluster workers on the one port. Unset: serve in this process. */
  cluster?: number;
  /** Redis URL: sessions, SSE events and replies are shared with every process using it. */
  redis?: string;
  /** Prefix of every Redis key and channel. Default `erlmcp:`. */
  redisPrefix?: string;
  /** Write the process id here while serving (removed on shutdown); `erlmcp stop <file>` reads it. */
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
  // Reserved config sections, passed through as given for the features that will read them.
  limits?: Record<string, unknown>;
  auth?: Record<string, unknown>;
  telemetry?: Record<string, unknown>;
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

export interface RunningServer extends Endpoints {
  /** The MCP endpoint, e.g. http://127.0.0.1:3000/mcp ("stdio" with `--stdio`). */
  readonly url: string;
  readonly port: number;
  /** Worker pids in cluster mode; empty when serving in this process. */
  readonly workerPids: () => number[];
  /** Closes every listener, every session and the Redis connections (or stops every worker). */
  close(): Promise<void>;
}

/** Why these options cannot work together, or undefined. Mirrors runCluster's own rule. */
export function checkStartOptions(o: StartOptions): string | undefined {
  if (o.cluster !== undefined && o.cluster > 1 && !o.redis) {
    return `--cluster ${o.cluster} needs --redis <url>: the workers share one port and each request may reach any of them, so sessions must live in Redis (use --cluster 1, or no --cluster, for the in-memory stores)`;
  }
  // The cluster worker builds its StreamableHttpServer without enableJsonResponse.
  if (o.cluster !== undefined && o.json) return '--json cannot be combined with --cluster (cluster workers answer with SSE streams)';
  if (o.cluster !== undefined) {
    const extra = (['ws', 'legacySse', 'tcpPort', 'tlsCert', 'stdio'] as const).filter((k) => o[k] !== undefined && o[k] !== false);
    if (extra.length) return `${extra.map(flagName).join(', ')} cannot be combined with --cluster yet (cluster workers serve Streamable HTTP only)`;
  }
  if (o.stdio) {
    const extra = (['ws', 'legacySse', 'tcpPort', 'tlsCert', 'json', 'redis'] as const).filter((k) => o[k] !== undefined && o[k] !== false);
    if (extra.length) return `--stdio serves one client on stdin/stdout with no network listener: drop ${extra.map(flagName).join(', ')}`;
  }
  if ((o.tlsCert === undefined) !== (o.tlsKey === undefined)) return `--tls-cert and --tls-key go together (got only ${o.tlsCert ? '--tls-cert' : '--tls-key'})`;
  return undefined;
}

/** `tcpPort` → `--tcp-port`. */
export function flagName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
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

function endpoints(host: string, port: number): Endpoints {
  const b = base(host, port);
  return { url: `${b}/mcp`, port, healthUrl: `${b}/health`, readyUrl: `${b}/ready` };
}

export interface StartHooks {
  /** With `--stdio`: the client closed stdin (the session is over). Default: nothing. */
  onStdioEnd?: () => void;
}

/** Starts serving. Rejects with a CliError (exit code 2) for bad options, and with an explained CliError for runtime failures. */
export async function startServer(o: StartOptions, log: (line: string) => void = (l) => console.error(l), hooks: StartHooks = {}): Promise<RunningServer> {
  const problem = checkStartOptions(o);
  if (problem) throw new CliError(problem, EXIT_USAGE);
  const running = o.cluster === undefined ? await startInProcess(o, log, hooks) : await startCluster(o, o.cluster);
  return o.pidFile ? withPidFile(running, o.pidFile) : running;
}

/** Writes this process's id to `path` and removes it on close. */
function withPidFile(running: RunningServer, path: string): RunningServer {
  const file = resolve(path);
  try {
    writeFileSync(file, `${process.pid}\n`);
  } catch (e) {
    void running.close();
    throw new CliError(`--pid-file ${path}: cannot write it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, EXIT_USAGE);
  }
  let closing: Promise<void> | undefined;
  return {
    ...running,
    close: () =>
      (closing ??= running.close().finally(() => {
        try {
          unlinkSync(file);
        } catch {
          /* already gone */
        }
      })),
  };
}

async function connectStores(o: StartOptions, log: (line: string) => void): Promise<RedisStores> {
  // A one-connection probe first: refused, unresolvable and bad credentials each get their own
  // message at once, instead of one "not reachable" after the 5 s connect timeout.
  await probeRedis(o.redis!);
  let stores: RedisStores;
  try {
    stores = await connectRedisStores({ url: o.redis!, prefix: o.redisPrefix });
  } catch (e) {
    throw redisError(e, o.redis!);
  }
  stores.connection.onerror = (e) => log(`erlmcp: redis: ${e.message}`);
  return stores;
}

async function startInProcess(o: StartOptions, log: (line: string) => void, hooks: StartHooks): Promise<RunningServer> {
  const server = await loadServer(o.module);
  server.onerror = (e) => log(`erlmcp: ${e.message}`);
  let stores: RedisStores | undefined;
  let listeners: Listeners;
  try {
    if (o.redis) {
      stores = await connectStores(o, log);
      await server.useTaskStore(stores.taskStore);
    }
    const protection = protectionOf(o);
    applyProtection(server, protection, stores?.connection.cmd);
    listeners = o.stdio ? await serveStdio(server, () => hooks.onStdioEnd?.()) : await serveNetwork(server, o, protection, stores, log);
  } catch (e) {
    await server.close().catch(() => {});
    await stores?.close().catch(() => {});
    throw e;
  }
  let closing: Promise<void> | undefined;
  const { close: closeListeners, ...urls } = listeners;
  return {
    ...urls,
    workerPids: () => [],
    close: () =>
      (closing ??= (async () => {
        // Same order as a cluster worker: streams and sessions first, then what they write to.
        await closeListeners().catch((e: Error) => log(`erlmcp: closing listeners: ${e.message}`));
        await server.close().catch((e: Error) => log(`erlmcp: closing server: ${e.message}`));
        await stores?.close().catch((e: Error) => log(`erlmcp: closing redis: ${e.message}`));
      })()),
  };
}

async function startCluster(o: StartOptions, workers: number): Promise<RunningServer> {
  // Checked here so a typo fails as a usage error, not as N workers dying at startup.
  if (o.module !== undefined) process.env[SERVER_MODULE_ENV] = resolveModulePath(o.module);
  else delete process.env[SERVER_MODULE_ENV];
  if (o.redis) await probeRedis(o.redis);
  let handle: Awaited<ReturnType<typeof runCluster>>;
  try {
    handle = await runCluster({
      workers,
      port: o.port,
      host: o.host,
      redisUrl: o.redis,
      redisPrefix: o.redisPrefix,
      protection: protectionOf(o),
      serverModule: fileURLToPath(new URL('./server-module.js', import.meta.url)),
    });
  } catch (e) {
    throw listenError(e, 'cannot serve HTTP', o.host, o.port);
  }
  let closing: Promise<void> | undefined;
  return {
    ...endpoints(o.host, handle.port),
    workerPids: () => handle.workerPids(),
    close: () => (closing ??= handle.stop()),
  };
}

/** What `erlmcp start` prints once it serves (on stdout; on stderr with `--stdio`). */
export function banner(o: StartOptions, running: RunningServer): string[] {
  const what = o.module ?? 'the everything example server';
  const tls = o.tlsCert !== undefined;
  const transports = o.stdio
    ? ['stdio']
    : [`Streamable HTTP${tls ? 'S' : ''}`, ...(o.ws ? [tls ? 'WSS' : 'WebSocket'] : []), ...(o.legacySse ? ['legacy HTTP+SSE'] : []), ...(o.tcpPort !== undefined ? [tls ? 'TCP+TLS' : 'TCP'] : [])];
  const mode = [
    `MCP 2025-11-25, ${transports.join(' + ')}`,
    ...(o.json ? ['JSON responses'] : []),
    o.redis ? `Redis stores at ${redactUrl(o.redis)}` : 'in-memory stores',
    ...(o.cluster !== undefined ? [`${o.cluster} worker${o.cluster === 1 ? '' : 's'}`] : []),
  ];
  const lines = [`erlmcp: serving ${what} (${mode.join(', ')})`];
  if (o.stdio) return [...lines, '  endpoint: stdio (newline-delimited JSON-RPC on stdin/stdout)'];
  lines.push(`  endpoint: ${running.url}`);
  if (running.wsUrl) lines.push(`  ws:       ${running.wsUrl}`);
  if (running.legacySseUrl) lines.push(`  sse:      ${running.legacySseUrl}  (2024-11-05 HTTP+SSE)`);
  if (running.tcpUrl) lines.push(`  tcp:      ${running.tcpUrl}`);
  if (running.statusUrl) lines.push(`  status:   ${running.statusUrl}`);
  lines.push(`  health:   ${running.healthUrl}`, `  ready:    ${running.readyUrl}`);
  if (o.pidFile) lines.push(`  pid:      ${process.pid} (in ${o.pidFile})`);
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
