/**
 * The Streamable HTTP client's default way to make requests: a `fetch`-shaped function on
 * node:http(s) with a keep-alive agent. WHATWG fetch (undici) costs ~1 ms per request here in
 * Response/stream machinery; an MCP client sends many small POSTs, so the common case — a
 * JSON body or a short SSE stream — reads straight off the socket. Only an SSE body that the
 * transport streams is converted to a web ReadableStream, and only when asked for.
 * Users can still pass any `fetch` (proxies, custom TLS) through the transport's options.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

type FetchLike = (input: string | URL, init?: { method?: string; headers?: Record<string, string> | Headers | [string, string][]; body?: string; signal?: AbortSignal | null }) => Promise<Response>;

const agents = { http: new HttpAgent({ keepAlive: true, maxSockets: 256 }), https: new HttpsAgent({ keepAlive: true, maxSockets: 256 }) };

function toRecord(h: Record<string, string> | Headers | [string, string][] | undefined): Record<string, string> {
  if (!h) return {};
  if (h instanceof Headers) return Object.fromEntries(h.entries());
  if (Array.isArray(h)) return Object.fromEntries(h);
  return h;
}

/** The subset of Response the transports use, backed by an IncomingMessage. */
class NodeResponse {
  readonly status: number;
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null };
  private web: ReadableStream<Uint8Array> | undefined;
  private consumed = false;

  constructor(private readonly res: IncomingMessage) {
    this.status = res.statusCode ?? 0;
    this.ok = this.status >= 200 && this.status < 300;
    const raw = res.headers;
    this.headers = {
      get(name: string): string | null {
        const v = raw[name.toLowerCase()];
        return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
      },
    };
  }

  /**
   * The part of ReadableStream the SSE reader uses (getReader → read/cancel/releaseLock, and
   * cancel), read straight off the socket: Readable.toWeb would add a stream layer per event.
   */
  get body(): ReadableStream<Uint8Array> | null {
    if (this.consumed) return this.web ?? null;
    this.consumed = true;
    this.web = nodeBody(this.res);
    return this.web;
  }

  text(): Promise<string> {
    if (this.consumed) return Promise.reject(new TypeError('Body already consumed'));
    this.consumed = true;
    const res = this.res;
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.once('end', () => resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8')));
      res.once('error', reject);
    });
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text()) as unknown;
  }
}

function nodeBody(res: IncomingMessage): ReadableStream<Uint8Array> {
  const it = res[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const cancel = async (): Promise<void> => {
    res.destroy();
    await it.return?.().catch(() => undefined);
  };
  const reader = {
    read: async (): Promise<{ done: boolean; value: Uint8Array | undefined }> => {
      const r = await it.next();
      return r.done ? { done: true, value: undefined } : { done: false, value: r.value };
    },
    cancel,
    releaseLock: (): void => {},
    closed: new Promise<undefined>((resolve) => res.once('close', () => resolve(undefined))),
  };
  return { getReader: () => reader, cancel, locked: false } as unknown as ReadableStream<Uint8Array>;
}

export const nodeFetch: FetchLike = (input, init) => {
  const url = typeof input === 'string' ? new URL(input) : input;
  const https = url.protocol === 'https:';
  const signal = init?.signal ?? undefined;
  if (signal?.aborted) return Promise.reject(signal.reason instanceof Error ? signal.reason : new DOMException('This operation was aborted', 'AbortError'));
  const headers = toRecord(init?.headers);
  const body = init?.body;
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  return new Promise((resolve, reject) => {
    const req = (https ? httpsRequest : httpRequest)(url, { method: init?.method ?? 'GET', headers, agent: https ? agents.https : agents.http }, (res) => {
      // Errors reach whoever reads the body (text() / the reader); unread, an abort must not crash.
      res.on('error', () => {});
      resolve(new NodeResponse(res) as unknown as Response);
      // The abort listener lives as long as the response body is being read.
      res.once('close', cleanup);
    });
    const onAbort = (): void => {
      const reason: unknown = signal?.reason;
      // Settle with the abort reason ourselves; destroying without an error keeps it off every
      // other emitter (socket, response) where nobody may be listening.
      reject(reason instanceof Error ? reason : new DOMException('This operation was aborted', 'AbortError'));
      req.destroy();
    };
    const cleanup = (): void => signal?.removeEventListener('abort', onAbort);
    signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (e) => {
      cleanup();
      reject(e);
    });
    req.end(body);
  });
};
