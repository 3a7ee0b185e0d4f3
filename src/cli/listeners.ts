/**
 * The transports `erlmcp start` serves one McpServer on, in this process:
 * - one HTTP (or HTTPS, with TLS) server carrying Streamable HTTP at /mcp, `GET /health` and
 *   `/ready`, optionally the 2024-11-05 HTTP+SSE endpoints (/sse + /messages, `--legacy-sse`)
 *   and WebSocket upgrades at /mcp/ws (`--ws`);
 * - optionally newline-delimited JSON over TCP, or TLS with the same certificate (`--tcp-port`);
 * - or stdio alone (`--stdio`): stdout is then the protocol channel, so nothing else writes there.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { httpProtection, type ProtectionConfig } from '../features/protection.js';
import type { McpServer } from '../server/index.js';
import type { TransportCounts } from '../features/telemetry/prometheus-runtime.js';
import type { EventStore } from '../stores/index.js';
import type { RedisStores } from '../stores/redis/index.js';
import { StreamableHttpServer } from '../transports/http/index.js';
import { sendError } from '../transports/shared/http.js';
import { isLoopbackHost } from '../transports/shared/origin.js';
import { LegacySseServer } from '../transports/sse-legacy/index.js';
import { StdioServerTransport } from '../transports/stdio/index.js';
import { McpTcpServer } from '../transports/tcp/index.js';
import { DEFAULT_WS_PATH, McpWebSocketServer } from '../transports/ws/index.js';
import { AdminEndpoint } from './admin.js';
import { CliError, EXIT_USAGE, listenError } from './errors.js';
import { version } from './version.js';
import type { StartOptions } from './start.js';

export interface Endpoints {
  /** The Streamable HTTP endpoint; for `--stdio`, the string "stdio". */
  url: string;
  /** HTTP(S) port; 0 with `--stdio`. */
  port: number;
  healthUrl?: string;
  readyUrl?: string;
  /** `GET /status` (erlmcp status). */
  statusUrl?: string;
  wsUrl?: string;
  legacySseUrl?: string;
  tcpUrl?: string;
}

export interface Listeners extends Endpoints {
  /** Stops every listener and ends every session on them (not the McpServer nor the stores). */
  close(): Promise<void>;
}

export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

