/**
 * One switchboard for a served McpServer (used by `erlmcp start`): each signal is installed only
 * when asked for, so a server started without any of them runs no telemetry code at all.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { McpServer } from '../../server/server.js';
import type { TelemetryConfig } from './config.js';
import { DashboardStats, createDashboard, type Dashboard } from './dashboard/index.js';
import { createLogger, logRequests } from './logging.js';
import { startOtelSdk, type RunningSdk } from './otel-sdk.js';
import { operationStats } from './operation-stats.js';
import { instrumentServer } from './otel.js';
import { PrometheusMetrics, metricsHandler } from './prometheus.js';
import { observeEventStore, observeRedis, observeTransports, type TransportCounts } from './prometheus-runtime.js';
import type { Redis } from 'ioredis';
import type { EventStore } from '../../stores/types.js';
import { MemoryEventStore } from '../../stores/memory-event-store.js';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface Telemetry {
  /** Paths to mount on the MCP HTTP listener (`StreamableHttpServer({ routes })`). */
  readonly routes: Record<string, RouteHandler>;
  readonly metrics: PrometheusMetrics | undefined;
  readonly logger: Logger | undefined;
  /** `http://host:port/metrics` of the separate listener, when `metricsPort` was given. */
  readonly metricsUrl: string | undefined;
  /**
   * With metrics on: also report what the served process holds (connections and SSE streams per
   * transport, the event store's size, Redis command latency and errors, cluster nodes). No-op otherwise.
   */
  observe(sources: ServingSources): void;
  /** Flushes exporters and stops the metrics listener. */
  close(): Promise<void>;
}

/** What `Telemetry.observe` reads (prometheus-runtime.ts). */
export interface ServingSources {
  transports?: () => TransportCounts[];
  eventStore?: EventStore;
  /** The node's Redis connection: its command client is timed, its heartbeat keys counted. */
  redis?: { readonly cmd: Redis; readonly prefix: string };
}

export interface SetupOptions {
  /**
   * This process is one worker of a node:cluster service whose primary aggregates the metrics
   * (`aggregateWorkers`, cluster-metrics.ts) and the dashboard (`aggregateDashboards`,
   * dashboard/cluster.ts): the registry is shared with it, `/metrics` on the MCP port answers
   * with the aggregate over every worker, no `metricsPort` listener is opened here (the primary
   * serves that port), and `/dashboard` shows the figures of every worker merged.
   */
  clusterWorker?: boolean;
}

/**
 * Serves `handler` at `/metrics` on its own listener (404 elsewhere); resolves with the URL.
 *
 * @example
 * const { url, close } = await listenMetrics(metrics.handler(), 9464);
 */
export async function listenMetrics(handler: RouteHandler, port: number, host = '127.0.0.1'): Promise<{ url: string; close(): Promise<void> }> {
  const listener = createServer((req, res) => {
    if ((req.url ?? '/').split('?', 1)[0] === '/metrics') handler(req, res);
    else res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found\n');
  });
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(port, host, () => resolve());
  });
  const { port: bound } = listener.address() as { port: number };
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        listener.close(() => resolve());
        listener.closeAllConnections();
      }),
  };
}

/**
 * Installs what `config` asks for on `server`.
 *
 * @example
 * const t = await setupTelemetry(server, { metrics: true, logLevel: 'info' });
 * const http = new StreamableHttpServer({ server, routes: t.routes });
 */
export async function setupTelemetry(server: McpServer, config: TelemetryConfig, options: SetupOptions = {}): Promise<Telemetry> {
  const routes: Record<string, RouteHandler> = {};
  let sdk: RunningSdk | undefined;
  let listener: { url: string; close(): Promise<void> } | undefined;
  let metricsUrl: string | undefined;
  // The SDK first: meters taken from the global provider before it registers stay no-ops.
  if (config.otel) {
    sdk = await startOtelSdk();
    // The SDK's metric readers read the request durations from the server's aggregate at export
    // time (otel-producer.ts): no SDK histogram work per request.
    instrumentServer(server, { durations: sdk.metrics ? 'aggregate' : 'record' });
    if (sdk.metrics) sdk.addOperationStats(operationStats(server));
  }
  let metrics: PrometheusMetrics | undefined;
  if (config.metrics || config.metricsPort !== undefined) {
    metrics = new PrometheusMetrics().instrument(server);
    if (options.clusterWorker) {
      const { shareWithPrimary } = await import('./cluster-metrics.js');
      const aggregate = shareWithPrimary(metrics.registry);
      if (config.metricsPort === undefined) routes['/metrics'] = metricsHandler(aggregate);
    } else if (config.metricsPort === undefined) {
      routes['/metrics'] = metrics.handler();
    } else {
      listener = await listenMetrics(metrics.handler(), config.metricsPort, config.metricsHost);
      metricsUrl = listener.url;
    }
  }
  let dashboard: Dashboard | undefined;
  if (config.dashboard) {
    if (options.clusterWorker) {
      // The supervisor merges every worker's figures (dashboard/cluster.ts): whichever worker a viewer reaches shows the whole service.
      const stats = new DashboardStats().instrument(server);
      const { shareDashboard } = await import('./dashboard/cluster.js');
      dashboard = createDashboard(server, { stats, snapshot: shareDashboard(stats) });
    } else dashboard = createDashboard(server);
    Object.assign(routes, dashboard.routes);
  }
  let logger: Logger | undefined;
  if (config.logLevel) {
    logger = createLogger(config.logLevel);
    logRequests(server, logger);
  }
  return {
    routes,
    metrics,
    logger,
    metricsUrl,
    observe(sources) {
      if (!metrics) return;
      const registry = metrics.registry;
      if (sources.transports) observeTransports(registry, sources.transports);
      const store = sources.eventStore;
      if (store?.stats) observeEventStore(registry, store instanceof MemoryEventStore ? 'memory' : 'redis', () => store.stats!());
      if (sources.redis) observeRedis(registry, sources.redis.cmd, sources.redis.prefix);
    },
    async close() {
      dashboard?.close();
      await listener?.close();
      await sdk?.shutdown().catch(() => {});
      logger?.flush();
    },
  };
}
