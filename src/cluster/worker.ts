/**
 * Entry of a node:cluster worker started by runCluster: builds the McpServer from the
 * configured module, the Redis stores (when configured), and serves Streamable HTTP on the
 * shared port, under the worker runtime (worker-runtime.ts: crash guards, `listening` report,
 * drain on the supervisor's message or SIGTERM).
 */
import { pathToFileURL } from 'node:url';
import type { McpServer } from '../server/index.js';
import { connectRedisStores, type RedisStores } from '../stores/redis/index.js';
import { StreamableHttpServer } from '../transports/http/index.js';
import { applyProtection, httpProtection } from '../features/protection.js';
import { WORKER_CONFIG_ENV, type WorkerConfig } from './cluster.js';
import { runWorker } from './worker-runtime.js';

async function loadServer(cfg: WorkerConfig): Promise<McpServer> {
  const spec = cfg.serverModule.startsWith('file:') ? cfg.serverModule : pathToFileURL(cfg.serverModule).href;
  const mod = (await import(spec)) as Record<string, unknown>;
  const factory = mod[cfg.exportName ?? 'createServer'] ?? mod.default;
  if (typeof factory !== 'function') throw new Error(`${cfg.serverModule} exports no ${cfg.exportName ?? 'createServer'}() or default function`);
  return (await (factory as () => McpServer | Promise<McpServer>)()) as McpServer;
}

const raw = process.env[WORKER_CONFIG_ENV];
if (!raw) throw new Error(`${WORKER_CONFIG_ENV} is not set: this module is started by runCluster`);
const cfg = JSON.parse(raw) as WorkerConfig;
const log = (line: string): void => console.error(line);

await runWorker(
  async () => {
    const server = await loadServer(cfg);
    let stores: RedisStores | undefined;
    if (cfg.redisUrl) {
      stores = await connectRedisStores({ url: cfg.redisUrl, prefix: cfg.redisPrefix, heartbeatMs: cfg.heartbeatMs });
      stores.connection.onerror = (e) => log(`[erlmcp worker ${process.pid}] redis: ${e.message}`);
      await server.useTaskStore(stores.taskStore);
    }
    applyProtection(server, cfg.protection, stores?.connection.cmd);
    const http = new StreamableHttpServer({ server, ...stores?.seams, allowedHosts: cfg.allowedHosts, ...httpProtection(cfg.protection) });
    http.onerror = (e) => log(`[erlmcp worker ${process.pid}] ${e.message}`);
    const { port } = await http.listen(cfg.port, cfg.host);
    return {
      port,
      nodeId: http.nodeId,
      drain: ({ graceMs, handover }) => http.drain(graceMs, { handover }),
      failInFlight: (reason) => http.failInFlight(reason),
      close: async () => {
        await http.close().catch(() => {});
        await server.close().catch(() => {});
        await stores?.close().catch(() => {});
      },
    };
  },
  { drainTimeoutMs: cfg.drainTimeoutMs, log },
);
