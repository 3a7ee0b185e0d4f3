/**
 * Newline framing for the stdio transport (basic/transports#stdio), reused as is by TCP:
 * messages are delimited by newlines and MUST NOT contain embedded newlines, so a frame is
 * simply "bytes up to '\n'".
 *
 * Cost is linear in the bytes received: each pushed chunk is scanned once, from where the
 * previous scan stopped, and a message's pieces are concatenated once, when its newline
 * arrives. Re-scanning or re-concatenating the buffer on every chunk would make a large
 * message delivered in small pieces quadratic.
 *
 * The size limit is enforced while buffering: once a partial message passes the limit the
 * framer stops keeping its bytes, drops everything up to the next newline and reports the
 * overflow once, so a peer cannot make us hold an unbounded line in memory.
 */
import { Buffer } from 'node:buffer';
import type { JSONRPCErrorResponse, JSONRPCMessage } from '../../protocol/types.js';
import { encodeMessage } from '../../protocol/encode.js';
import { ErrorCode } from '../../protocol/errors.js';
import { errorResponse } from '../../protocol/jsonrpc.js';

/** Default per-message limit: 16 MiB, excluding the newline. */
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/** How much of an oversized message is kept to look for its `id`. */
const ID_PREFIX_BYTES = 4096;
const NEWLINE = 0x0a;
const CR = 0x0d;

export interface OverflowInfo {
  /** Bytes of the message seen when the limit was crossed (always > the limit). */
  bytes: number;
  /** The message's JSON-RPC id if it could be read from its first few KiB, else null. */
  id: string | number | null;
}

export interface NewlineFramerOptions {
  /** Largest accepted message in bytes, excluding the newline (and an optional '\r'). */
  maxMessageBytes?: number;
  onframe?: (line: string) => void;
  onoverflow?: (info: OverflowInfo) => void;
}

export class NewlineFramer {
  readonly maxMessageBytes: number;
  /** Called with each complete, non-empty line (UTF-8 decoded, without '\r\n'). */
  onframe?: (line: string) => void;
  /** Called once per message that exceeds `maxMessageBytes`. */
  onoverflow?: (info: OverflowInfo) => void;

  private chunks: Buffer[] = [];
  private buffered = 0;
  /** True while dropping the rest of an oversized message up to its newline. */
  private discarding = false;

  constructor(options?: NewlineFramerOptions) {
    const max = options?.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    if (!Number.isInteger(max) || max <= 0) throw new RangeError(`maxMessageBytes must be a positive integer, got ${String(max)}`);
    this.maxMessageBytes = max;
    this.onframe = options?.onframe;
    this.onoverflow = options?.onoverflow;
  }

  /** Bytes of an incomplete message currently held. */
  get pendingBytes(): number {
    return this.buffered;
  }

  /** Drops any partial message (e.g. when the stream ends without a final newline). */
  reset(): void {
    this.chunks = [];
    this.buffered = 0;
    this.discarding = false;
  }

  push(chunk: Buffer | string): void {
    const data = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    let start = 0;
    while (start < data.length) {
      // Only the newly arrived bytes are scanned; buffered pieces never are again.
      const nl = data.indexOf(NEWLINE, start);
      if (nl === -1) {
        this.append(data.subarray(start));
        return;
      }
      this.complete(data.subarray(start, nl));
      start = nl + 1;
    }
  }

  /** Holds a piece of a message that has no newline yet, unless that passes the limit. */
  private append(piece: Buffer): void {
    if (this.discarding || piece.length === 0) return;
    // One byte of slack: a message of exactly the limit may still be followed by '\r\n'.
    if (this.buffered + piece.length > this.maxMessageBytes + 1) {
      this.discarding = true;
      this.overflow(piece, this.buffered + piece.length);
      return;
    }
    this.chunks.push(piece);
    this.buffered += piece.length;
  }

