/**
 * The server side of one Streamable HTTP session (basic/transports#streamable-http).
 * A session is many HTTP exchanges; this transport routes each outbound message to the right
 * one: a response and everything *related* to its request (progress, logs, nested sampling)
 * go on that request's POST stream; unrelated messages go on the standalone GET stream. Every
 * SSE event is appended to the EventStore first, so a dropped connection loses nothing: the
 * client resumes any stream with GET + Last-Event-ID (basic/transports#resumability-and-redelivery).
 *
 * Idle sessions cost a few fields: the request routing map, the standalone writer and the
 * bus subscription are created only when used.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { ErlmcpError, ErrorCode } from '../../protocol/errors.js';
import { errorResponse, type Classified } from '../../protocol/jsonrpc.js';
import type { MessageExtra, SendOptions, Transport } from '../../protocol/transport.js';
import type { JSONRPCMessage, JSONRPCResponse, RequestId } from '../../protocol/types.js';
import type { ServerSession } from '../../server/index.js';
import type { EventId, EventStore, MessageBus } from '../../stores/types.js';
import { SseWriter } from './sse-writer.js';
import { sendError } from './validate.js';

/**
 * Optional EventStore capability (Redis): replay a stream after an event id, then keep
 * delivering what *any* node appends to it. With it, the node holding a client's SSE
 * connection is not the only one that can write to it.
 */
export interface StreamFollower {
  follow(streamId: string, afterEventId: EventId, onEvent: (eventId: EventId, message: JSONRPCMessage) => void): Promise<{ readonly found: boolean; stop(): void }>;
}

/** Optional MessageBus capability (Redis): this node's id and whether another node is alive. */
export interface NodeDirectory {
  readonly nodeId: string;
  readonly heartbeatMs: number;
  isNodeAlive(nodeId: string): Promise<boolean>;
}

/**
 * POST stream keys are `<node>.<seq>` plus, for a single request, `.<base64url(JSON id)>`: any
 * node resuming the stream knows who runs the request and which id it owes the client.
 */
export function postStreamKey(nodeId: string, seq: number, requestIds: readonly RequestId[]): string {
  const base = `${nodeId}.${seq.toString(36)}`;
  if (requestIds.length !== 1) return base;
  const id = Buffer.from(JSON.stringify(requestIds[0])).toString('base64url');
  return id.length <= 128 ? `${base}.${id}` : base;
}

export function parsePostStreamKey(key: string): { nodeId: string; requestId: RequestId | undefined } | undefined {
  const parts = key.split('.');
  if (parts.length < 2 || parts.length > 3 || !parts[0]) return undefined;
  if (parts.length === 2) return { nodeId: parts[0], requestId: undefined };
  try {
    const id = JSON.parse(Buffer.from(parts[2]!, 'base64url').toString()) as unknown;
    return typeof id === 'string' || typeof id === 'number' ? { nodeId: parts[0], requestId: id } : undefined;
  } catch {
    return undefined;
  }
}

/** What every session transport shares with the StreamableHttpServer that owns it. */
export interface SessionHost {
  readonly eventStore: EventStore;
  readonly bus: MessageBus;
  readonly retryMs: number;
  readonly enableJsonResponse: boolean;
  readonly nodeId: string;
  /** Set when the event store can follow streams (other nodes' appends reach this node live). */
  readonly follower: StreamFollower | undefined;
  /** Set when the bus knows which nodes are alive (requests of dead nodes get an error). */
  readonly nodes: NodeDirectory | undefined;
  /** A fresh key for a POST stream, unique across nodes (it carries the node's random id). */
  nextStreamKey(requestIds: readonly RequestId[]): string;
  /** The transport closed: forget it. */
  detach(transport: HttpSessionTransport): void;
  reportError(error: Error): void;
}

/** SEP-1699 priming and server-initiated close arrived in 2025-11-25; older clients choke on empty data. */
export const PRIMING_MIN_VERSION = '2025-11-25';

/** Bus channel on which a client's reply to a server→client request reaches the node waiting for it. */
export function responseChannel(sessionId: string): string {
  return `erlmcp:s:${sessionId}:rsp`;
}

/** One POST's response: an SSE stream (resumable when it has an id) or a pending JSON body. */
class PostStream {
  writer: SseWriter | undefined;
  /** The client holds an event id of this stream, so it can resume after we close it. */
  resumable = false;
  /** Requests of the POST still unanswered; the stream ends at zero. */
  open = 0;
  /** JSON mode: the HTTP response and the answers collected so far. */
  res: ServerResponse | undefined;
  responses: JSONRPCMessage[] | undefined;
  batch = false;

