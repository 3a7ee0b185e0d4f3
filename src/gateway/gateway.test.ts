/**
 * The gateway with erlmcp servers as upstreams (Streamable HTTP and WebSocket, in this process),
 * where the test controls what the upstream does: runtime list changes, a handler that waits
 * for its cancellation, credentials it checks, passthrough URIs, two clients at once.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '../client/client.js';
import type { CallToolResult } from '../protocol/types.js';
import { hashApiKey } from '../features/auth/api-keys.js';
import { McpServer } from '../server/server.js';
import { InMemoryTransport } from '../transports/memory.js';
import { StreamableHttpClientTransport } from '../transports/http/client.js';
import { StreamableHttpServer } from '../transports/http/server.js';
import { McpWebSocketServer } from '../transports/ws/server.js';
import { parseGatewayConfig } from './config.js';
import { Gateway } from './gateway.js';
import { serveGatewayHttp, type ServingHttp } from './http.js';

const UPSTREAM_TOKEN = 'upstream-only-secret';
const CLIENT_KEY = 'emk_gateway-client-key';

interface Upstreams {
  http: McpServer;
  ws: McpServer;
  /** Authorization headers the HTTP upstream saw. */
  authorizations: (string | undefined)[];
  /** Resolves when the `wait` tool's signal aborts. */
  aborted: Promise<unknown>;
  releaseWs: () => void;
  close(): Promise<void>;
}

async function upstreams(): Promise<Upstreams & { httpUrl: string; wsUrl: string }> {
  const authorizations: (string | undefined)[] = [];
  const http = new McpServer({ name: 'upstream-http', version: '1' });
  let onAbort!: (r: unknown) => void;
  const aborted = new Promise((r) => (onAbort = r));
  http.tool('whoami', {}, (_args, ctx) => {
    const auth = ctx.requestInfo?.headers?.authorization;
    authorizations.push(typeof auth === 'string' ? auth : undefined);
    return { content: [{ type: 'text', text: String(auth) }] };
  });
  http.tool('wait', {}, (_args, ctx) => new Promise<CallToolResult>((resolve) => ctx.signal.addEventListener('abort', () => (onAbort(ctx.signal.reason), resolve({ content: [] })))));
  http.tool('ask', {}, async (_args, ctx) => {
    const r = await ctx.sample({ messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }], maxTokens: 5 });
    return { content: [{ type: 'text', text: JSON.stringify(r.content) }] };
  });
  // Holds each call until two are running at once, then asks its own caller who it is.
  let arrived = 0;
  let bothIn!: () => void;
  const both = new Promise<void>((r) => (bothIn = r));
  http.tool('confirm', { inputSchema: { type: 'object', properties: { caller: { type: 'string' } }, required: ['caller'] } }, async (args, ctx) => {
    if (++arrived === 2) bothIn();
    await both;
    const r = await ctx.elicit({ message: `Confirm for ${String(args.caller)}`, requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } });
    return { content: [{ type: 'text', text: `${String(args.caller)} confirmed by ${String(r.content?.name)}` }] };
  });
  http.resource('note://readme', { name: 'readme', mimeType: 'text/plain' }, (uri) => ({ contents: [{ uri, text: 'passthrough text' }] }));
  // Only this upstream's own credential gets in.
  http.admit((req) => (req.headers.authorization === `Bearer ${UPSTREAM_TOKEN}` ? undefined : { refuse: { status: 401, message: 'upstream wants its own token' } }));
  const httpServer = new StreamableHttpServer({ server: http });
  const { url: httpUrl } = await httpServer.listen(0, '127.0.0.1');

  const ws = new McpServer({ name: 'upstream-ws', version: '1' });
  ws.tool('ping-ws', {}, () => ({ content: [{ type: 'text', text: 'pong over ws' }] }));
  let releaseWs!: () => void;
  const gateWs = new Promise<void>((r) => (releaseWs = r));
  ws.tool('gate', {}, async () => {
    await gateWs;
    return { content: [{ type: 'text', text: 'released' }] };
  });
  ws.tool('ask', {}, async (_args, ctx) => {
    const r = await ctx.sample({ messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }], maxTokens: 5 });
    return { content: [{ type: 'text', text: JSON.stringify(r.content) }] };
  });
  const wsServer = new McpWebSocketServer({ server: ws });
  const { url: wsUrl } = await wsServer.listen(0, '127.0.0.1');
  return {
    http,
    ws,
    authorizations,
    aborted,
    releaseWs,
    httpUrl,
    wsUrl,
    async close() {
      await httpServer.close();
      await wsServer.close();
    },
  };
}

