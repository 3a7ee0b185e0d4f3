/**
 * OAuth for MCP clients (basic/authorization, 2025-11-25) with `oauth4webapi`, as a `fetch`
 * wrapper any HTTP transport takes (`new StreamableHttpClientTransport(url, { fetch: auth.fetch })`).
 * On a 401 it discovers the protected resource's metadata and its authorization server, gets a
 * client identity (pre-registered credentials, else a Client ID Metadata Document URL when the
 * server supports them, else dynamic client registration, RFC 7591), obtains a token — the
 * authorization code grant with PKCE S256 and the `resource` parameter (RFC 8707), the app
 * doing the browser step, with the RFC 9207 `iss` check; or client credentials — and retries
 * the request once. Expired tokens are refreshed; a 403 `insufficient_scope` asks for the union
 * of the scopes held and the scopes named (step-up), once per request. A 401 on a token we sent
 * re-reads the resource metadata: when it names another authorization server, the client
 * registers there anew (2026-07-28 basic/authorization/client-registration, SEP-2352: credentials
 * are bound to the issuer that issued them). Tokens and registered clients live in a pluggable
 * store.
 */
import * as oauth from 'oauth4webapi';
import { ErlmcpError } from '../../protocol/errors.js';
import { discoverAuthorizationServer, discoverResource, parseBearerChallenge, requestOptions, type BearerChallenge, type HttpOptions } from './discovery.js';

export interface StoredTokens {
  access_token: string;
  refresh_token?: string;
  /** ms since the epoch. */
  expires_at?: number;
  scope?: string;
}

export interface StoredClient {
  client_id: string;
  client_secret?: string;
}

/** Where tokens and registered clients are kept (keyed by resource and by issuer). */
export interface TokenStore {
  getTokens(resource: string): StoredTokens | undefined | Promise<StoredTokens | undefined>;
  setTokens(resource: string, tokens: StoredTokens | undefined): void | Promise<void>;
  getClient(issuer: string): StoredClient | undefined | Promise<StoredClient | undefined>;
  setClient(issuer: string, client: StoredClient): void | Promise<void>;
}

/** The default store: memory, for the life of the process. */
export class MemoryTokenStore implements TokenStore {
  private readonly tokens = new Map<string, StoredTokens>();
  private readonly clients = new Map<string, StoredClient>();
  getTokens(resource: string) {
    return this.tokens.get(resource);
  }
  setTokens(resource: string, tokens: StoredTokens | undefined) {
    if (tokens) this.tokens.set(resource, tokens);
    else this.tokens.delete(resource);
  }
  getClient(issuer: string) {
    return this.clients.get(issuer);
  }
  setClient(issuer: string, client: StoredClient) {
    this.clients.set(issuer, client);
  }
}

export interface OAuthClientOptions {
  /**
   * 'authorization_code' (a user, needs `redirectUri` + `authorize`), 'client_credentials' (a
   * machine) or 'jwt_bearer' (RFC 7523 §2.1, needs `assertion`). Default: authorization_code.
   */
  grant?: 'authorization_code' | 'client_credentials' | 'jwt_bearer';
  /**
   * The assertion of the JWT bearer grant, asked for each time a token is needed: a workload
   * identity token (workload identity federation), or an identity assertion grant from the
   * enterprise identity provider (enterprise-managed authorization: see `requestIdJag`). Told
   * the authorization server's issuer (the assertion's audience), the resource and the scope.
   */
  assertion?: (target: { issuer: string; resource: string; scope?: string }) => string | Promise<string>;
  /** Pre-registered client. */
  clientId?: string;
  clientSecret?: string;
  /** Pre-registered client authenticating with a signed assertion (RFC 7523 private_key_jwt) instead of a secret. */
  clientPrivateKey?: Parameters<typeof oauth.PrivateKeyJwt>[0];
  /** The authorization server pre-registered credentials belong to; they are sent to no other. */
  expectedIssuer?: string;
  /** A Client ID Metadata Document URL (HTTPS), used as client_id where the server supports it. */
  clientMetadataUrl?: string;
  /** Redirect URI of the authorization code grant. */
  redirectUri?: string;
  /** Client name for dynamic registration. */
  clientName?: string;
  /**
   * `application_type` sent on dynamic registration (OpenID Connect Dynamic Client Registration
   * §2; MCP 2026-07-28 requires it, SEP-837). Default: 'native' when the redirect URI is on a
   * loopback host or a private scheme (desktop, CLI, mobile apps), else 'web'; 'web' for
   * client credentials (a server-side confidential client).
   */
  applicationType?: 'native' | 'web';
  /**
   * The browser step: open `authorizationUrl` for the user and resolve with the URL the server
   * redirected back to (`redirectUri?code=…&state=…&iss=…`).
   */
  authorize?: (authorizationUrl: URL) => Promise<URL | string>;
  /** Scope to ask for when neither the challenge nor the metadata names one. */
  scope?: string;
  store?: TokenStore;
  fetch?: typeof globalThis.fetch;
  /** Allow http:// authorization servers and metadata. Default: only on loopback hosts. */
  allowHttp?: boolean;
}

