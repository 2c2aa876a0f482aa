import { normalQuantile } from './distributions.js';

/**
 * Wilson score interval for a binomial proportion, without continuity correction; the same
 * as R's `prop.test(x, n, correct = FALSE)$conf.int`.
 *
 * Wilson EB. J Am Stat Assoc 1927;22:209-12 doi:10.1080/01621459.1927.10502953
 *
 * O(1).
 *
 * @example
 * wilsonInterval(5, 10); // => [0.2366, 0.7634]
 */
export function wilsonInterval(events: number, n: number, alpha = 0.05): [number, number] {
  if (!(n > 0)) throw new Error(`wilsonInterval requires at least one trial, received ${n}`);
  const z = normalQuantile(1 - alpha / 2);
  const p = events / n;
  const z2 = z * z;
  const centre = (events + z2 / 2) / (n + z2);
  const halfWidth = ((z * Math.sqrt(n)) / (n + z2)) * Math.sqrt(p * (1 - p) + z2 / (4 * n));
  return [Math.max(0, centre - halfWidth), Math.min(1, centre + halfWidth)];
}
