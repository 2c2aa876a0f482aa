#!/usr/bin/env node
// Weight course of an energy cut stopped at 6 months, reference world against a checkpoint: the
// net weight change (diet arm minus no intervention, same twins) at every visit of a full rollout,
// then, from the world's TRUE state at each of days 0, 91, 182 and 273 (no earlier history), the
// model's one-step prediction to the next visit next to the world's. The model card's session-12
// figures come from this script; it shows whether a shortfall is in the one-step dynamics or in
// the history, and whether the course depends on the visit grid.
//   node scripts/diet-course.mjs [CHECKPOINT_DIR] [--kcal -600] [--adherence 0.85] [--waning 0.2]
//        [--days 0,91,182,273,365] [--only body_weight] [--any-bmi]
// Twins: 500 synthetic adults aged 25-64 with BMI 30-40 (--any-bmi: any BMI), 10 draws each for
// the one-step part. --days must include 0, 91, 182 and 273 for the one-step part; --only
// measures only the listed variables at each visit (default: every modelled variable).
import { initBackend } from '../dist/model/backend.js';
import { TwinModel } from '../dist/model/twin-model.js';
import { ModelSimulator } from '../dist/model/simulator.js';
import { createReferenceSimulator } from '../dist/population/world/index.js';
import { drawSynthetic } from '../dist/population/draw.js';
import { oneStepFromWorld } from './one-step.mjs';

const args = process.argv.slice(2);
const opt = (k, d) => { const i = args.indexOf(k); return i >= 0 ? args[i + 1] : d; };
const valued = ['--kcal', '--adherence', '--waning', '--days', '--only'];
const dir = args.find((a, i) => !a.startsWith('--') && !valued.includes(args[i - 1] ?? '')) ?? 'models/default';
const kcal = Number(opt('--kcal', -600)), adherence = Number(opt('--adherence', 0.85)), waning = Number(opt('--waning', 0.2));
const days = opt('--days', '0,91,182,273,365').split(',').map(Number);
if (![kcal, adherence, waning, ...days].every(Number.isFinite) || days[0] !== 0) {
  console.error('usage: diet-course.mjs [CHECKPOINT_DIR] [--kcal N] [--adherence A] [--waning W] [--days 0,d1,...] [--only v1,v2] [--any-bmi]');
  process.exit(2);
}
await initBackend();
const model = await TwinModel.load(dir);
const spec = model.tokenizer;
const n = 500, M = 10;
const bmi = args.includes('--any-bmi') ? [] : [{ variable: 'bmi', min: 30, max: 40 }];
const { batch } = drawSynthetic({ source: 'synthetic', n, sex: 'any', eligibility: [{ variable: 'age', min: 25, max: 64 }, ...bmi], baseline: [] }, 4242);
const ref = createReferenceSimulator();
const vars = opt('--only') ? opt('--only').split(',') : spec.measured.map((m) => m.id);
const end = days[days.length - 1];
const schedule = { durationDays: end, dropout: 0, visits: days.map((d) => ({ label: `d${d}`, day: d, variables: vars })) };
const iv = { kind: 'diet', energyChangeKcal: kcal, startDay: 0, stopDay: 182, adherence, adherenceWaning: waning };
const arms = { diet: { id: 'diet', label: 'diet', role: 'experimental', interventions: [iv] }, ctl: { id: 'ctl', label: 'control', role: 'no_intervention', interventions: [] } };
const V = 'body_weight';
const world = {}, mod = {};
const ms = new ModelSimulator(model);
for (const [name, arm] of Object.entries(arms)) {
  world[name] = await ref.simulate(batch, arm, schedule, { seed: 99 });
  mod[name] = await ms.simulate(batch, arm, schedule, { seed: 99 });
}
const nv = days.length;
const net = (r) => days.map((_, j) => {
  let a = 0;
  for (let i = 0; i < n; i++) a += (r.diet.values[V][i * nv + j] - r.diet.values[V][i * nv]) - (r.ctl.values[V][i * nv + j] - r.ctl.values[V][i * nv]);
  return (a / n).toFixed(2);
});
console.log(`${kcal} kcal/day from day 0, stopped at day 182; net weight change (kg) at days ${days.join(', ')}`);
console.log(`  world ${net(world).join(' ')}`);
console.log(`  model ${net(mod).join(' ')}`);
if (!vars.includes(V)) process.exit(0);
for (const from of [0, 91, 182, 273]) {
  const vi = days.indexOf(from);
  if (vi < 0 || vi === nv - 1) continue;
  const res = {};
  for (const [name, arm] of Object.entries(arms)) {
    res[name] = oneStepFromWorld(model, { batch, traj: world[name], days, from, arm, armName: name, end, measuredIds: vars, variable: V, n, M });
  }
  console.log(`one step ${from} -> ${days[vi + 1]} from the world's true state, net: model ${(res.diet.model - res.ctl.model).toFixed(2)}, world ${(res.diet.world - res.ctl.world).toFixed(2)}`);
}
model.dispose();
