import { SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { AggregationTemporality, MeterProvider, MetricReader, type HistogramMetricData } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { Client } from '../../client/client.js';
import { McpError, ErrorCode } from '../../protocol/errors.js';
import type { Transport } from '../../protocol/transport.js';
import { McpServer } from '../../server/server.js';
import { InMemoryTransport } from '../../transports/memory.js';
import { StreamableHttpClientTransport } from '../../transports/http/client.js';
import { StreamableHttpServer } from '../../transports/http/server.js';
import { instrumentClient, instrumentServer } from './otel.js';

class TestReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const contextManager = new AsyncLocalStorageContextManager();

before(() => {
  context.setGlobalContextManager(contextManager.enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
});
after(async () => {
  await provider.shutdown();
  trace.disable();
  propagation.disable();
  context.disable();
});
afterEach(() => exporter.reset());

function buildServer(): McpServer {
  const server = new McpServer({ name: 'traced', version: '1.0.0' });
  server.tool('ask', {}, async (_args, ctx) => {
    // The user's own span nests under the server span.
    const inner = await trace.getTracer('user').startActiveSpan('user work', async (span) => {
      const r = await ctx.sample({ messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }], maxTokens: 5 });
      span.end();
      return r;
    });
    return { content: [{ type: 'text', text: (inner.content as { text: string }).text }] };
  });
  server.prompt('boom', {}, () => {
    throw new Error('kaput');
  });
  server.tool('sad', {}, () => ({ content: [{ type: 'text', text: 'no' }], isError: true }));
  server.prompt('greet', {}, () => ({ messages: [] }));
  instrumentServer(server);
  return server;
}

function buildClient(): Client {
  const client = new Client(
    { name: 'tracing-client', version: '1.0.0' },
    { sampling: () => trace.getTracer('user').startActiveSpan('llm', (s) => (s.end(), { role: 'assistant' as const, content: { type: 'text' as const, text: 'hello' }, model: 'm' })) },
  );
  instrumentClient(client);
  return client;
}

function byName(spans: ReadableSpan[], name: string, kind?: SpanKind): ReadableSpan {
  const s = spans.find((x) => x.name === name && (kind === undefined || x.kind === kind));
  assert.ok(s, `no span ${name} (${kind ?? 'any kind'}) in ${spans.map((x) => `${x.name}/${x.kind}`).join(', ')}`);
  return s;
}
const parentOf = (s: ReadableSpan): string | undefined => s.parentSpanContext?.spanId;

/** client → server → sampling → client, all in one trace with the expected parentage. */
function assertOneTrace(spans: ReadableSpan[], transport: string | undefined): void {
  const app = byName(spans, 'app');
  const clientCall = byName(spans, 'tools/call ask', SpanKind.CLIENT);
  const serverCall = byName(spans, 'tools/call ask', SpanKind.SERVER);
  const userWork = byName(spans, 'user work');
  const sampling = byName(spans, 'sampling/createMessage', SpanKind.SERVER);
  const llm = byName(spans, 'llm');
  const traceId = app.spanContext().traceId;
  for (const s of [clientCall, serverCall, userWork, sampling, llm]) assert.equal(s.spanContext().traceId, traceId, s.name);
  assert.equal(parentOf(clientCall), app.spanContext().spanId);
  assert.equal(parentOf(serverCall), clientCall.spanContext().spanId);
  assert.equal(parentOf(userWork), serverCall.spanContext().spanId);
  assert.equal(parentOf(sampling), userWork.spanContext().spanId);
  assert.equal(parentOf(llm), sampling.spanContext().spanId);
  assert.equal(serverCall.attributes['mcp.method.name'], 'tools/call');
  assert.equal(serverCall.attributes['gen_ai.tool.name'], 'ask');
  assert.equal(serverCall.attributes['gen_ai.operation.name'], 'execute_tool');
  assert.equal(typeof serverCall.attributes['jsonrpc.request.id'], 'string');
  assert.equal(serverCall.attributes['mcp.protocol.version'], '2025-11-25');
  assert.equal(serverCall.attributes['network.transport'], transport);
  assert.equal(clientCall.attributes['gen_ai.tool.name'], 'ask');
  assert.equal(sampling.attributes['mcp.method.name'], 'sampling/createMessage');
  assert.equal(serverCall.status.code, SpanStatusCode.UNSET);
}

