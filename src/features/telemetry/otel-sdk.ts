/**
 * Starts the OpenTelemetry Node SDK for `erlmcp start --otel`: OTLP exporters for traces and
 * metrics, W3C trace context and baggage propagation, an AsyncLocalStorage context manager.
 * Everything else comes from the standard environment variables (OTEL_EXPORTER_OTLP_ENDPOINT,
 * OTEL_EXPORTER_OTLP_PROTOCOL (http/protobuf default, http/json, grpc), OTEL_SERVICE_NAME,
 * OTEL_TRACES_EXPORTER, OTEL_METRICS_EXPORTER, OTEL_METRIC_EXPORT_INTERVAL, OTEL_BSP_*…).
 * Loaded on demand: a process that never asks for it never loads the SDK.
 *
 * Each process exports on its own (traces and OTel metrics are per process by nature; a
 * collector or the backend sums across them): the resource carries `process.pid` (the SDK's
 * process detector) and a `service.instance.id` unique to this process, so the workers of
 * `erlmcp start --cluster N` are told apart. OTEL_RESOURCE_ATTRIBUTES still overrides it.
 */
import { randomUUID } from 'node:crypto';

export interface RunningSdk {
  /** Flushes what is batched and stops the exporters. */
  shutdown(): Promise<void>;
}

export async function startOtelSdk(): Promise<RunningSdk> {
  const { NodeSDK, resources } = await import('@opentelemetry/sdk-node');
  const resource = resources.defaultResource().merge(resources.resourceFromAttributes({ 'service.instance.id': randomUUID() }));
  const sdk = new NodeSDK({ resource, ...(process.env.OTEL_SERVICE_NAME ? {} : { serviceName: 'erlmcp' }) });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}
