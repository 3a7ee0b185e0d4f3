/**
 * The MCP server as an OAuth 2.1 resource server (basic/authorization, 2025-11-25), installed on
 * the admission seam: every network transport carrying MCP (Streamable HTTP, legacy SSE, the
 * WebSocket upgrade; TCP has no headers, so it is refused) runs this check before any session
 * is looked up, and the verified identity reaches handlers as `ctx.authInfo`.
 *
 * - no credentials → 401 + `WWW-Authenticate: Bearer resource_metadata="…", scope="…"` (RFC 9728 §5.1);
 * - a bad token → 401 `invalid_token`; a malformed header → 400 `invalid_request` (RFC 6750 §3.1);
 * - a valid token lacking `requiredScopes` → 403 `insufficient_scope` naming them (step-up);
 * - the JWKS or introspection endpoint down or slow → 503 + Retry-After, after a bounded wait.
 * Credentials are tried in order: API key (`X-API-Key`, or as a bearer token), JWT (JWKS), opaque
 * token (RFC 7662 introspection).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthInfo } from '../../protocol/transport.js';
import type { AdmissionRefusal, AdmissionRequest, AdmissionVerdict, McpServer } from '../../server/index.js';
import type { ApiKeyStore } from './api-keys.js';
import { bearerChallenge, DEFAULT_MAX_TOKEN_BYTES, isB64Token, looksLikeJwt, splitBearer, type BearerError } from './bearer.js';
import { Introspector, type IntrospectionOptions } from './introspection.js';
import { JwtVerifier, type JwtVerifierOptions } from './jwt.js';
import { tokenDigest } from './token-cache.js';
import { TokenError } from './token-error.js';

export interface ResourceServerOptions {
  /** This MCP endpoint's canonical URI (RFC 8707 §2), e.g. `https://mcp.example.com/mcp`. Tokens must name it in `aud`. */
  resource: string | URL;
  /** Issuer identifiers of the authorization servers clients should use (RFC 9728 `authorization_servers`). */
  authorizationServers?: readonly string[];
  /** Scopes this resource understands (RFC 9728 `scopes_supported`); the 401 challenge names them unless `requiredScopes` is set. */
  scopesSupported?: readonly string[];
  /** Scopes every request needs; a token without them gets 403 insufficient_scope. */
  requiredScopes?: readonly string[];
  /**
   * Scopes a 401 challenge names (basic/authorization#scope-selection-strategy: what basic use
   * needs; more is asked for by step-up). Default `requiredScopes`, else `scopesSupported`.
   */
  challengeScopes?: readonly string[];
  /** JWT access tokens checked against the authorization server's JWKS. `audience` defaults to `resource`. */
  jwt?: Omit<JwtVerifierOptions, 'audience'> & { audience?: string | readonly string[] };
  /** Opaque access tokens checked by RFC 7662 introspection. `audience` defaults to `resource`. */
  introspection?: IntrospectionOptions;
  /** API keys, presented as `X-API-Key: <key>` or `Authorization: Bearer <key>`. */
  apiKeys?: ApiKeyStore;
  /** Longest accepted token, bytes. Default 8192. */
  maxTokenBytes?: number;
  /** RFC 9728 `resource_name`. */
  resourceName?: string;
  /** RFC 9728 `resource_documentation`. */
  resourceDocumentation?: string;
  /** Seconds a client is told to wait when a verifier is unavailable. Default 5. */
  retryAfterSec?: number;
  /** Told of every refusal. (The audit log needs no hook here: it hears every admission refusal through `server.onRefusal`.) */
  onrefuse?: (req: AdmissionRequest, refusal: AdmissionRefusal) => void;
}

export const PRM_PATH = '/.well-known/oauth-protected-resource';

/**
 * Protects an MCP server.
 *
 * @example
 * const rs = new ResourceServer({
 *   resource: 'https://mcp.example.com/mcp',
 *   authorizationServers: ['https://idp.example.com'],
 *   scopesSupported: ['mcp:tools'],
 *   jwt: { issuer: 'https://idp.example.com', jwksUri: 'https://idp.example.com/jwks' },
 * });
 * rs.install(server);
 * const http = new StreamableHttpServer({ server, routes: rs.routes });
 */