describe('OpenTelemetry tracing', () => {
  let closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of closers.reverse()) await c().catch(() => {});
    closers = [];
  });

  async function memoryPair(): Promise<Client> {
    const server = buildServer();
    const [ct, st] = InMemoryTransport.createLinkedPair();
    await server.connect(st);
    const client = buildClient();
    await client.connect(ct);
    closers.push(() => server.close(), () => client.close());
    return client;
  }

  it('one trace across client → server → sampling → client (in-memory transport)', async () => {
    const client = await memoryPair();
    const r = await trace.getTracer('user').startActiveSpan('app', async (span) => {
      const res = await client.callTool({ name: 'ask' });
      span.end();
      return res;
    });
    assert.deepEqual(r.content, [{ type: 'text', text: 'hello' }]);
    assertOneTrace(exporter.getFinishedSpans(), undefined);
  });

  it('one trace across client → server → sampling → client over Streamable HTTP, session id on the spans', async () => {
    const server = buildServer();
    const http = new StreamableHttpServer({ server });
    const { url } = await http.listen(0, '127.0.0.1');
    closers.push(() => http.close());
    const client = buildClient();
    await client.connect(new StreamableHttpClientTransport(url) as Transport);
    closers.push(() => client.close());
    await trace.getTracer('user').startActiveSpan('app', async (span) => {
      await client.callTool({ name: 'ask' });
      span.end();
    });
    const spans = exporter.getFinishedSpans();
    assertOneTrace(spans, 'tcp');
    const serverCall = byName(spans, 'tools/call ask', SpanKind.SERVER);
    assert.equal(typeof serverCall.attributes['mcp.session.id'], 'string');
    assert.equal(serverCall.attributes['network.protocol.name'], 'http');
    assert.equal(serverCall.attributes['client.address'], '127.0.0.1');
  });

  it('marks failures: a throwing prompt handler is an error, an unknown tool is the caller fault, isError is tool_error', async () => {
    const client = await memoryPair();
    await assert.rejects(client.getPrompt('boom'), (e: unknown) => e instanceof McpError && e.code === ErrorCode.InternalError);
    await assert.rejects(client.callTool({ name: 'nope' }), (e: unknown) => e instanceof McpError && e.code === ErrorCode.InvalidParams);
    await client.callTool({ name: 'sad' });
    await client.getPrompt('greet');
    await client.readResource('file:///missing').catch(() => {});
    const spans = exporter.getFinishedSpans();
    const boom = byName(spans, 'prompts/get boom', SpanKind.SERVER);
    assert.equal(boom.status.code, SpanStatusCode.ERROR);
    assert.equal(boom.attributes['error.type'], 'Error');
    assert.equal(boom.attributes['rpc.response.status_code'], '-32603');
    const nope = byName(spans, 'tools/call nope', SpanKind.SERVER);
    assert.equal(nope.status.code, SpanStatusCode.UNSET, 'caller faults leave a server span unset');
    assert.equal(nope.attributes['error.type'], '-32602');
    assert.equal(nope.attributes['rpc.response.status_code'], '-32602');
    // …but the client saw its call fail.
    assert.equal(byName(spans, 'tools/call nope', SpanKind.CLIENT).status.code, SpanStatusCode.ERROR);
    const sad = byName(spans, 'tools/call sad', SpanKind.SERVER);
    assert.equal(sad.attributes['error.type'], 'tool_error');
    assert.equal(sad.status.code, SpanStatusCode.ERROR);
    assert.equal(byName(spans, 'prompts/get greet', SpanKind.SERVER).attributes['gen_ai.prompt.name'], 'greet');
    assert.equal(byName(spans, 'resources/read', SpanKind.SERVER).attributes['mcp.resource.uri'], 'file:///missing');
  });

  it('records mcp.server.operation.duration and mcp.client.operation.duration with bounded attributes', async () => {
    const reader = new TestReader();
    const meterProvider = new MeterProvider({ readers: [reader] });
    const server = buildServer();
    instrumentServer(server, { meterProvider });
    const [ct, st] = InMemoryTransport.createLinkedPair();
    await server.connect(st);
    const client = new Client({ name: 'c', version: '1' });
    instrumentClient(client, { meterProvider });
    await client.connect(ct);
    closers.push(() => server.close(), () => client.close(), () => meterProvider.shutdown());
    await client.callTool({ name: 'sad' });
    await client.callTool({ name: 'invented-name-1' }).catch(() => {});
    const { resourceMetrics } = await reader.collect();
    const all = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
    const serverHist = all.find((m) => m.descriptor.name === 'mcp.server.operation.duration') as HistogramMetricData | undefined;
    const clientHist = all.find((m) => m.descriptor.name === 'mcp.client.operation.duration') as HistogramMetricData | undefined;
    assert.ok(serverHist && clientHist);
    assert.equal(serverHist.descriptor.unit, 's');
    const sad = serverHist.dataPoints.find((p) => p.attributes['gen_ai.tool.name'] === 'sad');
    assert.ok(sad);
    assert.equal(sad.attributes['error.type'], 'tool_error');
    assert.equal(sad.value.count, 1);
    assert.deepEqual(sad.value.buckets.boundaries, [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300]);
    // An unknown tool name is never a metric attribute value on the server.
    assert.ok(serverHist.dataPoints.some((p) => p.attributes['gen_ai.tool.name'] === '_OTHER' && p.attributes['rpc.response.status_code'] === '-32602'));
    assert.ok(!serverHist.dataPoints.some((p) => p.attributes['gen_ai.tool.name'] === 'invented-name-1'));
    assert.ok(clientHist.dataPoints.some((p) => p.attributes['mcp.method.name'] === 'initialize'));
  });

  it('records mcp.server.session.duration when a session ends, with its protocol version and transport', async () => {
    const reader = new TestReader();
    const meterProvider = new MeterProvider({ readers: [reader] });
    const server = new McpServer({ name: 's', version: '1' });
    server.tool('ok', {}, () => ({ content: [] }));
    instrumentServer(server, { meterProvider });
    const http = new StreamableHttpServer({ server });
    const { url } = await http.listen(0, '127.0.0.1');
    closers.push(() => http.close(), () => server.close(), () => meterProvider.shutdown());
    const client = new Client({ name: 'c', version: '1' });
    const transport = new StreamableHttpClientTransport(url);
    await client.connect(transport as Transport);
    await client.callTool({ name: 'ok' });
    const sessionHist = async (): Promise<HistogramMetricData | undefined> =>
      (await reader.collect()).resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === 'mcp.server.session.duration') as HistogramMetricData | undefined;
    assert.equal((await sessionHist())?.dataPoints.length ?? 0, 0, 'nothing recorded while the session lives');
    const ended = new Promise<void>((resolve) => server.onSessionEnd(() => resolve()));
    await transport.terminateSession(); // DELETE ends the session on the server
    await ended;
    await client.close();
    const hist = await sessionHist();
    assert.ok(hist);
    assert.equal(hist.descriptor.unit, 's');
    assert.equal(hist.dataPoints.length, 1);
    const point = hist.dataPoints[0]!;
    assert.equal(point.value.count, 1);
    assert.deepEqual(point.attributes, { 'network.transport': 'tcp', 'network.protocol.name': 'http', 'mcp.protocol.version': '2025-11-25' });
    // The cached attribute set of the success path carries no error attribute.
    const ops = (await reader.collect()).resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === 'mcp.server.operation.duration') as HistogramMetricData;
    const ok = ops.dataPoints.find((p) => p.attributes['gen_ai.tool.name'] === 'ok');
    assert.ok(ok);
    assert.equal(ok.attributes['error.type'], undefined);
  });

  it('leaves a server with no instrumentation free of middleware', () => {
    const plain = new McpServer({ name: 'plain', version: '1' });
    assert.equal(plain.middlewareChain, undefined);
    assert.equal(plain.outboundHook, undefined);
  });
});