  /** The newline of the current message arrived; `last` is its final piece. */
  private complete(last: Buffer): void {
    if (this.discarding) {
      // The oversized message ends here and was already reported; serve the next one.
      this.reset();
      return;
    }
    let length = this.buffered + last.length;
    const tail = last.length > 0 ? last : this.chunks[this.chunks.length - 1];
    if (tail !== undefined && tail[tail.length - 1] === CR) length -= 1;
    if (length > this.maxMessageBytes) {
      this.overflow(last, length);
      this.reset();
      return;
    }
    let line: Buffer;
    if (this.chunks.length === 0) line = last;
    else {
      this.chunks.push(last);
      // The single concatenation for this message.
      line = Buffer.concat(this.chunks, this.buffered + last.length);
    }
    this.reset();
    if (length === 0) return; // empty line: nothing to deliver
    this.onframe?.(line.toString('utf8', 0, length));
  }

  private overflow(last: Buffer, bytes: number): void {
    const parts: Buffer[] = [];
    let have = 0;
    for (const c of [...this.chunks, last]) {
      if (have >= ID_PREFIX_BYTES) break;
      const take = c.subarray(0, ID_PREFIX_BYTES - have);
      parts.push(take);
      have += take.length;
    }
    // Free the buffered pieces before calling out.
    this.chunks = [];
    this.buffered = 0;
    this.onoverflow?.({ bytes, id: recoverId(Buffer.concat(parts, have).toString('utf8')) });
  }
}

/**
 * Finds a top-level `"id"` member (integer or string) in the start of a JSON object, so an
 * oversized request can still be answered with an error the peer can correlate. A regex would
 * also match an `"id"` nested in params; this walks the text tracking depth and strings.
 */
export function recoverId(prefix: string): string | number | null {
  let depth = 0;
  let i = 0;
  const n = prefix.length;
  const skipWs = (): void => {
    while (i < n && (prefix[i] === ' ' || prefix[i] === '\t' || prefix[i] === '\r' || prefix[i] === '\n')) i++;
  };
  /** Reads a JSON string starting at the quote at i; returns its decoded value or undefined. */
  const readString = (): string | undefined => {
    const begin = i;
    i++;
    while (i < n) {
      const ch = prefix[i];
      if (ch === '\\') i += 2;
      else if (ch === '"') {
        i++;
        try {
          return JSON.parse(prefix.slice(begin, i)) as string;
        } catch {
          return undefined;
        }
      } else i++;
    }
    return undefined; // truncated
  };
  let expectKey = false;
  while (i < n) {
    const ch = prefix[i];
    if (ch === '"') {
      const atKey = depth === 1 && expectKey;
      const s = readString();
      if (s === undefined) return null;
      if (atKey) {
        skipWs();
        if (prefix[i] !== ':') return null;
        i++;
        if (s === 'id') {
          skipWs();
          if (prefix[i] === '"') {
            const v = readString();
            return v === undefined ? null : v;
          }
          // Require a delimiter after the digits: a number cut off by the prefix end is unknown.
          const m = /^-?(?:0|[1-9]\d*)(?=[\s,}])/.exec(prefix.slice(i, i + 32));
          return m && Number.isSafeInteger(Number(m[0])) ? Number(m[0]) : null;
        }
        expectKey = false;
      }
      continue;
    }
    if (ch === '{' || ch === '[') {
      if (depth === 0 && ch !== '{') return null;
      depth++;
      expectKey = ch === '{' && depth === 1;
    } else if (ch === '}' || ch === ']') {
      depth--;
      if (depth <= 0) return null;
    } else if (ch === ',' && depth === 1) {
      expectKey = true;
    }
    i++;
  }
  return null;
}

/** One stdio frame: the JSON text plus the delimiter. JSON.stringify never emits raw newlines. */
export function serialize(message: JSONRPCMessage): string {
  return encodeMessage(message) + '\n';
}

/** The answer to an oversized message: -32600 with its recovered id, so the peer's call fails instead of hanging. */
export function tooLargeResponse(info: OverflowInfo, limit: number): JSONRPCErrorResponse {
  return errorResponse(info.id, {
    code: ErrorCode.InvalidRequest,
    message: `Message of ${info.bytes} bytes exceeds the ${limit}-byte limit`,
    data: { limit, bytes: info.bytes },
  });
}
