import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkStartOptions } from '../../cli/start.js';
import { McpServer } from '../../server/server.js';
import { wantsTelemetry } from './config.js';
import { setupTelemetry } from './setup.js';

describe('setupTelemetry', () => {
  it('installs nothing when nothing is asked for', async () => {
    const server = new McpServer({ name: 's', version: '1' });
    assert.equal(wantsTelemetry({}), false);
    const t = await setupTelemetry(server, {});
    assert.deepEqual(t.routes, {});
    assert.equal(server.middlewareChain, undefined);
    assert.equal(server.outboundHook, undefined);
    await t.close();
    await server.close();
  });

  it('--metrics-port serves /metrics on its own listener (404 elsewhere) and closes it', async () => {
    const server = new McpServer({ name: 's', version: '1' });
    const t = await setupTelemetry(server, { metricsPort: 0 });
    assert.deepEqual(Object.keys(t.routes), []);
    assert.ok(t.metricsUrl);
    const res = await fetch(t.metricsUrl);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /^# TYPE mcp_server_requests_total counter$/m);
    assert.equal((await fetch(new URL('/other', t.metricsUrl))).status, 404);
    await t.close();
    await assert.rejects(fetch(t.metricsUrl));
    await server.close();
  });

  it('--otel, --metrics, --metrics-port, --log-level and --dashboard are accepted with --cluster', () => {
    const base = { port: 0, host: '127.0.0.1', cluster: 2, redis: 'redis://127.0.0.1:6379' };
    assert.equal(checkStartOptions({ ...base, otel: true, metrics: true, metricsPort: 9464, logLevel: 'info' }), undefined);
    assert.equal(checkStartOptions({ ...base, dashboard: true }), undefined);
    assert.equal(checkStartOptions({ ...base, cluster: 1, dashboard: true }), undefined);
  });
});
