/**
 * Rate limiting on the seam, with rate-limiter-flexible: in memory by default, in Redis when a
 * client is given (the limit then holds across every node of a cluster).
 *
 * Who is counted: the authenticated subject when an admission hook established one, else the
 * session, else the remote address. Where:
 * - before a session exists (initialize, stateless requests), in the admission hook: HTTP 429
 *   with `Retry-After` — the client has no session to carry a JSON-RPC error yet;
 * - inside a session, in the middleware, per JSON-RPC request: -32000 with
 *   `data: { reason: 'rate_limited', retryAfterMs }`, and the session keeps serving.
 * Optionally each tool has a budget of its own per caller (`perTool`).
 */
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { limitError } from '../protocol/errors.js';
import type { AuthInfo } from '../protocol/transport.js';
import type { AdmissionRequest, AdmissionVerdict, Call, McpServer } from '../server/index.js';

export interface RateBudget {
  /** Requests allowed per window. */
  points: number;
  /** Window length in seconds. */
  duration: number;
}

export interface RateLimitOptions extends RateBudget {
  /** Each tool's own budget per caller: one budget for every tool, or per tool name. */
  perTool?: RateBudget | Record<string, RateBudget>;
  /** Share the counters across nodes (ioredis client). Default: this process's memory. */
  redis?: Redis;
  /** Key prefix in the store. Default 'erlmcp:rl'. */
  keyPrefix?: string;
  /** Count before a session exists too (admission, HTTP 429). Default true. */
  admission?: boolean;
}

function limiter(budget: RateBudget, keyPrefix: string, redis: Redis | undefined): RateLimiterAbstract {
  const base = { points: budget.points, duration: budget.duration, keyPrefix };
  if (!redis) return new RateLimiterMemory(base);
  // While Redis is unreachable each node limits on its own rather than refusing everyone.
  return new RateLimiterRedis({ ...base, storeClient: redis, insuranceLimiter: new RateLimiterMemory(base) });
}

function isBudget(x: unknown): x is RateBudget {
  return typeof x === 'object' && x !== null && typeof (x as RateBudget).points === 'number' && typeof (x as RateBudget).duration === 'number';
}

/** Who a request counts against. */
export function callerKey(auth: AuthInfo | undefined, sessionId: string | undefined, remoteAddress: string | undefined): string {
  if (auth?.subject !== undefined) return `sub:${auth.subject}`;
  if (sessionId !== undefined) return `sid:${sessionId}`;
  return `ip:${remoteAddress ?? 'unknown'}`;
}

/** Milliseconds until a refused caller may retry, from what the limiter rejected with (a store error rethrows). */
function retryAfter(e: unknown): number {
  if (e instanceof RateLimiterRes) return Math.max(1, Math.ceil(e.msBeforeNext));
  throw e;
}

/**
 * Installs rate limiting on `server` (an admission hook and a middleware).
 *
 * @example
 * rateLimit(server, { points: 100, duration: 1, perTool: { search: { points: 5, duration: 1 } } });
 */
export function rateLimit(server: McpServer, options: RateLimitOptions): void {
  const prefix = options.keyPrefix ?? 'erlmcp:rl';
  const requests = limiter(options, `${prefix}:req`, options.redis);
  const per = options.perTool;
  const shared = isBudget(per) ? limiter(per, `${prefix}:tool`, options.redis) : undefined;
  const named = new Map<string, RateLimiterAbstract>();
  if (per && !isBudget(per)) for (const [name, b] of Object.entries(per)) named.set(name, limiter(b, `${prefix}:tool:${name}`, options.redis));

  if (options.admission !== false) {
    server.admit(async (req: AdmissionRequest, identity: AuthInfo | undefined): Promise<AdmissionVerdict> => {
      // Inside a session every JSON-RPC request is counted by the middleware below.
      if (req.sessionId !== undefined) return undefined;
      try {
        await requests.consume(callerKey(identity, undefined, req.remoteAddress));
        return undefined;
      } catch (e) {
        const ms = retryAfter(e);
        return {
          refuse: {
            status: 429,
            message: `Too Many Requests: retry in ${ms} ms`,
            headers: { 'retry-after': String(Math.ceil(ms / 1000)) },
            data: { reason: 'rate_limited', retryAfterMs: ms },
          },
        };
      }
    });
  }

  server.use(async (call: Call, next) => {
    const key = callerKey(call.auth, call.session?.id, call.remoteAddress);
    try {
      await requests.consume(key);
      if (call.method === 'tools/call' && call.target !== undefined) {
        const tool = named.get(call.target) ?? shared;
        if (tool) await tool.consume(`${key}:${call.target}`);
      }
    } catch (e) {
      const ms = retryAfter(e);
      throw limitError('rate_limited', `Rate limit exceeded${call.method === 'tools/call' ? ` for ${call.target ?? 'this tool'}` : ''}; retry in ${ms} ms`, { retryAfterMs: ms });
    }
    return next();
  });
}
