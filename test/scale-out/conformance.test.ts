/**
 * Issue 4 (a): the official conformance suite (0.1.16 `server --suite all`) against 2 and 3
 * server processes on Redis behind a round-robin proxy — consecutive requests of every session
 * land on different processes, with no stickiness at all.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import { RoundRobinProxy } from '../../src/cluster/proxy.js';
import { countStatuses, problems, runSuite, SUITE_STABLE } from '../conformance/run.js';
import { deleteKeys, keysWithoutTtl, requireRedis, spawnNodes, testPrefix } from './helpers.js';

describe('conformance through a round-robin proxy', { concurrency: false }, () => {
  let admin: Redis;
  const prefixes: string[] = [];

  before(async () => {
    admin = await requireRedis();
  });

  after(async () => {
    if (!admin) return;
    for (const p of prefixes) await deleteKeys(admin, p);
    admin.disconnect();
  });

  for (const n of [2, 3]) {
    test(`0.1.16 server --suite all passes 100% against ${n} processes`, { timeout: 300_000 }, async () => {
      const prefix = testPrefix();
      prefixes.push(prefix);
      const nodes = await spawnNodes(n, { prefix });
      const proxy = new RoundRobinProxy({ backends: nodes.map((x) => x.origin) });
      try {
        const { url } = await proxy.listen();
        const run = await runSuite(SUITE_STABLE, ['server', '--url', `${url}/mcp`, '--suite', 'all'], 80_000);
        const bad = problems(run);
        console.log(`conformance 0.1.16 --suite all via round-robin proxy, ${n} processes: ${run.total?.passed} passed, ${run.total?.failed} failed; checks ${JSON.stringify(countStatuses(run))}; requests per process ${JSON.stringify(proxy.hits())}`);
        assert.deepEqual(bad, [], `non-passing checks:\n${bad.join('\n')}\n${run.stdout.slice(-3000)}\n${nodes.map((x) => x.stderr()).join('\n')}`);
        assert.ok(run.scenarios.size >= 30, `expected the full scenario set, saw ${run.scenarios.size}`);
        assert.equal(run.total?.failed, 0);
        assert.equal(run.code, 0, run.stdout.slice(-2000));
        assert.ok(proxy.hits().every((h) => h > 10), `every process served requests: ${JSON.stringify(proxy.hits())}`);
        assert.deepEqual(await keysWithoutTtl(admin, prefix), [], 'every key has a TTL');
      } finally {
        await proxy.close();
        await Promise.all(nodes.map((x) => x.stop()));
      }
    });
  }
});
