/** `erlmcp status`, `erlmcp stop` and `--pid-file` against real `erlmcp start` processes. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli, startCli } from '../../test/helpers/cli.js';
import { deleteKeys, requireRedis, testPrefix, REDIS_URL } from '../../test/scale-out/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'erlmcp-status-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const TOKEN = 'a-long-enough-admin-token';
const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } };

describe('erlmcp status / stop / --pid-file', { timeout: 180_000 }, () => {
  it('status shows uptime, sessions, requests and errors; stop <pidfile> drains the server and removes the file', async () => {
    const pidFile = join(dir, 'erlmcp.pid');
    const s = await startCli(['--port', '0', '--pid-file', pidFile, '--admin-token', TOKEN]);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    assert.equal(pid, s.child.pid);
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    await (await fetch(s.urls.endpoint!, { method: 'POST', headers, body: JSON.stringify(INIT) })).text();
    assert.equal((await fetch(s.urls.endpoint!, { method: 'PUT' })).status, 405);

    const denied = await runCli(['status', s.urls.endpoint!]);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /needs the admin token: pass --token <token> or set ERLMCP_ADMIN_TOKEN/);

    const shown = await runCli(['status', s.urls.endpoint!, '--token', TOKEN]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, new RegExp(`^erlmcp [\\d.]+, pid ${pid}, node [0-9a-f]+ \\(worker \\d+\\)\\n`));
    assert.match(shown.stdout, /\n {2}sessions: {3}1\n/);
    assert.match(shown.stdout, /\n {2}requests: {3}\d+ total, \d+ in the last minute/);
    // The PUT (405) and the status request without the token (401).
    assert.match(shown.stdout, /\n {2}errors: {5}0 server \(5xx\), 2 client \(4xx\)\n/);
    const json = await runCli(['status', s.urls.endpoint!, '--json'], { env: { ERLMCP_ADMIN_TOKEN: TOKEN } });
    assert.equal((JSON.parse(json.stdout) as { pid: number }).pid, pid);

    const stop = await runCli(['stop', pidFile]);
    assert.equal(stop.code, 0, stop.stderr);
    assert.match(stop.stderr, new RegExp(`sent SIGTERM to ${pid}; waiting for it to drain`));
    assert.match(stop.stdout, new RegExp(`erlmcp: stopped ${pid}`));
    assert.equal((await s.exited).code, 0);
    assert.ok(!existsSync(pidFile), 'the pid file is removed on shutdown');

    const again = await runCli(['stop', pidFile]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /no pid file .*erlmcp\.pid/);
  });

  it('stop <url> signals a local server found through its status; status lists the Redis nodes', async () => {
    const admin = await requireRedis();
    const prefix = testPrefix();
    try {
      const s = await startCli(['--port', '0', '--redis', REDIS_URL, '--redis-prefix', prefix]);
      const r = await runCli(['status', s.urls.endpoint!, '--json']);
      assert.equal(r.code, 0, r.stderr);
      const report = JSON.parse(r.stdout) as { node: string; nodes: string[] };
      assert.deepEqual(report.nodes, [report.node]);
      const stop = await runCli(['stop', s.urls.endpoint!]);
      assert.equal(stop.code, 0, stop.stderr);
      assert.equal((await s.exited).code, 0);
      const gone = await runCli(['status', s.urls.endpoint!]);
      assert.equal(gone.code, 1);
      assert.match(gone.stderr, /cannot reach .*\/status: .*\(is erlmcp start running there\?\)/);
    } finally {
      await deleteKeys(admin, prefix);
      admin.disconnect();
    }
  });
});
