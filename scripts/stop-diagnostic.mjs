#!/usr/bin/env node
// Is a checkpoint's behaviour after a stop in its one-step dynamics or in the history it conditions
// on? Atorvastatin 20 mg from day 0, stopped at day 182 (visits every 3 months), vs no drug, in
// the reference world. From the world's TRUE state at day 182 and at day 273 (no earlier history),
// the model predicts one visit ahead; the LDL-C change (stopped arm minus control) is printed
// next to the world's. Compare with the 12-month course section of scripts/evaluate-model.mjs,
// where the model rolls out the whole year from day 0.
//   node scripts/stop-diagnostic.mjs CHECKPOINT_DIR
import { initBackend } from '../dist/model/backend.js';
import { TwinModel } from '../dist/model/twin-model.js';
import { createReferenceSimulator } from '../dist/population/world/index.js';
import { drawSynthetic } from '../dist/population/draw.js';
import { oneStepFromWorld } from './one-step.mjs';
await initBackend();
if (!process.argv[2]) { console.error('usage: stop-diagnostic.mjs CHECKPOINT_DIR'); process.exit(2); }
const model = await TwinModel.load(process.argv[2]);
const spec = model.tokenizer;
const n = 600, M = 20;
const { batch } = drawSynthetic({ source: 'synthetic', n, sex: 'any', eligibility: [{ variable: 'age', min: 30, max: 70 }], baseline: [] }, 4242);
const ref = createReferenceSimulator();
const allVars = spec.measured.map((m) => m.id);
const days = [0, 91, 182, 273, 365];
const schedule = { durationDays: 365, dropout: 0, visits: days.map((d) => ({ label: `d${d}`, day: d, variables: allVars })) };
const iv = { kind: 'drug', drug: 'atorvastatin', dose: 20, frequency: 'daily', startDay: 0, stopDay: 182, adherence: 0.85, adherenceWaning: 0.2 };
const arms = { stop: { id: 'stop', label: 's', role: 'experimental', interventions: [iv] }, ctl: { id: 'ctl', label: 'c', role: 'no_intervention', interventions: [] } };
const world = {};
for (const [name, arm] of Object.entries(arms)) world[name] = await ref.simulate(batch, arm, schedule, { seed: 99 });
for (const from of [182, 273]) {
  const res = {};
  for (const [name, arm] of Object.entries(arms)) {
    res[name] = oneStepFromWorld(model, { batch, traj: world[name], days, from, arm, armName: name, end: 365, measuredIds: allVars, variable: 'ldl_c', n, M });
  }
  console.log(`from day ${from} to ${days[days.indexOf(from) + 1]}, one step from the world's true state: LDL change, stopped arm minus control: model ${(res.stop.model - res.ctl.model).toFixed(2)}, world ${(res.stop.world - res.ctl.world).toFixed(2)} (stopped: model ${res.stop.model.toFixed(2)} world ${res.stop.world.toFixed(2)}; control: model ${res.ctl.model.toFixed(2)} world ${res.ctl.world.toFixed(2)})`);
}
model.dispose();
