/**
 * Graceful drain of a node:http MCP endpoint (Streamable HTTP, legacy HTTP+SSE, the WebSocket
 * upgrade server): the state and the waiting, kept apart from the routing so each server adds a
 * few calls.
 *
 * While draining, every response carries `Connection: close`, so a keep-alive client opens
 * its next connection elsewhere (RFC 9112 §9.6) instead of reusing one we are about to close —
 * closing an idle keep-alive connection ourselves would race with a request already on its way
 * (the client sees ECONNRESET before any response byte). In *handover* mode (a rolling restart:
 * another worker takes new connections) the listener stops accepting at once, and idle
 * connections are left to end on their own (the client's next request on one is answered with
 * `Connection: close`; or the keep-alive timeout closes it) until the grace period is over.
 */
import { Server as NetServer, type Socket } from 'node:net';
import type { Server, ServerResponse } from 'node:http';

export interface DrainOptions {
  /** Another worker takes new connections: stop accepting at once. Default false. */
  handover?: boolean;
}

/** Grace period of a drain when none is given. */
export const DEFAULT_DRAIN_GRACE_MS = 10_000;
/** What a call still running when a drain's grace period ends is answered with (-32603). */
export const DRAIN_EXPIRED_MESSAGE = 'server shutting down before the request completed; retry';

/** How often the drain re-checks work that signals no event (requests owed to a disconnected client). */
const RECHECK_MS = 100;

export class HttpDrain {
  /** Set once a drain (or a crash) began: responses say `Connection: close`, `/ready` is 503, new sessions are refused. */
  active = false;
  /** POST/DELETE and resuming GET exchanges whose response has not closed. */
  private exchanges = 0;
  private readonly sockets = new Set<Socket>();
  private readonly listeners = new Set<() => void>();
  private accepting: Server | undefined;
  /** One shared listener for every counted response (no closure per request). */
  private readonly exchangeClosed = (): void => {
    this.exchanges--;
    this.notify();
  };

  /** Tracks the connections of a server we own, so a handover drain can wait for them to end. */
  watch(server: Server): void {
    this.accepting = server;
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.once('close', () => {
        this.sockets.delete(s);
        this.notify();
      });
    });
  }

  /**
   * Called for every request: while draining, its response closes the connection. `counted`: it
   * carries a call (or waits for one) — the drain waits until its response has closed.
   */
  enter(res: ServerResponse, counted: boolean): void {
    if (this.active) res.shouldKeepAlive = false;
    if (!counted) return;
    this.exchanges++;
    res.once('close', this.exchangeClosed);
  }

  get inFlight(): number {
    return this.exchanges;
  }

  get connections(): number {
    return this.sockets.size;
  }

  /** Stops accepting connections, leaving open ones alone (http.Server.close would also cut idle ones). */
  stopAccepting(): void {
    const srv = this.accepting;
    this.accepting = undefined;
    // net.Server.close: in a node:cluster worker this also tells the primary to stop handing us connections.
    if (srv?.listening) NetServer.prototype.close.call(srv);
  }

  /**
   * Resolves true once `idle()` holds, false at `deadline`. Re-checked on every closed exchange
   * or connection, and every 100 ms for work that signals nothing.
   */
  until(idle: () => boolean, deadline: number): Promise<boolean> {
    if (idle()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = (): void => {
        if (idle()) finish(true);
        else if (Date.now() >= deadline) finish(false);
      };
      const timer = setInterval(check, Math.max(1, Math.min(RECHECK_MS, deadline - Date.now())));
      const finish = (ok: boolean): void => {
        clearInterval(timer);
        this.listeners.delete(check);
        resolve(ok);
      };
      this.listeners.add(check);
    });
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }
}
