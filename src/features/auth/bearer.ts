/**
 * Bearer credentials on the wire: reading `Authorization: Bearer <token>` (RFC 6750 §2.1) and
 * writing the `WWW-Authenticate` challenge the MCP authorization chapter asks for
 * (basic/authorization#protected-resource-metadata-discovery-requirements: `resource_metadata`
 * and `scope` parameters; RFC 6750 §3 error codes). Pure string work, no I/O: fuzzed by
 * bearer.fuzz.test.ts.
 */

/** Tokens longer than this are refused before any parsing (8 KiB; real access tokens are < 4 KiB). */
export const DEFAULT_MAX_TOKEN_BYTES = 8192;

export type BearerParse =
  | { readonly ok: true; readonly token: string }
  | { readonly ok: false; readonly reason: 'missing' | 'malformed' | 'too_large' };

// RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * The bearer token of an `Authorization` header value. Only the `Bearer` scheme (any case) is
 * accepted; a header repeated (an array) is malformed, never guessed at.
 */
export function parseBearer(value: string | readonly string[] | undefined, maxBytes = DEFAULT_MAX_TOKEN_BYTES): BearerParse {
  const p = splitBearer(value, maxBytes);
  return p.ok && !isB64Token(p.token) ? { ok: false, reason: 'malformed' } : p;
}

/**
 * parseBearer without the token's character check (isB64Token): the resource server checks the
 * characters only of tokens it has not verified before, since a remembered token passed it.
 */
export function splitBearer(value: string | readonly string[] | undefined, maxBytes = DEFAULT_MAX_TOKEN_BYTES): BearerParse {
  if (value === undefined || value === '') return { ok: false, reason: 'missing' };
  if (typeof value !== 'string') return { ok: false, reason: 'malformed' };
  // Header values are Latin-1 on node:http, so length counts bytes; checked before any regex.
  if (value.length > maxBytes + 7) return { ok: false, reason: 'too_large' };
  const space = value.indexOf(' ');
  if (space !== 6 || value.slice(0, 6).toLowerCase() !== 'bearer') return { ok: false, reason: 'malformed' };
  let start = 7;
  while (value.charCodeAt(start) === 0x20) start++;
  const token = value.slice(start);
  if (token.length === 0) return { ok: false, reason: 'malformed' };
  if (token.length > maxBytes) return { ok: false, reason: 'too_large' };
  return { ok: true, token };
}

/** Whether a token is an RFC 6750 §2.1 b64token. */
export function isB64Token(token: string): boolean {
  return B64TOKEN.test(token);
}

/** RFC 6750 §3.1 error codes. */
export type BearerError = 'invalid_request' | 'invalid_token' | 'insufficient_scope';

export interface ChallengeParams {
  /** RFC 9728 §5.1: where the client finds the Protected Resource Metadata. */
  readonly resourceMetadata?: string;
  /** Scopes the client should ask for (basic/authorization#scope-selection-strategy). */
  readonly scope?: readonly string[];
  readonly error?: BearerError;
  readonly errorDescription?: string;
}

/** A quoted-string (RFC 9110 §5.6.4): `"` and `\` escaped, control characters and non-ASCII dropped. */
function quoted(v: string): string {
  return `"${v.replace(/[^\x20-\x7e]/g, '').replace(/["\\]/g, '\\$&')}"`;
}

/** The `WWW-Authenticate` value of a Bearer challenge. */
export function bearerChallenge(p: ChallengeParams): string {
  const parts: string[] = [];
  if (p.error !== undefined) parts.push(`error=${quoted(p.error)}`);
  if (p.errorDescription !== undefined) parts.push(`error_description=${quoted(p.errorDescription.slice(0, 200))}`);
  if (p.scope !== undefined && p.scope.length > 0) parts.push(`scope=${quoted(p.scope.join(' '))}`);
  if (p.resourceMetadata !== undefined) parts.push(`resource_metadata=${quoted(p.resourceMetadata)}`);
  return parts.length === 0 ? 'Bearer' : `Bearer ${parts.join(', ')}`;
}

/** Whether a token has the shape of a JWS compact serialisation (three base64url parts). */
export function looksLikeJwt(token: string): boolean {
  const a = token.indexOf('.');
  if (a <= 0) return false;
  const b = token.indexOf('.', a + 1);
  return b > a + 1 && b < token.length - 1 && token.indexOf('.', b + 1) === -1;
}

/** Scopes of a claim set: OAuth `scope` (space-separated, RFC 8693 §4.2) or `scp` (an array, as Entra ID and Okta issue). */
export function scopesOf(claims: Readonly<Record<string, unknown>>): string[] {
  const out: string[] = [];
  const { scope, scp } = claims;
  if (typeof scope === 'string') for (const s of scope.split(' ')) if (s !== '') out.push(s);
  if (Array.isArray(scp)) {
    for (const s of scp) if (typeof s === 'string' && s !== '' && !s.includes(' ')) out.push(s);
  } else if (typeof scp === 'string') {
    for (const s of scp.split(' ')) if (s !== '') out.push(s);
  }
  return out;
}
