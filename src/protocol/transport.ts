/**
 * The seam between the session engine and everything that moves bytes.
 * A transport hands the engine already-parsed JSON values (a message or, for 2025-03-26, a
 * batch array) and takes outbound messages. It knows nothing of MCP semantics beyond routing:
 * `relatedRequestId` tells a multiplexed transport (Streamable HTTP) which inbound request an
 * outbound message belongs to, so it lands on that request's response stream.
 */
import type { JSONRPCMessage, RequestId } from './types.js';

export interface RequestInfo {
  /** Carrier headers (HTTP) — lower-case names. */
  headers?: Record<string, string | string[] | undefined>;
  url?: string;
}

export interface MessageExtra {
  requestInfo?: RequestInfo;
  /** Verified credentials attached by an auth middleware, if any. */
  authInfo?: unknown;
  /**
   * Streamable HTTP only: ends the SSE stream carrying this request's response without ending
   * the request; the client resumes with Last-Event-ID (SEP-1699 polling).
   */
  closeSSEStream?: () => void;
  /** Streamable HTTP only: ends the session's standalone GET stream (the client reconnects). */
  closeStandaloneSSEStream?: () => void;
}

export interface SendOptions {
  /** The inbound request this message answers or belongs to (progress, logs, nested requests). */
  relatedRequestId?: RequestId;
}

export interface Transport {
  start(): Promise<void>;
  send(message: JSONRPCMessage, options?: SendOptions): Promise<void>;
  /**
   * Sends the responses to a JSON-RPC batch as one array (2025-03-26 only). Stream transports
   * implement it; without it the engine sends the responses one by one.
   */
  sendBatch?(messages: JSONRPCMessage[]): Promise<void>;
  close(): Promise<void>;
  /** Parsed JSON value: a message object, or an array for a JSON-RPC batch. */
  onmessage?: (message: unknown, extra?: MessageExtra) => void;
  onerror?: (error: Error) => void;
  onclose?: () => void;
  readonly sessionId?: string | undefined;
  /** Told by the engine once a version is negotiated (HTTP clients send it as a header). */
  setProtocolVersion?(version: string): void;
}
