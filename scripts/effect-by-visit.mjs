#!/usr/bin/env node
// Effect (arm minus control, change from baseline) at each visit of a 6-month trial, reference
// world and each checkpoint given, for three interventions that arrive at different speeds:
// amlodipine 5 mg (SBP, one step), atorvastatin 20 mg (LDL-C), a 500 kcal/day cut (weight, slow).
//   node scripts/effect-by-visit.mjs [--hypertensive] CHECKPOINT_DIR...
// --hypertensive: twins with SBP 140-170 mmHg (default: adults 30-70). Adherence 0.85 waning
// by 20%, as in scripts/evaluate-model.mjs; visits at days 0, 30, 91, 182.
// --early: visits at days 0, 7, 14, 42, 91, 182 and energy intake added to the outcomes, with two
// more arms whose intake moves at once (semaglutide 1 mg weekly; sleep extended by 1.2 h/night in
// short sleepers, 4-6.5 h): the first weeks of an exposure, which two-week trials ask about and
// monthly training visits rarely show (session 19: the bundled checkpoint's intake changes in the
// first 2 weeks are about half the world's, its sleep-extension intake effect about a third).
// CHECKPOINT_DIR may be an ensemble folder (ensemble.json).
import { initBackend } from '../dist/model/backend.js';
import { loadRolloutModel } from '../dist/model/ensemble.js';
import { ModelSimulator } from '../dist/model/simulator.js';
import { createReferenceSimulator } from '../dist/population/world/index.js';
import { drawSynthetic } from '../dist/population/draw.js';
await initBackend();
const dirs = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const HT = process.argv.includes('--hypertensive');
const EARLY = process.argv.includes('--early');
const pop = { source: 'synthetic', n: 800, sex: 'any', eligibility: [{ variable: 'age', min: 30, max: 70 }, ...(HT ? [{ variable: 'sbp', min: 140, max: 170 }] : [])], baseline: [] };
const { batch } = drawSynthetic(pop, 4242);
const short = EARLY ? drawSynthetic({ ...pop, eligibility: [{ variable: 'age', min: 21, max: 50 }, { variable: 'sleep_duration', min: 4, max: 6.5 }] }, 4243).batch : undefined;
const base = { startDay: 0, stopDay: 182, adherence: 0.85, adherenceWaning: 0.2 };
const arms = [['amlodipine', { kind: 'drug', drug: 'amlodipine', dose: 5, frequency: 'daily' }, 'sbp'], ['atorva', { kind: 'drug', drug: 'atorvastatin', dose: 20, frequency: 'daily' }, 'ldl_c'], ['kcal', { kind: 'diet', energyChangeKcal: -500 }, 'body_weight']];
if (EARLY) {
  arms.push(['kcal', { kind: 'diet', energyChangeKcal: -500 }, 'energy_intake'], ['semaglutide', { kind: 'drug', drug: 'semaglutide', dose: 1, frequency: 'weekly' }, 'energy_intake'],
    ['semaglutide', { kind: 'drug', drug: 'semaglutide', dose: 1, frequency: 'weekly' }, 'body_weight'], ['sleep', { kind: 'sleep', extendHours: 1.2 }, 'energy_intake', short]);
}
const days = EARLY ? [0, 7, 14, 42, 91, 182] : [0, 30, 91, 182];
const ref = createReferenceSimulator();
const ctx = { seed: 99 };
const control = { id: 'control', label: 'control', role: 'no_intervention', interventions: [] };
const allVars = ['sbp', 'dbp', 'ldl_c', 'hba1c', 'body_weight', ...(EARLY ? ['energy_intake'] : [])];
const schedule = { durationDays: 182, dropout: 0, visits: days.map((d) => ({ label: `d${d}`, day: d, variables: allVars })) };
const sims = [['ref', ref]];
for (const d of dirs) { const m = await loadRolloutModel(d); sims.push([d.split('/').pop(), new ModelSimulator(m)]); }
console.log(`effect (arm - control, change from day 0) at days ${days.slice(1).join(', ')}`);
for (const [name, iv, v, b = batch] of arms) {
  const arm = { id: 'treat', label: name, role: 'experimental', interventions: [{ ...base, ...iv }] };
  for (const [sn, s] of sims) {
    const c = await s.simulate(b, control, schedule, ctx), t = await s.simulate(b, arm, schedule, ctx);
    const nv = days.length, n = c.n;
    const eff = days.slice(1).map((_, k0) => { const k = k0 + 1; let a = 0; for (let i = 0; i < n; i++) a += (t.values[v][i * nv + k] - t.values[v][i * nv]) - (c.values[v][i * nv + k] - c.values[v][i * nv]); return (a / n).toFixed(2); });
    console.log(name, v, sn.padEnd(8), eff.join(' '));
  }
}
