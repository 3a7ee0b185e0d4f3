/**
 * Server CPU per request: starts one HTTP fixture (ours-http, sdk-http, raw-http), opens a
 * session, sends N tools/call with 8 in flight on keep-alive sockets, and reads the fixture's
 * user+system CPU time from /proc/<pid>/stat before and after. Independent of how fast the
 * load generator is, so it separates server cost from driver cost.
 *   node dist/bench/server-cpu.js <fixture> [--json|--sse] [--modern] [--auth] [--calls N] [--cpu-prof <dir>]
 * `--auth` (ours-http): every request carries a valid ES256 bearer JWT, checked against a JWKS
 * this process serves (the auth scenario's setup), so auth's cost per request is read directly.
 * `--modern` sends stateless 2026-07-28 calls (envelope in `_meta`, no session) instead.
 * `--cpu-prof` writes the fixture's V8 CPU profile (open it in Chrome DevTools or speedscope).
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { MODERN_HEADERS, modernToolsCallBody } from './lib/modern-http.js';
import { httpRequest, keepAliveAgent, PROTOCOL_VERSION } from './lib/raw-http-client.js';
import { startHttpFixture, type FixtureName } from './lib/spawn.js';

const fixture = (process.argv[2] ?? 'ours-http') as FixtureName;
const mode = process.argv.includes('--sse') ? '--sse' : '--json';
const i = process.argv.indexOf('--calls');
const N = i >= 0 ? Number(process.argv[i + 1]) : 5000;
const p = process.argv.indexOf('--cpu-prof');
const nodeArgs = p >= 0 ? ['--cpu-prof', `--cpu-prof-dir=${process.argv[p + 1] ?? '.'}`] : [];
const TICKS_PER_SECOND = 100; // Linux USER_HZ

/** [user, system] CPU time of a process so far, in ms. */
function cpuMs(pid: number): [number, number] {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return [(Number(fields[11]) * 1000) / TICKS_PER_SECOND, (Number(fields[12]) * 1000) / TICKS_PER_SECOND];
}

// --protect: our fixture with rate limiting installed (the seam in use; bench/fixtures/ours-tools.ts).
const protect = process.argv.includes('--protect') ? ['--protect'] : [];
const modern = process.argv.includes('--modern');
const auth = process.argv.includes('--auth') ? await bearerSetup() : undefined;
const child = await startHttpFixture(fixture, fixture === 'sdk-v2-http' ? [] : [mode, ...protect, ...(auth?.args ?? [])], nodeArgs);
const agent = keepAliveAgent(8);
const base: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(auth ? { authorization: `Bearer ${auth.token}` } : {}) };
try {
  let call: () => Promise<unknown>;
  let id = 10;
  if (modern) call = () => httpRequest(child.url, 'POST', agent, { ...MODERN_HEADERS }, modernToolsCallBody(id++));
  else {
    const init = await httpRequest(child.url, 'POST', agent, base, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'cpu', version: '1' } } }));
    const headers: Record<string, string> = { ...base, 'mcp-protocol-version': PROTOCOL_VERSION, ...(init.sessionId ? { 'mcp-session-id': init.sessionId } : {}) };
    await httpRequest(child.url, 'POST', agent, headers, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
    call = () => httpRequest(child.url, 'POST', agent, headers, JSON.stringify({ jsonrpc: '2.0', id: id++, method: 'tools/call', params: { name: 'echo', arguments: { text: 'hello' } } }));
  }
  for (let w = 0; w < 2000; w++) await call();
  const c0 = cpuMs(child.pid);
  const t0 = performance.now();
  let sent = 0;
  await Promise.all(Array.from({ length: 8 }, async () => { while (sent++ < N) await call(); }));
  const c1 = cpuMs(child.pid);
  const secs = (performance.now() - t0) / 1000;
  const us = (ms: number) => ((ms * 1000) / N).toFixed(1);
  const user = c1[0] - c0[0];
  const system = c1[1] - c0[1];
  console.log(`${fixture} ${modern ? 'modern' : mode}${auth ? ' auth' : ''}: server CPU ${us(user + system)} µs/request (user ${us(user)}, system ${us(system)}), ${Math.round(N / secs)} req/s (8 in flight, ${N} calls)`);
} finally {
  agent.destroy();
  await child.stop();
  auth?.close();
}

/** A JWKS endpoint in this process and a 2 h token it verifies (as bench/scenarios/auth.ts). */
async function bearerSetup(): Promise<{ args: string[]; token: string; close(): void }> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'ES256', use: 'sig' };
  const jwks = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
  await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
  const issuer = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}`;
  const token = await new SignJWT({ sub: 'bench', scope: 'mcp:tools' }).setProtectedHeader({ alg: 'ES256', kid: 'bench' }).setIssuer(issuer).setAudience('bench').setIssuedAt().setExpirationTime('2h').sign(privateKey);
  return { args: ['--auth-jwks', `${issuer}/jwks`, '--auth-issuer', issuer], token, close: () => jwks.close() };
}
