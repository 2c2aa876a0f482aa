#!/usr/bin/env node
// Markdown tables for docs/model-card.md from a checkpoint's evaluation.json (written by
// scripts/evaluate-model.mjs), so the card's figures are regenerated, never typed by hand.
//   node scripts/model-card-tables.mjs models/default/evaluation.json > tables.md
import { readFileSync } from 'node:fs';

const file = process.argv[2];
if (!file) { console.error('usage: model-card-tables.mjs EVALUATION.json'); process.exit(2); }
const e = JSON.parse(readFileSync(file, 'utf8'));
const f = (x, d = 2) => (x === undefined || x === null || !Number.isFinite(x) ? 'n/a' : x.toFixed(d));
const pct = (x) => f(100 * x, 1);
const out = [];

if (e.forecast) {
  const q = e.forecast;
  out.push('### Forecast error and calibration, one visit ahead', '');
  out.push(`${q.tokens} held-out visits (${e.heldoutParticipants} participants). Pooled coverage of central 50/90/95% intervals: **${pct(q.cover50)} / ${pct(q.cover90)} / ${pct(q.cover95)}%**.`, '');
  out.push('| variable | n | RMSE | noise floor | RMSE / floor | SD of values | 50% | 90% | 95% |', '|---|---|---|---|---|---|---|---|---|');
  for (const v of q.perVariable) out.push(`| ${v.id} | ${v.n} | ${f(v.rmse, 3)} | ${f(v.noiseFloor, 3)} | ${f(v.rmseOverNoise)} | ${f(v.sdObserved, 3)} | ${pct(v.cover50)} | ${pct(v.cover90)} | ${pct(v.cover95)} |`);
  out.push('');
}
if (e.rolloutCoverage) {
  const r = e.rolloutCoverage;
  out.push('### Calibration of rollouts (all later visits from the first)', '');
  out.push(`${r.participants} held-out participants x ${r.samples} sampled trajectories, ${r.n} observed values: coverage of central 50/90/95% intervals **${pct(r.cover50)} / ${pct(r.cover90)} / ${pct(r.cover95)}%**.`, '');
  out.push('| variable | n | 50% | 90% | 95% |', '|---|---|---|---|---|');
  for (const [id, c] of Object.entries(r.perVariable)) if (c.n >= 50) out.push(`| ${id} | ${c.n} | ${pct(c.cover50)} | ${pct(c.cover90)} | ${pct(c.cover95)} |`);
  out.push('');
}
if (e.interventionEffects?.length) {
  out.push('### Intervention effects: model vs reference', '');
  out.push('| arm (vs no intervention) | kind | outcome | reference (95% MC) | model | model / reference | within tolerance |', '|---|---|---|---|---|---|---|');
  let ok = 0, n = 0, pairs = 0, within = 0, sign = 0;
  for (const x of e.interventionEffects) {
    if (x.error) { out.push(`| ${x.label} | ${x.kind} | | | error: ${x.error} | | **no** |`); n++; continue; }
    const p = x.outcomes[x.primary];
    n++;
    if (p.within) ok++;
    const ratio = Math.abs(p.reference) > 1e-9 ? f(p.model / p.reference) : 'n/a';
    out.push(`| ${x.label} | ${x.kind} | ${x.primary} | ${f(p.reference)} (${f(p.referenceMc95[0])} to ${f(p.referenceMc95[1])}) | ${f(p.model)} | ${ratio} | ${p.within ? 'yes' : '**no**'} |`);
    for (const o of Object.values(x.outcomes)) { pairs++; if (o.within) within++; if (o.sameSign) sign++; }
  }
  out.push('', `Primary outcomes within tolerance: ${ok}/${n}.`);
  out.push(`All arm x outcome pairs (${pairs}): within tolerance ${within}, direction agrees (or reference effect not distinguishable from 0) ${sign}.`, '');
}
if (e.drugEffects?.length) {
  out.push('### Every drug of the formulary, model vs reference', '');
  out.push('1,000 of the same twins, the drug at its middle marketed dose vs no intervention, 6-month change in its class\'s main outcome (same schedule and adherence as above).', '');
  out.push('| drug | dose | outcome | reference | model | model / reference |', '|---|---|---|---|---|---|');
  for (const x of e.drugEffects) out.push(x.error ? `| ${x.drug} | ${x.dose} | ${x.outcome} | | error: ${x.error} | |` : `| ${x.drug} | ${x.dose} ${x.unit ?? ''} | ${x.outcome} | ${f(x.reference)} | ${f(x.model)} | ${x.ratio === null ? 'n/a' : f(x.ratio)} |`);
  const rs = e.drugEffects.filter((x) => x.ratio !== null && x.ratio !== undefined && Math.abs(x.reference) > 0.05).map((x) => x.ratio).sort((a, b) => a - b);
  if (rs.length) out.push('', `Median model/reference ratio ${f(rs[Math.floor(rs.length / 2)])} (range ${f(rs[0])} to ${f(rs[rs.length - 1])}, ${rs.length} drugs with a reference effect above 0.05).`);
  out.push('');
}
// A course table (12-month and 24-month sections): one row per arm, reference / model at each visit.
function courseTable(title, intro, courses) {
  if (!courses?.length) return;
  out.push(title, '', intro, '');
  const days = courses[0].visits.map((v) => v.day);
  out.push(`| arm | outcome | ${days.map((d) => `day ${d}`).join(' | ')} | within |`, `|---|---|${days.map(() => '---|').join('')}---|`);
  for (const x of courses) out.push(`| ${x.label} | ${x.outcome} | ${x.visits.map((v) => `${f(v.reference)} / ${f(v.model)}`).join(' | ')} | ${x.visits.filter((v) => v.within).length}/${x.visits.length} |`);
  out.push('');
}
courseTable('### Effects over a 12-month course: after a stop, and kept for a year',
  'The same twins and adherence as above, visits every 3 months; effect (arm minus no intervention, change from day 0) at each visit, reference / model. Within tolerance as above.',
  e.courseEffects);
