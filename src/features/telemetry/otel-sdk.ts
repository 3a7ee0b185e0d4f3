/**
 * Starts the OpenTelemetry Node SDK for `erlmcp start --otel`: OTLP exporters for traces and
 * metrics, W3C trace context and baggage propagation, an AsyncLocalStorage context manager.
 * Everything else comes from the standard environment variables (OTEL_EXPORTER_OTLP_ENDPOINT,
 * OTEL_EXPORTER_OTLP_PROTOCOL (http/protobuf default, http/json, grpc), OTEL_SERVICE_NAME,
 * OTEL_TRACES_EXPORTER, OTEL_METRICS_EXPORTER, OTEL_METRIC_EXPORT_INTERVAL, OTEL_BSP_*…).
 * Loaded on demand: a process that never asks for it never loads the SDK.
 *
 * The metric readers are built here from OTEL_METRICS_EXPORTER (otlp, console, prometheus,
 * none; as the NodeSDK would) so that each carries an `OperationMetricProducer`: the request
 * duration histogram is read from the servers' request aggregates at export time
 * (operation-stats.ts, otel-producer.ts) rather than recorded through the SDK on every request.
 *
 * Each process exports on its own (traces and OTel metrics are per process by nature; a
 * collector or the backend sums across them): the resource carries `process.pid` (the SDK's
 * process detector) and a `service.instance.id` unique to this process, so the workers of
 * `erlmcp start --cluster N` are told apart. OTEL_RESOURCE_ATTRIBUTES still overrides it.
 */
import { randomUUID } from 'node:crypto';
import { diag } from '@opentelemetry/api';
import type { metrics as sdkMetrics } from '@opentelemetry/sdk-node';
import type { OperationStats } from './operation-stats.js';

export interface RunningSdk {
  /** Whether metrics are exported at all (OTEL_METRICS_EXPORTER is not `none`). */
  readonly metrics: boolean;
  /** Exports `stats` as `mcp.server.operation.duration` through every metric reader. */
  addOperationStats(stats: OperationStats): void;
  /** Flushes what is batched and stops the exporters. */
  shutdown(): Promise<void>;
}

export async function startOtelSdk(): Promise<RunningSdk> {
  const { NodeSDK, resources, metrics } = await import('@opentelemetry/sdk-node');
  const { OperationMetricProducer } = await import('./otel-producer.js');
  const resource = resources.defaultResource().merge(resources.resourceFromAttributes({ 'service.instance.id': randomUUID() }));
  const producers: InstanceType<typeof OperationMetricProducer>[] = [];
  const metricReaders: sdkMetrics.MetricReader[] = [];
  for (const make of await readerFactories(metrics)) {
    const producer = new OperationMetricProducer(metrics, resource);
    const reader = make([producer]);
    producers.push(producer.bind(reader));
    metricReaders.push(reader);
  }
  const sdk = new NodeSDK({ resource, metricReaders, ...(process.env.OTEL_SERVICE_NAME ? {} : { serviceName: 'erlmcp' }) });
  sdk.start();
  return {
    metrics: metricReaders.length > 0,
    addOperationStats: (stats) => {
      for (const p of producers) p.add(stats);
    },
    shutdown: () => sdk.shutdown(),
  };
}

type ReaderFactory = (metricProducers: sdkMetrics.MetricProducer[]) => sdkMetrics.MetricReader;

/** One factory per exporter OTEL_METRICS_EXPORTER names (default otlp; `none` = no reader). */
async function readerFactories(metrics: typeof sdkMetrics): Promise<ReaderFactory[]> {
  const names = [...new Set((process.env.OTEL_METRICS_EXPORTER ?? '').split(',').map((s) => s.trim()).filter(Boolean))];
  if (names.length === 0) names.push('otlp');
  if (names.includes('none')) return [];
  const out: ReaderFactory[] = [];
  for (const name of names) {
    if (name === 'otlp') {
      const exporter = await otlpMetricExporter();
      out.push((metricProducers) => new metrics.PeriodicExportingMetricReader({ exporter, ...exportTiming(), metricProducers }));
    } else if (name === 'console') {
      out.push((metricProducers) => new metrics.PeriodicExportingMetricReader({ exporter: new metrics.ConsoleMetricExporter(), metricProducers }));
    } else if (name === 'prometheus') {
      const { PrometheusExporter } = await import('@opentelemetry/exporter-prometheus');
      out.push((metricProducers) => new PrometheusExporter({ metricProducers }));
    } else diag.warn(`Unsupported OTEL_METRICS_EXPORTER value: "${name}". Supported values are: otlp, console, prometheus, none.`);
  }
  return out;
}

/** OTLP metric exporter for OTEL_EXPORTER_OTLP_METRICS_PROTOCOL / OTEL_EXPORTER_OTLP_PROTOCOL (http/protobuf by default). */
async function otlpMetricExporter(): Promise<sdkMetrics.PushMetricExporter> {
  const protocol = (process.env.OTEL_EXPORTER_OTLP_METRICS_PROTOCOL ?? process.env.OTEL_EXPORTER_OTLP_PROTOCOL ?? '').trim() || 'http/protobuf';
  if (protocol === 'grpc') return new (await import('@opentelemetry/exporter-metrics-otlp-grpc')).OTLPMetricExporter();
  if (protocol === 'http/json') return new (await import('@opentelemetry/exporter-metrics-otlp-http')).OTLPMetricExporter();
  if (protocol !== 'http/protobuf') diag.warn(`Unsupported OTLP metrics protocol: "${protocol}". Using http/protobuf.`);
  return new (await import('@opentelemetry/exporter-metrics-otlp-proto')).OTLPMetricExporter();
}

/** OTEL_METRIC_EXPORT_INTERVAL (default 60 s) and OTEL_METRIC_EXPORT_TIMEOUT (default 30 s, at most the interval). */
function exportTiming(): { exportIntervalMillis: number; exportTimeoutMillis: number } {
  const num = (name: string): number | undefined => {
    const v = Number(process.env[name]);
    return process.env[name] !== undefined && Number.isFinite(v) && v > 0 ? v : undefined;
  };
  const exportIntervalMillis = num('OTEL_METRIC_EXPORT_INTERVAL') ?? 60_000;
  return { exportIntervalMillis, exportTimeoutMillis: Math.min(num('OTEL_METRIC_EXPORT_TIMEOUT') ?? 30_000, exportIntervalMillis) };
}
