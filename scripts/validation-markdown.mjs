#!/usr/bin/env node
// Turn `vtrial validate DIR --json` output into a Markdown table for docs/validation.md.
//   npx vtrial validate validation/rct-41 --engine model --json > v.json
//   node scripts/validation-markdown.mjs v.json [TITLE]
import { readFileSync } from 'node:fs';

const [file, title = 'Results'] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node scripts/validation-markdown.mjs VALIDATE.json [TITLE]\n');
  process.exit(2);
}
const d = JSON.parse(readFileSync(file, 'utf8'));
const f = (x, k = 2) => (x === null || x === undefined || Number.isNaN(x) ? 'n/a' : (+x).toFixed(k));
const yes = (b) => (b === null || b === undefined ? '–' : b ? 'yes' : 'no');
const s = d.summary;
const out = [`### ${title}`, ''];
out.push(`Direction right ${s.direction.ok}/${s.direction.scored} (scored where the published CI excludes zero); inside the published 95% CI ${s.inside_ci.ok}/${s.inside_ci.n}; mean |error| ${f(s.mean_abs_error_halfwidths)} CI half-widths; calibration slope ${f(s.calibration?.slope)}.`);
for (const [k, g] of Object.entries(s.by_overlap)) {
  if (!g.n) continue;
  out.push(`- ${k === 'overlap' ? 'Calibration overlap (trial informed the reference world)' : k === 'independent' ? 'Independent of the reference world' : k}: direction ${g.direction.ok}/${g.direction.scored}, inside CI ${g.inside_ci.ok}/${g.inside_ci.n}, mean |error| ${f(g.mean_abs_error_halfwidths)} half-widths.`);
}
out.push('', '| comparison | published [95% CI] | predicted (MC 95% interval) | direction | inside CI | error (half-widths) | overlap |', '|---|---|---|---|---|---|---|');
for (const c of d.comparisons) {
  const p = c.published;
  const q = c.predicted ?? {};
  const mc = q.mc95 ? `(${f(q.mc95[0])}, ${f(q.mc95[1])})` : '';
  out.push(`| ${c.id} | ${f(p.estimate)} [${f(p.ci95[0])}, ${f(p.ci95[1])}] | ${f(q.estimate)} ${mc} | ${yes(c.direction_ok)} | ${yes(c.inside_ci)} | ${f(c.error_halfwidths, 1)} | ${c.calibration_overlap ? 'yes' : 'no'} |`);
}
process.stdout.write(out.join('\n') + '\n');