export class ResourceServer {
  readonly resource: string;
  /** Where clients find the Protected Resource Metadata (path-suffixed form, RFC 9728 §3.1). */
  readonly metadataUrl: string;
  private readonly paths: ReadonlySet<string>;
  private readonly metadataJson: string;
  private readonly jwt: JwtVerifier | undefined;
  private readonly introspector: Introspector | undefined;
  private readonly maxTokenBytes: number;
  private readonly challengeScopes: readonly string[] | undefined;

  constructor(readonly options: ResourceServerOptions) {
    const url = new URL(options.resource);
    url.hash = '';
    this.resource = url.href.endsWith('/') && url.pathname === '/' ? url.href.slice(0, -1) : url.href;
    const suffix = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
    this.metadataUrl = `${url.origin}${PRM_PATH}${suffix}`;
    this.paths = new Set([PRM_PATH, `${PRM_PATH}${suffix}`]);
    const doc: Record<string, unknown> = { resource: this.resource, bearer_methods_supported: ['header'] };
    if (options.authorizationServers?.length) doc.authorization_servers = options.authorizationServers;
    if (options.scopesSupported?.length) doc.scopes_supported = options.scopesSupported;
    if (options.resourceName !== undefined) doc.resource_name = options.resourceName;
    if (options.resourceDocumentation !== undefined) doc.resource_documentation = options.resourceDocumentation;
    this.metadataJson = JSON.stringify(doc);
    this.jwt = options.jwt ? new JwtVerifier({ ...options.jwt, audience: options.jwt.audience ?? this.resource }) : undefined;
    this.introspector = options.introspection ? new Introspector({ audience: this.resource, ...options.introspection }) : undefined;
    this.maxTokenBytes = options.maxTokenBytes ?? DEFAULT_MAX_TOKEN_BYTES;
    this.challengeScopes = options.challengeScopes ?? (options.requiredScopes?.length ? options.requiredScopes : options.scopesSupported);
  }

  /** The Protected Resource Metadata document (RFC 9728 §2). */
  metadata(): Record<string, unknown> {
    return JSON.parse(this.metadataJson) as Record<string, unknown>;
  }

  /** Installs the admission hook on `server`. */
  install(server: McpServer): this {
    server.admit(this.hook);
    return this;
  }

  /** The metadata paths and their handler, for StreamableHttpServer's `routes` option. */
  get routes(): Record<string, (req: IncomingMessage, res: ServerResponse) => void> {
    const serve = (req: IncomingMessage, res: ServerResponse) => void this.serveMetadata(req, res);
    return Object.fromEntries([...this.paths].map((p) => [p, serve]));
  }

  /** Serves the metadata at both well-known paths; false for any other request. */
  serveMetadata(req: IncomingMessage, res: ServerResponse): boolean {
    const path = (req.url ?? '/').split('?', 1)[0]!;
    if (!this.paths.has(path)) return false;
    // Public, and fetched by browser-based clients: any origin may read it.
    const cors = { 'access-control-allow-origin': '*', 'access-control-allow-methods': 'GET, OPTIONS', 'access-control-allow-headers': 'mcp-protocol-version' };
    if (req.method === 'OPTIONS') {
      res.writeHead(204, cors).end();
    } else if (req.method === 'GET' || req.method === 'HEAD') {
      res.writeHead(200, { ...cors, 'content-type': 'application/json', 'cache-control': 'max-age=300', 'content-length': Buffer.byteLength(this.metadataJson) });
      res.end(req.method === 'HEAD' ? undefined : this.metadataJson);
    } else {
      res.writeHead(405, { allow: 'GET, HEAD, OPTIONS' }).end();
    }
    return true;
  }

