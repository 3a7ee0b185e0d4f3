/**
 * The protection settings an operator gives `erlmcp start` (flags or config), applied the same
 * way in a single process and in every cluster worker: limits on the server definition, rate
 * limiting on the seam (in Redis when the stores are), and the HTTP server's Origin/Host
 * allow-lists and connection cap. Plain JSON, so it travels to workers in their config.
 */
import type { Redis } from 'ioredis';
import type { McpServer, ServerLimits } from '../server/index.js';
import type { StreamableHttpServerOptions } from '../transports/http/index.js';
import { rateLimit, type RateBudget } from './rate-limit.js';

export interface ProtectionConfig {
  limits?: ServerLimits;
  /** Requests per window per caller (subject, else session, else address). Off when absent. */
  rateLimit?: RateBudget & { perTool?: RateBudget | Record<string, RateBudget> };
  allowedOrigins?: string[];
  allowedHosts?: string[];
  maxConnections?: number;
}

/** Installs limits and rate limiting on `server`; `redis` shares the rate counters across nodes. */
export function applyProtection(server: McpServer, config: ProtectionConfig | undefined, redis?: Redis): void {
  if (!config) return;
  if (config.limits) server.configureLimits(config.limits);
  if (config.rateLimit) rateLimit(server, { ...config.rateLimit, ...(redis ? { redis } : {}) });
}

/** The StreamableHttpServer options the config sets. */
export function httpProtection(config: ProtectionConfig | undefined): Partial<StreamableHttpServerOptions> {
  const o: Partial<StreamableHttpServerOptions> = {};
  if (config?.allowedOrigins) o.allowedOrigins = config.allowedOrigins;
  if (config?.allowedHosts) o.allowedHosts = config.allowedHosts;
  if (config?.maxConnections !== undefined) o.maxConnections = config.maxConnections;
  return o;
}
