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
  | 'ERR_INVALID_ARGUMENT';

export class ErlmcpError extends Error {
  override readonly name = 'ErlmcpError';
  constructor(
    readonly code: LocalErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
