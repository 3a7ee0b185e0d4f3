/**
 * `erlmcp start --otel --metrics --log-level debug` in a child process, exporting OTLP/HTTP JSON
 * to a receiver in this process: one trace from this process's client, through the server in
 * the child, back to this client's sampling handler.
 */
import { SpanKind, context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client } from '../../client/client.js';
import type { Transport } from '../../protocol/transport.js';
import { StreamableHttpClientTransport } from '../../transports/http/client.js';
import { instrumentClient } from './otel.js';

const MAIN = fileURLToPath(new URL('../../cli/main.js', import.meta.url));

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: Record<string, unknown> }[];
}
interface OtlpMetric {
  name: string;
  unit?: string;
  histogram?: { dataPoints: { attributes: { key: string; value: Record<string, unknown> }[]; count: string | number; explicitBounds: number[] }[] };
}

/** An OTLP/HTTP receiver for the JSON encoding: collects what the exporters POST. */
class Receiver {
  readonly spans: OtlpSpan[] = [];
  readonly metrics: OtlpMetric[] = [];
  readonly paths: string[] = [];
  private readonly http: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      this.paths.push(`${req.method} ${req.url} ${req.headers['content-type']}`);
      const doc = JSON.parse(body) as {
        resourceSpans?: { scopeSpans: { spans: OtlpSpan[] }[] }[];
        resourceMetrics?: { scopeMetrics: { metrics: OtlpMetric[] }[] }[];
      };
      for (const rs of doc.resourceSpans ?? []) for (const ss of rs.scopeSpans) this.spans.push(...ss.spans);
      for (const rm of doc.resourceMetrics ?? []) for (const sm of rm.scopeMetrics) this.metrics.push(...sm.metrics);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  async listen(): Promise<string> {
    await new Promise<void>((r) => this.http.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.http.address() as { port: number }).port}`;
  }
  close(): Promise<void> {
    return new Promise((r) => {
      this.http.close(() => r());
      this.http.closeAllConnections();
    });
  }
}

const attr = (s: { attributes: { key: string; value: Record<string, unknown> }[] }, key: string): unknown => {
  const v = s.attributes.find((a) => a.key === key)?.value;
  return v === undefined ? undefined : Object.values(v)[0];
};

describe('erlmcp start with telemetry', { timeout: 120_000 }, () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const receiver = new Receiver();
  let child: ChildProcess | undefined;

  before(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(provider);
  });
  after(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await receiver.close();
    await provider.shutdown();
    trace.disable();
    propagation.disable();
    context.disable();
  });

  it('--otel exports one trace across processes (OTLP/HTTP JSON), --metrics serves /metrics, --log-level logs JSON with the trace id on stderr, --dashboard serves the page', async () => {
    const otlp = await receiver.listen();
    const { PORT: _p, ...env } = process.env;
    child = spawn(process.execPath, [MAIN, 'start', '--port', '0', '--otel', '--metrics', '--log-level', 'debug', '--dashboard'], {
      env: { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: otlp, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_SERVICE_NAME: 'erlmcp-test', OTEL_LOGS_EXPORTER: 'none' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
    const banner = await new Promise<string>((resolve, reject) => {
      child!.stdout!.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (/dashboard: +\S+\n/.test(stdout)) resolve(stdout);
      });
      void exited.then((code) => reject(new Error(`erlmcp start exited (${code}): ${stderr}`)));
    });
    const url = /endpoint: (\S+)/.exec(banner)![1]!;
    const metricsUrl = /metrics: +(\S+)/.exec(banner)![1]!;

    const client = new Client(
      { name: 'otel-client', version: '1.0.0' },
      { sampling: () => ({ role: 'assistant' as const, content: { type: 'text' as const, text: 'sampled' }, model: 'm' }) },
    );
    instrumentClient(client);
    await client.connect(new StreamableHttpClientTransport(url) as Transport);
    await trace.getTracer('test').startActiveSpan('app', async (span) => {
      const r = await client.callTool({ name: 'test_sampling', arguments: { prompt: 'hi' } });
      assert.match(JSON.stringify(r.content), /sampled/);
      span.end();
    });
    const dashboardUrl = /dashboard: +(\S+)/.exec(banner)![1]!;
    const dash = await fetch(dashboardUrl);
    assert.equal(dash.status, 200);
    assert.match(await dash.text(), /<title>erlmcp dashboard<\/title>/);
    const metricsText = await (await fetch(metricsUrl)).text();
    assert.match(metricsText, /mcp_server_requests_total\{mcp_method_name="tools\/call",gen_ai_tool_name="test_sampling",outcome="ok"\} 1/);
    await client.close();

    // A graceful stop flushes the batched spans and the metrics.
    child.kill('SIGTERM');
    assert.equal(await exited, 0);

    const local = exporter.getFinishedSpans();
    const clientSpan = local.find((s) => s.name === 'tools/call test_sampling' && s.kind === SpanKind.CLIENT);
    const samplingSpan = local.find((s) => s.name === 'sampling/createMessage' && s.kind === SpanKind.SERVER);
    assert.ok(clientSpan && samplingSpan);
    const serverSpan = receiver.spans.find((s) => s.name === 'tools/call test_sampling');
    assert.ok(serverSpan, `no server span among ${receiver.spans.map((s) => s.name).join(', ')}; requests: ${receiver.paths.join('; ')}`);
    assert.equal(serverSpan.kind, 2, 'SPAN_KIND_SERVER');
    assert.equal(serverSpan.traceId, clientSpan.spanContext().traceId);
    assert.equal(serverSpan.parentSpanId, clientSpan.spanContext().spanId);
    assert.equal(samplingSpan.spanContext().traceId, clientSpan.spanContext().traceId);
    assert.equal(samplingSpan.parentSpanContext?.spanId, serverSpan.spanId);
    assert.equal(attr(serverSpan, 'gen_ai.tool.name'), 'test_sampling');
    assert.equal(attr(serverSpan, 'mcp.method.name'), 'tools/call');
    assert.equal(attr(serverSpan, 'network.transport'), 'tcp');
    assert.equal(typeof attr(serverSpan, 'mcp.session.id'), 'string');

    const hist = receiver.metrics.find((m) => m.name === 'mcp.server.operation.duration');
    assert.ok(hist?.histogram, `no mcp.server.operation.duration among ${receiver.metrics.map((m) => m.name).join(', ')}`);
    assert.equal(hist.unit, 's');
    const point = hist.histogram.dataPoints.find((p) => attr(p, 'gen_ai.tool.name') === 'test_sampling');
    assert.ok(point);
    assert.equal(Number(point.count), 1);
    assert.deepEqual(point.explicitBounds, [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300]);

    // Logs: JSON lines on stderr, the request's line carrying the server span's trace id.
    const lines = stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const line = lines.find((l) => l.msg === 'request' && l.target === 'test_sampling');
    assert.ok(line, stderr);
    assert.equal(line.method, 'tools/call');
    assert.equal(line.trace_id, serverSpan.traceId);
    assert.equal(line.outcome, 'ok');
    assert.equal(typeof line.session_id, 'string');
    assert.doesNotMatch(stdout, /^\{/m, 'no log line on stdout');
  });
});