interface Session {
  /** The authorization server the resource metadata named (the URL discovery started from). */
  issuer: string;
  as: oauth.AuthorizationServer;
  client: oauth.Client;
  auth: oauth.ClientAuth;
  resource: string;
}

const REFRESH_MARGIN_MS = 30_000;
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const isLoopback = (u: URL) => u.hostname === '127.0.0.1' || u.hostname === 'localhost' || u.hostname === '[::1]';

/**
 * @example
 * const auth = new OAuthClient({
 *   redirectUri: 'http://127.0.0.1:8765/callback',
 *   authorize: async (url) => waitForRedirect(openBrowser(url)),   // the app's part
 * });
 * await client.connect(new StreamableHttpClientTransport(serverUrl, { fetch: auth.fetch }));
 */
export class OAuthClient {
  private readonly store: TokenStore;
  private readonly baseFetch: typeof globalThis.fetch;
  private readonly sessions = new Map<string, Session>();
  private readonly inflight = new Map<string, Promise<StoredTokens>>();
  /** The issuer pre-registered credentials were first used with, when `expectedIssuer` is not given. */
  private boundIssuer: string | undefined;

  constructor(readonly options: OAuthClientOptions = {}) {
    this.store = options.store ?? new MemoryTokenStore();
    this.baseFetch = options.fetch ?? globalThis.fetch;
  }

