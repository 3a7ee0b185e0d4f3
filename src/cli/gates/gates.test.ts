/**
 * Gates: the receipt chain detects every kind of tampering (edit, delete, insert, reorder) and
 * names the first bad receipt; a failing gate (a broken server, a failing command, a command
 * over its time limit, a bench regression) fails the run and is recorded in its receipt; and
 * the project's own gates (.erlmcp/gates.json) pass.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../../test/helpers/validate.js';
import { appendReceipt, latestReceipt, type Receipt } from './receipt.js';
import { verifyChain } from './verify.js';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const DEMO_STDIO = fileURLToPath(new URL('../../../examples/everything/stdio.js', import.meta.url));

let root: string;
before(() => (root = mkdtempSync(join(tmpdir(), 'erlmcp-gates-'))));
after(() => rmSync(root, { recursive: true, force: true }));

function body(n: number, gates: Receipt['gates'] = []): Omit<Receipt, 'sequence' | 'previous' | 'schema'> {
  return { createdAt: new Date(0).toISOString(), commit: `c${n}`, dirty: false, tool: { name: 'erlmcp', version: 't' }, node: process.version, platform: 'test', config: { path: 'x', sha256: 'y' }, passed: true, gates };
}

describe('gates verify: the receipt chain', () => {
  let dir: string;
  let n = 0;
  beforeEach(() => {
    dir = join(root, `chain-${n++}`);
    for (let i = 1; i <= 4; i++) appendReceipt(dir, body(i));
  });
  const file = (seq: number) => join(dir, `${String(seq).padStart(6, '0')}.json`);
  const bad = (expected: string) => {
    const r = verifyChain(dir);
    assert.equal(r.ok, false);
    assert.equal((r as { bad: string }).bad, expected, JSON.stringify(r));
    return r as { reason: string };
  };

  it('an intact chain verifies, each receipt linked to the SHA-256 of the one before', () => {
    assert.deepEqual({ ...verifyChain(dir), head: undefined }, { ok: true, count: 4, head: undefined });
    const r3 = JSON.parse(readFileSync(file(3), 'utf8')) as Receipt;
    assert.equal(r3.sequence, 3);
    assert.match(r3.previous!, /^[0-9a-f]{64}$/);
    assert.equal((JSON.parse(readFileSync(file(1), 'utf8')) as Receipt).previous, null);
  });

  it('an edited receipt is named: in the middle, and the newest (checked against HEAD)', () => {
    writeFileSync(file(2), readFileSync(file(2), 'utf8').replace('"passed": true', '"passed": false'));
    assert.match(bad('000002.json').reason, /not the one 000003\.json recorded/);
  });

  it('an edit of the newest receipt is caught by HEAD', () => {
    writeFileSync(file(4), readFileSync(file(4), 'utf8').replace('"commit": "c4"', '"commit": "forged"'));
    assert.match(bad('000004.json').reason, /HEAD recorded/);
  });

  it('an edited "previous" link names the receipt that holds it, not its predecessor', () => {
    const r = JSON.parse(readFileSync(file(3), 'utf8')) as Receipt;
    writeFileSync(file(3), `${JSON.stringify({ ...r, previous: '0'.repeat(64) }, null, 2)}\n`);
    bad('000003.json');
  });

  it('a deleted receipt is named: in the middle, and the newest', () => {
    unlinkSync(file(2));
    assert.match(bad('000002.json').reason, /missing/);
    unlinkSync(file(4));
    bad('000002.json');
  });

  it('a deleted newest receipt is named', () => {
    unlinkSync(file(4));
    assert.match(bad('000004.json').reason, /missing/);
  });

  it('an inserted receipt is named: beyond HEAD, or shifted into the middle', () => {
    copyFileSync(file(4), file(5));
    assert.match(bad('000005.json').reason, /inserted/);
    unlinkSync(file(5));
    // Shift 3 and 4 up and put a copy of 2 in place of 3.
    renameSync(file(4), file(5));
    renameSync(file(3), file(4));
    copyFileSync(file(2), file(3));
    assert.match(bad('000003.json').reason, /records sequence 2, expected 3/);
  });

  it('reordered receipts are named', () => {
    renameSync(file(2), join(dir, 'tmp'));
    renameSync(file(3), file(2));
    renameSync(join(dir, 'tmp'), file(3));
    assert.match(bad('000002.json').reason, /records sequence 3, expected 2/);
  });

  it('a missing HEAD and a stray file are reported', () => {
    writeFileSync(join(dir, 'notes.txt'), 'x');
    bad('notes.txt');
    unlinkSync(join(dir, 'HEAD'));
    bad('HEAD');
  });

  it('the CLI exits 0 on an intact chain and 1 naming the first bad receipt', async () => {
    const ok = await runCli(['gates', 'verify', '--receipts', dir]);
    assert.equal(ok.code, 0);
    assert.match(ok.stdout, /^intact: 4 receipt\(s\)/);
    writeFileSync(file(1), readFileSync(file(1), 'utf8').replace('"c1"', '"c9"'));
    const broken = await runCli(['gates', 'verify', '--receipts', dir]);
    assert.equal(broken.code, 1);
    assert.match(broken.stdout, /^BROKEN at 000001\.json: /);
  });
});

describe('gates run: failures fail the run and are recorded', () => {
  it('a broken server, a failing command and a command over its time limit: exit 1, all three recorded, the passing gate too', async () => {
    const dir = join(root, 'failing');
    // A stdio "server" that prints a banner on stdout before answering: fails a MUST.
    const noisy = "process.stdout.write('hello\\n');let b='';process.stdin.on('data',d=>{b+=d;let i;while((i=b.indexOf('\\n'))>=0){const l=b.slice(0,i);b=b.slice(i+1);let m;try{m=JSON.parse(l)}catch{continue}if(m.id===undefined)continue;process.stdout.write(JSON.stringify(m.method==='initialize'?{jsonrpc:'2.0',id:m.id,result:{protocolVersion:'2025-11-25',capabilities:{},serverInfo:{name:'noisy',version:'1'}}}:m.method==='ping'?{jsonrpc:'2.0',id:m.id,result:{}}:{jsonrpc:'2.0',id:m.id,error:{code:-32601,message:'no'}})+'\\n')}})";
    const config = join(root, 'failing.json');
    writeFileSync(
      config,
      JSON.stringify({
        receipts: dir,
        gates: [
          { name: 'broken-server', type: 'validate', target: [process.execPath, '-e', noisy], timeoutSeconds: 120 },
          { name: 'failing-command', type: 'command', command: 'echo checking >&2; exit 3', timeoutSeconds: 30 },
          { name: 'slow-command', type: 'command', command: 'sleep 60', timeoutSeconds: 1 },
          { name: 'fine', type: 'command', command: 'true', timeoutSeconds: 30 },
        ],
      }),
    );
    const r = await runCli(['gates', '--config', config, '--json', '--quiet']);
    assert.equal(r.code, 1, r.stderr);
    const receipt = JSON.parse(r.stdout) as Receipt;
    assert.equal(receipt.passed, false);
    const g = Object.fromEntries(receipt.gates.map((x) => [x.name, x]));
    assert.equal(g['broken-server']!.result, 'fail');
    assert.match(g['broken-server']!.detail, /stdio\.stdout-only-messages/);
    assert.deepEqual((g['broken-server']!.figures as { failedMust: string[] }).failedMust.includes('stdio.stdout-only-messages'), true);
    assert.equal(g['failing-command']!.result, 'fail');
    assert.match(g['failing-command']!.detail, /^exit code 3: checking$/);
    assert.equal(g['slow-command']!.result, 'fail');
    assert.match(g['slow-command']!.detail, /timed out after 1 s/);
    assert.equal(g.fine!.result, 'pass');
    assert.ok(receipt.gates.every((x) => x.durationMs >= 0 && x.command.length > 0 && x.startedAt));
    assert.equal(verifyChain(dir).ok, true);
    assert.deepEqual(latestReceipt(dir), receipt);
  });

  it('a bench gate fails on a regression against the previous receipt and passes within tolerance', async () => {
    const dir = join(root, 'bench');
    const prior = (callsPerSecond: number) => body(1, [{ name: 'speed', type: 'bench', command: 'x', result: 'pass', detail: '', figures: { callsPerSecond, cpuUsPerCall: null }, startedAt: '', durationMs: 0 }]);
    const config = join(root, 'bench.json');
    writeFileSync(config, JSON.stringify({ receipts: dir, gates: [{ name: 'speed', type: 'bench', target: [process.execPath, DEMO_STDIO], durationMs: 300, inFlight: 4, tolerance: 0.2 }] }));
    appendReceipt(dir, prior(1e9)); // no server reaches a billion calls/s: a regression
    const slow = await runCli(['gates', '--config', config, '--json', '--quiet']);
    assert.equal(slow.code, 1, slow.stderr);
    const failed = JSON.parse(slow.stdout) as Receipt;
    assert.match(failed.gates[0]!.detail, /^regression: \d+ calls\/s is below 800000000 \(previous 1000000000 − 20 %\)/);
    assert.equal(failed.gates[0]!.figures.previousCallsPerSecond, 1e9);
    appendReceipt(dir, prior(1)); // any server beats 1 call/s
    const fine = await runCli(['gates', '--config', config, '--json', '--quiet']);
    assert.equal(fine.code, 0, fine.stdout);
    const passed = JSON.parse(fine.stdout) as Receipt;
    assert.ok((passed.gates[0]!.figures.callsPerSecond as number) > 1);
    assert.equal(passed.sequence, 4);
    assert.equal(verifyChain(dir).ok, true);
  });

  it('a bad config is a usage error naming the problem', async () => {
    const config = join(root, 'bad.json');
    writeFileSync(config, JSON.stringify({ gates: [{ name: 'x', type: 'command' }] }));
    const r = await runCli(['gates', '--config', config]);
    assert.equal(r.code, 2, 'an invalid config is a usage error');
    assert.match(r.stderr, /Invalid gates config .*gates\.0\.command/);
  });
});

describe("the project's own gates", () => {
  it('.erlmcp/gates.json passes (validate the demo over stdio, the layering check) and leaves a verifiable receipt', async () => {
    const dir = join(root, 'project');
    const r = await runCli(['gates', '--receipts', dir, '--quiet'], { cwd: REPO });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^PASSED: 2\/2 gates/m);
    const receipt = latestReceipt(dir)!;
    assert.match(receipt.commit ?? '', /^[0-9a-f]{40}$/);
    assert.equal(receipt.gates.find((g) => g.name === 'validate-demo-stdio')?.figures.mustFailed, 0);
    assert.equal((await runCli(['gates', 'verify', '--receipts', dir])).code, 0);
  });
});
