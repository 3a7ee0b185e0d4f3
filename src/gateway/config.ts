/**
 * The gateway's configuration file (docs/gateway.md), checked with zod 4: a bad field is
 * refused at load with its path (`upstreams.fs.command: …`), never half-used at run time.
 * `${NAME}` in credentials, headers and env values is replaced from the environment, so a
 * config file can be committed without its secrets.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { ErlmcpError } from '../protocol/errors.js';

/** Upstream names become tool prefixes and URI hosts: keep them to a safe alphabet. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;


const headers = z.record(z.string(), z.string());

const cachePolicy = z.strictObject({ ttlMs: z.int().min(1).optional(), scope: z.enum(['shared', 'caller']).optional() });

/** The two-level cache (features/cache) in front of this upstream: `resources/read` and opted-in read-only tools. */
const cacheConfig = z.strictObject({
  ttlMs: z.int().min(1).optional(),
  scope: z.enum(['shared', 'caller']).optional(),
  resources: z.union([z.boolean(), cachePolicy]).optional(),
  /** Tool names as the upstream calls them (not namespaced); each must be annotated readOnlyHint + idempotentHint. */
  tools: z.record(z.string(), z.union([z.literal(true), cachePolicy])).optional(),
  maxEntries: z.int().min(1).optional(),
  maxBytes: z.int().min(1).optional(),
  maxEntryBytes: z.int().min(1).optional(),
});

/** A ClientPool (client/pool) of sessions to this upstream, with circuit breaker and retries of safe calls. */
const poolConfig = z.strictObject({
  maxSessions: z.int().min(1).max(1024).optional(),
  minSessions: z.int().min(0).max(1024).optional(),
  maxInFlight: z.int().min(1).optional(),
  maxQueue: z.int().min(0).optional(),
  queueTimeoutMs: z.int().min(1).optional(),
  healthCheckIntervalMs: z.int().min(0).optional(),
  healthCheckTimeoutMs: z.int().min(1).optional(),
  breaker: z
    .union([
      z.literal(false),
      z.strictObject({ failureRatio: z.number().gt(0).max(1).optional(), windowMs: z.int().min(1).optional(), minimumCalls: z.int().min(1).optional(), halfOpenAfterMs: z.int().min(1).optional() }),
    ])
    .optional(),
  retry: z.strictObject({ maxRetries: z.int().min(0).max(100).optional(), initialDelayMs: z.int().min(1).optional(), maxDelayMs: z.int().min(1).optional() }).optional(),
});

const common = {
  /** Namespace of this upstream's tools and prompts. Default: the upstream's name. */
  prefix: z.string().regex(/^[A-Za-z0-9_.-]*$/, 'letters, digits, "_", "-" and "." only').optional(),
  /** Between prefix and name. Default: the gateway's `separator` ("__"). */
  separator: z.string().min(1).max(8).optional(),
  /** Time limit of one forwarded request, ms. Default: the gateway's `timeoutMs`. */
  timeoutMs: z.int().min(1).max(86_400_000).optional(),
  /** `prefix` (default): resource URIs become `mcp-gw://<upstream>/<uri>`; `passthrough`: left as-is. */
  resources: z.enum(['prefix', 'passthrough']).optional(),
  /** How long connecting (the initialize handshake) may take, ms. Default 30 000. */
  connectTimeoutMs: z.int().min(1).max(600_000).optional(),
  cache: cacheConfig.optional(),
  pool: poolConfig.optional(),
};

const stdioUpstream = z.strictObject({
  type: z.literal('stdio'),
  command: z.string().min(1),
  args: z.array(z.string()).optional(),
  env: z.record(z.string(), z.string()).optional(),
  cwd: z.string().optional(),
  /** Restart a dead process: at most `maxRestarts` times in a row (reset by a healthy minute), waiting `backoffMs` doubling to 30 s. */
  restart: z.strictObject({ maxRestarts: z.int().min(0).max(1000).optional(), backoffMs: z.int().min(0).max(60_000).optional() }).optional(),
  ...common,
});

const networkUpstream = (type: 'http' | 'ws') =>
  z.strictObject({
    type: z.literal(type),
    url: z.url({ protocol: type === 'http' ? /^https?$/ : /^wss?$/ }),
    /** Extra headers on every request (or the WebSocket upgrade). */
    headers: headers.optional(),
    /** Sent as `Authorization: Bearer <token>` — this upstream's own credential, never the client's. */
    bearer: z.string().min(1).optional(),
    ...common,
  });

export const upstreamSchema = z.discriminatedUnion('type', [stdioUpstream, networkUpstream('http'), networkUpstream('ws')]);

