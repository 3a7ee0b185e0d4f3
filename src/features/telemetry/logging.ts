/**
 * Structured logs with pino: JSON lines on stderr (never stdout: in stdio mode stdout carries
 * the protocol), each with the active trace and span ids when a span is active. `logRequests`
 * adds one line per request (debug) or per failed request (warn/error) with the request id,
 * session id, method, target, outcome and duration.
 */
import { context, trace } from '@opentelemetry/api';
import { pino, type DestinationStream, type Logger } from 'pino';
import type { Call } from '../../server/middleware.js';
import type { McpServer } from '../../server/server.js';
import { classifyFailure, isToolError } from './conventions.js';

import type { LogLevel } from './config.js';

/**
 * A pino logger writing to `destination` (default: stderr, asynchronously).
 *
 * @example
 * const log = createLogger('debug');
 * log.info({ port }, 'serving');
 */
export function createLogger(level: LogLevel = 'info', destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      mixin() {
        const sc = trace.getSpanContext(context.active());
        return sc === undefined ? {} : { trace_id: sc.traceId, span_id: sc.spanId };
      },
    },
    destination ?? pino.destination({ fd: 2, sync: false }),
  );
}

/** Logs every request at debug (when enabled), every failure at warn (caller's fault) or error, and `server.onerror`. */
export function logRequests(server: McpServer, logger: Logger): void {
  const fields = (call: Call, started: number): Record<string, unknown> => ({
    request_id: call.id,
    session_id: call.session?.id,
    method: call.method,
    target: call.target,
    transport: call.transport,
    duration_ms: Math.round((performance.now() - started) * 1000) / 1000,
  });
  const failed = (call: Call, started: number, e: unknown): never => {
    const f = classifyFailure(e);
    logger[f.callerFault ? 'warn' : 'error']({ ...fields(call, started), outcome: 'error', error_type: f.type, err: f.message }, 'request failed');
    throw e;
  };
  if (logger.isLevelEnabled('debug')) {
    server.use((call, next) => {
      const started = performance.now();
      return next().then(
        (r) => {
          logger.debug({ ...fields(call, started), outcome: isToolError(r) ? 'tool_error' : 'ok' }, 'request');
          return r;
        },
        (e: unknown) => failed(call, started, e),
      );
    });
  } else if (logger.isLevelEnabled('error')) {
    // Above debug only failures are logged: a successful call costs one timing read and one closure.
    server.use((call, next) => {
      const started = performance.now();
      return next().catch((e: unknown) => failed(call, started, e));
    });
  }
  // The runtime's own error lines become structured too (they replace any free-text reporter).
  server.onerror = (e) => logger.error({ err: e }, e.message);
}
