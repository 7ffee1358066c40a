/** Median and spread of a few rounds; the ratio of two medians. */
export interface Summary {
  readonly n: number;
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly samples: readonly number[];
}

export function summarize(samples: readonly number[]): Summary {
  const s = [...samples].filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  const n = s.length;
  const median = n === 0 ? Number.NaN : n % 2 ? (s[(n - 1) / 2] ?? Number.NaN) : ((s[n / 2 - 1] ?? 0) + (s[n / 2] ?? 0)) / 2;
  return { n, median, min: s[0] ?? Number.NaN, max: s[n - 1] ?? Number.NaN, samples: samples.map((x) => Math.round(x)) };
}

export const ratio = (a: Summary, b: Summary): number => a.median / b.median;

export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}

export function fmtSummary(s: Summary): string {
  return s.n ? `${fmtMs(s.median)} (${fmtMs(s.min)}–${fmtMs(s.max)})` : '-';
}
