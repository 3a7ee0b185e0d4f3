/**
 * The server side of one Streamable HTTP session (basic/transports#streamable-http).
 * A session is many HTTP exchanges; this transport routes each outbound message to the right
 * one: a response and everything *related* to its request (progress, logs, nested sampling)
 * go on that request's POST stream; unrelated messages go on the standalone GET stream. Every
 * SSE event is appended to the EventStore first, so a dropped connection loses nothing: the
 * client resumes any stream with GET + Last-Event-ID (basic/transports#resumability-and-redelivery).
 * A POST stream that ends normally (its last answer handed to the kernel) is deleted at once.
 *
 * `send()` honours backpressure: while more than the writer's high-water mark is queued for a
 * client, it resolves only once that drains, so `await ctx.log()` runs at the reader's pace.
 *
 * Idle sessions cost a few fields: the request routing map, the standalone writer and the
 * bus subscription are created only when used. A POST's response is a PostStream
 * (post-stream.ts); replays are in replay.ts, cross-node following in follow.ts.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { ErlmcpError, ErrorCode } from '../../protocol/errors.js';
import { isResponse, type Classified } from '../../protocol/jsonrpc.js';
import type { AuthInfo, MessageExtra, SendOptions, Transport } from '../../protocol/transport.js';
import type { JSONRPCMessage, JSONRPCNotification, JSONRPCResponse, RequestId } from '../../protocol/types.js';
import { canFollow, followForeign, followInto } from './follow.js';
import { PostStream } from './post-stream.js';
import { replayAndEnd, replayThenRelease } from './replay.js';
import { PRIMING_MIN_VERSION, responseChannel, type BoundSession, type SessionHost } from './session-host.js';
import { SseWriter } from './sse-writer.js';
import { sendError } from '../shared/http.js';

/** One settled promise for every send that completes at once (a new one per call would cost an async-hooks callback each). */
const RESOLVED: Promise<void> = Promise.resolve();
import { encodeMessage } from '../../protocol/encode.js';

export { PRIMING_MIN_VERSION, responseChannel, type SessionHost } from './session-host.js';
export { parsePostStreamKey, postStreamKey } from './stream-keys.js';

export class HttpSessionTransport implements Transport {
  readonly kind = 'http';
  private served: BoundSession | undefined;
  private version: string | undefined;
  /** The initialize request that created this session: if it fails, the session is dropped. */
  private initRequestId: RequestId | undefined;
  private routes: Map<RequestId, PostStream> | undefined;
  private standalone: SseWriter | undefined;
  private replySub: Promise<() => Promise<void>> | undefined;
  private closed = false;
  onmessage?: (message: unknown, extra?: MessageExtra, classified?: Classified) => void;
  onerror?: (error: Error) => void;
  onclose?: () => void;

  constructor(
    private readonly host: SessionHost,
    /** undefined in stateless mode: no event ids, no standalone stream, closed after one POST. */
    readonly sessionId: string | undefined,
  ) {}

  async start(): Promise<void> {}

  /** The session this transport carries (set once connected). */
  get session(): BoundSession | undefined {
    return this.served;
  }

  /** Binds the session once `McpServer.connect` made it. */
  bind(session: BoundSession): void {
    this.served = session;
  }

  /** This session was created by initialize request `id`: if that fails, the session is dropped. */
  expectInitialize(id: RequestId): void {
    this.initRequestId = id;
  }

  /** The negotiated version (or the stored one, for a session rebuilt on this node). */
  get protocolVersion(): string | undefined {
    return this.version;
  }

