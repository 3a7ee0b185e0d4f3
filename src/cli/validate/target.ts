/**
 * A validate/bench target: an http(s) URL (Streamable HTTP) or a command line run as a stdio
 * server (`erlmcp validate -- node server.js`). `connect()` opens a Client session on it with
 * our own transports, so what a real client sees is what the checks see.
 */
import { Client } from '../../client/index.js';
import { ErlmcpError } from '../../protocol/errors.js';
import { StreamableHttpClientTransport } from '../../transports/http/index.js';
import { StdioClientTransport } from '../../transports/stdio/index.js';

export type Target =
  | { kind: 'http'; url: URL; label: string; /** Sent on every request (e.g. authorization). */ headers: Record<string, string> }
  | { kind: 'stdio'; command: string; args: string[]; label: string; env?: Record<string, string>; cwd?: string };

/**
 * `words` are the command's operands: one http(s) URL, or a command and its arguments.
 * `headers` ("Name: value") go on every HTTP request; they apply to URL targets only.
 */
export function parseTarget(words: string[], headers: string[] = []): Target {
  if (words.length === 0) throw new ErlmcpError('ERR_INVALID_ARGUMENT', 'A target is needed: an http(s) URL, or -- <command> [args] for a stdio server.');
  if (words.length === 1 && /^https?:\/\//i.test(words[0]!)) {
    let url: URL;
    try {
      url = new URL(words[0]!);
    } catch {
      throw new ErlmcpError('ERR_INVALID_ARGUMENT', `Not a valid URL: ${words[0]}`);
    }
    return { kind: 'http', url, label: url.href, headers: parseHeaders(headers) };
  }
  if (headers.length) throw new ErlmcpError('ERR_INVALID_ARGUMENT', '--header applies to URL targets only (a stdio server gets no HTTP headers).');
  const [command, ...args] = words;
  return { kind: 'stdio', command: command!, args, label: words.map((w) => (/\s/.test(w) ? JSON.stringify(w) : w)).join(' ') };
}

function parseHeaders(lines: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    const name = line.slice(0, i).trim().toLowerCase();
    if (i <= 0 || !/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name)) throw new ErlmcpError('ERR_INVALID_ARGUMENT', `Not a header ("Name: value"): ${line}`);
    out[name] = line.slice(i + 1).trim();
  }
  return out;
}

export interface Session {
  client: Client;
  /** Present for a stdio server: the process we started. */
  pid: number | undefined;
  /** HTTP only: the transport, for the session id. */
  http: StreamableHttpClientTransport | undefined;
  close(): Promise<void>;
}

export interface ConnectOptions {
  timeoutMs: number;
  protocolVersion?: string;
}

/** Opens an initialized Client session on the target (for stdio: a new server process). */
export async function connect(target: Target, opts: ConnectOptions): Promise<Session> {
  // validateOutput off: a structuredContent that misses its schema is a finding to report,
  // not an exception that would end the check.
  const client = new Client({ name: 'erlmcp-validate', version: '1' }, { defaultTimeoutMs: opts.timeoutMs, validateOutput: false, protocolVersion: opts.protocolVersion });
  client.onerror = () => {}; // transport hiccups surface as failed requests
  if (target.kind === 'http') {
    const http = new StreamableHttpClientTransport(target.url, { headers: target.headers, reconnection: { maxRetries: 0, initialDelayMs: 100 } });
    await client.connect(http);
    return {
      client,
      pid: undefined,
      http,
      async close() {
        await http.terminateSession().catch(() => {});
        await client.close();
      },
    };
  }
  const stdio = new StdioClientTransport({ command: target.command, args: target.args, env: target.env, cwd: target.cwd, stderr: 'ignore' });
  await client.connect(stdio);
  return { client, pid: stdio.pid, http: undefined, close: () => client.close() };
}
