/** Every scenario, in run order: cheapest and least disruptive (in-process) first. */
import { httpCannonScenario } from './http-cannon.js';
import { httpClientScenario } from './http-client.js';
import { idleSessionsScenario } from './idle-sessions.js';
import { largePayloadScenario } from './large-payload.js';
import { listVsCallScenario } from './list-vs-call.js';
import { longRunScenario } from './long-run.js';
import { memoryScenario } from './memory.js';
import type { Scenario } from './scenario.js';
import { stdioScenario } from './stdio.js';

export const SCENARIOS: readonly Scenario[] = [
  memoryScenario,
  stdioScenario,
  httpCannonScenario,
  httpClientScenario,
  listVsCallScenario,
  largePayloadScenario,
  idleSessionsScenario,
  longRunScenario,
];
