/**
 * The two error families.
 * - McpError: a wire error. It travels as a JSON-RPC error object (code, message, data).
 * - ErlmcpError: a local error (timeouts, closed connections, missing capabilities, limits).
 *   It never crosses the wire as such; `code` is a stable string users can switch on.
 */
import type { ElicitRequestURLParams, JSONRPCErrorObject } from './types.js';

export const ErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  /**
   * Implementation-defined server error (JSON-RPC reserves -32000..-32099 for these; 2026-07-28
   * keeps -32000..-32019 for implementations). Every transport rejection and every limit uses it;
   * `data.reason` says which (see docs/limits.md).
   */
  ServerError: -32000,
  /** A request ran past its time limit (the same code the official SDK uses). */
  RequestTimeout: -32001,
  /** server/resources#error-handling */
  ResourceNotFound: -32002,
  /** client/elicitation#url-elicitation-required-error */
  UrlElicitationRequired: -32042,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class McpError extends Error {
  override readonly name = 'McpError';
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }

  toJSON(): JSONRPCErrorObject {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }

  static fromObject(error: JSONRPCErrorObject): McpError {
    if (error.code === ErrorCode.UrlElicitationRequired) {
      const data = error.data as { elicitations?: ElicitRequestURLParams[] } | undefined;
      return new UrlElicitationRequiredError(data?.elicitations ?? [], error.message);
    }
    return new McpError(error.code, error.message, error.data);
  }
}

/** Thrown by a tool handler that needs the user to visit URLs first (-32042). */
export class UrlElicitationRequiredError extends McpError {
  constructor(
    readonly elicitations: ElicitRequestURLParams[],
    message = 'URL elicitation required',
  ) {
    super(ErrorCode.UrlElicitationRequired, message, { elicitations });
  }
}

export type LocalErrorCode =
  | 'ERR_TIMEOUT'
  | 'ERR_CANCELLED'
  | 'ERR_CONNECTION_CLOSED'
  | 'ERR_NOT_CONNECTED'
  | 'ERR_CAPABILITY'
  | 'ERR_MESSAGE_TOO_LARGE'
  | 'ERR_TRANSPORT'
  | 'ERR_PROTOCOL_VERSION'
  | 'ERR_SESSION_EXPIRED'
  | 'ERR_INVALID_RESULT'
  | 'ERR_ALREADY_REGISTERED'
  | 'ERR_INVALID_ARGUMENT'
  /** A configured limit refused the operation (docs/limits.md). */
  | 'ERR_LIMIT'
  /** A message could not be serialised as JSON (a cycle, a BigInt). */
  | 'ERR_ENCODE'
  /** A circuit breaker is open for the upstream: calls fail at once until it probes again (`data.upstream`, `data.retryAt`). */
  | 'ERR_CIRCUIT_OPEN';

export class ErlmcpError extends Error {
  override readonly name = 'ErlmcpError';
  /** Machine-readable details (which limit, which upstream, when to retry); undefined when none. */
  readonly data: Readonly<Record<string, unknown>> | undefined;
  constructor(
    readonly code: LocalErrorCode,
    message: string,
    options?: { cause?: unknown; data?: Record<string, unknown> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.data = options?.data;
  }
}

/** Any thrown value as an Error (non-Errors are wrapped with their string form). */
export function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

/**
 * A wire error for a refused request: -32000 with `data.reason` (and `data.retryAfterMs` when
 * retrying later can succeed). Limits, rate limits and drains all answer with it.
 *
 * @example throw limitError('rate_limited', 'Too many requests', { retryAfterMs: 1200 });
 */
export function limitError(reason: string, message: string, data?: Record<string, unknown>): McpError {
  return new McpError(ErrorCode.ServerError, message, { reason, ...data });
}
