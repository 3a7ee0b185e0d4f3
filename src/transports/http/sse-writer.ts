/**
 * Writes one HTTP response as a Server-Sent Events stream
 * (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation).
 *
 * - Coalescing: everything written in one tick (headers, priming event, events, end) leaves in
 *   one socket write, flushed on `process.nextTick` — a call answered at once costs one syscall.
 * - Backpressure: `congested` / `drained()` tell producers to wait while more than the
 *   high-water mark (1 MiB) is queued, so a chatty tool runs at its reader's pace. A reader that
 *   consumes nothing of such a backlog for `stallTimeoutMs` is cut (the response is destroyed;
 *   the client resumes with Last-Event-ID). Live output that still piles past `maxBufferedBytes`
 *   (producers that do not wait) ends the stream there: what is queued still goes out, then the
 *   client resumes from the last id it got. Replayed output is exempt — it waits instead.
 * - Hold/release: live events are held while a resumption replays stored ones, then the held
 *   events not already replayed are written — so a reconnecting client sees each event once.
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { JSONRPCMessage } from '../../protocol/types.js';
import { encodeMessage } from '../../protocol/encode.js';

const MiB = 1024 * 1024;
/** Pending text past this is written at once rather than at the end of the tick. */
const FLUSH_AT = 64 * 1024;

export interface SseWriterOptions {
  /** Queued bytes above which producers should wait (`congested`, `drained()`). Default 1 MiB. */
  highWaterBytes?: number;
  /** Live output past this backlog ends the stream (producers that do not wait). Default 8 MiB. */
  maxBufferedBytes?: number;
  /** A backlog above the high-water mark of which the client reads nothing for this long is cut. Default 5000 ms. */
  stallTimeoutMs?: number;
  /** Kept up to date with the streams open (StreamableHttpServer counts its streams here for `stats()`). */
  openStreams?: { count: number };
}

interface Held {
  id: string | undefined;
  text: string;
}

const SSE_HEADERS: readonly string[] = ['content-type', 'text/event-stream', 'cache-control', 'no-cache, no-transform', 'x-accel-buffering', 'no'];

/**
 * Response headers as node:http's flat `[name, value, …]` list: writeHead takes it without
 * walking and validating an object's keys — about 10 µs of a 70 µs SSE answer (server-cpu.ts).
 * `base` comes first; `extra` adds the rest (a name in both is taken from `base`).
 */
export function headerList(extra: OutgoingHttpHeaders | undefined, base: readonly string[]): string[] {
  const list = base.slice();
  if (extra) {
    for (const k in extra) {
      const v = extra[k];
      if (v === undefined || base.includes(k)) continue;
      if (Array.isArray(v)) for (const x of v) list.push(k, x);
      else list.push(k, String(v));
    }
  }
  return list;
}

function flushTick(w: SseWriter): void {
  w.flushTick();
}

