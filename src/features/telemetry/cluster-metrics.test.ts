/**
 * `erlmcp start --cluster 2 --redis … --metrics` in a child process: requests spread over both
 * workers (one connection each, so node:cluster hands them out in turn), and a scrape — on the
 * MCP port (the worker asks the supervisor) or on `--metrics-port` (the supervisor serves it) —
 * shows the sum across the workers. Each worker's own share is read from its debug log lines
 * (pino, one per request, carrying the worker's pid).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { startCli, type Serving } from '../../../test/helpers/cli.js';
import { deleteKeys, requireRedis, testPrefix } from '../../../test/scale-out/helpers.js';

const REDIS = 'redis://127.0.0.1:6379';
const CALLS = 40;

/** One POST on a connection of its own (`agent: false`): node:cluster spreads connections across workers. */
function post(url: string, body: unknown, session?: string): Promise<{ status: number; session?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    if (session) Object.assign(headers, { 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' });
    const req = request(url, { method: 'POST', agent: false, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, session: res.headers['mcp-session-id'] as string | undefined, body: text }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

function promtool(text: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
    child.stdin.end(text);
  });
}

/** Resolves once `count()` reaches `n`, checking whenever the child writes to stderr. */
function whenStderr(s: Serving, count: () => number, n: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (count() >= n) {
        s.child.stderr!.off('data', check);
        resolve();
      }
    };
    s.child.stderr!.on('data', check);
    void s.exited.then(() => reject(new Error(`erlmcp start exited:\n${s.stderr()}`)));
    check();
  });
}

const value = (text: string, series: string): number => {
  const escaped = series.replace(/[{}"/.\\]/g, (c) => `\\${c}`);
  const m = new RegExp(`^${escaped} (\\S+)$`, 'm').exec(text);
  assert.ok(m, `no ${series} in:\n${text.split('\n').filter((l) => l.startsWith('mcp_')).join('\n')}`);
  return Number(m[1]);
};

describe('erlmcp start --cluster 2 --metrics: figures summed across workers', { concurrency: false, timeout: 120_000 }, () => {
  const prefix = testPrefix();
  let admin: Redis;
  before(async () => {
    admin = await requireRedis();
  });
  after(async () => {
    await deleteKeys(admin, prefix);
    admin.disconnect();
  });

  for (const via of ['the MCP port', '--metrics-port'] as const) {
    it(`a scrape on ${via} shows the sum of ${CALLS} tools/call served by 2 workers, and passes promtool`, async () => {
      const flags = via === '--metrics-port' ? ['--metrics-port', String(await freeTcpPort())] : ['--metrics'];
      const s = await startCli(['--port', '0', '--cluster', '2', '--redis', REDIS, '--redis-prefix', `${prefix}${via === '--metrics-port' ? 'b' : 'a'}:`, '--json', '--log-level', 'debug', ...flags]);
      try {
        const url = s.urls.endpoint!;
        const metricsUrl = s.urls.metrics!;
        assert.equal(metricsUrl, via === '--metrics-port' ? metricsUrl : url.replace(/\/mcp$/, '/metrics'));
        const init = await post(url, { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } });
        assert.equal(init.status, 200, init.body);
        assert.ok(init.session);
        assert.equal((await post(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, init.session)).status, 202);
        // Eight in flight at a time, each on its own connection.
        for (let i = 0; i < CALLS; i += 8) {
          const batch = await Promise.all(
            Array.from({ length: 8 }, (_, j) => post(url, { jsonrpc: '2.0', id: i + j + 1, method: 'tools/call', params: { name: 'echo', arguments: { text: `m${i + j}` } } }, init.session)),
          );
          for (const r of batch) assert.equal(r.status, 200, r.body);
        }

        // Each worker's own share, from its request log lines.
        const perPid = (): Map<number, number> => {
          const m = new Map<number, number>();
          for (const l of s.stderr().split('\n')) {
            if (!l.startsWith('{') || !l.includes('"method":"tools/call"')) continue;
            const line = JSON.parse(l) as { pid: number; msg: string };
            if (line.msg === 'request') m.set(line.pid, (m.get(line.pid) ?? 0) + 1);
          }
          return m;
        };
        await whenStderr(s, () => [...perPid().values()].reduce((a, b) => a + b, 0), CALLS);
        const shares = perPid();
        assert.equal(shares.size, 2, `both workers served calls: ${JSON.stringify([...shares])}`);
        for (const [pid, n] of shares) assert.ok(n > 0, `worker ${pid} served ${n}`);

        const res = await fetch(metricsUrl);
        assert.equal(res.status, 200);
        const text = await res.text();
        assert.equal(value(text, 'mcp_server_requests_total{mcp_method_name="tools/call",gen_ai_tool_name="echo",outcome="ok"}'), CALLS);
        assert.equal(value(text, 'mcp_server_requests_total{mcp_method_name="initialize",gen_ai_tool_name="",outcome="ok"}'), 1);
        assert.equal(value(text, 'mcp_server_operation_duration_seconds_count{mcp_method_name="tools/call",gen_ai_tool_name="echo",mcp_protocol_version="2025-11-25",network_transport="tcp"}'), CALLS);
        const { code, out } = await promtool(text);
        assert.equal(out.trim(), '', out);
        assert.equal(code, 0);
      } finally {
        assert.equal((await s.stop()).code, 0, s.stderr());
      }
    });
  }
});

function freeTcpPort(): Promise<number> {
  return import('../../cluster/index.js').then(({ pickPort }) => pickPort('127.0.0.1'));
}
