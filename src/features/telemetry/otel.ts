/**
 * OpenTelemetry for servers and clients, through `@opentelemetry/api` only: a span per request
 * (SERVER for requests received, CLIENT for requests sent), named and attributed per the MCP
 * semantic conventions, context carried in `params._meta` both ways, and the operation-duration
 * histograms. Nothing is exported unless the application (or `erlmcp start --otel`) registers an
 * SDK; without one every call below is the API's no-op. Nothing is installed unless asked: a
 * server that never calls `instrumentServer` runs no middleware at all.
 */
import {
  SpanKind,
  SpanStatusCode,
  context,
  metrics,
  trace,
  type Attributes,
  type Context,
  type Histogram,
  type Link,
  type MeterProvider,
  type Span,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import type { Client } from '../../client/client.js';
import type { ClientCall } from '../../client/middleware.js';
import type { Result } from '../../protocol/types.js';
import type { Call } from '../../server/middleware.js';
import type { McpServer } from '../../server/server.js';
import { callShapes, requestAttributes } from './call-shape.js';
import { ATTR, BoundedValues, DURATION_BUCKETS, OTHER, TOOL_ERROR, classifyFailure, isToolError, networkTransport, spanName } from './conventions.js';
import { operationStats } from './operation-stats.js';
import { extractFromMeta, injectIntoParams } from './propagation.js';

const SCOPE = 'erlmcp';

export interface OtelOptions {
  /** Default: the global provider (a no-op until an SDK registers one). */
  tracerProvider?: TracerProvider;
  /** Default: the global provider. */
  meterProvider?: MeterProvider;
}

export interface ServerOtelOptions extends OtelOptions {
  /**
   * How `mcp.server.operation.duration` is produced. 'record' (default): the meter provider's
   * histogram records every request. 'aggregate': nothing per request; the server's request
   * aggregate (operation-stats.ts) is read at export time by an `OperationMetricProducer` given
   * to the SDK's metric reader (what `erlmcp start --otel` does), which saves the SDK's
   * per-record attribute hashing (about 1.3 µs a request).
   */
  durations?: 'record' | 'aggregate';
}

interface Instruments {
  tracer: Tracer;
  /** Undefined when durations come from the aggregate instead. */
  duration: Histogram | undefined;
}

function instruments(side: 'server' | 'client', options: OtelOptions | undefined, aggregate = false): Instruments {
  const tracer = (options?.tracerProvider ?? trace.getTracerProvider()).getTracer(SCOPE);
  if (aggregate) return { tracer, duration: undefined };
  const meter = (options?.meterProvider ?? metrics.getMeterProvider()).getMeter(SCOPE);
  const duration = meter.createHistogram(`mcp.${side}.operation.duration`, {
    description: `Duration of MCP requests as seen by the ${side}`,
    unit: 's',
    advice: { explicitBucketBoundaries: [...DURATION_BUCKETS] },
  });
  return { tracer, duration };
}

/** Attributes about what a request acts on; `toolLabel` bounds the tool name used as a metric attribute. */
function targetAttributes(method: string, params: Record<string, unknown> | undefined, attrs: Attributes, metric: Attributes, toolLabel: (name: string) => string): void {
  const name = params?.name;
  if (method === 'tools/call' && typeof name === 'string') {
    attrs[ATTR.TOOL_NAME] = name;
    attrs[ATTR.OPERATION_NAME] = 'execute_tool';
    metric[ATTR.TOOL_NAME] = toolLabel(name);
  } else if (method === 'prompts/get' && typeof name === 'string') {
    attrs[ATTR.PROMPT_NAME] = name;
    metric[ATTR.PROMPT_NAME] = toolLabel(name);
  } else if (method.startsWith('resources/') && typeof params?.uri === 'string') {
    // Span only: a URI is unbounded, never a metric attribute.
    attrs[ATTR.RESOURCE_URI] = params.uri;
  }
}

/** Ends `span` and records the duration for a call that answered `result`. */
function succeed(span: Span, duration: Histogram | undefined, metric: Attributes, started: number, result: Result): Result {
  if (isToolError(result)) {
    span.setAttribute(ATTR.ERROR_TYPE, TOOL_ERROR);
    span.setStatus({ code: SpanStatusCode.ERROR });
    // A copy: `metric` may be the cached set of the success path.
    metric = { ...metric, [ATTR.ERROR_TYPE]: TOOL_ERROR };
  }
  span.end();
  duration?.record((performance.now() - started) / 1000, metric);
  return result;
}

/** Ends `span` and records the duration for a call that failed with `e`; rethrows it. */
function fail(span: Span, duration: Histogram | undefined, metric: Attributes, started: number, e: unknown, callerFaultIsError: boolean): never {
  const f = classifyFailure(e);
  // A non-MCP error is answered -32603 (engine finishError).
  const code = String(f.code ?? -32603);
  span.setAttribute(ATTR.ERROR_TYPE, f.type);
  span.setAttribute(ATTR.STATUS_CODE, code);
  if (callerFaultIsError || !f.callerFault) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: f.message });
    if (!(e instanceof Error && e.name === 'McpError')) span.recordException(e instanceof Error ? e : String(e));
  }
  span.end();
  duration?.record((performance.now() - started) / 1000, { ...metric, [ATTR.ERROR_TYPE]: f.type, [ATTR.STATUS_CODE]: code });
  throw e;
}

