import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { until } from '../../../test/helpers/pair.js';
import { Client } from '../../client/client.js';
import { ErlmcpError } from '../../protocol/errors.js';
import type { AuthInfo } from '../../protocol/transport.js';
import { McpServer } from '../../server/server.js';
import { InMemoryTransport } from '../../transports/memory.js';
import { McpCache } from './cache.js';
import { cache } from './server.js';

const READ_ONLY = { readOnlyHint: true, idempotentHint: true };

let closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of closers.reverse()) await c();
  closers = [];
});

/** A client connected to `server` whose every request carries `auth`, as an auth hook would attach it. */
async function connect(server: McpServer, auth?: AuthInfo): Promise<Client> {
  const [ct, st] = InMemoryTransport.createLinkedPair({ structuredClone: true });
  await server.connect(st);
  const deliver = st.onmessage!;
  st.onmessage = (m, extra) => deliver(m, auth ? { ...extra, authInfo: auth } : extra);
  const client = new Client({ name: 'c', version: '1' });
  await client.connect(ct);
  closers.push(() => client.close());
  return client;
}

function fixture() {
  const server = new McpServer({ name: 's', version: '1' });
  closers.push(() => server.close());
  const runs = { forecast: 0, whoami: 0, write: 0, doc: 0 };
  let version = 1;
  server.tool('forecast', { annotations: READ_ONLY }, (args) => (runs.forecast++, { content: [{ type: 'text', text: `sunny in ${String(args.city)}` }] }));
  server.tool('whoami', { annotations: READ_ONLY }, (_args, ctx) => (runs.whoami++, { content: [{ type: 'text', text: String(ctx.authInfo?.subject) }] }));
  server.tool('write', {}, () => (runs.write++, { content: [] }));
  server.resource('r://doc', {}, (uri) => (runs.doc++, { contents: [{ uri, text: `v${version}` }] }));
  return { server, runs, bump: () => version++ };
}

const textOf = (r: { content?: unknown; contents?: unknown }): string => ((r.content ?? r.contents) as { text: string }[])[0]!.text;

