/**
 * Writes one HTTP response as a Server-Sent Events stream
 * (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation).
 * It can *hold* live events while a resumption replays stored ones, then release the held
 * events it did not already replay — so a reconnecting client sees each event exactly once.
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { JSONRPCMessage } from '../../protocol/types.js';

/** A client this far behind is dropped: it reconnects with Last-Event-ID instead of us buffering without bound. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

interface Held {
  id: string | undefined;
  message: JSONRPCMessage;
}

export class SseWriter {
  private held: Held[] | undefined;
  private endAfterRelease = false;
  private ended = false;

  constructor(
    private readonly res: ServerResponse,
    headers?: OutgoingHttpHeaders,
  ) {
    res.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache, no-transform',
      // Reverse proxies (nginx) otherwise buffer the stream.
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
  }

  /** True once ended by us or closed by the client; writes then become no-ops. */
  get closed(): boolean {
    return this.ended || this.res.destroyed || this.res.writableEnded;
  }

  /** Writes a `retry` field alone (the client's reconnection delay). */
  retry(ms: number): void {
    this.write(`retry: ${ms}\n\n`);
  }

  /** The priming event: an id and empty data, the client's first Last-Event-ID (SEP-1699). */
  prime(id: string, retryMs: number): void {
    this.write(`id: ${id}\nretry: ${retryMs}\ndata: \n\n`);
  }

  /** Writes a message now, or queues it while held. */
  event(id: string | undefined, message: JSONRPCMessage): void {
    if (this.held) this.held.push({ id, message });
    else this.writeEvent(id, message);
  }

  /** Writes a replayed message, bypassing the hold. */
  replay(id: string, message: JSONRPCMessage): void {
    this.writeEvent(id, message);
  }

  hold(): void {
    this.held ??= [];
  }

  /** Flushes held events except those already replayed, then applies a deferred end. */
  release(replayed: ReadonlySet<string>): void {
    const held = this.held;
    this.held = undefined;
    if (held) for (const h of held) if (h.id === undefined || !replayed.has(h.id)) this.writeEvent(h.id, h.message);
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
    if (!this.res.writableEnded) this.res.end();
  }

  private writeEvent(id: string | undefined, message: JSONRPCMessage): void {
    // JSON.stringify escapes CR and LF, so the data never spans lines.
    const data = JSON.stringify(message);
    this.write(id === undefined ? `data: ${data}\n\n` : `id: ${id}\ndata: ${data}\n\n`);
  }

  private write(chunk: string): void {
    if (this.closed) return;
    if (this.res.writableLength > MAX_BUFFERED_BYTES) {
      this.ended = true;
      this.res.destroy();
      return;
    }
    this.res.write(chunk);
  }
}
