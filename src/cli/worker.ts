/**
 * A worker of `erlmcp start` (service.ts forks it under the supervisor): serves the same
 * `startInProcess` a single process would, with the options the primary passed in
 * START_OPTIONS_ENV, under the worker runtime (crash guards, drain, `listening` report).
 */
import { runWorker } from '../cluster/index.js';
import { ForwardingChain } from '../features/audit/chain.js';
import { isRedisAuditTarget } from '../features/auth/configure.js';
import { START_OPTIONS_ENV } from './service.js';
import { startInProcess, type StartOptions } from './start.js';

const raw = process.env[START_OPTIONS_ENV];
if (!raw) throw new Error(`${START_OPTIONS_ENV} is not set: this module is started by erlmcp start`);
const options = JSON.parse(raw) as StartOptions;
const log = (line: string): void => console.error(line);

await runWorker(async () => {
  // The supervisor owns an audit file (service.ts): records go to it, not to the file.
  const forward = options.auditLog !== undefined && !isRedisAuditTarget(options.auditLog) ? new ForwardingChain((m, done) => process.send!(m, undefined, {}, done)) : undefined;
  const running = await startInProcess(options, log, forward, true);
  return {
    port: running.port,
    nodeId: running.nodeId,
    drain: ({ graceMs, handover }) => running.drain!(graceMs, handover),
    failInFlight: (reason) => running.failInFlight!(reason),
    close: () => running.close(),
  };
}, { drainTimeoutMs: options.drainTimeout, log });
