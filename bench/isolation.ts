/**
 * How long another session waits while one session runs a 3 s busy-loop tool, in-process and
 * isolated (docs/isolation.md). The server runs in a child process; session A calls the busy
 * tool, and session B, on its own HTTP session, sends a `ping` tools/call every 50 ms (open loop)
 * until A's call returns. Reported: B's call latency, median and max, per mode, plus a baseline
 * with nothing busy.
 *   node dist/bench/isolation.js [--rounds N] [--busy N] [--size N] [--nice N]
 * Default 3 rounds of 3 s per mode and one busy call; `--busy N` runs N busy calls at once (N
 * sessions A); --size and --nice set the pool's size and worker priority (default the pool's).
 */
import { Client } from '../src/client/client.js';
import { connectHttp } from '../src/transports/connect-http.js';
import { startServerChild } from './lib/server-child.js';
import { median, percentile } from './lib/stats.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const rounds = Math.max(1, Number(arg('rounds')) || 3);
const busyCalls = Math.max(1, Number(arg('busy')) || 1);
const BUSY_MS = 3000;
const INTERVAL_MS = 50;

async function session(url: string, name: string): Promise<Client> {
  const c = new Client({ name, version: '1.0.0' }, { defaultTimeoutMs: 60_000 });
  await connectHttp(c, url);
  return c;
}

/** B's ping latencies (ms) while `busy` (or nothing, for the baseline) runs on each A. */
async function round(as: Client[], b: Client, busy: string | undefined): Promise<number[]> {
  const latencies: number[] = [];
  const inflight: Promise<void>[] = [];
  let running = true;
  const ping = (): void => {
    const t0 = performance.now();
    inflight.push(b.callTool({ name: 'ping' }).then(() => void latencies.push(performance.now() - t0)));
  };
  const timer = setInterval(() => running && ping(), INTERVAL_MS);
  if (busy) await Promise.all(as.map((a) => a.callTool({ name: busy, arguments: { ms: BUSY_MS } })));
  else await new Promise((r) => setTimeout(r, BUSY_MS));
  running = false;
  clearInterval(timer);
  await Promise.all(inflight);
  return latencies;
}

const serverArgs = ['nice', 'size'].flatMap((k) => (arg(k) === undefined ? [] : [`--${k}`, String(arg(k))]));
const child = await startServerChild('isolation-server', serverArgs);
try {
  const url = `${child.address}/mcp`;
  const as = await Promise.all(Array.from({ length: busyCalls }, (_, k) => session(url, `A${k}`)));
  const b = await session(url, 'B');
  for (let w = 0; w < 20; w++) await b.callTool({ name: 'ping' }); // warm the connection
  await Promise.all(as.map((a) => a.callTool({ name: 'busy-isolated', arguments: { ms: 1 } }))); // start the pool's workers
  const rows: [string, number[]][] = [];
  for (const [label, busy] of [
    ['nothing busy (baseline)', undefined],
    ['in-process busy tool', 'busy'],
    ['isolated busy tool', 'busy-isolated'],
  ] as const) {
    const all: number[] = [];
    for (let r = 0; r < rounds; r++) all.push(...(await round(as, b, busy)));
    rows.push([label, all]);
  }
  const opts = serverArgs.length ? `, pool ${serverArgs.join(' ')}` : '';
  process.stdout.write(`B's tools/call latency while ${busyCalls} session(s) A run a ${BUSY_MS} ms busy loop each (${rounds} rounds, one call per ${INTERVAL_MS} ms${opts})\n`);
  process.stdout.write('| A is running | B calls | median ms | p99 ms | max ms |\n|---|---|---|---|---|\n');
  for (const [label, xs] of rows) {
    const sorted = [...xs].sort((x, y) => x - y);
    process.stdout.write(`| ${label} | ${xs.length} | ${median(xs).toFixed(1)} | ${percentile(sorted, 99).toFixed(1)} | ${Math.max(...xs).toFixed(1)} |\n`);
  }
  for (const a of as) await a.close();
  await b.close();
} finally {
  await child.stop();
}
