/**
 * Client side of the 2026-07-28 HTTP headers (basic/transports/streamable-http §Request Headers,
 * SEP-2243): the standard headers are derived from the body of each modern request, and a tool's
 * `x-mcp-header` annotations are mirrored as `Mcp-Param-*` headers. Values that are not plain
 * visible ASCII (non-ASCII, control characters, leading/trailing whitespace, or something that
 * already looks like a sentinel) travel as the Base64 sentinel `=?base64?…?=`.
 */
import { META } from '../../protocol/eras.js';

/** `Mcp-Name` mirrors this param per method. */
const NAME_SOURCE: Record<string, string> = { 'tools/call': 'name', 'prompts/get': 'name', 'resources/read': 'uri', 'tasks/get': 'taskId', 'tasks/update': 'taskId', 'tasks/cancel': 'taskId' };

const SENTINEL = /^=\?base64\?.*\?=$/;

/** Header value for a string: as-is when safe, else the Base64 sentinel of its UTF-8 bytes. */
export function encodeHeaderValue(v: string): string {
  // eslint-disable-next-line no-control-regex
  const plain = /^[\x20-\x7e]*$/.test(v) && v.trim() === v && !SENTINEL.test(v);
  return plain ? v : `=?base64?${Buffer.from(v, 'utf8').toString('base64')}?=`;
}

const SENTINEL_PARTS = /^=\?base64\?(.*)\?=$/s;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Server side of the sentinel: the text a header value stands for, or undefined when it has
 * the sentinel's shape but is not canonical Base64 of UTF-8 (clients encode every value of
 * that shape, so a malformed one is never a literal).
 */
export function decodeHeaderValue(v: string): string | undefined {
  const m = SENTINEL_PARTS.exec(v);
  if (!m) return v;
  const b64 = m[1]!;
  // Padded Base64 only (RFC 4648 §4): the spec's test table rejects `SGVsbG8` for `SGVsbG8=`.
  if (!BASE64.test(b64) || b64.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(b64, 'base64');
  const text = bytes.toString('utf8');
  // Round trip: rejects non-canonical Base64 and bytes that are not UTF-8.
  return Buffer.from(text, 'utf8').toString('base64') === b64 ? text : undefined;
}

/** The protocol version a request body claims in `_meta`, if any (the modern-era signal). */
export function modernClaim(message: unknown): string | undefined {
  const params = (message as { params?: { _meta?: Record<string, unknown> } } | null)?.params;
  const v = params?._meta?.[META.protocolVersion];
  return typeof v === 'string' ? v : undefined;
}

/** MCP-Protocol-Version, Mcp-Method and Mcp-Name, all read from the body. */
export function standardHeaders(message: { method: string; params?: Record<string, unknown> }, version: string): Record<string, string> {
  const h: Record<string, string> = { 'mcp-protocol-version': version, 'mcp-method': message.method };
  const source = NAME_SOURCE[message.method];
  const value = source === undefined ? undefined : message.params?.[source];
  if (typeof value === 'string') h['mcp-name'] = encodeHeaderValue(value);
  return h;
}

/** One annotated property: where it sits in the arguments and the header it becomes. */
export interface ParamHeader {
  path: string[];
  name: string;
}

// RFC 9110 token characters.
const TCHAR = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * The `x-mcp-header` annotations of a tool's inputSchema, or undefined when any is invalid
 * (SEP-2243: the client MUST drop such a tool). Annotations count only on properties reached
 * through a chain of `properties` keys; other keywords are not walked.
 */
export function paramHeadersOf(inputSchema: unknown): ParamHeader[] | undefined {
  const out: ParamHeader[] = [];
  const seen = new Set<string>();
  const walk = (schema: unknown, path: string[]): boolean => {
    if (typeof schema !== 'object' || schema === null) return true;
    const props = (schema as { properties?: unknown }).properties;
    if (typeof props !== 'object' || props === null) return true;
    for (const [key, sub] of Object.entries(props as Record<string, unknown>)) {
      if (typeof sub !== 'object' || sub === null) continue;
      const s = sub as Record<string, unknown>;
      if ('x-mcp-header' in s) {
        const name = s['x-mcp-header'];
        if (typeof name !== 'string' || !TCHAR.test(name)) return false;
        if (seen.has(name.toLowerCase())) return false;
        seen.add(name.toLowerCase());
        if (s.type !== 'string' && s.type !== 'integer' && s.type !== 'boolean') return false;
        out.push({ path: [...path, key], name });
      }
      if (!walk(s, [...path, key])) return false;
    }
    return true;
  };
  return walk(inputSchema, []) ? out : undefined;
}

/** Mcp-Param-* headers for one call: omitted for null/absent values, empty for "". */
export function paramHeaderValues(annotations: readonly ParamHeader[], args: unknown): Record<string, string> {
  const h: Record<string, string> = {};
  for (const a of annotations) {
    let v: unknown = args;
    for (const k of a.path) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined;
    if (v === undefined || v === null) continue;
    let text: string;
    if (typeof v === 'string') text = encodeHeaderValue(v);
    else if (typeof v === 'boolean') text = v ? 'true' : 'false';
    else if (typeof v === 'number' && Number.isSafeInteger(v)) text = String(v);
    else continue; // not a value the annotation allows: mirror nothing rather than something wrong
    h[`mcp-param-${a.name.toLowerCase()}`] = text;
  }
  return h;
}
