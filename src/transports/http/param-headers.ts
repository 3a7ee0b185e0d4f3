/**
 * Server side of `Mcp-Param-*` (2026-07-28 basic/transports/streamable-http §Custom Headers
 * from Tool Parameters, SEP-2243). A tool may annotate parameters of its inputSchema with
 * `x-mcp-header`; clients mirror those argument values into `Mcp-Param-{Name}` headers so
 * intermediaries can route on them. A server that reads the body MUST check each mirrored
 * value against it, or a load balancer routing on the header and the tool running on the body
 * could disagree: a value present in the body with its header missing, a header whose
 * (decoded) value differs, or one with characters a plain header value may not carry is
 * -32020 HeaderMismatch, HTTP 400. A value absent or null in the body expects no header.
 */
import type { IncomingMessage } from 'node:http';
import { headerMismatch } from '../../protocol/eras.js';
import type { McpError } from '../../protocol/errors.js';
import type { McpServer } from '../../server/index.js';
import { header } from '../shared/http.js';
import { decodeHeaderValue, paramHeadersOf, type ParamHeader } from './modern-headers.js';

/** One annotated parameter with its declared type (integers compare numerically). */
interface Declared extends ParamHeader {
  type: 'string' | 'integer' | 'boolean';
}

const NONE: readonly Declared[] = [];

/** Annotations per inputSchema object, read once (a tool's compiled schema object is stable). */
const declarations = new WeakMap<object, readonly Declared[]>();

function declaredOf(schema: object): readonly Declared[] {
  let d = declarations.get(schema);
  if (d === undefined) {
    // An invalid set of annotations makes the tool invalid for HTTP clients (they drop it):
    // there is nothing a conforming client mirrors, so nothing to check.
    d = (paramHeadersOf(schema) ?? []).map((p) => ({ ...p, type: typeAt(schema, p.path) }));
    if (d.length === 0) d = NONE;
    declarations.set(schema, d);
  }
  return d;
}

function typeAt(schema: unknown, path: readonly string[]): Declared['type'] {
  let s = schema as { properties?: Record<string, unknown> } | undefined;
  for (const k of path) s = s?.properties?.[k] as typeof s;
  return (s as { type?: Declared['type'] } | undefined)?.type ?? 'string';
}

// RFC 9110 field-value characters, as the spec's Value Encoding allows them unencoded.
const PLAIN_VALUE = /^[\x20-\x7e\t]*$/;
// "Integers SHOULD be compared numerically": 42, -7, 42.0 and 42.00 all name the integer 42.
const DECIMAL = /^-?\d+(?:\.0+)?$/;

/** The value a conforming client mirrors for a body value, or undefined when it mirrors none. */
function mirrored(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  // Integers past ±(2^53−1) cannot be mirrored exactly; the spec keeps annotations to the safe range.
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  return undefined;
}

/**
 * -32020 when the `Mcp-Param-*` headers of a 2026-07-28 tools/call disagree with its
 * arguments, else undefined. An unknown tool passes: tools/call answers it in-band.
 */
export function paramHeaderMismatch(req: IncomingMessage, server: McpServer, params: Record<string, unknown> | undefined): McpError | undefined {
  const name = params?.name;
  if (typeof name !== 'string') return undefined;
  const schema = server.tools.get(name)?.input?.jsonSchema;
  if (schema === undefined) return undefined;
  const declared = declaredOf(schema);
  if (declared.length === 0) return undefined;
  const args = params?.arguments;
  for (const d of declared) {
    let v: unknown = args;
    for (const k of d.path) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined;
    const expected = mirrored(v);
    if (expected === undefined) continue;
    const headerName = `Mcp-Param-${d.name}`;
    const raw = header(req, headerName.toLowerCase());
    if (raw === undefined) return headerMismatch(`Header mismatch: ${headerName} is required when arguments.${d.path.join('.')} is present`);
    if (!PLAIN_VALUE.test(raw)) return headerMismatch(`Header mismatch: ${headerName} carries characters a header value may not; send them Base64-encoded (=?base64?…?=)`);
    const got = decodeHeaderValue(raw);
    if (got === undefined) return headerMismatch(`Header mismatch: ${headerName} is not a valid =?base64?…?= value`);
    const same = d.type === 'integer' && typeof v === 'number' ? DECIMAL.test(got) && Number(got) === v : got === expected;
    if (!same) return headerMismatch(`Header mismatch: ${headerName} does not match arguments.${d.path.join('.')}`);
  }
  return undefined;
}
