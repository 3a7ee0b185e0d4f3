import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { Client, type ClientOptions } from '../../client/client.js';
import { ErlmcpError } from '../../protocol/errors.js';
import { McpServer, type ServerOptions } from '../../server/server.js';
import { InMemoryTransport } from '../../transports/memory.js';
import { McpCache } from './cache.js';
import { cacheClient } from './client.js';

const READ_ONLY = { readOnlyHint: true, idempotentHint: true };
const textOf = (r: Record<string, unknown>): string => ((r.content ?? r.contents) as { text: string }[])[0]!.text;

let closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of closers.reverse()) await c();
  closers = [];
});

function upstream(options: ServerOptions = {}) {
  const server = new McpServer({ name: 'up', version: '1' }, options);
  closers.push(() => server.close());
  const runs = { doc: 0, search: 0, write: 0 };
  let version = 1;
  server.resource('r://doc', {}, (uri) => (runs.doc++, { contents: [{ uri, text: `v${version}` }] }));
  server.tool('search', { annotations: READ_ONLY }, (a) => (runs.search++, { content: [{ type: 'text', text: `found ${String(a.q)}` }] }));
  server.tool('write', { annotations: { readOnlyHint: false } }, () => (runs.write++, { content: [] }));
  return { server, runs, bump: () => version++ };
}

async function connect(server: McpServer, options: ClientOptions = {}): Promise<Client> {
  const [ct, st] = InMemoryTransport.createLinkedPair({ structuredClone: true });
  await server.connect(st);
  const client = new Client({ name: 'gw', version: '1' }, options);
  await client.connect(ct);
  closers.push(() => client.close());
  return client;
}

describe('cacheClient (in front of an upstream)', () => {
  it("caches reads and opted-in tools the upstream annotates read-only + idempotent", async () => {
    const { server, runs } = upstream();
    const client = await connect(server);
    const c = await cacheClient(client, { tools: { search: { scope: 'shared' } } });
    for (let i = 0; i < 3; i++) {
      assert.equal(textOf(await client.readResource('r://doc')), 'v1');
      assert.equal(textOf(await client.callTool({ name: 'search', arguments: { q: 'mcp' } })), 'found mcp');
      await client.callTool({ name: 'write', arguments: {} });
    }
    assert.deepEqual(runs, { doc: 1, search: 1, write: 3 });
    assert.equal(c.stats().hits, 4);
  });

  it('refuses a tool the upstream does not annotate, or does not have, naming it', async () => {
    const { server } = upstream();
    const client = await connect(server);
    await assert.rejects(cacheClient(client, { tools: { write: true } }), (e: unknown) => e instanceof ErlmcpError && /tool "write" cannot be cached/.test(e.message));
    await assert.rejects(cacheClient(client, { tools: { missing: true } }), /tool "missing" cannot be cached: no such tool/);
  });

  it("drops an entry on the upstream's notifications/resources/updated, and keeps the app's own handler working", async () => {
    const { server, runs, bump } = upstream();
    const client = await connect(server);
    const seen: string[] = [];
    let updated!: () => void;
    const got = new Promise<void>((r) => (updated = r));
    client.onnotification = (m) => {
      seen.push(m);
      if (m === 'notifications/resources/updated') updated();
    };
    const c = await cacheClient(client, {});
    await client.readResource('r://doc');
    await client.subscribeResource('r://doc');
    bump();
    await server.notifyResourceUpdated('r://doc');
    await got;
    assert.equal(textOf(await client.readResource('r://doc')), 'v2');
    assert.equal(runs.doc, 2);
    assert.deepEqual(seen, ['notifications/resources/updated']);
    assert.equal(c.stats().invalidations, 1);
  });

  it("passes an upstream notification on only once its invalidation reached the bus, in the order they came", async () => {
    const { server } = upstream();
    const client = await connect(server);
    const seen: string[] = [];
    const published: unknown[] = [];
    let releaseBus!: () => void;
    const busHeld = new Promise<void>((r) => (releaseBus = r));
    let told!: () => void;
    const toldAll = new Promise<void>((r) => (told = r));
    client.onnotification = (m) => {
      seen.push(m);
      if (seen.length === 2) told();
    };
    // A bus whose publish waits until the test lets it go (other nodes would hear it then).
    const bus = {
      async publish(_channel: string, message: unknown) {
        published.push(message);
        await busHeld;
      },
      async subscribe() {
        return async () => {};
      },
      async close() {},
    };
    await cacheClient(client, { bus });
    await client.subscribeResource('r://doc');
    await server.notifyResourceUpdated('r://doc');
    server.tool('late', {}, () => ({ content: [] }));
    // Both invalidations are on their way to the bus; neither notification was passed on before they got there.
    await new Promise<void>((r) => {
      const check = () => (published.length >= 2 ? r() : setImmediate(check));
      check();
    });
    assert.deepEqual(seen, []);
    releaseBus();
    await toldAll;
    assert.deepEqual(seen, ['notifications/resources/updated', 'notifications/tools/list_changed']);
  });

  it("a 2026-07-28 upstream's ttlMs bounds the entry (0: not cached)", async () => {
    const none = upstream({ cache: { ttlMs: 0, scope: 'public' } });
    const c0 = new McpCache();
    const a = await connect(none.server, { versionNegotiation: 'auto' });
    await cacheClient(a, { cache: c0 });
    await a.readResource('r://doc');
    assert.equal(c0.stats().stores, 0);
    assert.equal(c0.stats().uncacheable, 1);

    let now = 1_000;
    const shared = new McpCache({ ttlMs: 60_000, clock: { now: () => now } });
    const hinted = upstream({ cache: { ttlMs: 300, scope: 'public' } });
    // One client per read: each Client keeps its own small cache of modern results above ours.
    const reader = async () => {
      const client = await connect(hinted.server, { versionNegotiation: 'auto' });
      await cacheClient(client, { cache: shared });
      return client.readResource('r://doc');
    };
    await reader();
    now += 300;
    await reader();
    assert.equal(hinted.runs.doc, 1);
    now += 1;
    await reader();
    assert.equal(hinted.runs.doc, 2);
  });

  it("a 2026-07-28 upstream's cacheScope 'private' keeps the entry to the caller it was fetched for", async () => {
    const { server, runs } = upstream({ cache: { ttlMs: 60_000, scope: 'private' } });
    const shared = new McpCache({ scope: 'shared' });
    const as = async (who: string) => {
      const client = await connect(server, { versionNegotiation: 'auto' });
      await cacheClient(client, { cache: shared, identify: () => who });
      return client.readResource('r://doc');
    };
    await as('alice');
    await as('bob');
    assert.equal(runs.doc, 2, 'bob is not served alice\'s private entry');
    await as('alice');
    await as('bob');
    assert.equal(runs.doc, 2);
  });
});
