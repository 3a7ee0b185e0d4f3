export { runCluster, type ClusterOptions, type ClusterHandle, type WorkerConfig } from './cluster.js';
export { RoundRobinProxy, type RoundRobinProxyOptions, type ProxiedRequest, type ProxyLogEntry } from './proxy.js';
export { installCrashGuards, describeThrown, type CrashGuardOptions, type CrashGuards } from './crash-guards.js';
export { Supervisor, pickPort, DEFAULT_MAX_RESTARTS, DEFAULT_RESTART_WINDOW_MS, type SupervisorOptions, type SupervisorExit } from './supervisor.js';
export { runWorker, CRASH_REASON, DEFAULT_DRAIN_TIMEOUT_MS, type WorkerService, type RunWorkerOptions, type WorkerMessage, type SupervisorMessage } from './worker-runtime.js';
