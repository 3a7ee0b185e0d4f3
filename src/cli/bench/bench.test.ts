/**
 * `erlmcp bench`: the common driver, the /proc readings, and the command against real servers —
 * our demo over stdio and over HTTP (a separate process found by its port), and --compare
 * against a tmcp server. Figures are checked for shape and consistency, never for speed.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../../test/helpers/validate.js';
import type { Comparison } from './compare.js';
import { drive, percentile } from './driver.js';
import type { BenchResult } from './measure.js';
import { cpuMs, listeningPorts, peakRssBytes, pidListeningOn, processTree, treeCpuMs } from './proc.js';
import { splitCommandLine } from './split.js';

const dist = (p: string) => fileURLToPath(new URL(`../../../${p}`, import.meta.url));
const DEMO_STDIO = dist('examples/everything/stdio.js');
const DEMO_HTTP = dist('examples/everything/main.js');
const OURS_FIXTURE = dist('bench/fixtures/ours-stdio.js');
const TMCP_FIXTURE = dist('bench/fixtures/tmcp-stdio.js');

describe('bench building blocks', () => {
  it('splits command lines like a shell', () => {
    assert.deepEqual(splitCommandLine(`node  "my server.js" --name 'a b' x\\ y ""`), ['node', 'my server.js', '--name', 'a b', 'x y', '']);
    assert.throws(() => splitCommandLine('node "open'), /Unterminated/);
  });

  it('percentile is nearest-rank; drive keeps n in flight and stops at maxCalls', async () => {
    assert.equal(percentile([1, 2, 3, 4], 50), 2);
    assert.equal(percentile([1, 2, 3, 4], 99), 4);
    let inFlight = 0;
    let most = 0;
    const f = await drive(
      async () => {
        most = Math.max(most, ++inFlight);
        await new Promise((r) => setImmediate(r));
        inFlight--;
      },
      { inFlight: 8, durationMs: 60_000, maxCalls: 400 },
    );
    assert.equal(f.calls, 400);
    assert.equal(most, 8);
    assert.equal(f.errors, 0);
    const failing = await drive(() => Promise.reject(new Error('nope')), { inFlight: 2, durationMs: 60_000, maxCalls: 10 });
    assert.equal(failing.errors, 10);
    assert.equal(failing.firstError, 'nope');
  });

  it('reads CPU, peak RSS and listening ports from /proc, and finds the process behind a port', async () => {
    assert.ok((cpuMs(process.pid) ?? -1) >= 0);
    // Read our own CPU first: the tree sum is read later and includes us, so it can only be larger.
    const own = cpuMs(process.pid) ?? 0;
    assert.ok((treeCpuMs(process.pid) ?? -1) >= own);
    assert.ok((peakRssBytes(process.pid) ?? 0) > 1024 * 1024);
    const srv = createServer().listen(0, '127.0.0.1');
    await once(srv, 'listening');
    try {
      const port = (srv.address() as { port: number }).port;
      assert.ok(listeningPorts(process.pid).includes(port));
      assert.equal(pidListeningOn(port), process.pid);
    } finally {
      srv.close();
    }
    assert.equal(cpuMs(2 ** 22 + 12345), undefined);
    assert.deepEqual(processTree(process.pid).slice(0, 1), [process.pid]);
  });
});

describe('erlmcp bench', () => {
  it('measures a stdio server: calls/s, p50 ≤ p99, server CPU per call and peak RSS from its process', async () => {
    const r = await runCli(['bench', '--json', '--in-flight', '1,4', '--duration-ms', '300', '--warmup-ms', '100', '--timeout', '60000', '--', process.execPath, DEMO_STDIO]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /4 in flight: \d+ calls\/s/); // progress
    const [res] = (JSON.parse(r.stdout) as { results: BenchResult[] }).results;
    assert.equal(res!.request, 'ping');
    assert.equal(res!.server, 'erlmcp-everything 0.1.0');
    assert.deepEqual(res!.levels.map((l) => l.inFlight), [1, 4]);
    for (const l of res!.levels) {
      assert.ok(l.calls > 0 && l.errors === 0 && l.callsPerSecond > 0);
      assert.ok(l.p50Ms <= l.p99Ms);
      assert.equal(typeof l.cpuUsPerCall, 'number');
    }
    assert.ok((res!.peakRssBytes ?? 0) > 10 * 1024 * 1024);
  });

  it('measures an HTTP server on this machine, finding its process by the port', async () => {
    const child = spawn(process.execPath, [DEMO_HTTP, '--port', '0'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      let out = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.setEncoding('utf8').on('data', (d: string) => {
          out += d;
          const m = /endpoint: (\S+)/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.once('exit', (code) => reject(new Error(`demo exited ${code}`)));
      });
      const r = await runCli(['bench', url, '--json', '--quiet', '--in-flight', '2', '--duration-ms', '300', '--tool', 'echo', '--arguments', '{"text":"hi"}']);
      assert.equal(r.code, 0, r.stderr);
      const [res] = (JSON.parse(r.stdout) as { results: BenchResult[] }).results;
      assert.equal(res!.pid, child.pid);
      assert.equal(res!.request, 'tools/call echo');
      assert.equal(typeof res!.levels[0]!.cpuUsPerCall, 'number');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('--compare alternates two servers (ours and tmcp) and prints the ratios', async () => {
    const run = (extra: string[]) => runCli([...args.slice(0, -3), ...extra, ...args.slice(-3)]);
    const args = ['bench', '--in-flight', '1,8', '--duration-ms', '200', '--warmup-ms', '100', '--rounds', '2', '--tool', 'echo', '--arguments', '{"text":"hello"}', '--compare', `${process.execPath} ${TMCP_FIXTURE}`, '--', process.execPath, OURS_FIXTURE];
    const json = await run(['--json']);
    assert.equal(json.code, 0, json.stderr);
    assert.equal((json.stderr.match(/^round \d\/2 [AB] /gm) ?? []).length, 8); // 2 rounds × 2 levels × 2 servers
    const c = (JSON.parse(json.stdout) as { comparison: Comparison }).comparison;
    assert.equal(c.a.server, 'bench-ours 1.0.0');
    assert.equal(c.b.server, 'bench-tmcp 1.0.0');
    for (const l of c.levels) {
      assert.equal(l.ratios.callsPerSecond, Math.round((l.a.callsPerSecond / l.b.callsPerSecond) * 100) / 100);
      assert.equal(typeof l.ratios.cpuPerCall, 'number');
      assert.ok(l.a.errors === 0 && l.b.errors === 0);
    }
    const text = await run(['--quiet', '--rounds', '1']);
    assert.equal(text.code, 0);
    assert.match(text.stdout, /^A bench-ours 1\.0\.0 +1 +\d+/m);
    assert.match(text.stdout, /^B bench-tmcp 1\.0\.0 +8 +\d+/m);
    assert.match(text.stdout, /^ratios \(above 1: A is better\)$/m);
  });

  it('usage errors exit 2; a tool the server lacks fails with exit 1', async () => {
    assert.equal((await runCli(['bench', '--in-flight', '0', '--', process.execPath, DEMO_STDIO])).code, 2);
    assert.equal((await runCli(['bench', '--compare', 'node "x', '--', process.execPath, DEMO_STDIO])).code, 2);
    const missing = await runCli(['bench', '--quiet', '--tool', 'no_such_tool', '--', process.execPath, DEMO_STDIO]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no_such_tool/);
  });
});
