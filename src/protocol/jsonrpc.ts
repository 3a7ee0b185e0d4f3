/**
 * JSON-RPC 2.0 codec: classify an already-parsed value and build responses.
 * Validation is a handful of typeof checks — deliberately no schema library on the hot path;
 * method-specific params are checked by the handler that owns them.
 */
import { ErrorCode } from './errors.js';
import type {
  JSONRPCErrorObject,
  JSONRPCErrorResponse,
  JSONRPCMessage,
  JSONRPCNotification,
  JSONRPCRequest,
  JSONRPCResponse,
  JSONRPCResultResponse,
  RequestId,
  Result,
} from './types.js';

export type Classified =
  | { kind: 'request'; message: JSONRPCRequest }
  | { kind: 'notification'; message: JSONRPCNotification }
  | { kind: 'response'; message: JSONRPCResponse }
  | { kind: 'invalid'; id: RequestId | null; reason: string };

function isId(v: unknown): v is RequestId {
  return typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v));
}

/** Classifies one JSON-RPC message (not a batch). */
export function classify(value: unknown): Classified {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { kind: 'invalid', id: null, reason: 'Message must be a JSON object' };
  }
  const m = value as Record<string, unknown>;
  const rawId = m.id;
  const id = isId(rawId) ? rawId : null;
  if (m.jsonrpc !== '2.0') return { kind: 'invalid', id, reason: 'jsonrpc must be "2.0"' };
  if (m.method !== undefined) {
    if (typeof m.method !== 'string') return { kind: 'invalid', id, reason: 'method must be a string' };
    if (m.params !== undefined && (m.params === null || typeof m.params !== 'object' || Array.isArray(m.params))) {
      return { kind: 'invalid', id, reason: 'params must be an object' };
    }
    if (rawId === undefined) return { kind: 'notification', message: m as unknown as JSONRPCNotification };
    // MCP: request ids MUST be string or integer and MUST NOT be null (basic#requests).
    if (id === null) return { kind: 'invalid', id: null, reason: 'id must be a string or an integer' };
    return { kind: 'request', message: m as unknown as JSONRPCRequest };
  }
  if ('result' in m || 'error' in m) {
    if ('error' in m) {
      const e = m.error as Record<string, unknown> | null;
      if (!e || typeof e !== 'object' || typeof e.code !== 'number' || typeof e.message !== 'string') {
        return { kind: 'invalid', id, reason: 'error must have a numeric code and a string message' };
      }
    } else if (m.result === null || typeof m.result !== 'object') {
      return { kind: 'invalid', id, reason: 'result must be an object' };
    }
    return { kind: 'response', message: m as unknown as JSONRPCResponse };
  }
  return { kind: 'invalid', id, reason: 'Not a request, notification or response' };
}

export function isRequest(m: JSONRPCMessage): m is JSONRPCRequest {
  return 'method' in m && 'id' in m;
}
export function isNotification(m: JSONRPCMessage): m is JSONRPCNotification {
  return 'method' in m && !('id' in m);
}
export function isResponse(m: JSONRPCMessage): m is JSONRPCResponse {
  return 'result' in m || 'error' in m;
}
export function isErrorResponse(m: JSONRPCMessage): m is JSONRPCErrorResponse {
  return 'error' in m;
}

export function resultResponse(id: RequestId, result: Result): JSONRPCResultResponse {
  return { jsonrpc: '2.0', id, result };
}

export function errorResponse(id: RequestId | null, error: JSONRPCErrorObject): JSONRPCErrorResponse {
  return { jsonrpc: '2.0', id, error };
}

export function parseErrorResponse(detail?: string): JSONRPCErrorResponse {
  return errorResponse(null, { code: ErrorCode.ParseError, message: detail ? `Parse error: ${detail}` : 'Parse error' });
}

/** Parses text into a JSON value; returns a ready parse-error response on failure. */
export function parseJson(text: string): { ok: true; value: unknown } | { ok: false; response: JSONRPCErrorResponse } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return { ok: false, response: parseErrorResponse((e as Error).message) };
  }
}
