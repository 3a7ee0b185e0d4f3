/**
 * A small round-robin HTTP reverse proxy on node:http: each request goes to the next backend,
 * so consecutive requests of one MCP session land on different nodes — the harshest load
 * balancer a scale-out deployment can meet (no stickiness). Responses stream through as they
 * arrive (SSE included); a backend that refuses the connection is skipped and the request
 * retried on the next one (bodies are buffered, so a retry resends them). Used by the scale-out
 * tests; small enough to read as a reference for configuring a real balancer.
 */
import { request as httpRequest, createServer, Agent, type IncomingMessage, type Server, type ServerResponse, type OutgoingHttpHeaders } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A request as the picker sees it (body buffered). */
export interface ProxiedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

export interface ProxyLogEntry {
  method: string;
  url: string;
  /** Index of the backend that answered (or the last one tried). */
  backend: number;
  status: number | undefined;
  /** The request carried Last-Event-ID (an SSE resumption). */
  resume: boolean;
  /** First 200 bytes of the request body. */
  body: string;
}

export interface RoundRobinProxyOptions {
  /** Backend origins, e.g. `http://127.0.0.1:4001`. The request path is kept. */
  backends: string[];
  /** Chooses a backend index for a request; undefined = next in turn. */
  pick?: (req: ProxiedRequest, backends: number) => number | undefined;
  /** Largest buffered request body. Default 16 MiB. */
  maxBodyBytes?: number;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

function forwardable(headers: IncomingMessage['headers']): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
  return out;
}

export class RoundRobinProxy {
  readonly log: ProxyLogEntry[] = [];
  private backends: URL[];
  private next = 0;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly agent = new Agent({ keepAlive: true });
  private readonly maxBody: number;

  constructor(private readonly options: RoundRobinProxyOptions) {
    this.backends = options.backends.map((b) => new URL(b));
    this.maxBody = options.maxBodyBytes ?? 16 * 1024 * 1024;
  }

  setBackends(backends: string[]): void {
    this.backends = backends.map((b) => new URL(b));
  }

  /** Requests answered per backend index. */
  hits(): number[] {
    const counts = this.backends.map(() => 0);
    for (const e of this.log) if (e.status !== undefined) counts[e.backend] = (counts[e.backend] ?? 0) + 1;
    return counts;
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<{ url: string; port: number }> {
    const srv = (this.server = createServer((req, res) => void this.handle(req, res)));
    srv.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(port, host, () => {
        srv.off('error', reject);
        resolve();
      });
    });
    const actual = (srv.address() as AddressInfo).port;
    return { url: `http://${host}:${actual}`, port: actual };
  }

  async close(): Promise<void> {
    const srv = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    this.agent.destroy();
    if (srv) await new Promise<void>((resolve) => srv.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const c of req as AsyncIterable<Buffer>) {
        size += c.length;
        if (size > this.maxBody) {
          res.writeHead(413).end();
          return;
        }
        chunks.push(c);
      }
    } catch {
      return; // client went away mid-body
    }
    const body = Buffer.concat(chunks);
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const n = this.backends.length;
    const picked = this.options.pick?.({ method, url, headers: req.headers, body }, n);
    const first = picked !== undefined ? picked % n : this.next++ % n;
    const entry: ProxyLogEntry = { method, url, backend: first, status: undefined, resume: req.headers['last-event-id'] !== undefined, body: body.subarray(0, 200).toString() };
    this.log.push(entry);
    for (let attempt = 0; attempt < n; attempt++) {
      entry.backend = (first + attempt) % n;
      const outcome = await this.forward(req, res, body, this.backends[entry.backend]!);
      if (outcome === 'refused') continue;
      entry.status = outcome;
      return;
    }
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end('Bad Gateway: no backend reachable');
  }

  /** Resolves with the status once the response started, or 'refused' when nothing was received (safe to retry). */
  private forward(req: IncomingMessage, res: ServerResponse, body: Buffer, target: URL): Promise<number | 'refused'> {
    return new Promise((resolve) => {
      const headers = forwardable(req.headers);
      headers['content-length'] = String(body.length);
      const up = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers, agent: this.agent });
      let started = false;
      const onClientClose = (): void => {
        if (!res.writableFinished) up.destroy();
      };
      res.once('close', onClientClose);
      up.once('response', (upRes) => {
        started = true;
        const out = forwardable(upRes.headers);
        res.writeHead(upRes.statusCode ?? 502, out);
        res.flushHeaders();
        upRes.on('data', (c: Buffer) => res.write(c));
        upRes.once('end', () => res.end());
        // The backend died mid-stream: cut the client off too, as a real balancer would.
        upRes.once('aborted', () => res.destroy());
        upRes.once('error', () => res.destroy());
        resolve(upRes.statusCode ?? 502);
      });
      up.once('error', () => {
        res.off('close', onClientClose);
        if (started) {
          res.destroy();
          return;
        }
        if (res.destroyed) return resolve(502);
        resolve('refused');
      });
      up.end(body);
    });
  }
}
