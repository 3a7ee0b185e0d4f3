/**
 * `erlmcp start` with its default limits, bound to 0.0.0.0, under the hostile loads of issue 9:
 * oversized and mass initialize, foreign Origin, and ~20,000 sockets held open by two attacker
 * processes. Throughout, a well-behaved client keeps being answered and the process lives.
 * (Stray async errors and busy-loop tools are covered by the supervision and isolation tests.)
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const ATTACKER = fileURLToPath(new URL('./fixtures/socket-hog.js', import.meta.url));
const H = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function waitForLine(child: ChildProcess, re: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer): void => {
      buf += d.toString();
      const m = re.exec(buf);
      if (m) {
        child.stdout!.off('data', onData);
        resolve(m);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`exited with ${code} before printing ${re}: ${buf}`)));
  });
}

describe('erlmcp start (default limits, 0.0.0.0) under hostile load', { concurrency: false }, () => {
  let server: ChildProcess;
  let url: string;
  let sid: string;
  let stderr = '';

  const init = (caps: unknown = {}, headers: Record<string, string> = {}) =>
    fetch(url, { method: 'POST', headers: { ...H, ...headers }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: caps, clientInfo: { name: 'h', version: '1' } } }) });

  /** The well-behaved client: one echo call on its own session. */
  const wellBehaved = async (n: number) => {
    const r = await fetch(url, {
      method: 'POST',
      headers: { ...H, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' },
      body: JSON.stringify({ jsonrpc: '2.0', id: n, method: 'tools/call', params: { name: 'echo', arguments: { text: `ok ${n}` } } }),
    });
    assert.equal(r.status, 200);
    assert.match(await r.text(), new RegExp(`ok ${n}`));
  };

  const sessions = async () => ((await (await fetch(url.replace('/mcp', '/health'))).json()) as { sessions: number }).sessions;
  /** The worker serving the endpoint (`erlmcp start` is a supervisor; its one worker holds the sessions). */
  const workerRssMiB = async () => rssMiB(((await (await fetch(url.replace('/mcp', '/health'))).json()) as { pid: number }).pid);

  before(async () => {
    server = spawn(process.execPath, [MAIN, 'start', '--port', '0', '--host', '0.0.0.0', '--max-sessions', '3000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    server.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const m = await waitForLine(server, /endpoint: (http:\/\/\S+)/);
    url = m[1]!.replace('0.0.0.0', '127.0.0.1');
    const r = await init();
    sid = r.headers.get('mcp-session-id')!;
    await r.text();
    await fetch(url, { method: 'POST', headers: { ...H, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' }, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) });
    await wellBehaved(0);
  });

  after(() => {
    server.kill('SIGKILL');
  });

  test('oversized initialize: each refused with -32602, no session kept, RSS bounded', async () => {
    const blob = 'x'.repeat(3_800_000);
    const before = await sessions();
    for (let i = 0; i < 60; i++) {
      const r = await init({ experimental: { blob } });
      const text = await r.text();
      const body = JSON.parse(/^data: (\{.*\})$/m.exec(text)?.[1] ?? text) as { error?: { code: number; message: string } };
      assert.equal(body.error?.code, -32602);
      assert.match(body.error!.message, /at most 65536/);
      if (i % 20 === 0) await wellBehaved(i + 1);
    }
    assert.equal(await sessions(), before, 'no oversized session was kept');
    await wellBehaved(100);
    // 60 × 3.8 MB kept would be ≥ 228 MiB of state; refused, the heap holds none of it.
    const rss = await workerRssMiB();
    assert.ok(rss < 1024, `RSS ${rss.toFixed(0)} MiB`);
  });

  test('mass initialize: sessions up to --max-sessions, then 503 + Retry-After; the existing session keeps working', async () => {
    let ok = 0;
    let refused = 0;
    const batch = 50;
    for (let i = 0; i < 3200 && refused < 100; i += batch) {
      const rs = await Promise.all(Array.from({ length: batch }, () => init()));
      for (const r of rs) {
        if (r.status === 200) ok++;
        else {
          assert.equal(r.status, 503);
          assert.ok(r.headers.get('retry-after'));
          refused++;
        }
        await r.body?.cancel();
      }
    }
    assert.equal(ok, 3000 - 1, 'the cap counts the well-behaved session too');
    assert.ok(refused >= 100);
    await wellBehaved(200);
  });

  test('foreign Origin on a 0.0.0.0 bind: 403, nothing initialized', async () => {
    const r = await init({}, { origin: 'http://rebind.evil.example' });
    assert.equal(r.status, 403);
    await wellBehaved(300);
  });

  test('20,000 sockets from two attacker processes: the well-behaved client is still answered, the server lives', async () => {
    const port = new URL(url).port;
    const hogs = [0, 1].map(() => spawn(process.execPath, [ATTACKER, '127.0.0.1', port, '10000'], { stdio: ['ignore', 'pipe', 'inherit'] }));
    try {
      const opened = await Promise.all(hogs.map((h) => waitForLine(h, /opened (\d+)/)));
      const total = opened.reduce((n, m) => n + Number(m[1]), 0);
      assert.ok(total >= 19_000, `attackers opened ${total} sockets`);
      for (let i = 0; i < 20; i++) await wellBehaved(400 + i);
      assert.equal(server.exitCode, null, `server exited: ${stderr}`);
    } finally {
      for (const h of hogs) h.kill('SIGKILL');
    }
    await wellBehaved(500);
    assert.ok((await workerRssMiB()) < 1024);
  });
});