export class SseWriter {
  private readonly highWater: number;
  private readonly maxBuffered: number;
  private readonly stallMs: number;
  /** Text written this tick, not yet handed to the response. */
  private pending = '';
  private flushQueued = true;
  private held: Held[] | undefined;
  private heldBytes = 0;
  private endAfterRelease = false;
  private ended = false;
  /** Characters handed to `res` so far: with its `writableLength`, tells how much the client consumed. */
  private written = 0;
  private stallTimer: NodeJS.Timeout | undefined;
  private consumedMark = 0;
  private waiting: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly res: ServerResponse,
    headers?: OutgoingHttpHeaders,
    options?: SseWriterOptions,
  ) {
    this.highWater = options?.highWaterBytes ?? MiB;
    this.maxBuffered = options?.maxBufferedBytes ?? 8 * MiB;
    this.stallMs = options?.stallTimeoutMs ?? 5000;
    // Reverse proxies (nginx) otherwise buffer the stream.
    res.writeHead(200, headerList(headers, SSE_HEADERS));
    const open = options?.openStreams;
    if (open !== undefined) {
      open.count++;
      res.once('close', () => open.count--);
    }
    // The headers leave with the first events, or alone at the end of this tick.
    process.nextTick(flushTick, this);
  }

  /** True once ended by us, cut, or closed by the client; writes then become no-ops. */
  get closed(): boolean {
    return this.ended || this.res.destroyed || this.res.writableEnded;
  }

  /** Bytes queued in this process for the client: pending, held and not yet taken by the kernel. */
  get backlog(): number {
    return this.pending.length + this.heldBytes + this.res.writableLength;
  }

  /** More than the high-water mark is queued: a producer should `await drained()` before its next message. */
  get congested(): boolean {
    return this.backlog > this.highWater;
  }

  /**
   * Resolves once the backlog is back under the high-water mark, or the stream is closed or
   * cut (then the caller's messages only go to the EventStore).
   */
  drained(): Promise<void> {
    if (this.closed || !this.congested) return Promise.resolve();
    this.watchStall();
    return this.nextWake().then(() => this.drained());
  }

  /** Calls `listener` once the response has been handed whole to the kernel ('finish'); never if it is cut or closed first. */
  onFinish(listener: () => void): void {
    this.res.once('finish', listener);
  }

  /** Calls `listener` once the connection is gone (ended, cut or closed by the client). */
  onClose(listener: () => void): void {
    if (this.res.destroyed || this.res.writableFinished) listener();
    else this.res.once('close', listener);
  }

  /** Writes a `retry` field alone (the client's reconnection delay). */
  retry(ms: number): void {
    this.queue(`retry: ${ms}\n\n`);
  }

  /** The priming event: an id and empty data, the client's first Last-Event-ID (SEP-1699). */
  prime(id: string, retryMs: number): void {
    this.queue(`id: ${id}\nretry: ${retryMs}\ndata: \n\n`);
  }

  /** Writes a live message (held while a replay runs). `json`: the message already serialised. */
  event(id: string | undefined, message: JSONRPCMessage, json?: string): void {
    if (this.closed) return;
    const text = eventText(id, json ?? encodeMessage(message));
    if (this.held) {
      this.held.push({ id, text });
      this.heldBytes += text.length;
    } else this.live(text);
  }

  /**
   * Writes a replayed message, bypassing the hold and the live cut. Returns a promise when the
   * backlog is over the high-water mark: the replay awaits it before the next event.
   */
  replay(id: string, message: JSONRPCMessage, json?: string): Promise<void> | undefined {
    if (this.closed) return undefined;
    this.queue(eventText(id, json ?? encodeMessage(message)));
    return this.congested ? this.drained() : undefined;
  }

  hold(): void {
    this.held ??= [];
  }

  /** Flushes held events except those already replayed, then applies a deferred end. */
  release(replayed: ReadonlySet<string>): void {
    const held = this.held;
    this.held = undefined;
    this.heldBytes = 0;
    if (held) for (const h of held) if (h.id === undefined || !replayed.has(h.id)) this.live(h.text);
    this.signal();
    if (this.endAfterRelease) this.end();
  }

  /** Ends the response (after pending held events, if holding). */
  end(): void {
    if (this.held) {
      this.endAfterRelease = true;
      return;
    }
    if (this.ended) return;
    this.ended = true;
    const text = this.pending;
    this.pending = '';
    if (this.res.destroyed || this.res.writableEnded) return this.signal();
    this.written += text.length;
    this.res.end(text === '' ? undefined : text);
    // A reader stuck on the tail must not hold it (and its socket) forever.
    if (this.congested) this.watchStall();
    this.signal();
  }

  /**
   * Sends a `retry` hint, then closes the connection without ending the response normally: a
   * draining server's way to end a stream. A cleanly ended response would hand its keep-alive
   * socket back to the client's pool, and a request sent on it just as we close it would fail
   * before any response byte; a cut-off body makes the client drop the socket, then reconnect
   * after `retryMs` (with Last-Event-ID) — to another node.
   */
  hangUp(retryMs: number): void {
    if (this.closed) return;
    this.held = undefined;
    this.heldBytes = 0;
    this.retry(retryMs);
    this.ended = true;
    const text = this.pending;
    this.pending = '';
    this.written += text.length;
    if (text !== '') this.res.write(text);
    const socket = this.res.socket;
    // end() first: the queued bytes go out before the FIN (destroy() alone would drop them); then
    // release the socket without waiting for the client to close its side.
    if (socket) {
      socket.once('finish', () => socket.destroy());
      socket.end();
    } else this.res.destroy();
    this.signal();
  }

  /** @internal the end-of-tick flush. */
  flushTick(): void {
    this.flushQueued = false;
    if (this.ended || this.res.destroyed) return;
    if (this.pending !== '') this.flush();
    else if (!this.res.headersSent) this.res.flushHeaders();
  }

  private live(text: string): void {
    // Too far behind for live output: end here, cleanly. Everything is in the EventStore and what
    // is queued (the priming id included) still goes out, so the client resumes from where it got
    // to; a reader that takes none of it is cut by the stall check.
    if (this.backlog > this.maxBuffered) return this.end();
    this.queue(text);
    if (this.congested) this.watchStall();
  }

  private queue(text: string): void {
    if (this.closed) return;
    this.pending = this.pending === '' ? text : this.pending + text;
    if (this.pending.length >= FLUSH_AT) this.flush();
    else if (!this.flushQueued) {
      this.flushQueued = true;
      process.nextTick(flushTick, this);
    }
  }

  private flush(): void {
    const text = this.pending;
    this.pending = '';
    this.written += text.length;
    this.res.write(text);
  }

  /** Destroys the response: the client sees it end early and resumes with Last-Event-ID. */
  private cut(): void {
    this.ended = true;
    this.pending = '';
    this.held = undefined;
    this.heldBytes = 0;
    clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
    this.res.destroy();
    this.signal();
  }

  /** Arms the stall check: while congested, the client must consume *something* every `stallMs`. */
  private watchStall(): void {
    if (this.stallTimer) return;
    this.consumedMark = this.written - this.res.writableLength;
    this.stallTimer = setTimeout(() => {
      this.stallTimer = undefined;
      if (this.res.destroyed || this.res.writableFinished) return;
      if (!this.congested) return this.signal(); // drained without a 'drain' event: let waiters look again
      if (this.written - this.res.writableLength > this.consumedMark) return this.watchStall();
      this.cut();
    }, this.stallMs);
    this.stallTimer.unref();
  }

  /** A promise settled by the next 'drain', close, release or cut. */
  private nextWake(): Promise<void> {
    this.waiting ??= new Promise<void>((resolve) => {
      const res = this.res;
      const done = (): void => {
        res.off('drain', done);
        res.off('close', done);
        this.waiting = undefined;
        this.wake = undefined;
        resolve();
      };
      this.wake = done;
      res.on('drain', done);
      res.on('close', done);
    });
    return this.waiting;
  }

  private signal(): void {
    this.wake?.();
  }
}

function eventText(id: string | undefined, json: string): string {
  // JSON.stringify escapes CR and LF, so the data never spans lines.
  return id === undefined ? `data: ${json}\n\n` : `id: ${id}\ndata: ${json}\n\n`;
}
