/**
 * The Streamable HTTP session directory: which sessions this node holds, and how a session it
 * has never seen is rebuilt from the SessionStore (scale-out: any node serves any request).
 * It creates, hydrates, persists, expires and closes sessions, and follows what other nodes
 * say about them on the bus (deleted sessions, state changes, cancellations). The HTTP router
 * (server.ts) asks it for a session and hands the exchange to that session's transport.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { toError } from '../../protocol/errors.js';
import type { JSONRPCNotification, RequestId } from '../../protocol/types.js';
import type { McpServer, ServerSession } from '../../server/index.js';
import type { EventStore, MessageBus, SessionState, SessionStore } from '../../stores/types.js';
import { storeFanout } from './fanout.js';
import type { SessionHost } from './session-host.js';
import { FinishedStreams } from './finished-streams.js';
import { HttpSessionTransport } from './session-transport.js';
import type { SseWriterOptions } from './sse-writer.js';
import { postStreamKey } from './stream-keys.js';

/** Session ids are UUIDs; anything much longer is not ours and never reaches the store. */
export const MAX_SESSION_ID_LENGTH = 256;
/** Carries DELETEd session ids, so every node drops its live copy. */
const DELETED_CHANNEL = 'erlmcp:sessions:deleted';
/** Carries `{ from, state }` after a session's durable state changed, so other nodes' cached copies follow. */
const STATE_CHANNEL = 'erlmcp:sessions:state';
/** A client's notifications/cancelled landed on a node not running that request: every node checks. */
const CANCEL_CHANNEL = 'erlmcp:sessions:cancel';
/** Server-wide notifications raised on one node, for 2026-07-28 listen streams held by the others. */
const EVENT_CHANNEL = 'erlmcp:server:events';

export interface DirectoryOptions {
  server: McpServer;
  sessionStore: SessionStore;
  eventStore: EventStore;
  bus: MessageBus;
  ttlMs: number;
  stateless: boolean;
  retryMs: number;
  enableJsonResponse: boolean;
  sse: SseWriterOptions;
  finishedStreams?: { graceMs?: number; max?: number };
  reportError(error: Error): void;
}

/** Stateless requests other than initialize run as if the session were initialized with the header's version. */
function statelessState(version: string): SessionState {
  return { id: '', protocolVersion: version, clientCapabilities: {}, clientInfo: undefined, initialized: true, logLevel: undefined, subscriptions: [], createdAt: Date.now() };
}

/** What the directory keeps per session held here: the transport, the session, and store bookkeeping. */
interface SessionRecord {
  readonly t: HttpSessionTransport;
  session: ServerSession | undefined;
  /** Last request time (ms): idle sessions expire from it. */
  lastSeen: number;
  /** Last time the SessionStore TTL was refreshed. */
  storeTouchedAt: number;
  /** A SessionStore write in flight (responses wait for it). */
  persisting: Promise<void> | undefined;
}

export class SessionDirectory {
  readonly nodeId: string;
  private readonly server: McpServer;
  private readonly store: SessionStore;
  private readonly bus: MessageBus;
  private readonly ttlMs: number;
  private readonly sessions = new Map<string, SessionRecord>();
  /** Stateless exchanges in progress, with their session once connected. */
  private readonly ephemeral = new Map<HttpSessionTransport, ServerSession | undefined>();
  private readonly hydrating = new Map<string, Promise<HttpSessionTransport | undefined>>();
  private readonly host: SessionHost;
  private readonly finished: FinishedStreams;
  /** Bus subscriptions of this node (deleted sessions, remote state, cancellations). */
  private readonly subs: Promise<(() => Promise<void>) | undefined>[] = [];
  /** Set when the stores span nodes: server-wide notifications go through them (fanout.ts). */
  private readonly removeFanout: (() => void) | undefined;
  /** Stops relaying this node's server events to the bus. */
  private readonly removeRelay: (() => void) | undefined;
  private readonly sweeper: NodeJS.Timeout;
  private closed = false;
  private readonly reportError: (e: Error) => void;
  /** One shared handler for every session (no per-session closure). */
  private readonly onStateChange = (session: ServerSession): void => {
    const r = session.id === undefined ? undefined : this.sessions.get(session.id);
    if (r) this.persist(r);
  };

