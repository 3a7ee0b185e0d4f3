/**
 * Starts the OpenTelemetry Node SDK for `erlmcp start --otel`: OTLP exporters for traces and
 * metrics, W3C trace context and baggage propagation, an AsyncLocalStorage context manager.
 * Everything else comes from the standard environment variables (OTEL_EXPORTER_OTLP_ENDPOINT,
 * OTEL_EXPORTER_OTLP_PROTOCOL (http/protobuf default, http/json, grpc), OTEL_SERVICE_NAME,
 * OTEL_TRACES_EXPORTER, OTEL_METRICS_EXPORTER, OTEL_METRIC_EXPORT_INTERVAL, OTEL_BSP_*…).
 * Loaded on demand: a process that never asks for it never loads the SDK.
 */

export interface RunningSdk {
  /** Flushes what is batched and stops the exporters. */
  shutdown(): Promise<void>;
}

export async function startOtelSdk(): Promise<RunningSdk> {
  const { NodeSDK } = await import('@opentelemetry/sdk-node');
  const sdk = new NodeSDK(process.env.OTEL_SERVICE_NAME ? {} : { serviceName: 'erlmcp' });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}
