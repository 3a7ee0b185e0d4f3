import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '../../client/client.js';
import { limitError } from '../../protocol/errors.js';
import type { Transport } from '../../protocol/transport.js';
import { McpServer } from '../../server/server.js';
import { StreamableHttpClientTransport } from '../../transports/http/client.js';
import { StreamableHttpServer } from '../../transports/http/server.js';
import { freePort } from '../../../test/scale-out/helpers.js';
import { PrometheusMetrics } from './prometheus.js';

/** Runs a command with `input` on stdin; resolves with its exit code and output. */
function run(cmd: string, args: string[], input: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
    child.stdin.end(input);
  });
}

describe('Prometheus /metrics', () => {
  let http: StreamableHttpServer;
  let server: McpServer;
  let client: Client;
  let base: string;
  const metrics = new PrometheusMetrics();

  before(async () => {
    server = new McpServer({ name: 'prom', version: '1.0.0' });
    server.tool('echo', {}, () => ({ content: [{ type: 'text', text: 'ok' }] }));
    server.tool('sad', {}, () => ({ content: [], isError: true }));
    server.tool('limited', {}, () => ({ content: [] }));
    metrics.instrument(server);
    server.use((call, next) => {
      if (call.target === 'limited') throw limitError('rate_limited', 'Too many requests', { retryAfterMs: 1000 });
      return next();
    });
    http = new StreamableHttpServer({ server, routes: { '/metrics': metrics.handler() } });
    const { url } = await http.listen(0, '127.0.0.1');
    base = url.replace(/\/mcp$/, '');
    client = new Client({ name: 'c', version: '1' });
    await client.connect(new StreamableHttpClientTransport(url) as Transport);
    await client.callTool({ name: 'echo' });
    await client.callTool({ name: 'echo' });
    await client.callTool({ name: 'sad' });
    await client.callTool({ name: 'made-up-tool' }).catch(() => {});
    await client.callTool({ name: 'limited' }).catch(() => {});
  });
  after(async () => {
    await client?.close().catch(() => {});
    await http?.close();
    await server?.close();
  });

  it('serves the series with bounded labels', async () => {
    const res = await fetch(`${base}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    assert.match(text, /^mcp_server_requests_total\{mcp_method_name="tools\/call",gen_ai_tool_name="echo",outcome="ok"\} 2$/m);
    assert.match(text, /^mcp_server_requests_total\{mcp_method_name="tools\/call",gen_ai_tool_name="sad",outcome="tool_error"\} 1$/m);
    assert.match(text, /^mcp_server_requests_total\{mcp_method_name="tools\/call",gen_ai_tool_name="_OTHER",outcome="caller_error"\} 1$/m);
    assert.match(text, /^mcp_server_rejections_total\{reason="rate_limited"\} 1$/m);
    assert.match(text, /^mcp_server_sessions_active 1$/m);
    assert.match(text, /^mcp_server_sessions_opened_total\{network_transport="tcp"\} 1$/m);
    assert.match(text, /^mcp_server_operation_duration_seconds_bucket\{le="300",mcp_method_name="tools\/call",gen_ai_tool_name="echo",mcp_protocol_version="2025-11-25",network_transport="tcp"\} 2$/m);
    assert.match(text, /^process_cpu_user_seconds_total /m);
    assert.doesNotMatch(text, /made-up-tool/);
    assert.doesNotMatch(text, /mcp_session_id|session_id=/);
    assert.equal((await fetch(`${base}/metrics`, { method: 'POST' })).status, 405);
    assert.equal((await fetch(`${base}/nothing-here`)).status, 404);
  });

  it('passes promtool check metrics', async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    const { code, out } = await run('promtool', ['check', 'metrics'], text);
    assert.equal(out.trim(), '', out);
    assert.equal(code, 0);
  });

  it('is scraped by a real Prometheus server, and the series reads back through its HTTP API', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'erlmcp-prom-'));
    const port = await freePort();
    const target = new URL(base).host;
    await writeFile(
      join(dir, 'prometheus.yml'),
      ['global:', '  scrape_interval: 1s', 'scrape_configs:', '  - job_name: erlmcp', '    metrics_path: /metrics', '    static_configs:', `      - targets: ['${target}']`, ''].join('\n'),
    );
    let prom: ChildProcess | undefined;
    let log = '';
    try {
      prom = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
      prom.stdout!.on('data', (d: Buffer) => (log += d.toString()));
      prom.stderr!.on('data', (d: Buffer) => (log += d.toString()));
      const exited = new Promise<never>((_, reject) => prom!.once('exit', (c) => reject(new Error(`prometheus exited (${c}): ${log.slice(-2000)}`))));
      exited.catch(() => {});
      const query = encodeURIComponent('mcp_server_requests_total{gen_ai_tool_name="echo",outcome="ok"}');
      // Bounded wait for the first scrape to land (scrape_interval is 1 s; the machine may be busy).
      const deadline = Date.now() + 90_000;
      let value: string | undefined;
      while (value === undefined) {
        if (Date.now() > deadline) throw new Error(`no sample within 90 s; prometheus log: ${log.slice(-2000)}`);
        const body = await Promise.race([
          exited,
          fetch(`http://127.0.0.1:${port}/api/v1/query?query=${query}`)
            .then((r) => (r.ok ? (r.json() as Promise<{ data: { result: { value: [number, string]; metric: Record<string, string> }[] } }>) : undefined))
            .catch(() => undefined),
        ]);
        const hit = body?.data.result[0];
        if (hit) {
          assert.equal(hit.metric.job, 'erlmcp');
          value = hit.value[1];
        } else {
          await new Promise((r) => setTimeout(r, 250));
        }
      }
      assert.equal(value, '2');
    } finally {
      if (prom && prom.exitCode === null) {
        const gone = new Promise((r) => prom!.once('exit', r));
        prom.kill('SIGTERM');
        await gone;
      }
      await rm(dir, { recursive: true, force: true });
    }
  });
});