export const gatewayConfigSchema = z.strictObject({
  /** serverInfo.name of the gateway. Default "erlmcp-gateway". */
  name: z.string().min(1).optional(),
  upstreams: z.record(z.string(), upstreamSchema).superRefine((u, ctx) => {
    if (Object.keys(u).length === 0) ctx.addIssue({ code: 'custom', message: 'at least one upstream is needed' });
    for (const name of Object.keys(u)) {
      // zod reports a bad record key without the key: checked here to name it.
      if (!NAME.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: 'an upstream name is 1–63 letters, digits, "_" or "-", starting with a letter or digit' });
    }
  }),
  separator: z.string().min(1).max(8).optional(),
  timeoutMs: z.int().min(1).max(86_400_000).optional(),
  /**
   * Redis shared by every node of this gateway (as `erlmcp start --redis`): the clients' sessions
   * live in it, so any node serves any session, and each upstream's `cache` keeps L2 in it with
   * invalidations on its bus. `--redis` on the command line wins.
   */
  redis: z
    .string()
    .refine((v) => {
      try {
        return /^rediss?:$/.test(new URL(v).protocol);
      } catch {
        return false;
      }
    }, 'expected a redis:// or rediss:// URL, such as redis://127.0.0.1:6379')
    .optional(),
  /** Prefix of every Redis key and channel. Default "erlmcp:". */
  redisPrefix: z.string().optional(),
  /** The gateway's own authentication (its clients'); upstream credentials are per upstream. */
  auth: z
    .strictObject({
      issuer: z.url().optional(),
      audience: z.string().optional(),
      jwks: z.url().optional(),
      resource: z.url().optional(),
      apiKeys: z.string().optional(),
      policy: z.string().optional(),
      auditLog: z.string().optional(),
    })
    .optional(),
});

export type UpstreamConfig = z.infer<typeof upstreamSchema>;
export type UpstreamCacheConfig = z.infer<typeof cacheConfig>;
export type UpstreamPoolConfig = z.infer<typeof poolConfig>;
export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;

export const DEFAULT_SEPARATOR = '__';
export const DEFAULT_TIMEOUT_MS = 60_000;

function issuePath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(root)' : path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.');
}

/** `${NAME}` → the environment's value; an unset variable is an error naming the field. */
function expand(value: string, where: string, env: NodeJS.ProcessEnv): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
    const v = env[name];
    if (v === undefined) throw new ErlmcpError('ERR_INVALID_ARGUMENT', `gateway config ${where}: environment variable ${name} is not set`);
    return v;
  });
}

function expandRecord(rec: Record<string, string> | undefined, where: string, env: NodeJS.ProcessEnv): Record<string, string> | undefined {
  return rec && Object.fromEntries(Object.entries(rec).map(([k, v]) => [k, expand(v, `${where}.${k}`, env)]));
}

/**
 * Checks a parsed config; throws ErlmcpError ERR_INVALID_ARGUMENT naming every bad field.
 *
 * @example
 * const config = parseGatewayConfig({ upstreams: { fs: { type: 'stdio', command: 'npx', args: ['@modelcontextprotocol/server-filesystem', '/tmp'] } } });
 */
export function parseGatewayConfig(value: unknown, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const r = gatewayConfigSchema.safeParse(value);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  ${issuePath(i.path)}: ${i.message}`);
    throw new ErlmcpError('ERR_INVALID_ARGUMENT', `invalid gateway config:\n${lines.join('\n')}`);
  }
  const config = r.data;
  for (const [name, u] of Object.entries(config.upstreams)) {
    const at = `upstreams.${name}`;
    if (u.type === 'stdio') u.env = expandRecord(u.env, `${at}.env`, env);
    else {
      u.headers = expandRecord(u.headers, `${at}.headers`, env);
      if (u.bearer !== undefined) u.bearer = expand(u.bearer, `${at}.bearer`, env);
    }
  }
  // Two upstreams with one namespace would make names ambiguous: refuse at load.
  const seen = new Map<string, string>();
  for (const [name, u] of Object.entries(config.upstreams)) {
    const ns = `${u.prefix ?? name}${u.separator ?? config.separator ?? DEFAULT_SEPARATOR}`;
    const other = seen.get(ns);
    if (other !== undefined) throw new ErlmcpError('ERR_INVALID_ARGUMENT', `invalid gateway config:\n  upstreams.${name}.prefix: "${ns}" is already the namespace of upstream ${other}`);
    seen.set(ns, name);
  }
  return config;
}

/** Reads and checks a JSON config file. */
export async function loadGatewayConfig(path: string, env: NodeJS.ProcessEnv = process.env): Promise<GatewayConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ErlmcpError('ERR_INVALID_ARGUMENT', `gateway config ${path}: ${(e as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ErlmcpError('ERR_INVALID_ARGUMENT', `gateway config ${path} is not JSON: ${(e as Error).message}`);
  }
  return parseGatewayConfig(value, env);
}
