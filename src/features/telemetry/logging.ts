/**
 * Structured logs with pino: JSON lines on stderr (never stdout: in stdio mode stdout carries
 * the protocol), each with the active trace and span ids when a span is active. `logRequests`
 * adds one line per request (debug) or per failed request (warn/error) with the request id,
 * session id, method, target, outcome and duration.
 */
import { context, trace } from '@opentelemetry/api';
import { pino, type DestinationStream, type Logger } from 'pino';
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
  const debug = logger.isLevelEnabled('debug');
  server.use((call, next) => {
    const started = performance.now();
    const fields = (): Record<string, unknown> => ({
      request_id: call.id,
      session_id: call.session?.id,
      method: call.method,
      target: call.target,
      transport: call.transport,
      duration_ms: Math.round((performance.now() - started) * 1000) / 1000,
    });
    return next().then(
      (r) => {
        if (debug) logger.debug({ ...fields(), outcome: isToolError(r) ? 'tool_error' : 'ok' }, 'request');
        return r;
      },
      (e: unknown) => {
        const f = classifyFailure(e);
        logger[f.callerFault ? 'warn' : 'error']({ ...fields(), outcome: 'error', error_type: f.type, err: f.message }, 'request failed');
        throw e;
      },
    );
  });
  // The runtime's own error lines become structured too (they replace any free-text reporter).
  server.onerror = (e) => logger.error({ err: e }, e.message);
}
