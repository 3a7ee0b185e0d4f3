/**
 * The connection pool behind `nodeFetch`: node's http(s).Agent with keep-alive, plus an idle
 * limit on pooled sockets that stays below the server's own.
 *
 * Why: a server closes an idle keep-alive connection after its timeout (node's default is 5 s,
 * announced as `Keep-Alive: timeout=5`). If the client picks that socket for a request in the
 * instant the server closes it, the request dies with ECONNRESET / "socket hang up". node's
 * Agent only honours the announced timeout when the agent itself has a `timeout`, and that
 * option also arms a timer on every active socket; undici and `agentkeepalive` instead keep a
 * free socket for less than the server's announced timeout (default 4 s when none is given).
 * We do the same through the Agent's documented hooks: `keepSocketAlive` (a socket enters the
 * pool) and `reuseSocket` (it leaves it). The Agent's own free-socket 'timeout' listener
 * destroys a pooled socket when the limit passes.
 */
import { Agent as HttpAgent, type ClientRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/** Idle limit for a pooled socket when the server announces no `Keep-Alive: timeout`. */
export const DEFAULT_IDLE_MS = 4000;
/** How far below the announced timeout a pooled socket is closed (as node's Agent and undici). */
const MARGIN_MS = 1000;
/** Upper bound on an announced timeout we honour (undici's keepAliveMaxTimeout). */
const MAX_IDLE_MS = 600_000;
/** TCP keep-alive probe delay (node's default for `keepAliveMsecs`). */
const TCP_KEEPALIVE_MS = 1000;

/** Set on a socket from its latest response: how long it may idle in the pool. */
const kIdleMs = Symbol('erlmcp.idleMs');
/** Set on a request that reuses a pooled socket: the socket's bytesRead when it was handed over. */
const kReadMark = Symbol('erlmcp.readMark');

type PooledSocket = Duplex & { [kIdleMs]?: number };
type MarkedRequest = ClientRequest & { [kReadMark]?: number };

let lastHeader: string | undefined;
let lastLimit = 0;

/**
 * How long a socket may idle in the pool after a response carrying this `Keep-Alive` header:
 * one second below the announced `timeout=N` (half of it when N < 2 s), 0 (do not pool) for
 * `timeout=0`, `fallback` when there is no such parameter.
 */
export function idleLimitFor(header: string | undefined, fallback: number): number {
  if (header === undefined) return fallback;
  if (header === lastHeader) return lastLimit === -1 ? fallback : lastLimit;
  const m = /(?:^|[\s,;])timeout\s*=\s*(\d+)/i.exec(header);
  let limit = -1;
  if (m) {
    const ms = Number(m[1]) * 1000;
    limit = Math.min(MAX_IDLE_MS, Math.max(ms - MARGIN_MS, ms / 2));
  }
  lastHeader = header;
  lastLimit = limit;
  return limit === -1 ? fallback : limit;
}

export interface KeepAliveAgentOptions {
  /** Idle limit (ms) when a response names no keep-alive timeout. Default {@link DEFAULT_IDLE_MS}. */
  idleMs?: number;
  /** Sockets per origin. Default 256. */
  maxSockets?: number;
}

/** The pool operations nodeFetch needs, for either agent class. */
export interface KeepAlivePool {
  /** Records the idle limit the response's `Keep-Alive` header allows for its socket. */
  noteResponse(res: IncomingMessage): void;
  /**
   * True when `req` went out on a pooled socket and not one byte of a response has come back
   * on it: the server closed the connection without starting to answer this request.
   */
  unansweredOnReusedSocket(req: ClientRequest): boolean;
}

function keepIdle(socket: Duplex, fallback: number): boolean {
  const ms = (socket as PooledSocket)[kIdleMs] ?? fallback;
  if (ms <= 0) return false;
  const s = socket as Socket;
  s.setKeepAlive(true, TCP_KEEPALIVE_MS);
  s.unref();
  if (s.timeout !== ms) s.setTimeout(ms);
  return true;
}

function takeFromPool(socket: Duplex, req: ClientRequest): void {
  const s = socket as Socket;
  // The limit is for idling in the pool; a long SSE response must not carry its timer.
  s.setTimeout(0);
  (req as MarkedRequest)[kReadMark] = s.bytesRead;
}

function noteResponse(res: IncomingMessage, fallback: number): void {
  const socket = res.socket as PooledSocket | null;
  if (!socket) return;
  const h = res.headers['keep-alive'];
  socket[kIdleMs] = idleLimitFor(Array.isArray(h) ? h.join(', ') : h, fallback);
}

function unanswered(req: ClientRequest): boolean {
  const mark = (req as MarkedRequest)[kReadMark];
  return req.reusedSocket && mark !== undefined && (req.socket as Socket | null)?.bytesRead === mark;
}

/** The idle limit and the stale-socket check, for either Agent class (node:https's extends node:http's). */
// `any[]`: the constructor signature TypeScript requires of a mixin base.
function withIdleLimit<B extends new (...args: any[]) => HttpAgent>(Base: B) {
  return class extends Base implements KeepAlivePool {
    idleMs = DEFAULT_IDLE_MS;
    override keepSocketAlive(socket: Duplex): boolean {
      return keepIdle(socket, this.idleMs);
    }
    override reuseSocket(socket: Duplex, req: ClientRequest): void {
      super.reuseSocket(socket, req);
      takeFromPool(socket, req);
    }
    noteResponse(res: IncomingMessage): void {
      noteResponse(res, this.idleMs);
    }
    unansweredOnReusedSocket(req: ClientRequest): boolean {
      return unanswered(req);
    }
  };
}

function agentOptions(options: KeepAliveAgentOptions) {
  return { keepAlive: true, keepAliveMsecs: TCP_KEEPALIVE_MS, maxSockets: options.maxSockets ?? 256 };
}

/** node:http Agent with keep-alive and the idle limit above. */
export class KeepAliveHttpAgent extends withIdleLimit(HttpAgent) {
  constructor(options: KeepAliveAgentOptions = {}) {
    super(agentOptions(options));
    this.idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
  }
}

/** node:https Agent with keep-alive and the idle limit above. */
export class KeepAliveHttpsAgent extends withIdleLimit(HttpsAgent) {
  constructor(options: KeepAliveAgentOptions = {}) {
    super(agentOptions(options));
    this.idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
  }
}