  constructor(o: DirectoryOptions) {
    this.server = o.server;
    this.store = o.sessionStore;
    this.bus = o.bus;
    this.ttlMs = o.ttlMs;
    this.reportError = o.reportError;
    // The bus's id when it is a node directory (Redis); else random per instance (never
    // hostname:pid): POST stream ids minted here cannot collide with another node's.
    const nodeId = (this.nodeId = o.bus.nodeId ?? randomBytes(6).toString('hex'));
    let streamSeq = 0;
    this.finished = new FinishedStreams(o.eventStore, this.reportError, o.finishedStreams?.graceMs, o.finishedStreams?.max);
    this.host = {
      eventStore: o.eventStore,
      bus: o.bus,
      retryMs: o.retryMs,
      enableJsonResponse: o.enableJsonResponse,
      nodeId,
      sse: { ...o.sse },
      nextStreamKey: (ids) => postStreamKey(nodeId, streamSeq++, ids),
      forwardCancel: (sessionId, notification) => {
        this.bus.publish(CANCEL_CHANNEL, { from: nodeId, sessionId, notification }).catch((e: unknown) => this.reportError(toError(e)));
      },
      detach: (t) => {
        if (t.sessionId === undefined) this.ephemeral.delete(t);
        else if (this.sessions.get(t.sessionId)?.t === t) this.sessions.delete(t.sessionId);
      },
      pendingWrite: (sid) => this.sessions.get(sid)?.persisting,
      reportError: this.reportError,
      streamFinished: (id) => this.finished.add(id),
    };
    if (!o.stateless) {
      this.onBus(DELETED_CHANNEL, (id) => {
        const r = typeof id === 'string' ? this.sessions.get(id) : undefined;
        if (r) void this.closeRecord(r);
      });
      this.onBus(STATE_CHANNEL, (m) => this.applyRemoteState(m));
      this.onBus(CANCEL_CHANNEL, (m) => this.applyRemoteCancel(m));
      const fanout = storeFanout(o.sessionStore, o.eventStore);
      if (fanout) this.removeFanout = this.server.addFanout(fanout);
    }
    // A bus that spans nodes carries server events both ways, so a listen stream on any node
    // hears a list_changed or resources/updated raised on any other (2026-07-28 subscriptions/listen).
    if (o.bus.nodeId !== undefined) {
      this.onBus(EVENT_CHANNEL, (m) => {
        const e = m as { from?: unknown; method?: unknown; params?: Record<string, unknown> } | null;
        if (e && e.from !== this.nodeId && typeof e.method === 'string') this.server.relayEvent(e.method, e.params);
      });
      this.removeRelay = this.server.onEvent((method, params, remote) => {
        if (!remote) this.bus.publish(EVENT_CHANNEL, { from: this.nodeId, method, params }).catch((e: unknown) => this.reportError(toError(e)));
      });
    }
    this.sweeper = setInterval(() => this.sweep(), Math.min(Math.max(this.ttlMs / 2, 10), 60_000));
    this.sweeper.unref();
  }

  private onBus(channel: string, handler: (message: unknown) => void): void {
    this.subs.push(
      this.bus.subscribe(channel, handler).catch((e: unknown) => {
        this.reportError(toError(e));
        return undefined;
      }),
    );
  }

  /** Live sessions held by this process. */
  get size(): number {
    return this.sessions.size;
  }

  /** Calls from clients that this node's sessions are handling now (a drain waits for them). */
  inFlight(): number {
    let n = 0;
    for (const r of this.sessions.values()) n += r.session?.inFlight ?? 0;
    for (const s of this.ephemeral.values()) n += s?.inFlight ?? 0;
    return n;
  }

  /** Answers every call in flight here with `error` (a drain past its grace period, a crash). */
  failInFlight(error: { code: number; message: string; data?: unknown }): void {
    for (const r of this.sessions.values()) r.session?.failInFlight(error);
    for (const s of this.ephemeral.values()) s?.failInFlight(error);
  }

