#!/usr/bin/env node
// Effect (arm minus control, change from baseline) at each visit of a 6-month trial, reference
// world and each checkpoint given, for three interventions that arrive at different speeds:
// amlodipine 5 mg (SBP, one step), atorvastatin 20 mg (LDL-C), a 500 kcal/day cut (weight, slow).
//   node scripts/effect-by-visit.mjs [--hypertensive] CHECKPOINT_DIR...
// --hypertensive: twins with SBP 140-170 mmHg (default: adults 30-70). Adherence 0.85 waning
// by 20%, as in scripts/evaluate-model.mjs; visits at days 0, 30, 91, 182.
import { initBackend } from '../dist/model/backend.js';
import { TwinModel } from '../dist/model/twin-model.js';
import { ModelSimulator } from '../dist/model/simulator.js';
import { createReferenceSimulator } from '../dist/population/world/index.js';
import { drawSynthetic } from '../dist/population/draw.js';
await initBackend();
const dirs = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const HT = process.argv.includes('--hypertensive');
const pop = { source: 'synthetic', n: 800, sex: 'any', eligibility: [{ variable: 'age', min: 30, max: 70 }, ...(HT ? [{ variable: 'sbp', min: 140, max: 170 }] : [])], baseline: [] };
const { batch } = drawSynthetic(pop, 4242);
const base = { startDay: 0, stopDay: 182, adherence: 0.85, adherenceWaning: 0.2 };
const arms = [['amlodipine', { kind: 'drug', drug: 'amlodipine', dose: 5, frequency: 'daily' }, 'sbp'], ['atorva', { kind: 'drug', drug: 'atorvastatin', dose: 20, frequency: 'daily' }, 'ldl_c'], ['kcal', { kind: 'diet', energyChangeKcal: -500 }, 'body_weight']];
const days = [0, 30, 91, 182];
const ref = createReferenceSimulator();
const ctx = { seed: 99 };
const control = { id: 'control', label: 'control', role: 'no_intervention', interventions: [] };
const allVars = ['sbp', 'dbp', 'ldl_c', 'hba1c', 'body_weight'];
const schedule = { durationDays: 182, dropout: 0, visits: days.map((d) => ({ label: `d${d}`, day: d, variables: allVars })) };
const sims = [['ref', ref]];
for (const d of dirs) { const m = await TwinModel.load(d); sims.push([d.split('/').pop(), new ModelSimulator(m)]); }
for (const [name, iv, v] of arms) {
  const arm = { id: 'treat', label: name, role: 'experimental', interventions: [{ ...base, ...iv }] };
  for (const [sn, s] of sims) {
    const c = await s.simulate(batch, control, schedule, ctx), t = await s.simulate(batch, arm, schedule, ctx);
    const nv = days.length, n = c.n;
    const eff = days.map((_, k) => { let a = 0; for (let i = 0; i < n; i++) a += (t.values[v][i * nv + k] - t.values[v][i * nv]) - (c.values[v][i * nv + k] - c.values[v][i * nv]); return (a / n).toFixed(2); });
    console.log(name, v, sn.padEnd(8), eff.join(' '));
  }
}