  /** The authenticating fetch. */
  readonly fetch: typeof globalThis.fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const key = url.origin + url.pathname;
    let tokens = await this.current(key);
    let res = await this.baseFetch(input, withToken(init, tokens));
    // At most one new token on a 401 and one step-up on a 403 per request: a server that keeps
    // refusing gets its refusal passed on, never a loop.
    let authorized = false;
    let steppedUp = false;
    for (;;) {
      if (res.status !== 401 && res.status !== 403) return res;
      const challenge = parseBearerChallenge(res.headers.get('www-authenticate'));
      const stepUp = res.status === 403;
      if (stepUp ? challenge?.error !== 'insufficient_scope' || steppedUp : authorized) return res;
      if (stepUp) steppedUp = true;
      else authorized = true;
      await res.body?.cancel().catch(() => {});
      const held = tokens;
      tokens = await this.once(key, () => this.obtain(url, key, challenge, held, stepUp));
      res = await this.baseFetch(input, withToken(init, tokens));
    }
  };

  /** Forgets the tokens held for `serverUrl` (sign-out). */
  async signOut(serverUrl: string | URL): Promise<void> {
    const u = new URL(serverUrl);
    await this.store.setTokens(u.origin + u.pathname, undefined);
  }

  private async current(key: string): Promise<StoredTokens | undefined> {
    const t = await this.store.getTokens(key);
    if (!t || t.expires_at === undefined || t.expires_at - REFRESH_MARGIN_MS > Date.now()) return t;
    const s = this.sessions.get(key);
    if (!t.refresh_token || !s) return t;
    return this.once(key, () => this.refresh(key, s, t).catch(() => t));
  }

  // Concurrent requests that all got 401 share one flow.
  private once(key: string, run: () => Promise<StoredTokens>): Promise<StoredTokens> {
    let p = this.inflight.get(key);
    if (!p) {
      p = run().finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }

  private http(url: URL): HttpOptions {
    return { fetch: this.baseFetch, insecure: this.options.allowHttp ?? isLoopback(url) };
  }

  private async obtain(url: URL, key: string, challenge: BearerChallenge | undefined, held: StoredTokens | undefined, stepUp: boolean): Promise<StoredTokens> {
    // A 401 on a token we sent: the resource may have moved to another authorization server
    // (SEP-2352), so its metadata is read again; a 403 step-up stays with the session's server.
    const known = this.sessions.get(key);
    const s = known && (stepUp || held === undefined) ? known : await this.discover(url, key, challenge, known);
    // A plain 401 with a refresh token: try refreshing before asking the user again (only at the
    // server that issued it).
    if (!stepUp && held?.refresh_token && s === known) {
      const r = await this.refresh(key, s, held).catch(() => undefined);
      if (r) return r;
    }
    let scope = challenge?.scope ?? this.prmScopes.get(key) ?? this.options.scope;
    if (stepUp && held?.scope) scope = [...new Set([...held.scope.split(' '), ...(scope ?? '').split(' ')].filter(Boolean))].join(' ');
    const grant = this.options.grant ?? 'authorization_code';
    const tokens = grant === 'client_credentials' ? await this.clientCredentials(s, scope) : grant === 'jwt_bearer' ? await this.jwtBearer(s, scope) : await this.authorizationCode(s, scope);
    await this.store.setTokens(key, tokens);
    return tokens;
  }

  private readonly prmScopes = new Map<string, string>();

  private async discover(url: URL, key: string, challenge: BearerChallenge | undefined, known?: Session): Promise<Session> {
    const http = this.http(url);
    const prm = await discoverResource(url, challenge?.resourceMetadata, http);
    if (prm?.scopes_supported?.length) this.prmScopes.set(key, prm.scopes_supported.join(' '));
    else this.prmScopes.delete(key);
    // 2025-03-26 servers publish no resource metadata: the MCP server's origin is the issuer.
    const issuer = new URL(prm?.authorization_servers?.[0] ?? url.origin);
    const resource = prm?.resource ?? key;
    if (known && known.issuer === issuer.href && known.resource === resource) return known;
    const as = (await discoverAuthorizationServer(issuer, this.http(issuer), prm === undefined)) ?? fallbackMetadata(issuer);
    const { client, auth } = await this.clientFor(as, issuer);
    const s = { issuer: issuer.href, as, client, auth, resource };
    this.sessions.set(key, s);
    return s;
  }

  private async clientFor(as: oauth.AuthorizationServer, issuer: URL): Promise<{ client: oauth.Client; auth: oauth.ClientAuth }> {
    const o = this.options;
    if (o.clientId !== undefined) {
      // SEP-2352: pre-registered credentials belong to one authorization server; when the
      // resource names another one, say so instead of presenting them there.
      const bound = o.expectedIssuer ?? this.boundIssuer;
      if (bound !== undefined && new URL(bound).href !== new URL(as.issuer).href) {
        throw new ErlmcpError('ERR_INVALID_ARGUMENT', `pre-registered client is for ${bound}, the server names ${as.issuer}`);
      }
      this.boundIssuer ??= as.issuer;
      const auth = o.clientPrivateKey ? oauth.PrivateKeyJwt(o.clientPrivateKey) : o.clientSecret !== undefined ? authFor(as, o.clientSecret) : oauth.None();
      return { client: { client_id: o.clientId }, auth };
    }
    if (o.clientMetadataUrl !== undefined && as.client_id_metadata_document_supported === true) {
      return { client: { client_id: o.clientMetadataUrl }, auth: oauth.None() };
    }
    const stored = await this.store.getClient(as.issuer);
    if (stored) return { client: { client_id: stored.client_id }, auth: stored.client_secret !== undefined ? authFor(as, stored.client_secret) : oauth.None() };
    if (!as.registration_endpoint) throw new ErlmcpError('ERR_INVALID_ARGUMENT', `${as.issuer} supports neither client metadata documents nor dynamic registration; pass clientId`);
    const machine = o.grant === 'client_credentials' || o.grant === 'jwt_bearer';
    const application_type = o.applicationType ?? (machine ? 'web' : nativeRedirect(this.redirectUri()) ? 'native' : 'web');
    const metadata: Partial<oauth.Client> = machine
      ? { client_name: o.clientName ?? 'erlmcp client', application_type, grant_types: [o.grant === 'jwt_bearer' ? JWT_BEARER : 'client_credentials'], response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_basic' }
      : { client_name: o.clientName ?? 'erlmcp client', application_type, grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], redirect_uris: [this.redirectUri()], token_endpoint_auth_method: 'none' };
    const res = await oauth.dynamicClientRegistrationRequest(as, metadata, requestOptions<oauth.DynamicClientRegistrationRequestOptions>(this.http(issuer)));
    // Read leniently: RFC 7591 §3.2.1 makes client_secret_expires_at required with a secret, but
    // servers omit it, and only client_id (and a secret) matter here.
    const reg = (await res.json().catch(() => undefined)) as { client_id?: unknown; client_secret?: unknown; error?: unknown; error_description?: unknown } | undefined;
    if (!res.ok || typeof reg?.client_id !== 'string') throw new ErlmcpError('ERR_INVALID_RESULT', `dynamic client registration at ${as.registration_endpoint} failed: ${res.status} ${String(reg?.error ?? '')} ${String(reg?.error_description ?? '')}`.trim());
    const client: StoredClient = { client_id: reg.client_id, ...(typeof reg.client_secret === 'string' ? { client_secret: reg.client_secret } : {}) };
    await this.store.setClient(as.issuer, client);
    return { client: { client_id: client.client_id }, auth: client.client_secret !== undefined ? authFor(as, client.client_secret) : oauth.None() };
  }

  private redirectUri(): string {
    if (this.options.redirectUri === undefined) throw new ErlmcpError('ERR_INVALID_ARGUMENT', 'the authorization code grant needs redirectUri and authorize');
    return this.options.redirectUri;
  }

  private async clientCredentials(s: Session, scope: string | undefined): Promise<StoredTokens> {
    const params: Record<string, string> = { resource: s.resource };
    if (scope) params.scope = scope;
    const res = await oauth.clientCredentialsGrantRequest(s.as, s.client, s.auth, params, requestOptions<oauth.ClientCredentialsGrantRequestOptions>(this.http(new URL(s.as.issuer))));
    return toStored(await oauth.processClientCredentialsResponse(s.as, s.client, res), scope);
  }

  /** RFC 7523 §2.1; a refusal is passed on, never retried with another grant. */
  private async jwtBearer(s: Session, scope: string | undefined): Promise<StoredTokens> {
    if (!this.options.assertion) throw new ErlmcpError('ERR_INVALID_ARGUMENT', 'the jwt_bearer grant needs an assertion callback');
    const assertion = await this.options.assertion({ issuer: s.as.issuer, resource: s.resource, ...(scope ? { scope } : {}) });
    const params: Record<string, string> = { assertion, resource: s.resource };
    if (scope) params.scope = scope;
    const res = await oauth.genericTokenEndpointRequest(s.as, s.client, s.auth, JWT_BEARER, params, requestOptions<oauth.TokenEndpointRequestOptions>(this.http(new URL(s.as.issuer))));
    return toStored(await oauth.processGenericTokenEndpointResponse(s.as, s.client, res), scope);
  }

  private async authorizationCode(s: Session, scope: string | undefined): Promise<StoredTokens> {
    const authorize = this.options.authorize;
    if (!authorize || !s.as.authorization_endpoint) throw new ErlmcpError('ERR_INVALID_ARGUMENT', 'the authorization code grant needs an authorize callback and an authorization endpoint');
    const redirectUri = this.redirectUri();
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const u = new URL(s.as.authorization_endpoint);
    u.searchParams.set('response_type', 'code');
    u.searchParams.set('client_id', s.client.client_id);
    u.searchParams.set('redirect_uri', redirectUri);
    u.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(verifier));
    u.searchParams.set('code_challenge_method', 'S256');
    u.searchParams.set('state', state);
    u.searchParams.set('resource', s.resource);
    if (scope) u.searchParams.set('scope', scope);
    const back = new URL(await authorize(u));
    // Checks state, an error response, and `iss` (RFC 9207) when the server says it sends one.
    const params = oauth.validateAuthResponse(s.as, s.client, back, state);
    const res = await oauth.authorizationCodeGrantRequest(s.as, s.client, s.auth, params, redirectUri, verifier, {
      ...requestOptions<oauth.TokenEndpointRequestOptions>(this.http(new URL(s.as.issuer))),
      additionalParameters: { resource: s.resource },
    });
    return toStored(await oauth.processAuthorizationCodeResponse(s.as, s.client, res), scope);
  }

  private async refresh(key: string, s: Session, t: StoredTokens): Promise<StoredTokens> {
    const res = await oauth.refreshTokenGrantRequest(s.as, s.client, s.auth, t.refresh_token!, {
      ...requestOptions<oauth.TokenEndpointRequestOptions>(this.http(new URL(s.as.issuer))),
      additionalParameters: { resource: s.resource },
    });
    const next = toStored(await oauth.processRefreshTokenResponse(s.as, s.client, res));
    next.refresh_token ??= t.refresh_token; // RFC 6749 §6: the old one stays valid unless replaced
    next.scope ??= t.scope;
    await this.store.setTokens(key, next);
    return next;
  }
}

