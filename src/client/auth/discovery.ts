/**
 * Client-side discovery (basic/authorization, 2025-11-25): the Bearer challenge of a 401/403,
 * the protected resource's metadata (RFC 9728: the `resource_metadata` URL of the challenge,
 * else the path-suffixed then the root well-known URI), and the authorization server's metadata
 * (RFC 8414 and OpenID Connect Discovery, in the order the spec lists:
 * basic/authorization#authorization-server-metadata-discovery). Metadata documents are checked
 * by `oauth4webapi` (issuer and resource identifiers must match what was asked for).
 */
import * as oauth from 'oauth4webapi';
import { ErlmcpError } from '../../protocol/errors.js';

export interface BearerChallenge {
  readonly error?: string;
  readonly scope?: string;
  readonly resourceMetadata?: string;
}

/** The Bearer challenge's parameters from a `WWW-Authenticate` value (other schemes ignored). */
export function parseBearerChallenge(header: string | null | undefined): BearerChallenge | undefined {
  if (!header) return undefined;
  const at = header.search(/(^|[\s,])Bearer(\s|$)/i);
  if (at < 0) return undefined;
  const params: Record<string, string> = {};
  const re = /([A-Za-z_][\w-]*)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s,"]+)/g;
  re.lastIndex = at;
  for (let m = re.exec(header); m; m = re.exec(header)) {
    // The next challenge (a scheme name not followed by '=') ends this one; good enough for
    // the one-challenge headers MCP servers send.
    const v = m[2]!;
    params[m[1]!.toLowerCase()] = v.startsWith('"') ? v.slice(1, -1).replace(/\\(.)/g, '$1') : v;
  }
  return { error: params.error, scope: params.scope, resourceMetadata: params.resource_metadata };
}

export interface HttpOptions {
  fetch: typeof globalThis.fetch;
  /** http:// URLs allowed (loopback development only). */
  insecure: boolean;
}

/** oauth4webapi request options: our fetch, and http:// allowed when `insecure`. */
function requestOptions<T extends object = oauth.HttpRequestOptions<'GET'>>(o: HttpOptions): T {
  const opts: Record<symbol, unknown> = { [oauth.customFetch]: o.fetch };
  if (o.insecure) opts[oauth.allowInsecureRequests] = true;
  return opts as T;
}

// basic/authorization#communication-security: authorization endpoints are HTTPS (http only when allowed: loopback development).
const secure = (u: URL, o: HttpOptions) => u.protocol === 'https:' || (o.insecure && u.protocol === 'http:');

/** RFC 9728 §3.3 and RFC 8707: the metadata's resource must name the server we are calling (same origin, a prefix of its path). */
export function resourceMatches(resource: string, serverUrl: URL): boolean {
  let r: URL;
  try {
    r = new URL(resource);
  } catch {
    return false;
  }
  if (r.origin !== serverUrl.origin) return false;
  const base = r.pathname.endsWith('/') ? r.pathname : `${r.pathname}/`;
  return serverUrl.pathname === r.pathname || `${serverUrl.pathname}/`.startsWith(base);
}

/**
 * GET of a metadata document. Only an HTTP answer (404 …) moves discovery to the next URL; a
 * request that got no answer is tried once more, then fails the flow: taking it for "not
 * published" would pick another server's metadata or the 2025-03-26 fallbacks instead.
 */
async function getMetadata(url: URL, o: HttpOptions): Promise<Response> {
  const get = () => o.fetch(url, { headers: { accept: 'application/json' } });
  try {
    return await get().catch(get);
  } catch (e) {
    throw new ErlmcpError('ERR_TRANSPORT', `could not fetch ${url.href}: ${e instanceof Error ? ((e.cause as Error | undefined)?.message ?? e.message) : String(e)}`);
  }
}

/** Protected Resource Metadata for `serverUrl`, or undefined when the server publishes none (2025-03-26 servers). */
export async function discoverResource(serverUrl: URL, metadataUrl: string | undefined, o: HttpOptions): Promise<oauth.ResourceServer | undefined> {
  const candidates: URL[] = [];
  if (metadataUrl !== undefined) candidates.push(new URL(metadataUrl));
  const path = serverUrl.pathname === '/' ? '' : serverUrl.pathname.replace(/\/$/, '');
  candidates.push(new URL(`/.well-known/oauth-protected-resource${path}`, serverUrl.origin));
  if (path !== '') candidates.push(new URL('/.well-known/oauth-protected-resource', serverUrl.origin));
  for (const url of candidates) {
    if (!secure(url, o)) continue;
    const res = await getMetadata(url, o);
    if (!res.ok) {
      await res.body?.cancel().catch(() => {});
      continue;
    }
    const doc = (await res.json().catch(() => undefined)) as oauth.ResourceServer | undefined;
    if (typeof doc?.resource !== 'string') continue;
    if (!resourceMatches(doc.resource, serverUrl)) {
      throw new ErlmcpError('ERR_INVALID_RESULT', `protected resource metadata names ${doc.resource}, not ${serverUrl.href}: refusing to send tokens for it`);
    }
    return doc;
  }
  return undefined;
}

/**
 * Authorization server metadata for `issuer`, trying in order (basic/authorization):
 * with a path — oauth-authorization-server with path insertion, openid-configuration with path
 * insertion, openid-configuration with path appending; without — oauth-authorization-server,
 * openid-configuration. Undefined when none answers.
 */
export async function discoverAuthorizationServer(issuer: URL, o: HttpOptions, legacy = false): Promise<oauth.AuthorizationServer | undefined> {
  const path = issuer.pathname === '/' ? '' : issuer.pathname.replace(/\/$/, '');
  const urls = path
    ? [`/.well-known/oauth-authorization-server${path}`, `/.well-known/openid-configuration${path}`, `${path}/.well-known/openid-configuration`]
    : ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration'];
  for (const u of urls) {
    if (!secure(issuer, o)) throw new ErlmcpError('ERR_INVALID_ARGUMENT', `authorization server ${issuer.href} is not https`);
    const res = await getMetadata(new URL(u, issuer.origin), o);
    if (!res.ok) {
      await res.body?.cancel().catch(() => {});
      continue;
    }
    if (legacy) {
      // 2025-03-26 basic/authorization#server-metadata-discovery: the MCP server's origin is the
      // "authorization base URL", and its metadata may name an issuer with a path of its own.
      const doc = (await res.json().catch(() => undefined)) as oauth.AuthorizationServer | undefined;
      if (typeof doc?.issuer === 'string') return doc;
      continue;
    }
    // processDiscoveryResponse checks that `issuer` is exactly the one asked for (RFC 8414 §3.3).
    return oauth.processDiscoveryResponse(issuer, res);
  }
  return undefined;
}

export { requestOptions };
