/**
 * `erlmcp start` options from four places, highest first:
 *   1. command-line flags;
 *   2. environment: `ERLMCP_*` variables, then the standard ones (`PORT`, `REDIS_URL`);
 *   3. the config file: `--config <path>` or `ERLMCP_CONFIG`, else the first of
 *      erlmcp.config.{json,ts,mts,js,mjs} in the current directory;
 *   4. defaults.
 * Every option has the same name in the config file as its flag, in camelCase
 * (`--tcp-port` → `tcpPort`). Relative paths in a config file are taken from its folder.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import * as z from 'zod';
import { CliError, EXIT_USAGE } from './errors.js';
import { importUserFile } from './module-loader.js';
import { CONFIG_KEYS, configSchema, type ConfigFile } from './config-schema.js';
import { parseBoolean, parseCount, parseLimit, parseList, parseLogLevel, parsePort, parseRate, parseRedisUrl, parseWorkers } from './parse.js';
import type { StartOptions } from './start.js';

export { configSchema, type ConfigFile } from './config-schema.js';

export const CONFIG_FILE_NAMES = ['erlmcp.config.json', 'erlmcp.config.ts', 'erlmcp.config.mts', 'erlmcp.config.js', 'erlmcp.config.mjs'];

type Key = keyof ConfigFile;
type Parser = (raw: string) => unknown;

/** Environment variables per option, in precedence order; `parse` is the flag's own parser. */
export const ENV_VARS: Partial<Record<Key, { names: string[]; parse: Parser }>> = {
  port: { names: ['ERLMCP_PORT', 'PORT'], parse: parsePort },
  host: { names: ['ERLMCP_HOST'], parse: (v) => v },
  module: { names: ['ERLMCP_MODULE'], parse: (v) => v },
  json: { names: ['ERLMCP_JSON'], parse: parseBoolean },
  stdio: { names: ['ERLMCP_STDIO'], parse: parseBoolean },
  ws: { names: ['ERLMCP_WS'], parse: parseBoolean },
  legacySse: { names: ['ERLMCP_LEGACY_SSE'], parse: parseBoolean },
  tcpPort: { names: ['ERLMCP_TCP_PORT'], parse: parsePort },
  tlsCert: { names: ['ERLMCP_TLS_CERT'], parse: (v) => v },
  tlsKey: { names: ['ERLMCP_TLS_KEY'], parse: (v) => v },
  cluster: { names: ['ERLMCP_CLUSTER'], parse: parseWorkers },
  redis: { names: ['ERLMCP_REDIS_URL', 'REDIS_URL'], parse: parseRedisUrl },
  redisPrefix: { names: ['ERLMCP_REDIS_PREFIX'], parse: (v) => v },
  pidFile: { names: ['ERLMCP_PID_FILE'], parse: (v) => v },
  allowedOrigins: { names: ['ERLMCP_ALLOWED_ORIGINS'], parse: parseList },
  allowedHosts: { names: ['ERLMCP_ALLOWED_HOSTS'], parse: parseList },
  maxSessions: { names: ['ERLMCP_MAX_SESSIONS'], parse: parseCount },
  maxConnections: { names: ['ERLMCP_MAX_CONNECTIONS'], parse: parseCount },
  maxInFlight: { names: ['ERLMCP_MAX_IN_FLIGHT'], parse: parseCount },
  toolTimeout: { names: ['ERLMCP_TOOL_TIMEOUT'], parse: parseCount },
  rateLimit: { names: ['ERLMCP_RATE_LIMIT'], parse: parseRate },
  adminToken: { names: ['ERLMCP_ADMIN_TOKEN'], parse: (v) => v },
  drainTimeout: { names: ['ERLMCP_DRAIN_TIMEOUT'], parse: parseLimit(3_600_000) },
  authIssuer: { names: ['ERLMCP_AUTH_ISSUER'], parse: (v) => v },
  authAudience: { names: ['ERLMCP_AUTH_AUDIENCE'], parse: (v) => v },
  apiKeys: { names: ['ERLMCP_API_KEYS'], parse: (v) => v },
  policy: { names: ['ERLMCP_POLICY'], parse: (v) => v },
  auditLog: { names: ['ERLMCP_AUDIT_LOG'], parse: (v) => v },
  metrics: { names: ['ERLMCP_METRICS'], parse: parseBoolean },
  logLevel: { names: ['ERLMCP_LOG_LEVEL'], parse: parseLogLevel },
};

export const DEFAULTS: Pick<StartOptions, 'port' | 'host' | 'redisPrefix'> = { port: 3000, host: '127.0.0.1', redisPrefix: 'erlmcp:' };

/** Options holding paths: from a config file they are relative to its folder. */
const PATH_KEYS: Key[] = ['module', 'tlsCert', 'tlsKey', 'pidFile', 'apiKeys', 'policy', 'auditLog'];

/** Where each option's value came from, for messages ("port 3000 (from PORT) is in use"). */
export type Origin = 'flag' | 'config' | 'default' | `env ${string}`;

export interface Resolved {
  options: StartOptions;
  origins: Partial<Record<keyof StartOptions, Origin>>;
  /** The config file used, if any. */
  configPath?: string;
}

