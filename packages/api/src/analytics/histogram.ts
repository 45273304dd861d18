import { LATENCY_BUCKET_BOUNDS_MS } from '@baton/db/schema';

/** Adds histograms element-wise (arrays may differ in length). */
export function addHist(a: number[], b: readonly number[]): number[] {
  const out = a.length >= b.length ? a : [...a, ...new Array(b.length - a.length).fill(0)];
  for (let i = 0; i < b.length; i++) out[i] = (out[i] ?? 0) + (b[i] ?? 0);
  return out;
}

/**
 * The q-quantile (0..1) of a fixed-bucket histogram, interpolating linearly
 * inside the bucket; null when it is empty. Bucket i spans
 * [bound[i-1], bound[i]); the last one [last bound, 2 × last bound).
 */
export function quantile(hist: readonly number[], q: number): number | null {
  const total = hist.reduce((s, n) => s + n, 0);
  if (total === 0) return null;
  const bounds = LATENCY_BUCKET_BOUNDS_MS;
  const target = q * total;
  let cum = 0;
  for (let i = 0; i < hist.length; i++) {
    const n = hist[i] ?? 0;
    if (n > 0 && cum + n >= target) {
      const lo = i === 0 ? 0 : bounds[i - 1]!;
      const hi = i < bounds.length ? bounds[i]! : bounds[bounds.length - 1]! * 2;
      return lo + ((target - cum) / n) * (hi - lo);
    }
    cum += n;
  }
  return bounds[bounds.length - 1]! * 2;
}
