/**
 * Streamable HTTP transport and its security (basic/transports, basic/security_best_practices,
 * basic/authorization), with raw requests so every header is ours to choose. Each check that
 * needs a session opens its own, so one server's answer cannot spoil the next check.
 */
import { randomUUID } from 'node:crypto';
import { fail, skip, verdict, type Outcome } from './checks.js';
import type { CheckContext } from './context.js';
import { postHeaders as bareHeaders, rawHttp, socketPost, type RawResponse } from './raw-http.js';
import { initializeParams } from './raw-session.js';
import { SPEC_REVISION } from './types.js';

interface Fresh {
  init: RawResponse;
  sessionId: string | undefined;
  version: string;
}

const ping = (id: string) => JSON.stringify({ jsonrpc: '2.0', id, method: 'ping' });
const status = (r: RawResponse) => `HTTP ${r.status}${r.text && !String(r.headers['content-type']).startsWith('text/event-stream') ? ` ${r.text.slice(0, 120).trim()}` : ''}`;

export function isLoopback(url: URL): boolean {
  const h = url.hostname.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\./.test(h);
}

/** The target's own headers (--header) under the ones a check sets. */
function withTargetHeaders(ctx: CheckContext) {
  const extra = ctx.target.kind === 'http' ? ctx.target.headers : {};
  return {
    postHeaders: (sessionId?: string, version?: string): Record<string, string> => ({ ...extra, ...bareHeaders(sessionId, version) }),
    headers: (h: Record<string, string>): Record<string, string> => ({ ...extra, ...h }),
  };
}

