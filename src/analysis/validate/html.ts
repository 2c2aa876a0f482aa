/**
 * HTML report of a validation run: a forest plot of predicted against published effects with
 * their intervals and a predicted-versus-published scatter with the identity line, both
 * rendered to inline SVG in Node (vega-lite, through the analysis renderer), plus the table.
 *
 * Comparisons are in different units (mmHg, mg/dL, kg, %), so both charts put every effect on
 * one scale: divided by the published CI half-width. On that scale the published CI is
 * estimate +/- 1, zero stays zero (direction is visible), and the identity line still means
 * "predicted = published".
 */
import type { TopLevelSpec } from 'vega-lite';
import { renderSvg } from '../charts.js';
import { formatValidationText } from './format.js';
import { halfWidth } from './score.js';
import type { ValidationReport } from './run.js';

const FONT = 'Helvetica, Arial, sans-serif';
const CONFIG = { font: FONT, view: { stroke: '#ddd' }, axis: { labelFontSize: 10, titleFontSize: 11 }, legend: { labelFontSize: 11, titleFontSize: 11 } };

interface Row {
  id: string;
  source: 'published' | 'predicted';
  estimate: number;
  low: number;
  high: number;
  overlap: string;
}

function scaled(report: ValidationReport): Row[] {
  const rows: Row[] = [];
  for (const c of report.comparisons) {
    const h = halfWidth(c.published.ci95);
    const overlap = c.calibration_overlap === null ? 'not recorded' : c.calibration_overlap ? 'calibration overlap' : 'independent';
    rows.push({ id: c.id, source: 'published', estimate: c.published.estimate / h, low: c.published.ci95[0] / h, high: c.published.ci95[1] / h, overlap });
    if (c.predicted) {
      const [lo, hi] = c.predicted.mc95;
      rows.push({ id: c.id, source: 'predicted', estimate: c.predicted.estimate / h, low: Number.isFinite(lo) ? lo / h : c.predicted.estimate / h, high: Number.isFinite(hi) ? hi / h : c.predicted.estimate / h, overlap });
    }
  }
  return rows;
}

export function validationForestChart(report: ValidationReport): TopLevelSpec {
  const rows = scaled(report);
  const y = { field: 'id', type: 'nominal', title: null, sort: report.comparisons.map((c) => c.id) };
  const yOffset = { field: 'source', type: 'nominal' };
  const color = { field: 'source', type: 'nominal', title: null, scale: { domain: ['published', 'predicted'], range: ['#444', '#d62728'] } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    config: CONFIG,
    title: 'Predicted (Monte Carlo 95%) vs published effect (95% CI), in published CI half-widths',
    width: 520,
    height: { step: 22 },
    data: { values: rows },
    layer: [
      { mark: { type: 'rule', strokeDash: [4, 3], color: '#999' }, data: { values: [{ x: 0 }] }, encoding: { x: { field: 'x', type: 'quantitative' } } },
      { mark: 'rule', encoding: { y, yOffset, x: { field: 'low', type: 'quantitative', title: 'effect / published CI half-width' }, x2: { field: 'high' }, color } },
      { mark: { type: 'point', filled: true, size: 40 }, encoding: { y, yOffset, x: { field: 'estimate', type: 'quantitative' }, color, tooltip: [{ field: 'id' }, { field: 'source' }, { field: 'estimate', format: '.2f' }] } },
    ],
  } as unknown as TopLevelSpec;
}

export function validationScatterChart(report: ValidationReport): TopLevelSpec {
  const points = report.comparisons
    .filter((c) => c.predicted)
    .map((c) => {
      const h = halfWidth(c.published.ci95);
      return { id: c.id, published: c.published.estimate / h, predicted: c.predicted!.estimate / h, overlap: c.calibration_overlap === null ? 'not recorded' : c.calibration_overlap ? 'calibration overlap' : 'independent' };
    });
  const all = points.flatMap((p) => [p.published, p.predicted]);
  const lo = Math.min(0, ...all) - 1;
  const hi = Math.max(0, ...all) + 1;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    config: CONFIG,
    title: 'Predicted vs published (in published CI half-widths); line: identity',
    width: 360,
    height: 360,
    layer: [
      { data: { values: [{ x: lo, y: lo }, { x: hi, y: hi }] }, mark: { type: 'line', color: '#999', strokeDash: [4, 3] }, encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } } },
      {
        data: { values: points },
        mark: { type: 'point', filled: true, size: 50 },
        encoding: {
          x: { field: 'published', type: 'quantitative', title: 'published / half-width', scale: { domain: [lo, hi] } },
          y: { field: 'predicted', type: 'quantitative', title: 'predicted / half-width', scale: { domain: [lo, hi] } },
          color: { field: 'overlap', type: 'nominal', title: null },
          tooltip: [{ field: 'id' }, { field: 'published', format: '.2f' }, { field: 'predicted', format: '.2f' }],
        },
      },
    ],
  } as unknown as TopLevelSpec;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export async function renderValidationHtml(report: ValidationReport): Promise<string> {
  const forest = await renderSvg(validationForestChart(report));
  const scatter = report.comparisons.some((c) => c.predicted) ? await renderSvg(validationScatterChart(report)) : '<p>No comparison produced a prediction.</p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>vtrial validation: ${esc(report.folder)}</title>
<style>body{font-family:${FONT};margin:2em;max-width:1100px}pre{font-size:12px;background:#f7f7f7;padding:1em;overflow-x:auto}</style></head>
<body>
<h1>Validation: ${esc(report.folder)} (${esc(report.engine)} engine)</h1>
${report.simulators?.length ? `<p>Simulator: <code>${esc(report.simulators.join(', '))}</code> (reference world ${report.world})</p>\n` : ''}<p>Each comparison is a published randomised trial result (intervention minus control). The charts divide every
effect by its published 95% CI half-width, so comparisons in different units share one axis: the published CI spans
estimate &plusmn; 1, and a prediction inside it lies within 1 of the published point.</p>
<h2>Forest plot</h2>
${forest}
<h2>Predicted versus published</h2>
${scatter}
<h2>Table and summary</h2>
<pre>${esc(formatValidationText(report))}</pre>
</body></html>
`;
}
