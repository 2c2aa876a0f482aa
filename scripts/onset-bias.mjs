#!/usr/bin/env node
// Does a checkpoint reproduce its own training data at exposure onsets? For every step in the
// cohort(s) across which exactly one exposure matching DRUG (a regular expression on the exposure
// code) starts and nothing else starts or stops, with VAR measured at both visits: the observed
// change in VAR (% of the earlier value) against the checkpoint's one-step predicted mean change
// (the whole history before the step as context), by the planned adherence at the query and by
// quarter of the earlier value; and the model's own effect (its prediction minus its prediction
// for the same step with the exposure removed). With --continuing, the steps where that exposure is the only one
// in force at both visits and has been on for under a year (effects that build over months).
//   node scripts/onset-bias.mjs DIR COHORT[,COHORT...] [DRUG_REGEX] [VAR] [--max N] [--continuing]
// (run `npx tsc` first). Example: node scripts/onset-bias.mjs models/default train.csv statin ldl_c
import { initBackend } from '../dist/model/backend.js';
import { TwinModel, mixtureMean } from '../dist/model/twin-model.js';
import { readCohort } from '../dist/model/cohort.js';
import { inverseTransform, subjectHistory, writeToken, exposureAt, adherenceAt } from '../dist/model/tokenizer.js';

const args = process.argv.slice(2);
const flag = (k) => args.includes(k);
const opt = (k, d) => { const i = args.indexOf(k); return i >= 0 ? args[i + 1] : d; };
const pos = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--max');
const [dir, files, drugArg = 'statin', VAR = 'ldl_c'] = pos;
if (!dir || !files) { console.error('usage: onset-bias.mjs DIR COHORT[,COHORT...] [DRUG_REGEX] [VAR] [--max N] [--continuing]'); process.exit(2); }
const re = new RegExp(drugArg);
const MAX = Number(opt('--max', '4000'));
const CONT = flag('--continuing');
await initBackend('wasm');
const model = await TwinModel.load(dir);
const spec = model.tokenizer, V = spec.measured.length, F = model.dim, T0 = model.config.blockSize;
const vi = spec.measured.findIndex((v) => v.id === VAR);
if (vi < 0) { console.error(`${dir} does not model ${VAR}`); process.exit(2); }
const mv = spec.measured[vi];
const eps = 1e-3;
const rows = [];
for (const f of files.split(',')) {
  const c = await readCohort(f);
  for (const s of c.subjects) {
    const h = subjectHistory(spec, s);
    for (let k = 0; k + 1 < h.visits.length; k++) {
      const a = h.visits[k], b = h.visits[k + 1];
      if (!Number.isFinite(a.values[vi]) || !Number.isFinite(b.values[vi])) continue;
      if (CONT) {
        const on = [...h.exposures.byCode.entries()].filter(([, p]) => exposureAt(p, a.day - eps).active || exposureAt(p, b.day - eps).active);
        if (on.length !== 1 || !re.test(on[0][0])) continue;
        const p = on[0][1], x0 = exposureAt(p, a.day - eps), x1 = exposureAt(p, b.day - eps);
        if (x0.active && x1.active && x0.level === x1.level && x1.yearsOn < 1) rows.push({ h, k, code: on[0][0] });
        continue;
      }
      const starts = [];
      let other = false;
      for (const [code, p] of h.exposures.byCode) {
        const x0 = exposureAt(p, a.day - eps), x1 = exposureAt(p, b.day - eps);
        if (x0.active === x1.active && x0.level === x1.level) continue;
        if (!x0.active && x1.active && re.test(code)) starts.push(code); else other = true;
      }
      if (starts.length === 1 && !other) rows.push({ h, k, code: starts[0] });
    }
  }
}
// every step when there are at most MAX, else every j-th
const sub = rows.length > MAX ? rows.filter((_, i) => i % Math.ceil(rows.length / MAX) === 0) : rows;
const predict = (r, exposures) => {
  const lo = Math.max(0, r.k - T0 + 1), T = r.k - lo + 1;
  const x = new Float32Array(T * F);
  for (let t = 0; t < T; t++) { const v = r.h.visits[lo + t]; writeToken(spec, x, t * F, r.h.statics, v.day, v.values, r.h.visits[lo + t + 1].day, exposures); }
  const m = model.predict(x, 1, T);
  return inverseTransform(mv.transform, mixtureMean(m, ((T - 1) * V + vi) * m.K) * mv.sd + mv.mean);
};
for (const r of sub) {
  const y0 = r.h.visits[r.k].values[vi];
  r.y0 = y0;
  r.adh = adherenceAt(r.h.exposures.adherence.get(r.code), r.h.visits[r.k + 1].day - eps);
  r.obs = r.h.visits[r.k + 1].values[vi] / y0 - 1;
  r.m = predict(r, r.h.exposures) / y0 - 1;
  // the same step with the exposure removed from the whole timeline: the model's own effect
  const byCode = new Map(r.h.exposures.byCode);
  byCode.delete(r.code);
  r.cf = r.m - (predict(r, { byCode, adherence: r.h.exposures.adherence }) / y0 - 1);
}
const mean = (a) => a.reduce((s, x) => s + x, 0) / a.length;
const pct = (x) => `${(100 * x).toFixed(1)}%`;
const line = (label, g) => console.log(`${label} n ${g.length}: observed ${pct(mean(g.map((r) => r.obs)))}, model ${pct(mean(g.map((r) => r.m)))} (model effect: minus the same step without the exposure ${pct(mean(g.map((r) => r.cf)))})`);
console.log(`${dir}: ${CONT ? 'continuing' : 'onset'} steps of /${drugArg}/ with ${VAR} at both visits: ${rows.length}${sub.length < rows.length ? ` (every ${Math.ceil(rows.length / MAX)}th used: ${sub.length})` : ''}; change as % of the earlier value`);
if (!sub.length) process.exit(0);
line('all', sub);
for (const [lo, hi] of [[0, 0.6], [0.6, 0.75], [0.75, 0.9], [0.9, 0.9999], [0.9999, 1.01]]) {
  const g = sub.filter((r) => r.adh >= lo && r.adh < hi);
  if (g.length) line(`planned adherence ${lo}-${hi > 1 ? 1 : hi}`, g);
}
const qs = sub.map((r) => r.y0).sort((a, b) => a - b);
const cuts = [-Infinity, qs[Math.floor(qs.length / 4)], qs[Math.floor(qs.length / 2)], qs[Math.floor((3 * qs.length) / 4)], Infinity];
for (let j = 0; j < 4; j++) {
  const g = sub.filter((r) => r.y0 >= cuts[j] && r.y0 < cuts[j + 1]);
  if (g.length) line(`earlier ${VAR} quarter ${j + 1} (${g.length ? Math.min(...g.map((r) => r.y0)).toFixed(0) : ''}-${g.length ? Math.max(...g.map((r) => r.y0)).toFixed(0) : ''})`, g);
}
model.dispose?.();
