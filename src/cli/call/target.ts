/**
 * What `erlmcp call` connects to: a URL (http(s):// Streamable HTTP with the legacy HTTP+SSE
 * fallback, ws(s):// WebSocket, tcp:// or tls:// TCP) or a command after `--` spawned as a
 * stdio server.
 */
import { McpError } from '../../protocol/errors.js';
import type { Client } from '../../client/index.js';
import { connectHttp } from '../../transports/connect-http.js';
import { StdioClientTransport } from '../../transports/stdio/index.js';
import { TcpClientTransport } from '../../transports/tcp/index.js';
import { WebSocketClientTransport } from '../../transports/ws/index.js';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from '../errors.js';

export type Target = { kind: 'url'; url: URL } | { kind: 'stdio'; command: string; args: string[] };

export function describeTarget(t: Target): string {
  return t.kind === 'url' ? t.url.href : [t.command, ...t.args].join(' ');
}

/** A URL with a scheme erlmcp can speak, or a usage error. */
export function parseTargetUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CliError(`"${text}" is not a URL. Give a server URL (http://127.0.0.1:3000/mcp) or a command after -- (erlmcp call tools -- node server.js)`, EXIT_USAGE);
  }
  if (!['http:', 'https:', 'ws:', 'wss:', 'tcp:', 'tls:'].includes(url.protocol)) {
    throw new CliError(`${url.protocol}// is not a transport erlmcp can call: use http(s)://, ws(s)://, tcp:// or tls://`, EXIT_USAGE);
  }
  return url;
}

export interface ConnectOptions {
  headers?: Record<string, string>;
  /** Collects the stdio server's stderr (shown when it fails). */
  onServerStderr?: (text: string) => void;
}

/** Connects `client` to `target`; failures say which server and why (including a stdio server's exit status). */
export async function connectTarget(client: Client, target: Target, o: ConnectOptions = {}): Promise<void> {
  if (target.kind === 'stdio') {
    const transport = new StdioClientTransport({ command: target.command, args: target.args, stderr: 'pipe', env: process.env as Record<string, string> });
    transport.stderr?.setEncoding('utf8').on('data', (d: string) => o.onServerStderr?.(d));
    try {
      await client.connect(transport);
    } catch (e) {
      // Let the exit status arrive: "exited with code 1" says more than "connection closed".
      for (let i = 0; i < 40 && !transport.exitStatus; i++) await new Promise((r) => setTimeout(r, 25));
      const status = transport.exitStatus;
      const how = status ? (status.signal ? `was killed by ${status.signal}` : `exited with code ${status.code}`) : `failed: ${(e as Error).message}`;
      throw new CliError(`the server command \`${describeTarget(target)}\` ${how} before completing initialize`, EXIT_FAILURE, { cause: e });
    }
    return;
  }
  const { url } = target;
  try {
    if (url.protocol === 'http:' || url.protocol === 'https:') await connectHttp(client, url, { headers: o.headers });
    else if (url.protocol === 'ws:' || url.protocol === 'wss:') await client.connect(new WebSocketClientTransport(url, { headers: o.headers }));
    else await client.connect(new TcpClientTransport({ host: url.hostname, port: Number(url.port), ...(url.protocol === 'tls:' ? { tls: {} } : {}) }));
  } catch (e) {
    if (e instanceof McpError) throw new CliError(`${url.href} refused initialize: ${e.message}`, EXIT_FAILURE, { cause: e });
    const code = (e as { cause?: { code?: string } }).cause?.code ?? (e as { code?: string }).code;
    const hint = code === 'ECONNREFUSED' ? ' (nothing listens there: is the server running, on that port?)' : '';
    throw new CliError(`cannot connect to ${url.href}: ${(e as Error).message}${hint}`, EXIT_FAILURE, { cause: e });
  }
}
