#!/usr/bin/env node
// Dose escalation vs a fixed dose: semaglutide 2.4 mg weekly reached by a 16-week titration
// (0.25 / 0.5 / 1 / 2 mg, a month each; the label's fourth step is 1.7 mg) against 2.4 mg from
// day 0, both on a -500 kcal/day diet, against the diet alone, in 1,000 synthetic adults aged
// 30-70 with BMI 30-45, visits at 0, 20, 44 and 68 weeks; model vs reference world. Written in
// session 14, when version-6 checkpoints overshot STEP 1 and SURMOUNT-1, both titrated
// (docs/model-card.md, "Session 14"); tokeniser version 7 (session 15) carries the steps as one
// continuing exposure. The last line gives the titrated / fixed weight effect at 68 weeks, model
// and world (the session-15 rule asks 0.85-1.15 of a candidate). Generic design, not a trial file.
// --with-exercise: every arm also does 150 min/week of moderate aerobic exercise (the lifestyle
// background incretin trials give both arms; session 15 found the model's add-on effect larger
// there than on the diet alone).
// Usage: node scripts/titration-check.mjs CHECKPOINT_DIR [--with-exercise]
import { initBackend } from '../dist/model/backend.js';
import { loadRolloutModel } from '../dist/model/ensemble.js';
import { ModelSimulator } from '../dist/model/simulator.js';
import { createReferenceSimulator } from '../dist/population/world/index.js';
import { drawSynthetic } from '../dist/population/draw.js';
await initBackend();
const args = process.argv.slice(2);
const withExercise = args.includes('--with-exercise');
const unknown = args.filter((a) => a.startsWith('--') && a !== '--with-exercise');
const dir = args.find((a) => !a.startsWith('--'));
if (!dir || unknown.length) { console.error(`usage: titration-check.mjs CHECKPOINT_DIR [--with-exercise]${unknown.length ? ` (unknown option ${unknown[0]})` : ''}`); process.exit(2); }
const model = await loadRolloutModel(dir);
const spec = model.tokenizer;
const allVars = spec.measured.map((m) => m.id);
const { batch } = drawSynthetic({ source: 'synthetic', n: 1000, sex: 'any', eligibility: [{ variable: 'age', min: 30, max: 70 }, { variable: 'bmi', min: 30, max: 45 }], baseline: [] }, 777);
const ref = createReferenceSimulator(); const sim = new ModelSimulator(model);
const days = [0, 140, 308, 476];
const sched = { durationDays: 476, dropout: 0, visits: days.map((d, i) => ({ label: `d${d}`, day: d, variables: i === 0 ? allVars : ['body_weight', 'sbp'] })) };
const ctx = { seed: 5 };
const b = { adherence: 0.9, adherenceWaning: 0 };
const diet = [
  { ...b, kind: 'diet', energyChangeKcal: -500, startDay: 0, stopDay: 476 },
  ...(withExercise ? [{ ...b, kind: 'exercise', type: 'aerobic', minutesPerWeek: 150, intensity: 'moderate', startDay: 0, stopDay: 476 }] : []),
];
const drug = (dose, s, e) => ({ ...b, kind: 'drug', drug: 'semaglutide', dose, frequency: 'weekly', startDay: s, stopDay: e });
const arms = {
  control: diet,
  fixed: [...diet, drug(2.4, 0, 476)],
  titrated: [...diet, drug(0.25, 0, 28), drug(0.5, 28, 56), drug(1, 56, 84), drug(2, 84, 112), drug(2.4, 112, 476)],
};
const out = {};
for (const [k, iv] of Object.entries(arms)) {
  const arm = { id: k, label: k, role: 'experimental', interventions: iv };
  out[k] = { r: await ref.simulate(batch, arm, sched, ctx), m: await sim.simulate(batch, arm, sched, ctx) };
}
const ch = (t, v, k) => { const n = t.n, nv = t.visitDays.length; let s = 0; for (let i = 0; i < n; i++) s += t.values[v][i * nv + k] - t.values[v][i * nv]; return s / n; };
for (const v of ['body_weight', 'sbp']) for (const a of ['fixed', 'titrated']) console.log(dir, v, a, 'world', [1, 2, 3].map((k) => (ch(out[a].r, v, k) - ch(out.control.r, v, k)).toFixed(2)).join(' '), 'model', [1, 2, 3].map((k) => (ch(out[a].m, v, k) - ch(out.control.m, v, k)).toFixed(2)).join(' '));
const w68 = (a, k) => ch(out[a][k], 'body_weight', 3) - ch(out.control[k], 'body_weight', 3);
console.log(dir, 'titrated/fixed weight effect at 68 weeks: world', (w68('titrated', 'r') / w68('fixed', 'r')).toFixed(3), 'model', (w68('titrated', 'm') / w68('fixed', 'm')).toFixed(3));