courseTable('### Effects over 24 months, kept throughout',
  'The first 1,000 of the same twins, same adherence (with its waning), the exposure kept for 24 months, visits every 6 months; effect (arm minus no intervention, change from day 0), reference / model. Within tolerance as above; counted apart from the score checkpoints are chosen by.',
  e.longCourseEffects);
// One row of an effect table: the leading cells, then reference (95% MC), model, model / reference
// and within tolerance, or the error in place of the figures.
const effectRow = (lead, x) => (x.error
  ? `| ${lead.join(' | ')} | | error: ${x.error} | | |`
  : `| ${lead.join(' | ')} | ${f(x.reference)} (${f(x.referenceMc95[0])} to ${f(x.referenceMc95[1])}) | ${f(x.model)} | ${Math.abs(x.reference) > 0 ? f(x.model / x.reference) : 'n/a'} | ${x.within ? 'yes' : '**no**'} |`);
// A titled table: heading, one paragraph, the header row (cells), one row per item, a blank line
// (or `footer` lines).
const table = (title, intro, cells, rows, footer = ['']) => {
  out.push(title, '', intro, '', `| ${cells.join(' | ')} |`, `|${cells.map(() => '---|').join('')}`, ...rows, ...footer);
};
const EFFECT_CELLS = ['reference (95% MC)', 'model', 'model / reference', 'within tolerance'];
if (e.comboEffects?.length) {
  table('### Add-on effects on a diet',
    'The first 1,000 of the same twins, all on a -500 kcal/day diet (same adherence); a second intervention added against the diet alone, 6-month change, same tolerance as above; counted apart from the score checkpoints are chosen by.',
    ['added to the diet', 'outcome', ...EFFECT_CELLS], e.comboEffects.map((x) => effectRow([x.label, x.outcome], x)));
}
if (e.treatedEffects?.length) {
  table('### Effects in treated or severe populations, and multi-component designs',
    '1,000 synthetic twins aged 30-75 per population (the strata of the add-on training cohort, raised LDL-C, raised BP, obesity, adults 55-75, inactive adults), the intervention vs no intervention (the tirzepatide design: vs a placebo injection on the same diet and exercise), 6-month change, same adherence and tolerance as above; counted apart from the score checkpoints are chosen by.',
    ['population', 'intervention', 'outcome', ...EFFECT_CELLS], e.treatedEffects.map((x) => effectRow([x.stratum, x.label, x.outcome], x)));
}
if (e.screenedCourses?.length) {
  table('### The untreated course in screened populations',
    "1,000 synthetic twins aged 30-75 per population, screened on one measurement and measured again at baseline (as the trial sampler enrols), no intervention: mean change from baseline at 6 months, reference / model; within tolerance as above (in practice the reference's 95% Monte Carlo interval). Counted apart from the score checkpoints are chosen by.",
    ['population', 'outcome', 'baseline (reference)', 'reference change (95% MC)', 'model change', 'within tolerance'],
    e.screenedCourses.map((x) => (x.error ? `| ${x.population} | ${x.outcome} | | error: ${x.error} | | |` : `| ${x.population} | ${x.outcome} | ${f(x.baseline)} | ${f(x.reference)} (${f(x.referenceMc95[0])} to ${f(x.referenceMc95[1])}) | ${f(x.model)} | ${x.within ? 'yes' : '**no**'} |`)));
}
if (e.strataEffects?.length) {
  table('### Drug effects in the populations trials recruit',
    '1,000 synthetic twins aged 30-75 per indication stratum of the trial-like training cohort (same eligibility ranges), the drug vs no intervention, 6-month change, same adherence and tolerance as above.',
    ['stratum', 'drug', 'outcome', ...EFFECT_CELLS], e.strataEffects.map((x) => effectRow([x.stratum, x.label, x.outcome], x)),
    ['', `Within tolerance: ${e.strataEffects.filter((x) => x.within).length}/${e.strataEffects.length}.`, '']);
}
if (e.individualEffects) {
  out.push('### Individual 6-month change, personalised-nutrition arm', '');
  out.push('| outcome | n | Pearson r | noise ceiling | SD of realised change |', '|---|---|---|---|---|');
  for (const [v, x] of Object.entries(e.individualEffects)) out.push(`| ${v} | ${x.n} | ${f(x.r, 3)} | ${f(x.noiseCeiling, 3)} | ${f(x.sdRealised)} |`);
  out.push('');
}
process.stdout.write(out.join('\n') + '\n');