/** Runs `fn` in `ctx` under `span`, ending the span and recording the duration either way. */
function within(span: Span, ctx: Context, inst: Instruments, metric: Attributes, fn: () => Promise<Result>, callerFaultIsError: boolean): Promise<Result> {
  const started = performance.now();
  let p: Promise<Result>;
  try {
    p = context.with(trace.setSpan(ctx, span), fn);
  } catch (e) {
    return Promise.reject(e).catch((err: unknown) => fail(span, inst.duration, metric, started, err, callerFaultIsError));
  }
  return p.then(
    (r) => succeed(span, inst.duration, metric, started, r),
    (e: unknown) => fail(span, inst.duration, metric, started, e, callerFaultIsError),
  );
}

/**
 * Traces every request a server receives (a SERVER span, the handler running inside it, so spans
 * the handler opens nest under it), records `mcp.server.operation.duration`, and puts the active
 * trace context into `_meta` of every request and notification the server sends (sampling,
 * elicitation, roots, progress): the client's handling joins the same trace.
 *
 * @example
 * import { instrumentServer } from 'erlmcp/telemetry';
 * instrumentServer(server); // spans go wherever the registered OpenTelemetry SDK sends them
 */
export function instrumentServer(server: McpServer, options?: ServerOtelOptions): void {
  const aggregate = options?.durations === 'aggregate';
  if (aggregate) operationStats(server);
  const inst = instruments('server', options, aggregate);
  const sessionDuration = (options?.meterProvider ?? metrics.getMeterProvider()).getMeter(SCOPE).createHistogram('mcp.server.session.duration', {
    description: 'Duration of MCP sessions on this server, from initialize answered to the session leaving this process',
    unit: 's',
    advice: { explicitBucketBoundaries: [...DURATION_BUCKETS] },
  });
  /** Initialized sessions: when, and the attributes their duration is recorded with. */
  const sessions = new WeakMap<object, { started: number; attrs: Attributes }>();
  server.onSessionEnd((session) => {
    const s = sessions.get(session);
    if (s !== undefined) sessionDuration.record((performance.now() - s.started) / 1000, s.attrs);
  });
  const toolLabel = (name: string): string => (server.tools.has(name) || server.prompts.has(name) ? name : OTHER);
  const shapes = callShapes(toolLabel);
  server.use((call: Call, next) => {
    const active = context.active();
    const meta = call.meta as Record<string, unknown> | undefined;
    // No trace context in the message (the common case without an instrumented client): no propagator work.
    const parent = meta === undefined || (meta.traceparent === undefined && meta.baggage === undefined) ? active : extractFromMeta(meta, active);
    const session = call.session;
    const shape = shapes.of(call.method, call.params, session?.protocolVersion, call.transport);
    // The span whose context the carrier set up (an HTTP server span) is linked, not the parent,
    // when the message carries its own context.
    let links: Link[] | undefined;
    if (parent !== active) {
      const ambient = trace.getSpanContext(active);
      if (ambient !== undefined) links = [{ context: ambient }];
    }
    // Only what a sampler may want (method, target) at creation; the per-request attributes are
    // built only for a span that records (an unsampled request does no attribute work).
    const span = inst.tracer.startSpan(shape.spanName, { kind: SpanKind.SERVER, attributes: shape.initial, links }, parent);
    const recording = span.isRecording();
    if (recording) span.setAttributes(requestAttributes(call, shape));
    // Unsampled, durations read from the aggregate: ending a non-recording span does nothing, so
    // the handler only needs to run in its context (still propagated: sampled flag off).
    if (!recording && inst.duration === undefined && call.method !== 'initialize') return context.with(trace.setSpan(parent, span), next);
    if (call.method === 'initialize' && session !== undefined) {
      const started = performance.now();
      return within(span, parent, inst, { ...shape.metric }, next, false).then((r) => {
        const sessionAttrs: Attributes = {};
        if (shape.net !== undefined) sessionAttrs[ATTR.NETWORK_TRANSPORT] = shape.net;
        if (shape.proto !== undefined) sessionAttrs[ATTR.NETWORK_PROTOCOL_NAME] = shape.proto;
        const v = session.protocolVersion;
        if (v !== undefined) sessionAttrs[ATTR.PROTOCOL_VERSION] = v;
        sessions.set(session, { started, attrs: sessionAttrs });
        return r;
      });
    }
    return within(span, parent, inst, shape.metric, next, false);
  });
  server.onOutbound((message) => {
    if (!('method' in message)) return undefined;
    const params = injectIntoParams(message.params, context.active());
    return params === message.params ? undefined : { ...message, params };
  });
}

