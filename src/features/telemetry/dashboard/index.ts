/**
 * `/dashboard`: a live page of sessions, requests/s, latency per method and tool, errors and
 * cluster nodes, fed by Server-Sent Events (`/dashboard/events`, one snapshot a second while
 * someone watches). Opt-in. Without admission hooks on the server it answers only loopback
 * clients that name a loopback Host (DNS rebinding); with hooks (auth configured) it admits
 * whoever they admit.
 *
 * @example
 * const dash = createDashboard(server);
 * const http = new StreamableHttpServer({ server, routes: dash.routes });
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { McpServer } from '../../../server/server.js';
import { DASHBOARD_HTML, DASHBOARD_JS } from './page.js';
import { DashboardStats, type Snapshot } from './stats.js';

export { DashboardStats, mergeParts, type Snapshot, type RecentError, type RawRow, type StatsPart } from './stats.js';
export { aggregateDashboards, shareDashboard } from './cluster.js';

export interface DashboardOptions {
  /** Snapshot period in ms. Default 1000. */
  intervalMs?: number;
  /** Live cluster node count (e.g. from the Redis heartbeats). */
  nodeCount?: () => number | Promise<number>;
  /** The stats to show, already instrumented. Default: new stats instrumenting `server`. */
  stats?: DashboardStats;
  /**
   * Where each snapshot comes from. Default: `stats.snapshot()` (this process). A worker of
   * `erlmcp start --cluster N` passes `shareDashboard(stats)` (cluster.ts): the merged figures of every worker.
   */
  snapshot?: () => Promise<Snapshot>;
}

export interface Dashboard {
  readonly routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void>;
  readonly stats: DashboardStats;
  /** Ends every open event stream and stops the timer. */
  close(): void;
}

const LOOPBACK_ADDRESSES = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

function hostName(host: string | undefined): string {
  if (!host) return '';
  const h = host.toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.lastIndexOf(':');
  return colon === -1 ? h : h.slice(0, colon);
}

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; frame-ancestors 'none'",
};

export function createDashboard(server: McpServer, options: DashboardOptions = {}): Dashboard {
  const stats = options.stats ?? new DashboardStats().instrument(server);
  if (options.nodeCount) stats.nodeCount = options.nodeCount;
  const snapshot = options.snapshot ?? (() => stats.snapshot());
  const viewers = new Set<ServerResponse>();
  let timer: NodeJS.Timeout | undefined;

  const push = (): void => {
    // A failed collection (the supervisor did not answer) skips one frame; the page keeps the last.
    snapshot().then(
      (s) => {
        const frame = `data: ${JSON.stringify(s)}\n\n`;
        for (const res of viewers) res.write(frame);
      },
      () => {},
    );
  };

  /** Whether `req` may see the dashboard; answers the refusal itself when not. */
  async function admitted(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    if (server.hasAdmission) {
      const a = await server.admission({
        transport: 'http',
        method: req.method,
        path: (req.url ?? '/').split('?', 1)[0],
        headers: req.headers,
        remoteAddress: req.socket.remoteAddress,
        sessionId: undefined,
      });
      if (a.ok) return true;
      res.writeHead(a.refusal.status, { ...a.refusal.headers, 'content-type': 'text/plain' }).end(`${a.refusal.message}\n`);
      return false;
    }
    if (LOOPBACK_ADDRESSES.has(req.socket.remoteAddress ?? '') && LOOPBACK_NAMES.has(hostName(req.headers.host))) return true;
    res.writeHead(403, { 'content-type': 'text/plain' }).end('Forbidden: the dashboard answers loopback clients only unless authentication is configured\n');
    return false;
  }

  const guard =
    (serve: (req: IncomingMessage, res: ServerResponse) => void) =>
    (req: IncomingMessage, res: ServerResponse): void => {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('Method Not Allowed\n');
        return;
      }
      admitted(req, res).then(
        (ok) => ok && serve(req, res),
        () => res.writeHead(500).end(),
      );
    };

  const page = (type: string, body: string) => (req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': type, 'content-length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  };

  const events = (req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream', connection: 'keep-alive' });
    if (req.method === 'HEAD') return void res.end();
    res.write('retry: 2000\n\n');
    viewers.add(res);
    snapshot().then(
      (s) => res.write(`data: ${JSON.stringify(s)}\n\n`),
      () => {},
    );
    // The timer runs only while someone watches.
    timer ??= setInterval(push, options.intervalMs ?? 1000).unref();
    res.on('close', () => {
      viewers.delete(res);
      if (viewers.size === 0 && timer) {
        clearInterval(timer);
        timer = undefined;
      }
    });
  };

  return {
    routes: {
      '/dashboard': guard(page('text/html; charset=utf-8', DASHBOARD_HTML)),
      '/dashboard/app.js': guard(page('text/javascript; charset=utf-8', DASHBOARD_JS)),
      '/dashboard/events': guard(events),
    },
    stats,
    close() {
      if (timer) clearInterval(timer);
      timer = undefined;
      for (const res of viewers) res.end();
      viewers.clear();
    },
  };
}
