/**
 * One HTTP fixture's tools/call rate at 64 connections under autocannon, on one initialized
 * session (JSON mode): the measurement the seam and auth scenarios compare side by side.
 */
import { cannon } from './cannon.js';
import { keepAliveAgent, RawHttpSession } from './raw-http-client.js';
import type { Sample } from './runs.js';
import { startHttpFixture } from './spawn.js';

export async function httpRate64(fixture: 'ours-http' | 'sdk-http', args: string[], seconds: number, amount: number | undefined, headers: Record<string, string> = {}): Promise<Sample> {
  const child = await startHttpFixture(fixture, ['--json', ...args]);
  const agent = keepAliveAgent(1);
  try {
    const s = await RawHttpSession.open(child.url, agent, headers);
    const load = (c: number, secs: number) => cannon({ url: child.url, method: 'POST', headers: s.headers, body: RawHttpSession.toolsCallBody, connections: c, duration: secs, amount });
    if (amount === undefined) await load(16, Math.min(1, seconds / 2));
    const out = await load(64, seconds);
    if (out.total === 0 || out.non2xx + out.errors > 0) throw new Error(`${out.non2xx} non-2xx, ${out.errors} errors of ${out.total}`);
    return { http64: out.requestsPerSec };
  } finally {
    agent.destroy();
    await child.stop();
  }
}
