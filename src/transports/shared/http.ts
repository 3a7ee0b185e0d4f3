/**
 * HTTP plumbing shared by the Streamable HTTP, legacy SSE and WebSocket servers: media types,
 * body size, and the JSON-RPC error bodies every rejection carries. Host/Origin checks are in
 * origin.ts. All pure functions over header strings, except those that touch node:http.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { ErrorCode } from '../../protocol/errors.js';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';


/** Media types listed in an Accept header, lower-cased, parameters dropped. */
function acceptedTypes(accept: string | undefined): string[] {
  if (!accept) return [];
  return accept.split(',').map((part) => part.split(';', 1)[0]!.trim().toLowerCase());
}

function accepts(types: string[], type: string): boolean {
  const major = `${type.slice(0, type.indexOf('/'))}/*`;
  return types.some((t) => t === type || t === major || t === '*/*');
}

/** A client sends the same Accept header on every request: remember the last answer. */
let lastAccept: string | undefined;
let lastAcceptOk = false;

/** basic/transports#sending-messages-to-the-server: POST must accept both JSON and SSE. */
export function acceptsJsonAndSse(accept: string | undefined): boolean {
  if (accept === lastAccept && accept !== undefined) return lastAcceptOk;
  const types = acceptedTypes(accept);
  const ok = accepts(types, 'application/json') && accepts(types, 'text/event-stream');
  lastAccept = accept;
  lastAcceptOk = ok;
  return ok;
}

/** basic/transports#listening-for-messages-from-the-server: GET must accept SSE. */
export function acceptsSse(accept: string | undefined): boolean {
  return accepts(acceptedTypes(accept), 'text/event-stream');
}

export function isJsonContentType(contentType: string | undefined): boolean {
  if (contentType === 'application/json') return true; // what nearly every client sends
  return contentType !== undefined && contentType.split(';', 1)[0]!.trim().toLowerCase() === 'application/json';
}

export function errorBody(code: number, message: string): string {
  return JSON.stringify({ jsonrpc: '2.0', id: null, error: { code, message } });
}

/** Ends `res` with an HTTP status and a JSON-RPC error object that has no id. */
export function sendError(res: ServerResponse, status: number, message: string, code: number = ErrorCode.ServerError, headers?: OutgoingHttpHeaders): void {
  if (res.headersSent) {
    if (!res.writableEnded) res.end();
    return;
  }
  const body = errorBody(code, message);
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Ends `res` with an HTTP status and a JSON-RPC error response for request `id` (2026-07-28: errors echo the id). */
export function sendRpcError(res: ServerResponse, status: number, id: unknown, error: { toJSON(): unknown }): void {
  if (res.headersSent) {
    if (!res.writableEnded) res.end();
    return;
  }
  const body = JSON.stringify({ jsonrpc: '2.0', id: id ?? null, error: error.toJSON() });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export type BodyResult = { ok: true; text: string } | { ok: false; status: number; code: number; message: string; headers?: Record<string, string> };

/**
 * Reads the body as UTF-8, refusing more than `maxBytes`: first by Content-Length (before
 * reading anything), then by counting bytes as they arrive (chunked or lying clients).
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<BodyResult> {
  const tooLarge: BodyResult = { ok: false, status: 413, code: ErrorCode.ServerError, message: `Payload too large: limit is ${maxBytes} bytes` };
  const declared = req.headers['content-length'];
  // Refused on its declared length, the body is never read: the answer closes the connection,
  // so Node does not read (and discard) up to Content-Length bytes before the next request.
  if (declared !== undefined && Number(declared) > maxBytes) return Promise.resolve({ ...tooLarge, headers: { connection: 'close' } });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (r: BodyResult): void => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      resolve(r);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        chunks.length = 0;
        finish(tooLarge);
        // Keep draining (discarding) so the 413 can still be written on this connection.
        req.resume();
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => finish({ ok: true, text: Buffer.concat(chunks, size).toString('utf8') });
    const onError = (e: Error): void => finish({ ok: false, status: 400, code: ErrorCode.ParseError, message: `Error reading body: ${e.message}` });
    // A client that disconnects mid-body may produce 'close' without 'end' or 'error'.
    const onClose = (): void => finish({ ok: false, status: 400, code: ErrorCode.ServerError, message: 'Request body incomplete' });
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/** Starts `srv` on host:port and returns the base URL (IPv6 hosts bracketed) and the real port. */
export async function listenOn(srv: Server, port: number, host: string): Promise<{ base: string; port: number }> {
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(port, host, () => {
      srv.off('error', reject);
      resolve();
    });
  });
  const actual = (srv.address() as AddressInfo).port;
  return { base: `http://${host.includes(':') ? `[${host}]` : host}:${actual}`, port: actual };
}

/** The first value of a request header. */
export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
