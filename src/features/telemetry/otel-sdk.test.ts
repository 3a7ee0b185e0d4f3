/**
 * `startOtelSdk` builds the metric readers from OTEL_METRICS_EXPORTER itself (so each carries the
 * request-duration producer): `prometheus` serves the servers' aggregate through the SDK's own
 * Prometheus exporter, `none` starts no reader. One process per test file: the SDK registers
 * global providers.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Client } from '../../client/client.js';
import { McpServer } from '../../server/server.js';
import { InMemoryTransport } from '../../transports/memory.js';
import { operationStats } from './operation-stats.js';
import { startOtelSdk, type RunningSdk } from './otel-sdk.js';
import { freePort } from '../../../test/scale-out/helpers.js';
import { instrumentServer } from './otel.js';

/** Runs `fn` with the given environment variables set, restoring them after. */
async function withEnv<T>(env: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe('startOtelSdk metric readers', () => {
  const running: RunningSdk[] = [];
  after(async () => {
    for (const sdk of running) await sdk.shutdown();
  });

  it('OTEL_METRICS_EXPORTER=none: no reader, so metrics are off', async () => {
    const sdk = await withEnv({ OTEL_METRICS_EXPORTER: 'none', OTEL_TRACES_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' }, () => startOtelSdk());
    running.push(sdk);
    assert.equal(sdk.metrics, false);
  });

  it('OTEL_METRICS_EXPORTER=prometheus: the SDK exporter serves mcp.server.operation.duration from the aggregate', async () => {
    const port = await freePort();
    const sdk = await withEnv(
      { OTEL_METRICS_EXPORTER: 'prometheus', OTEL_EXPORTER_PROMETHEUS_PORT: String(port), OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1', OTEL_TRACES_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' },
      () => startOtelSdk(),
    );
    running.push(sdk);
    assert.equal(sdk.metrics, true);
    const server = new McpServer({ name: 's', version: '1' });
    server.tool('echo', {}, () => ({ content: [] }));
    instrumentServer(server, { durations: 'aggregate' });
    sdk.addOperationStats(operationStats(server));
    const client = new Client({ name: 'c', version: '1' });
    const [ct, st] = InMemoryTransport.createLinkedPair();
    await server.connect(st);
    await client.connect(ct);
    for (let i = 0; i < 3; i++) await client.callTool({ name: 'echo' });
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const count = text.split('\n').find((l) => l.startsWith('mcp_server_operation_duration_count') && l.includes('gen_ai_tool_name="echo"'));
    assert.ok(count, text);
    assert.match(count, / 3$/);
    await client.close();
    await server.close();
  });
});
