/**
 * Bearer JWT access tokens checked locally (`jose`): signature against the authorization
 * server's JWKS (fetched, cached, re-fetched when a token names an unknown `kid`), an allow-list
 * of asymmetric algorithms (so `alg: none` and HS256-signed-with-the-public-key never verify),
 * `iss`, `aud` bound to this resource (RFC 8707; basic/authorization#token-audience-binding-and-validation),
 * and `exp`/`nbf` with a small clock skew. A verified token is remembered (token-cache.ts: keyed
 * by its SHA-256, until its `exp` and at most `cacheTtlMs`, `exp`/`nbf` re-checked on every
 * hit), so a client reusing one token costs a hash and a map lookup per request.
 */
import { createRemoteJWKSet, customFetch, errors, jwtVerify, type JWTPayload } from 'jose';
import type { AuthInfo } from '../../protocol/transport.js';
import { scopesOf } from './bearer.js';
import { tokenDigest, VerifiedTokens } from './token-cache.js';
import { TokenError } from './token-error.js';

/** Asymmetric JWS algorithms (RFC 7518, RFC 8037). Symmetric ones are never accepted: the verifier holds no shared secret. */
export const DEFAULT_JWT_ALGORITHMS: readonly string[] = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

export interface JwtVerifierOptions {
  /** Accepted `iss` value(s): the authorization server's issuer identifier. */
  issuer: string | readonly string[];
  /** Accepted `aud` value(s): this resource's canonical URI (RFC 8707). */
  audience: string | readonly string[];
  /** The authorization server's `jwks_uri`. */
  jwksUri: string | URL;
  /** Allowed `alg` values. Default: the asymmetric algorithms above. */
  algorithms?: readonly string[];
  /** Tolerated clock difference for `exp`/`nbf`, seconds. Default 30. */
  clockToleranceSec?: number;
  /** Required `typ` header (RFC 9068 says `at+jwt`). Default: not checked (many IdPs send `JWT`). */
  typ?: string;
  /** Longest wait for the JWKS endpoint, ms. Default 5000. */
  jwksTimeoutMs?: number;
  /** Least time between two JWKS fetches triggered by unknown `kid`s, ms. Default 30000. */
  jwksCooldownMs?: number;
  /** Age after which the JWKS is re-fetched anyway, ms. Default 600000. */
  jwksCacheMaxAgeMs?: number;
  /**
   * How long a verified token is remembered (never past its `exp`), ms. Default 60000; 0
   * disables. Also how long a token signed by a key withdrawn from the JWKS can still be accepted.
   */
  cacheTtlMs?: number;
  /** Verified tokens remembered at most. Default 10000. */
  cacheMax?: number;
  /** fetch used for the JWKS (tests, proxies). Default: the global fetch. */
  fetch?: typeof globalThis.fetch;
}

// What jose reports when the key set could not be had: the token may be fine, the verifier is not.
const UNAVAILABLE = new Set(['ERR_JWKS_TIMEOUT', 'ERR_JOSE_GENERIC', 'ERR_JWKS_INVALID']);

function describe(e: unknown): TokenError {
  if (e instanceof errors.JWTExpired) return new TokenError('invalid', 'token expired');
  if (e instanceof errors.JWTClaimValidationFailed) {
    const claim = e.claim;
    if (claim === 'nbf') return new TokenError('invalid', 'token not yet valid');
    if (claim === 'aud') return new TokenError('invalid', 'token audience is not this resource');
    if (claim === 'iss') return new TokenError('invalid', 'token issuer not accepted');
    return new TokenError('invalid', `token claim "${claim}" invalid`);
  }
  if (e instanceof errors.JOSEAlgNotAllowed) return new TokenError('invalid', 'token algorithm not allowed');
  if (e instanceof errors.JWKSNoMatchingKey) return new TokenError('invalid', 'token signed with an unknown key');
  if (e instanceof errors.JWSSignatureVerificationFailed) return new TokenError('invalid', 'token signature invalid');
  if (e instanceof errors.JOSEError && !UNAVAILABLE.has(e.code)) return new TokenError('invalid', 'token malformed');
  return new TokenError('unavailable', 'signing keys unavailable', e);
}

/**
 * Verifies JWT access tokens for one resource.
 *
 * @example
 * const jwt = new JwtVerifier({ issuer: 'https://idp.example.com', audience: 'https://mcp.example.com/mcp', jwksUri: 'https://idp.example.com/jwks' });
 * const who = await jwt.verify(token); // AuthInfo, or throws TokenError
 */
export class JwtVerifier {
  private readonly jwks: ReturnType<typeof createRemoteJWKSet>;
  private readonly cache: VerifiedTokens | undefined;
  private readonly verifyOptions: Parameters<typeof jwtVerify>[2];

  constructor(readonly options: JwtVerifierOptions) {
    const jwksOptions: Parameters<typeof createRemoteJWKSet>[1] = {
      timeoutDuration: options.jwksTimeoutMs ?? 5000,
      cooldownDuration: options.jwksCooldownMs ?? 30_000,
      cacheMaxAge: options.jwksCacheMaxAgeMs ?? 600_000,
    };
    if (options.fetch) (jwksOptions as Record<symbol, unknown>)[customFetch] = options.fetch;
    this.jwks = createRemoteJWKSet(new URL(options.jwksUri), jwksOptions);
    const cacheTtlMs = options.cacheTtlMs ?? 60_000;
    const clockTolerance = options.clockToleranceSec ?? 30;
    this.cache = cacheTtlMs > 0 ? new VerifiedTokens(cacheTtlMs, options.cacheMax ?? 10_000, clockTolerance) : undefined;
    this.verifyOptions = {
      issuer: typeof options.issuer === 'string' ? options.issuer : [...options.issuer],
      audience: typeof options.audience === 'string' ? options.audience : [...options.audience],
      algorithms: [...(options.algorithms ?? DEFAULT_JWT_ALGORITHMS)],
      clockTolerance,
      requiredClaims: ['exp'],
      ...(options.typ !== undefined ? { typ: options.typ } : {}),
    };
  }

  /**
   * The identity of a token verified earlier and still valid, without a promise (the hot path).
   * `digest`: the token's `tokenDigest()`, when the caller has it already.
   */
  peek(token: string, digest?: string): AuthInfo | undefined {
    return this.cache?.get(digest ?? tokenDigest(token));
  }

  /** The identity a token proves, or a TokenError ('invalid' → 401, 'unavailable' → 503). */
  async verify(token: string, digest?: string): Promise<AuthInfo> {
    const key = this.cache ? (digest ?? tokenDigest(token)) : undefined;
    const hit = key === undefined ? undefined : this.cache!.get(key);
    if (hit) return hit;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.jwks, this.verifyOptions));
    } catch (e) {
      throw describe(e);
    }
    const info = identityOf(payload, 'jwt');
    if (key !== undefined) this.cache!.set(key, info, payload.exp, payload.nbf);
    return info;
  }
}

/** AuthInfo of a verified claim set (JWT payload or introspection response). */
export function identityOf(claims: Readonly<Record<string, unknown>>, method: string): AuthInfo {
  const clientId = typeof claims.client_id === 'string' ? claims.client_id : typeof claims.azp === 'string' ? claims.azp : undefined;
  return Object.freeze({
    subject: typeof claims.sub === 'string' ? claims.sub : clientId,
    clientId,
    scopes: Object.freeze(scopesOf(claims)),
    method,
    expiresAt: typeof claims.exp === 'number' ? claims.exp : undefined,
    claims: Object.freeze({ ...claims }),
  });
}
