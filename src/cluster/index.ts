export { runCluster, type ClusterOptions, type ClusterHandle, type WorkerConfig } from './cluster.js';
export { RoundRobinProxy, type RoundRobinProxyOptions, type ProxiedRequest, type ProxyLogEntry } from './proxy.js';
