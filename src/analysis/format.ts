/** Number formatting shared by the terminal summary and the HTML report. Null/NaN print as an em dash. */
export function formatNumber(x: number | null | undefined, digits?: number): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  if (digits !== undefined) return x.toFixed(digits);
  const a = Math.abs(x);
  if (a >= 1000) return x.toFixed(0);
  if (a >= 100) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  if (a < 1e-10) return '0'; // rounding noise (e.g. the SD of identical individual effects)
  return x.toPrecision(3);
}

export function formatP(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return '—';
  if (p < 0.001) return '<0.001';
  return p.toFixed(3);
}

export function formatPercent(x: number | null | undefined, digits = 0): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  return (100 * x).toFixed(digits) + '%';
}