/** A redirect URI of a native app: a loopback host, or a private-use scheme (RFC 8252 §7). */
function nativeRedirect(uri: string): boolean {
  const u = new URL(uri);
  return (u.protocol !== 'https:' && u.protocol !== 'http:') || isLoopback(u);
}

function authFor(as: oauth.AuthorizationServer, secret: string): oauth.ClientAuth {
  const methods = as.token_endpoint_auth_methods_supported;
  return methods && !methods.includes('client_secret_basic') && methods.includes('client_secret_post') ? oauth.ClientSecretPost(secret) : secretBasic(secret);
}

/**
 * client_secret_basic with RFC 6749 §2.3.1's form-urlencoding (oauth4webapi's also escapes
 * characters such as "-", which some servers do not decode back).
 */
function secretBasic(secret: string): oauth.ClientAuth {
  const form = (v: string) => encodeURIComponent(v).replace(/%20/g, '+');
  return (_as, client, _body, headers) => {
    headers.set('authorization', `Basic ${Buffer.from(`${form(client.client_id)}:${form(secret)}`).toString('base64')}`);
  };
}

/** 2025-03-26 basic/authorization#fallbacks-for-servers-without-metadata-discovery. */
function fallbackMetadata(issuer: URL): oauth.AuthorizationServer {
  return {
    issuer: issuer.origin,
    authorization_endpoint: new URL('/authorize', issuer).href,
    token_endpoint: new URL('/token', issuer).href,
    registration_endpoint: new URL('/register', issuer).href,
  };
}

/** RFC 6749 §5.1: a response without `scope` granted the scope requested. */
function toStored(r: oauth.TokenEndpointResponse, requested?: string): StoredTokens {
  const t: StoredTokens = { access_token: r.access_token };
  if (r.refresh_token !== undefined) t.refresh_token = r.refresh_token;
  if (typeof r.expires_in === 'number') t.expires_at = Date.now() + r.expires_in * 1000;
  if (typeof r.scope === 'string') t.scope = r.scope;
  else if (requested) t.scope = requested;
  return t;
}

function withToken(init: RequestInit | undefined, tokens: StoredTokens | undefined): RequestInit | undefined {
  if (!tokens) return init;
  const headers = new Headers(init?.headers);
  headers.set('authorization', `Bearer ${tokens.access_token}`);
  return { ...init, headers };
}
