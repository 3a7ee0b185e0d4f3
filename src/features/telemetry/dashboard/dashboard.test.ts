/**
 * The dashboard in a real headless Chromium: it loads with no console errors, and its numbers
 * change after this test sends traffic. `ERLMCP_SCREENSHOT=docs/dashboard.png` saves a picture.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { Client } from '../../../client/client.js';
import type { Transport } from '../../../protocol/transport.js';
import { McpServer } from '../../../server/server.js';
import { StreamableHttpClientTransport } from '../../../transports/http/client.js';
import { StreamableHttpServer } from '../../../transports/http/server.js';
import { createDashboard, type Dashboard } from './index.js';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function get(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
      res.destroy();
    });
    req.on('error', reject);
    req.end();
  });
}

describe('dashboard', { timeout: 120_000 }, () => {
  let server: McpServer;
  let http: StreamableHttpServer;
  let dash: Dashboard;
  let origin: string;
  let url: string;
  let browser: Browser | undefined;

  before(async () => {
    server = new McpServer({ name: 'dash', version: '1.0.0' });
    server.tool('fast', {}, () => ({ content: [{ type: 'text', text: 'ok' }] }));
    server.tool('flaky', {}, () => ({ content: [{ type: 'text', text: 'failed on purpose' }], isError: true }));
    dash = createDashboard(server, { intervalMs: 200 });
    http = new StreamableHttpServer({ server, routes: dash.routes });
    ({ url } = await http.listen(0, '127.0.0.1'));
    origin = new URL(url).origin;
  });
  after(async () => {
    await browser?.close();
    dash?.close();
    await http?.close();
    await server?.close();
  });

  it('loads in Chromium with no console errors, and its numbers change after traffic', async () => {
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    await page.goto(`${origin}/dashboard`);
    // Functions, not strings (the page's CSP forbids eval); typed here without the DOM library.
    const shows = (want: Record<string, string>) =>
      page.waitForFunction((w) => {
        const doc = (globalThis as unknown as { document: { getElementById(id: string): { textContent: string | null } | null } }).document;
        return Object.entries(w).every(([id, v]) => doc.getElementById(id)?.textContent === v);
      }, want);
    await shows({ status: 'live', total: '0' });
    assert.equal(await page.textContent('#sessions'), '0');

    const client = new Client({ name: 'traffic', version: '1' });
    await client.connect(new StreamableHttpClientTransport(url) as Transport);
    for (let i = 0; i < 20; i++) await client.callTool({ name: 'fast' });
    await client.callTool({ name: 'flaky' });
    // initialize + 21 calls (notifications are not requests).
    await shows({ total: '22' });
    assert.equal(await page.textContent('#sessions'), '1');
    assert.equal(await page.textContent('#errors'), '1');
    await page.locator('#tools tr').nth(1).waitFor();
    const tools = await page.$$eval('#tools tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
    assert.deepEqual(
      tools.map((r) => r.slice(0, 3)),
      [
        ['fast', '20', '0'],
        ['flaky', '1', '1'],
      ],
    );
    assert.match((await page.textContent('#recent')) ?? '', /tool_error/);
    assert.match((await page.textContent('#transports')) ?? '', /http: 1/);
    if (process.env.ERLMCP_SCREENSHOT) await page.screenshot({ path: process.env.ERLMCP_SCREENSHOT, fullPage: true });
    await client.close();
    assert.deepEqual(problems, []);
  });

  it('answers loopback clients naming a loopback Host only, unless admission hooks are installed', async () => {
    assert.equal(await get(`${origin}/dashboard`), 200);
    // DNS rebinding: a loopback connection naming a foreign Host is refused.
    assert.equal(await get(`${origin}/dashboard`, { host: 'evil.example' }), 403);
    assert.equal(await get(`${origin}/dashboard/app.js`, { host: 'evil.example:80' }), 403);
    server.admit((req) => (req.headers.authorization === 'Bearer ok' ? { identity: { subject: 'ops' } as never } : { refuse: { status: 401, message: 'token required', headers: { 'www-authenticate': 'Bearer' } } }));
    assert.equal(await get(`${origin}/dashboard`), 401);
    assert.equal(await get(`${origin}/dashboard`, { authorization: 'Bearer ok', host: 'dash.example' }), 200);
  });
});