  setProtocolVersion(version: string | undefined): void {
    this.version = version;
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

  private writer(res: ServerResponse): SseWriter {
    return new SseWriter(res, this.headers(), this.host.sse);
  }

  /** One per transport, shared by its POST streams. */
  private readonly streamEnded = (): void => this.finishIfStateless();

  // ---------- inbound ----------

  /**
   * Serves one POST whose body is already validated. `version` decides SSE priming;
   * `resumable: false` (initialize: answered at once) skips event ids and the EventStore.
   * Returns once the messages are handed to the session (the response may still be streaming).
   */
  async handlePost(req: IncomingMessage, res: ServerResponse, items: Classified[], batch: boolean, version: string, resumable = true, authInfo?: AuthInfo, json = this.host.enableJsonResponse): Promise<void> {
    if (this.closed) {
      sendError(res, 404, 'Not Found: session terminated');
      return;
    }
    if (this.sessionId === undefined) {
      // No session to resume into (stateless, 2026-07-28): a client that closes the response
      // stream has cancelled the request (2026-07-28 basic/transports/streamable-http).
      res.once('close', () => {
        if (!res.writableFinished && !this.closed) void (this.session ? this.session.close() : this.close());
      });
    }
    const extra: MessageExtra = { requestInfo: { headers: req.headers, url: req.url, remoteAddress: req.socket.remoteAddress } };
    if (authInfo !== undefined) extra.authInfo = authInfo;
    let stream: PostStream | undefined;
    const ids: RequestId[] = [];
    for (const c of items) if (c.kind === 'request') ids.push(c.message.id);
    if (ids.length > 0) {
      const routes = (this.routes ??= new Map());
      // Request ids must be unique among in-flight requests, or responses would be misrouted.
      const seen = ids.length > 1 ? new Set<RequestId>() : undefined;
      for (const id of ids) {
        if (routes.has(id) || seen?.has(id)) {
          sendError(res, 400, `Invalid request: id ${JSON.stringify(id)} is already in flight on this session`, ErrorCode.InvalidRequest);
          return;
        }
        seen?.add(id);
      }
      const s = (stream = new PostStream(this.host, this.sessionId, ids, this.sessionId !== undefined && resumable, this.streamEnded));
      for (const id of ids) routes.set(id, s);
      if (json) s.answerAsJson(res, batch);
      else await s.answerAsSse(res, version);
      extra.closeSSEStream = () => s.closeConnection();
      if (this.sessionId !== undefined) extra.closeStandaloneSSEStream = () => this.closeStandaloneStream();
    }
    let forwarded: Promise<boolean>[] | undefined;
    for (const c of items) {
      if (c.kind === 'response') {
        const f = this.deliverResponse(c.message);
        if (f) (forwarded ??= []).push(f);
      } else if (c.kind === 'request' || c.kind === 'notification') {
        // Already classified by the router: the engine need not look at it again.
        this.onmessage?.(c.message, extra, c);
        if (c.kind === 'notification' && c.message.method === 'notifications/cancelled' && !this.cancelled(c.message.params?.requestId as RequestId | undefined)) {
          // Not running here: it may be running on another node serving this session.
          if (this.sessionId !== undefined) this.host.forwardCancel(this.sessionId, c.message);
        }
      }
    }
    if (!stream) {
      // 202 acknowledges the input: a reply bound for another node is acknowledged only once a
      // node waiting for this session's replies has received it — never silently dropped.
      if (forwarded && !(await Promise.all(forwarded)).every(Boolean)) {
        sendError(res, 503, 'Service Unavailable: no server node is waiting for this response (the node that sent the request may have failed); retry shortly', ErrorCode.InternalError, { 'retry-after': '1' });
        this.finishIfStateless();
        return;
      }
      // basic/transports#sending-messages-to-the-server: notifications/responses only → 202, no body.
      res.writeHead(202, this.headers());
      res.end();
      this.finishIfStateless();
    }
  }

  /**
   * A client's reply to a server→client request. The request may have been sent by this
   * session object or by another node's copy of the session: the bus carries it there, and
   * the returned promise says whether a node received it (undefined: delivered here).
   */
  private deliverResponse(message: JSONRPCResponse): Promise<boolean> | undefined {
    const id = message.id;
    if (this.sessionId === undefined || id === null || this.session?.hasPending(id)) {
      this.onmessage?.(message);
      return undefined;
    }
    const bus = this.host.bus;
    return bus.publish(responseChannel(this.sessionId), message).then(
      // A bus spanning nodes counts receivers: none means the waiting node is gone or cut off.
      // A one-process bus has no other node to wait: a stray reply is accepted and ignored.
      (receivers) => bus.nodeId === undefined || typeof receivers !== 'number' || receivers > 0,
      (e: unknown) => {
        this.host.reportError(e as Error);
        return false;
      },
    );
  }

  /**
   * A cancelled request gets no response (basic/utilities/cancellation), so its stream must not
   * wait for one. Returns whether the request was in flight here.
   */
  private cancelled(requestId: RequestId | undefined): boolean {
    if (requestId === undefined) return false;
    const s = this.routes?.get(requestId);
    if (!s) return false;
    this.routes!.delete(requestId);
    if (--s.open === 0) s.end();
    return true;
  }

  /** Another node received the client's cancellation of a request this node may be running. */
  cancelFromPeer(notification: JSONRPCNotification): void {
    const id = notification.params?.requestId as RequestId | undefined;
    if (id === undefined || !this.routes?.has(id)) return;
    this.onmessage?.(notification);
    this.cancelled(id);
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
   * requests are still running here, carrying the rest of it live. Replays wait for the reader.
   */
  async handleGet(res: ServerResponse, lastEventId: string | undefined, version: string): Promise<void> {
    const store = this.host.eventStore;
    if (lastEventId === undefined) {
      if (this.standalone && !this.standalone.closed) {
        sendError(res, 409, 'Conflict: a standalone SSE stream is already open for this session');
        return;
      }
      const w = (this.standalone = this.writer(res));
      const primed = version >= PRIMING_MIN_VERSION || canFollow(store) ? await store.append(this.standaloneId, undefined) : undefined;
      if (primed !== undefined && version >= PRIMING_MIN_VERSION) w.prime(primed, this.host.retryMs);
      // Any node may send on this stream: follow it from the cursor just taken.
      if (canFollow(store) && primed !== undefined) await followInto(store, w, this.standaloneId, primed);
      return;
    }
    const streamId = store.streamIdOf(lastEventId);
    if (streamId === undefined || !streamId.startsWith(`${this.sessionId}/`)) {
      sendError(res, 400, 'Bad Request: Last-Event-ID does not belong to this session');
      return;
    }
    const standalone = streamId === this.standaloneId;
    const live = standalone ? undefined : this.findStream(streamId);
    if (!standalone && !live) {
      if (await followForeign(this.host, this.sessionId!, res, this.headers(), streamId, lastEventId)) return;
      // Finished here, or running on another node we cannot follow: replay and end; the client polls again.
      return replayAndEnd(this.host, res, this.headers(), lastEventId);
    }
    const w = this.writer(res);
    w.retry(this.host.retryMs);
    // A followed stream dedupes replay and live events itself; otherwise hold live ones during the replay.
    const followed = standalone && canFollow(store);
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
    if (followed && canFollow(store)) {
      await followInto(store, w, streamId, lastEventId);
      return;
    }
    await replayThenRelease(this.host, w, lastEventId);
  }

  private findStream(streamId: string): PostStream | undefined {
    if (this.routes) for (const s of this.routes.values()) if (s.id === streamId) return s;
    return undefined;
  }

  // ---------- outbound ----------

  send(message: JSONRPCMessage, options?: SendOptions): Promise<void> {
    // No async function here: a response goes out with no promise of its own (see deliver).
    try {
      return this.route(message, options);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  private route(message: JSONRPCMessage, options: SendOptions | undefined): Promise<void> {
    if (this.closed) return Promise.reject(new ErlmcpError('ERR_CONNECTION_CLOSED', 'Session is closed'));
    const response = isResponse(message);
    let related = options?.relatedRequestId;
    if (related === undefined && response && message.id !== null) related = message.id;
    const stream = related === undefined ? undefined : this.routes?.get(related);
    let final = false;
    if (stream && response && message.id === related) {
      this.routes!.delete(related);
      final = --stream.open === 0;
    }
    if (response) {
      const write = this.sessionId === undefined ? undefined : this.host.pendingWrite(this.sessionId);
      const answer = (): Promise<void> => {
        if (this.initRequestId !== undefined && message.id === this.initRequestId) {
          this.initRequestId = undefined;
          // A failed initialize leaves a session nobody can use: drop it once the error is out.
          if ('error' in message) queueMicrotask(() => void (this.session ? this.session.close() : this.close()));
        }
        return this.deliver(message, stream, true, final);
      };
      return write ? write.then(answer) : answer();
    }
    if ('id' in message && this.sessionId !== undefined) return this.listenForReplies().then(() => this.deliver(message, stream, false, final));
    return this.deliver(message, stream, false, final);
  }

  private deliver(message: JSONRPCMessage, stream: PostStream | undefined, response: boolean, final: boolean): Promise<void> {
    try {
      // basic/transports#listening-for-messages-from-the-server: never a response on the GET stream.
      if (!stream) return response ? RESOLVED : this.sendStandalone(message);
      return stream.send(message, response, final, this.protocolVersion ?? '');
    } catch (e) {
      return Promise.reject(e);
    }
  }

  private async sendStandalone(message: JSONRPCMessage): Promise<void> {
    if (this.sessionId === undefined) return; // stateless: there is no standalone stream
    const store = this.host.eventStore;
    const json = encodeMessage(message);
    // Stored even with no GET connected: a client resuming the standalone stream receives it.
    const id = await store.append(this.standaloneId, message, { json });
    // With a follower, whichever node holds the GET stream (maybe this one) writes it from the store.
    if (canFollow(store)) return;
    const w = this.standalone;
    if (!w) return;
    w.event(id, message, json);
    if (w.congested) await w.drained();
  }

  /**
   * A draining server ends the standalone stream (and a resumed one) with a `retry` hint and
   * releases its socket: the client reconnects, with Last-Event-ID, to a node still serving.
   */
  hangUpStandalone(): void {
    const w = this.standalone;
    if (!w) return;
    this.standalone = undefined;
    w.hangUp(this.host.retryMs);
  }

  private closeStandaloneStream(): void {
    const w = this.standalone;
    if (!w) return;
    this.standalone = undefined;
    w.retry(this.host.retryMs);
    w.end();
  }

  private readonly closeNow = (): void => void this.close();

  private finishIfStateless(): void {
    // Closing the transport closes its session too (the session's close is this close).
    if (this.sessionId === undefined && !(this.routes && this.routes.size > 0)) queueMicrotask(this.closeNow);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const routes = this.routes;
    this.routes = undefined;
    if (routes && routes.size > 0) for (const s of new Set(routes.values())) s.abort();
    this.standalone?.end();
    this.standalone = undefined;
    const sub = this.replySub;
    this.replySub = undefined;
    sub?.then((unsubscribe) => unsubscribe()).catch((e: unknown) => this.host.reportError(e as Error));
    this.host.detach(this);
    this.onclose?.();
  }
}
