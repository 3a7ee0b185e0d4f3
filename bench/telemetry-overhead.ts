/**
 * Telemetry overhead, ours against ours: the HTTP echo fixture with telemetry off and with the
 * OpenTelemetry SDK (OTLP/protobuf, batching, to a local sink) plus the Prometheus middleware
 * on, alternated `rounds` times, autocannon POST tools/call on one session in JSON mode.
 *   node dist/bench/telemetry-overhead.js [--rounds N] [--seconds S] [--connections C] [--mode 1|otel|metrics]
 */
import { createServer } from 'node:http';
import { cannon } from './lib/cannon.js';
import { keepAliveAgent, RawHttpSession } from './lib/raw-http-client.js';
import { startServerChild } from './lib/server-child.js';

const arg = (name: string, d: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? d : Number(process.argv[i + 1]);
};
const rounds = arg('rounds', 3);
const seconds = arg('seconds', 5);
const connections = arg('connections', 64);
const modeAt = process.argv.indexOf('--mode');
/** 1 = OTel SDK + Prometheus; otel or metrics = one of them. */
const mode = modeAt === -1 ? '1' : process.argv[modeAt + 1]!;

let exports = 0;
const sink = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    exports++;
    res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
  });
});
await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
const sinkUrl = `http://127.0.0.1:${(sink.address() as { port: number }).port}`;

async function measure(on: boolean): Promise<number> {
  const env: Record<string, string> = on
    ? { ERLMCP_BENCH_TELEMETRY: mode, OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_LOGS_EXPORTER: 'none' }
    : { ERLMCP_BENCH_TELEMETRY: '0' };
  const child = await startServerChild('ours-http', ['--json'], env);
  const agent = keepAliveAgent(1);
  try {
    const url = `${child.address}/mcp`;
    const s = await RawHttpSession.open(url, agent);
    const run = (duration: number) => cannon({ url, method: 'POST', headers: s.headers, body: RawHttpSession.toolsCallBody, connections, duration });
    await run(1);
    const r = await run(seconds);
    if (r.errors || r.non2xx) throw new Error(`load errors: ${r.errors}, non-2xx: ${r.non2xx}`);
    return r.requestsPerSec;
  } finally {
    agent.destroy();
    await child.stop();
  }
}

const off: number[] = [];
const on: number[] = [];
for (let i = 0; i < rounds; i++) {
  off.push(await measure(false));
  on.push(await measure(true));
  process.stderr.write(`round ${i + 1}: off ${off.at(-1)!.toFixed(0)} req/s, on ${on.at(-1)!.toFixed(0)} req/s\n`);
}
const median = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
process.stdout.write(
  `telemetry ${mode}: http json c=${connections}, ${rounds} alternating rounds of ${seconds} s: telemetry off ${median(off).toFixed(0)} req/s, on ${median(on).toFixed(0)} req/s (median), ratio ${(median(on) / median(off)).toFixed(3)}; OTLP exports received: ${exports}\n`,
);
sink.close();
