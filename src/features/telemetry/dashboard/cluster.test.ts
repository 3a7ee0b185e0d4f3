/**
 * `erlmcp start --cluster 2 --redis … --dashboard` in a child process, looked at in a real
 * headless Chromium: calls spread over both workers (one connection each, so node:cluster hands
 * them out in turn), and the page — served by whichever worker the browser reaches — shows the
 * sum over both. Each worker's own share is read from its debug log lines (pino, one per
 * request, carrying the worker's pid), so the test knows neither worker alone saw every call.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { chromium, type Browser } from 'playwright-core';
import { startCli } from '../../../../test/helpers/cli.js';
import { deleteKeys, requireRedis, testPrefix } from '../../../../test/scale-out/helpers.js';

const REDIS = 'redis://127.0.0.1:6379';
const CALLS = 40;
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

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

describe('erlmcp start --cluster 2 --dashboard: the page shows the sum over the workers', { timeout: 120_000 }, () => {
  const prefix = testPrefix();
  let admin: Redis;
  let browser: Browser | undefined;
  before(async () => {
    admin = await requireRedis();
  });
  after(async () => {
    await browser?.close();
    await deleteKeys(admin, prefix);
    admin.disconnect();
  });

  it(`${CALLS} tools/call served by 2 workers show as ${CALLS} on the dashboard, in Chromium`, async () => {
    const s = await startCli(['--port', '0', '--cluster', '2', '--redis', REDIS, '--redis-prefix', prefix, '--json', '--log-level', 'debug', '--dashboard']);
    try {
      const url = s.urls.endpoint!;
      const dashboard = s.urls.dashboard!;
      assert.equal(dashboard, url.replace(/\/mcp$/, '/dashboard'));
      const init = await post(url, { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } });
      assert.equal(init.status, 200, init.body);
      assert.ok(init.session);
      assert.equal((await post(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, init.session)).status, 202);
      for (let i = 0; i < CALLS; i += 8) {
        const batch = await Promise.all(
          Array.from({ length: 8 }, (_, j) => post(url, { jsonrpc: '2.0', id: i + j + 1, method: 'tools/call', params: { name: 'echo', arguments: { text: `m${i + j}` } } }, init.session)),
        );
        for (const r of batch) assert.equal(r.status, 200, r.body);
      }
      // Each worker's share, from its request log lines (written once the call is answered).
      const perPid = (): Map<number, number> => {
        const m = new Map<number, number>();
        for (const l of s.stderr().split('\n')) {
          if (!l.startsWith('{') || !l.includes('"method":"tools/call"')) continue;
          const line = JSON.parse(l) as { pid: number; msg: string };
          if (line.msg === 'request') m.set(line.pid, (m.get(line.pid) ?? 0) + 1);
        }
        return m;
      };

      browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      await page.goto(dashboard);
      const shows = (want: Record<string, string>) =>
        page.waitForFunction((w) => {
          const doc = (globalThis as unknown as { document: { getElementById(id: string): { textContent: string | null } | null } }).document;
          return Object.entries(w).every(([id, v]) => doc.getElementById(id)?.textContent === v);
        }, want);
      // initialize + the calls (notifications are not requests), whichever worker served them.
      await shows({ status: 'live, 2 workers', total: String(CALLS + 1), errors: '0' });
      const shares = perPid();
      assert.equal(shares.size, 2, `both workers served calls: ${JSON.stringify([...shares])}`);
      for (const [pid, n] of shares) assert.ok(n > 0 && n < CALLS, `worker ${pid} served ${n} of ${CALLS}`);
      const table = (id: string) => page.$$eval(`#${id} tr`, (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent ?? '')));
      const tools = await table('tools');
      assert.deepEqual(
        tools.map((r) => r.slice(0, 3)),
        [['echo', String(CALLS), '0']],
      );
      // p50 and p99 over both workers' windows: durations, so positive numbers.
      for (const v of tools[0]!.slice(3)) assert.ok(Number(v) > 0, `quantile ${v}`);
      const methods = await table('methods');
      assert.deepEqual(
        methods.map((r) => r.slice(0, 3)),
        [
          ['tools/call', String(CALLS), '0'],
          ['initialize', '1', '0'],
        ],
      );
      assert.match((await page.textContent('#transports')) ?? '', /http: 1/);
      // Sessions are counted where they are held: with Redis stores a session can be held by both workers.
      assert.equal(await page.textContent('#sessions-label'), 'sessions held, summed over workers');
      assert.equal(await page.textContent('#nodes'), '2');
      if (process.env.ERLMCP_SCREENSHOT) await page.screenshot({ path: process.env.ERLMCP_SCREENSHOT, fullPage: true });
      assert.deepEqual(problems, []);
    } finally {
      assert.equal((await s.stop()).code, 0, s.stderr());
    }
  });
});