/** The config file to use: explicit, else the first conventional name in `cwd`, else none. */
export function findConfigFile(explicit: string | undefined, cwd: string): string | undefined {
  if (explicit !== undefined) {
    const path = resolve(cwd, explicit);
    if (!existsSync(path)) throw new CliError(`config file ${explicit} not found (${path})`, EXIT_USAGE);
    return path;
  }
  return CONFIG_FILE_NAMES.map((n) => resolve(cwd, n)).find((p) => existsSync(p));
}

/** JSON.parse's "position N" as line:column. */
function jsonLocation(text: string, message: string): string {
  const m = /position (\d+)/.exec(message);
  if (!m) return '';
  const before = text.slice(0, Number(m[1]));
  const line = before.split('\n').length;
  return `:${line}:${before.length - before.lastIndexOf('\n')}`;
}

/** Reads and validates a config file (JSON, or a module whose default export is the object or a function returning it). */
export async function loadConfigFile(path: string): Promise<ConfigFile> {
  let raw: unknown;
  if (path.endsWith('.json')) {
    const text = readFileSync(path, 'utf8');
    try {
      raw = JSON.parse(text);
    } catch (e) {
      throw new CliError(`config file ${path}${jsonLocation(text, (e as Error).message)} is not valid JSON: ${(e as Error).message}`, EXIT_USAGE);
    }
  } else {
    const mod = await importUserFile(path, 'config file');
    raw = mod.default ?? mod.config;
    if (typeof raw === 'function') raw = await (raw as () => unknown)();
    if (raw === undefined) throw new CliError(`config file ${path} has no default export (export default { port: 3000, … })`, EXIT_USAGE);
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw new CliError(`config file ${path} is invalid:\n${formatIssues(parsed.error)}`, EXIT_USAGE);
  const dir = dirname(path);
  const config = { ...parsed.data };
  for (const k of PATH_KEYS) {
    const v = config[k];
    if (typeof v === 'string' && !isAbsolute(v) && !v.startsWith('file:') && !/^rediss?:\/\//i.test(v)) (config as Record<string, unknown>)[k] = resolve(dir, v);
  }
  return config;
}

/** The nearest known key, for "did you mean". */
function suggest(key: string): string | undefined {
  const distance = (a: string, b: string): number => {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0]![j] = j;
    for (let i = 1; i <= a.length; i++)
      for (let j = 1; j <= b.length; j++) d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    return d[a.length]![b.length]!;
  };
  const best = CONFIG_KEYS.map((k) => [k, distance(key.toLowerCase(), k.toLowerCase())] as const).sort((a, b) => a[1] - b[1])[0];
  return best && best[1] <= 3 ? best[0] : undefined;
}

/** One line per problem: "  - port: expected an integer from 0 to 65535 (got 70000)". */
export function formatIssues(error: z.ZodError): string {
  const lines: string[] = [];
  for (const issue of error.issues) {
    const at = issue.path.length ? issue.path.join('.') : '(top level)';
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) {
        const near = suggest(k);
        lines.push(`  - ${issue.path.length ? `${at}.` : ''}${k}: unknown option${near ? ` (did you mean "${near}"?)` : ''}`);
      }
    } else lines.push(`  - ${at}: ${issue.message}`);
  }
  return lines.join('\n');
}

export interface ResolveInput {
  /** Values given as flags (only those actually on the command line). */
  flags: Partial<StartOptions> & { config?: string };
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Merges flags, environment, config file and defaults (in that order of precedence). */
export async function resolveStartOptions({ flags, env = process.env, cwd = process.cwd() }: ResolveInput): Promise<Resolved> {
  const configPath = findConfigFile(flags.config ?? (env.ERLMCP_CONFIG || undefined), cwd);
  const file = configPath ? await loadConfigFile(configPath) : {};
  const options: Record<string, unknown> = {};
  const origins: Record<string, Origin> = {};
  for (const key of CONFIG_KEYS) {
    if (key === '$schema') continue;
    const flag = (flags as Record<string, unknown>)[key];
    if (flag !== undefined) {
      options[key] = flag;
      origins[key] = 'flag';
      continue;
    }
    const envSpec = ENV_VARS[key];
    const name = envSpec?.names.find((n) => env[n] !== undefined && env[n] !== '');
    if (envSpec && name) {
      try {
        options[key] = envSpec.parse(env[name]!);
      } catch (e) {
        throw new CliError(`environment variable ${name}=${JSON.stringify(env[name])}: ${(e as Error).message}`, EXIT_USAGE);
      }
      origins[key] = `env ${name}`;
      continue;
    }
    if (file[key] !== undefined) {
      options[key] = file[key];
      origins[key] = 'config';
      continue;
    }
    const dflt = (DEFAULTS as Record<string, unknown>)[key];
    if (dflt !== undefined) {
      options[key] = dflt;
      origins[key] = 'default';
    }
  }
  return { options: options as unknown as StartOptions, origins, configPath };
}

/** "(from PORT)" / "(from erlmcp.config.json)" / "" for a flag or default. */
export function describeOrigin(origin: Origin | undefined, configPath?: string): string {
  if (!origin || origin === 'flag' || origin === 'default') return '';
  if (origin === 'config') return ` (from ${configPath ?? 'the config file'})`;
  return ` (from ${origin.slice(4)})`;
}
