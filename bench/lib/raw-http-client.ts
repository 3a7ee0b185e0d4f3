/**
 * A minimal Streamable HTTP client on node:http with a keep-alive agent: initialize a session,
 * POST requests on it, DELETE it (basic/transports#streamable-http). Used as the same-for-all
 * driver for the session, long-run and raw-client measurements.
 */
import { Agent, request } from 'node:http';

export const PROTOCOL_VERSION = '2025-11-25';

export interface HttpReply {
  status: number;
  sessionId: string | undefined;
  contentType: string;
  text: string;
}

export function keepAliveAgent(maxSockets: number): Agent {
  return new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
}

export function httpRequest(url: string, method: string, agent: Agent, headers: Record<string, string>, body?: string): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent, headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const sid = res.headers['mcp-session-id'];
        resolve({ status: res.statusCode ?? 0, sessionId: typeof sid === 'string' ? sid : undefined, contentType: res.headers['content-type'] ?? '', text: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The JSON-RPC response in a reply, whether a JSON body or an SSE stream (last `data:` that parses as a response). */
export function replyMessage(r: HttpReply): { result?: unknown; error?: { message: string } } {
  if (r.status < 200 || r.status >= 300) throw new Error(`HTTP ${r.status}: ${r.text.slice(0, 200)}`);
  if (!r.contentType.startsWith('text/event-stream')) return JSON.parse(r.text) as { result?: unknown };
  for (const line of r.text.split('\n')) {
    if (!line.startsWith('data:')) continue;
    const data = line.slice(5).trim();
    if (!data) continue;
    const m = JSON.parse(data) as { id?: unknown; result?: unknown; error?: { message: string } };
    if ('result' in m || 'error' in m) return m;
  }
  throw new Error('SSE stream carried no response');
}

const BASE_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

export class RawHttpSession {
  private nextId = 1;
  private constructor(
    readonly url: string,
    readonly agent: Agent,
    readonly sessionId: string,
    readonly headers: Record<string, string>,
  ) {}

  /** POST initialize, then notifications/initialized, on `agent`. */
  static async open(url: string, agent: Agent, extraHeaders: Record<string, string> = {}): Promise<RawHttpSession> {
    const init = { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'bench-raw', version: '1.0.0' } } };
    const r = await httpRequest(url, 'POST', agent, { ...BASE_HEADERS, ...extraHeaders }, JSON.stringify(init));
    const m = replyMessage(r);
    if (m.error) throw new Error(`initialize failed: ${m.error.message}`);
    if (!r.sessionId) throw new Error('initialize reply carried no Mcp-Session-Id');
    const version = (m.result as { protocolVersion?: string }).protocolVersion ?? PROTOCOL_VERSION;
    const headers = { ...BASE_HEADERS, ...extraHeaders, 'mcp-session-id': r.sessionId, 'mcp-protocol-version': version };
    const n = await httpRequest(url, 'POST', agent, headers, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
    if (n.status !== 202) throw new Error(`notifications/initialized: HTTP ${n.status} ${n.text.slice(0, 200)}`);
    return new RawHttpSession(url, agent, r.sessionId, headers);
  }

  /** The body autocannon posts: the n-th tools/call (ids start high, clear of ours). */
  static toolsCallBody(n: number): string {
    return `{"jsonrpc":"2.0","id":${1_000_000_000 + n},"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello"}}}`;
  }

  async request(method: string, params?: unknown): Promise<unknown> {
    const body = JSON.stringify({ jsonrpc: '2.0', id: this.nextId++, method, params });
    const m = replyMessage(await httpRequest(this.url, 'POST', this.agent, this.headers, body));
    if (m.error) throw new Error(m.error.message);
    return m.result;
  }

  async delete(): Promise<void> {
    const r = await httpRequest(this.url, 'DELETE', this.agent, this.headers);
    if (r.status !== 200 && r.status !== 204) throw new Error(`DELETE: HTTP ${r.status} ${r.text.slice(0, 200)}`);
  }
}