export async function httpChecks(ctx: CheckContext): Promise<void> {
  if (ctx.target.kind !== 'http') return;
  const { postHeaders, headers: withExtra } = withTargetHeaders(ctx);
  const url = ctx.target.url;
  const t = ctx.opts.timeoutMs;
  const post = (body: string, headers: Record<string, string>, extra: { until?: (m: Record<string, unknown>) => boolean; timeoutMs?: number } = {}) =>
    rawHttp(url, { headers, body, timeoutMs: extra.timeoutMs ?? t, until: extra.until });

  async function fresh(): Promise<Fresh> {
    const init = await post(JSON.stringify({ jsonrpc: '2.0', id: 'init', method: 'initialize', params: initializeParams(SPEC_REVISION) }), postHeaders(), { until: (m) => m.id === 'init' });
    const sid = init.headers['mcp-session-id'];
    const result = init.messages.find((m) => m.id === 'init')?.result as { protocolVersion?: string } | undefined;
    const version = result?.protocolVersion ?? SPEC_REVISION;
    const sessionId = typeof sid === 'string' ? sid : undefined;
    await post(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }), postHeaders(sessionId, version));
    return { init, sessionId, version };
  }
  const close = (f: Fresh) => (f.sessionId ? rawHttp(url, { method: 'DELETE', headers: postHeaders(f.sessionId, f.version), timeoutMs: t }).catch(() => undefined) : undefined);

  const base = await fresh();
  if (base.init.status === 401) {
    await ctx.rec.check({ id: 'http.auth.metadata', level: 'MUST', spec: 'basic/authorization#authorization-server-discovery (RFC 9728)', title: 'a 401 names the protected resource metadata, which lists authorization servers' }, async () => authMetadata(url, base.init, t));
    return;
  }
  await ctx.rec.check({ id: 'http.auth.metadata', level: 'MUST', spec: 'basic/authorization#authorization-server-discovery', title: 'a 401 names the protected resource metadata' }, () => skip('the server answered initialize without asking for authorization'));

  await ctx.rec.check({ id: 'http.notification-accepted', level: 'MUST', spec: 'basic/transports#sending-messages-to-the-server', title: 'a notification POST is answered 202 Accepted with no body' }, async () => {
    const r = await post(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }), postHeaders(base.sessionId, base.version));
    return verdict(r.status === 202 && r.text === '', status(r));
  });

  const loopback = isLoopback(url);
  await ctx.rec.check({ id: 'http.origin', level: loopback ? 'MUST' : 'SHOULD', spec: 'basic/transports#security-warning', title: 'a request with a foreign Origin is refused with 403 Forbidden' }, async () => {
    const r = await post(ping('o'), { ...postHeaders(base.sessionId, base.version), origin: 'http://evil.example' });
    return verdict(r.status === 403, `Origin: http://evil.example → ${status(r)}`);
  });
  await ctx.rec.check({ id: 'http.host', level: 'SHOULD', spec: 'basic/security_best_practices#local-mcp-server-compromise; basic/transports#security-warning', title: 'on a loopback server, a foreign Host header (DNS rebinding) is refused with 403' }, async () => {
    if (!loopback) return skip('not a loopback server');
    const r = await post(ping('h'), { ...postHeaders(base.sessionId, base.version), host: 'evil.example' });
    return verdict(r.status === 403 || r.status === 421, `Host: evil.example → ${status(r)}`);
  });

  await ctx.rec.check({ id: 'http.body-limit', level: 'SHOULD', spec: 'basic/security_best_practices; RFC 9110 §15.5.14', title: `a ${Math.round(ctx.opts.bodyBytes / 1048576)} MiB body is refused with 413 Content Too Large` }, async () => {
    if (url.protocol !== 'http:') return skip('checked on http:// targets only');
    const head = Buffer.from('{"jsonrpc":"2.0","id":"big","method":"ping","params":{"_meta":{"pad":"');
    const body = Buffer.alloc(ctx.opts.bodyBytes, 0x78);
    head.copy(body);
    Buffer.from('"}}}').copy(body, body.length - 4);
    const r = await socketPost(url, postHeaders(base.sessionId, base.version), body, Math.max(t, 30_000));
    if (r.status === 0) return fail('no HTTP answer');
    return verdict(r.status === 413, `HTTP ${r.status} ${r.text.slice(0, 120).trim()}`);
  });

  await ctx.rec.check({ id: 'http.content-type', level: 'SHOULD', spec: 'basic/transports#sending-messages-to-the-server', title: 'a POST whose Content-Type is not application/json is refused (415)' }, async () => {
    const r = await post(ping('ct'), { ...postHeaders(base.sessionId, base.version), 'content-type': 'text/plain' });
    return verdict(r.status === 415, status(r));
  });
  await ctx.rec.check({ id: 'http.accept', level: 'SHOULD', spec: 'basic/transports#sending-messages-to-the-server', title: 'a POST whose Accept lacks application/json and text/event-stream is refused (406)' }, async () => {
    const r = await post(ping('acc'), { ...postHeaders(base.sessionId, base.version), accept: 'text/plain' });
    return verdict(r.status === 406, status(r));
  });
  await ctx.rec.check({ id: 'http.malformed-json', level: 'MUST', spec: 'basic/transports#sending-messages-to-the-server', title: 'a body that is not JSON is refused with an HTTP error status' }, async () => {
    const r = await post('{"jsonrpc": "2.0", "id": 1, "method": ', postHeaders(base.sessionId, base.version));
    return verdict(r.status >= 400 && r.status < 500, status(r));
  });
  await ctx.rec.check({ id: 'http.malformed-json.code', level: 'SHOULD', spec: 'basic/transports#sending-messages-to-the-server (JSON-RPC 2.0 §5.1)', title: 'the refusal of a non-JSON body carries JSON-RPC error -32700 (Parse error)' }, async () => {
    const r = await post('{"jsonrpc": "2.0", "id": 1, "method": ', postHeaders(base.sessionId, base.version));
    const code = (r.messages[0]?.error as { code?: unknown } | undefined)?.code;
    return verdict(code === -32700, code === undefined ? `no JSON-RPC error in the body (${status(r)})` : `error ${String(code)}`);
  });

  await ctx.rec.check({ id: 'http.protocol-version', level: 'MUST', spec: 'basic/transports#protocol-version-header', title: 'an unsupported MCP-Protocol-Version header is refused with 400 Bad Request' }, async () => {
    const r = await post(ping('pv'), postHeaders(base.sessionId, '1999-01-01'));
    return verdict(r.status === 400, `MCP-Protocol-Version: 1999-01-01 → ${status(r)}`);
  });

  await ctx.rec.check({ id: 'http.get-stream', level: 'MUST', spec: 'basic/transports#listening-for-messages-from-the-server', title: 'GET with Accept: text/event-stream opens an SSE stream or is answered 405' }, async () => {
    const r = await rawHttp(url, { method: 'GET', headers: withExtra({ accept: 'text/event-stream', ...(base.sessionId ? { 'mcp-session-id': base.sessionId } : {}), 'mcp-protocol-version': base.version }), timeoutMs: 500 });
    const sse = String(r.headers['content-type']).startsWith('text/event-stream');
    return verdict((r.status === 200 && sse) || r.status === 405, `HTTP ${r.status} ${String(r.headers['content-type'] ?? '')}`);
  });

  await sessionChecks(ctx, base, fresh, close, post);
  await resumeCheck(ctx, base);
  await close(base);
}

