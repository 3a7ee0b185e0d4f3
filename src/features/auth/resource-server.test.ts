/**
 * The resource server on a real Streamable HTTP endpoint, against a real JWKS endpoint on
 * 127.0.0.1: metadata, challenges, every kind of bad token (each gets its status, none crashes
 * the server), JWKS key rotation, a JWKS that is down or never answers (bounded wait → 503),
 * scopes, and the WebSocket upgrade going through the same check.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { McpServer } from '../../server/index.js';
import { StreamableHttpServer } from '../../transports/http/server.js';
import { McpWebSocketServer } from '../../transports/ws/server.js';
import { newKey, startTokenIssuer, type TokenIssuer } from '../../../test/helpers/token-issuer.js';
import { metadataRoutes, ResourceServer, type ResourceServerOptions } from './resource-server.js';

const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c().catch(() => {});
});

interface Protected {
  url: string;
  rs: ResourceServer;
  server: McpServer;
}

function makeServer(): McpServer {
  const server = new McpServer({ name: 'rs-test', version: '1.0.0' });
  server.tool('whoami', {}, (_a, ctx) => ({ content: [{ type: 'text', text: JSON.stringify(ctx.authInfo ?? null) }] }));
  return server;
}

async function protect(options: (url: string) => Omit<ResourceServerOptions, 'resource'>): Promise<Protected> {
  const server = makeServer();
  let rs: ResourceServer | undefined;
  const http = new StreamableHttpServer({ server, enableJsonResponse: true, routes: metadataRoutes('/mcp', () => rs) });
  closers.push(() => http.close());
  const { url } = await http.listen(0, '127.0.0.1');
  rs = new ResourceServer({ resource: url, ...options(url) }).install(server);
  return { url, rs, server };
}

const H = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const INIT = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } });

async function post(url: string, headers: Record<string, string>, body = INIT): Promise<{ status: number; headers: Headers; body: string }> {
  const r = await fetch(url, { method: 'POST', headers: { ...H, ...headers }, body });
  return { status: r.status, headers: r.headers, body: await r.text() };
}

/** Initializes with `token` and calls whoami in the session: the identity the handler saw. */
async function whoami(url: string, token: string): Promise<Record<string, unknown>> {
  const auth = { authorization: `Bearer ${token}` };
  const init = await post(url, auth);
  assert.equal(init.status, 200, init.body);
  const sid = init.headers.get('mcp-session-id')!;
  const call = await post(url, { ...auth, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' }, JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'whoami', arguments: {} } }));
  assert.equal(call.status, 200, call.body);
  return JSON.parse((JSON.parse(call.body) as { result: { content: { text: string }[] } }).result.content[0]!.text) as Record<string, unknown>;
}

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('resource server (JWT)', () => {
  let idp: TokenIssuer;
  let p: Protected;
  before(async () => {
    idp = await startTokenIssuer();
    closers.push(() => idp.close());
    p = await protect(() => ({
      authorizationServers: [idp.issuer],
      scopesSupported: ['mcp:tools', 'mcp:admin'],
      jwt: { issuer: idp.issuer, jwksUri: idp.jwksUri, jwksCooldownMs: 0, clockToleranceSec: 5 },
    }));
  });

  it('serves Protected Resource Metadata at the root and the path-suffixed well-known URIs (RFC 9728)', async () => {
    const origin = new URL(p.url).origin;
    assert.equal(p.rs.metadataUrl, `${origin}/.well-known/oauth-protected-resource/mcp`);
    for (const path of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp']) {
      const r = await fetch(origin + path);
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('access-control-allow-origin'), '*');
      assert.deepEqual(await r.json(), { resource: p.url, bearer_methods_supported: ['header'], authorization_servers: [idp.issuer], scopes_supported: ['mcp:tools', 'mcp:admin'] });
    }
    assert.equal((await fetch(`${origin}/.well-known/oauth-protected-resource/other`)).status, 404);
    assert.equal((await fetch(`${origin}/.well-known/oauth-protected-resource`, { method: 'POST' })).status, 405);
  });

  it('answers a request without credentials 401 with resource_metadata and scope in WWW-Authenticate', async () => {
    const r = await post(p.url, {});
    assert.equal(r.status, 401);
    assert.equal(r.headers.get('www-authenticate'), `Bearer scope="mcp:tools mcp:admin", resource_metadata="${p.rs.metadataUrl}"`);
    assert.equal((JSON.parse(r.body) as { error: { data: unknown } }).error.data && true, true);
  });

  it('admits a valid token; the handler sees subject, client id, scopes and claims', async () => {
    const token = await idp.sign({ sub: 'alice', aud: p.url, client_id: 'app-1', scope: 'mcp:tools extra' });
    const who = await whoami(p.url, token);
    assert.equal(who.subject, 'alice');
    assert.equal(who.clientId, 'app-1');
    assert.deepEqual(who.scopes, ['mcp:tools', 'extra']);
    assert.equal(who.method, 'jwt');
    assert.equal((who.claims as { aud: string }).aud, p.url);
  });

  it('refuses every kind of bad token with the right status, and keeps serving', async () => {
    const now = Math.floor(Date.now() / 1000);
    const stranger = await newKey('not-published');
    const pem = JSON.stringify(idp.keys[0]!.publicJwk);
    const hsHeader = b64({ alg: 'HS256', kid: 'k1', typ: 'JWT' });
    const hsPayload = b64({ sub: 'mallory', aud: p.url, iss: idp.issuer, exp: now + 300 });
    const hs256WithPublicKey = `${hsHeader}.${hsPayload}.${createHmac('sha256', pem).update(`${hsHeader}.${hsPayload}`).digest('base64url')}`;
    const cases: [string, string, number, RegExp][] = [
      ['expired', await idp.sign({ sub: 'a', aud: p.url, exp: now - 60 }), 401, /expired/],
      ['not yet valid', await idp.sign({ sub: 'a', aud: p.url, nbf: now + 600 }), 401, /not yet valid/],
      ['wrong audience', await idp.sign({ sub: 'a', aud: 'http://127.0.0.1:1/other' }), 401, /audience/],
      ['no audience', await idp.sign({ sub: 'a' }), 401, /audience|aud/],
      ['wrong issuer', await idp.sign({ sub: 'a', aud: p.url, iss: 'http://127.0.0.1:2' }), 401, /issuer/],
      ['alg none', `${b64({ alg: 'none' })}.${b64({ sub: 'a', aud: p.url, iss: idp.issuer, exp: now + 60 })}.x`, 401, /algorithm|malformed/],
      ['alg none, empty signature', `${b64({ alg: 'none' })}.${b64({ sub: 'a', aud: p.url, iss: idp.issuer, exp: now + 60 })}.`, 401, /malformed/],
      ['HS256 signed with the public key', hs256WithPublicKey, 401, /algorithm/],
      ['unknown kid', await idp.sign({ sub: 'a', aud: p.url }, { key: stranger }), 401, /unknown key/],
      ['bad signature', (await idp.sign({ sub: 'a', aud: p.url })).slice(0, -4) + 'AAAA', 401, /signature/],
      ['malformed (three parts, junk)', 'abc.def.ghi', 401, /malformed/],
      ['not a JWT', 'opaque-token', 401, /malformed/],
      ['oversized', 'a'.repeat(9000), 401, /too large/],
    ];
    for (const [name, token, status, why] of cases) {
      const r = await post(p.url, { authorization: `Bearer ${token}` });
      assert.equal(r.status, status, `${name}: ${r.body}`);
      const challenge = r.headers.get('www-authenticate') ?? '';
      assert.match(challenge, /^Bearer error="invalid_token", error_description="[^"]+"/, name);
      assert.match(challenge, why, name);
    }
    for (const header of ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer two words', 'Bearer a,b']) {
      const r = await post(p.url, { authorization: header });
      assert.equal(r.status, 400, header);
      assert.match(r.headers.get('www-authenticate') ?? '', /error="invalid_request"/);
    }
    // Still serving.
    assert.equal((await whoami(p.url, await idp.sign({ sub: 'bob', aud: p.url }))).subject, 'bob');
  });

  it('re-fetches the JWKS when a token names an unknown kid (key rotation)', async () => {
    const before = idp.fetches;
    const rotated = await newKey('k2');
    idp.keys.push(rotated);
    const who = await whoami(p.url, await idp.sign({ sub: 'carol', aud: p.url }, { key: rotated }));
    assert.equal(who.subject, 'carol');
    assert.ok(idp.fetches > before, 'the JWKS was fetched again');
  });
});

describe('resource server: scopes, verifier outages, other transports', () => {
  it('answers 403 insufficient_scope naming the required scopes (step-up)', async () => {
    const idp = await startTokenIssuer();
    closers.push(() => idp.close());
    const p = await protect(() => ({ requiredScopes: ['mcp:tools'], jwt: { issuer: idp.issuer, jwksUri: idp.jwksUri } }));
    const r = await post(p.url, { authorization: `Bearer ${await idp.sign({ sub: 'a', aud: p.url, scope: 'other' })}` });
    assert.equal(r.status, 403);
    assert.equal(r.headers.get('www-authenticate'), `Bearer error="insufficient_scope", error_description="token lacks a required scope", scope="mcp:tools", resource_metadata="${p.rs.metadataUrl}"`);
    assert.equal((await whoami(p.url, await idp.sign({ sub: 'a', aud: p.url, scope: 'mcp:tools' }))).subject, 'a');
  });

  it('answers 503 + Retry-After when the JWKS endpoint is down or never answers (bounded wait), and recovers', async () => {
    const idp = await startTokenIssuer();
    closers.push(() => idp.close());
    const p = await protect(() => ({ jwt: { issuer: idp.issuer, jwksUri: idp.jwksUri, jwksTimeoutMs: 300, jwksCooldownMs: 0 } }));
    const token = await idp.sign({ sub: 'dave', aud: p.url });
    idp.mode = 'down';
    let r = await post(p.url, { authorization: `Bearer ${token}` });
    assert.equal(r.status, 503, r.body);
    assert.equal(r.headers.get('retry-after'), '5');
    idp.mode = 'slow';
    r = await post(p.url, { authorization: `Bearer ${token}` });
    assert.equal(r.status, 503, r.body);
    idp.mode = 'ok';
    assert.equal((await whoami(p.url, token)).subject, 'dave');
  });

  it('an unreachable JWKS host is 503 as well', async () => {
    const p = await protect(() => ({ jwt: { issuer: 'http://127.0.0.1:9', jwksUri: 'http://127.0.0.1:9/jwks', jwksTimeoutMs: 300 } }));
    const idp = await startTokenIssuer();
    closers.push(() => idp.close());
    const r = await post(p.url, { authorization: `Bearer ${await idp.sign({ sub: 'a', aud: p.url, iss: 'http://127.0.0.1:9' })}` });
    assert.equal(r.status, 503, r.body);
  });

  it('checks the WebSocket upgrade the same way', async () => {
    const idp = await startTokenIssuer();
    closers.push(() => idp.close());
    const server = makeServer();
    const ws = new McpWebSocketServer({ server });
    const { url } = await ws.listen(0, '127.0.0.1');
    closers.push(() => ws.close());
    const resource = url.replace('ws://', 'http://');
    new ResourceServer({ resource, jwt: { issuer: idp.issuer, jwksUri: idp.jwksUri } }).install(server);
    const status = (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const sock = new WebSocket(url, { headers });
        sock.once('unexpected-response', (_req, res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        sock.once('open', () => {
          sock.close();
          resolve(101);
        });
        sock.once('error', (e) => (e.message.includes('Unexpected server response') ? undefined : reject(e)));
      });
    assert.equal(await status({}), 401);
    assert.equal(await status({ authorization: 'Bearer nope.nope.nope' }), 401);
    assert.equal(await status({ authorization: `Bearer ${await idp.sign({ sub: 'a', aud: resource })}` }), 101);
  });
});
