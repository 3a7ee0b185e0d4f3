/** Every scenario, in run order: cheapest and least disruptive (in-process) first. */
import { authScenario } from './auth.js';
import { batchScenario } from './batch.js';
import { cacheScenario } from './cache.js';
import { httpCannonScenario } from './http-cannon.js';
import { httpClientScenario } from './http-client.js';
import { gatewayScenario } from './gateway.js';
import { idleSessionsScenario } from './idle-sessions.js';
import { largePayloadScenario } from './large-payload.js';
import { listVsCallScenario } from './list-vs-call.js';
import { longRunScenario } from './long-run.js';
import { memoryScenario } from './memory.js';
import { modernScenario } from './modern.js';
import { poolScenario } from './pool.js';
import { scaleOutScenario } from './scale-out.js';
import { seamScenario } from './seam.js';
import type { Scenario } from './scenario.js';
import { stdioScenario } from './stdio.js';
import { telemetryScenario } from './telemetry.js';
import { transportsScenario } from './transports.js';

export const SCENARIOS: readonly Scenario[] = [
  memoryScenario,
  stdioScenario,
  httpCannonScenario,
  modernScenario,
  httpClientScenario,
  seamScenario,
  cacheScenario,
  authScenario,
  transportsScenario,
  telemetryScenario,
  listVsCallScenario,
  poolScenario,
  batchScenario,
  gatewayScenario,
  largePayloadScenario,
  idleSessionsScenario,
  longRunScenario,
  scaleOutScenario,
];
