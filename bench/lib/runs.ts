/**
 * Repeated measurements, interleaved (ours, sdk, raw, ours, sdk, raw…) so drift in machine
 * load hits every implementation alike; each metric reported as the median over runs.
 */
import { errorText } from './load.js';
import type { Cell, Impl, Row } from './report.js';
import { median } from './stats.js';

export type Sample = Record<string, number>;
export type Measure = () => Promise<Sample>;
export type Outcome = Partial<Record<Impl, Record<string, number> | string>>;

export async function interleave(runs: number, measures: Partial<Record<Impl, Measure>>): Promise<Outcome> {
  const samples: Partial<Record<Impl, Sample[]>> = {};
  const failed: Partial<Record<Impl, string>> = {};
  for (let run = 0; run < runs; run++) {
    for (const [impl, measure] of Object.entries(measures) as [Impl, Measure][]) {
      if (failed[impl] !== undefined) continue;
      try {
        (samples[impl] ??= []).push(await measure());
      } catch (e) {
        // Record the failure as the result (e.g. a payload limit) and stop retrying that side.
        failed[impl] = errorText(e);
      }
    }
  }
  const out: Outcome = {};
  for (const impl of Object.keys(measures) as Impl[]) {
    const list = samples[impl];
    if (failed[impl] !== undefined && !list?.length) {
      out[impl] = failed[impl];
      continue;
    }
    const medians: Record<string, number> = {};
    for (const key of Object.keys(list?.[0] ?? {})) medians[key] = median((list ?? []).map((s) => s[key] as number));
    out[impl] = medians;
  }
  return out;
}

export interface MetricDef {
  key: string;
  metric: string;
  unit: string;
  better: 'higher' | 'lower';
  headline?: boolean;
}

/** One row per metric; an implementation that failed shows its error text in every row. */
export function toRows(scenario: string, defs: readonly MetricDef[], outcome: Outcome): Row[] {
  const pick = (impl: Impl, key: string): Cell => {
    const o = outcome[impl];
    return typeof o === 'string' ? o : o?.[key];
  };
  return defs.map((d) => ({
    scenario,
    metric: d.metric,
    unit: d.unit,
    better: d.better,
    headline: d.headline,
    ours: pick('ours', d.key),
    sdk: pick('sdk', d.key),
    raw: pick('raw', d.key),
    ...(outcome.tmcp === undefined ? {} : { tmcp: pick('tmcp', d.key) }),
  }));
}