  constructor(readonly id: string | undefined) {}
}

function isResponseMessage(m: JSONRPCMessage): m is JSONRPCResponse {
  return 'result' in m || 'error' in m;
}

export class HttpSessionTransport implements Transport {
  session: ServerSession | undefined;
  protocolVersion: string | undefined;
  /** Last request time (ms); the owner expires idle sessions from it. */
  lastSeen = Date.now();
  /** Last time the SessionStore TTL was refreshed. */
  storeTouchedAt = 0;
  /** An in-flight SessionStore write; responses wait for it so the next request finds the state on any node. */
  persisting: Promise<void> | undefined;
  /** The initialize request that created this session: if it fails, the session is dropped. */
  initRequestId: RequestId | undefined;
  private routes: Map<RequestId, PostStream> | undefined;
  private standalone: SseWriter | undefined;
  private replySub: Promise<() => Promise<void>> | undefined;
  private closed = false;
  onmessage?: (message: unknown, extra?: MessageExtra) => void;
  onerror?: (error: Error) => void;
  onclose?: () => void;

  constructor(
    private readonly host: SessionHost,
    /** undefined in stateless mode: no event ids, no standalone stream, closed after one POST. */
    readonly sessionId: string | undefined,
  ) {}

  async start(): Promise<void> {}

