/**
 * ClientPool (issue "The gateway"): 100 concurrent callers served by a pool of 8 sessions vs by
 * one session. Per row, one unrecorded pass warms the upstream and this process first; then
 * every side runs the same parallel warm-up (100 callers, same call count and time bound) so
 * none is measured cold (new sockets, JIT), then its measured loop.
 *
 * Rows:
 * - CPU-bound: `echo` on one ours-http process (JSON mode). One process is one core's worth of
 *   server; more sessions cannot make it serve faster, so this row shows what a pool costs or
 *   gains when the upstream is the bottleneck. ours = ClientPool of 8 sessions; raw = our Client
 *   on ONE session (not a raw reference here); sdk = the official SDK client on one session.
 * - capped, I/O-bound: the upstream caps calls in flight per session (limits.maxInFlightPerSession,
 *   a call past it is answered -32000 `max_in_flight`, docs/limits.md) and its tool waits 5 ms on
 *   a timer. One session can then have only the cap in flight: raw = ClientPool with maxSessions 1
 *   and maxInFlight = the cap (the rest of the callers queue in the pool); ours = ClientPool of 8
 *   sessions, maxInFlight = 8 × the cap. The case a pool is for.
 * - stdio: each session is a child process of its own, so a pool adds server processes
 *   (bounded by the cores).
 */
import { ClientPool } from '../../src/client/pool/index.js';
import { Client } from '../../src/client/index.js';
import { StreamableHttpClientTransport } from '../../src/transports/http/client.js';
import { sdkHttp, sdkStdio, type Driver } from '../lib/clients.js';
import { StdioClientTransport } from '../../src/transports/stdio/index.js';
import { fixturePath } from '../lib/spawn.js';
import type { BenchConfig } from '../lib/config.js';
import { closedLoop } from '../lib/load.js';
import { interleave, toRows, type Sample } from '../lib/runs.js';
import { startHttpFixture } from '../lib/spawn.js';
import type { Scenario } from './scenario.js';

const CALLERS = 100;
const SESSIONS = 8;
/** One child per core here (2); more children than cores only adds switching. */
const STDIO_CHILDREN = 2;
/** The capped row: calls in flight the upstream allows per session, and how long its tool waits. */
const CAP = 16;
const WAIT_MS = 5;
const INFO = { name: 'bench-pool', version: '1.0.0' };

type Call = () => Promise<unknown>;

/**
 * Parallel warm-up calls per side, the same for every side (bounded by 3 × cfg.loopMs too). At 100 in
 * flight a fresh client and server need thousands of calls before V8 has optimized their paths
 * (CPU per call falls 2–4× over the first ~10,000 here).
 */
function warmupCalls(cfg: BenchConfig): number {
  return cfg.mode === 'smoke' ? CALLERS : 10_000;
}

/** The same parallel warm-up, then the measured loop; a failed call fails the sample (never a rate of the survivors). */
async function rate(call: Call, cfg: BenchConfig): Promise<Sample> {
  await closedLoop(call, { inflight: CALLERS, maxOps: warmupCalls(cfg), maxMs: 3 * cfg.loopMs });
  const r = await closedLoop(call, { inflight: CALLERS, maxOps: cfg.parOps, maxMs: cfg.loopMs });
  if (r.errors > 0) throw new Error(`${r.errors} of ${r.ops + r.errors} calls failed: ${r.firstError ?? ''}`);
  return { rate: r.opsPerSec, p50: r.p50Ms };
}

const ECHO = { name: 'echo', arguments: { text: 'hello' } };
const WAIT = { name: 'wait', arguments: { ms: WAIT_MS } };

const overHttp = (url: string) => async () => {
  const c = new Client(INFO);
  await c.connect(new StreamableHttpClientTransport(url));
  return c;
};
const overStdio = async () => {
  const c = new Client(INFO);
  await c.connect(new StdioClientTransport({ command: process.execPath, args: [fixturePath('ours-stdio')] }));
  return c;
};

async function pooled(connect: () => Promise<Client>, args: typeof ECHO | typeof WAIT, sessions: number, maxInFlight: number, cfg: BenchConfig): Promise<Sample> {
  const pool = new ClientPool(connect, { maxSessions: sessions, minSessions: sessions, maxInFlight, healthCheckIntervalMs: 0 });
  try {
    await pool.start();
    return await rate(() => pool.callTool(args), cfg);
  } finally {
    await pool.close();
  }
}

async function single(connect: () => Promise<Client>, cfg: BenchConfig): Promise<Sample> {
  const c = await connect();
  try {
    return await rate(() => c.callTool(ECHO), cfg);
  } finally {
    await c.close();
  }
}

