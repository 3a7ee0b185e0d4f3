/**
 * End to end against a real authorization server (`oidc-provider` on 127.0.0.1): real tokens,
 * real JWKS, real introspection. The official SDK client calls our protected server over
 * Streamable HTTP — with a token it was given, and through its own OAuth support (discovery from
 * our 401 and Protected Resource Metadata, then client credentials at the provider).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client as SdkClient } from '@modelcontextprotocol/sdk/client/index.js';
import { ClientCredentialsProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { metadataRoutes, ResourceServer } from '../../src/features/auth/index.js';
import { McpServer } from '../../src/server/index.js';
import { StreamableHttpServer } from '../../src/transports/http/index.js';
import { MACHINE, RS_CLIENT, startOidcProvider, type TestIdp } from '../helpers/oidc.js';

const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c().catch(() => {});
});

function makeServer(): McpServer {
  const server = new McpServer({ name: 'protected', version: '1.0.0' });
  server.tool('whoami', {}, (_a, ctx) => ({ content: [{ type: 'text', text: JSON.stringify(ctx.authInfo ?? null) }] }));
  return server;
}

async function listen(server: McpServer, rsRef: { rs?: ResourceServer }): Promise<string> {
  const http = new StreamableHttpServer({ server, routes: metadataRoutes('/mcp', () => rsRef.rs) });
  closers.push(() => http.close());
  return (await http.listen(0, '127.0.0.1')).url;
}

async function sdkWhoami(client: SdkClient): Promise<Record<string, unknown>> {
  const r = await client.callTool({ name: 'whoami', arguments: {} });
  return JSON.parse((r.content as { text: string }[])[0]!.text) as Record<string, unknown>;
}

describe('against oidc-provider', () => {
  let idp: TestIdp;
  let jwtUrl: string;
  let opaqueUrl: string;
  const jwtRef: { rs?: ResourceServer } = {};
  const opaqueRef: { rs?: ResourceServer } = {};

  before(async () => {
    const jwtServer = makeServer();
    const opaqueServer = makeServer();
    jwtUrl = await listen(jwtServer, jwtRef);
    opaqueUrl = await listen(opaqueServer, opaqueRef);
    idp = await startOidcProvider(jwtUrl, opaqueUrl);
    closers.push(() => idp.close());
    jwtRef.rs = new ResourceServer({
      resource: jwtUrl,
      authorizationServers: [idp.issuer],
      scopesSupported: ['mcp:tools'],
      requiredScopes: ['mcp:tools'],
      jwt: { issuer: idp.issuer, jwksUri: idp.jwksUri },
    }).install(jwtServer);
    opaqueRef.rs = new ResourceServer({
      resource: opaqueUrl,
      authorizationServers: [idp.issuer],
      introspection: { endpoint: `${idp.issuer}/token/introspection`, clientId: RS_CLIENT.id, clientSecret: RS_CLIENT.secret, issuer: idp.issuer },
    }).install(opaqueServer);
  });

  it('the SDK client calls our server with a client-credentials JWT issued for it', async () => {
    const { access_token } = await idp.clientCredentials(jwtUrl, 'mcp:tools');
    assert.equal(access_token.split('.').length, 3, 'a JWT access token');
    const client = new SdkClient({ name: 'sdk', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(jwtUrl), { requestInit: { headers: { authorization: `Bearer ${access_token}` } } }));
    closers.push(() => client.close());
    assert.deepEqual((await client.listTools()).tools.map((t) => t.name), ['whoami']);
    const who = await sdkWhoami(client);
    assert.equal(who.clientId, MACHINE.id);
    assert.equal(who.method, 'jwt');
    assert.deepEqual(who.scopes, ['mcp:tools']);
    assert.equal((who.claims as { aud: string }).aud, jwtUrl);
    assert.equal((who.claims as { iss: string }).iss, idp.issuer);
  });

  it('the SDK client discovers the provider from our 401 and metadata and gets its own token', async () => {
    const authProvider = new ClientCredentialsProvider({ clientId: MACHINE.id, clientSecret: MACHINE.secret, scope: 'mcp:tools', expectedIssuer: idp.issuer });
    const client = new SdkClient({ name: 'sdk-oauth', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(jwtUrl), { authProvider }));
    closers.push(() => client.close());
    const who = await sdkWhoami(client);
    assert.equal(who.clientId, MACHINE.id);
    assert.equal((who.claims as { aud: string }).aud, jwtUrl, 'the token was bound to our resource (RFC 8707)');
  });

  it('opaque tokens are checked by introspection at the provider', async () => {
    const { access_token } = await idp.clientCredentials(opaqueUrl, 'mcp:tools');
    assert.notEqual(access_token.split('.').length, 3, 'an opaque token');
    const client = new SdkClient({ name: 'sdk', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(opaqueUrl), { requestInit: { headers: { authorization: `Bearer ${access_token}` } } }));
    closers.push(() => client.close());
    const who = await sdkWhoami(client);
    assert.equal(who.clientId, MACHINE.id);
    assert.equal(who.method, 'introspection');
  });

  it('a token issued for one resource is refused by the other (audience binding), and a token without the scope gets 403', async () => {
    const forOpaque = (await idp.clientCredentials(opaqueUrl, 'mcp:tools')).access_token;
    const forJwt = (await idp.clientCredentials(jwtUrl, 'mcp:tools')).access_token;
    const noScope = (await idp.clientCredentials(jwtUrl, 'mcp:admin')).access_token;
    const init = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } });
    const post = async (url: string, token: string) => {
      const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${token}` }, body: init });
      await r.text();
      return { status: r.status, challenge: r.headers.get('www-authenticate') };
    };
    assert.equal((await post(jwtUrl, forOpaque)).status, 401);
    assert.equal((await post(opaqueUrl, forJwt)).status, 401);
    const denied = await post(jwtUrl, noScope);
    assert.equal(denied.status, 403);
    assert.match(denied.challenge ?? '', /error="insufficient_scope".*scope="mcp:tools"/);
  });
});