type Post = (body: string, headers: Record<string, string>, extra?: { until?: (m: Record<string, unknown>) => boolean; timeoutMs?: number }) => Promise<RawResponse>;

async function sessionChecks(ctx: CheckContext, base: Fresh, fresh: () => Promise<Fresh>, close: (f: Fresh) => Promise<unknown> | undefined, post: Post): Promise<void> {
  const url = (ctx.target as { url: URL }).url;
  const { postHeaders } = withTargetHeaders(ctx);
  const defs = [
    { id: 'http.session.id-format', level: 'MUST' as const, spec: 'basic/transports#session-management', title: 'the session id is visible ASCII only (0x21–0x7E)' },
    { id: 'http.session.id-entropy', level: 'SHOULD' as const, spec: 'basic/transports#session-management; basic/security_best_practices#session-hijacking', title: 'session ids are unique and cryptographically random (≥ 122 bits by their alphabet and length)' },
    { id: 'http.session.missing', level: 'SHOULD' as const, spec: 'basic/transports#session-management', title: 'a request without Mcp-Session-Id (other than initialize) is answered 400 Bad Request' },
    { id: 'http.session.unknown', level: 'MUST' as const, spec: 'basic/transports#session-management', title: 'a request with an unknown session id is answered 404 Not Found' },
    { id: 'http.session.delete', level: 'SHOULD' as const, spec: 'basic/transports#session-management', title: 'DELETE ends the session (2xx), or is refused with 405' },
    { id: 'http.session.deleted', level: 'MUST' as const, spec: 'basic/transports#session-management', title: 'a request on a deleted session is answered 404 Not Found' },
  ];
  if (base.sessionId === undefined) {
    ctx.rec.skipAll(defs, 'the server runs without sessions (no Mcp-Session-Id on initialize)');
    return;
  }
  const sid = base.sessionId;
  await ctx.rec.check(defs[0]!, () => verdict(/^[\x21-\x7e]+$/.test(sid), `${JSON.stringify(sid)} (${sid.length} characters)`));
  await ctx.rec.check(defs[1]!, async () => {
    const others = await Promise.all([fresh(), fresh()]);
    const ids = [sid, ...others.map((o) => o.sessionId ?? '')];
    await Promise.all(others.map(close));
    if (new Set(ids).size !== ids.length) return fail(`repeated ids: ${ids.join(', ')}`);
    const bits = entropyBits(ids);
    return verdict(bits >= 122, `≈${bits} bits at most (${describeAlphabet(ids)}, ${sid.length} characters): ${ids[1]}`);
  });
  await ctx.rec.check(defs[2]!, async () => {
    const r = await post(ping('ns'), postHeaders(undefined, base.version));
    return verdict(r.status === 400, status(r));
  });
  await ctx.rec.check(defs[3]!, async () => {
    const r = await post(ping('us'), postHeaders(`erlmcp-validate-${randomUUID()}`, base.version));
    return verdict(r.status === 404, status(r));
  });
  const victim = await fresh();
  let deleted = false;
  await ctx.rec.check(defs[4]!, async () => {
    const r = await rawHttp(url, { method: 'DELETE', headers: postHeaders(victim.sessionId, victim.version), timeoutMs: ctx.opts.timeoutMs });
    deleted = r.status >= 200 && r.status < 300;
    return verdict(deleted || r.status === 405, `DELETE → HTTP ${r.status}`);
  });
  await ctx.rec.check(defs[5]!, async () => {
    if (!deleted) return skip('the server does not let clients delete sessions');
    const r = await post(ping('ds'), postHeaders(victim.sessionId, victim.version));
    return verdict(r.status === 404, `ping on the deleted session → ${status(r)}`);
  });
}

