/** Observability features that install on the server/client seams; nothing runs unless installed. */
export { instrumentServer, instrumentClient, type OtelOptions } from './otel.js';
export { ATTR, DURATION_BUCKETS } from './conventions.js';
export { PrometheusMetrics, type PrometheusOptions, type Outcome } from './prometheus.js';
