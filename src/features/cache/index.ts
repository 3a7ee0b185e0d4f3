/**
 * The two-level cache (docs/cache.md): L1 in-process LRU, L2 Redis, single flight, invalidation
 * across nodes. Two shapes over one core: server middleware (`cache`) and a client wrapper
 * (`cacheClient`) for a gateway in front of an upstream.
 */
export { McpCache, type CacheRequest, type CacheStats } from './cache.js';
export { cache, type CacheMiddleware, type ServerCacheOptions } from './server.js';
export { cacheClient, type ClientCacheOptions } from './client.js';
export { canonicalJson, identityOf, type CacheClass } from './key.js';
export { CACHE_DEFAULTS, type CachePolicy, type CacheScope, type McpCacheOptions } from './options.js';