async function memoryClient(gateway: Gateway, options: ConstructorParameters<typeof Client>[1] = {}): Promise<Client> {
  const [a, b] = InMemoryTransport.createLinkedPair();
  await gateway.server.connect(a);
  const client = new Client({ name: 'test', version: '1' }, options);
  await client.connect(b);
  return client;
}

describe('gateway in front of erlmcp upstreams (HTTP, WebSocket)', () => {
  let up: Awaited<ReturnType<typeof upstreams>>;
  let gateway: Gateway;
  let serving: ServingHttp;
  let keyFile: string;

  before(async () => {
    up = await upstreams();
    keyFile = join(mkdtempSync(join(tmpdir(), 'erlmcp-gw-keys-')), 'keys.json');
    writeFileSync(keyFile, JSON.stringify({ keys: [{ name: 'gateway-user', sha256: hashApiKey(CLIENT_KEY) }] }));
    const config = parseGatewayConfig(
      {
        upstreams: {
          a: { type: 'http', url: up.httpUrl, bearer: '${GW_TEST_UPSTREAM_TOKEN}', resources: 'passthrough' },
          w: { type: 'ws', url: up.wsUrl },
        },
        auth: { apiKeys: keyFile },
      },
      { GW_TEST_UPSTREAM_TOKEN: UPSTREAM_TOKEN },
    );
    gateway = new Gateway(config);
    await gateway.start();
    serving = await serveGatewayHttp(gateway);
  });

  after(async () => {
    await serving?.close();
    await gateway?.close();
    await up?.close();
  });

  it('refuses a client without the gateway credential (401) and serves one with it', async () => {
    const anonymous = new Client({ name: 'anon', version: '1' });
    await assert.rejects(anonymous.connect(new StreamableHttpClientTransport(serving.url)), /401/);
    const client = new Client({ name: 'keyed', version: '1' });
    await client.connect(new StreamableHttpClientTransport(serving.url, { headers: { authorization: `Bearer ${CLIENT_KEY}` } }));
    const r = await client.callTool({ name: 'a__whoami' });
    // The upstream saw its own configured token, never the client's.
    assert.deepEqual(r.content, [{ type: 'text', text: `Bearer ${UPSTREAM_TOKEN}` }]);
    assert.ok(!up.authorizations.some((a) => a?.includes(CLIENT_KEY)));
    await client.close();
  });

  it('forwards the calls of a 2026-07-28 client', async () => {
    const client = new Client({ name: 'modern', version: '1' }, { versionNegotiation: 'auto' });
    await client.connect(new StreamableHttpClientTransport(serving.url, { headers: { authorization: `Bearer ${CLIENT_KEY}` } }));
    assert.equal(client.era, 'modern');
    const names = (await client.listAllTools()).map((t) => t.name);
    assert.ok(names.includes('w__ping-ws') && names.includes('a__whoami'), names.join(', '));
    assert.deepEqual((await client.callTool({ name: 'w__ping-ws' })).content, [{ type: 'text', text: 'pong over ws' }]);
    await client.close();
  });

  it('calls a WebSocket upstream', async () => {
    const client = await memoryClient(gateway);
    assert.deepEqual((await client.callTool({ name: 'w__ping-ws' })).content, [{ type: 'text', text: 'pong over ws' }]);
    await client.close();
  });

  it('forwards tools/list_changed when an upstream adds a tool, and lists it', async () => {
    const client = await memoryClient(gateway);
    const changed = new Promise<void>((resolve) => (client.onToolsListChanged = resolve));
    const late = up.ws.tool('late', {}, () => ({ content: [{ type: 'text', text: 'late tool' }] }));
    await changed;
    const names = (await client.listAllTools()).map((t) => t.name);
    assert.ok(names.includes('w__late'), names.join(', '));
    assert.deepEqual((await client.callTool({ name: 'w__late' })).content, [{ type: 'text', text: 'late tool' }]);
    late.remove();
    await client.close();
  });

  it('cancels the upstream handler when the client cancels', async () => {
    const client = await memoryClient(gateway);
    const controller = new AbortController();
    const call = client.callTool({ name: 'a__wait' }, { signal: controller.signal });
    // Cancel once the upstream handler runs: the `wait` tool is in flight on upstream a.
    await waitUntil(() => gateway.upstream('a')!.health().inFlight === 1);
    controller.abort('client gave up');
    await assert.rejects(call);
    await up.aborted;
    await client.close();
  });

  it('leaves passthrough URIs as they are and reads them', async () => {
    const client = await memoryClient(gateway);
    const { resources } = await client.listResources();
    assert.deepEqual(resources.map((r) => r.uri), ['note://readme']);
    const read = await client.readResource('note://readme');
    assert.deepEqual(read.contents, [{ uri: 'note://readme', text: 'passthrough text' }]);
    await client.close();
  });

  it('routes each elicitation of a Streamable HTTP upstream to the client whose call caused it, with two calls in flight on one upstream session', async () => {
    // Each client answers with its own name, and checks the question is about its own call.
    const answering = (name: string, caller: string): ConstructorParameters<typeof Client>[1] => ({
      elicitation: (p) => {
        assert.equal(p.message, `Confirm for ${caller}`, `${name} was asked about another client's call`);
        return { action: 'accept', content: { name } };
      },
    });
    const alice = await memoryClient(gateway, answering('alice', 'first'));
    const bob = await memoryClient(gateway, answering('bob', 'second'));
    // Both calls reach the upstream's handler before either asks (it waits for the second).
    const [one, two] = await Promise.all([alice.callTool({ name: 'a__confirm', arguments: { caller: 'first' } }), bob.callTool({ name: 'a__confirm', arguments: { caller: 'second' } })]);
    assert.deepEqual(one.content, [{ type: 'text', text: 'first confirmed by alice' }]);
    assert.deepEqual(two.content, [{ type: 'text', text: 'second confirmed by bob' }]);
    await alice.close();
    await bob.close();
  });

  it('refuses to guess which client a WebSocket upstream request is for when two clients have calls in flight on it', async () => {
    const sampling = () => ({ model: 'm', role: 'assistant' as const, content: { type: 'text' as const, text: 'sampled' } });
    const one = await memoryClient(gateway, { sampling });
    const two = await memoryClient(gateway, { sampling });
    const held = one.callTool({ name: 'w__gate' });
    await waitUntil(() => gateway.upstream('w')!.health().inFlight === 1);
    const asked = await two.callTool({ name: 'w__ask' });
    assert.equal(asked.isError, true);
    assert.match(JSON.stringify(asked.content), /calls of 2 clients are in flight/);
    up.releaseWs();
    await held;
    // Alone again: routed to its caller.
    assert.match(JSON.stringify((await two.callTool({ name: 'w__ask' })).content), /sampled/);
    await one.close();
    await two.close();
  });

  it('tells a client without sampling that it lacks it (-32601 to the upstream)', async () => {
    const client = await memoryClient(gateway);
    const r = await client.callTool({ name: 'a__ask' });
    assert.equal(r.isError, true);
    assert.match(JSON.stringify(r.content), /does not support sampling/);
    await client.close();
  });
});

/** Waits for a condition the gateway reaches on its own (a generous 60 s deadline: the machine may be busy). */
async function waitUntil(cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not reached within 60 s');
    await new Promise((r) => setTimeout(r, 5));
  }
}
