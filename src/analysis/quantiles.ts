/**
 * Sample quantile of sorted data by linear interpolation between order statistics
 * (Hyndman and Fan type 7, R's `quantile` default).
 *
 * Hyndman RJ, Fan Y. Am Stat 1996;50:361-5 doi:10.1080/00031305.1996.10473566
 *
 * O(1) on sorted input.
 *
 * @example
 * quantileSorted([1, 2, 3, 4], 0.5); // => 2.5
 */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}
