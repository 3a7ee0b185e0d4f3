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
 */
import type { ProtectionConfig } from '../features/protection.js';
import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { ErlmcpError } from '../protocol/errors.js';

export interface ClusterOptions {
  workers: number;
  /** 0 = a free port, shared by all workers. */
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
  /** Start a new worker when one exits unexpectedly. Default true. */
  restart?: boolean;
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
}

export const WORKER_CONFIG_ENV = 'ERLMCP_CLUSTER_WORKER';

export interface ClusterHandle {
  /** The MCP endpoint, e.g. http://127.0.0.1:3000/mcp. */
  readonly url: string;
  readonly port: number;
  /** Current worker processes. */
  workerPids(): number[];
  /** Node ids (Redis) of the current workers, by pid. */
  nodeIds(): Map<number, string>;
  /** Stops every worker (graceful, then SIGKILL after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<void>;
}

interface Listening {
  type: 'erlmcp:listening';
  port: number;
  nodeId: string;
}

export async function runCluster(options: ClusterOptions): Promise<ClusterHandle> {
  // One requestState key for every worker: a 2026-07-28 multi-round-trip retry may reach any of them.
  process.env.ERLMCP_REQUEST_STATE_SECRET ??= randomBytes(32).toString('hex');
  if (!cluster.isPrimary) throw new ErlmcpError('ERR_INVALID_ARGUMENT', 'runCluster must be called in the primary process');
  if (!Number.isInteger(options.workers) || options.workers < 1) throw new ErlmcpError('ERR_INVALID_ARGUMENT', `runCluster: workers must be a positive integer, got ${options.workers}`);
  if (options.workers > 1 && !options.redisUrl) {
    throw new ErlmcpError('ERR_INVALID_ARGUMENT', 'runCluster: more than one worker needs redisUrl (sessions must be shared; the primary does not route by session). Use workers: 1 for the in-memory stores.');
  }
  const config: WorkerConfig = {
    port: options.port,
    host: options.host ?? '127.0.0.1',
    redisUrl: options.redisUrl,
    redisPrefix: options.redisPrefix,
    serverModule: options.serverModule,
    exportName: options.exportName,
    allowedHosts: options.allowedHosts,
    protection: options.protection,
    heartbeatMs: options.heartbeatMs,
  };
  cluster.setupPrimary({ exec: fileURLToPath(new URL('./worker.js', import.meta.url)), args: [] });
  const nodeIds = new Map<number, string>();
  let stopping = false;

  const fork = (cfg: WorkerConfig): Promise<{ worker: Worker; port: number }> =>
    new Promise((resolve, reject) => {
      const w = cluster.fork({ [WORKER_CONFIG_ENV]: JSON.stringify(cfg) });
      const onExit = (code: number | null): void => reject(new ErlmcpError('ERR_CONNECTION_CLOSED', `cluster worker exited during startup (code ${code})`));
      w.once('exit', onExit);
      w.on('message', (m: Listening) => {
        if (m?.type !== 'erlmcp:listening') return;
        nodeIds.set(w.process.pid!, m.nodeId);
        w.off('exit', onExit);
        resolve({ worker: w, port: m.port });
      });
    });

  const workers = new Set<Worker>();
  const watch = (w: Worker): void => {
    workers.add(w);
    w.once('exit', () => {
      workers.delete(w);
      if (w.process.pid !== undefined) nodeIds.delete(w.process.pid);
      // Same config as the others (port 0 included): node:cluster keys shared handles by the requested port.
      if (!stopping && options.restart !== false) fork(config).then((f) => watch(f.worker), () => {});
    });
  };

  // All workers ask for the same port (0 included): the primary binds it once and shares it.
  const started = await Promise.all(Array.from({ length: options.workers }, () => fork(config)));
  for (const f of started) watch(f.worker);
  const port = started[0]!.port;

  return {
    url: `http://${config.host}:${port}/mcp`,
    port,
    workerPids: () => [...workers].map((w) => w.process.pid!).filter((p) => p !== undefined),
    nodeIds: () => new Map(nodeIds),
    stop: async (timeoutMs = 5000) => {
      stopping = true;
      await Promise.all(
        [...workers].map(
          (w) =>
            new Promise<void>((resolve) => {
              if (w.isDead()) return resolve();
              const timer = setTimeout(() => w.process.kill('SIGKILL'), timeoutMs);
              w.once('exit', () => {
                clearTimeout(timer);
                resolve();
              });
              w.send({ type: 'erlmcp:shutdown' });
            }),
        ),
      );
    },
  };
}
