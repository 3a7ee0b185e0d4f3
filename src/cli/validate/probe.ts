/**
 * Performance probe: calls/s and p50/p99 of a cheap request (ping, or a read-only tool when
 * --call-tools found one) at 1 and 16 in flight, each for a bounded time — an indication, not a
 * benchmark (`erlmcp bench` is that).
 */
import type { Client } from '../../client/index.js';
import { drive } from '../bench/driver.js';
import type { Progress } from './checks.js';
import type { CallableTool } from './tool-checks.js';
import type { ProbeFigures } from './types.js';

export const PROBE_IN_FLIGHT = [1, 16];

export async function probe(client: Client, durationMs: number, tool: CallableTool | undefined, progress: Progress): Promise<ProbeFigures[]> {
  const method = tool ? `tools/call ${tool.name}` : 'ping';
  const call = tool ? () => client.callTool({ name: tool.name, arguments: tool.args }) : () => client.ping();
  const out: ProbeFigures[] = [];
  for (const inFlight of PROBE_IN_FLIGHT) {
    const f = await drive(call, { inFlight, durationMs, maxCalls: 200_000 });
    progress(`probe  ${method} × ${inFlight} in flight: ${f.callsPerSecond} calls/s, p50 ${f.p50Ms} ms, p99 ${f.p99Ms} ms`);
    out.push({ method, inFlight, calls: f.calls, errors: f.errors, callsPerSecond: f.callsPerSecond, p50Ms: f.p50Ms, p99Ms: f.p99Ms });
  }
  return out;
}
