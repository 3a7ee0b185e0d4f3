import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { deleteKeys, requireRedis, testPrefix, REDIS_URL } from '../../test/scale-out/helpers.js';

const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));
const INIT = { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } };

interface Started {
  child: ChildProcess;
  url: string;
  stdout: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

const children = new Set<ChildProcess>();
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function spawnCli(args: string[], env: Record<string, string> = {}): ChildProcess {
  const { PORT: _ignored, ...rest } = process.env;
  const child = spawn(process.execPath, [MAIN, ...args], { env: { ...rest, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  return child;
}

/** Runs the CLI to completion. */
function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnCli(args);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d));
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** Starts `erlmcp start …` and resolves once it printed its banner. */
function start(args: string[], env?: Record<string, string>): Promise<Started> {
  const child = spawnCli(['start', ...args], env);
  let stdout = '';
  let stderr = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d;
      const m = /endpoint: (\S+)\n[\s\S]*ready: +\S+\n/.exec(stdout);
      if (m) resolve({ child, url: m[1]!, stdout, exited });
    });
    void exited.then(({ code }) => reject(new Error(`erlmcp start exited (${code}) before serving: ${stderr}`)));
  });
}

/** One request on its own TCP connection (so node:cluster may hand it to any worker). */
function post(url: string, body: unknown, sessionId?: string): Promise<{ status: number; sessionId: string | undefined; messages: { id?: unknown; result?: Record<string, unknown> }[] }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25' };
    if (sessionId) headers['mcp-session-id'] = sessionId;
    const req = request(url, { method: 'POST', headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        const messages = text
          .split('\n')
          .filter((l) => l.startsWith('data: ') && l.length > 6)
          .map((l) => JSON.parse(l.slice(6)));
        const sid = res.headers['mcp-session-id'];
        resolve({ status: res.statusCode ?? 0, sessionId: Array.isArray(sid) ? sid[0] : sid, messages });
      });
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('erlmcp start', { timeout: 180_000 }, () => {
  it('prints the real URL for --port 0, answers initialize and /health, and exits 0 on SIGTERM', async () => {
    const s = await start(['--port', '0']);
    const url = new URL(s.url);
    assert.notEqual(url.port, '0');
    assert.equal(url.pathname, '/mcp');
    assert.match(s.stdout, new RegExp(`health: +${url.origin}/health`));
    assert.match(s.stdout, new RegExp(`ready: +${url.origin}/ready`));
    const init = await post(s.url, INIT);
    assert.equal(init.status, 200);
    assert.ok(init.sessionId);
    assert.equal((init.messages[0]?.result?.serverInfo as { name: string }).name, 'erlmcp-everything');
    const health = await fetch(`${url.origin}/health`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { status: string }).status, 'ok');
    const t0 = Date.now();
    s.child.kill('SIGTERM');
    const { code, at } = await s.exited;
    assert.equal(code, 0);
    assert.ok(at - t0 < 3000, `exited ${at - t0} ms after SIGTERM`);
  });

  it('takes the port from PORT when --port is not given', async () => {
    const s = await start([], { PORT: '0' });
    assert.notEqual(new URL(s.url).port, '3000');
    assert.equal((await fetch(new URL('/health', s.url))).status, 200);
    s.child.kill('SIGINT');
    assert.equal((await s.exited).code, 0);
  });

  it('serves one session from both workers with --cluster 2 --redis, and stops them all on SIGTERM', async () => {
    const admin: Redis = await requireRedis();
    const prefix = testPrefix();
    const dir = mkdtempSync(join(tmpdir(), 'erlmcp-cli-'));
    try {
      const module = join(dir, 'whoami.mjs');
      writeFileSync(
        module,
        `import { McpServer } from ${JSON.stringify(new URL('../server/index.js', import.meta.url).href)};
export function createServer() {
  const s = new McpServer({ name: 'whoami', version: '1' });
  s.tool('whoami', { description: 'Names the worker.' }, () => ({ content: [{ type: 'text', text: String(process.pid) }] }));
  return s;
}`,
      );
      const s = await start(['--port', '0', '--cluster', '2', '--redis', REDIS_URL, '--redis-prefix', prefix, '--module', module]);
      assert.match(s.stdout, /2 workers/);
      const init = await post(s.url, INIT);
      assert.equal(init.status, 200);
      const sid = init.sessionId;
      assert.ok(sid);
      assert.equal((await post(s.url, { jsonrpc: '2.0', method: 'notifications/initialized' }, sid)).status, 202);
      const pids = new Set<number>();
      for (let i = 1; i <= 8; i++) {
        const r = await post(s.url, { jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'whoami', arguments: {} } }, sid);
        assert.equal(r.status, 200, JSON.stringify(r));
        const text = (r.messages.find((m) => m.id === i)?.result?.content as { text: string }[] | undefined)?.[0]?.text;
        assert.ok(text, JSON.stringify(r.messages));
        pids.add(Number(text));
      }
      assert.equal(pids.size, 2, `one session's calls were served by both workers: ${[...pids].join(', ')}`);
      assert.ok(!pids.has(s.child.pid!), 'the primary serves no requests itself');

      const t0 = Date.now();
      s.child.kill('SIGTERM');
      const { code, at } = await s.exited;
      assert.equal(code, 0);
      assert.ok(at - t0 < 5000, `exited ${at - t0} ms after SIGTERM`);
      for (const pid of pids) assert.throws(() => process.kill(pid, 0), /ESRCH/, `worker ${pid} is gone`);
    } finally {
      await deleteKeys(admin, prefix);
      admin.disconnect();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('erlmcp usage', { timeout: 120_000 }, () => {
  it('fails with exit code 2 and says why when --cluster 2 has no --redis', async () => {
    const r = await run(['start', '--port', '0', '--cluster', '2']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--cluster 2 needs --redis <url>/);
    assert.equal(r.stdout, '', 'nothing was served');
  });

  it('rejects a bad port, a bad worker count, a bad Redis URL and an unknown option with exit code 2', async () => {
    const cases: [string[], RegExp][] = [
      [['start', '--port', '70000'], /--port <number>' argument '70000' is invalid\. Expected an integer from 0 to 65535/],
      [['start', '--cluster', '0'], /--cluster <workers>' argument '0' is invalid\. Expected a number of workers from 1 to 1024/],
      [['start', '--redis', 'http://127.0.0.1:6379'], /Expected a redis:\/\/ or rediss:\/\/ URL/],
      [['start', '--frobnicate'], /unknown option '--frobnicate'/],
      [['frobnicate'], /unknown command 'frobnicate'/],
    ];
    const results = await Promise.all(cases.map(([args]) => run(args)));
    results.forEach((r, i) => {
      assert.equal(r.code, 2, `${cases[i]![0].join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, cases[i]![1]);
    });
  });

  it('prints usage for --help and start --help with exit code 0', async () => {
    const [top, sub] = await Promise.all([run(['--help']), run(['start', '--help'])]);
    assert.equal(top.code, 0);
    assert.match(top.stdout, /Usage: erlmcp \[options\] \[command\]/);
    assert.match(top.stdout, /start \[options\]/);
    assert.equal(sub.code, 0);
    for (const flag of ['--port <number>', '--host <address>', '--module <path>', '--json', '--cluster <workers>', '--redis <url>']) assert.ok(sub.stdout.includes(flag), flag);
  });
});