/** Reads `--tls-cert`/`--tls-key`; both or neither. */
export function readTls(o: Pick<StartOptions, 'tlsCert' | 'tlsKey'>): TlsFiles | undefined {
  if (!o.tlsCert && !o.tlsKey) return undefined;
  if (!o.tlsCert || !o.tlsKey) throw new CliError(`--tls-cert and --tls-key go together (got only ${o.tlsCert ? '--tls-cert' : '--tls-key'})`, EXIT_USAGE);
  const read = (flag: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (e) {
      throw new CliError(`${flag} ${path}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, EXIT_USAGE);
    }
  };
  return { cert: read('--tls-cert', o.tlsCert), key: read('--tls-key', o.tlsKey) };
}

function hostInUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** Serves stdio only. `onEnd` runs when the client closes our stdin (the usual way a stdio session ends). */
export async function serveStdio(server: McpServer, onEnd: () => void): Promise<Listeners> {
  const transport = new StdioServerTransport();
  const session = await server.connect(transport);
  session.onclose = onEnd;
  return { url: 'stdio', port: 0, close: () => session.close() };
}

/** What `serveNetwork` returns: the endpoints, and the drain and crash hooks of the HTTP server. */
export interface NetworkListeners extends Listeners {
  readonly nodeId: string;
  /** Open connections and SSE streams per transport now (for `/metrics`). */
  counts(): TransportCounts[];
  /** The Streamable HTTP server's event store (memory, or the Redis one). */
  readonly eventStore: EventStore;
  drain(graceMs: number, handover: boolean): Promise<void>;
  failInFlight(reason: string): Promise<void>;
}

type Route = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Serves HTTP(S) with the chosen extras, and TCP when `tcpPort` is set. `routes` are more paths
 * on the HTTP port (/metrics, OAuth metadata). Streamable HTTP's own listener carries everything,
 * so its connection cap, keep-alive and drain cover the extras too.
 */
export async function serveNetwork(
  server: McpServer,
  o: StartOptions,
  protection: ProtectionConfig,
  stores: RedisStores | undefined,
  log: (line: string) => void,
  routes: Record<string, Route> = {},
): Promise<NetworkListeners> {
  const tls = readTls(o);
  const legacy = o.legacySse ? new LegacySseServer({ server, dnsRebindingProtection: isLoopbackHost(o.host), allowedHosts: protection.allowedHosts, allowedOrigins: protection.allowedOrigins }) : undefined;
  if (legacy) legacy.onerror = (e) => log(`erlmcp: legacy SSE: ${e.message}`);
  const ws = o.ws ? new McpWebSocketServer({ server, ...(protection.allowedOrigins ? { allowedOrigins: protection.allowedOrigins } : {}) }) : undefined;
  if (ws) ws.onerror = (e) => log(`erlmcp: websocket: ${e.message}`);
  const transports = ['streamable-http', ...(o.ws ? ['websocket'] : []), ...(o.legacySse ? ['legacy-sse'] : []), ...(o.tcpPort !== undefined ? ['tcp'] : [])];
  let admin: AdminEndpoint | undefined;
  const all: Record<string, Route> = { ...routes, '/status': (req, res) => void admin!.handle(req, res) };
  if (legacy) {
    const viaLegacy: Route = (req, res) => {
      void legacy.handle(req, res).then((handled) => handled || sendError(res, 404, 'Not Found'));
    };
    all['/sse'] = viaLegacy;
    all['/messages'] = viaLegacy;
  }
  const streamable = new StreamableHttpServer({
    server,
    enableJsonResponse: o.json,
    routes: all,
    observe: (_req, res) => admin!.track(res),
    ...(tls ? { tls } : {}),
    ...stores?.seams,
    ...httpProtection(protection),
  });
  streamable.onerror = (e) => log(`erlmcp: ${e.message}`);
  admin = new AdminEndpoint({ server, node: streamable.nodeId, version: version(), transports, stores, token: o.adminToken });
  const tcp = o.tcpPort !== undefined ? new McpTcpServer({ server, ...(tls ? { tls: { cert: tls.cert, key: tls.key } } : {}) }) : undefined;
  if (tcp) tcp.onerror = (e) => log(`erlmcp: tcp: ${e.message}`);

  const closeAll = async (): Promise<void> => {
    await Promise.all([
      legacy?.close().catch((e: Error) => log(`erlmcp: closing legacy SSE: ${e.message}`)),
      ws?.close().catch((e: Error) => log(`erlmcp: closing websocket: ${e.message}`)),
      tcp?.close().catch((e: Error) => log(`erlmcp: closing tcp: ${e.message}`)),
    ]);
    await streamable.close().catch((e: Error) => log(`erlmcp: closing http: ${e.message}`));
  };

  let port: number;
  try {
    ({ port } = await streamable.listen(o.port, o.host));
  } catch (e) {
    await closeAll();
    throw listenError(e, `cannot serve HTTP${tls ? 'S' : ''}`, o.host, o.port, '--port');
  }
  ws?.attach(streamable.listener!);
  let tcpUrl: string | undefined;
  if (tcp) {
    try {
      tcpUrl = (await tcp.listen(o.tcpPort, o.host)).url;
    } catch (e) {
      await closeAll();
      throw listenError(e, `cannot serve TCP${tls ? ' (TLS)' : ''}`, o.host, o.tcpPort!, '--tcp-port');
    }
  }
  const base = `${tls ? 'https' : 'http'}://${hostInUrl(o.host)}:${port}`;
  const wsBase = `${tls ? 'wss' : 'ws'}://${hostInUrl(o.host)}:${port}`;
  return {
    url: `${base}/mcp`,
    port,
    healthUrl: `${base}/health`,
    readyUrl: `${base}/ready`,
    statusUrl: `${base}/status`,
    ...(ws ? { wsUrl: `${wsBase}${DEFAULT_WS_PATH}` } : {}),
    ...(legacy ? { legacySseUrl: `${base}/sse` } : {}),
    ...(tcpUrl ? { tcpUrl } : {}),
    nodeId: streamable.nodeId,
    counts: () => {
      const { connections, sseStreams } = streamable.stats();
      const out: TransportCounts[] = [{ transport: 'streamable_http', connections, sseStreams }];
      if (ws) out.push({ transport: 'websocket', connections: ws.connectionCount });
      if (tcp) out.push({ transport: 'tcp', connections: tcp.connectionCount });
      if (legacy) out.push({ transport: 'legacy_sse', sseStreams: legacy.sessionCount });
      return out;
    },
    eventStore: streamable.eventStore,
    drain: (graceMs, handover) => streamable.drain(graceMs, { handover }),
    failInFlight: (reason) => streamable.failInFlight(reason),
    close: closeAll,
  };
}
