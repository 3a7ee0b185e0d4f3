/**
 * Telemetry overhead, ours against ours: the same fixtures with telemetry off, with the
 * OpenTelemetry SDK (OTLP/protobuf, batching span processor, to a local sink in this process)
 * plus Prometheus on (ERLMCP_BENCH_TELEMETRY=1) and every span sampled, the same with the
 * parent-based ratio sampler at 0.01 (OTEL_TRACES_SAMPLER=parentbased_traceidratio, the usual
 * production setting), and three rows that locate the cost (Prometheus alone; the OTel SDK with
 * both exporters off; and no OpenTelemetry but one AsyncLocalStorage whose `run()` wraps every
 * request, the floor under any tracing whose handler spans nest), side by side in one run, the
 * order rotating run by run. HTTP: autocannon POST tools/call at 64 connections, JSON mode, one
 * child of each kept up across runs, and the server's CPU per request from /proc (autocannon
 * shares the machine's two cores, so req/s also moves with the driver; CPU per request is the
 * server's own cost). stdio: 64 calls in flight, the server's CPU per call from /proc. */
import { createServer } from 'node:http';
import { cpuMs } from '../../src/cli/bench/proc.js';
import { autocannonMissing, cannon } from '../lib/cannon.js';
import { errorText } from '../lib/load.js';
import { measureStdioServer } from '../lib/measure-server.js';
import { keepAliveAgent, RawHttpSession } from '../lib/raw-http-client.js';
import type { Row } from '../lib/report.js';
import { startServerChild, type ServerChild } from '../lib/server-child.js';
import { median } from '../lib/stats.js';
import type { Scenario } from './scenario.js';

const CONNECTIONS = 64;
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
    // Where the cost is: Prometheus alone, and the OTel SDK with both exporters off (no tracer or
    // meter provider registered: what remains is its AsyncLocalStorage context manager and the
    // tracing middleware around each handler).
    const promOnly: Record<string, string> = { ERLMCP_BENCH_TELEMETRY: 'metrics' };
    const contextOnly: Record<string, string> = { ...on, ERLMCP_BENCH_TELEMETRY: 'otel', OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none' };
    // No OpenTelemetry: Node's AsyncLocalStorage alone, entered per request (bench-telemetry.ts).
    const alsOnly: Record<string, string> = { ERLMCP_BENCH_TELEMETRY: 'als' };
    /** The variants, off first: [row label, ratio label, environment]. */
    const variants: [string, string, Record<string, string>][] = [
      ['telemetry off', '', off],
      ['OTel + Prometheus on', 'on / off', on],
      ['OTel sampled parentbased_traceidratio 0.01 + Prometheus on', 'sampled 0.01 / off', sampled],
      ['Prometheus only', 'Prometheus only / off', promOnly],
      ['OTel SDK with both exporters none (context manager + middleware only)', 'OTel context only / off', contextOnly],
      ['no OTel, AsyncLocalStorage.run per request (the floor)', 'AsyncLocalStorage only / off', alsOnly],
    ];
    const NAMES = variants.map((v) => v[0]);
    /** The order rotates run by run, so a drifting machine load does not favour one side. */
    const order = (run: number): number[] => variants.map((_, i) => (i + run) % variants.length);
    // Six sides whose differences are a few per cent: more runs than other scenarios in full mode.
    const runs = cfg.mode === 'full' ? Math.max(cfg.runs, 5) : cfg.runs;
    const rows: Row[] = [];
    const notes: string[] = [];
    const report = (metric: string, unit: string, better: 'higher' | 'lower', samples: number[][]): void => {
      const mOff = median(samples[0]!);
      rows.push({ scenario: 'telemetry', metric: `${metric}, ${variants[0]![0]}`, unit, better, ours: mOff });
      for (let i = 1; i < variants.length; i++) {
        const m = median(samples[i]!);
        rows.push({ scenario: 'telemetry', metric: `${metric}, ${variants[i]![0]}`, unit, better, ours: m });
        rows.push({ scenario: 'telemetry', metric: `${metric}, ${variants[i]![1]}`, unit: '×', better, ours: m / mOff, headline: i <= 2 });
      }
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
          const targets: { url: string; headers: Record<string, string> }[] = [];
          for (const v of variants) targets.push(await open(v[2]));
          const load = (t: { url: string; headers: Record<string, string> }, seconds: number, amount?: number) =>
            cannon({ url: t.url, method: 'POST', headers: t.headers, body: RawHttpSession.toolsCallBody, connections: CONNECTIONS, duration: seconds, amount });
          if (cfg.cannonAmount === undefined) for (const t of targets) await load(t, Math.max(WARMUP_MS / 1000, cfg.cannonSeconds));
          const rps: number[][] = variants.map(() => []);
          const cpu: number[][] = variants.map(() => []);
          for (let run = 0; run < runs; run++) {
            // Rotate which goes first, so a drifting machine load does not favour one side.
            for (const i of order(run)) {
              const pid = children[i]!.proc.pid!;
              const c0 = cpuMs(pid);
              const r = await load(targets[i]!, cfg.cannonSeconds, cfg.cannonAmount);
              const c1 = cpuMs(pid);
              if (r.errors || r.non2xx) notes.push(`telemetry http ${NAMES[i]}: ${r.non2xx} non-2xx, ${r.errors} errors of ${r.total}`);
              rps[i]!.push(r.requestsPerSec);
              cpu[i]!.push(c0 === undefined || c1 === undefined || r.total === 0 ? Number.NaN : ((c1 - c0) * 1000) / r.total);
            }
          }
          report(`http json c=${CONNECTIONS}`, 'req/s', 'higher', rps);
          report(`http json c=${CONNECTIONS} server CPU per request`, 'µs', 'lower', cpu);
        } catch (e) {
          notes.push(`telemetry http: ${errorText(e)}`);
        } finally {
          for (const c of children) await c.stop();
        }
      }
      // stdio, 64 in flight: the fixture reads ERLMCP_BENCH_TELEMETRY from the environment it is spawned with.
      const rate: number[][] = variants.map(() => []);
      const cpu: number[][] = variants.map(() => []);
      try {
        for (let run = 0; run < runs; run++) {
          for (const i of order(run)) {
            const env = variants[i]![2];
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
        report('stdio 64 in flight', 'calls/s', 'higher', rate);
        report('stdio 64 in flight server CPU per call', 'µs', 'lower', cpu);
      } catch (e) {
        notes.push(`telemetry stdio: ${errorText(e)}`);
      }
    } finally {
      await new Promise<void>((r) => sink.close(() => r()));
    }
    notes.push(`telemetry: ${runs} runs per variant (medians); OTLP export requests received by the local sink: ${exports} (the batching exporter did run)`);
    return { rows, notes };
  },
};
