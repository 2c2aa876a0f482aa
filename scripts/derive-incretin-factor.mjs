#!/usr/bin/env node
// Derivation check of the reference world's incretin intake factor (INCRETIN_INTAKE_FACTOR in
// src/population/world/effects.ts). Runs the world in the designs its anchors were measured in:
// adults with BMI 30-45 without diabetes, lifestyle counselling in both arms (-500 kcal/day and
// 150 min/week of moderate activity, the STEP 1 / SURMOUNT-1 protocol targets, recalled), dose
// escalation every 4 weeks, the trial language's default drug adherence (0.9), and prints the
// placebo-subtracted % weight change next to the anchors: semaglutide 2.4 mg -12.4% at 68 weeks
// (STEP 1, Wilding JPH et al. NEJM 2021;384:989-1002 doi:10.1056/NEJMoa2032183), tirzepatide
// 5/10/15 mg -11.9/-16.4/-17.8% at 72 weeks (SURMOUNT-1, Jastreboff AM et al. NEJM
// 2022;387:205-16 doi:10.1056/NEJMoa2206038). Both are in-sample for the benchmark comparisons
// that mirror them (calibration_overlap: true). Usage (after `npx tsc`):
//   node scripts/derive-incretin-factor.mjs
import { drawSynthetic } from '../dist/population/draw.js';
import { simulateReference } from '../dist/population/world/index.js';
const base = { startDay: 0, stopDay: Infinity, adherence: 1, adherenceWaning: 0 };
const arm = (ivs) => ({ id: 'a', label: 'a', role: 'experimental', interventions: ivs.map((x) => ({ ...base, ...x })) });
const b = drawSynthetic({ source: 'synthetic', n: 2000, sex: 'any', eligibility: [{ variable: 'bmi', min: 30, max: 45 }, { variable: 'diabetes', equals: 0 }], baseline: [] }, 31).batch;
const pct = (ivs, weeks) => { const day = weeks * 7; const s = { durationDays: day, visits: [{ label: 'd0', day: 0, variables: ['body_weight'] }, { label: 'end', day, variables: ['body_weight'] }], dropout: 0 };
  const t = simulateReference(b, arm(ivs), s, 5); let m = 0; for (let i = 0; i < t.n; i++) m += 100 * (t.values.body_weight[i * 2 + 1] / t.values.body_weight[i * 2] - 1); return m / t.n; };
const life = [{ kind: 'diet', energyChangeKcal: -500 }, { kind: 'exercise', type: 'aerobic', minutesPerWeek: 150, intensity: 'moderate' }];
const esc = (drug, doses, target) => { const out = []; for (const d of doses) { if (d > target) break; out.push(d); } return out.map((d, j) => ({ kind: 'drug', drug, dose: d, frequency: 'weekly', adherence: 0.9, startDay: 28 * j, stopDay: j === out.length - 1 ? Infinity : 28 * (j + 1) })); };
const s = esc('semaglutide', [0.25, 0.5, 1, 1.7, 2.4], 2.4);
console.log('STEP1-like (lifestyle both arms, escalation, adherence 0.9, 68 w):', (pct([...s, ...life], 68) - pct(life, 68)).toFixed(2), '(anchor -12.4)');
for (const [d, a] of [[5, -11.9], [10, -16.4], [15, -17.8]]) {
  const t = esc('tirzepatide', [2.5, 5, 7.5, 10, 12.5, 15], d);
  console.log(`SURMOUNT-like tirzepatide ${d} mg:`, (pct([...t, ...life], 72) - pct(life, 72)).toFixed(2), `(anchor ${a})`);
}
