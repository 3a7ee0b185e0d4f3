/**
 * Telemetry cost built up one layer at a time: the HTTP echo fixture in several children, one per
 * ERLMCP_BENCH_TELEMETRY mode (fixtures/bench-telemetry.ts), each kept up, driven in turn with 8
 * calls in flight on keep-alive sockets, the order rotating round by round; the figure is each
 * child's CPU per request from /proc (user + system), median over the rounds and as a ratio to
 * "off". CPU per request at a fixed, modest load is steadier than req/s under autocannon on a
 * shared machine. Two children of the same mode can differ by up to about 10 % for their whole
 * life (JIT decisions, memory layout), which more rounds do not average out: `--children K`
 * starts K of each mode and pools their samples.
 *   node dist/bench/telemetry-layers.js [--rounds N] [--calls N] [--children K] [--tool-us U] [--modes off,als,otel-span,otel-mw,otel-mw-prom,full0]
 * `--tool-us U` calls the fixture's `work` tool, which computes for U µs, instead of `echo`: the
 * same layers against a handler that does something.
 * `full0` is `erlmcp start --otel --metrics` (ERLMCP_BENCH_TELEMETRY=1, OTLP to a sink here) with
 * the sampler at 0: every request unsampled; `full1` the same at 0.01.
 */
import { createServer } from 'node:http';
import { cpuMs } from '../src/cli/bench/proc.js';
import { httpRequest, keepAliveAgent, RawHttpSession } from './lib/raw-http-client.js';
import { startServerChild, type ServerChild } from './lib/server-child.js';
import { median } from './lib/stats.js';

const arg = (name: string, d: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? d : process.argv[i + 1]!;
};
const rounds = Number(arg('rounds', '9'));
const calls = Number(arg('calls', '15000'));
const modes = arg('modes', 'off,als,otel-span,otel-mw,otel-mw-prom,full0').split(',');
const children = Number(arg('children', '1'));
const toolUs = Number(arg('tool-us', '0'));
const body = (n: number): string =>
  toolUs > 0 ? JSON.stringify({ jsonrpc: '2.0', id: 1_000_000_000 + n, method: 'tools/call', params: { name: 'work', arguments: { us: toolUs } } }) : RawHttpSession.toolsCallBody(n);
const INFLIGHT = 8;

const sink = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
});
await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
const otlp = { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(sink.address() as { port: number }).port}`, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_LOGS_EXPORTER: 'none' };
const envOf = (mode: string): Record<string, string> => {
  if (mode === 'full0' || mode === 'full1') return { ...otlp, ERLMCP_BENCH_TELEMETRY: '1', OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: mode === 'full0' ? '0' : '0.01' };
  return { ERLMCP_BENCH_TELEMETRY: mode === 'off' ? '0' : mode };
};

interface Side {
  mode: string;
  child: ServerChild;
  session: RawHttpSession;
  url: string;
  us: number[];
}
const agent = keepAliveAgent(INFLIGHT);
const sides: Side[] = [];
let id = 100;
/** `n` tools/call with INFLIGHT in flight; the child's CPU µs per call. */
async function drive(s: Side, n: number): Promise<number> {
  const c0 = cpuMs(s.child.proc.pid!);
  let sent = 0;
  await Promise.all(
    Array.from({ length: INFLIGHT }, async () => {
      while (sent++ < n) await httpRequest(s.url, 'POST', agent, s.session.headers, body(id++));
    }),
  );
  const c1 = cpuMs(s.child.proc.pid!);
  return c0 === undefined || c1 === undefined ? Number.NaN : ((c1 - c0) * 1000) / n;
}
try {
  for (let k = 0; k < children; k++) {
    for (const mode of modes) {
      const child = await startServerChild('ours-http', ['--json', ...(toolUs > 0 ? ['--work-tool'] : [])], envOf(mode));
      const url = `${child.address}/mcp`;
      sides.push({ mode, child, url, session: await RawHttpSession.open(url, agent), us: [] });
    }
  }
  for (const s of sides) await drive(s, 3000);
  for (let r = 0; r < rounds; r++) {
    for (let j = 0; j < sides.length; j++) {
      const s = sides[(j + r) % sides.length]!;
      s.us.push(await drive(s, calls));
    }
  }
  const pooled = (mode: string): number => median(sides.filter((s) => s.mode === mode).flatMap((s) => s.us));
  const base = pooled(modes[0]!);
  process.stdout.write(`server CPU per request, HTTP JSON, ${INFLIGHT} in flight, ${rounds} rounds of ${calls} calls, ${children} child(ren) per mode, tool ${toolUs > 0 ? `work ${toolUs} µs` : 'echo'} (medians), Node ${process.version}:\n`);
  for (const mode of modes) process.stdout.write(`  ${mode.padEnd(14)} ${pooled(mode).toFixed(1).padStart(6)} µs  ${(pooled(mode) / base).toFixed(3)}×\n`);
} finally {
  agent.destroy();
  for (const s of sides) await s.child.stop();
  sink.close();
}