  /** Ends every standalone SSE stream with a `retry` hint (a draining server: clients reconnect elsewhere). */
  hangUpStandalone(): void {
    for (const r of this.sessions.values()) r.t.hangUpStandalone();
  }

  /** A one-request session (stateless mode), closed after its response. */
  async ephemeralSession(initialize: boolean, version: string): Promise<HttpSessionTransport> {
    const t = new HttpSessionTransport(this.host, undefined);
    this.ephemeral.set(t, undefined);
    const session = await this.server.connect(t, initialize ? undefined : { state: statelessState(version) });
    if (this.ephemeral.has(t)) this.ephemeral.set(t, session);
    t.bind(session);
    return t;
  }

  /** A one-request session for a 2026-07-28 request: no id, nothing stored, closed after its answer. */
  modernSession(): HttpSessionTransport {
    const t = new HttpSessionTransport(this.host, undefined);
    const session = this.server.attachModern(t);
    this.ephemeral.set(t, session);
    t.bind(session);
    return t;
  }

  private record(t: HttpSessionTransport): SessionRecord {
    const now = Date.now();
    const r: SessionRecord = { t, session: undefined, lastSeen: now, storeTouchedAt: now, persisting: undefined };
    this.sessions.set(t.sessionId!, r);
    return r;
  }

  /** A new session for initialize request `initId` (basic/transports#session-management). */
  async create(initId: RequestId): Promise<HttpSessionTransport> {
    // Cryptographically secure, visible ASCII (122 random bits).
    const t = new HttpSessionTransport(this.host, randomUUID());
    t.expectInitialize(initId);
    await this.attach(this.record(t));
    return t;
  }

  /** This process's live copy, unless it has been idle past the TTL (then it is dropped here only). */
  local(sid: string): HttpSessionTransport | undefined {
    const r = this.sessions.get(sid);
    if (!r) return undefined;
    if (Date.now() - r.lastSeen <= this.ttlMs || r.t.active) return r.t;
    void this.closeRecord(r);
    return undefined;
  }

  /** Finds a session here, or rebuilds it from the SessionStore (it was created on another node). */
  lookup(sid: string): Promise<HttpSessionTransport | undefined> {
    const t = this.local(sid);
    if (t) return Promise.resolve(t);
    if (sid.length > MAX_SESSION_ID_LENGTH) return Promise.resolve(undefined);
    let p = this.hydrating.get(sid);
    if (!p) {
      p = this.hydrate(sid).finally(() => this.hydrating.delete(sid));
      this.hydrating.set(sid, p);
    }
    return p;
  }

  /** Whether the store knows `sid` (a session some node created and nobody deleted). */
  async known(sid: string): Promise<boolean> {
    return sid.length <= MAX_SESSION_ID_LENGTH && (await this.store.get(sid)) !== undefined;
  }

  private async hydrate(sid: string): Promise<HttpSessionTransport | undefined> {
    const state = await this.store.get(sid);
    if (!state || this.closed) return undefined;
    const existing = this.sessions.get(sid);
    if (existing) return existing.t;
    const t = new HttpSessionTransport(this.host, sid);
    t.setProtocolVersion(state.protocolVersion || undefined);
    await this.attach(this.record(t), state);
    return t;
  }

  /** Connects a ServerSession to a registered transport; on failure the transport is forgotten. */
  private async attach(r: SessionRecord, state?: SessionState): Promise<void> {
    try {
      const session = await this.server.connect(r.t, state ? { state } : undefined);
      r.session = session;
      r.t.bind(session);
      session.fannedOut = this.removeFanout !== undefined;
      session.onstatechange = this.onStateChange;
    } catch (e) {
      await r.t.close();
      throw e;
    }
  }

  /**
   * Marks activity. The store's TTL is refreshed at most every TTL/10 and never awaited, so a
   * warm session's request costs no store round trip.
   */
  touch(t: HttpSessionTransport): void {
    const sid = t.sessionId;
    const r = sid === undefined ? undefined : this.sessions.get(sid);
    if (!r) return;
    this.touchRecord(r, Date.now());
  }

