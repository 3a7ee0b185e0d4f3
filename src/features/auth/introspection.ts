/**
 * Opaque access tokens checked by asking the authorization server (RFC 7662 token
 * introspection). Answers are remembered briefly (active ones until `exp`, at most
 * `cacheTtlMs`; inactive ones for `negativeTtlMs`), so a burst of requests with one token costs
 * one round trip. The answers are keyed by the token's SHA-256, as verified JWTs are
 * (token-cache.ts). The token goes only to the configured introspection endpoint, never anywhere
 * else (basic/authorization#access-token-privilege-restriction: no token passthrough).
 */
import { LRUCache } from 'lru-cache';
import type { AuthInfo } from '../../protocol/transport.js';
import { identityOf } from './jwt.js';
import { tokenDigest } from './token-cache.js';
import { TokenError } from './token-error.js';

export interface IntrospectionOptions {
  /** The authorization server's `introspection_endpoint`. */
  endpoint: string | URL;
  /** This resource server's credentials at the authorization server (HTTP Basic, RFC 7662 §2.1). */
  clientId: string;
  clientSecret: string;
  /** Accepted `aud` value(s) when the response names an audience (RFC 8707). */
  audience?: string | readonly string[];
  /** Accepted `iss` value(s) when the response names an issuer. */
  issuer?: string | readonly string[];
  /** Longest wait for the endpoint, ms. Default 3000. */
  timeoutMs?: number;
  /** How long an active answer is remembered (never past `exp`), ms. Default 30000. */
  cacheTtlMs?: number;
  /** How long an inactive answer is remembered, ms. Default 5000. */
  negativeTtlMs?: number;
  /** Answers remembered at most. Default 10000. */
  cacheMax?: number;
  fetch?: typeof globalThis.fetch;
}

const INACTIVE = Symbol('inactive');

function includesAny(have: unknown, want: string | readonly string[]): boolean {
  const wanted = typeof want === 'string' ? [want] : want;
  const had = typeof have === 'string' ? [have] : Array.isArray(have) ? have : [];
  return had.some((h) => wanted.includes(h as string));
}

/**
 * Verifies opaque tokens by introspection.
 *
 * @example
 * const intro = new Introspector({ endpoint: 'https://idp.example.com/token/introspection', clientId: 'mcp-rs', clientSecret: process.env.RS_SECRET! });
 * const who = await intro.verify(token);
 */
export class Introspector {
  private readonly cache: LRUCache<string, AuthInfo | typeof INACTIVE>;
  private readonly basic: string;
  private readonly fetch: typeof globalThis.fetch;

  constructor(readonly options: IntrospectionOptions) {
    this.cache = new LRUCache({ max: options.cacheMax ?? 10_000 });
    // RFC 7662 §2.1 + RFC 6749 §2.3.1: form-urlencode the credentials before Basic encoding.
    this.basic = Buffer.from(`${encodeURIComponent(options.clientId)}:${encodeURIComponent(options.clientSecret)}`).toString('base64');
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  async verify(token: string, digest = tokenDigest(token)): Promise<AuthInfo> {
    const hit = this.cache.get(digest);
    if (hit === INACTIVE) throw new TokenError('invalid', 'token not active');
    if (hit) return hit;
    const body = await this.ask(token);
    const ok =
      body.active === true &&
      (typeof body.exp !== 'number' || body.exp * 1000 > Date.now()) &&
      (typeof body.nbf !== 'number' || body.nbf * 1000 <= Date.now() + 30_000) &&
      (this.options.audience === undefined || body.aud === undefined || includesAny(body.aud, this.options.audience)) &&
      (this.options.issuer === undefined || body.iss === undefined || includesAny(body.iss, this.options.issuer));
    if (!ok) {
      this.cache.set(digest, INACTIVE, { ttl: this.options.negativeTtlMs ?? 5000 });
      throw new TokenError('invalid', 'token not active');
    }
    const info = identityOf(body, 'introspection');
    const ttl = Math.min(this.options.cacheTtlMs ?? 30_000, typeof body.exp === 'number' ? body.exp * 1000 - Date.now() : Infinity);
    if (ttl > 0) this.cache.set(digest, info, { ttl });
    return info;
  }

  private async ask(token: string): Promise<Record<string, unknown>> {
    let res: Response;
    try {
      res = await this.fetch(this.options.endpoint, {
        method: 'POST',
        headers: { authorization: `Basic ${this.basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 3000),
        redirect: 'error',
      });
    } catch (e) {
      throw new TokenError('unavailable', 'introspection endpoint unreachable', e);
    }
    if (!res.ok) {
      // Some servers refuse token types they do not introspect (oidc-provider: structured JWTs)
      // with 400 unsupported_token_type: the token is not one of theirs, so it is not valid here.
      const error = res.status === 400 ? await res.json().then((b) => (b as { error?: unknown } | null)?.error, () => undefined) : await res.body?.cancel().catch(() => {});
      if (error === 'unsupported_token_type') throw new TokenError('invalid', 'token not active');
      throw new TokenError('unavailable', `introspection endpoint answered ${res.status}`);
    }
    try {
      const body: unknown = await res.json();
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Error('not an object');
      return body as Record<string, unknown>;
    } catch (e) {
      throw new TokenError('unavailable', 'introspection answer unreadable', e);
    }
  }
}
