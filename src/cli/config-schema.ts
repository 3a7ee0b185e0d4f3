/**
 * The config file's schema (zod 4): every `erlmcp start` option, named like its flag in
 * camelCase (transports, limits, auth, telemetry, Redis, supervision). Unknown keys are refused
 * (a typo must not be silently ignored).
 */
import * as z from 'zod';
import { LOG_LEVELS } from '../features/telemetry/config.js';

const port = z.int('expected an integer from 0 to 65535').min(0, 'expected an integer from 0 to 65535').max(65535, 'expected an integer from 0 to 65535 (0 picks a free port)');
const path = z.string().min(1, 'expected a file path');
const count = z.int('expected a positive integer').min(1, 'expected a positive integer');

const redisUrl = z.string().refine((v) => {
  try {
    const u = new URL(v);
    return u.protocol === 'redis:' || u.protocol === 'rediss:';
  } catch {
    return false;
  }
}, 'expected a redis:// or rediss:// URL, such as redis://127.0.0.1:6379');

export const configSchema = z
  .strictObject({
    /** Editors read this; erlmcp ignores it. */
    $schema: z.string(),
    port,
    host: z.string().min(1, 'expected a host name or address'),
    module: path,
    json: z.boolean(),
    stdio: z.boolean(),
    ws: z.boolean(),
    legacySse: z.boolean(),
    tcpPort: port,
    tlsCert: path,
    tlsKey: path,
    cluster: z.int('expected a number of workers from 1 to 1024').min(1, 'expected a number of workers from 1 to 1024').max(1024, 'expected a number of workers from 1 to 1024'),
    redis: redisUrl,
    redisPrefix: z.string(),
    pidFile: path,
    allowedOrigins: z.array(z.string()),
    allowedHosts: z.array(z.string()),
    maxSessions: count,
    maxConnections: count,
    maxInFlight: count,
    toolTimeout: count,
    // "100/1" like the flag, or { points, duration } (requests per seconds).
    rateLimit: z.union([
      z.string().regex(/^[1-9]\d*\/[1-9]\d*$/, 'expected <requests>/<seconds>, e.g. "100/1"').transform((v) => ({ points: Number(v.split('/')[0]), duration: Number(v.split('/')[1]) })),
      z.strictObject({ points: count, duration: count }),
    ]),
    adminToken: z.string().min(16, 'expected at least 16 characters'),
    drainTimeout: z.int('expected milliseconds').min(0, 'expected milliseconds').max(3_600_000, 'expected at most 3600000 ms'),
    maxRestarts: z.int('expected a count').min(0, 'expected a count'),
    restartWindow: z.int('expected milliseconds').min(0, 'expected milliseconds'),
    authIssuer: z.url('expected the issuer URL'),
    authAudience: z.string().min(1),
    authJwks: z.url('expected the JWKS URL'),
    authResource: z.url('expected the public URL of the endpoint'),
    apiKeys: path,
    policy: path,
    auditLog: path,
    otel: z.boolean(),
    metrics: z.boolean(),
    metricsPort: port.min(1, 'expected a port from 1 to 65535'),
    logLevel: z.enum(LOG_LEVELS),
    dashboard: z.boolean(),
  })
  .partial();

export type ConfigFile = z.infer<typeof configSchema>;

export const CONFIG_KEYS = Object.keys(configSchema.shape) as (keyof ConfigFile)[];
