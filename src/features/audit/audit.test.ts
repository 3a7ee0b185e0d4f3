/**
 * The audit log end to end (a protected HTTP server writes it: allowed, denied, failed and
 * refused requests), continuing a chain across restarts, and `erlmcp audit verify` on intact and
 * tampered copies: edit, edit with the hash recomputed, delete, insert, reorder, a cut line.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../cli/program.js';
import { Client } from '../../client/index.js';
import { McpError } from '../../protocol/errors.js';
import { McpServer } from '../../server/index.js';
import { StreamableHttpClientTransport } from '../../transports/http/client.js';
import { StreamableHttpServer } from '../../transports/http/server.js';
import { ApiKeyStore, hashApiKey } from '../auth/api-keys.js';
import { Policy } from '../auth/policy.js';
import { ResourceServer } from '../auth/resource-server.js';
import { AuditLog } from './log.js';
import { canonicalJson, chainLine, sha256, type AuditRecord } from './record.js';

let dir = '';
const closers: (() => Promise<void>)[] = [];
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'erlmcp-audit-'));
});
after(async () => {
  for (const c of closers.reverse()) await c().catch(() => {});
  await rm(dir, { recursive: true, force: true });
});

async function verify(file: string): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = (await runCli(['audit', 'verify', file], { out: (t) => (out += t), err: (t) => (err += t) })) ?? 0;
  return { code, out, err };
}

const KEY = 'emk_audit-test-key';
let logFile = '';
let lines: string[] = [];

describe('audit log', () => {
  before(async () => {
    logFile = join(dir, 'audit.jsonl');
    const audit = await AuditLog.open(logFile);
    const server = new McpServer({ name: 'audited', version: '1.0.0' });
    server.tool('add', {}, (a) => ({ content: [{ type: 'text', text: JSON.stringify(a) }] }));
    server.tool('fail', {}, () => ({ isError: true, content: [{ type: 'text', text: 'no' }] }));
    server.tool('secret', {}, () => ({ content: [] }));
    audit.install(server);
    new Policy({ rules: [{ scopes: ['calc'], tools: ['add', 'fail'] }, { scopes: ['admin'], tools: ['secret'] }] }).install(server);
    const http = new StreamableHttpServer({ server });
    const { url } = await http.listen(0, '127.0.0.1');
    new ResourceServer({ resource: url, apiKeys: new ApiKeyStore([{ name: 'calc-bot', sha256: hashApiKey(KEY), scopes: ['calc'] }]) }).install(server);

    const client = new Client({ name: 'c', version: '1' });
    await client.connect(new StreamableHttpClientTransport(new URL(url), { headers: { 'x-api-key': KEY } }));
    await client.callTool({ name: 'add', arguments: { b: 2, a: 1 } });
    await client.callTool({ name: 'fail', arguments: {} });
    await assert.rejects(client.callTool({ name: 'secret', arguments: {} }), McpError);
    const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
    assert.equal(r.status, 401);
    await r.text();
    await client.close();
    await http.close();
    await audit.close();
    lines = (await readFile(logFile, 'utf8')).split('\n').filter((l) => l !== '');
  });

  it('records who did what, with a digest of the arguments and the outcome, and refusals before any session', () => {
    const recs = lines.map((l) => JSON.parse(l) as AuditRecord);
    const byMethod = (m: string, target?: string) => recs.find((r) => r.method === m && (target === undefined || r.target === target));
    const init = byMethod('initialize')!;
    assert.equal(init.subject, 'calc-bot');
    assert.equal(init.auth, 'api-key');
    assert.equal(init.transport, 'http');
    const add = byMethod('tools/call', 'add')!;
    assert.equal(add.outcome, 'ok');
    assert.equal(add.args, sha256(canonicalJson({ a: 1, b: 2 })), 'argument order does not change the digest');
    assert.ok(add.session !== undefined && typeof add.durationMs === 'number');
    assert.equal(byMethod('tools/call', 'fail')!.outcome, 'error');
    const denied = byMethod('tools/call', 'secret')!;
    assert.deepEqual([denied.outcome, denied.code, denied.reason], ['denied', -32000, 'insufficient_scope']);
    const refused = recs.find((r) => r.outcome === 'refused')!;
    assert.deepEqual([refused.method, refused.code, refused.reason], ['POST /mcp', 401, 'unauthorized']);
    assert.deepEqual(recs.map((r) => r.seq), recs.map((_, i) => i));
  });

  it('verify: exit 0 on the intact log, naming the count and the head hash', async () => {
    const v = await verify(logFile);
    assert.equal(v.code, 0, v.err);
    assert.match(v.out, new RegExp(`intact, ${lines.length} records, head ${(JSON.parse(lines.at(-1)!) as AuditRecord).hash}`));
  });

  it('verify: exit 1 naming the first bad record on edit, recomputed edit, delete, insert, reorder and a cut line', async () => {
    assert.ok(lines.length >= 5);
    const edited = [...lines];
    edited[2] = edited[2]!.replace('"outcome":"', '"outcome":"x');
    const rehashed = [...lines];
    {
      const { hash: _h, seq, prev, ...rest } = JSON.parse(lines[2]!) as AuditRecord;
      rehashed[2] = chainLine({ ...rest, subject: 'someone-else' }, seq, prev).line;
    }
    const deleted = lines.filter((_, i) => i !== 2);
    const inserted = [...lines.slice(0, 2), chainLine({ time: new Date().toISOString(), method: 'tools/call', outcome: 'ok' }, 2, (JSON.parse(lines[1]!) as AuditRecord).hash).line, ...lines.slice(2)];
    const reordered = [lines[0]!, lines[2]!, lines[1]!, ...lines.slice(3)];
    const cut = [...lines.slice(0, 3), lines[3]!.slice(0, 20), ...lines.slice(4)];
    const cases: [string, string[], number, RegExp][] = [
      ['edited', edited, 3, /record 2 was altered/],
      ['edited, hash recomputed', rehashed, 4, /record 3 does not follow/],
      ['deleted', deleted, 3, /expected record 2, found record 3/],
      ['inserted', inserted, 4, /expected record 3, found record 2|record 3 does not follow/],
      ['reordered', reordered, 2, /expected record 1, found record 2/],
      ['cut line', cut, 4, /not a JSON record/],
    ];
    for (const [name, content, line, why] of cases) {
      const f = join(dir, `${name.replace(/\W+/g, '-')}.jsonl`);
      await writeFile(f, content.join('\n') + '\n');
      const v = await verify(f);
      assert.equal(v.code, 1, name);
      assert.match(v.err, new RegExp(`line ${line}: `), `${name}: ${v.err}`);
      assert.match(v.err, why, name);
    }
    assert.equal((await verify(join(dir, 'missing.jsonl'))).code, 1);
    await writeFile(join(dir, 'empty.jsonl'), '');
    assert.match((await verify(join(dir, 'empty.jsonl'))).out, /intact, 0 records/);
  });

  it('continues the chain when reopened, and refuses to append to a log whose last record was edited', async () => {
    const f = join(dir, 'continued.jsonl');
    await writeFile(f, lines.join('\n') + '\n');
    const again = await AuditLog.open(f);
    again.append({ time: new Date().toISOString(), method: 'ping', outcome: 'ok' });
    await again.close();
    const v = await verify(f);
    assert.equal(v.code, 0, v.err);
    assert.match(v.out, new RegExp(`intact, ${lines.length + 1} records`));

    const bad = join(dir, 'bad-tail.jsonl');
    await writeFile(bad, [...lines.slice(0, -1), lines.at(-1)!.replace('"method":"', '"method":"x')].join('\n') + '\n');
    await assert.rejects(AuditLog.open(bad), /last record does not match its hash/);
  });

  it('the erlmcp binary exits 0 and 1', () => {
    const main = fileURLToPath(new URL('../../cli/main.js', import.meta.url));
    const ok = spawnSync(process.execPath, [main, 'audit', 'verify', logFile], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);
    const bad = spawnSync(process.execPath, [main, 'audit', 'verify', join(dir, 'edited.jsonl')], { encoding: 'utf8' });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /line 3: record 2 was altered/);
  });
});
