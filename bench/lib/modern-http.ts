/**
 * The 2026-07-28 ("modern", stateless) request the benchmarks send: one tools/call with the
 * `_meta` envelope and the standard headers (basic/transports/streamable-http §Request Headers),
 * no initialize and no session. The same bytes go to ours and to the official SDK v2.
 */
import type { Agent } from 'node:http';
import { httpRequest, replyMessage } from './raw-http-client.js';

export const MODERN_VERSION = '2026-07-28';

export const MODERN_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': MODERN_VERSION,
  'mcp-method': 'tools/call',
  'mcp-name': 'echo',
};

const META = `"_meta":{"io.modelcontextprotocol/protocolVersion":"${MODERN_VERSION}","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"bench","version":"1.0.0"}}`;

/** The n-th modern tools/call body (a fresh id each, as a client would send). */
export function modernToolsCallBody(n: number): string {
  return `{"jsonrpc":"2.0","id":${1_000_000_000 + n},"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello"},${META}}}`;
}

/** One modern call, checked: a JSON-RPC error would still be HTTP 200 or 4xx and pass unnoticed by autocannon. */
export async function checkModernEcho(url: string, agent: Agent): Promise<void> {
  const r = replyMessage(await httpRequest(url, 'POST', agent, { ...MODERN_HEADERS }, modernToolsCallBody(-1)));
  const result = r.result as { resultType?: string; content?: { text?: string }[] } | undefined;
  if (r.error || result?.content?.[0]?.text !== 'hello') throw new Error(`unexpected modern tools/call reply ${JSON.stringify(r)}`);
}