async function sdkSingle(open: () => Promise<Driver>, cfg: BenchConfig): Promise<Sample> {
  const d: Driver = await open();
  try {
    return await rate(() => d.call(ECHO.name, ECHO.arguments), cfg);
  } finally {
    await d.close();
  }
}

export const poolScenario: Scenario = {
  name: 'pool',
  title: `${CALLERS} concurrent callers: ClientPool of ${SESSIONS} sessions vs one session (CPU-bound HTTP upstream; per-session-capped I/O-bound upstream; stdio)`,
  async run(cfg) {
    const server = await startHttpFixture('ours-http', ['--json']);
    let outcome;
    try {
      // One unrecorded pass first: the upstream process and this one's client code are then warm
      // for whichever side interleave() measures first (else the first side pays for both).
      await single(overHttp(server.url), cfg);
      outcome = await interleave(cfg.runs, {
        ours: () => pooled(overHttp(server.url), ECHO, SESSIONS, CALLERS, cfg),
        raw: () => single(overHttp(server.url), cfg),
        sdk: () => sdkSingle(() => sdkHttp(server.url), cfg),
      });
    } finally {
      await server.stop();
    }
    const capped = await startHttpFixture('ours-http', ['--json', '--wait-tool', '--max-in-flight', String(CAP)]);
    let cappedOutcome;
    try {
      await pooled(overHttp(capped.url), WAIT, 1, CAP, cfg);
      cappedOutcome = await interleave(cfg.runs, {
        ours: () => pooled(overHttp(capped.url), WAIT, SESSIONS, SESSIONS * CAP, cfg),
        raw: () => pooled(overHttp(capped.url), WAIT, 1, CAP, cfg),
      });
    } finally {
      await capped.stop();
    }
    // Not in --smoke: the HTTP rows already run every code path.
    const stdio =
      cfg.mode === 'smoke'
        ? undefined
        : await interleave(cfg.runs, {
            ours: () => pooled(overStdio, ECHO, STDIO_CHILDREN, CALLERS, cfg),
            raw: () => single(overStdio, cfg),
            sdk: () => sdkSingle(() => sdkStdio(), cfg),
          });
    const cpuBound = `CPU-bound echo, one single-process HTTP upstream`;
    const cappedLabel = `I/O-bound: upstream caps ${CAP} in flight per session, tool waits ${WAIT_MS} ms`;
    const rows = [
      ...toRows(
        'pool',
        [
          { key: 'rate', metric: `${CALLERS} callers, ${cpuBound}: pool of ${SESSIONS} (raw = ours, 1 session)`, unit: 'calls/s', better: 'higher' },
          { key: 'p50', metric: `${CALLERS} callers p50, ${cpuBound} (raw = ours, 1 session)`, unit: 'ms', better: 'lower' },
        ],
        outcome,
      ),
      ...toRows(
        'pool',
        [
          { key: 'rate', metric: `${CALLERS} callers, ${cappedLabel}: pool of ${SESSIONS} sessions (raw = pool of 1 session, ${CAP} in flight)`, unit: 'calls/s', better: 'higher' },
          { key: 'p50', metric: `${CALLERS} callers p50, ${cappedLabel} (raw = pool of 1 session, ${CAP} in flight)`, unit: 'ms', better: 'lower' },
        ],
        cappedOutcome,
      ),
    ];
    if (stdio) rows.push(...toRows('pool', [{ key: 'rate', metric: `${CALLERS} callers, stdio: pool of ${STDIO_CHILDREN} children (raw = ours, 1 child)`, unit: 'calls/s', better: 'higher' }], stdio));
    return {
      rows,
      notes: [
        `pool: per HTTP row one unrecorded pass warms the upstream first; then every side runs the same parallel warm-up (${CALLERS} callers, up to ${warmupCalls(cfg)} calls), then the measured loop; a failed call fails the side.`,
        `pool, CPU-bound row: raw is our own Client on one session (not a raw reference); sdk is the official SDK client on one session; the upstream is one ours-http process (JSON mode) — one core of server, which more sessions cannot speed up.`,
        `pool, I/O-bound row: the upstream (ours-http --max-in-flight ${CAP}) answers a call past ${CAP} in flight on a session with -32000 max_in_flight; raw = ClientPool { maxSessions: 1, maxInFlight: ${CAP} } (the other callers queue in the pool), ours = ClientPool { maxSessions: ${SESSIONS}, maxInFlight: ${SESSIONS * CAP} }; tool \`wait\` answers after a ${WAIT_MS} ms timer.`,
      ],
    };
  },
};