  private touchRecord(r: SessionRecord, now: number): void {
    r.lastSeen = now;
    if (now - r.storeTouchedAt < this.ttlMs / 10 || r.persisting) return;
    r.storeTouchedAt = now;
    this.store.touch(r.t.sessionId!, this.ttlMs).then(
      (alive) => {
        // Expired in the store while live here (e.g. its TTL lapsed between touches): write it back.
        if (!alive && !r.t.isClosed && r.session?.protocolVersion !== undefined) this.persist(r);
      },
      (e: unknown) => this.reportError(toError(e)),
    );
  }

  private persist(r: SessionRecord): void {
    const session = r.session;
    if (!session || r.t.isClosed) return;
    r.storeTouchedAt = Date.now();
    const state = session.exportState();
    const p: Promise<void> = this.store.set(state, this.ttlMs).then(
      () => {
        if (r.persisting === p) r.persisting = undefined;
        this.bus.publish(STATE_CHANNEL, { from: this.nodeId, state }).catch((e: unknown) => this.reportError(toError(e)));
      },
      (e: unknown) => {
        if (r.persisting === p) r.persisting = undefined;
        this.reportError(toError(e));
      },
    );
    r.persisting = p;
  }

  /** DELETE: ends the session everywhere (basic/transports#session-management: then 404 on every node). */
  async delete(sid: string): Promise<void> {
    const r = this.sessions.get(sid);
    if (r) await this.closeRecord(r);
    await Promise.all([this.store.delete(sid), this.host.eventStore.deleteSession?.(sid)]);
    this.bus.publish(DELETED_CHANNEL, sid).catch((e: unknown) => this.reportError(toError(e)));
  }

  /** Another node changed a session we hold a copy of: adopt its state (without echoing it back). */
  private applyRemoteState(m: unknown): void {
    const msg = m as { from?: unknown; state?: SessionState } | null;
    const state = msg?.state;
    if (!state || msg.from === this.nodeId || typeof state.id !== 'string') return;
    const r = this.sessions.get(state.id);
    const session = r?.session;
    if (!r || !session || r.t.isClosed) return;
    session.onstatechange = undefined;
    try {
      for (const uri of session.subscriptions ?? []) if (!state.subscriptions.includes(uri)) this.server.unsubscribe(session, uri);
      session.restoreState(state);
      if (state.protocolVersion) r.t.setProtocolVersion(state.protocolVersion);
    } finally {
      session.onstatechange = this.onStateChange;
    }
  }

  /** Another node received a client's cancellation of a request that may be running here. */
  private applyRemoteCancel(m: unknown): void {
    const msg = m as { from?: unknown; sessionId?: unknown; notification?: JSONRPCNotification } | null;
    if (!msg || msg.from === this.nodeId || typeof msg.sessionId !== 'string' || msg.notification?.method !== 'notifications/cancelled') return;
    this.sessions.get(msg.sessionId)?.t.cancelFromPeer(msg.notification);
  }

  private sweep(): void {
    const now = Date.now();
    for (const r of this.sessions.values()) {
      if (r.t.active) this.touchRecord(r, now);
      else if (now - r.lastSeen > this.ttlMs) void this.closeRecord(r);
    }
  }

  private closeRecord(r: SessionRecord): Promise<void> {
    return this.closeTransport(r.t);
  }

  private closeTransport(t: HttpSessionTransport): Promise<void> {
    return (t.session ? t.session.close() : t.close()).catch((e: unknown) => this.reportError(toError(e)));
  }

  /** Closes every session held here and leaves the bus. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweeper);
    this.finished.close();
    const all = [...[...this.sessions.values()].map((r) => r.t), ...this.ephemeral.keys()];
    await Promise.all(all.map((t) => this.closeTransport(t)));
    this.removeFanout?.();
    this.removeRelay?.();
    for (const sub of await Promise.all(this.subs)) await sub?.().catch(() => {});
  }
}
