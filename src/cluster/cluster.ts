/**
 * Runs N copies of one MCP server on one port with node:cluster.
 *
 * The primary hands each incoming TCP connection to the next worker (round-robin), so the
 * requests of one MCP session reach different workers. That only works when the session lives
 * in Redis: with more than one worker, `redisUrl` is required. We chose this over sticky routing
 * because the primary cannot stick a connection to a session without parsing HTTP (and
 * `initialize` carries no session id), and because Redis is what survives a worker crash.
 * Without `redisUrl`, one worker runs with the in-memory stores (the default).
 *
 * `serverModule` is a module path or URL exporting `createServer()` (or a default export)
 * that returns an McpServer; each worker imports it and builds its own instance.
 *
 * The workers are supervised (supervisor.ts): a crashed worker is replaced with backoff, a
 * crash loop ends the cluster (`done`), `restart()` replaces every worker one at a time without
 * dropping a call, and `stop()` drains them.
 */
import type { ProtectionConfig } from '../features/protection.js';
import { fileURLToPath } from 'node:url';
import { ErlmcpError } from '../protocol/errors.js';
import { Supervisor, type SupervisorExit } from './supervisor.js';

export interface ClusterOptions {
  workers: number;
  /** 0 = a free port, shared by all workers (and kept across restarts). */
  port: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Required when workers > 1. */
  redisUrl?: string;
  /** Key prefix in Redis. Default `erlmcp:`. */
  redisPrefix?: string;
  /** Module path or file URL exporting `createServer(): McpServer` (or default). */
  serverModule: string;
  /** Export to call instead of `createServer`/default. */
  exportName?: string;
  /** Extra Host names accepted besides loopback (DNS-rebinding protection is on for loopback binds). */
  allowedHosts?: string[];
  /** Limits, rate limiting and allow-lists every worker applies (features/protection.ts). */
  protection?: ProtectionConfig;
  /** Node heartbeat period (ms) in Redis. Default 2000. */
  heartbeatMs?: number;
  /** Restarts of crashed workers allowed within `restartWindowMs` before the cluster gives up. Default 5. */
  maxRestarts?: number;
  /** Default 60 000 ms. */
  restartWindowMs?: number;
  /** Grace period of a draining worker (rolling restart, stop, SIGTERM). Default 10 000 ms. */
  drainTimeoutMs?: number;
  /** Supervisor log lines (restarts, crash loop). Default: console.error. */
  log?: (line: string) => void;
}

/** What a worker reads from its environment (set by runCluster). */
export interface WorkerConfig {
  port: number;
  host: string;
  redisUrl: string | undefined;
  redisPrefix: string | undefined;
  serverModule: string;
  exportName: string | undefined;
  allowedHosts: string[] | undefined;
  protection?: ProtectionConfig | undefined;
  heartbeatMs: number | undefined;
  drainTimeoutMs: number | undefined;
}

export const WORKER_CONFIG_ENV = 'ERLMCP_CLUSTER_WORKER';

export interface ClusterHandle {
  /** The MCP endpoint, e.g. http://127.0.0.1:3000/mcp. */
  readonly url: string;
  readonly port: number;
  /** Current worker processes (not those draining). */
  workerPids(): number[];
  /** Node ids (Redis) of the current workers, by pid. */
  nodeIds(): Map<number, string>;
  /** Rolling restart: every worker replaced one at a time, each drained after its replacement serves. */
  restart(): Promise<void>;
  /** Drains every worker (calls in flight finish within `graceMs`, default `drainTimeoutMs`) and resolves once all exited. */
  stop(graceMs?: number): Promise<void>;
  /** Resolves when the cluster ended: `{ code: 0 }` after stop(), `{ code: 1, reason }` after a crash loop. */
  readonly done: Promise<SupervisorExit>;
}

/**
 * Starts the workers; resolves once every one serves.
 *
 * @example
 * const c = await runCluster({ workers: 2, port: 3000, redisUrl: 'redis://127.0.0.1:6379', serverModule: '/srv/app/server.js' });
 * process.on('SIGHUP', () => void c.restart());
 * process.on('SIGTERM', () => void c.stop().then(() => process.exit(0)));
 */
export async function runCluster(options: ClusterOptions): Promise<ClusterHandle> {
  if (options.workers > 1 && !options.redisUrl) {
    throw new ErlmcpError('ERR_INVALID_ARGUMENT', 'runCluster: more than one worker needs redisUrl (sessions must be shared; the primary does not route by session). Use workers: 1 for the in-memory stores.');
  }
  const host = options.host ?? '127.0.0.1';
  const config = (port: number): WorkerConfig => ({
    port,
    host,
    redisUrl: options.redisUrl,
    redisPrefix: options.redisPrefix,
    serverModule: options.serverModule,
    exportName: options.exportName,
    allowedHosts: options.allowedHosts,
    protection: options.protection,
    heartbeatMs: options.heartbeatMs,
    drainTimeoutMs: options.drainTimeoutMs,
  });
  const supervisor = new Supervisor({
    exec: fileURLToPath(new URL('./worker.js', import.meta.url)),
    workers: options.workers,
    port: options.port,
    host,
    env: (port) => ({ [WORKER_CONFIG_ENV]: JSON.stringify(config(port)) }),
    maxRestarts: options.maxRestarts,
    restartWindowMs: options.restartWindowMs,
    drainTimeoutMs: options.drainTimeoutMs,
    log: options.log,
  });
  await supervisor.start();
  const port = supervisor.port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/mcp`,
    port,
    workerPids: () => supervisor.workerPids(),
    nodeIds: () => supervisor.nodeIds(),
    restart: () => supervisor.restart(),
    stop: (graceMs) => supervisor.stop(graceMs),
    done: supervisor.done,
  };
}
