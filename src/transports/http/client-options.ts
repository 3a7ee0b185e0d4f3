/**
 * Options and errors of the Streamable HTTP client transport.
 */
import { ErlmcpError } from '../../protocol/errors.js';

/** A non-2xx answer to a POST; `status` lets a client tell legacy from modern by status and body. */
export class HttpStatusError extends ErlmcpError {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super('ERR_TRANSPORT', `HTTP ${status}: ${snippet(body)}`);
  }
}

export interface ReconnectionOptions {
  /** First backoff delay when the server sent no `retry`. Default 1000 ms. */
  initialDelayMs?: number;
  /** Backoff ceiling. Default 30 000 ms. */
  maxDelayMs?: number;
  /** Backoff multiplier per consecutive failed attempt. Default 1.5. */
  growFactor?: number;
  /** Consecutive reconnection attempts without progress before giving up. Default 5. */
  maxRetries?: number;
}

export interface StreamableHttpClientTransportOptions {
  /** Extra headers on every request (e.g. authorization). */
  headers?: Record<string, string>;
  fetch?: typeof fetch;
  reconnection?: ReconnectionOptions;
  /** Resume an existing session instead of starting without one. */
  sessionId?: string;
}

const SNIPPET = 500;

/** The start of a long body, for error messages. */
export function snippet(text: string): string {
  return text.length > SNIPPET ? `${text.slice(0, SNIPPET)}…` : text;
}
