/**
 * A real OpenID Provider for tests: `oidc-provider` (a certified implementation) on 127.0.0.1,
 * issuing JWT access tokens (ES256) for one resource through RFC 8707 resource indicators, and
 * opaque ones for a second resource (checked by RFC 7662 introspection). Clients: a confidential
 * machine client (client credentials), the resource server itself (introspection), and a
 * public client for authorization code + PKCE whose login and consent are granted by the
 * interaction handler below without a browser.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { errors } from 'oidc-provider';

export interface TestIdp {
  issuer: string;
  jwksUri: string;
  /** Resources the provider issues tokens for, by format. */
  resources: { jwt: string; opaque: string };
  /** Fetches a client-credentials token for `resource`. */
  clientCredentials(resource: string, scope: string): Promise<{ access_token: string; scope?: string; expires_in: number }>;
  close(): Promise<void>;
}

export const MACHINE = { id: 'machine', secret: 'machine-secret-0123456789' };
export const RS_CLIENT = { id: 'resource-server', secret: 'rs-secret-0123456789' };
export const PUBLIC_CLIENT = { id: 'public-app', redirectUri: 'http://127.0.0.1/callback' };
export const SCOPES = ['mcp:tools', 'mcp:admin'];

/**
 * @param jwtResource the resource (MCP endpoint URL) JWT tokens are issued for
 * @param opaqueResource a resource given opaque tokens
 */
export async function startOidcProvider(jwtResource: string, opaqueResource: string): Promise<TestIdp> {
  const srv: Server = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const issuer = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const signing = { ...(await exportJWK(privateKey)), kid: 'sig-1', alg: 'ES256', use: 'sig' };
  const provider = new Provider(issuer, {
    jwks: { keys: [signing] },
    clients: [
      { client_id: MACHINE.id, client_secret: MACHINE.secret, grant_types: ['client_credentials'], response_types: [], redirect_uris: [], scope: SCOPES.join(' ') },
      { client_id: RS_CLIENT.id, client_secret: RS_CLIENT.secret, grant_types: [], response_types: [], redirect_uris: [] },
      { client_id: PUBLIC_CLIENT.id, token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], redirect_uris: [PUBLIC_CLIENT.redirectUri], scope: `openid offline_access ${SCOPES.join(' ')}` },
    ],
    scopes: ['openid', 'offline_access', ...SCOPES],
    clientDefaults: { id_token_signed_response_alg: 'ES256' },
    // Refresh tokens for every client allowed the grant (no offline_access + consent dance).
    issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(t: string): boolean }) => client.grantTypeAllowed('refresh_token'),
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true, allowedPolicy: async (_ctx: unknown, client: { clientId: string }) => client.clientId === RS_CLIENT.id },
      registration: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => jwtResource,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx: unknown, resource: string) => {
          // JWTs for the given resource and any other loopback MCP endpoint; opaque tokens for opaqueResource.
          const opaque = resource === opaqueResource;
          if (!opaque && resource !== jwtResource && !/^http:\/\/127\.0\.0\.1:\d+\/mcp$/.test(resource)) throw new errors.InvalidTarget();
          return {
            scope: SCOPES.join(' '),
            audience: resource,
            accessTokenTTL: 300,
            accessTokenFormat: opaque ? 'opaque' : 'jwt',
            ...(opaque ? {} : { jwt: { sign: { alg: 'ES256' } } }),
          };
        },
      },
    },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    findAccount: async (_ctx: unknown, id: string) => ({ accountId: id, claims: async () => ({ sub: id }) }),
    // The provider's own renderers would need a browser; the interaction route below answers instead.
  });
  const callback = provider.callback();
  srv.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.url?.startsWith('/interaction/')) return void autoConsent(provider, req, res);
    callback(req, res);
  });
  return {
    issuer,
    jwksUri: `${issuer}/jwks`,
    resources: { jwt: jwtResource, opaque: opaqueResource },
    async clientCredentials(resource, scope) {
      const r = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${MACHINE.id}:${MACHINE.secret}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'client_credentials', resource, scope }).toString(),
      });
      const body = (await r.json()) as { access_token: string; scope?: string; expires_in: number; error?: string; error_description?: string };
      if (!r.ok) throw new Error(`token endpoint: ${r.status} ${body.error}: ${body.error_description}`);
      return body;
    },
    async close() {
      await new Promise<void>((r) => {
        srv.close(() => r());
        srv.closeAllConnections();
      });
    },
  };
}

/** Logs in as "alice" and grants what was asked: the automated consent of the tests. */
async function autoConsent(provider: any, req: IncomingMessage, res: ServerResponse): Promise<void> { // eslint-disable-line @typescript-eslint/no-explicit-any
  try {
    const details = await provider.interactionDetails(req, res);
    if (details.prompt.name === 'login') {
      await provider.interactionFinished(req, res, { login: { accountId: 'alice' } }, { mergeWithLastSubmission: false });
      return;
    }
    const grant = details.grantId ? await provider.Grant.find(details.grantId) : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
    const missing = details.prompt.details;
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    if (missing.missingResourceScopes) for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes)) grant.addResourceScope(indicator, (scopes as string[]).join(' '));
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  } catch (e) {
    res.writeHead(500, { 'content-type': 'text/plain' }).end(String(e));
  }
}

/**
 * The browser of the authorization code tests: follows the provider's redirects (keeping its
 * cookies) through the automated login and consent until it reaches `redirectUri`, and returns
 * that URL (code, state, iss) as the app's redirect handler would receive it.
 */
export async function browse(start: URL, redirectUri: string): Promise<URL> {
  const cookies = new Map<string, string>();
  let url = start;
  for (let hop = 0; hop < 20; hop++) {
    const res = await fetch(url, { redirect: 'manual', headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';', 1);
      const eq = pair!.indexOf('=');
      cookies.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
    const location = res.headers.get('location');
    await res.text();
    if (location === null) throw new Error(`authorization stopped at ${url.href} with ${res.status}`);
    const next = new URL(location, url);
    if (next.href.startsWith(redirectUri)) return next;
    url = next;
  }
  throw new Error('too many redirects');
}
