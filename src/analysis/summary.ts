/**
 * The readable terminal summary of a report: a header with provenance, one table row per
 * endpoint (estimate, interval, p, n analysed / randomised per arm), individual effects and
 * replicate figures when present. Plain text; colour is the CLI's business.
 */
import { formatNumber, formatP, formatPercent } from './format.js';
import type { Report } from './report.js';

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]): string => cells.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function renderSummary(report: Report): string {
  const out: string[] = [];
  const run = report.run;
  out.push(`${report.trial.name}`);
  out.push(`trial ${run.trialFile} (sha256 ${run.trialSha256.slice(0, 12)}), seed ${run.seed}`);
  out.push(
    `engine ${run.engine} (${run.modelHash}), backend ${run.backend}, ${run.workers} worker${run.workers === 1 ? '' : 's'}, ` +
      `${formatNumber(run.wallSeconds, 1)} s, vtrial ${run.versions.vtrial}${run.versions.world ? ` (world ${run.versions.world})` : ''}, node ${run.versions.node}`,
  );
  if (report.population) {
    out.push(`population: ${report.population.method}${report.population.draws ? ` (${report.population.draws} candidates drawn)` : ''}`);
    for (const w of report.population.warnings) out.push(`  warning: ${w}`);
  }
  out.push('');
  out.push('Arms: ' + report.arms.map((a) => `${a.id} (${a.label}) n=${a.randomised}`).join('; '));
  out.push('');
  const rows = report.endpoints.map((e) => {
    const level = Math.round(100 * (1 - report.alpha));
    const interval = `[${formatNumber(e.ci[0])}, ${formatNumber(e.ci[1])}]` + (level === 95 ? '' : ` (${level}%)`);
    const n = Object.entries(e.n)
      .map(([arm, c]) => `${arm} ${c.analysed}/${c.randomised}`)
      .join(', ');
    const unit = e.unit ? ` ${e.unit}` : '';
    return [
      e.name + (e.primary ? ' *' : ''),
      `${e.variable} ${e.measure.replace(/_/g, ' ')}, day ${e.day}`,
      e.comparison,
      `${e.effectMeasure}${unit}`,
      formatNumber(e.estimate),
      interval,
      formatP(e.p),
      n,
    ];
  });
  out.push(table(['endpoint', 'measure', 'comparison', 'effect', 'estimate', `${Math.round(100 * (1 - report.alpha))}% CI`, 'p', 'n analysed/randomised'], rows));
  out.push('* primary endpoint');
  const methods = report.endpoints.map((e) => `  ${e.name}: ${e.method}${e.hedgesG ? `; Hedges' g ${formatNumber(e.hedgesG.g)} [${formatNumber(e.hedgesG.ci[0])}, ${formatNumber(e.hedgesG.ci[1])}]` : ''}${e.logRank ? `; log-rank p ${formatP(e.logRank.p)}` : ''}${e.error ? ` (${e.error})` : ''}`);
  out.push('', 'Methods:', ...methods);
  const individual = report.endpoints.filter((e) => e.individual);
  if (individual.length) {
    out.push('', 'Individual treatment effects (paired counterfactuals; no real trial observes these):');
    for (const e of individual) {
      const i = e.individual!;
      out.push(
        `  ${e.name}: mean ${formatNumber(i.mean)}, SD ${formatNumber(i.sd)}, 5-95% [${formatNumber(i.quantiles.p05)}, ${formatNumber(i.quantiles.p95)}]; ` +
          `${formatPercent(i.shareResponders)} past ${formatNumber(i.responderThreshold)} in the direction of the mean effect`,
      );
      for (const s of i.subgroups) {
        const levels = s.levels.map((l) => `${l.level} ${formatNumber(l.meanEffect)}`).join(', ');
        out.push(`    by ${s.factor}: ${levels}; interaction p ${s.interaction ? formatP(s.interaction.p) : '—'}`);
      }
    }
  }
  if (report.replicates) {
    const r = report.replicates;
    out.push('', `Replicates (${r.replicates} trials with fresh twins; Monte Carlo SE in brackets; the true effect of each replicate comes from paired counterfactuals):`);
    out.push(
      table(
        ['endpoint', 'power', 'mean estimate', 'SD of estimate', 'mean CI width', 'CI coverage of true effect', 'bias'],
        r.endpoints.map((e) => [
          e.name,
          `${formatPercent(e.power, 1)} (${formatPercent(e.powerMcse, 1)})`,
          `${formatNumber(e.meanEstimate)} (${formatNumber(e.meanEstimateMcse)})`,
          `${formatNumber(e.sdEstimate)} (${formatNumber(e.sdEstimateMcse)})`,
          `${formatNumber(e.meanCiWidth)} (${formatNumber(e.meanCiWidthMcse)})`,
          `${formatPercent(e.coverage, 1)} (${formatPercent(e.coverageMcse, 1)})`,
          `${formatNumber(e.bias)} (${formatNumber(e.biasMcse)})`,
        ]),
      ),
    );
  }
  if (report.notes.length) out.push('', ...report.notes.map((n) => `Note: ${n}`));
  return out.join('\n');
}
