/**
 * A JSON-RPC session with no client logic in between, over either transport: the checks that
 * must send what a well-behaved client never would (an unknown protocol version, a second
 * initialize, a line that is not JSON) use this instead of the Client.
 */
import { postHeaders, rawHttp, responseTo, type RawResponse } from './raw-http.js';
import { RawStdio } from './raw-stdio.js';
import type { Target } from './target.js';

export interface RawSession {
  /** Sends a request and resolves with its response message, or undefined if none came in time. */
  request(method: string, params?: Record<string, unknown>): Promise<Record<string, unknown> | undefined>;
  notify(method: string, params?: Record<string, unknown>): Promise<void>;
  /** HTTP: the last raw answer (status, headers) — for checks on the HTTP layer. */
  readonly last: RawResponse | undefined;
  readonly sessionId: string | undefined;
  close(): Promise<void>;
}

/** Opens a raw connection (for stdio: a new server process); nothing is sent yet. */
export function openRaw(target: Target, timeoutMs: number): RawSession {
  let nextId = 1;
  if (target.kind === 'stdio') {
    const proc = new RawStdio(target);
    return {
      last: undefined,
      sessionId: undefined,
      request: (method, params) => proc.request(`v${nextId++}`, method, params, timeoutMs),
      notify: async (method, params) => proc.notify(method, params),
      close: async () => {
        if (!(await proc.closeStdin(1000))) await proc.kill();
      },
    };
  }
  const s: RawSession & { last: RawResponse | undefined; sessionId: string | undefined } = {
    last: undefined,
    sessionId: undefined,
    async request(method, params) {
      const id = `v${nextId++}`;
      const body = JSON.stringify(params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params });
      const res = await rawHttp(target.url, { headers: { ...target.headers, ...postHeaders(s.sessionId, version) }, body, timeoutMs, until: (m) => m.id === id });
      s.last = res;
      const sid = res.headers['mcp-session-id'];
      if (method === 'initialize' && typeof sid === 'string') s.sessionId = sid;
      const reply = responseTo(res, id);
      if (method === 'initialize') {
        const v = (reply?.result as { protocolVersion?: unknown } | undefined)?.protocolVersion;
        if (typeof v === 'string') version = v;
      }
      return reply;
    },
    async notify(method, params) {
      const body = JSON.stringify(params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params });
      s.last = await rawHttp(target.url, { headers: { ...target.headers, ...postHeaders(s.sessionId, version) }, body, timeoutMs });
    },
    async close() {
      if (s.sessionId === undefined) return;
      await rawHttp(target.url, { method: 'DELETE', headers: { ...target.headers, ...postHeaders(s.sessionId, version) }, timeoutMs }).catch(() => undefined);
    },
  };
  let version: string | undefined;
  return s;
}

/** The initialize request's params for `protocolVersion`. */
export function initializeParams(protocolVersion: string): Record<string, unknown> {
  return { protocolVersion, capabilities: {}, clientInfo: { name: 'erlmcp-validate', version: '1' } };
}
