/** Order statistics for benchmark samples. Percentiles use the nearest-rank method. */

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** p in [0, 100]; `sorted` must be ascending. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const rank = Math.min(n, Math.max(1, Math.ceil((p / 100) * n)));
  return sorted[rank - 1] as number;
}

export interface Summary {
  p50: number;
  p99: number;
  mean: number;
  max: number;
}

/** Sorts in place (callers hand over a scratch buffer). */
export function summarize(samples: Float64Array): Summary {
  if (samples.length === 0) return { p50: NaN, p99: NaN, mean: NaN, max: NaN };
  samples.sort();
  let sum = 0;
  for (const x of samples) sum += x;
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), mean: sum / samples.length, max: samples[samples.length - 1] as number };
}
