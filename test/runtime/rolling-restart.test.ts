/**
 * Issue 9, item 7: a rolling restart of every worker under a steady load of tool calls, through
 * `erlmcp start --cluster 2 --redis`, ends with 0 failed calls and every session continuing
 * (same session ids, calls served by the new workers). Two rounds: SIGHUP, then the documented
 * `erlmcp restart --pid-file`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { Client } from '../../src/client/index.js';
import { StreamableHttpClientTransport } from '../../src/transports/http/index.js';
import { deleteKeys, requireRedis, testPrefix, REDIS_URL } from '../scale-out/helpers.js';
import { runCli, startCli, type CliProcess } from './cli-process.js';

const CLIENTS = 4;

interface Loaded {
  client: Client;
  transport: StreamableHttpClientTransport;
  sessionId: string;
  ok: number;
  failures: string[];
}

describe('rolling restart under load', { concurrency: false, timeout: 180_000 }, () => {
  const prefix = testPrefix();
  const dir = mkdtempSync(join(tmpdir(), 'erlmcp-rolling-'));
  const pidFile = join(dir, 'erlmcp.pid');
  let admin: Redis;
  let p: CliProcess | undefined;
  const loaded: Loaded[] = [];

  before(async () => {
    admin = await requireRedis();
  });
  after(async () => {
    await Promise.all(loaded.map((l) => l.client.close().catch(() => {})));
    p?.kill();
    await deleteKeys(admin, prefix);
    admin.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Every client calls `echo` back to back until `stop()`; resolves once all loops ended. */
  function steadyLoad(): { stop: () => Promise<void>; atLeast: (calls: number) => Promise<void>; calls: () => number } {
    let running = true;
    let n = 0;
    const waiters: { calls: number; resolve: () => void }[] = [];
    const loops = loaded.map(async (l, i) => {
      while (running) {
        const text = `c${i}-${n++}`;
        for (const w of [...waiters]) {
          if (n < w.calls) continue;
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
        try {
          const r = await l.client.callTool({ name: 'echo', arguments: { text } });
          assert.equal((r.content[0] as { text: string }).text, text);
          l.ok++;
        } catch (e) {
          l.failures.push(`${text}: ${(e as Error).message}`);
        }
      }
    });
    return {
      calls: () => n,
      atLeast: (calls) => (n >= calls ? Promise.resolve() : new Promise((resolve) => waiters.push({ calls, resolve }))),
      stop: async () => {
        running = false;
        await Promise.all(loops);
      },
    };
  }

  async function workerPids(): Promise<Set<string>> {
    const seen = new Set<string>();
    // Each call may reach either worker (round robin over connections); a few calls per client find both.
    for (let round = 0; round < 8; round++) {
      for (const l of loaded) seen.add(((await l.client.callTool({ name: 'whoami', arguments: {} })).content[0] as { text: string }).text);
    }
    return seen;
  }

  it('replaces both workers twice (SIGHUP, then erlmcp restart) with 0 failed calls and every session kept', async () => {
    p = await startCli(['--cluster', '2', '--redis', REDIS_URL, '--redis-prefix', prefix, '--pid-file', pidFile]);
    for (let i = 0; i < CLIENTS; i++) {
      const transport = new StreamableHttpClientTransport(p.url);
      const client = new Client({ name: `load-${i}`, version: '1' });
      await client.connect(transport);
      loaded.push({ client, transport, sessionId: transport.sessionId!, ok: 0, failures: [] });
    }
    const original = await workerPids();

    const triggers: [string, () => Promise<void>][] = [
      ['SIGHUP', async () => void p!.child.kill('SIGHUP')],
      [
        'erlmcp restart',
        async () => {
          const r = await runCli(['restart', '--pid-file', pidFile]);
          assert.equal(r.code, 0, r.stderr);
          assert.match(r.stdout, new RegExp(`rolling restart requested \\(SIGHUP to ${p!.child.pid}\\)`));
        },
      ],
    ];
    let previous = original;
    for (const [name, trigger] of triggers) {
      const load = steadyLoad();
      const mark = p.lineCount();
      const t0 = Date.now();
      await trigger();
      await p.waitForLine(/rolling restart done/, mark);
      console.log(`rolling restart (${name}) of 2 workers took ${Date.now() - t0} ms under load`);
      // Keep the load on a little longer: calls now reach only the new workers.
      await load.atLeast(load.calls() + CLIENTS * 20);
      await load.stop();
      const now = await workerPids();
      for (const pid of now) assert.ok(!previous.has(pid), `${name}: calls are served by new workers only (${[...now].join(', ')} vs ${[...previous].join(', ')})`);
      previous = now;
    }

    const failures = loaded.flatMap((l) => l.failures);
    const ok = loaded.reduce((s, l) => s + l.ok, 0);
    console.log(`rolling restart: ${ok} calls succeeded, ${failures.length} failed, across ${CLIENTS} sessions and 2 rounds`);
    assert.deepEqual(failures, [], `${failures.length} of ${ok + failures.length} calls failed`);
    for (const l of loaded) {
      assert.equal(l.transport.sessionId, l.sessionId, 'the session id never changed (no re-initialize)');
      assert.ok(l.ok > 0);
    }
    p.child.kill('SIGTERM');
    assert.equal((await p.exited).code, 0);
  });
});
