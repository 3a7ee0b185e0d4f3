/**
 * (5) Large tool results — 1, 4, 8, 16 MiB of text — over stdio and Streamable HTTP (SSE, the
 * default mode), each side's own client and server; time per tools/call round trip. A side
 * that fails at a size shows the error text as its result. raw = JSON.parse + JSON.stringify
 * of the same response message in this process: the serialisation floor.
 */
import { performance } from 'node:perf_hooks';
import { ourHttp, ourStdio, sdkHttp, sdkStdio, type Driver } from '../lib/clients.js';
import { errorText } from '../lib/load.js';
import type { Cell, Row } from '../lib/report.js';
import { startHttpFixture, type HttpChild } from '../lib/spawn.js';
import { median } from '../lib/stats.js';
import { payloadText } from '../fixtures/payload.js';
import type { Scenario } from './scenario.js';

const MiB = 1024 * 1024;
/** Our per-message limit defaults to 16 MiB; a 16 MiB result plus its envelope needs more. */
const OUR_STDIO_LIMIT = 64 * MiB;
const CALL_TIMEOUT_MS = 90_000;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms)));
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

async function timedCall(d: Driver, bytes: number): Promise<number> {
  const t0 = performance.now();
  const r = (await withTimeout(d.call('blob', { bytes }), CALL_TIMEOUT_MS)) as { content?: { text?: string }[]; isError?: boolean };
  const ms = performance.now() - t0;
  const got = r.content?.[0]?.text?.length;
  if (r.isError || got !== bytes) throw new Error(r.isError ? `tool error: ${r.content?.[0]?.text?.slice(0, 120)}` : `result had ${got} bytes, expected ${bytes}`);
  return ms;
}

/** Median ms per size; a failure at one size is recorded and the connection reopened for the next. */
async function measureSizes(open: () => Promise<Driver>, sizes: number[], reps: number): Promise<Map<number, Cell>> {
  const out = new Map<number, Cell>();
  let d: Driver | undefined;
  try {
    for (const size of sizes) {
      try {
        d ??= await open();
        await timedCall(d, size * MiB); // warm-up at this size
        const times: number[] = [];
        for (let i = 0; i < reps; i++) times.push(await timedCall(d, size * MiB));
        out.set(size, median(times));
      } catch (e) {
        out.set(size, errorText(e));
        await d?.close().catch(() => {});
        d = undefined;
      }
    }
  } finally {
    await d?.close().catch(() => {});
  }
  return out;
}

function parseStringifyMs(bytes: number, reps: number): number {
  const wire = JSON.stringify({ jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: payloadText(bytes) }] } });
  const times: number[] = [];
  for (let i = 0; i < Math.max(3, reps); i++) {
    const t0 = performance.now();
    JSON.stringify(JSON.parse(wire));
    times.push(performance.now() - t0);
  }
  return median(times);
}

async function overHttp(fixture: 'ours-http' | 'sdk-http', open: (url: string) => Promise<Driver>, sizes: number[], reps: number): Promise<Map<number, Cell>> {
  let child: HttpChild | undefined;
  try {
    child = await startHttpFixture(fixture);
    const url = child.url;
    return await measureSizes(() => open(url), sizes, reps);
  } catch (e) {
    return new Map(sizes.map((s) => [s, errorText(e)]));
  } finally {
    await child?.stop();
  }
}

export const largePayloadScenario: Scenario = {
  name: 'large-payload',
  title: 'large tool results (MiB of text) over stdio and HTTP',
  async run(cfg) {
    const sizes = cfg.payloadMiB;
    const reps = cfg.payloadReps;
    const raw = new Map(sizes.map((s) => [s, parseStringifyMs(s * MiB, reps)]));
    const results = {
      stdio: {
        ours: await measureSizes(() => ourStdio(['--max-bytes', String(OUR_STDIO_LIMIT)], OUR_STDIO_LIMIT), sizes, reps),
        sdk: await measureSizes(() => sdkStdio(), sizes, reps),
      },
      http: {
        ours: await overHttp('ours-http', ourHttp, sizes, reps),
        sdk: await overHttp('sdk-http', sdkHttp, sizes, reps),
      },
    };
    const rows: Row[] = [];
    for (const transport of ['stdio', 'http'] as const) {
      for (const s of sizes) {
        rows.push({
          scenario: 'large-payload',
          metric: `${transport} ${s} MiB result`,
          unit: 'ms',
          better: 'lower',
          headline: s === sizes[sizes.length - 1] || s === 1,
          ours: results[transport].ours.get(s),
          sdk: results[transport].sdk.get(s),
          raw: raw.get(s),
        });
      }
    }
    return { rows, notes: [`large-payload: our stdio limit raised to ${OUR_STDIO_LIMIT / MiB} MiB (default 16 MiB); raw = JSON.parse + JSON.stringify of the same response in-process`] };
  },
};
