/**
 * The config file's schema (zod 4): every `erlmcp start` option, named like its flag in
 * camelCase. Unknown keys are refused (a typo must not be silently ignored).
 *
 * Reserved sections — `limits`, `auth`, `telemetry` — are accepted as given and passed through
 * on StartOptions; the features that will read them validate their own shape.
 */
import * as z from 'zod';

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
    // Reserved sections: shape checked by the features that will use them.
    adminToken: z.string().min(16, 'expected at least 16 characters'),
    // Reserved sections: shape checked by the features that use them.
    limits: z.record(z.string(), z.unknown()),
    auth: z.record(z.string(), z.unknown()),
    telemetry: z.record(z.string(), z.unknown()),
  })
  .partial();

export type ConfigFile = z.infer<typeof configSchema>;

export const CONFIG_KEYS = Object.keys(configSchema.shape) as (keyof ConfigFile)[];
