/**
 * Prometheus metrics with prom-client: requests by method, tool and outcome, duration histograms
 * (the MCP conventions' names and buckets), sessions, requests in flight, limit rejections by
 * reason, and the process metrics. Label values are bounded: tool and prompt names only when
 * registered (else `_OTHER`), rejection reasons capped; no session id, request id, URI or address
 * is ever a label.
 *
 * @example
 * const metrics = new PrometheusMetrics();
 * metrics.instrument(server);
 * const http = new StreamableHttpServer({ server, routes: { '/metrics': metrics.handler() } });
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { McpServer } from '../../server/server.js';
import { BoundedValues, DURATION_BUCKETS, OTHER } from './conventions.js';
import { AggregateHistogram } from './prometheus-aggregate.js';
import { operationStats, type OperationStats } from './operation-stats.js';

export interface PrometheusOptions {
  /** Where the metrics are registered. Default: a new Registry of this instance. */
  registry?: Registry;
  /** Collect prom-client's default process metrics (CPU, memory, event loop lag, GC). Default true. */
  processMetrics?: boolean;
  /** Static labels on every series (e.g. `{ node: 'a' }`). */
  labels?: Record<string, string>;
}

export type { Outcome } from './operation-stats.js';

const OP_LABELS = ['mcp_method_name', 'gen_ai_tool_name', 'gen_ai_prompt_name', 'error_type', 'rpc_response_status_code', 'mcp_protocol_version', 'network_transport'] as const;
type OpLabel = (typeof OP_LABELS)[number];

export class PrometheusMetrics {
  readonly registry: Registry;
  private readonly servers = new Set<McpServer>();
  /** The aggregates of the instrumented servers, read at scrape time. */
  private readonly stats: OperationStats[] = [];
  private readonly opened: Counter<'network_transport'>;
  private readonly rejections: Counter<'reason'>;
  private readonly sessionDuration: Histogram<'network_transport' | 'mcp_protocol_version'>;
  private readonly reasons = new BoundedValues(32);

  constructor(options: PrometheusOptions = {}) {
    this.registry = options.registry ?? new Registry();
    if (options.labels) this.registry.setDefaultLabels(options.labels);
    if (options.processMetrics !== false) {
      collectDefaultMetrics({ register: this.registry });
      // Gauges named `_total` (promtool rejects them); `nodejs_active_{handles,requests,resources}`
      // carry the same figures by type.
      for (const n of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) this.registry.removeSingleMetric(n);
    }
    const registers = [this.registry];
    const stats = this.stats;
    // Requests, their durations and the calls in flight come from the servers' aggregates
    // (operation-stats.ts), read when scraped: the request path touches no prom-client object.
    new Counter({
      name: 'mcp_server_requests_total',
      help: 'MCP requests answered, by method, tool and outcome (ok, tool_error, caller_error, error).',
      labelNames: ['mcp_method_name', 'gen_ai_tool_name', 'outcome'],
      registers,
      collect() {
        this.reset();
        for (const st of stats) {
          for (const s of st.series()) {
            if (s.count > 0) this.inc({ mcp_method_name: s.shape.method, gen_ai_tool_name: s.shape.tool ?? '', outcome: s.failure?.outcome ?? 'ok' }, s.count);
          }
        }
      },
    });
    new AggregateHistogram(
      {
        name: 'mcp_server_operation_duration_seconds',
        help: 'Duration of MCP requests handled by the server.',
        labelNames: OP_LABELS,
        buckets: [...DURATION_BUCKETS],
        registers,
      },
      stats,
    );
    new Gauge({
      name: 'mcp_server_requests_in_flight',
      help: 'MCP requests being handled now.',
      labelNames: ['mcp_method_name'],
      registers,
      collect() {
        this.reset();
        for (const st of stats) for (const [method, n] of st.inFlight()) this.inc({ mcp_method_name: method }, n);
      },
    });
    this.opened = new Counter({ name: 'mcp_server_sessions_opened_total', help: 'Sessions initialized (initialize answered).', labelNames: ['network_transport'], registers });
    const servers = this.servers;
    new Gauge({
      name: 'mcp_server_sessions_active',
      help: 'Sessions live on this process.',
      registers,
      collect() {
        let n = 0;
        for (const s of servers) n += s.sessionCount;
        this.set(n);
      },
    });
    this.sessionDuration = new Histogram({
      name: 'mcp_server_session_duration_seconds',
      help: 'Duration of MCP sessions, from initialize answered to the session leaving this process (closed, deleted, expired, server stopped).',
      labelNames: ['network_transport', 'mcp_protocol_version'],
      buckets: [...DURATION_BUCKETS],
      registers,
    });
    this.rejections = new Counter({
      name: 'mcp_server_rejections_total',
      help: 'Requests refused by a limit (JSON-RPC -32000 with data.reason: max_in_flight, tool_busy, rate_limited…).',
      labelNames: ['reason'],
      registers,
    });
  }

  /** Reads `server`'s request aggregate (installing its timing middleware once) and installs the outbound hook. */
  instrument(server: McpServer): this {
    this.servers.add(server);
    const stats = operationStats(server);
    this.stats.push(stats);
    /** Initialized sessions: when, and their duration's labels. */
    const sessions = new WeakMap<object, { started: number; labels: { network_transport: string; mcp_protocol_version: string } }>();
    server.onSessionEnd((session) => {
      const s = sessions.get(session);
      if (s !== undefined) this.sessionDuration.observe(s.labels, (performance.now() - s.started) / 1000);
    });
    stats.onInitialized((session, shape, started) => {
      const net = shape.net ?? 'other';
      this.opened.inc({ network_transport: net });
      sessions.set(session, { started, labels: { network_transport: net, mcp_protocol_version: session.protocolVersion ?? 'unknown' } });
    });
    // Limit refusals happen before any middleware (max_in_flight in the engine) or inside it
    // (tool_busy): the error response that leaves the session is where all of them show.
    server.onOutbound((message) => {
      if ('error' in message) {
        const data = message.error.data as { reason?: unknown } | undefined;
        if (message.error.code === -32000 && typeof data?.reason === 'string') {
          const reason = /^[a-z0-9_]{1,40}$/.test(data.reason) ? this.reasons.get(data.reason) : OTHER;
          this.rejections.inc({ reason });
        }
      }
      return undefined;
    });
    return this;
  }

  /** The exposition text (Prometheus text format 0.0.4). */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  /** A node:http handler answering GET/HEAD with the exposition text (405 otherwise). */
  handler(): (req: IncomingMessage, res: ServerResponse) => void {
    return metricsHandler(this.registry);
  }
}

/**
 * A node:http handler answering GET/HEAD with `source`'s exposition text (405 otherwise, 500
 * naming the cause when collection fails): a registry, or a cluster aggregate (cluster-metrics.ts).
 *
 * @example
 * createServer(metricsHandler(registry)).listen(9464);
 */
export function metricsHandler(source: { metrics(): Promise<string>; readonly contentType: string }): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('Method Not Allowed\n');
      return;
    }
    source.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': source.contentType, 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (e: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics collection failed: ${e instanceof Error ? e.message : String(e)}\n`);
      },
    );
  };
}
