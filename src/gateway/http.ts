/**
 * The gateway over Streamable HTTP: `/mcp`, `/health` reflecting the upstreams, and the gateway's
 * own authentication in front (features/auth: the resource server on the admission seam). The
 * client's token is checked here and never forwarded: each upstream gets only the credentials
 * its config names.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { installSecurity, type InstalledSecurity } from '../features/auth/configure.js';
import { StreamableHttpServer, type StreamableHttpServerOptions } from '../transports/http/server.js';
import type { Gateway } from './gateway.js';

/** StreamableHttpServer whose `/health` and `/ready` also report the upstreams. */
export class GatewayHttpServer extends StreamableHttpServer {
  constructor(
    readonly gateway: Gateway,
    options: Omit<StreamableHttpServerOptions, 'server'> = {},
  ) {
    super({ ...options, server: gateway.server });
  }

  /**
   * `GET /health`: 200 with `status` 'ok' (every upstream ready) or 'degraded' (some are), 503
   * 'down' when none is; `GET /ready`: 503 also while the gateway's own stores are unreachable.
   */
  override async handleHealth(req: IncomingMessage, res: ServerResponse, kind: 'health' | 'ready'): Promise<void> {
    const gw = this.gateway.health();
    const base = kind === 'health' ? this.health() : await this.ready();
    const ok = ('ready' in base ? base.ready : true) && gw.status !== 'down';
    const text = JSON.stringify({ ...base, status: gw.status, upstreams: gw.upstreams });
    res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
    res.end(req.method === 'HEAD' ? undefined : text);
  }
}

export interface ServeHttpOptions extends Omit<StreamableHttpServerOptions, 'server'> {
  port?: number;
  host?: string;
}

export interface ServingHttp {
  url: string;
  port: number;
  http: GatewayHttpServer;
  close(): Promise<void>;
}

/**
 * Serves the gateway on HTTP, with its `auth` config (if any) installed first.
 *
 * @example
 * const { url } = await serveGatewayHttp(gateway, { port: 8080 });
 */
export async function serveGatewayHttp(gateway: Gateway, options: ServeHttpOptions = {}): Promise<ServingHttp> {
  const { port = 0, host = '127.0.0.1', routes, ...rest } = options;
  let security: InstalledSecurity | undefined;
  if (gateway.config.auth) security = await installSecurity(gateway.server, gateway.config.auth);
  const http = new GatewayHttpServer(gateway, { ...rest, routes: { ...security?.routes, ...routes } });
  const listening = await http.listen(port, host);
  security?.bind(listening.url);
  return {
    ...listening,
    http,
    async close() {
      await http.close();
      await security?.close();
    },
  };
}