  setProtocolVersion(version: string): void {
    this.protocolVersion = version;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Has requests in flight or a connected GET stream: not idle, whatever lastSeen says. */
  get active(): boolean {
    return (this.routes !== undefined && this.routes.size > 0) || (this.standalone !== undefined && !this.standalone.closed);
  }

  private get standaloneId(): string {
    return `${this.sessionId}/_`;
  }

  private headers(): OutgoingHttpHeaders | undefined {
    return this.sessionId === undefined ? undefined : { 'mcp-session-id': this.sessionId };
  }

  // ---------- inbound ----------

  /**
   * Serves one POST whose body is already validated. `version` decides SSE priming;
   * `resumable: false` (initialize: answered at once) skips event ids and the EventStore.
   * Returns once the messages are handed to the session (the response may still be streaming).
   */
  async handlePost(req: IncomingMessage, res: ServerResponse, items: Classified[], batch: boolean, version: string, resumable = true): Promise<void> {
    if (this.closed) {
      sendError(res, 404, 'Not Found: session terminated');
      return;
    }
    const extra: MessageExtra = { requestInfo: { headers: req.headers, url: req.url } };
    let stream: PostStream | undefined;
    let requests = 0;
    for (const c of items) if (c.kind === 'request') requests++;
    if (requests > 0) {
      const routes = (this.routes ??= new Map());
      // Request ids must be unique among in-flight requests, or responses would be misrouted.
      const seen = requests > 1 ? new Set<RequestId>() : undefined;
      for (const c of items) {
        if (c.kind !== 'request') continue;
        if (routes.has(c.message.id) || seen?.has(c.message.id)) {
          sendError(res, 400, `Invalid request: id ${JSON.stringify(c.message.id)} is already in flight on this session`, ErrorCode.InvalidRequest);
          return;
        }
        seen?.add(c.message.id);
      }
      const ids: RequestId[] = [];
      for (const c of items) if (c.kind === 'request') ids.push(c.message.id);
      const s = (stream = new PostStream(this.sessionId === undefined || !resumable ? undefined : `${this.sessionId}/${this.host.nextStreamKey(ids)}`));
      s.open = requests;
      for (const c of items) if (c.kind === 'request') routes.set(c.message.id, s);
      if (this.host.enableJsonResponse) {
        s.res = res;
        s.responses = [];
        s.batch = batch;
      } else {
        s.writer = new SseWriter(res, this.headers());
        // basic/transports#sending-messages-to-the-server: prime with an event id and empty data.
        if (s.id !== undefined && version >= PRIMING_MIN_VERSION) {
          try {
            s.writer.prime(await this.host.eventStore.append(s.id, undefined), this.host.retryMs);
            s.resumable = true;
          } catch (e) {
            this.host.reportError(e as Error);
          }
        }
      }
      extra.closeSSEStream = () => this.closeStream(s);
      if (this.sessionId !== undefined) extra.closeStandaloneSSEStream = () => this.closeStandaloneStream();
    }
    for (const c of items) {
      if (c.kind === 'response') this.deliverResponse(c.message);
      else if (c.kind === 'request' || c.kind === 'notification') {
        this.onmessage?.(c.message, extra);
        if (c.kind === 'notification' && c.message.method === 'notifications/cancelled') this.cancelled(c.message.params?.requestId as RequestId | undefined);
      }
    }
    if (!stream) {
      // basic/transports#sending-messages-to-the-server: notifications/responses only → 202, no body.
      res.writeHead(202, this.headers());
      res.end();
      this.finishIfStateless();
    }
  }

  /**
   * A client's reply to a server→client request. The request may have been sent by this
   * session object or by another node's copy of the session: the bus carries it there.
   */
  private deliverResponse(message: JSONRPCResponse): void {
    const id = message.id;
    if (this.sessionId === undefined || id === null || this.session?.hasPending(id)) {
      this.onmessage?.(message);
      return;
    }
    this.host.bus.publish(responseChannel(this.sessionId), message).catch((e: unknown) => this.host.reportError(e as Error));
  }

  /** A cancelled request gets no response (basic/utilities/cancellation), so its stream must not wait for one. */
  private cancelled(requestId: RequestId | undefined): void {
    if (requestId === undefined) return;
    const s = this.routes?.get(requestId);
    if (!s) return;
    this.routes!.delete(requestId);
    if (--s.open === 0) this.finishStream(s);
  }

  /** Subscribes (once) to replies that land on other nodes; awaited before sending a request. */
  private listenForReplies(): Promise<unknown> {
    const sid = this.sessionId;
    if (sid === undefined) return Promise.resolve();
    this.replySub ??= this.host.bus.subscribe(responseChannel(sid), (m) => {
      const r = m as JSONRPCResponse | null;
      // Only the copy that is waiting delivers it: every other subscriber drops it.
      if (r && typeof r === 'object' && r.id !== null && r.id !== undefined && this.session?.hasPending(r.id)) this.onmessage?.(r);
    });
    return this.replySub;
  }

  /**
   * GET: opens the standalone stream, or with Last-Event-ID resumes one stream — replaying
   * only that stream's events (basic/transports#resumability-and-redelivery) and, if its
   * requests are still running here, carrying the rest of it live.
   */
  async handleGet(res: ServerResponse, lastEventId: string | undefined, version: string): Promise<void> {
    const store = this.host.eventStore;
    const follower = this.host.follower;
    if (lastEventId === undefined) {
      if (this.standalone && !this.standalone.closed) {
        sendError(res, 409, 'Conflict: a standalone SSE stream is already open for this session');
        return;
      }
      const w = (this.standalone = new SseWriter(res, this.headers()));
      const primed = version >= PRIMING_MIN_VERSION || follower ? await store.append(this.standaloneId, undefined) : undefined;
      if (primed !== undefined && version >= PRIMING_MIN_VERSION) w.prime(primed, this.host.retryMs);
      // Any node may send on this stream: follow it from the cursor just taken.
      if (follower && primed !== undefined) await this.follow(follower, res, this.standaloneId, primed, (id, m) => w.event(id, m));
      return;
    }
    const streamId = store.streamIdOf(lastEventId);
    if (streamId === undefined || !streamId.startsWith(`${this.sessionId}/`)) {
      sendError(res, 400, 'Bad Request: Last-Event-ID does not belong to this session');
      return;
    }
    const standalone = streamId === this.standaloneId;
    const live = standalone ? undefined : this.findStream(streamId);
    if (!standalone && !live && follower && (await this.followForeign(follower, res, streamId, lastEventId))) return;
    if (!standalone && !live) {
      // Finished here, or running on another node: replay what is stored and end; the client polls again.
      const events: [string, JSONRPCMessage][] = [];
      const known = await store.replayAfter(lastEventId, (id, m) => void events.push([id, m]));
      if (known === undefined) {
        sendError(res, 404, 'Not Found: unknown or expired Last-Event-ID');
        return;
      }
      const w = new SseWriter(res, this.headers());
      w.retry(this.host.retryMs);
      for (const [id, m] of events) w.replay(id, m);
      w.end();
      return;
    }
    const w = new SseWriter(res, this.headers());
    w.retry(this.host.retryMs);
    // A followed stream dedupes replay and live events itself; otherwise hold live ones during the replay.
    const followed = standalone && follower !== undefined;
    if (!followed) w.hold();
    // Latest wins: a stream has one live writer (basic/transports#multiple-connections).
    let previous: SseWriter | undefined;
    if (live) {
      previous = live.writer;
      live.writer = w;
      live.resumable = true;
    } else {
      previous = this.standalone;
      this.standalone = w;
    }
    if (previous && previous !== w) previous.end();
    if (followed) {
      await this.follow(follower, res, streamId, lastEventId, (id, m) => w.event(id, m));
      return;
    }
    const replayed = new Set<string>();
    try {
      await store.replayAfter(lastEventId, (id, m) => {
        replayed.add(id);
        w.replay(id, m);
      });
    } finally {
      w.release(replayed);
    }
  }

  /** Follows a stream for as long as `res` is open; the follower replays first, then goes live. */
  private async follow(follower: StreamFollower, res: ServerResponse, streamId: string, after: EventId, onEvent: (id: EventId, m: JSONRPCMessage) => void): Promise<boolean> {
    const f = await follower.follow(streamId, after, onEvent);
    if (res.writableEnded || res.destroyed || this.closed) f.stop();
    else res.once('close', () => f.stop());
    return f.found;
  }

  /**
   * Resumes a POST stream whose request runs on another node: replays it, then carries the rest
   * live until the owed response arrives. If that node dies first (its heartbeat expires), the
   * client gets a JSON-RPC error for the request instead of waiting forever.
   */
  private async followForeign(follower: StreamFollower, res: ServerResponse, streamId: string, lastEventId: EventId): Promise<boolean> {
    const key = parsePostStreamKey(streamId.slice(this.sessionId!.length + 1));
    // Our own finished request, or a batch stream (no single owed id): replay-and-end will do.
    if (!key || key.requestId === undefined || key.nodeId === this.host.nodeId) return false;
    const owed = key.requestId;
    const early: [EventId, JSONRPCMessage][] = [];
    let w: SseWriter | undefined;
    let done = false;
    let watchdog: NodeJS.Timeout | undefined;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearInterval(watchdog);
      w?.end();
    };
    const onEvent = (id: EventId, m: JSONRPCMessage): void => {
      if (done) return;
      if (!w) early.push([id, m]);
      else w.event(id, m);
      if (isResponseMessage(m) && m.id === owed) finish();
    };
    const f = await follower.follow(streamId, lastEventId, onEvent);
    if (!f.found) {
      f.stop();
      sendError(res, 404, 'Not Found: unknown or expired Last-Event-ID');
      return true;
    }
    w = new SseWriter(res, this.headers());
    w.retry(this.host.retryMs);
    for (const [id, m] of early) w.event(id, m);
    const gone = (): void => {
      f.stop();
      finish();
    };
    if (res.destroyed || res.writableEnded) gone();
    else res.once('close', gone);
    if (done) {
      w.end();
      return true;
    }
    const nodes = this.host.nodes;
    if (!nodes) return true;
    let answering = false;
    const check = async (): Promise<void> => {
      if (answering) return;
      let alive: boolean;
      try {
        alive = await nodes.isNodeAlive(key.nodeId);
      } catch {
        return; // Redis unreachable: say nothing rather than declare a live node dead
      }
      if (alive || done || answering) return;
      answering = true;
      const error = errorResponse(owed, { code: ErrorCode.InternalError, message: `node ${key.nodeId} holding this request died` });
      // Stored first, so a client resuming again sees the same outcome.
      const id = await this.host.eventStore.append(streamId, error).catch(() => undefined);
      if (!done) {
        w?.event(id, error);
        finish();
      }
    };
    watchdog = setInterval(() => void check(), nodes.heartbeatMs);
    watchdog.unref();
    void check();
    return true;
  }

