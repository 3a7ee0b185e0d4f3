/**
 * The Streamable HTTP client's default way to make requests: a `fetch`-shaped function on
 * node:http(s) with a keep-alive agent. WHATWG fetch (undici) costs ~1 ms per request here in
 * Response/stream machinery; an MCP client sends many small POSTs, so the common case — a
 * JSON body or a short SSE stream — reads straight off the socket. Only an SSE body that the
 * transport streams is converted to a web ReadableStream, and only when asked for.
 * Users can still pass any `fetch` (proxies, custom TLS) through the transport's options.
 */
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { KeepAliveHttpAgent, KeepAliveHttpsAgent } from './keep-alive-agent.js';

export type FetchLike = (
  input: string | URL,
  init?: { method?: string; headers?: Record<string, string> | Headers | [string, string][]; body?: string | Uint8Array | null; signal?: AbortSignal | null },
) => Promise<Response>;

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

/** Options of {@link createNodeFetch}. */
export interface NodeFetchOptions {
  /**
   * How long (ms) a pooled connection may sit idle when the server announces no
   * `Keep-Alive: timeout`. Default 4000. An announced timeout N is honoured as N s − 1 s.
   */
  idleMs?: number;
  /** Connections per origin. Default 256. */
  maxSockets?: number;
}

/**
 * A `fetch`-shaped function on node:http(s) with its own connection pool. A pooled connection
 * idles for less than the server's announced keep-alive timeout (keep-alive-agent.ts), and a
 * request that went out on a pooled connection the server had already closed — the connection
 * ends before one byte of an answer — is sent once more on a new connection.
 *
 * @example
 * const transport = new StreamableHttpClientTransport(url, { fetch: createNodeFetch({ idleMs: 2000 }) as typeof fetch });
 */
export function createNodeFetch(options: NodeFetchOptions = {}): FetchLike {
  const agents = { http: new KeepAliveHttpAgent(options), https: new KeepAliveHttpsAgent(options) };
  return (input, init) => {
    const url = typeof input === 'string' ? new URL(input) : input;
    const https = url.protocol === 'https:';
    const signal = init?.signal ?? undefined;
    if (signal?.aborted) return Promise.reject(abortError(signal));
    const body = init?.body ?? undefined;
    // A retry sends the body again, so only bodies that can be re-read are accepted.
    if (body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array)) {
      return Promise.reject(new TypeError('nodeFetch sends string or Uint8Array bodies only'));
    }
    const headers = toRecord(init?.headers);
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    const method = init?.method ?? 'GET';
    const pool = https ? agents.https : agents.http;
    const send = https ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      let req: ClientRequest;
      let settled = false;
      const onAbort = (): void => {
        settled = true;
        // Settle with the abort reason ourselves; destroying without an error keeps it off every
        // other emitter (socket, response) where nobody may be listening.
        reject(abortError(signal!));
        req.destroy();
      };
      const cleanup = (): void => signal?.removeEventListener('abort', onAbort);
      const attempt = (retry: boolean): void => {
        // The retry takes a connection of its own (agent: false), never another pooled one
        // that may have been closed in the same instant.
        const r = send(url, { method, headers, agent: retry ? false : pool }, (res) => {
          pool.noteResponse(res);
          // Errors reach whoever reads the body (text() / the reader); unread, an abort must not crash.
          res.on('error', () => {});
          settled = true;
          resolve(new NodeResponse(res) as unknown as Response);
          // The abort listener lives as long as the response body is being read.
          res.once('close', cleanup);
        });
        r.on('error', (e: NodeJS.ErrnoException) => {
          if (settled) return;
          // The keep-alive race: the server closed this pooled connection, on its idle timer, as
          // the request went out, so it never read the request, and the connection ended before
          // one byte of an answer. Sending it again on a new connection is then safe for a POST
          // too (a server that read it and died before answering looks the same; that is rare
          // next to the race). Once any byte of an answer has arrived, or on a connection that
          // was new, the error stands.
          if (!retry && (e.code === 'ECONNRESET' || e.code === 'EPIPE') && pool.unansweredOnReusedSocket(r)) {
            attempt(true);
            return;
          }
          settled = true;
          cleanup();
          reject(e);
        });
        req = r;
        r.end(body);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      attempt(false);
    });
  };
}

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new DOMException('This operation was aborted', 'AbortError');
}

/** The default: one pool per process, shared by every transport that is given no `fetch`. */
export const nodeFetch: FetchLike = createNodeFetch();
