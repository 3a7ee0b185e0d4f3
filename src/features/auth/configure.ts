/**
 * Security from configuration (the CLI's `--auth-*`, `--api-keys`, `--policy`, `--audit-log`):
 * the resource server, RBAC policy and audit log installed on a server in the right order —
 * audit outermost (it records policy refusals; admission refusals reach it through
 * `server.onRefusal`), then the policy; the admission hook before any other (rate limiting keys
 * on the identity it establishes). The resource URL is often known
 * only once the server listens (port 0), so the admission hook is installed at once and refuses
 * with 503 until `bind(url)` completes it: nothing is ever served unauthenticated.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErlmcpError } from '../../protocol/errors.js';
import type { McpServer } from '../../server/index.js';
import type { AuditWriter } from '../audit/chain.js';
import { FileChain } from '../audit/file-chain.js';
import { AuditLog } from '../audit/log.js';
import { RedisChain } from '../audit/redis-chain.js';
import { ApiKeyStore } from './api-keys.js';
import { parsePolicy, Policy } from './policy.js';
import { bindSessionsToSubject } from './session-binding.js';
import { metadataRoutes, ResourceServer } from './resource-server.js';

export interface SecurityConfig {
  /** Authorization server issuer: JWT access tokens from it are accepted. */
  issuer?: string;
  /** Accepted `aud`. Default: the resource URL. */
  audience?: string;
  /** JWKS URL. Default: the `jwks_uri` of the issuer's metadata. */
  jwks?: string;
  /** The canonical resource URL clients see (behind a proxy). Default: the listen URL. */
  resource?: string;
  /** API key file (JSON, hashed keys), re-read on change. */
  apiKeys?: string;
  /** Policy file (JSON, see policy.ts). */
  policy?: string;
  /** Audit log: a file (JSON lines, hash-chained), or a `redis://`/`rediss://` URL (a stream many processes share). */
  auditLog?: string;
  /** Key prefix of the Redis audit chain. Default `erlmcp:`. */
  auditPrefix?: string;
}

/** Whether an `auditLog` value names a Redis server rather than a file. */
export function isRedisAuditTarget(target: string): boolean {
  return /^rediss?:\/\//i.test(target);
}

/** The writer `config.auditLog` names: a Redis chain for a URL, else the file chain. */
export async function openAuditWriter(config: Pick<SecurityConfig, 'auditLog' | 'auditPrefix'>): Promise<AuditWriter | undefined> {
  if (config.auditLog === undefined) return undefined;
  if (isRedisAuditTarget(config.auditLog)) return new RedisChain(config.auditLog, config.auditPrefix !== undefined ? { prefix: config.auditPrefix } : {});
  return FileChain.open(config.auditLog);
}

export interface InstalledSecurity {
  /** Whether callers are authenticated (an issuer or API keys is configured). */
  readonly authenticates: boolean;
  /** Routes for StreamableHttpServer (the Protected Resource Metadata). */
  readonly routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void>;
  /** Completes the resource server once the URL is known. */
  bind(url: string): void;
  close(): Promise<void>;
}

/** The `jwks_uri` of an issuer's metadata (RFC 8414, then OpenID discovery). */
export async function discoverJwksUri(issuer: string, fetchImpl: typeof fetch = fetch): Promise<string> {
  const base = issuer.replace(/\/$/, '');
  const path = new URL(issuer).pathname.replace(/\/$/, '');
  const origin = new URL(issuer).origin;
  for (const url of [`${origin}/.well-known/oauth-authorization-server${path}`, `${base}/.well-known/openid-configuration`]) {
    const res = await fetchImpl(url, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
    if (!res?.ok) continue;
    const doc = (await res.json().catch(() => undefined)) as { jwks_uri?: unknown } | undefined;
    if (typeof doc?.jwks_uri === 'string') return doc.jwks_uri;
  }
  throw new ErlmcpError('ERR_INVALID_ARGUMENT', `no jwks_uri found in the metadata of ${issuer}; pass --auth-jwks`);
}

async function readJson(path: string, what: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as unknown;
  } catch (e) {
    throw new ErlmcpError('ERR_INVALID_ARGUMENT', `${what} ${path}: ${(e as Error).message}`);
  }
}

/**
 * Installs what `config` names on `server`; call before any other feature. `auditWriter`
 * replaces the writer `config.auditLog` names (a worker forwarding to the process that owns the file).
 */
export async function installSecurity(server: McpServer, config: SecurityConfig, auditWriter?: AuditWriter): Promise<InstalledSecurity> {
  const apiKeys = config.apiKeys !== undefined ? await ApiKeyStore.fromFile(config.apiKeys).catch((e: Error) => Promise.reject(new ErlmcpError('ERR_INVALID_ARGUMENT', `API key file ${config.apiKeys}: ${e.message}`))) : undefined;
  const policy = config.policy !== undefined ? new Policy(parsePolicyOrThrow(await readJson(config.policy, 'policy file'), config.policy)) : undefined;
  const jwksUri = config.issuer !== undefined ? (config.jwks ?? (await discoverJwksUri(config.issuer))) : undefined;
  const writer = auditWriter ?? (await openAuditWriter(config));
  const audit = writer ? new AuditLog(writer) : undefined;
  const authenticates = config.issuer !== undefined || apiKeys !== undefined;

  let rs: ResourceServer | undefined;
  if (authenticates) server.admit((req) => (rs ? rs.hook(req) : { refuse: { status: 503, message: 'Service Unavailable: starting', headers: { 'retry-after': '1' } } }));
  audit?.install(server);
  if (authenticates) bindSessionsToSubject(server);
  policy?.install(server);
  return {
    authenticates,
    routes: metadataRoutes('/mcp', () => rs),
    bind(url) {
      if (!authenticates) return;
      rs = new ResourceServer({
        resource: config.resource ?? url,
        ...(config.issuer !== undefined ? { authorizationServers: [config.issuer], jwt: { issuer: config.issuer, jwksUri: jwksUri!, ...(config.audience !== undefined ? { audience: config.audience } : {}) } } : {}),
        ...(apiKeys ? { apiKeys } : {}),
      });
    },
    async close() {
      apiKeys?.close();
      await audit?.close();
    },
  };
}

function parsePolicyOrThrow(doc: unknown, path: string) {
  try {
    return parsePolicy(doc);
  } catch (e) {
    throw new ErlmcpError('ERR_INVALID_ARGUMENT', `policy file ${path}: ${(e as Error).message}`);
  }
}
