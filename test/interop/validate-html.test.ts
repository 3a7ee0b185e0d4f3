/**
 * The `--html` report opened in headless Chromium (Debian's /usr/bin/chromium, driven by
 * playwright-core): it renders the verdict and one row per check, and logs no console error.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { createEverythingServer } from '../../examples/everything/server.js';
import { StreamableHttpServer } from '../../src/transports/http/index.js';
import type { ValidateReport } from '../../src/cli/validate/types.js';
import { runCli } from '../helpers/validate.js';

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe('validate --html in headless Chromium', () => {
  let dir: string;
  let http: StreamableHttpServer;
  let browser: Browser | undefined;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'erlmcp-html-'));
    http = new StreamableHttpServer({ server: createEverythingServer() });
  });
  after(async () => {
    await browser?.close();
    await http.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('renders the verdict and every check, with no console error', async () => {
    const { url } = await http.listen(0, '127.0.0.1');
    const file = join(dir, 'report.html');
    const r = await runCli(['validate', url, '--json', '--quiet', '--probe-ms', '100', '--html', file]);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as ValidateReport;
    // Self-contained: no script, stylesheet, image or font fetched from anywhere.
    const html = readFileSync(file, 'utf8');
    assert.doesNotMatch(html, /<script|<link rel="stylesheet"|src="http|url\(http/i);

    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()}`));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    assert.match(await page.title(), /erlmcp validate/);
    assert.match((await page.locator('.verdict').textContent()) ?? '', /^PASS: every MUST holds/);
    assert.equal(await page.locator('tbody tr[id]').count(), report.checks.length);
    assert.equal(await page.locator('h2').filter({ hasText: 'MUST' }).count(), 1);
    assert.equal(await page.locator('tr.fail').count(), report.summary.failed);
    const box = await page.locator('table').first().boundingBox();
    assert.ok(box && box.width > 300 && box.height > 100, `table laid out: ${JSON.stringify(box)}`);
    assert.deepEqual(problems, []);
  });
});
