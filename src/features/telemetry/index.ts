/** Observability features that install on the server/client seams; nothing runs unless installed. */
export { instrumentServer, instrumentClient, type OtelOptions, type ServerOtelOptions } from './otel.js';
export { operationStats, OperationStats, DurationSeries, type OperationShape, type FailureKind } from './operation-stats.js';
export { OperationMetricProducer, type SdkEnums } from './otel-producer.js';
export { ATTR, DURATION_BUCKETS } from './conventions.js';
export { PrometheusMetrics, type PrometheusOptions, type Outcome } from './prometheus.js';
export { createLogger, logRequests } from './logging.js';
export { LOG_LEVELS, wantsTelemetry, type LogLevel, type TelemetryConfig } from './config.js';
export { setupTelemetry, listenMetrics, type Telemetry, type RouteHandler, type SetupOptions, type ServingSources } from './setup.js';
export { startOtelSdk, type RunningSdk } from './otel-sdk.js';
export { createDashboard, DashboardStats, type Dashboard, type DashboardOptions, type Snapshot } from './dashboard/index.js';
export { observeTransports, observeEventStore, observeRedis, type TransportCounts, type TransportName } from './prometheus-runtime.js';
export { aggregateWorkers, shareWithPrimary, type MetricsSource } from './cluster-metrics.js';
export { metricsHandler } from './prometheus.js';
