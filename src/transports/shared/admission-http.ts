/**
 * Runs a server's admission hooks (server/admission.ts) for one HTTP request, before any
 * session lookup, and answers a refusal itself: status, the hook's headers (WWW-Authenticate,
 * Retry-After) and a JSON-RPC error body. Shared by Streamable HTTP, legacy SSE and the
 * WebSocket upgrade.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode } from '../../protocol/errors.js';
import type { AuthInfo } from '../../protocol/transport.js';
import type { Admission, AdmissionRefusal, AdmissionRequest, McpServer } from '../../server/index.js';
import { header } from './http.js';

export function admissionRequest(transport: AdmissionRequest['transport'], req: IncomingMessage): AdmissionRequest {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return {
    transport,
    method: req.method,
    path: q === -1 ? url : url.slice(0, q),
    headers: req.headers,
    remoteAddress: req.socket.remoteAddress,
    sessionId: header(req, 'mcp-session-id'),
  };
}

/** The JSON-RPC error body of a refusal. */
export function refusalBody(r: AdmissionRefusal): string {
  const error: Record<string, unknown> = { code: r.code ?? ErrorCode.ServerError, message: r.message };
  if (r.data !== undefined) error.data = r.data;
  return JSON.stringify({ jsonrpc: '2.0', id: null, error });
}

/**
 * Admits `req` (returning its identity, possibly undefined) or answers the refusal and returns
 * false. Synchronous when every hook is (a remembered token, an API key): no promise per request.
 */
export function admit(server: McpServer, transport: AdmissionRequest['transport'], req: IncomingMessage, res: ServerResponse): AuthInfo | undefined | false | Promise<AuthInfo | undefined | false> {
  const a = server.admission(admissionRequest(transport, req));
  return a instanceof Promise ? a.then((r) => settle(r, res)) : settle(a, res);
}

function settle(a: Admission, res: ServerResponse): AuthInfo | undefined | false {
  if (a.ok) return a.identity;
  const r = a.refusal;
  if (!res.headersSent) {
    const body = refusalBody(r);
    res.writeHead(r.status, { ...r.headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }
  return false;
}