describe('cache() server middleware', () => {
  it('serves repeated reads and opted-in tool calls from the cache; other tools always run', async () => {
    const { server, runs } = fixture();
    const mw = cache({ server, tools: { forecast: { scope: 'shared' } } });
    server.use(mw);
    const client = await connect(server);
    for (let i = 0; i < 3; i++) {
      assert.equal(textOf(await client.callTool({ name: 'forecast', arguments: { city: 'Oslo' } })), 'sunny in Oslo');
      assert.equal(textOf(await client.readResource('r://doc')), 'v1');
      await client.callTool({ name: 'write', arguments: {} });
    }
    assert.deepEqual(runs, { forecast: 1, whoami: 0, write: 3, doc: 1 });
    assert.equal(mw.cache.stats().hits, 4);
  });

  it('refuses to enable a tool that is not annotated read-only and idempotent, or not registered, naming it', () => {
    const { server } = fixture();
    assert.throws(() => cache({ server, tools: { write: true } }), (e: unknown) => e instanceof ErlmcpError && e.code === 'ERR_INVALID_ARGUMENT' && /tool "write"/.test(e.message));
    assert.throws(() => cache({ server, tools: { nope: true } }), /tool "nope" cannot be cached: no such tool is registered/);
  });

  it('notifyResourceUpdated drops the entry; a list change drops tool entries and re-checks the tools', async () => {
    const { server, runs, bump } = fixture();
    server.use(cache({ server, tools: { forecast: { scope: 'shared' } } }));
    const client = await connect(server);
    await client.readResource('r://doc');
    bump();
    await server.notifyResourceUpdated('r://doc');
    assert.equal(textOf(await client.readResource('r://doc')), 'v2');
    assert.equal(runs.doc, 2);
    await client.callTool({ name: 'forecast', arguments: { city: 'Oslo' } });
    // Re-registered without the annotations: list_changed drops the entry and the tool stops being cached.
    const changed = new Promise<void>((resolve) => server.onEvent((m) => m === 'notifications/tools/list_changed' && resolve()));
    server.tools.remove('forecast');
    server.tool('forecast', {}, () => (runs.forecast++, { content: [{ type: 'text', text: 'rain' }] }));
    await changed;
    assert.equal(textOf(await client.callTool({ name: 'forecast', arguments: { city: 'Oslo' } })), 'rain');
    await client.callTool({ name: 'forecast', arguments: { city: 'Oslo' } });
    assert.equal(runs.forecast, 3);
  });

  it("scope 'caller' keeps callers apart by the call's auth info; one caller is served from the cache", async () => {
    const { server, runs } = fixture();
    server.use(cache({ server, tools: { whoami: { scope: 'caller' } } }));
    const alice = await connect(server, { method: 'jwt', subject: 'alice' });
    const bob = await connect(server, { method: 'jwt', subject: 'bob' });
    assert.equal(textOf(await alice.callTool({ name: 'whoami', arguments: {} })), 'alice');
    assert.equal(textOf(await bob.callTool({ name: 'whoami', arguments: {} })), 'bob');
    assert.equal(textOf(await alice.callTool({ name: 'whoami', arguments: {} })), 'alice');
    assert.equal(textOf(await bob.callTool({ name: 'whoami', arguments: {} })), 'bob');
    assert.equal(runs.whoami, 2);
  });

  it('identify: a caller of your own choosing', async () => {
    const { server, runs } = fixture();
    server.use(cache({ server, tools: { whoami: { scope: 'caller' } }, identify: (call) => call.auth?.claims?.tenant as string | undefined }));
    const a1 = await connect(server, { method: 'jwt', subject: 'alice', claims: { tenant: 'acme' } });
    const a2 = await connect(server, { method: 'jwt', subject: 'bob', claims: { tenant: 'acme' } });
    const b = await connect(server, { method: 'jwt', subject: 'carol', claims: { tenant: 'globex' } });
    assert.equal(textOf(await a1.callTool({ name: 'whoami', arguments: {} })), 'alice');
    assert.equal(textOf(await a2.callTool({ name: 'whoami', arguments: {} })), 'alice', 'same tenant, same entry');
    assert.equal(textOf(await b.callTool({ name: 'whoami', arguments: {} })), 'carol');
    assert.equal(runs.whoami, 2);
  });

  it('single flight through the server: concurrent identical calls run the handler once', async () => {
    const server = new McpServer({ name: 's', version: '1' });
    closers.push(() => server.close());
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    server.tool('slow', { annotations: READ_ONLY }, async () => {
      runs++;
      await gate;
      return { content: [{ type: 'text', text: 'done' }] };
    });
    const mw = cache({ server, tools: { slow: { scope: 'shared' } } });
    server.use(mw);
    const clients = await Promise.all(Array.from({ length: 4 }, () => connect(server)));
    const calls = clients.flatMap((c) => Array.from({ length: 5 }, () => c.callTool({ name: 'slow', arguments: { n: 1 } })));
    await until(() => mw.cache.stats().coalesced === 19, undefined, 'all calls in flight');
    release();
    for (const r of await Promise.all(calls)) assert.equal(textOf(r), 'done');
    assert.equal(runs, 1);
  });

  it('serves 2026-07-28 requests too: the envelope in _meta is not part of the key', async () => {
    const { server, runs } = fixture();
    server.use(cache({ server, tools: { forecast: { scope: 'shared' } } }));
    const [ct, st] = InMemoryTransport.createLinkedPair({ structuredClone: true });
    await server.connect(st);
    const client = new Client({ name: 'modern', version: '1' }, { versionNegotiation: 'auto' });
    await client.connect(ct);
    closers.push(() => client.close());
    assert.equal(client.era, 'modern');
    for (let i = 0; i < 3; i++) {
      const r = await client.callTool({ name: 'forecast', arguments: { city: 'Oslo' } });
      assert.equal(textOf(r), 'sunny in Oslo');
      assert.equal((r as Record<string, unknown>).resultType, 'complete');
      await client.readResource('r://doc');
    }
    assert.deepEqual([runs.forecast, runs.doc], [1, 1]);
  });

  it('a cache handed in is shared and outlives the server', async () => {
    const shared = new McpCache({ tools: { forecast: true } });
    const { server, runs } = fixture();
    server.use(cache({ server, cache: shared }));
    const client = await connect(server);
    await client.callTool({ name: 'forecast', arguments: { city: 'Oslo' } });
    await client.callTool({ name: 'forecast', arguments: { city: 'Oslo' } });
    assert.equal(runs.forecast, 1);
    await server.close();
    assert.equal(shared.stats().entries, 1);
    await shared.close();
  });
});