  private findStream(streamId: string): PostStream | undefined {
    if (this.routes) for (const s of this.routes.values()) if (s.id === streamId) return s;
    return undefined;
  }

  // ---------- outbound ----------

  async send(message: JSONRPCMessage, options?: SendOptions): Promise<void> {
    if (this.closed) throw new ErlmcpError('ERR_CONNECTION_CLOSED', 'Session is closed');
    const response = isResponseMessage(message);
    let related = options?.relatedRequestId;
    if (related === undefined && response && message.id !== null) related = message.id;
    const stream = related === undefined ? undefined : this.routes?.get(related);
    let final = false;
    if (stream && response && message.id === related) {
      this.routes!.delete(related);
      final = --stream.open === 0;
    }
    if (response) {
      if (this.persisting) await this.persisting;
      if (this.initRequestId !== undefined && message.id === this.initRequestId) {
        this.initRequestId = undefined;
        // A failed initialize leaves a session nobody can use: drop it once the error is out.
        if ('error' in message) queueMicrotask(() => void (this.session ? this.session.close() : this.close()));
      }
    } else if ('id' in message && this.sessionId !== undefined) {
      await this.listenForReplies();
    }
    if (!stream) {
      // basic/transports#listening-for-messages-from-the-server: never a response on the GET stream.
      if (!response) await this.sendStandalone(message);
      return;
    }
    if (stream.responses) {
      if (response) {
        stream.responses.push(message);
        if (final) this.finishStream(stream);
        return;
      }
      // JSON mode, but the request has something to say before its answer (progress, a log, a
      // sampling request). Its response has not started yet, so it becomes an SSE stream: the
      // spec lets the server pick either content type per request, and nothing is lost or
      // reordered onto the GET stream.
      await this.upgradeToSse(stream);
    }
    // A store outage costs resumability, never the message: it is still written live, without an id.
    const id = stream.id === undefined ? undefined : await this.host.eventStore.append(stream.id, message).catch((e: unknown) => void this.host.reportError(e as Error));
    if (stream.writer) {
      stream.writer.event(id, message);
      if (id !== undefined) stream.resumable = true;
    }
    if (final) this.finishStream(stream);
  }

