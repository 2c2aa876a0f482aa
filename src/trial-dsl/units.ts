/**
 * Durations and doses as written in trial files.
 */
import { DAYS_PER_MONTH, DAYS_PER_WEEK, DAYS_PER_YEAR } from './spec.js';

const DURATION_RE = /^\s*([0-9]+(?:\.[0-9]+)?)\s*(d|day|days|w|wk|wks|week|weeks|mo|month|months|y|yr|yrs|year|years)\s*$/i;

/**
 * Parse a duration into days. Returns undefined when the text is not a duration.
 * parseDuration('8 weeks') // => 56
 * parseDuration('6mo') // => 182.625
 */
export function parseDuration(x: unknown): number | undefined {
  if (x === 0 || x === '0') return 0;
  if (typeof x !== 'string') return undefined;
  if (x.trim().toLowerCase() === 'baseline') return 0;
  const m = DURATION_RE.exec(x);
  if (!m) return undefined;
  const v = Number(m[1]);
  const unit = m[2].toLowerCase();
  if (unit.startsWith('d')) return v;
  if (unit.startsWith('w')) return v * DAYS_PER_WEEK;
  if (unit.startsWith('m')) return v * DAYS_PER_MONTH;
  return v * DAYS_PER_YEAR;
}

/** Human label for a visit day: 'baseline', 'week 8', 'month 6', 'day 10'. */
export function dayLabel(day: number): string {
  if (day === 0) return 'baseline';
  const weeks = day / DAYS_PER_WEEK;
  if (Number.isInteger(Math.round(weeks * 1e6) / 1e6)) return `week ${Math.round(weeks)}`;
  const months = day / DAYS_PER_MONTH;
  if (Math.abs(months - Math.round(months)) < 1e-6) return `month ${Math.round(months)}`;
  return `day ${+day.toFixed(2)}`;
}

const DOSE_RE = /^\s*([0-9]+(?:\.[0-9]+)?)\s*(mg|g|mcg|ug)\s*$/i;

/** Parse a dose with unit into the target unit ('mg' or 'g'). */
export function parseDose(x: unknown, target: 'mg' | 'g'): number | undefined {
  if (typeof x !== 'string') return undefined;
  const m = DOSE_RE.exec(x);
  if (!m) return undefined;
  const v = Number(m[1]);
  const unit = m[2].toLowerCase();
  const mg = unit === 'mg' ? v : unit === 'g' ? v * 1000 : v / 1000;
  return target === 'mg' ? mg : mg / 1000;
}

/** Parse a supplement dose into 'mg/day' or 'g/day'. */
export function parseDailyDose(x: unknown, target: 'mg/day' | 'g/day'): number | undefined {
  return parseDose(x, target === 'mg/day' ? 'mg' : 'g');
}
