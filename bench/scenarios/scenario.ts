/** What every scenario module exports. */
import type { BenchConfig } from '../lib/config.js';
import type { ScenarioResult } from '../lib/report.js';

export interface Scenario {
  /** Short id, used by --only and as the row prefix in the table. */
  name: string;
  /** One line for docs and logs. */
  title: string;
  /** Ours against ours (e.g. telemetry off and on, as separate rows): only the ours column has numbers. */
  oursOnly?: boolean;
  run(cfg: BenchConfig): Promise<ScenarioResult>;
}
