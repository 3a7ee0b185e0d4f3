/**
 * Reads a Server-Sent Events body (basic/transports#streamable-http) into events.
 * Line parsing is `eventsource-parser` (WHATWG event-stream interpretation: CR, LF and CRLF line
 * ends, multi-line `data`, comments, `retry`). This wrapper adds what it leaves to the caller:
 * bytes → text with a streaming TextDecoder, so a chunk boundary inside a UTF-8 sequence is
 * harmless, and a bound on buffered text, so a server cannot grow our memory without limit.
 */
import { createParser } from 'eventsource-parser';
import { ErlmcpError } from '../../protocol/errors.js';

export interface SseEvent {
  /** The `event:` field; undefined when absent (the default "message" type). */
  readonly event: string | undefined;
  /** The `id:` field of this event; undefined when the event carried none. */
  readonly id: string | undefined;
  readonly data: string;
}

export interface SseHandlers {
  onEvent(event: SseEvent): void;
  /** The server's reconnection delay (`retry:` field), in ms. */
  onRetry?(ms: number): void;
}

export interface SseReadOptions {
  /** Most characters buffered for one unfinished line/event. Default 64 Mi. */
  maxBufferSize?: number;
}

const DEFAULT_MAX_BUFFER = 64 * 1024 * 1024;

/**
 * Reads `body` to its end. Resolves when the server ends the stream; rejects when the read fails
 * (network error, abort) or the buffer bound is exceeded (ERR_MESSAGE_TOO_LARGE). An event that
 * is not terminated by a blank line before the end is discarded, as the SSE standard says.
 * An exception thrown by a handler cancels the stream and rejects with it.
 */
export async function readSseStream(body: ReadableStream<Uint8Array>, handlers: SseHandlers, options?: SseReadOptions): Promise<void> {
  let failure: Error | undefined;
  const parser = createParser({
    maxBufferSize: options?.maxBufferSize ?? DEFAULT_MAX_BUFFER,
    onEvent: (e) => handlers.onEvent({ event: e.event, id: e.id, data: e.data }),
    onRetry: (ms) => handlers.onRetry?.(ms),
    onError: (e) => {
      // Unknown fields and malformed `retry` values are ignored, as the standard says; only the
      // buffer bound is fatal.
      if (e.type === 'max-buffer-size-exceeded') failure = new ErlmcpError('ERR_MESSAGE_TOO_LARGE', `SSE event exceeds ${options?.maxBufferSize ?? DEFAULT_MAX_BUFFER} characters`);
    },
  });
  const decoder = new TextDecoder('utf-8');
  const reader = body.getReader();
  let last = '';
  const feed = (text: string): void => {
    if (text === '') return;
    last = text;
    parser.feed(text);
    if (failure) throw failure;
  };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        feed(decoder.decode());
        // The parser holds back a final CR in case an LF follows; at the end of the stream it
        // is a complete line end. Adding the LF makes it the CRLF it stands for.
        if (last.endsWith('\r')) feed('\n');
        return;
      }
      feed(decoder.decode(value, { stream: true }));
    }
  } catch (e) {
    await reader.cancel().catch(() => {});
    throw e;
  } finally {
    reader.releaseLock();
  }
}
