/** Every scenario, in run order: cheapest and least disruptive (in-process) first. */
import { authScenario } from './auth.js';
import { httpCannonScenario } from './http-cannon.js';
import { httpClientScenario } from './http-client.js';
import { idleSessionsScenario } from './idle-sessions.js';
import { largePayloadScenario } from './large-payload.js';
import { listVsCallScenario } from './list-vs-call.js';
import { longRunScenario } from './long-run.js';
import { memoryScenario } from './memory.js';
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
  httpClientScenario,
  seamScenario,
  authScenario,
  transportsScenario,
  telemetryScenario,
  listVsCallScenario,
  largePayloadScenario,
  idleSessionsScenario,
  longRunScenario,
  scaleOutScenario,
];