/** Upper bound of the randomness in ids of this alphabet and length (a UUID v4 has 122 bits). */
function entropyBits(ids: string[]): number {
  const s = ids[0]!;
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
  if (ids.every((i) => uuid.test(i))) return 122;
  const all = ids.join('');
  const size = /^[0-9a-f-]+$/i.test(all) ? 16 : /^[0-9A-Za-z]+$/.test(all) ? 62 : /^[0-9A-Za-z_-]+$/.test(all) ? 64 : 94;
  const chars = s.replace(size === 16 ? /-/g : /$^/, '').length;
  return Math.floor(chars * Math.log2(size));
}

function describeAlphabet(ids: string[]): string {
  const all = ids.join('');
  return /^[0-9a-f-]+$/i.test(all) ? 'hex' : /^[0-9A-Za-z_-]+$/.test(all) ? 'base64url/alphanumeric' : 'printable ASCII';
}

async function resumeCheck(ctx: CheckContext, base: Fresh): Promise<void> {
  const url = (ctx.target as { url: URL }).url;
  const { headers: withExtra } = withTargetHeaders(ctx);
  const headers = (extra: Record<string, string> = {}) => withExtra({ accept: 'text/event-stream', 'mcp-protocol-version': base.version, ...(base.sessionId ? { 'mcp-session-id': base.sessionId } : {}), ...extra });
  await ctx.rec.check({ id: 'http.sse-resume', level: 'SHOULD', spec: 'basic/transports#resumability-and-redelivery', title: 'a disconnected SSE stream whose events carry ids can be resumed with GET + Last-Event-ID' }, async (): Promise<Outcome> => {
    // The standalone GET stream stays open, so it can be cut mid-way like a dropped connection.
    const first = await rawHttp(url, { method: 'GET', headers: headers(), timeoutMs: 1500, untilEventId: true });
    if (first.status === 405) return skip('the server offers no GET stream (405)');
    if (!String(first.headers['content-type']).startsWith('text/event-stream')) return skip(`GET answered HTTP ${first.status} ${String(first.headers['content-type'])}`);
    const id = first.events.find((e) => e.id !== undefined)?.id;
    if (id === undefined) return skip('the GET stream sent no event with an id within 1.5 s, so the server offers no resumption');
    // The server may not have seen the first stream close yet (409: one GET stream per session).
    let g: RawResponse | undefined;
    for (let attempt = 0; attempt < 10; attempt++) {
      g = await rawHttp(url, { method: 'GET', headers: headers({ 'last-event-id': id }), timeoutMs: 300 });
      if (g.status !== 409) break;
      await new Promise((r) => setTimeout(r, 100 * (attempt + 1)));
    }
    return verdict(g!.status === 200 && String(g!.headers['content-type']).startsWith('text/event-stream'), `GET with Last-Event-ID ${JSON.stringify(id)} → HTTP ${g!.status} ${String(g!.headers['content-type'] ?? '')}`);
  });
}

/** RFC 9728: WWW-Authenticate names resource_metadata, or the well-known URL serves it. */
async function authMetadata(url: URL, init: RawResponse, timeoutMs: number): Promise<Outcome> {
  const www = String(init.headers['www-authenticate'] ?? '');
  const named = /resource_metadata="([^"]+)"/.exec(www)?.[1];
  const path = url.pathname === '/' ? '' : url.pathname;
  const candidates = named ? [named] : [`${url.origin}/.well-known/oauth-protected-resource${path}`, `${url.origin}/.well-known/oauth-protected-resource`];
  for (const c of candidates) {
    const r = await rawHttp(new URL(c), { method: 'GET', headers: { accept: 'application/json' }, timeoutMs }).catch(() => undefined);
    if (r?.status !== 200) continue;
    const servers = (r.messages[0] as { authorization_servers?: unknown } | undefined)?.authorization_servers;
    return verdict(Array.isArray(servers) && servers.length > 0, `${c}: authorization_servers ${JSON.stringify(servers)}`);
  }
  return fail(`401 (WWW-Authenticate: ${www || 'none'}) but no protected resource metadata at ${candidates.join(' or ')}`);
}
