/**
 * Upstream faults the gateway's clients must survive: an upstream killed in the middle of a
 * call (the call fails with a clear error, the process is restarted, later calls succeed), an
 * upstream that never answers (the per-upstream timeout answers), an upstream that cannot start
 * (the gateway starts without it). Other upstreams keep serving throughout.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { McpError } from '../../src/protocol/errors.js';
import { Gateway } from '../../src/gateway/index.js';
import { until } from '../helpers/pair.js';
import { everythingStdio, memoryStdio, startedGateway } from './upstreams.js';

const HUNG = fileURLToPath(new URL('./fixtures/hung-server.js', import.meta.url));

const started = (config: unknown) => startedGateway(config, 'faults');

describe('gateway: upstream faults', () => {
  const open: Gateway[] = [];
  after(async () => {
    for (const g of open) await g.close();
  });

  it('an upstream killed mid-call: the call fails clearly, the upstream restarts, later calls succeed', async () => {
    const { gateway, client } = await started({ upstreams: { ev: everythingStdio({ restart: { backoffMs: 10 } } as never), mem: memoryStdio() } });
    open.push(gateway);
    const firstPid = gateway.upstream('ev')!.health().pid!;
    assert.ok(firstPid > 0);
    let killed = false;
    const call = client.callTool({ name: 'ev__trigger-long-running-operation', arguments: { duration: 60, steps: 120 } }, {
      onprogress: () => {
        if (!killed) process.kill(firstPid, 'SIGKILL');
        killed = true;
      },
    });
    await assert.rejects(call, (e: unknown) => e instanceof McpError && e.code === -32000 && /Upstream ev went away during tools\/call/.test(e.message));
    // The other upstream is unaffected while ev is down or restarting.
    const graph = await client.callTool({ name: 'mem__read_graph', arguments: {} });
    assert.notEqual(graph.isError, true);
    await gateway.waitFor('ev', 'ready');
    const h = gateway.upstream('ev')!.health();
    assert.equal(h.restarts, 1);
    assert.notEqual(h.pid, firstPid);
    assert.match(h.lastError ?? '', /connection closed/);
    assert.deepEqual((await client.callTool({ name: 'ev__echo', arguments: { message: 'back' } })).content, [{ type: 'text', text: 'Echo: back' }]);
    await client.close();
  });

  it('a hung upstream times out with -32001 naming it; other upstreams answer meanwhile', async () => {
    const { gateway, client } = await started({
      upstreams: { hung: { type: 'stdio', command: process.execPath, args: [HUNG], timeoutMs: 300 }, mem: memoryStdio() },
    });
    open.push(gateway);
    const hanging = client.callTool({ name: 'hung__hang' });
    const graph = await client.callTool({ name: 'mem__read_graph', arguments: {} });
    assert.notEqual(graph.isError, true);
    await assert.rejects(hanging, (e: unknown) => e instanceof McpError && e.code === -32001 && /Upstream hung did not answer tools\/call within 300 ms/.test(e.message));
    // It is still up: it answers what it can.
    assert.deepEqual((await client.callTool({ name: 'hung__ok' })).content, [{ type: 'text', text: 'still answering' }]);
    assert.equal(gateway.health().status, 'ok');
    await client.close();
  });

  it('an upstream that cannot start: the gateway serves the others, reports degraded, and names the failure', async () => {
    const { gateway, client } = await started({
      upstreams: {
        broken: { type: 'stdio', command: process.execPath, args: ['-e', 'process.stderr.write("no config found\\n"); process.exit(3)'], restart: { maxRestarts: 2, backoffMs: 1 } },
        mem: memoryStdio(),
      },
    });
    open.push(gateway);
    assert.equal(gateway.health().status, 'degraded');
    const names = (await client.listAllTools()).map((t) => t.name);
    assert.ok(names.length > 0 && names.every((n) => n.startsWith('mem__')), names.join(', '));
    await assert.rejects(client.callTool({ name: 'broken__anything' }), (e: unknown) => e instanceof McpError && e.code === -32000 && /Upstream broken is unavailable/.test(e.message));
    // Its restart budget runs out; the reason stays visible in health.
    await until(() => /gave up after 2 restarts/.test(gateway.upstream('broken')!.health().lastError ?? ''), 30_000, 'restart budget spent');
    assert.match(gateway.upstream('broken')!.health().lastError!, /no config found/);
    await client.close();
  });
});
