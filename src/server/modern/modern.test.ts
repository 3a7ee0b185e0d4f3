/**
 * The 2026-07-28 era on one server definition: a connection pinned modern by its first request,
 * multi-round-trip inputs from handlers written once (the same handler sends real requests on a
 * legacy session), requestState integrity, logLevel gating, listen.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { connectPair, RawPeer } from '../../../test/helpers/pair.js';
import { META } from '../../protocol/eras.js';
import { McpServer } from '../server.js';

let servers: McpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

function newServer(): McpServer {
  const s = new McpServer({ name: 'modern', version: '1.0.0' });
  s.tool('greet', { description: 'Asks for a name' }, async (_a, ctx) => {
    const r = await ctx.elicit({ message: 'Name?', requestedSchema: { type: 'object', properties: { name: { type: 'string' } } } }, { inputKey: 'who' });
    return { content: [{ type: 'text', text: `hi ${String(r.content?.name)}` }] };
  });
  s.tool('two', { description: 'Two rounds' }, async (_a, ctx) => {
    const a = await ctx.elicit({ message: 'A?', requestedSchema: { type: 'object', properties: {} } });
    const b = await ctx.elicit({ message: 'B?', requestedSchema: { type: 'object', properties: {} } });
    return { content: [{ type: 'text', text: `${a.action}/${b.action}` }] };
  });
  s.tool('chatty', { description: 'Logs' }, async (_a, ctx) => {
    await ctx.log('debug', 'dbg');
    await ctx.log('error', 'err');
    return { content: [] };
  });
  servers.push(s);
  return s;
}

const env = (caps: Record<string, unknown> = { elicitation: {} }, extra: Record<string, unknown> = {}) => ({
  [META.protocolVersion]: '2026-07-28',
  [META.clientCapabilities]: caps,
  [META.clientInfo]: { name: 't', version: '1' },
  ...extra,
});

describe('2026-07-28 on a stream connection', () => {
  it('pins the connection modern on its first enveloped request; initialize afterwards is -32022 naming the modern versions', async () => {
    const peer = await RawPeer.connect(newServer());
    const d = await peer.request('server/discover', { _meta: env() });
    assert.deepEqual((d.result as { supportedVersions: string[] }).supportedVersions, ['2026-07-28']);
    assert.equal(d.result?.resultType, 'complete');
    assert.equal(typeof d.result?.ttlMs, 'number');
    const list = await peer.request('tools/list', { _meta: env() });
    assert.equal(list.result?.resultType, 'complete');
    assert.equal((list.result?._meta as Record<string, { name: string }>)[META.serverInfo]!.name, 'modern');
    const init = await peer.request('initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } });
    assert.equal(init.error?.code, -32022);
    assert.deepEqual((init.error?.data as { supported: string[] }).supported, ['2026-07-28']);
    const ping = await peer.request('ping', { _meta: env() });
    assert.equal(ping.error?.code, -32601, 'ping was removed in 2026-07-28');
    await peer.close();
  });

  it('a server/discover probe does not pin: the client may fall back to initialize', async () => {
    const peer = await RawPeer.connect(newServer());
    const d = await peer.request('server/discover', { _meta: env() });
    assert.ok(d.result);
    const init = await peer.initialize();
    assert.equal(init.result?.protocolVersion, '2025-11-25');
    await peer.close();
  });

  it('rejects a malformed envelope with -32602 and an unknown version with -32022 (supported, requested)', async () => {
    const peer = await RawPeer.connect(newServer());
    const missing = await peer.request('tools/list', { _meta: { [META.protocolVersion]: '2026-07-28' } });
    assert.equal(missing.error?.code, -32602);
    const v = await peer.request('tools/list', { _meta: env({}, { [META.protocolVersion]: 'v999' }) });
    assert.equal(v.error?.code, -32022);
    assert.deepEqual(v.error?.data, { supported: ['2026-07-28'], requested: 'v999' });
    await peer.close();
  });
});

describe('multi-round-trip requests', () => {
  it('an elicit becomes an InputRequiredResult; the retry with inputResponses + requestState completes', async () => {
    const peer = await RawPeer.connect(newServer());
    const r1 = await peer.request('tools/call', { name: 'greet', _meta: env() });
    const ir = r1.result as { resultType: string; inputRequests: Record<string, { method: string }>; requestState: string };
    assert.equal(ir.resultType, 'input_required');
    assert.equal(ir.inputRequests.who!.method, 'elicitation/create');
    assert.equal(typeof ir.requestState, 'string');
    const r2 = await peer.request('tools/call', { name: 'greet', _meta: env(), inputResponses: { who: { action: 'accept', content: { name: 'Ada' } } }, requestState: ir.requestState });
    assert.deepEqual((r2.result as { content: unknown }).content, [{ type: 'text', text: 'hi Ada' }]);
    assert.equal(r2.result?.resultType, 'complete');
    await peer.close();
  });

  it('multi-round: the second round carries the first answer in a new state', async () => {
    const peer = await RawPeer.connect(newServer());
    const r1 = (await peer.request('tools/call', { name: 'two', _meta: env() })).result as { inputRequests: Record<string, unknown>; requestState: string };
    assert.deepEqual(Object.keys(r1.inputRequests), ['elicit-0']);
    const r2 = (await peer.request('tools/call', { name: 'two', _meta: env(), inputResponses: { 'elicit-0': { action: 'accept', content: {} } }, requestState: r1.requestState })).result as {
      inputRequests: Record<string, unknown>;
      requestState: string;
    };
    assert.deepEqual(Object.keys(r2.inputRequests), ['elicit-1']);
    assert.notEqual(r2.requestState, r1.requestState);
    const r3 = await peer.request('tools/call', { name: 'two', _meta: env(), inputResponses: { 'elicit-1': { action: 'decline' } }, requestState: r2.requestState });
    assert.deepEqual((r3.result as { content: unknown }).content, [{ type: 'text', text: 'accept/decline' }]);
    await peer.close();
  });

  it('refuses a tampered, foreign or re-targeted requestState with -32602 invalid_request_state', async () => {
    const server = newServer();
    const peer = await RawPeer.connect(server);
    const r1 = (await peer.request('tools/call', { name: 'greet', _meta: env() })).result as { requestState: string };
    const answer = { who: { action: 'accept', content: { name: 'Eve' } } };
    for (const [state, name] of [
      [`${r1.requestState}-TAMPERED`, 'greet'],
      [r1.requestState, 'two'],
      [new McpServer({ name: 'other', version: '1' }).requestStates.encode('tools/call\u0000greet', {}), 'greet'],
    ] as const) {
      const r = await peer.request('tools/call', { name, _meta: env(), inputResponses: answer, requestState: state });
      assert.equal(r.error?.code, -32602, JSON.stringify(r));
      assert.equal((r.error?.data as { reason: string }).reason, 'invalid_request_state');
    }
    await peer.close();
  });

  it('an ask the request has no capability for is -32021 with requiredCapabilities', async () => {
    const peer = await RawPeer.connect(newServer());
    const r = await peer.request('tools/call', { name: 'greet', _meta: env({}) });
    assert.equal(r.error?.code, -32021);
    assert.deepEqual(r.error?.data, { requiredCapabilities: { elicitation: { form: {} } } });
    await peer.close();
  });

  it('the same handler sends a real elicitation/create on a legacy session', async () => {
    const server = newServer();
    const pair = await connectPair(server, { elicitation: () => ({ action: 'accept', content: { name: 'Legacy' } }) });
    const r = await pair.client.callTool({ name: 'greet' });
    assert.deepEqual(r.content, [{ type: 'text', text: 'hi Legacy' }]);
    await pair.close();
  });
});

describe('logging on 2026-07-28 requests', () => {
  it('sends nothing without _meta logLevel, and filters by it when given', async () => {
    const peer = await RawPeer.connect(newServer());
    const quiet = await peer.request('tools/call', { name: 'chatty', _meta: env() });
    assert.ok(quiet.result);
    const loud = await peer.request('tools/call', { name: 'chatty', _meta: env({}, { [META.logLevel]: 'warning' }) });
    assert.ok(loud.result);
    const logs = peer.received.filter((m) => m.method === 'notifications/message').map((m) => (m.params as { data: string }).data);
    assert.deepEqual(logs, ['err']);
    await peer.close();
  });
});

describe('subscriptions/listen', () => {
  it('acknowledges the honored subset first, tags notifications with subscriptionId, and ends gracefully when the server closes', async () => {
    const server = newServer();
    const peer = await RawPeer.connect(server);
    await peer.send({ jsonrpc: '2.0', id: 'sub-1', method: 'subscriptions/listen', params: { _meta: env(), notifications: { toolsListChanged: true, promptsListChanged: true } } });
    const ack = await peer.next((m) => m.method === 'notifications/subscriptions/acknowledged');
    // The server has no prompts registered, but prompts listChanged is still advertised; tools is honored.
    assert.equal((ack.params as { notifications: { toolsListChanged?: boolean } }).notifications.toolsListChanged, true);
    assert.equal((ack.params as { _meta: Record<string, unknown> })._meta[META.subscriptionId], 'sub-1');
    server.tool('late', { description: 'added' }, () => ({ content: [] }));
    const changed = await peer.next((m) => m.method === 'notifications/tools/list_changed');
    assert.equal((changed.params as { _meta: Record<string, unknown> })._meta[META.subscriptionId], 'sub-1');
    await server.close();
    const done = await peer.response('sub-1');
    assert.equal((done.result?._meta as Record<string, unknown>)[META.subscriptionId], 'sub-1');
    assert.equal(done.result?.resultType, 'complete');
  });
});
