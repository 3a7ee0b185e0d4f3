/**
 * The audit chain in Redis (real Redis, a prefix per test): two writer processes appending at
 * once make one chain that verifies; a writer whose view of the head is stale links again after
 * the other's records; `erlmcp audit verify --redis` finds an edited, deleted, reordered or
 * cut-off record; `erlmcp audit export` writes a file the file verifier accepts.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { deleteKeys, REDIS_URL, requireRedis, testPrefix } from '../../../test/scale-out/helpers.js';
import { runCli } from '../../cli/program.js';
import type { AuditRecord } from './record.js';
import { auditKeys, RedisChain, redisChainLines, verifyRedisChain } from './redis-chain.js';
import { verifyAuditFile } from './verify.js';

let admin: Redis;
let dir = '';
const prefixes: string[] = [];
before(async () => {
  admin = await requireRedis();
  dir = await mkdtemp(join(tmpdir(), 'erlmcp-redis-audit-'));
});
after(async () => {
  for (const p of prefixes) await deleteKeys(admin, p);
  admin.disconnect();
  await rm(dir, { recursive: true, force: true });
});

function prefix(): string {
  const p = testPrefix();
  prefixes.push(p);
  return p;
}

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = (await runCli(['audit', ...args], { out: (t) => (out += t), err: (t) => (err += t) })) ?? 0;
  return { code, out, err };
}

/** A writer process (fixtures/redis-writer.ts): resolves once it is connected; `go()` starts it, `done` ends. */
function writer(p: string, name: string, count: number): Promise<{ go(): void; done: Promise<void> }> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./fixtures/redis-writer.js', import.meta.url)), REDIS_URL, p, name, String(count)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => (code === 0 ? done() : reject(new Error(`writer ${name} exited ${code}`))));
    lines.on('line', (l) => {
      if (l === 'ready') resolve({ go: () => child.stdin.end('go\n'), done: finished });
    });
  });
}

async function records(p: string): Promise<{ id: string; line: string }[]> {
  const out: { id: string; line: string }[] = [];
  for await (const r of redisChainLines(admin, p)) out.push(r);
  return out;
}

/** Rewrites the stream as an intruder with write access would: same entry ids, chosen lines. */
async function rewrite(p: string, entries: { id: string; line: string }[]): Promise<void> {
  const { stream } = auditKeys(p);
  await admin.del(stream);
  for (const e of entries) await admin.xadd(stream, e.id, 'seq', String((JSON.parse(e.line) as AuditRecord).seq), 'line', e.line);
}

describe('audit chain in Redis', { timeout: 120_000 }, () => {
  it('two writer processes appending at once make one chain that verifies', async () => {
    const p = prefix();
    const [a, b] = await Promise.all([writer(p, 'a', 60), writer(p, 'b', 60)]);
    a.go();
    b.go();
    await Promise.all([a.done, b.done]);
    const v = await verifyRedisChain(admin, p);
    assert.ok(v.ok, JSON.stringify(v));
    assert.equal(v.records, 120);
    const recs = (await records(p)).map((r) => JSON.parse(r.line) as AuditRecord);
    for (const name of ['a', 'b']) {
      assert.deepEqual(recs.filter((r) => r.subject === name).map((r) => r.target), Array.from({ length: 60 }, (_, i) => `${name}-${i}`), `${name}'s records, each once, in its order`);
    }
    const c = await cli(['verify', '--redis', REDIS_URL, '--redis-prefix', p]);
    assert.equal(c.code, 0, c.err);
    assert.match(c.out, new RegExp(`intact, 120 records, head ${v.ok ? v.head : ''}`));
  });

  it('a writer with a stale head links again after the other writer\'s records; a new writer continues the chain', async () => {
    const p = prefix();
    const one = new RedisChain(REDIS_URL, { prefix: p });
    const two = new RedisChain(REDIS_URL, { prefix: p });
    for (let i = 0; i < 5; i++) {
      one.append({ time: new Date().toISOString(), method: 'one', outcome: 'ok' });
      await one.flush();
      two.append({ time: new Date().toISOString(), method: 'two', outcome: 'ok' });
      await two.flush();
    }
    await Promise.all([one.close(), two.close()]);
    const three = new RedisChain(REDIS_URL, { prefix: p });
    three.append({ time: new Date().toISOString(), method: 'three', outcome: 'ok' });
    await three.close();
    const recs = (await records(p)).map((r) => JSON.parse(r.line) as AuditRecord);
    assert.deepEqual(recs.map((r) => [r.seq, r.method]), [...Array.from({ length: 10 }, (_, i) => [i, i % 2 ? 'two' : 'one']), [10, 'three']]);
    assert.ok((await verifyRedisChain(admin, p)).ok);
  });

  it('verify --redis names an edited, deleted, reordered or cut-off record; export writes a file that verifies', async () => {
    const p = prefix();
    const chain = new RedisChain(REDIS_URL, { prefix: p });
    for (let i = 0; i < 6; i++) chain.append({ time: new Date().toISOString(), subject: 'u', method: 'tools/call', target: `t${i}`, outcome: 'ok' });
    await chain.close();
    const original = await records(p);
    const head = await admin.get(auditKeys(p).head);

    const file = join(dir, 'export.jsonl');
    const ex = await cli(['export', '--redis', REDIS_URL, '--redis-prefix', p, file]);
    assert.equal(ex.code, 0, ex.err);
    const fv = await verifyAuditFile(file);
    assert.ok(fv.ok && fv.records === 6, JSON.stringify(fv));

    const edited = original.map((e, i) => (i === 2 ? { ...e, line: e.line.replace('"subject":"u"', '"subject":"v"') } : e));
    const deleted = original.filter((_, i) => i !== 2);
    const reordered = [original[0]!, { ...original[2]!, id: original[1]!.id }, { ...original[1]!, id: original[2]!.id }, ...original.slice(3)];
    const cut = original.slice(0, -1);
    const cases: [string, { id: string; line: string }[], RegExp][] = [
      ['edited', edited, /entry 3 .*record 2 was altered/],
      ['deleted', deleted, /entry 3 .*expected record 2, found record 3/],
      ['reordered', reordered, /entry 2 .*expected record 1, found record 2/],
      ['cut off', cut, /entry 6: .*records were removed from the end/],
    ];
    for (const [name, entries, why] of cases) {
      await rewrite(p, entries);
      await admin.set(auditKeys(p).head, head!);
      const v = await cli(['verify', '--redis', REDIS_URL, '--redis-prefix', p]);
      assert.equal(v.code, 1, name);
      assert.match(v.err, why, `${name}: ${v.err}`);
    }
    await rewrite(p, original);
    assert.equal((await cli(['verify', '--redis', REDIS_URL, '--redis-prefix', p])).code, 0);
    assert.match((await cli(['verify'])).err, /name a file or --redis/);
  });
});
