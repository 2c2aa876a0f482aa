/**
 * The self-contained HTML report: provenance, the endpoint table, charts (SVG rendered in Node,
 * inlined), individual effects and subgroups, replicate figures and notes. No script, no
 * external resource: it opens offline in any browser.
 */
import { forestChart, individualEffectChart, kaplanMeierChart, powerChart, renderSvg, trajectoryChart } from './charts.js';
import { formatNumber, formatP, formatPercent } from './format.js';
import type { PowerCurve } from './power.js';
import type { Report } from './report.js';

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function table(header: string[], rows: string[][], className = ''): string {
  const head = header.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((r) => '<tr>' + r.map((c) => `<td>${escapeHtml(c)}</td>`).join('') + '</tr>').join('\n');
  return `<table class="${className}"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

const STYLE = `
body { font-family: Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { font-size: 1.25em; margin-top: 1.6em; border-bottom: 1px solid #ddd; }
.meta { color: #555; font-size: 0.9em; } .meta code { font-size: 0.95em; }
table { border-collapse: collapse; font-size: 0.9em; margin: 0.6em 0; } th, td { padding: 0.3em 0.7em; border-bottom: 1px solid #eee; text-align: left; }
th { background: #f6f6f6; } td:nth-child(n+5) { font-variant-numeric: tabular-nums; }
.chart { margin: 0.8em 0; overflow-x: auto; } .note { background: #fff8e5; border-left: 4px solid #f0b400; padding: 0.5em 0.8em; font-size: 0.9em; }
`;

/** Render the report (and an optional power curve) as one self-contained HTML page. */
export async function renderHtml(report: Report, extras: { power?: PowerCurve } = {}): Promise<string> {
  const run = report.run;
  const level = Math.round(100 * (1 - report.alpha));
  const parts: string[] = [];
  parts.push(`<h1>${escapeHtml(report.trial.name)}</h1>`);
  parts.push(
    `<p class="meta">Trial file <code>${escapeHtml(run.trialFile)}</code> (sha256 <code>${escapeHtml(run.trialSha256)}</code>)<br>` +
      `seed ${run.seed} · engine ${escapeHtml(run.engine)} (<code>${escapeHtml(run.modelHash)}</code>) · backend ${escapeHtml(run.backend)} · ` +
      `${run.workers} worker${run.workers === 1 ? '' : 's'} · ${formatNumber(run.wallSeconds, 1)} s · started ${escapeHtml(run.startedAt)}<br>` +
      `vtrial ${escapeHtml(run.versions.vtrial)}${run.versions.world ? ` (world ${run.versions.world})` : ''} · node ${escapeHtml(run.versions.node)}${run.versions.tfjs ? ` · tfjs ${escapeHtml(run.versions.tfjs)}` : ''}</p>`,
  );
  parts.push('<h2>Arms</h2>');
  parts.push(table(['arm', 'label', 'role', 'randomised'], report.arms.map((a) => [a.id, a.label, a.role, String(a.randomised)])));

  parts.push('<h2>Endpoints</h2>');
  parts.push(
    table(
      ['endpoint', 'measure', 'comparison', 'effect', 'estimate', `${level}% CI`, 'p', 'n analysed / randomised', 'method'],
      report.endpoints.map((e) => [
        e.name + (e.primary ? ' (primary)' : ''),
        `${e.variable} ${e.measure.replace(/_/g, ' ')}, day ${e.day}`,
        e.comparison,
        e.effectMeasure + (e.unit ? ` (${e.unit})` : ''),
        formatNumber(e.estimate),
        `${formatNumber(e.ci[0])} to ${formatNumber(e.ci[1])}`,
        formatP(e.p),
        Object.entries(e.n)
          .map(([arm, c]) => `${arm} ${c.analysed}/${c.randomised}`)
          .join(', '),
        e.method + (e.hedgesG ? `; Hedges' g ${formatNumber(e.hedgesG.g)}` : '') + (e.logRank ? `; log-rank p ${formatP(e.logRank.p)}` : '') + (e.error ? ` (${e.error})` : ''),
      ]),
    ),
  );
  const armRows = report.endpoints.flatMap((e) =>
    Object.entries(e.arms).map(([arm, s]) => [e.name, arm, formatNumber(s.baselineMean), formatNumber(s.mean), formatNumber(s.sd), String(s.n), s.events !== undefined ? String(s.events) : '']),
  );
  parts.push('<h3>Per arm (analysed twins)</h3>');
  parts.push(table(['endpoint', 'arm', 'baseline mean', 'outcome mean (risk)', 'SD', 'n', 'events'], armRows));

  const charts: [string, ReturnType<typeof trajectoryChart>][] = [
    ['Mean trajectories by arm (95% band for the mean, observed twins)', trajectoryChart(report)],
    ['Forest plot of endpoint effects (95% CI; * primary)', forestChart(report)],
    ['Individual treatment effects (paired counterfactuals; red line: mean)', individualEffectChart(report)],
    ['Kaplan-Meier curves', kaplanMeierChart(report)],
  ];
  if (extras.power) charts.push(['Power curve', powerChart(extras.power)]);
  for (const [title, spec] of charts) {
    if (!spec) continue;
    parts.push(`<h2>${escapeHtml(title)}</h2>`);
    parts.push(`<div class="chart">${await renderSvg(spec)}</div>`);
  }

  const individual = report.endpoints.filter((e) => e.individual);
  if (individual.length) {
    parts.push('<h2>Individual effects and subgroups</h2>');
    parts.push(`<p class="note">${escapeHtml(individual[0].individual!.note)}</p>`);
    parts.push(
      table(
        ['endpoint', 'mean', 'SD', '5%', 'median', '95%', 'responder threshold', 'share responders'],
        individual.map((e) => {
          const i = e.individual!;
          return [e.name, formatNumber(i.mean), formatNumber(i.sd), formatNumber(i.quantiles.p05), formatNumber(i.quantiles.p50), formatNumber(i.quantiles.p95), formatNumber(i.responderThreshold), formatPercent(i.shareResponders)];
        }),
      ),
    );
    parts.push(
      table(
        ['endpoint', 'subgroup', 'level', 'n', 'mean individual effect', '95% CI', 'interaction p (observed data)'],
        individual.flatMap((e) =>
          e.individual!.subgroups.flatMap((s) =>
            s.levels.map((l, k) => [e.name, s.factor, l.level, String(l.n), formatNumber(l.meanEffect), `${formatNumber(l.ci95[0])} to ${formatNumber(l.ci95[1])}`, k === 0 && s.interaction ? formatP(s.interaction.p) : '']),
          ),
        ),
      ),
    );
  }
  if (report.replicates) {
    const r = report.replicates;
    parts.push(`<h2>Replicates (${r.replicates} trials, Monte Carlo SE in brackets)</h2>`);
    parts.push(
      table(
        ['endpoint', 'power', 'mean estimate', 'SD of estimate', '2.5% - 97.5%', 'mean CI width', 'CI coverage of true effect', 'bias'],
        r.endpoints.map((e) => [
          e.name,
          `${formatPercent(e.power, 1)} (${formatPercent(e.powerMcse, 1)})`,
          `${formatNumber(e.meanEstimate)} (${formatNumber(e.meanEstimateMcse)})`,
          `${formatNumber(e.sdEstimate)} (${formatNumber(e.sdEstimateMcse)})`,
          `${formatNumber(e.quantiles.p025)} to ${formatNumber(e.quantiles.p975)}`,
          `${formatNumber(e.meanCiWidth)} (${formatNumber(e.meanCiWidthMcse)})`,
          `${formatPercent(e.coverage, 1)} (${formatPercent(e.coverageMcse, 1)})`,
          `${formatNumber(e.bias)} (${formatNumber(e.biasMcse)})`,
        ]),
      ),
    );
  }
  if (extras.power) {
    const p = extras.power;
    parts.push(`<h2>Power by sample size</h2>`);
    parts.push(table(['twins', 'replicates', 'power', 'MC SE', 'MC 95% CI'], p.points.map((x) => [String(x.n), String(x.replicates), formatPercent(x.power, 1), formatPercent(x.mcse, 1), `${formatPercent(x.ci95[0], 1)} to ${formatPercent(x.ci95[1], 1)}`])));
    parts.push(`<p>Smallest size reaching ${formatPercent(p.target)} power: <b>${p.smallestN ?? 'none of the sizes tried'}</b>${p.nullCheck ? `; type-I error with identical arms ${formatPercent(p.nullCheck.rate, 1)} (95% MC CI ${formatPercent(p.nullCheck.ci95[0], 1)} to ${formatPercent(p.nullCheck.ci95[1], 1)}, nominal ${p.nullCheck.alpha})` : ''}.</p>`);
  }
  if (report.notes.length) {
    parts.push('<h2>Notes</h2>');
    parts.push('<ul>' + report.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('') + '</ul>');
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(report.trial.name)} - vtrial report</title><style>${STYLE}</style></head>
<body>
${parts.join('\n')}
<p class="meta">Generated by vtrial ${escapeHtml(run.versions.vtrial)}. Report format ${escapeHtml(report.format)}.</p>
</body></html>
`;
}
