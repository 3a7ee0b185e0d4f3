/**
 * The client in the 2026-07-28 era against our own dual-era server, in memory and over
 * Streamable HTTP: negotiation (pin, auto, fallback to initialize), the envelope, MRTR rounds
 * through the app's own handlers, listen, and the result cache.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { META } from '../protocol/eras.js';
import { McpError } from '../protocol/errors.js';
import type { JSONRPCMessage } from '../protocol/types.js';
import { McpServer } from '../server/index.js';
import { InMemoryTransport } from '../transports/memory.js';
import { StreamableHttpServer } from '../transports/http/server.js';
import { StreamableHttpClientTransport } from '../transports/http/client.js';
import { Client, type ClientOptions } from './client.js';
import { eraVerdicts } from './era.js';

function newServer(cache?: { ttlMs: number }): McpServer {
  const s = new McpServer({ name: 'modern', version: '1.0.0' }, cache ? { cache } : {});
  s.tool('greet', { description: 'Asks for a name' }, async (_a, ctx) => {
    const r = await ctx.elicit({ message: 'Name?', requestedSchema: { type: 'object', properties: { name: { type: 'string' } } } });
    return { content: [{ type: 'text', text: `hi ${String(r.content?.name)}` }] };
  });
  s.tool('both', { description: 'Two rounds: a sample, then the roots' }, async (_a, ctx) => {
    const m = await ctx.sample({ messages: [{ role: 'user', content: { type: 'text', text: 'q' } }], maxTokens: 5 });
    const roots = await ctx.listRoots();
    return { content: [{ type: 'text', text: `${(m.content as { text: string }).text}/${roots.roots.map((r) => r.uri).join(',')}` }] };
  });
  s.tool('echo', { inputSchema: { type: 'object', properties: { text: { type: 'string' } } } }, (a) => ({ content: [{ type: 'text', text: String(a.text) }] }));
  s.resource('mem://note', { name: 'note' }, () => ({ contents: [{ uri: 'mem://note', text: 'n' }] }));
  return s;
}

const handlers: ClientOptions = {
  elicitation: () => ({ action: 'accept', content: { name: 'Ada' } }),
  sampling: () => ({ role: 'assistant', content: { type: 'text', text: 'A' }, model: 'm' }),
  roots: [{ uri: 'file:///r' }],
};

/** An in-memory pair whose client→server messages are recorded. */
async function memoryPair(server: McpServer, options: ClientOptions) {
  const [ct, st] = InMemoryTransport.createLinkedPair({ structuredClone: true });
  const sent: JSONRPCMessage[] = [];
  const send = ct.send.bind(ct);
  ct.send = (m: JSONRPCMessage) => (sent.push(m), send(m));
  await server.connect(st);
  const client = new Client({ name: 'mc', version: '1' }, options);
  await client.connect(ct);
  return { client, sent };
}

const text = (r: { content: unknown }) => (r.content as { text: string }[])[0]!.text;

