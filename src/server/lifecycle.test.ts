import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { connectPair, RawPeer, until, WAIT_MS } from '../../test/helpers/pair.js';
import { LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS } from '../protocol/versions.js';
import { InMemoryTransport } from '../transports/memory.js';
import { McpServer } from './server.js';

function makeServer(): McpServer {
  const server = new McpServer({ name: 'lifecycle-server', version: '2.3.4' }, { instructions: 'Use the echo tool.' });
  server.tool('echo', { description: 'Echo' }, (args) => ({ content: [{ type: 'text', text: JSON.stringify(args) }] }));
  return server;
}

let servers: McpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});
function track(s: McpServer): McpServer {
  servers.push(s);
  return s;
}

describe('initialize', () => {
  for (const version of SUPPORTED_PROTOCOL_VERSIONS) {
    it(`echoes the requested version ${version}`, async () => {
      const raw = await RawPeer.connect(track(makeServer()));
      const r = await raw.initialize(version);
      assert.equal(r.result?.protocolVersion, version);
      assert.equal(raw.session.protocolVersion, version);
    });
  }

  it('answers an unknown version (1999-01-01) with the latest, and our client accepts it', async () => {
    const server = track(makeServer());
    const raw = await RawPeer.connect(server);
    const r = await raw.initialize('1999-01-01');
    assert.equal(r.result?.protocolVersion, LATEST_PROTOCOL_VERSION);
    const { client } = await connectPair(server, { protocolVersion: '1999-01-01' });
    assert.equal(client.protocolVersion, LATEST_PROTOCOL_VERSION);
  });

  it('returns capabilities, serverInfo and instructions', async () => {
    const server = track(makeServer());
    const raw = await RawPeer.connect(server);
    const r = await raw.initialize();
    const result = r.result as Record<string, unknown>;
    assert.deepEqual(result.serverInfo, { name: 'lifecycle-server', version: '2.3.4' });
    assert.equal(result.instructions, 'Use the echo tool.');
    const caps = result.capabilities as Record<string, unknown>;
    assert.deepEqual(caps.tools, { listChanged: true });
    assert.deepEqual(caps.resources, { subscribe: true, listChanged: true });
    assert.deepEqual(caps.prompts, { listChanged: true });
    assert.deepEqual(caps.logging, {});
    assert.deepEqual(caps.completions, {});
    assert.ok(caps.tasks, 'tasks capability');

    const { client } = await connectPair(server);
    assert.deepEqual(client.serverInfo, { name: 'lifecycle-server', version: '2.3.4' });
    assert.equal(client.instructions, 'Use the echo tool.');
    assert.deepEqual(client.serverCapabilities, caps);
    assert.equal(client.protocolVersion, LATEST_PROTOCOL_VERSION);
  });

  it('omits instructions when none are configured and merges configured capabilities', async () => {
    const server = track(new McpServer({ name: 's', version: '1' }, { capabilities: { experimental: { x: {} } } }));
    const raw = await RawPeer.connect(server);
    const r = await raw.initialize();
    assert.equal('instructions' in (r.result ?? {}), false);
    assert.deepEqual((r.result?.capabilities as Record<string, unknown>).experimental, { x: {} });
  });

  it('records the client capabilities and info on the session', async () => {
    const server = track(makeServer());
    const { serverSession } = await connectPair(server, { roots: [{ uri: 'file:///tmp' }], sampling: () => ({ role: 'assistant', content: { type: 'text', text: '' }, model: 'm' }) }, 'named-client');
    assert.deepEqual(serverSession.clientInfo, { name: 'named-client', version: '1.0.0' });
    assert.deepEqual(serverSession.clientCapabilities, { sampling: {}, roots: { listChanged: true } });
  });

  it('rejects requests other than ping before initialize with -32600, and answers ping', async () => {
    const raw = await RawPeer.connect(track(makeServer()));
    const ping = await raw.request('ping');
    assert.deepEqual(ping.result, {});
    for (const method of ['tools/list', 'tools/call', 'resources/list', 'prompts/list', 'logging/setLevel']) {
      const r = await raw.request(method, method === 'tools/call' ? { name: 'echo' } : method === 'logging/setLevel' ? { level: 'info' } : undefined);
      assert.equal(r.error?.code, -32600, method);
    }
    await raw.initialize();
    const list = await raw.request('tools/list');
    assert.equal((list.result?.tools as unknown[]).length, 1);
  });

  it('rejects a second initialize with -32600 and keeps the negotiated version', async () => {
    const raw = await RawPeer.connect(track(makeServer()));
    await raw.initialize('2025-06-18');
    const again = await raw.request('initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } });
    assert.equal(again.error?.code, -32600);
    assert.equal(raw.session.protocolVersion, '2025-06-18');
  });

  it('rejects initialize without a string protocolVersion with -32602', async () => {
    const raw = await RawPeer.connect(track(makeServer()));
    const r = await raw.request('initialize', { capabilities: {} });
    assert.equal(r.error?.code, -32602);
    assert.equal(raw.session.protocolVersion, undefined);
  });

  it('marks the session initialized on notifications/initialized, and only then sends list_changed', async () => {
    const server = track(makeServer());
    const raw = await RawPeer.connect(server);
    await raw.request('initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'r', version: '0' } });
    assert.equal(raw.session.initialized, false);
    server.tool('before', {}, () => ({ content: [] }));
    // A ping round trip: anything the server sent before answering it has arrived by now.
    await raw.request('ping');
    assert.equal(raw.received.filter((m) => m.method === 'notifications/tools/list_changed').length, 0);
    await raw.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    await until(() => raw.session.initialized, WAIT_MS, 'initialized');
    server.tool('after', {}, () => ({ content: [] }));
    await raw.next((m) => m.method === 'notifications/tools/list_changed');
  });
});

describe('bad input', () => {
  async function ready(version = '2025-11-25') {
    const raw = await RawPeer.connect(track(makeServer()));
    await raw.initialize(version);
    return raw;
  }
  async function stillServes(raw: RawPeer) {
    const r = await raw.request('tools/list');
    assert.equal((r.result?.tools as unknown[] | undefined)?.length, 1, 'session still answers tools/list');
  }

  it('answers non-object values with -32600 and id null', async () => {
    const raw = await ready();
    for (const value of [42, 'hello', null, true]) {
      const before = raw.received.length;
      raw.inject(value);
      await until(() => raw.received.length > before, 1000, `reply to ${String(value)}`);
      const reply = raw.received[raw.received.length - 1]!;
      assert.equal(reply.id, null, String(value));
      assert.equal(reply.error?.code, -32600, String(value));
      await stillServes(raw);
    }
  });

  it('answers a message without jsonrpc with -32600 carrying its id', async () => {
    const raw = await ready();
    await raw.send({ id: 'no-version', method: 'tools/list' });
    assert.equal((await raw.response('no-version')).error?.code, -32600);
    await stillServes(raw);
  });

  it('answers a non-string method with -32600 carrying its id', async () => {
    const raw = await ready();
    await raw.send({ jsonrpc: '2.0', id: 77, method: 12 });
    assert.equal((await raw.response(77)).error?.code, -32600);
    await stillServes(raw);
  });

  it('answers a request with a null id with -32600 and id null', async () => {
    const raw = await ready();
    await raw.send({ jsonrpc: '2.0', id: null, method: 'tools/list' });
    const r = await raw.next((m) => m.error !== undefined);
    assert.equal(r.id, null);
    assert.equal(r.error?.code, -32600);
    await stillServes(raw);
  });

  it('answers non-object params with -32600 carrying the id', async () => {
    const raw = await ready();
    await raw.send({ jsonrpc: '2.0', id: 'arr', method: 'tools/list', params: [1] });
    assert.equal((await raw.response('arr')).error?.code, -32600);
    await stillServes(raw);
  });

  it('answers an unknown method with -32601', async () => {
    const raw = await ready();
    const r = await raw.request('tools/frobnicate');
    assert.equal(r.error?.code, -32601);
    await stillServes(raw);
  });

  it('answers Object.prototype names used as methods with -32601', async () => {
    const raw = await ready();
    for (const method of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
      const r = await raw.request(method);
      assert.equal(r.error?.code, -32601, method);
    }
    await stillServes(raw);
  });

  it('ignores unknown notifications without replying', async () => {
    const raw = await ready();
    const before = raw.received.length;
    await raw.send({ jsonrpc: '2.0', method: 'notifications/whatever', params: { a: 1 } });
    const pong = await raw.request('ping');
    assert.deepEqual(raw.received.slice(before), [pong], 'only the ping was answered');
    await stillServes(raw);
  });

  const badParams: [string, Record<string, unknown> | undefined][] = [
    ['tools/call', {}],
    ['tools/call', { name: 42 }],
    ['tools/call', { name: 'echo', arguments: [1, 2] }],
    ['resources/read', {}],
    ['resources/read', undefined],
    ['resources/subscribe', {}],
    ['logging/setLevel', { level: 'verbose' }],
    ['logging/setLevel', {}],
    ['prompts/get', {}],
    ['completion/complete', { ref: { type: 'ref/nothing' }, argument: { name: 'a', value: '' } }],
    ['tasks/get', {}],
  ];
  for (const [method, params] of badParams) {
    it(`answers ${method} ${JSON.stringify(params)} with -32602`, async () => {
      const raw = await ready();
      const r = await raw.request(method, params);
      assert.equal(r.error?.code, -32602, JSON.stringify(r));
      await stillServes(raw);
    });
  }

  for (const version of ['2025-11-25', '2025-06-18']) {
    it(`rejects a JSON-RPC batch with -32600 in a ${version} session`, async () => {
      const raw = await ready(version);
      raw.inject([
        { jsonrpc: '2.0', id: 'b1', method: 'ping' },
        { jsonrpc: '2.0', id: 'b2', method: 'tools/list' },
      ]);
      const r = await raw.next((m) => m.error !== undefined);
      assert.equal(r.id, null);
      assert.equal(r.error?.code, -32600);
      await raw.request('ping');
      assert.equal(raw.received.some((m) => m.id === 'b1' || m.id === 'b2'), false, 'batch elements were not processed');
      await stillServes(raw);
    });
  }

  it('answers the requests of a JSON-RPC batch in a 2025-03-26 session with one array', async () => {
    const raw = await ready('2025-03-26');
    raw.inject([
      { jsonrpc: '2.0', id: 'b1', method: 'ping' },
      { jsonrpc: '2.0', method: 'notifications/whatever' },
      { jsonrpc: '2.0', id: 'b2', method: 'tools/list' },
      { jsonrpc: '2.0', id: 'b3', method: 'no/such' },
      { jsonrpc: '2.0', id: 'b4', method: 42 },
    ]);
    const reply = (await raw.next((m) => Array.isArray(m))) as unknown as { id: unknown; result?: Record<string, unknown>; error?: { code: number } }[];
    const byId = new Map(reply.map((r) => [r.id, r]));
    assert.deepEqual([...byId.keys()].sort(), ['b1', 'b2', 'b3', 'b4']);
    assert.deepEqual(byId.get('b1')?.result, {});
    assert.equal((byId.get('b2')?.result?.tools as unknown[]).length, 1);
    assert.equal(byId.get('b3')?.error?.code, -32601);
    assert.equal(byId.get('b4')?.error?.code, -32600);
    raw.inject([]);
    const empty = await raw.next((m) => m.id === null && m.error !== undefined);
    assert.equal(empty.error?.code, -32600);
    await stillServes(raw);
  });

  it('sends nothing back for a 2025-03-26 batch of notifications', async () => {
    const raw = await ready('2025-03-26');
    const before = raw.received.length;
    raw.inject([
      { jsonrpc: '2.0', method: 'notifications/whatever' },
      { jsonrpc: '2.0', method: 'notifications/other' },
    ]);
    const pong = await raw.request('ping');
    assert.deepEqual(raw.received.slice(before), [pong], 'only the ping was answered');
    await stillServes(raw);
  });
});

describe('sessions', () => {
  it('aborts in-flight handlers when the client goes away', async () => {
    const server = track(makeServer());
    let started = false;
    let aborted = false;
    server.tool('hang', {}, (_a, ctx) => {
      started = true;
      return new Promise<{ content: [] }>((resolve) =>
        ctx.signal.addEventListener('abort', () => {
          aborted = true;
          resolve({ content: [] });
        }),
      );
    });
    const { client } = await connectPair(server);
    const call = client.callTool({ name: 'hang' }).catch((e: unknown) => e);
    await until(() => started, WAIT_MS, 'tool start');
    await client.close();
    await until(() => aborted, WAIT_MS, 'handler abort');
    assert.equal(((await call) as { code?: string }).code, 'ERR_CONNECTION_CLOSED');
  });

  it('resumes a session from exported state on a new transport without a new initialize', async () => {
    const server = track(makeServer());
    server.resource('x://r', {}, (uri) => ({ contents: [{ uri, text: 'r' }] }));
    const { client, serverSession } = await connectPair(server, { roots: [] });
    await client.setLoggingLevel('warning');
    await client.subscribeResource('x://r');
    const state = structuredClone(serverSession.exportState());
    assert.equal(state.protocolVersion, '2025-11-25');
    assert.equal(state.initialized, true);

    const [peer, end] = InMemoryTransport.createLinkedPair();
    const resumed = await server.connect(end, { state });
    assert.equal(resumed.protocolVersion, '2025-11-25');
    assert.equal(resumed.logLevelName, 'warning');
    assert.deepEqual(resumed.clientCapabilities, { roots: { listChanged: true } });
    const got: unknown[] = [];
    peer.onmessage = (m) => got.push(m);
    await peer.start();
    await peer.send({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    await until(() => got.length > 0, WAIT_MS, 'tools/list answer');
    assert.equal(((got[0] as { result: { tools: unknown[] } }).result.tools).length, 1);
    await server.notifyResourceUpdated('x://r');
    await until(() => got.some((m) => (m as { method?: string }).method === 'notifications/resources/updated'), WAIT_MS, 'updated on resumed session');
    await peer.close();
  });

  it('tracks live sessions and forgets closed ones', async () => {
    const server = track(makeServer());
    const a = await connectPair(server);
    const b = await connectPair(server);
    assert.equal(server.sessionCount, 2);
    await a.close();
    await until(() => server.sessionCount === 1, WAIT_MS, 'session detach');
    await b.close();
    await until(() => server.sessionCount === 0, WAIT_MS, 'session detach');
  });
});
