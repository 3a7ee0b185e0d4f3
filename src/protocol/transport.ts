/**
 * The seam between the session engine and everything that moves bytes.
 * A transport hands the engine already-parsed JSON values (a message or, for 2025-03-26, a
 * batch array) and takes outbound messages. It knows nothing of MCP semantics beyond routing:
 * `relatedRequestId` tells a multiplexed transport (Streamable HTTP) which inbound request an
 * outbound message belongs to, so it lands on that request's response stream.
 */
import type { Classified } from './jsonrpc.js';
import type { JSONRPCMessage, RequestId } from './types.js';

export interface RequestInfo {
  /** Carrier headers (HTTP) — lower-case names. */
  headers?: Record<string, string | string[] | undefined>;
  url?: string;
  /** The peer's address (network transports). */
  remoteAddress?: string;
}

/**
 * Who is calling, as an admission hook established it (a verified token, an API key…).
 * It reaches every handler as `ctx.authInfo` and every middleware as `call.auth`.
 */
export interface AuthInfo {
  /** The authenticated principal (JWT `sub`, an API key's name). */
  subject?: string;
  /** The OAuth client the token was issued to (`client_id` / `azp`). */
  clientId?: string;
  /** Granted scopes (OAuth `scope`, an API key's scopes). */
  scopes?: readonly string[];
  /** How it was established: 'jwt', 'introspection', 'api-key', or a name of yours. */
  method?: string;
  /** Token expiry, seconds since the epoch. */
  expiresAt?: number;
  /** Every verified claim, for policies that need more. */
  claims?: Readonly<Record<string, unknown>>;
}

export interface MessageExtra {
  requestInfo?: RequestInfo;
  /** Verified credentials attached by an admission hook, if any. */
  authInfo?: AuthInfo;
  /**
   * Streamable HTTP only: ends the SSE stream carrying this request's response without ending
   * the request; the client resumes with Last-Event-ID (SEP-1699 polling).
   */
  closeSSEStream?: () => void;
  /** Streamable HTTP only: ends the session's standalone GET stream (the client reconnects). */
  closeStandaloneSSEStream?: () => void;
  /**
   * Streamable HTTP client only: the request of ours whose POST response stream carried this
   * message. A server sends a request it makes while serving ours on that stream
   * (basic/transports#sending-messages-to-the-server), so this says which call caused it.
   */
  relatedRequestId?: RequestId;
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
  /**
   * Parsed JSON value: a message object, or an array for a JSON-RPC batch. A transport that
   * already classified the message (to route it) passes that too, so the engine does not redo it.
   */
  onmessage?: (message: unknown, extra?: MessageExtra, classified?: Classified) => void;
  onerror?: (error: Error) => void;
  onclose?: () => void;
  readonly sessionId?: string | undefined;
  /** What carries the messages ('stdio', 'http', 'ws', 'tcp', 'sse', 'memory'): telemetry and limits name it. */
  readonly kind?: string;
  /** Told by the engine once a version is negotiated (HTTP clients send it as a header). */
  setProtocolVersion?(version: string): void;
}
