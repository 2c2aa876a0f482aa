/** Plain-text rendering of a validation report: one line per comparison, then the summary. */
import type { GroupSummary } from './score.js';
import type { ValidationReport } from './run.js';

function num(x: number | null | undefined, digits = 2): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '-';
  const a = Math.abs(x);
  const d = a >= 100 ? 1 : a >= 10 ? Math.min(digits, 2) : digits;
  return x.toFixed(d);
}

function yesNo(x: boolean | null): string {
  return x === null ? 'n/s' : x ? 'yes' : 'NO';
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function group(label: string, g: GroupSummary): string[] {
  const cal = g.calibration ? `${num(g.calibration.slope)} (intercept ${num(g.calibration.intercept)}, n=${g.calibration.n})` : '- (fewer than 3 predictions)';
  return [
    `${label} (${g.n} comparisons, ${g.n_predicted} predicted)`,
    `  direction agreement        ${g.direction.ok}/${g.direction.scored} scored (published CI excludes zero)`,
    `  inside published CI        ${g.inside_ci.ok}/${g.inside_ci.n}`,
    `  mean absolute error        ${num(g.mean_abs_error)} (each comparison in its own unit)`,
    `  mean |error| / half-width  ${num(g.mean_abs_error_halfwidths)}   (signed mean ${num(g.mean_error_halfwidths)})`,
    `  calibration slope          ${cal}`,
  ];
}

export function formatValidationText(report: ValidationReport): string {
  const lines: string[] = [];
  lines.push(`Validation of ${report.folder} on the ${report.engine} engine: ${report.comparisons.length} comparisons`);
  if (report.simulators?.length) lines.push(`Simulator: ${report.simulators.join(', ')} (reference world ${report.world})`);
  lines.push('');
  const w = Math.max(10, ...report.comparisons.map((c) => c.id.length));
  lines.push(`${pad('comparison', w)}  ${pad('published [95% CI]', 30)}  ${pad('predicted (MC 95%)', 30)}  ${pad('dir', 4)} ${pad('in CI', 5)} ${pad('err/hw', 7)} overlap`);
  for (const c of report.comparisons) {
    const pub = `${num(c.published.estimate)} [${num(c.published.ci95[0])}, ${num(c.published.ci95[1])}]`;
    const pred = c.predicted ? `${num(c.predicted.estimate)} (${num(c.predicted.mc95[0])}, ${num(c.predicted.mc95[1])})` : 'not run';
    const unit = c.unit ? ` ${c.unit}` : '';
    lines.push(
      `${pad(c.id, w)}  ${pad(pub, 30)}  ${pad(pred, 30)}  ${pad(yesNo(c.direction_ok), 4)} ${pad(c.inside_ci ? 'yes' : 'NO', 5)} ${pad(num(c.error_halfwidths), 7)} ${c.calibration_overlap === null ? '?' : c.calibration_overlap ? 'yes' : 'no'}${unit ? '  ' + unit.trim() : ''}`,
    );
    if (c.failure) lines.push(`${' '.repeat(w)}  ! ${c.failure}`);
  }
  lines.push('');
  lines.push('dir: predicted sign matches the published one (n/s: not scored, the published CI includes zero); err/hw: (predicted - published) / published CI half-width.');
  lines.push('');
  lines.push(...group('All comparisons', report.summary));
  lines.push('');
  lines.push(...group('Calibration overlap (trial informed the reference world)', report.summary.by_overlap.overlap));
  lines.push('');
  lines.push(...group('Independent (no calibration overlap)', report.summary.by_overlap.independent));
  if (report.summary.by_overlap.unknown.n > 0) {
    lines.push('');
    lines.push(...group('Overlap not recorded', report.summary.by_overlap.unknown));
  }
  return lines.join('\n') + '\n';
}
