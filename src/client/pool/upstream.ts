/**
 * One upstream of a ClientPool: its sessions (for stdio, its child processes), the calls in
 * flight to it, and its circuit breaker. Sessions open lazily up to `maxSessions` when every
 * open one is busy; a session that ends (its child died, its connection closed, it failed a
 * health check or lost its server session) is dropped and a fresh one opened in its place.
 */
import { ErlmcpError } from '../../protocol/errors.js';
import type { Client } from '../client.js';
import type { CircuitStatus, ClientFactory, SessionEndReason, UpstreamStats } from './options.js';
import { UpstreamBreaker } from './resilience.js';
import type { BreakerOptions } from './options.js';
import { ToolSafety } from './safe.js';

/** A session that ends sooner than this after it opened counts as a quick death. */
const QUICK_DEATH_MS = 1000;
/** First wait before replacing a quick death, doubled per further one, capped. */
const REPLACE_BACKOFF_MS = 100;
const REPLACE_BACKOFF_MAX_MS = 30_000;

export interface Session {
  readonly client: Client;
  readonly openedAt: number;
  inFlight: number;
  ended: boolean;
  checking: boolean;
}

function take(s: Session): Session {
  s.inFlight++;
  return s;
}

export interface UpstreamHost {
  readonly closed: boolean;
  readonly maxSessions: number;
  readonly minSessions: number;
  sessionOpened(u: Upstream): void;
  sessionEnded(u: Upstream, reason: SessionEndReason, error?: unknown): void;
  replaced(u: Upstream, reason: SessionEndReason): void;
  connectFailed(u: Upstream, error: unknown): void;
  circuit(u: Upstream, state: CircuitStatus, retryAt?: number): void;
}

export class Upstream {
  readonly sessions: Session[] = [];
  /** Sessions being opened: their promises, so a caller with no session can await one. */
  private readonly opening = new Set<Promise<Session>>();
  /** Slots taken by calls (reserved before a session is chosen). */
  inFlight = 0;
  replacements = 0;
  /** Sessions in a row that ended within QUICK_DEATH_MS of opening. */
  private quickDeaths = 0;
  /** Delayed replacements (quick deaths), cleared by close(). */
  private readonly timers = new Set<NodeJS.Timeout>();
  readonly breaker: UpstreamBreaker;
  readonly safety = new ToolSafety();

  constructor(
    readonly name: string,
    private readonly connect: ClientFactory,
    private readonly host: UpstreamHost,
    breaker: BreakerOptions | false | undefined,
  ) {
    this.breaker = new UpstreamBreaker(name, breaker, (state, retryAt) => host.circuit(this, state, retryAt));
  }

  get openingCount(): number {
    return this.opening.size;
  }

  stats(): UpstreamStats {
    return { name: this.name, sessions: this.sessions.length, opening: this.opening.size, inFlight: this.inFlight, replacements: this.replacements, circuit: this.breaker.status };
  }

  /** Opens sessions until `minSessions` are open or opening. */
  async warm(): Promise<void> {
    const want = this.host.minSessions - this.sessions.length - this.opening.size;
    await Promise.all(Array.from({ length: Math.max(0, want) }, () => this.open()));
  }

  /**
   * The least busy session (fewest calls in flight), its slot taken at once: `inFlight` counts
   * the caller before anything is awaited, so callers choosing in the same tick spread over the
   * sessions instead of all picking the one that looked idle (an upstream that caps calls per
   * session would refuse the excess); the caller gives it back (`inFlight--`) when done. While every
   * open session is busy and the cap allows, another one starts opening; a caller with no session
   * at all awaits it.
   */
  async session(): Promise<Session> {
    let best: Session | undefined;
    for (const s of this.sessions) if (!best || s.inFlight < best.inFlight) best = s;
    const room = this.sessions.length + this.opening.size < this.host.maxSessions;
    if (best && (best.inFlight === 0 || !room)) return take(best);
    if (room) {
      const opened = this.open();
      if (!best) return take(await opened);
      opened.catch(() => {}); // reported through connect-failed; this caller goes on with `best`
      return take(best);
    }
    // No session and no room: every slot is opening; wait for the first to finish.
    const first = await Promise.any(this.opening).catch((e: AggregateError) => {
      throw e.errors[0];
    });
    return take(first);
  }

  private open(): Promise<Session> {
    const p = this.connect().then(
      (client) => {
        this.opening.delete(p);
        const s: Session = { client, openedAt: Date.now(), inFlight: 0, ended: false, checking: false };
        if (this.host.closed) {
          void client.close().catch(() => {});
          throw new ErlmcpError('ERR_CONNECTION_CLOSED', 'ClientPool closed');
        }
        this.sessions.push(s);
        const previous = client.onclose;
        // A stdio child that exits, a socket that drops: the client closes, the session goes.
        client.onclose = () => {
          previous?.();
          this.end(s, 'closed');
        };
        this.host.sessionOpened(this);
        return s;
      },
      (e: unknown) => {
        this.opening.delete(p);
        this.host.connectFailed(this, e);
        throw e;
      },
    );
    this.opening.add(p);
    return p;
  }

  /** Drops a session and, unless the pool is closing, opens a fresh one in its place. */
  end(s: Session, reason: SessionEndReason, error?: unknown): void {
    if (s.ended) return;
    s.ended = true;
    const i = this.sessions.indexOf(s);
    if (i >= 0) this.sessions.splice(i, 1);
    void s.client.close().catch(() => {});
    this.host.sessionEnded(this, reason, error);
    if (this.host.closed || reason === 'shutdown') return;
    this.replacements++;
    // A server that dies right after it started (a crash loop) is not respawned flat out:
    // each quick death doubles the wait before the next replacement.
    this.quickDeaths = Date.now() - s.openedAt < QUICK_DEATH_MS ? this.quickDeaths + 1 : 0;
    const replace = () => {
      if (this.host.closed) return;
      this.open().then(
        () => this.host.replaced(this, reason),
        () => {}, // reported through connect-failed; the next call opens one on demand
      );
    };
    if (this.quickDeaths === 0) return replace();
    // Not unref'd: the pool's sessions keep the process alive anyway, and close() clears it.
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      replace();
    }, Math.min(REPLACE_BACKOFF_MS * 2 ** (this.quickDeaths - 1), REPLACE_BACKOFF_MAX_MS));
    this.timers.add(timer);
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.opening]);
    const all = [...this.sessions];
    for (const s of all) this.end(s, 'shutdown');
  }
}