  private async upgradeToSse(stream: PostStream): Promise<void> {
    const res = stream.res;
    const collected = stream.responses ?? [];
    stream.res = undefined;
    stream.responses = undefined;
    if (!res || res.headersSent) return;
    const w = (stream.writer = new SseWriter(res, this.headers()));
    if (stream.id !== undefined && (this.protocolVersion ?? '') >= PRIMING_MIN_VERSION) {
      w.prime(await this.host.eventStore.append(stream.id, undefined), this.host.retryMs);
      stream.resumable = true;
    }
    for (const m of collected) w.event(stream.id === undefined ? undefined : await this.host.eventStore.append(stream.id, m), m);
  }

  private async sendStandalone(message: JSONRPCMessage): Promise<void> {
    if (this.sessionId === undefined) return; // stateless: there is no standalone stream
    // Stored even with no GET connected: a client resuming the standalone stream receives it.
    const id = await this.host.eventStore.append(this.standaloneId, message);
    // With a follower, whichever node holds the GET stream (maybe this one) writes it from the store.
    if (!this.host.follower) this.standalone?.event(id, message);
  }

  /** The POST's last answer is out: end its response (basic/transports: SHOULD terminate the stream). */
  private finishStream(s: PostStream): void {
    if (s.res && s.responses) {
      const res = s.res;
      s.res = undefined;
      if (s.responses.length === 0) {
        res.writeHead(204, this.headers());
        res.end();
      } else {
        const body = JSON.stringify(s.batch ? s.responses : s.responses[0]);
        res.writeHead(200, { ...this.headers(), 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      }
    }
    s.writer?.end();
    s.writer = undefined;
    this.finishIfStateless();
  }

  /** SEP-1699: ends the connection but not the stream; the client resumes with Last-Event-ID. */
  private closeStream(s: PostStream): void {
    const w = s.writer;
    if (!w || !s.resumable) return; // without an event id the client could not resume: keep it open
    s.writer = undefined;
    w.retry(this.host.retryMs);
    w.end();
  }

  private closeStandaloneStream(): void {
    const w = this.standalone;
    if (!w) return;
    this.standalone = undefined;
    w.retry(this.host.retryMs);
    w.end();
  }

  private finishIfStateless(): void {
    if (this.sessionId === undefined && !(this.routes && this.routes.size > 0)) {
      queueMicrotask(() => void (this.session ? this.session.close() : this.close()));
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const routes = this.routes;
    this.routes = undefined;
    if (routes) {
      for (const s of new Set(routes.values())) {
        s.writer?.end();
        if (s.res && !s.res.headersSent) sendError(s.res, 404, 'Session terminated');
      }
    }
    this.standalone?.end();
    this.standalone = undefined;
    const sub = this.replySub;
    this.replySub = undefined;
    sub?.then((unsubscribe) => unsubscribe()).catch((e: unknown) => this.host.reportError(e as Error));
    this.host.detach(this);
    this.onclose?.();
  }
}
