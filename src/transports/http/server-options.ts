/**
 * The options of StreamableHttpServer and their defaults, and reading a body an Express-style
 * middleware already parsed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { McpServer } from '../../server/index.js';
import type { EventStore, MessageBus, SessionStore } from '../../stores/types.js';
import type { SseWriterOptions } from './sse-writer.js';

export interface StreamableHttpServerOptions {
  server: McpServer;
  /** No sessions: every POST is served by a fresh session, closed after its response. GET/DELETE → 405. */
  stateless?: boolean;
  /** Answer requests with one JSON body instead of an SSE stream. Default false. */
  enableJsonResponse?: boolean;
  sessionStore?: SessionStore;
  eventStore?: EventStore;
  bus?: MessageBus;
  /** Idle time after which a session expires. Default 30 minutes. */
  sessionIdleTtlMs?: number;
  /** Largest accepted POST body. Default 16 MiB. */
  maxBodyBytes?: number;
  /**
   * Host names (or host:port) accepted in `Host`. On a loopback bind only loopback names are
   * accepted unless listed here (DNS rebinding); elsewhere any Host is, unless this is given.
   */
  allowedHosts?: string[];
  /**
   * Origins (or hostnames) a browser may call from; `['*']` allows any. A request whose Origin is
   * present and not allowed gets 403 on every bind (basic/transports#security-warning). Default:
   * the loopback origins on a loopback bind (and when mounted with `handle()`), none elsewhere.
   */
  allowedOrigins?: string[];
  /** Check `Host` against loopback names (403 otherwise). Default: on when `listen()` binds a loopback host. */
  dnsRebindingProtection?: boolean;
  /**
   * A request's `MCP-Protocol-Version` against its session's negotiated version
   * (basic/transports#protocol-version-header: the client SHOULD send the negotiated one).
   * 'strict' (default): any other version → 400. 'supported': any supported version passes
   * (the official conformance suite 0.1.16 sends 2025-03-26 on 2025-11-25 sessions in two scenarios).
   */
  protocolVersionHeader?: 'strict' | 'supported';
  /**
   * Open connections `listen()` accepts. At the cap the longest-idle keep-alive connection is
   * closed to admit a new one; with none idle the newcomer gets 503. Default 8192.
   */
  maxConnections?: number;
  /** SSE `retry` hint in ms. Default 1000. */
  retryMs?: number;
  /** Path served by `listen()`. Default '/mcp'. */
  endpoint?: string;
  /** Extra paths `listen()` serves (e.g. `/metrics`), each by its own node:http handler. */
  routes?: Readonly<Record<string, (req: IncomingMessage, res: ServerResponse) => void>>;
  /** Called first for every request `listen()` receives, whatever its path (request counts for a status page). */
  observe?: (req: IncomingMessage, res: ServerResponse) => void;
  /** PEM certificate and key: `listen()` serves HTTPS. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /**
   * SSE backpressure: `send()` waits while more than `highWaterBytes` (1 MiB) is queued for a
   * client. A client that reads nothing of such a backlog for `stallTimeoutMs` (5 s) is cut; live
   * output piling past `maxBufferedBytes` (8 MiB) anyway ends its stream early. Either way the
   * client resumes with Last-Event-ID (every event is in the EventStore).
   */
  sse?: SseWriterOptions;
  /**
   * A POST stream that ended normally stays resumable with Last-Event-ID for `graceMs`
   * (default 10 000), at most `max` such streams at once (default 10 000; the oldest goes first):
   * a client that disconnected just before its answer was written still gets it.
   */
  finishedStreams?: { graceMs?: number; max?: number };
}

export const DEFAULT_TTL_MS = 30 * 60_000;
export const DEFAULT_MAX_BODY = 16 * 1024 * 1024;
export const DEFAULT_MAX_CONNECTIONS = 8192;

/** Express-style `req.body`: a parsed value, or raw text/Buffer from a text/raw parser. */
export function bodyLeftByMiddleware(req: IncomingMessage): unknown {
  const body = (req as IncomingMessage & { body?: unknown }).body;
  if (typeof body !== 'string' && !Buffer.isBuffer(body)) return body;
  try {
    return JSON.parse(body.toString());
  } catch {
    return undefined;
  }
}
