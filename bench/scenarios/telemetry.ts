/**
 * Telemetry overhead, ours against ours: the same fixtures with telemetry off, with the
 * OpenTelemetry SDK (OTLP/protobuf, batching span processor, to a local sink in this process)
 * plus the Prometheus middleware on (ERLMCP_BENCH_TELEMETRY=1) and every span sampled, and the
 * same with the parent-based ratio sampler at 0.01 (OTEL_TRACES_SAMPLER=parentbased_traceidratio,
 * the usual production setting), side by side in one run, the order rotating run by run. HTTP: autocannon POST tools/call at 64 connections, JSON mode, one
 * child of each kept up across runs. stdio: 64 calls in flight, the server's CPU per call from /proc.
 */
import { createServer } from 'node:http';
import { autocannonMissing, cannon } from '../lib/cannon.js';
import { errorText } from '../lib/load.js';
import { measureStdioServer } from '../lib/measure-server.js';
import { keepAliveAgent, RawHttpSession } from '../lib/raw-http-client.js';
import type { Row } from '../lib/report.js';
import { startServerChild, type ServerChild } from '../lib/server-child.js';
import { median } from '../lib/stats.js';
import type { Scenario } from './scenario.js';

const CONNECTIONS = 64;
const NAMES = ['off', 'on', 'sampled 0.01'];
/** Warm-up of each child at full load before it is measured (not in smoke mode). */
const WARMUP_MS = 3000;

export const telemetryScenario: Scenario = {
  name: 'telemetry',
  oursOnly: true,
  title: 'Telemetry overhead: off vs OTel SDK (batching OTLP to a local sink; every span, and parentbased_traceidratio 0.01) + Prometheus, HTTP c=64 and stdio 64 in flight',
  async run(cfg) {
    let exports = 0;
    const sink = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        exports++;
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
    const on: Record<string, string> = {
      ERLMCP_BENCH_TELEMETRY: '1',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(sink.address() as { port: number }).port}`,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_LOGS_EXPORTER: 'none',
      // Exports every 200 ms instead of 5 s: the exporter's first run (module loading, protobuf
      // setup) falls in the warm-up, and the measured window carries more export work, not less.
      OTEL_BSP_SCHEDULE_DELAY: '200',
    };
    const off: Record<string, string> = { ERLMCP_BENCH_TELEMETRY: '0' };
    // The production setting: a root request is traced with probability 0.01, a request whose
    // caller sampled it is traced (parent-based); every request still records its metrics.
    const sampled: Record<string, string> = { ...on, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.01' };
    /** Off, every span sampled, 1 % of roots sampled: the rows' order. */
    const variants = [off, on, sampled];
    const ORDERS = [
      [0, 1, 2],
      [2, 1, 0],
      [1, 0, 2],
    ];
    const rows: Row[] = [];
    const notes: string[] = [];
    const pair = (metric: string, unit: string, better: 'higher' | 'lower', a: number[], b: number[], c: number[]): void => {
      const mOff = median(a);
      const mOn = median(b);
      const mSampled = median(c);
      rows.push({ scenario: 'telemetry', metric: `${metric}, telemetry off`, unit, better, ours: mOff });
      rows.push({ scenario: 'telemetry', metric: `${metric}, OTel + Prometheus on`, unit, better, ours: mOn });
      rows.push({ scenario: 'telemetry', metric: `${metric}, on / off`, unit: '×', better, ours: mOn / mOff, headline: true });
      rows.push({ scenario: 'telemetry', metric: `${metric}, OTel sampled parentbased_traceidratio 0.01 + Prometheus on`, unit, better, ours: mSampled });
      rows.push({ scenario: 'telemetry', metric: `${metric}, sampled 0.01 / off`, unit: '×', better, ours: mSampled / mOff, headline: true });
    };
    try {
      // HTTP, JSON mode, 64 connections.
      const missing = autocannonMissing();
      if (missing !== undefined) notes.push(`telemetry http: ${missing}`);
      else {
        const children: ServerChild[] = [];
        try {
          const open = async (env: Record<string, string>): Promise<{ url: string; headers: Record<string, string> }> => {
            const child = await startServerChild('ours-http', ['--json'], env);
            children.push(child);
            const agent = keepAliveAgent(1);
            try {
              const url = `${child.address}/mcp`;
              const s = await RawHttpSession.open(url, agent);
              return { url, headers: s.headers };
            } finally {
              agent.destroy();
            }
          };
          const targets = [await open(off), await open(on), await open(sampled)];
          const load = (t: { url: string; headers: Record<string, string> }, seconds: number, amount?: number) =>
            cannon({ url: t.url, method: 'POST', headers: t.headers, body: RawHttpSession.toolsCallBody, connections: CONNECTIONS, duration: seconds, amount });
          if (cfg.cannonAmount === undefined) for (const t of targets) await load(t, Math.max(WARMUP_MS / 1000, cfg.cannonSeconds));
          const rps: number[][] = [[], [], []];
          for (let run = 0; run < cfg.runs; run++) {
            // Rotate which goes first, so a drifting machine load does not favour one side.
            for (const i of ORDERS[run % ORDERS.length]!) {
              const r = await load(targets[i]!, cfg.cannonSeconds, cfg.cannonAmount);
              if (r.errors || r.non2xx) notes.push(`telemetry http ${NAMES[i]}: ${r.non2xx} non-2xx, ${r.errors} errors of ${r.total}`);
              rps[i]!.push(r.requestsPerSec);
            }
          }
          pair(`http json c=${CONNECTIONS}`, 'req/s', 'higher', rps[0]!, rps[1]!, rps[2]!);
        } catch (e) {
          notes.push(`telemetry http: ${errorText(e)}`);
        } finally {
          for (const c of children) await c.stop();
        }
      }
      // stdio, 64 in flight: the fixture reads ERLMCP_BENCH_TELEMETRY from the environment it is spawned with.
      const rate: number[][] = [[], [], []];
      const cpu: number[][] = [[], [], []];
      try {
        for (let run = 0; run < cfg.runs; run++) {
          for (const i of ORDERS[run % ORDERS.length]!) {
            const env = variants[i]!;
            const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
            Object.assign(process.env, env);
            let sample;
            try {
              // A longer warm-up than the other stdio rows (every side alike): with the SDK on, the
              // first seconds (JIT, the exporter's first batches) would otherwise be measured.
              sample = measureStdioServer('ours-stdio', { ...cfg, warmupOps: Math.max(cfg.warmupOps, 3000) }, cfg.warmupOps > 5 ? WARMUP_MS : 0);
            } finally {
              for (const [k, v] of Object.entries(saved)) {
                if (v === undefined) delete process.env[k];
                else process.env[k] = v;
              }
            }
            const s = await sample;
            rate[i]!.push(s.parRate as number);
            cpu[i]!.push(s.parCpu as number);
          }
        }
        pair('stdio 64 in flight', 'calls/s', 'higher', rate[0]!, rate[1]!, rate[2]!);
        pair('stdio 64 in flight server CPU per call', 'µs', 'lower', cpu[0]!, cpu[1]!, cpu[2]!);
      } catch (e) {
        notes.push(`telemetry stdio: ${errorText(e)}`);
      }
    } finally {
      await new Promise<void>((r) => sink.close(() => r()));
    }
    notes.push(`telemetry: OTLP export requests received by the local sink: ${exports} (the batching exporter did run)`);
    return { rows, notes };
  },
};
