/**
 * Our client's OAuth (oauth4webapi) against oidc-provider on 127.0.0.1 and our protected server:
 * discovery from the 401 and the Protected Resource Metadata, client credentials with
 * pre-registered credentials, authorization code + PKCE with dynamic client registration and an
 * automated browser step (RFC 9207 iss checked), refresh of an expired token, step-up on 403
 * insufficient_scope, re-registration when the resource names a new authorization server
 * (SEP-2352), refusal of metadata naming another resource, and a metadata URL that does not
 * answer failing discovery.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { discoverResource, MemoryTokenStore, OAuthClient } from '../../src/client/auth/index.js';
import { Client } from '../../src/client/index.js';
import { metadataRoutes, ResourceServer, type ResourceServerOptions } from '../../src/features/auth/index.js';
import { McpServer } from '../../src/server/index.js';
import { StreamableHttpClientTransport, StreamableHttpServer } from '../../src/transports/http/index.js';
import { browse, MACHINE, startOidcProvider, type TestIdp } from '../helpers/oidc.js';

const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c().catch(() => {});
});

interface Target {
  url: string;
  server: McpServer;
  ref: { rs?: ResourceServer };
}

async function target(): Promise<Target> {
  const server = new McpServer({ name: 'protected', version: '1.0.0' });
  server.tool('whoami', {}, (_a, ctx) => ({ content: [{ type: 'text', text: JSON.stringify(ctx.authInfo ?? null) }] }));
  const ref: { rs?: ResourceServer } = {};
  const http = new StreamableHttpServer({ server, routes: metadataRoutes('/mcp', () => ref.rs) });
  closers.push(() => http.close());
  return { url: (await http.listen(0, '127.0.0.1')).url, server, ref };
}

function protect(t: Target, idp: TestIdp, extra: Partial<ResourceServerOptions> = {}): void {
  t.ref.rs = new ResourceServer({ resource: t.url, authorizationServers: [idp.issuer], scopesSupported: ['mcp:tools', 'mcp:admin'], jwt: { issuer: idp.issuer, jwksUri: idp.jwksUri }, ...extra }).install(t.server);
}

async function whoami(url: string, auth: OAuthClient): Promise<Record<string, unknown>> {
  const client = new Client({ name: 'c', version: '1' });
  await client.connect(new StreamableHttpClientTransport(new URL(url), { fetch: auth.fetch }));
  try {
    const r = await client.callTool({ name: 'whoami', arguments: {} });
    return JSON.parse((r.content[0] as { text: string }).text) as Record<string, unknown>;
  } finally {
    await client.close();
  }
}

const REDIRECT = 'http://127.0.0.1/callback';

describe('OAuthClient against oidc-provider', () => {
  let idp: TestIdp;
  let a: Target; // JWT resource
  let b: Target; // the provider's opaque-token resource (unused here)

  before(async () => {
    a = await target();
    b = await target();
    idp = await startOidcProvider(a.url, b.url);
    closers.push(() => idp.close());
    protect(a, idp, { challengeScopes: ['mcp:tools'] });
  });

  it('client credentials: discovers the provider from the 401 and calls tools with a token bound to the server', async () => {
    const auth = new OAuthClient({ grant: 'client_credentials', clientId: MACHINE.id, clientSecret: MACHINE.secret, expectedIssuer: idp.issuer });
    const who = await whoami(a.url, auth);
    assert.equal(who.clientId, MACHINE.id);
    assert.deepEqual(who.scopes, ['mcp:tools'], 'the scope named by the challenge');
    assert.equal((who.claims as { aud: string }).aud, a.url);
  });

  it('pre-registered credentials are not sent to another authorization server', async () => {
    const auth = new OAuthClient({ grant: 'client_credentials', clientId: MACHINE.id, clientSecret: MACHINE.secret, expectedIssuer: 'http://127.0.0.1:1' });
    await assert.rejects(whoami(a.url, auth), /pre-registered client is for http:\/\/127\.0\.0\.1:1/);
  });

  it('authorization code + PKCE with dynamic registration, the browser step done by the app callback; then refresh', async () => {
    const store = new MemoryTokenStore();
    const seen: URL[] = [];
    const auth = new OAuthClient({
      redirectUri: REDIRECT,
      store,
      authorize: async (u) => {
        seen.push(u);
        const back = await browse(u, REDIRECT);
        assert.equal(back.searchParams.get('iss'), idp.issuer, 'RFC 9207 iss in the redirect');
        return back;
      },
    });
    const who = await whoami(a.url, auth);
    assert.equal(who.subject, 'alice');
    assert.equal(seen.length, 1);
    const asked = seen[0]!.searchParams;
    assert.equal(asked.get('code_challenge_method'), 'S256');
    assert.equal(asked.get('resource'), a.url);
    assert.equal(asked.get('scope'), 'mcp:tools');
    assert.ok(asked.get('client_id'), 'a dynamically registered client id');

    const key = new URL(a.url).origin + new URL(a.url).pathname;
    const first = store.getTokens(key)!;
    assert.ok(first.refresh_token, 'a refresh token was issued');
    store.setTokens(key, { ...first, expires_at: Date.now() - 1000 });
    assert.equal((await whoami(a.url, auth)).subject, 'alice');
    assert.equal(seen.length, 1, 'no new authorization: the token was refreshed');
    assert.notEqual(store.getTokens(key)!.access_token, first.access_token);
  });

  it('a tampered iss in the redirect is refused (RFC 9207)', async () => {
    const auth = new OAuthClient({
      redirectUri: REDIRECT,
      authorize: async (u) => {
        const back = await browse(u, REDIRECT);
        back.searchParams.set('iss', 'http://127.0.0.1:1');
        return back;
      },
    });
    await assert.rejects(whoami(a.url, auth), /iss/);
  });

  it('steps up on 403 insufficient_scope, asking for the union of the scopes, once', async () => {
    const d = await target();
    protect(d, idp, { challengeScopes: ['mcp:tools'], requiredScopes: ['mcp:tools', 'mcp:admin'] });
    const asked: string[] = [];
    const watching: typeof fetch = async (input, init) => {
      if (String(input).endsWith('/token')) asked.push(new URLSearchParams(String(init?.body)).get('scope') ?? '');
      return fetch(input, init);
    };
    const auth = new OAuthClient({ grant: 'client_credentials', clientId: MACHINE.id, clientSecret: MACHINE.secret, expectedIssuer: idp.issuer, fetch: watching });
    const who = await whoami(d.url, auth);
    assert.deepEqual(asked, ['mcp:tools', 'mcp:tools mcp:admin']);
    assert.deepEqual(who.scopes, ['mcp:tools', 'mcp:admin']);
  });

  it('moves with the resource to a new authorization server: registers there (application_type native), never shows it the old client id', async () => {
    const idp2 = await startOidcProvider('http://127.0.0.1:1/unused', 'http://127.0.0.1:2/unused');
    closers.push(() => idp2.close());
    const m = await target();
    m.server.admit((req) => m.ref.rs!.hook(req));
    const protectWith = (p: TestIdp) => (m.ref.rs = new ResourceServer({ resource: m.url, authorizationServers: [p.issuer], challengeScopes: ['mcp:tools'], jwt: { issuer: p.issuer, jwksUri: p.jwksUri } }));
    protectWith(idp);
    const registrations: { at: string; body: Record<string, unknown>; clientId?: string }[] = [];
    const watching: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (String(input).endsWith('/reg')) {
        const reg = (await res.clone().json()) as { client_id?: string };
        registrations.push({ at: new URL(String(input)).origin, body: JSON.parse(String(init?.body)) as Record<string, unknown>, ...(reg.client_id ? { clientId: reg.client_id } : {}) });
      }
      return res;
    };
    const authorizedAt: { origin: string; clientId: string | null }[] = [];
    const auth = new OAuthClient({
      redirectUri: REDIRECT,
      fetch: watching,
      authorize: async (u) => {
        authorizedAt.push({ origin: u.origin, clientId: u.searchParams.get('client_id') });
        return browse(u, REDIRECT);
      },
    });
    assert.equal((await whoami(m.url, auth)).subject, 'alice');
    protectWith(idp2); // the old tokens are now refused with 401
    assert.equal((await whoami(m.url, auth)).subject, 'alice');
    assert.deepEqual(registrations.map((r) => r.at), [idp.issuer, idp2.issuer], 'one registration at each server');
    assert.ok(registrations.every((r) => r.body.application_type === 'native'), 'a loopback redirect registers a native app');
    assert.deepEqual(authorizedAt.map((a) => a.origin), [idp.issuer, idp2.issuer]);
    assert.equal(authorizedAt[1]!.clientId, registrations[1]!.clientId, 'the new server sees the client id it issued');
    assert.notEqual(authorizedAt[1]!.clientId, registrations[0]!.clientId);

    // Pre-registered credentials are bound to the first server they were used with.
    const machine = new OAuthClient({ grant: 'client_credentials', clientId: MACHINE.id, clientSecret: MACHINE.secret });
    await whoami(m.url, machine);
    protectWith(idp);
    await assert.rejects(whoami(m.url, machine), new RegExp(`pre-registered client is for ${idp2.issuer}`));
  });

  it('a metadata URL that does not answer fails discovery (it is not taken for "no metadata")', async () => {
    let tries = 0;
    const refusing: typeof fetch = async (input, init) => {
      tries++;
      return fetch(input, init);
    };
    await assert.rejects(discoverResource(new URL('http://127.0.0.1:1/mcp'), undefined, { fetch: refusing, insecure: true }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'ERR_TRANSPORT');
      assert.match(e.message, /could not fetch http:\/\/127\.0\.0\.1:1\/\.well-known\/oauth-protected-resource\/mcp/);
      return true;
    });
    assert.equal(tries, 2, 'tried once more, then gave up');
  });

  it('refuses metadata that names another resource (no token is requested for it)', async () => {
    const c = await target();
    c.ref.rs = new ResourceServer({ resource: a.url, authorizationServers: [idp.issuer], jwt: { issuer: idp.issuer, jwksUri: idp.jwksUri } }).install(c.server);
    let tokenRequests = 0;
    const watching: typeof fetch = async (input, init) => {
      if (String(input).endsWith('/token')) tokenRequests++;
      return fetch(input, init);
    };
    const auth = new OAuthClient({ grant: 'client_credentials', clientId: MACHINE.id, clientSecret: MACHINE.secret, expectedIssuer: idp.issuer, fetch: watching });
    await assert.rejects(whoami(c.url, auth), /refusing to send tokens/);
    assert.equal(tokenRequests, 0);
  });
});