describe('modern client in memory', () => {
  const servers: McpServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it('pin: no initialize; every request carries the envelope; MRTR rounds go through the app handlers', async () => {
    const server = newServer();
    servers.push(server);
    const { client, sent } = await memoryPair(server, { ...handlers, versionNegotiation: { pin: '2026-07-28' } });
    assert.equal(client.era, 'modern');
    assert.equal(client.serverInfo?.name, 'modern');
    assert.equal(text(await client.callTool({ name: 'greet', arguments: {} })), 'hi Ada');
    assert.equal(text(await client.callTool({ name: 'both', arguments: {} })), 'A/file:///r');
    const requests = sent.filter((m) => 'id' in m && 'method' in m) as { id: unknown; method: string; params: Record<string, unknown> }[];
    assert.ok(!requests.some((m) => m.method === 'initialize'));
    for (const r of requests) {
      const meta = r.params._meta as Record<string, unknown>;
      assert.equal(meta[META.protocolVersion], '2026-07-28');
      assert.equal(typeof meta[META.clientCapabilities], 'object');
      assert.deepEqual(meta[META.clientInfo], { name: 'mc', version: '1' });
    }
    // greet: 2 requests (ask + retry); both: 3 (sample, roots, result). Ids all distinct.
    const calls = requests.filter((r) => r.method === 'tools/call');
    assert.equal(calls.length, 5);
    assert.equal(new Set(calls.map((c) => c.id)).size, 5);
    assert.equal(calls[0]!.params.requestState, undefined);
    assert.equal(typeof calls[1]!.params.requestState, 'string');
    assert.ok(calls[1]!.params.inputResponses);
    await client.close();
  });

  it('auto: probes with server/discover and stays modern; the verdict is cached per transport', async () => {
    const server = newServer();
    servers.push(server);
    const { client, sent } = await memoryPair(server, { versionNegotiation: 'auto' });
    assert.equal(client.era, 'modern');
    assert.equal((sent[0] as { method: string }).method, 'server/discover');
    assert.equal((await client.listTools()).tools.length, 3);
    await assert.rejects(client.ping(), /does not exist/);
    await client.close();
  });

  it('auto: a server that does not know server/discover gets initialize', async () => {
    const [ct, st] = InMemoryTransport.createLinkedPair();
    const seen: string[] = [];
    st.onmessage = (m) => {
      const msg = m as { id?: number; method: string };
      seen.push(msg.method);
      if (msg.id === undefined) return;
      if (msg.method === 'initialize') void st.send({ jsonrpc: '2.0', id: msg.id, result: { protocolVersion: '2025-11-25', capabilities: {}, serverInfo: { name: 'old', version: '0' } } });
      else void st.send({ jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: 'Method not found' } });
    };
    await st.start();
    const client = new Client({ name: 'mc', version: '1' }, { versionNegotiation: 'auto' });
    await client.connect(ct);
    assert.equal(client.era, 'legacy');
    assert.equal(client.protocolVersion, '2025-11-25');
    assert.deepEqual(seen, ['server/discover', 'initialize', 'notifications/initialized']);
    assert.deepEqual(eraVerdicts.get(ct), { kind: 'legacy' });
    await client.close();
  });

  it('auto: a stream server that never answers the probe is legacy after probeTimeoutMs', async () => {
    const [ct, st] = InMemoryTransport.createLinkedPair();
    st.onmessage = (m) => {
      const msg = m as { id?: number; method: string };
      if (msg.method === 'initialize') void st.send({ jsonrpc: '2.0', id: msg.id!, result: { protocolVersion: '2025-11-25', capabilities: {}, serverInfo: { name: 'silent', version: '0' } } });
    };
    await st.start();
    const client = new Client({ name: 'mc', version: '1' }, { versionNegotiation: 'auto', probeTimeoutMs: 50 });
    await client.connect(ct);
    assert.equal(client.era, 'legacy');
    await client.close();
  });

  it('pin: a -32022 naming a mutual version is retried once; a server without it fails the connect', async () => {
    const [ct, st] = InMemoryTransport.createLinkedPair();
    let discovers = 0;
    st.onmessage = (m) => {
      const msg = m as { id: number; method: string };
      if (msg.method !== 'server/discover') return;
      discovers++;
      const body =
        discovers === 1
          ? { error: { code: -32022, message: 'unsupported', data: { supported: ['2026-07-28'], requested: '2026-07-28' } } }
          : { result: { resultType: 'complete', supportedVersions: ['2026-07-28'], capabilities: { tools: {} }, serverInfo: { name: 'mock', version: '1' }, ttlMs: 0, cacheScope: 'private' } };
      void st.send({ jsonrpc: '2.0', id: msg.id, ...body } as JSONRPCMessage);
    };
    await st.start();
    const client = new Client({ name: 'mc', version: '1' }, { versionNegotiation: { pin: '2026-07-28' } });
    await client.connect(ct);
    assert.equal(discovers, 2);
    assert.equal(client.serverInfo?.name, 'mock', 'serverInfo in the body is tolerated');
    await client.close();

    const [ct2, st2] = InMemoryTransport.createLinkedPair();
    st2.onmessage = (m) => void st2.send({ jsonrpc: '2.0', id: (m as { id: number }).id, error: { code: -32601, message: 'Method not found' } });
    await st2.start();
    const pinned = new Client({ name: 'mc', version: '1' }, { versionNegotiation: { pin: '2026-07-28' } });
    await assert.rejects(pinned.connect(ct2), (e: Error & { code?: string }) => e.code === 'ERR_PROTOCOL_VERSION');
  });

  it('resultType: absent is complete (no retry), unknown is an error; rounds are bounded', async () => {
    const [ct, st] = InMemoryTransport.createLinkedPair();
    const calls: Record<string, unknown>[] = [];
    st.onmessage = (m) => {
      const msg = m as { id: number; method: string; params: Record<string, unknown> };
      let result: Record<string, unknown>;
      if (msg.method === 'server/discover') result = { resultType: 'complete', supportedVersions: ['2026-07-28'], capabilities: {} };
      else {
        calls.push(msg.params);
        const name = msg.params.name;
        if (name === 'plain') result = { content: [] };
        else if (name === 'weird') result = { resultType: 'task', taskId: 't' };
        else result = { resultType: 'input_required', requestState: '{"n": 1}' };
      }
      void st.send({ jsonrpc: '2.0', id: msg.id, result } as JSONRPCMessage);
    };
    await st.start();
    const client = new Client({ name: 'mc', version: '1' }, { versionNegotiation: { pin: '2026-07-28' }, maxInputRounds: 3 });
    await client.connect(ct);
    assert.deepEqual((await client.callTool({ name: 'plain', arguments: {} })).content, []);
    assert.equal(calls.length, 1);
    await assert.rejects(client.callTool({ name: 'weird' }), /unknown resultType "task"/);
    calls.length = 0;
    await assert.rejects(client.callTool({ name: 'loop' }), /after 3 rounds/);
    assert.equal(calls.length, 3, 'the limit: 3 requests, no fourth');
    assert.equal(calls[1]!.requestState, '{"n": 1}', 'requestState echoed byte-exact');
    assert.equal(calls[1]!.inputResponses, undefined, 'no inputRequests, no inputResponses');
    await client.close();
  });
});

