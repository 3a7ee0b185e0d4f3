/**
 * Telemetry switches, kept free of imports so the CLI can read them without loading pino,
 * prom-client or OpenTelemetry (setup.ts is imported only when a switch is on).
 */

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface TelemetryConfig {
  /** Start the OpenTelemetry SDK (OTLP, configured by OTEL_* variables) and trace the server. */
  otel?: boolean;
  /** Serve Prometheus metrics at `/metrics` on the MCP port. */
  metrics?: boolean;
  /** Serve `/metrics` on this port instead (its own listener; for stdio/TCP-only servers too). */
  metricsPort?: number;
  /** Host of the `metricsPort` listener. Default 127.0.0.1. */
  metricsHost?: string;
  /** JSON logs on stderr at this level (pino). */
  logLevel?: LogLevel;
  /** Serve the live dashboard at `/dashboard` (loopback only unless admission hooks are installed). */
  dashboard?: boolean;
}

/** Whether any telemetry option is set. */
export function wantsTelemetry(c: TelemetryConfig): boolean {
  return Boolean(c.otel || c.metrics || c.metricsPort !== undefined || c.logLevel || c.dashboard);
}
