/**
 * ClientPool (issue "The gateway"): 100 concurrent callers served by a pool of 8 sessions vs by
 * one session, against our HTTP server (ours-http fixture, JSON mode, its own process).
 * Columns: ours = our ClientPool of 8 sessions; raw = our Client on ONE session (not a raw
 * reference here); sdk = the official SDK client on one session. ours/raw is the pool's gain.
 * A second row does the same over stdio, where each session is a child process of its own.
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
const INFO = { name: 'bench-pool', version: '1.0.0' };

async function rate(call: () => Promise<unknown>, cfg: BenchConfig): Promise<Sample> {
  const r = await closedLoop(call, { inflight: CALLERS, maxOps: cfg.parOps, maxMs: cfg.loopMs, warmupOps: cfg.warmupOps });
  return { rate: r.opsPerSec, p50: r.p50Ms };
}

const ARGS = { name: 'echo', arguments: { text: 'hello' } };

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

async function pooled(connect: () => Promise<Client>, sessions: number, cfg: BenchConfig): Promise<Sample> {
  const pool = new ClientPool(connect, { maxSessions: sessions, minSessions: sessions, maxInFlight: CALLERS, healthCheckIntervalMs: 0 });
  try {
    await pool.start();
    return await rate(() => pool.callTool(ARGS), cfg);
  } finally {
    await pool.close();
  }
}

async function single(connect: () => Promise<Client>, cfg: BenchConfig): Promise<Sample> {
  const c = await connect();
  try {
    return await rate(() => c.callTool(ARGS), cfg);
  } finally {
    await c.close();
  }
}

async function sdkSingle(open: () => Promise<Driver>, cfg: BenchConfig): Promise<Sample> {
  const d: Driver = await open();
  try {
    return await rate(() => d.call(ARGS.name, ARGS.arguments), cfg);
  } finally {
    await d.close();
  }
}

export const poolScenario: Scenario = {
  name: 'pool',
  title: `${CALLERS} concurrent callers: ClientPool of ${SESSIONS} sessions vs one session, HTTP upstream`,
  async run(cfg) {
    const server = await startHttpFixture('ours-http', ['--json']);
    try {
      const outcome = await interleave(cfg.runs, {
        ours: () => pooled(overHttp(server.url), SESSIONS, cfg),
        raw: () => single(overHttp(server.url), cfg),
        sdk: () => sdkSingle(() => sdkHttp(server.url), cfg),
      });
      // stdio: each session is a child process, so a pool adds server CPUs (bounded by the cores).
      const stdio = await interleave(cfg.runs, {
        ours: () => pooled(overStdio, STDIO_CHILDREN, cfg),
        raw: () => single(overStdio, cfg),
        sdk: () => sdkSingle(() => sdkStdio(), cfg),
      });
      const rows = toRows(
        'pool',
        [
          { key: 'rate', metric: `${CALLERS} callers, pool of ${SESSIONS} (raw = ours, 1 session)`, unit: 'calls/s', better: 'higher' },
          { key: 'p50', metric: `${CALLERS} callers p50 (raw = ours, 1 session)`, unit: 'ms', better: 'lower' },
        ],
        outcome,
      );
      rows.push(...toRows('pool', [{ key: 'rate', metric: `${CALLERS} callers, stdio: pool of ${STDIO_CHILDREN} children (raw = ours, 1 child)`, unit: 'calls/s', better: 'higher' }], stdio));
      return {
        rows,
        notes: [`pool: raw is our own Client on one session (not a raw reference); sdk is the official SDK client on one session; the upstream is one ours-http process (JSON mode).`],
      };
    } finally {
      await server.stop();
    }
  },
};
