/**
 * The 2026-07-28 side of the Streamable HTTP endpoint (basic/transports/streamable-http): the
 * era is decided per request from the body (a `_meta` protocolVersion claim is modern; no claim
 * or `initialize` is legacy), then a modern request climbs the validation ladder in the spec's
 * order, each rung with its HTTP status, every error echoing the request id:
 * envelope -32602/400 → header vs body version -32020/400 → version -32022/400 → standard
 * headers (Mcp-Method, Mcp-Name) -32020/400 → method registry -32601/404. What passes is served
 * by a one-request session.
 */
import type { IncomingMessage } from 'node:http';
import { ErrorCode, McpError } from '../../protocol/errors.js';
import { envelopeVersion, hasModernClaim, headerMismatch, isModernVersion, isSupportedModernVersion, ModernErrorCode, unsupportedVersion } from '../../protocol/eras.js';
import type { JSONRPCRequest, RequestId } from '../../protocol/types.js';
import type { McpServer } from '../../server/index.js';
import { header } from '../shared/http.js';
import { decodeHeaderValue } from './modern-headers.js';
import { paramHeaderMismatch } from './param-headers.js';

export { decodeHeaderValue } from './modern-headers.js';

export type Inbound =
  | { kind: 'legacy' }
  | { kind: 'modern'; message: JSONRPCRequest | { jsonrpc: '2.0'; method: string; params?: Record<string, unknown> }; id: RequestId | undefined; version: string }
  | { kind: 'reject'; status: number; id: RequestId | null; error: McpError };

/** HTTP status of each ladder error (the SDKs agree: -32601 is 404 so it is told from a legacy 404 by its body). */
const STATUS: Record<number, number> = { [ErrorCode.InvalidParams]: 400, [ErrorCode.InvalidRequest]: 400, [ErrorCode.MethodNotFound]: 404, [ModernErrorCode.HeaderMismatch]: 400, [ModernErrorCode.MissingRequiredClientCapability]: 400, [ModernErrorCode.UnsupportedProtocolVersion]: 400 };

export function statusOf(code: number): number {
  return STATUS[code] ?? 400;
}

/** `Mcp-Name` mirrors this param per method (SEP-2663 adds the tasks methods' taskId). */
const NAME_SOURCE: Record<string, string | undefined> = { 'tools/call': 'name', 'prompts/get': 'name', 'resources/read': 'uri', 'tasks/get': 'taskId', 'tasks/update': 'taskId', 'tasks/cancel': 'taskId' };

function reject(id: RequestId | null, error: McpError): Inbound {
  return { kind: 'reject', status: statusOf(error.code), id, error };
}

/** Decides the era of one parsed POST body and, for a modern request, runs the ladder. */
export function classifyInbound(req: IncomingMessage, value: unknown, server: McpServer): Inbound {
  const headerVersion = header(req, 'mcp-protocol-version');
  const modernHeader = headerVersion !== undefined && isModernVersion(headerVersion);
  if (Array.isArray(value)) {
    // No batches on the modern wire: a batch with a modern claim in it is malformed.
    if (value.some((m) => hasModernClaim((m as { params?: unknown } | null)?.params))) return reject(null, new McpError(ErrorCode.InvalidRequest, 'Invalid request: JSON-RPC batches are not part of protocol 2026-07-28'));
    return { kind: 'legacy' };
  }
  if (typeof value !== 'object' || value === null || typeof (value as { method?: unknown }).method !== 'string') return { kind: 'legacy' };
  const message = value as JSONRPCRequest;
  const id = 'id' in message ? message.id : undefined;
  const rid = id ?? null;
  if (!hasModernClaim(message.params)) {
    if (!modernHeader) return { kind: 'legacy' };
    if (message.method === 'initialize') return reject(rid, headerMismatch(`MCP-Protocol-Version ${headerVersion} cannot open a legacy session with initialize`));
    return reject(rid, new McpError(ErrorCode.InvalidParams, `MCP-Protocol-Version ${headerVersion} needs the request envelope in params._meta`));
  }
  let version: string;
  try {
    version = envelopeVersion(message.params as Record<string, unknown>);
  } catch (e) {
    return reject(rid, e as McpError);
  }
  if (headerVersion === undefined) return reject(rid, headerMismatch('MCP-Protocol-Version header is required'));
  if (headerVersion !== version) return reject(rid, headerMismatch(`MCP-Protocol-Version ${headerVersion} does not match the body's protocol version ${version}`));
  if (!isSupportedModernVersion(version)) return reject(rid, unsupportedVersion(version));
  if (id === undefined) return { kind: 'modern', message, id, version };
  const method = header(req, 'mcp-method');
  if (method === undefined) return reject(rid, headerMismatch('Mcp-Method header is required'));
  if (method !== message.method) return reject(rid, headerMismatch(`Mcp-Method ${method} does not match the body's method ${message.method}`));
  const source = NAME_SOURCE[message.method];
  if (source !== undefined) {
    const raw = header(req, 'mcp-name');
    const expected = (message.params as Record<string, unknown> | undefined)?.[source];
    if (raw === undefined) return reject(rid, headerMismatch(`Mcp-Name header is required for ${message.method}`));
    const name = decodeHeaderValue(raw.trim());
    if (name === undefined || name !== expected) return reject(rid, headerMismatch(`Mcp-Name does not match params.${source}`));
  }
  if (!server.servesModern(message.method)) return reject(rid, new McpError(ErrorCode.MethodNotFound, `Method not found: ${message.method}`));
  if (message.method === 'tools/call') {
    const mismatch = paramHeaderMismatch(req, server, message.params as Record<string, unknown>);
    if (mismatch) return reject(rid, mismatch);
  }
  return { kind: 'modern', message, id, version };
}
