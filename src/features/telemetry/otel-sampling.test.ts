/**
 * The server under a parent-based ratio sampler (what OTEL_TRACES_SAMPLER=parentbased_traceidratio
 * sets up): an unsampled request exports no span and gets no per-request attribute work, yet its
 * duration is recorded and its trace context (sampled flag off) still reaches the client; a
 * request whose caller sampled it is traced in full under the caller's span.
 */
import { context, propagation, type Attributes, type Context, type Link, type SpanKind } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { AggregationTemporality, MeterProvider, MetricReader, type HistogramMetricData } from '@opentelemetry/sdk-metrics';
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  InMemorySpanExporter,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SamplingResult,
} from '@opentelemetry/sdk-trace-base';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from '../../client/client.js';
import { McpServer } from '../../server/server.js';
import { InMemoryTransport } from '../../transports/memory.js';
import { instrumentClient, instrumentServer } from './otel.js';

class TestReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** Parent-based, roots never sampled (ratio 0); remembers the attributes each decision was given. */
class Recording implements Sampler {
  readonly seen: Attributes[] = [];
  private readonly inner = new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0) });
  shouldSample(ctx: Context, traceId: string, name: string, kind: SpanKind, attributes: Attributes, links: Link[]): SamplingResult {
    this.seen.push({ ...attributes });
    return this.inner.shouldSample(ctx, traceId, name, kind, attributes, links);
  }
  toString(): string {
    return 'Recording';
  }
}

const contextManager = new AsyncLocalStorageContextManager();
before(() => {
  context.setGlobalContextManager(contextManager.enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
});
after(() => {
  propagation.disable();
  context.disable();
});

describe('OpenTelemetry tracing under a parent-based ratio sampler', () => {
  const sampler = new Recording();
  const serverSpans = new InMemorySpanExporter();
  const serverTracing = new BasicTracerProvider({ sampler, spanProcessors: [new SimpleSpanProcessor(serverSpans)] });
  const clientSpans = new InMemorySpanExporter();
  const clientTracing = new BasicTracerProvider({ sampler: new AlwaysOnSampler(), spanProcessors: [new SimpleSpanProcessor(clientSpans)] });
  const reader = new TestReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  let server: McpServer;
  let plain: Client;
  let traced: Client;
  /** traceparent of each sampling request the server sent to `plain`. */
  const sent: string[] = [];

  before(async () => {
    server = new McpServer({ name: 'sampled', version: '1.0.0' });
    server.tool('ask', {}, async (_args, ctx) => {
      const r = await ctx.sample({ messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }], maxTokens: 5 });
      return { content: [{ type: 'text', text: (r.content as { text: string }).text }] };
    });
    instrumentServer(server, { tracerProvider: serverTracing, meterProvider });
    const sampling = () => ({ role: 'assistant' as const, content: { type: 'text' as const, text: 'hello' }, model: 'm' });
    plain = new Client({ name: 'plain', version: '1' }, { sampling });
    plain.use((call, next) => {
      if (call.direction === 'inbound') sent.push(String((call.params?._meta as { traceparent?: unknown } | undefined)?.traceparent));
      return next();
    });
    traced = new Client({ name: 'traced', version: '1' }, { sampling });
    instrumentClient(traced, { tracerProvider: clientTracing });
    for (const client of [plain, traced]) {
      const [ct, st] = InMemoryTransport.createLinkedPair();
      await server.connect(st);
      await client.connect(ct);
    }
  });
  after(async () => {
    await plain.close();
    await traced.close();
    await server.close();
    await meterProvider.shutdown();
    await serverTracing.shutdown();
    await clientTracing.shutdown();
  });

  it('an unsampled request exports no span and builds no per-request attributes, yet records its duration and passes the unsampled context on', async () => {
    serverSpans.reset();
    sampler.seen.length = 0;
    const r = await plain.callTool({ name: 'ask' });
    assert.deepEqual(r.content, [{ type: 'text', text: 'hello' }]);
    assert.deepEqual(serverSpans.getFinishedSpans(), []);
    // The sampler was given the method and target only: ids, session and carrier attributes are set on recording spans alone.
    assert.deepEqual(sampler.seen, [{ 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'ask', 'gen_ai.operation.name': 'execute_tool' }]);
    // The client's handling joins the same (unsampled) trace: flags 00.
    assert.equal(sent.length, 1);
    assert.match(sent[0]!, /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    const { resourceMetrics } = await reader.collect();
    const hist = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === 'mcp.server.operation.duration') as HistogramMetricData | undefined;
    const point = hist?.dataPoints.find((p) => p.attributes['gen_ai.tool.name'] === 'ask');
    assert.ok(point, 'the duration of an unsampled request is recorded');
    assert.equal(point.value.count, 1);
  });

  it('a request whose caller sampled it is traced in full, under the caller span', async () => {
    serverSpans.reset();
    clientSpans.reset();
    await traced.callTool({ name: 'ask' });
    const call = serverSpans.getFinishedSpans().find((s) => s.name === 'tools/call ask');
    assert.ok(call, `server spans: ${serverSpans.getFinishedSpans().map((s) => s.name).join(', ')}`);
    const caller = clientSpans.getFinishedSpans().find((s) => s.name === 'tools/call ask');
    assert.ok(caller);
    assert.equal(call.spanContext().traceId, caller.spanContext().traceId);
    assert.equal(call.parentSpanContext?.spanId, caller.spanContext().spanId);
    assert.equal(call.attributes['mcp.method.name'], 'tools/call');
    assert.equal(call.attributes['gen_ai.tool.name'], 'ask');
    assert.equal(typeof call.attributes['jsonrpc.request.id'], 'string');
    assert.equal(call.attributes['mcp.protocol.version'], '2025-11-25');
  });
});
