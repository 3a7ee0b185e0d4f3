/**
 * One switchboard for a served McpServer (used by `erlmcp start`): each signal is installed only
 * when asked for, so a server started without any of them runs no telemetry code at all.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { McpServer } from '../../server/server.js';
import type { TelemetryConfig } from './config.js';
import { createDashboard, type Dashboard } from './dashboard/index.js';
import { createLogger, logRequests } from './logging.js';
import { startOtelSdk, type RunningSdk } from './otel-sdk.js';
import { instrumentServer } from './otel.js';
import { PrometheusMetrics } from './prometheus.js';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface Telemetry {
  /** Paths to mount on the MCP HTTP listener (`StreamableHttpServer({ routes })`). */
  readonly routes: Record<string, RouteHandler>;
  readonly metrics: PrometheusMetrics | undefined;
  readonly logger: Logger | undefined;
  /** `http://host:port/metrics` of the separate listener, when `metricsPort` was given. */
  readonly metricsUrl: string | undefined;
  /** Flushes exporters and stops the metrics listener. */
  close(): Promise<void>;
}

/**
 * Installs what `config` asks for on `server`.
 *
 * @example
 * const t = await setupTelemetry(server, { metrics: true, logLevel: 'info' });
 * const http = new StreamableHttpServer({ server, routes: t.routes });
 */
export async function setupTelemetry(server: McpServer, config: TelemetryConfig): Promise<Telemetry> {
  const routes: Record<string, RouteHandler> = {};
  let sdk: RunningSdk | undefined;
  let listener: Server | undefined;
  let metricsUrl: string | undefined;
  // The SDK first: meters taken from the global provider before it registers stay no-ops.
  if (config.otel) {
    sdk = await startOtelSdk();
    instrumentServer(server);
  }
  let metrics: PrometheusMetrics | undefined;
  if (config.metrics || config.metricsPort !== undefined) {
    metrics = new PrometheusMetrics().instrument(server);
    if (config.metricsPort === undefined) {
      routes['/metrics'] = metrics.handler();
    } else {
      const handler = metrics.handler();
      listener = createServer((req, res) => {
        if ((req.url ?? '/').split('?', 1)[0] === '/metrics') handler(req, res);
        else res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found\n');
      });
      const host = config.metricsHost ?? '127.0.0.1';
      await new Promise<void>((resolve, reject) => {
        listener!.once('error', reject);
        listener!.listen(config.metricsPort, host, () => resolve());
      });
      const { port } = listener.address() as { port: number };
      metricsUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}/metrics`;
    }
  }
  let dashboard: Dashboard | undefined;
  if (config.dashboard) {
    dashboard = createDashboard(server);
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
    async close() {
      dashboard?.close();
      if (listener) {
        const l = listener;
        await new Promise<void>((resolve) => {
          l.close(() => resolve());
          l.closeAllConnections();
        });
      }
      await sdk?.shutdown().catch(() => {});
      logger?.flush();
    },
  };
}
