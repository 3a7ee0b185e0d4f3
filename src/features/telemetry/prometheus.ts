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
import type { Result } from '../../protocol/types.js';
import type { Call } from '../../server/middleware.js';
import type { McpServer } from '../../server/server.js';
import { ShapeCache } from './call-shape.js';
import { BoundedValues, DURATION_BUCKETS, OTHER, TOOL_ERROR, classifyFailure, isToolError, networkTransport } from './conventions.js';

export interface PrometheusOptions {
  /** Where the metrics are registered. Default: a new Registry of this instance. */
  registry?: Registry;
  /** Collect prom-client's default process metrics (CPU, memory, event loop lag, GC). Default true. */
  processMetrics?: boolean;
  /** Static labels on every series (e.g. `{ node: 'a' }`). */
  labels?: Record<string, string>;
}

/** Outcome label of `mcp_server_requests_total`. */
export type Outcome = 'ok' | 'tool_error' | 'caller_error' | 'error';

const OP_LABELS = ['mcp_method_name', 'gen_ai_tool_name', 'gen_ai_prompt_name', 'error_type', 'rpc_response_status_code', 'mcp_protocol_version', 'network_transport'] as const;
type OpLabel = (typeof OP_LABELS)[number];

/** The label children of one call shape, bound once. */
interface Hot {
  labels: Partial<Record<OpLabel, string>>;
  method: string;
  /** The `gen_ai_tool_name` label of `mcp_server_requests_total` ('' when not a tool call). */
  tool: string;
  /** The `network_transport` label of the session metrics. */
  net: string;
  duration: { observe(value: number): void };
  ok: { inc(): void };
  inFlight: { inc(): void; dec(): void };
}

export class PrometheusMetrics {
  readonly registry: Registry;
  private readonly servers = new Set<McpServer>();
  private readonly requests: Counter<'mcp_method_name' | 'gen_ai_tool_name' | 'outcome'>;
  private readonly duration: Histogram<OpLabel>;
  private readonly inFlight: Gauge<'mcp_method_name'>;
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
    this.requests = new Counter({
      name: 'mcp_server_requests_total',
      help: 'MCP requests answered, by method, tool and outcome (ok, tool_error, caller_error, error).',
      labelNames: ['mcp_method_name', 'gen_ai_tool_name', 'outcome'],
      registers,
    });
    this.duration = new Histogram({
      name: 'mcp_server_operation_duration_seconds',
      help: 'Duration of MCP requests handled by the server.',
      labelNames: OP_LABELS,
      buckets: [...DURATION_BUCKETS],
      registers,
    });
    this.inFlight = new Gauge({ name: 'mcp_server_requests_in_flight', help: 'MCP requests being handled now.', labelNames: ['mcp_method_name'], registers });
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

  /** Installs the request middleware and the outbound hook on `server`. */
  instrument(server: McpServer): this {
    this.servers.add(server);
    /** Initialized sessions: when, and their duration's labels. */
    const sessions = new WeakMap<object, { started: number; labels: { network_transport: string; mcp_protocol_version: string } }>();
    server.onSessionEnd((session) => {
      const s = sessions.get(session);
      if (s !== undefined) this.sessionDuration.observe(s.labels, (performance.now() - s.started) / 1000);
    });
    const label = (name: string): string => (server.tools.has(name) || server.prompts.has(name) ? name : OTHER);
    // The label children of each call shape are bound once (prom-client would otherwise sort and
    // hash the label object on every update): the success path touches no label object at all.
    const shapes = new ShapeCache<Hot>((method, name, version, kind) => {
      const net = networkTransport(kind);
      const tool = method === 'tools/call' && name !== undefined ? label(name) : undefined;
      const labels: Partial<Record<OpLabel, string>> = { mcp_method_name: method };
      if (tool !== undefined) labels.gen_ai_tool_name = tool;
      if (method === 'prompts/get' && name !== undefined) labels.gen_ai_prompt_name = label(name);
      if (version !== undefined) labels.mcp_protocol_version = version;
      if (net !== undefined) labels.network_transport = net;
      return {
        labels,
        method,
        tool: tool ?? '',
        net: net ?? 'other',
        duration: this.duration.labels(labels),
        ok: this.requests.labels({ mcp_method_name: method, gen_ai_tool_name: tool ?? '', outcome: 'ok' }),
        inFlight: this.inFlight.labels({ mcp_method_name: method }),
      };
    });
    server.use((call: Call, next) => {
      const h = shapes.of(call.method, call.params, call.session?.protocolVersion, call.transport);
      h.inFlight.inc();
      const started = performance.now();
      return next().then(
        (r: Result) => {
          if (isToolError(r)) {
            this.failed(h, started, 'tool_error', TOOL_ERROR, undefined);
          } else {
            h.duration.observe((performance.now() - started) / 1000);
            h.inFlight.dec();
            h.ok.inc();
            if (h.method === 'initialize') {
              this.opened.inc({ network_transport: h.net });
              const session = call.session;
              if (session !== undefined) sessions.set(session, { started, labels: { network_transport: h.net, mcp_protocol_version: session.protocolVersion ?? 'unknown' } });
            }
          }
          return r;
        },
        (e: unknown) => {
          const f = classifyFailure(e);
          this.failed(h, started, f.callerFault ? 'caller_error' : 'error', f.code !== undefined ? String(f.code) : f.type, String(f.code ?? -32603));
          throw e;
        },
      );
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

  /** Records a call that failed or returned a tool error (the rare path: labels built here). */
  private failed(h: Hot, started: number, outcome: Outcome, errorType: string, code: string | undefined): void {
    const labels = { ...h.labels, error_type: errorType };
    if (code !== undefined) labels.rpc_response_status_code = code;
    this.duration.observe(labels, (performance.now() - started) / 1000);
    h.inFlight.dec();
    this.requests.inc({ mcp_method_name: h.method, gen_ai_tool_name: h.tool, outcome });
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