describe('modern client over Streamable HTTP', () => {
  let server: McpServer;
  let http: StreamableHttpServer;
  let url: string;
  before(async () => {
    server = newServer({ ttlMs: 60_000 });
    http = new StreamableHttpServer({ server });
    ({ url } = await http.listen(0, '127.0.0.1'));
  });
  after(async () => {
    await http.close();
    await server.close();
  });

  /** A client whose fetches are recorded (method, headers, body). */
  async function connect(options: ClientOptions) {
    const seen: { method: string; headers: Record<string, string>; body: Record<string, unknown> | undefined }[] = [];
    const transport = new StreamableHttpClientTransport(url, {
      fetch: (input, init) => {
        seen.push({ method: String(init?.method), headers: { ...(init?.headers as Record<string, string>) }, body: init?.body ? (JSON.parse(String(init.body)) as Record<string, unknown>) : undefined });
        return fetch(input, init);
      },
    });
    const client = new Client({ name: 'mc', version: '1' }, { ...handlers, ...options });
    await client.connect(transport);
    return { client, transport, seen };
  }

  it('auto: modern over HTTP with derived headers, no session, MRTR rounds, in-band 4xx errors', async () => {
    eraVerdicts.clear();
    const { client, transport, seen } = await connect({ versionNegotiation: 'auto' });
    assert.equal(client.era, 'modern');
    assert.equal(transport.sessionId, undefined);
    assert.equal(text(await client.callTool({ name: 'both', arguments: {} })), 'A/file:///r');
    assert.equal(text(await client.callTool({ name: 'echo', arguments: { text: 'é' } })), 'é');
    const r = await client.readResource('mem://note');
    assert.equal((r.contents[0] as { text: string }).text, 'n');
    await assert.rejects(client.getPrompt('nope'), (e: unknown) => e instanceof McpError);
    assert.ok(seen.every((s) => s.method === 'POST'), 'no GET stream, no DELETE');
    for (const s of seen) {
      assert.equal(s.headers['mcp-protocol-version'], '2026-07-28');
      assert.equal(s.headers['mcp-method'], s.body!.method);
      assert.equal(s.headers['mcp-session-id'], undefined);
    }
    const read = seen.find((s) => s.body!.method === 'resources/read')!;
    assert.equal(read.headers['mcp-name'], 'mem://note');
    await client.close();
  });

  it('the verdict is cached per origin: a second auto client does not probe again', async () => {
    const { client, seen } = await connect({ versionNegotiation: 'auto' });
    assert.equal(client.era, 'modern');
    assert.equal(seen.length, 0);
    await client.close();
  });

  it('cacheable results are served from the cache for ttlMs and dropped by list_changed', async () => {
    const { client, seen } = await connect({ versionNegotiation: { pin: '2026-07-28' } });
    const sub = await client.listen({ toolsListChanged: true });
    assert.deepEqual(sub.honored, { toolsListChanged: true });
    await client.listTools();
    await client.listTools();
    assert.equal(seen.filter((s) => s.body!.method === 'tools/list').length, 1, 'second list from the cache');
    const changed = new Promise<string>((resolve) => (sub.onnotification = (n) => resolve(n.method)));
    server.tool('late', {}, () => ({ content: [] }));
    assert.equal(await changed, 'notifications/tools/list_changed');
    const tools = await client.listTools();
    assert.ok(tools.tools.some((t) => t.name === 'late'));
    assert.equal(seen.filter((s) => s.body!.method === 'tools/list').length, 2, 'list_changed invalidated the cache');
    assert.equal(await sub.close(), 'local');
    await client.close();
  });

  it('listen: notifications are demuxed by subscriptionId; the async iterator yields them', async () => {
    const { client } = await connect({ versionNegotiation: { pin: '2026-07-28' } });
    const a = await client.listen({ resourceSubscriptions: ['mem://a'] });
    const b = await client.listen({ resourceSubscriptions: ['mem://b'] });
    assert.notEqual(a.id, b.id);
    await server.notifyResourceUpdated('mem://b');
    const it = b[Symbol.asyncIterator]();
    const first = await it.next();
    assert.equal((first.value as { params: { uri: string } }).params.uri, 'mem://b');
    await server.notifyResourceUpdated('mem://a');
    const got = await a[Symbol.asyncIterator]().next();
    assert.equal((got.value as { params: { uri: string } }).params.uri, 'mem://a');
    await a.close();
    await b.close();
    await client.close();
  });

  it('x-mcp-header: invalid tools are dropped from tools/list; annotated arguments go out as Mcp-Param-*', async () => {
    const regional = server.tool('regional', { inputSchema: { type: 'object', properties: { region: { type: 'string', 'x-mcp-header': 'Region' }, n: { type: 'integer', 'x-mcp-header': 'N' } } } }, () => ({ content: [] }));
    const broken = server.tool('broken', { inputSchema: { type: 'object', properties: { o: { type: 'object', 'x-mcp-header': 'O' } } } }, () => ({ content: [] }));
    const { client, seen } = await connect({ versionNegotiation: { pin: '2026-07-28' } });
    const errors: Error[] = [];
    client.onerror = (e) => errors.push(e);
    const names = (await client.listTools()).tools.map((t) => t.name);
    assert.ok(names.includes('regional'));
    assert.ok(!names.includes('broken'), 'the invalid tool is dropped');
    assert.match(errors.map((e) => e.message).join('\n'), /Dropped tool "broken"/);
    await client.callTool({ name: 'regional', arguments: { region: 'Zürich', n: 7 } });
    const call = seen.find((s) => s.body!.method === 'tools/call')!;
    assert.equal(call.headers['mcp-param-region'], `=?base64?${Buffer.from('Zürich').toString('base64')}?=`);
    assert.equal(call.headers['mcp-param-n'], '7');
    regional.remove();
    broken.remove();
    await client.close();
  });

  it('-32020 after the tool gained an x-mcp-header: the client re-lists the tools once and retries with the header', async () => {
    let tool = server.tool('zoned', { inputSchema: { type: 'object', properties: { zone: { type: 'string' } } } }, (a) => ({ content: [{ type: 'text', text: `zone ${String(a.zone)}` }] }));
    const { client, seen } = await connect({ versionNegotiation: { pin: '2026-07-28' } });
    assert.ok((await client.listTools()).tools.some((t) => t.name === 'zoned'));
    // The server changes the tool; this client has no listen open, and its tools/list is cached (ttlMs).
    tool.remove();
    tool = server.tool('zoned', { inputSchema: { type: 'object', properties: { zone: { type: 'string', 'x-mcp-header': 'Zone' } } } }, (a) => ({ content: [{ type: 'text', text: `zone ${String(a.zone)}` }] }));
    seen.length = 0;
    const r = await client.callTool({ name: 'zoned', arguments: { zone: 'b' } });
    assert.deepEqual(r.content, [{ type: 'text', text: 'zone b' }]);
    assert.deepEqual(
      seen.map((s) => s.body!.method),
      ['tools/call', 'tools/list', 'tools/call'],
    );
    assert.equal(seen[0]!.headers['mcp-param-zone'], undefined, 'the stale list had no annotation');
    assert.equal(seen[2]!.headers['mcp-param-zone'], 'b');
    assert.notEqual(seen[0]!.body!.id, seen[2]!.body!.id, 'the retry is a new request');
    // The re-listed tools replaced the cached list: listing again costs no request.
    seen.length = 0;
    assert.ok((await client.listTools()).tools.some((t) => t.name === 'zoned'));
    assert.equal(seen.length, 0);
    tool.remove();
    await client.close();
  });

  it('-32020 again after the re-list: the error surfaces; one re-list, one retry, no loop', async () => {
    const tool = server.tool('zoned2', { inputSchema: { type: 'object', properties: { zone: { type: 'string', 'x-mcp-header': 'Zone' } } } }, () => ({ content: [] }));
    const methods: string[] = [];
    // A proxy on the way that strips the header: the server can never see it.
    const transport = new StreamableHttpClientTransport(url, {
      fetch: (input, init) => {
        const headers = { ...(init?.headers as Record<string, string>) };
        delete headers['mcp-param-zone'];
        methods.push(String((JSON.parse(String(init?.body ?? '{}')) as { method?: string }).method));
        return fetch(input, { ...init, headers });
      },
    });
    const client = new Client({ name: 'mc', version: '1' }, { ...handlers, versionNegotiation: { pin: '2026-07-28' } });
    await client.connect(transport);
    await client.listTools();
    methods.length = 0;
    await assert.rejects(client.callTool({ name: 'zoned2', arguments: { zone: 'b' } }), (e: unknown) => e instanceof McpError && e.code === -32020);
    assert.deepEqual(methods, ['tools/call', 'tools/list', 'tools/call']);
    // Other errors are not retried.
    methods.length = 0;
    await assert.rejects(client.callTool({ name: 'no-such-tool', arguments: {} }));
    assert.deepEqual(methods, ['tools/call']);
    tool.remove();
    await client.close();
  });

  it('cancelling a modern request closes its stream; nothing is posted', async () => {
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const aborted = new Promise<void>((resolve) => {
      server.tool('slow', {}, async (_a, ctx) => {
        started();
        await new Promise<void>((r) => ctx.signal.addEventListener('abort', () => r(), { once: true }));
        resolve();
        return { content: [] };
      });
    });
    const { client, seen } = await connect({ versionNegotiation: { pin: '2026-07-28' } });
    const ac = new AbortController();
    const call = client.callTool({ name: 'slow', arguments: {} }, { signal: ac.signal });
    await running;
    ac.abort('enough');
    await assert.rejects(call, (e: Error & { code?: string }) => e.code === 'ERR_CANCELLED');
    await aborted;
    assert.ok(!seen.some((s) => s.body!.method === 'notifications/cancelled'));
    await client.close();
  });

  it('legacy stays the default: initialize and a session', async () => {
    const { client, transport, seen } = await connect({});
    assert.equal(client.era, 'legacy');
    assert.equal((seen[0]!.body as { method: string }).method, 'initialize');
    assert.ok(transport.sessionId);
    await transport.terminateSession();
    await client.close();
  });
});