/**
 * Traces every request a client sends (a CLIENT span whose context goes into `_meta`) and every
 * request it receives from the server (a SERVER span under the context the server sent), and
 * records `mcp.client.operation.duration`.
 *
 * @example
 * const client = new Client({ name: 'app', version: '1.0.0' });
 * instrumentClient(client);
 */
export function instrumentClient(client: Client, options?: OtelOptions): void {
  const inst = instruments('client', options);
  const names = new BoundedValues(256);
  const toolLabel = (name: string): string => names.get(name);
  client.use((call: ClientCall, next) => {
    const inbound = call.direction === 'inbound';
    const attrs: Attributes = { [ATTR.METHOD]: call.method };
    const metric: Attributes = { [ATTR.METHOD]: call.method };
    if (call.id !== undefined) attrs[ATTR.REQUEST_ID] = String(call.id);
    if (call.sessionId !== undefined) attrs[ATTR.SESSION_ID] = call.sessionId;
    if (call.protocolVersion !== undefined) attrs[ATTR.PROTOCOL_VERSION] = metric[ATTR.PROTOCOL_VERSION] = call.protocolVersion;
    const net = networkTransport(call.transport);
    if (net !== undefined) attrs[ATTR.NETWORK_TRANSPORT] = metric[ATTR.NETWORK_TRANSPORT] = net;
    targetAttributes(call.method, call.params, attrs, metric, toolLabel);
    const parent = inbound ? extractFromMeta(call.params?._meta as Record<string, unknown> | undefined) : context.active();
    const span = inst.tracer.startSpan(spanName(call.method, call.params), { kind: inbound ? SpanKind.SERVER : SpanKind.CLIENT, attributes: attrs }, parent);
    if (!inbound) call.params = injectIntoParams(call.params, trace.setSpan(parent, span));
    return within(span, parent, inst, metric, next, !inbound);
  });
}
