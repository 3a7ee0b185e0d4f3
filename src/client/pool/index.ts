export { ClientPool, type PoolCallOptions } from './pool.js';
export {
  POOL_DEFAULTS,
  type BreakerOptions,
  type CircuitStatus,
  type ClientFactory,
  type PoolEvents,
  type PoolOptions,
  type PoolStats,
  type RetryOptions,
  type SessionEndReason,
  type UpstreamSpec,
  type UpstreamStats,
} from './options.js';
export { isUpstreamFailure } from './resilience.js';
export { ToolSafety } from './safe.js';
