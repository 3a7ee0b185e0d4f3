/**
 * One POST's response (basic/transports#sending-messages-to-the-server): an SSE stream —
 * resumable once it has an id in the EventStore — or, in JSON mode, a pending JSON body that
 * becomes an SSE stream only if the request has something to say before its answer.
 *
 * Every SSE event is stored before it is written, so a dropped connection loses nothing; a
 * stream that ends normally (its last answer handed to the kernel) is deleted at once, one
 * whose connection closed first is kept for resumption (the store's TTL). Writing waits while
 * the reader is behind (SseWriter backpressure), so a chatty request runs at its reader's pace.
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { JSONRPCMessage, RequestId } from '../../protocol/types.js';
import type { EventId } from '../../stores/types.js';
import { PRIMING_MIN_VERSION, type SessionHost } from './session-host.js';
import { SseWriter } from './sse-writer.js';
import { sendError } from '../shared/http.js';
import { encodeBatch, encodeMessage } from '../../protocol/encode.js';

/** One settled promise for every send that completes at once. */
const RESOLVED: Promise<void> = Promise.resolve();
import { ModernErrorCode } from '../../protocol/eras.js';

const MISSING_CAPABILITY = ModernErrorCode.MissingRequiredClientCapability;

export class PostStream {
  /**
   * `<session>/<key>` in the EventStore. Minted on first need: a POST answered with one JSON
   * body never gets one (nothing of it is stored).
   */
  id: string | undefined;
  writer: SseWriter | undefined;
  /** The client holds an event id of this stream, so it can resume after we close it. */
  resumable = false;
  /** Requests of the POST still unanswered; the stream ends at zero. */
  open: number;
  /** JSON mode: the HTTP response and the answers collected so far. */
  private res: ServerResponse | undefined;
  private responses: JSONRPCMessage[] | undefined;
  private batch = false;

  constructor(
    private readonly host: SessionHost,
    /** undefined in stateless mode. */
    private readonly sessionId: string | undefined,
    /** The POST's request ids: the stream key names the one a resuming node owes. */
    readonly requestIds: readonly RequestId[],
    /** Events get ids and are stored (false: stateless, or initialize — answered at once). */
    private readonly storable: boolean,
    /** Called once the POST's response has ended. */
    private readonly onEnded: () => void,
  ) {
    this.open = requestIds.length;
  }

  private headers(): OutgoingHttpHeaders | undefined {
    return this.sessionId === undefined ? undefined : { 'mcp-session-id': this.sessionId };
  }

  /** The stream's EventStore id, minted on first need; undefined when its events are not stored. */
  private streamId(): string | undefined {
    if (!this.storable) return undefined;
    return (this.id ??= `${this.sessionId}/${this.host.nextStreamKey(this.requestIds)}`);
  }

  /** JSON mode: answers will be collected into one body. */
  answerAsJson(res: ServerResponse, batch: boolean): void {
    this.res = res;
    this.responses = [];
    this.batch = batch;
  }

  /** Starts the SSE response; basic/transports#sending-messages-to-the-server: primed with an event id and empty data. */
  async answerAsSse(res: ServerResponse, version: string): Promise<void> {
    const w = (this.writer = new SseWriter(res, this.headers(), this.host.sse));
    const id = this.streamId();
    if (id === undefined || version < PRIMING_MIN_VERSION) return;
    try {
      w.prime(await this.host.eventStore.append(id, undefined), this.host.retryMs);
      this.resumable = true;
    } catch (e) {
      this.host.reportError(e as Error);
    }
  }

  /**
   * Sends a message of this POST: `final` when it is the last answer owed. Resolves once it is
   * out — or, while the reader is behind, once the backlog has drained.
   */
  send(message: JSONRPCMessage, isResponse: boolean, final: boolean, version: string): Promise<void> {
    // JSON mode's answers complete at once: one shared settled promise, no new one per call.
    if (this.responses && isResponse) {
      this.responses.push(message);
      if (final) this.end();
      return RESOLVED;
    }
    return this.stream(message, isResponse, final, version);
  }

  private async stream(message: JSONRPCMessage, isResponse: boolean, final: boolean, version: string): Promise<void> {
    if (this.responses) {
      // JSON mode, but the request has something to say before its answer (progress, a log, a
      // sampling request). Its response has not started yet, so it becomes an SSE stream: the
      // spec lets the server pick either content type per request, and nothing is lost or
      // reordered onto the GET stream.
      await this.upgradeToSse(version);
    }
    const json = encodeMessage(message);
    let id: EventId | undefined;
    if (this.id !== undefined) {
      const out = this.writer;
      // Going straight out to a reader that keeps up: the store may keep this stream only briefly.
      const delivering = final && out !== undefined && !out.closed && !out.congested;
      try {
        id = await this.host.eventStore.append(this.id, message, { json, final: delivering });
      } catch (e) {
        // A store outage costs resumability, never the message: it is still written live, without an id.
        this.host.reportError(e as Error);
      }
    }
    // Read again: a resumption may have taken the stream over while the append was pending.
    const w = this.writer;
    if (w) {
      w.event(id, message, json);
      if (id !== undefined) this.resumable = true;
    }
    if (final) this.end();
    else if (w?.congested) await w.drained();
  }

  private async upgradeToSse(version: string): Promise<void> {
    const res = this.res;
    const collected = this.responses ?? [];
    this.res = undefined;
    this.responses = undefined;
    if (!res || res.headersSent) return;
    await this.answerAsSse(res, version);
    const id = this.id;
    for (const m of collected) {
      const json = encodeMessage(m);
      this.writer?.event(id === undefined ? undefined : await this.host.eventStore.append(id, m, { json }), m, json);
    }
  }

  /** The POST's last answer is out (or its requests were cancelled): end its response (basic/transports: SHOULD terminate the stream). */
  end(): void {
    if (this.res && this.responses) {
      const res = this.res;
      this.res = undefined;
      if (this.responses.length === 0) {
        res.writeHead(204, this.headers());
        res.end();
      } else {
        const first = this.responses[0]!;
        const body = this.batch ? encodeBatch(this.responses) : encodeMessage(first);
        const list = ['content-type', 'application/json', 'content-length', String(Buffer.byteLength(body))];
        if (this.sessionId !== undefined) list.push('mcp-session-id', this.sessionId);
        // 2026-07-28: a missing client capability is 400 even when found by the handler (A.11).
        const status = !this.batch && 'error' in first && first.error.code === MISSING_CAPABILITY ? 400 : 200;
        res.writeHead(status, list);
        res.end(body);
      }
    }
    const w = this.writer;
    this.writer = undefined;
    if (w) {
      const id = this.id;
      // Ended normally, its last answer handed to the kernel: the client most likely read it, but
      // one that disconnected just before may still resume, so the events go after a grace.
      if (id !== undefined && !w.closed) w.onFinish(() => this.host.streamFinished(id));
      w.end();
    }
    this.onEnded();
  }

  /** SEP-1699: ends the connection but not the stream; the client resumes with Last-Event-ID. */
  closeConnection(): void {
    const w = this.writer;
    if (!w || !this.resumable) return; // without an event id the client could not resume: keep it open
    this.writer = undefined;
    w.retry(this.host.retryMs);
    w.end();
  }

  /** The session is gone: end the connection; a JSON answer not yet started becomes a 404. */
  abort(): void {
    this.writer?.end();
    if (this.res && !this.res.headersSent) sendError(this.res, 404, 'Session terminated');
  }
}