  /** The admission hook: admits with an identity or refuses (see the module comment). */
  readonly hook = (req: AdmissionRequest): AdmissionVerdict | Promise<AdmissionVerdict> => {
    const apiKey = req.headers['x-api-key'];
    if (apiKey !== undefined && this.options.apiKeys) {
      const who = typeof apiKey === 'string' ? this.options.apiKeys.verify(apiKey) : undefined;
      return who ? this.judge(req, who) : this.refuse(req, 401, 'invalid_token', 'API key not accepted');
    }
    const bearer = splitBearer(req.headers.authorization, this.maxTokenBytes);
    if (!bearer.ok) return this.malformed(req, bearer.reason);
    const token = bearer.token;
    // One SHA-256 serves both the verified-JWT cache key and the API key comparison.
    const digest = this.options.apiKeys || this.jwt ? tokenDigest(token) : undefined;
    const cached = this.jwt?.peek(token, digest);
    // A remembered token passed the character check when it was verified: skip it (the hot path).
    if (cached === undefined && !isB64Token(token)) return this.malformed(req, 'malformed');
    const byKey = this.options.apiKeys?.verify(token, Buffer.from(digest!, 'binary'));
    if (byKey) return this.judge(req, byKey);
    if (cached) return this.judge(req, cached);
    return this.verifyToken(req, token, digest);
  };

  private malformed(req: AdmissionRequest, reason: 'missing' | 'malformed' | 'too_large'): AdmissionVerdict {
    if (reason === 'missing') return this.refuse(req, 401, undefined, 'Authorization required');
    if (reason === 'too_large') return this.refuse(req, 401, 'invalid_token', 'token too large');
    return this.refuse(req, 400, 'invalid_request', 'malformed Authorization header: expected "Bearer <token>"');
  }

  private async verifyToken(req: AdmissionRequest, token: string, digest: string | undefined): Promise<AdmissionVerdict> {
    try {
      let who: AuthInfo;
      if (this.jwt && looksLikeJwt(token)) who = await this.jwt.verify(token, digest);
      else if (this.introspector) who = await this.introspector.verify(token, digest);
      else throw new TokenError('invalid', this.jwt ? 'token malformed' : 'token not accepted');
      return this.judge(req, who);
    } catch (e) {
      if (e instanceof TokenError && e.kind === 'unavailable') {
        const refusal: AdmissionRefusal = {
          status: 503,
          message: `Service Unavailable: ${e.message}`,
          headers: { 'retry-after': String(this.options.retryAfterSec ?? 5) },
          data: { reason: 'auth_unavailable' },
        };
        this.options.onrefuse?.(req, refusal);
        return { refuse: refusal };
      }
      return this.refuse(req, 401, 'invalid_token', e instanceof TokenError ? e.message : 'token not accepted');
    }
  }

  private judge(req: AdmissionRequest, who: AuthInfo): AdmissionVerdict {
    const required = this.options.requiredScopes;
    if (required?.length) {
      const have = who.scopes ?? [];
      if (!required.every((s) => have.includes(s))) return this.refuse(req, 403, 'insufficient_scope', 'token lacks a required scope', required);
    }
    return { identity: who };
  }

  private refuse(req: AdmissionRequest, status: number, error: BearerError | undefined, description: string, scope = this.challengeScopes): AdmissionVerdict {
    const challenge = bearerChallenge({
      resourceMetadata: this.metadataUrl,
      ...(scope ? { scope } : {}),
      ...(error ? { error, errorDescription: description } : {}),
    });
    const refusal: AdmissionRefusal = {
      status,
      message: status === 403 ? `Forbidden: ${description}` : status === 400 ? `Bad Request: ${description}` : `Unauthorized: ${description}`,
      headers: { 'www-authenticate': challenge },
      data: { reason: error ?? 'unauthorized' },
    };
    this.options.onrefuse?.(req, refusal);
    return { refuse: refusal };
  }
}

/**
 * Metadata routes for a resource server made after `listen()` (when the URL, e.g. its port, is
 * known only then): `endpoint` is the MCP path, `get` returns the resource server once made.
 *
 * @example
 * let rs: ResourceServer | undefined;
 * const http = new StreamableHttpServer({ server, routes: metadataRoutes('/mcp', () => rs) });
 * const { url } = await http.listen(0);
 * rs = new ResourceServer({ resource: url, … }).install(server);
 */
export function metadataRoutes(endpoint: string, get: () => ResourceServer | undefined): Record<string, (req: IncomingMessage, res: ServerResponse) => void> {
  const serve = (req: IncomingMessage, res: ServerResponse) => {
    if (!get()?.serveMetadata(req, res)) res.writeHead(404).end();
  };
  const suffix = endpoint === '/' ? '' : endpoint.replace(/\/$/, '');
  return { [PRM_PATH]: serve, [`${PRM_PATH}${suffix}`]: serve };
}
