#!/usr/bin/env node
// How a checkpoint's drug effects scale with planned adherence, against the reference world:
// 1,000 synthetic twins aged 30-70 (seed 4242), atorvastatin 20 mg (LDL-C), amlodipine 5 mg (SBP)
// and semaglutide 1 mg weekly (weight) from day 0 at planned adherence 1, 0.85, 0.85 waning 0.2,
// and 0.6; effect = mean change under the arm minus under no intervention, reference / model
// (model / reference) at days 30, 91 and 182.
//   node scripts/adherence-diagnostic.mjs [MODEL_DIR]   (default models/default; run `npx tsc` first)
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../dist/model/backend.js';
import { TwinModel } from '../dist/model/twin-model.js';
import { ModelSimulator } from '../dist/model/simulator.js';
import { createReferenceSimulator } from '../dist/population/world/index.js';
import { drawSynthetic } from '../dist/population/draw.js';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const dir = process.argv[2] ?? join(root, 'models', 'default');
await initBackend('wasm');
const model = await TwinModel.load(dir);
const sim = new ModelSimulator(model);
const ref = createReferenceSimulator();
const { batch } = drawSynthetic({ source: 'synthetic', n: 1000, sex: 'any', eligibility: [{ variable: 'age', min: 30, max: 70 }], baseline: [] }, 4242);
const days = [0, 30, 91, 182];
const allVars = model.tokenizer.measured.map((m) => m.id);
const schedule = { durationDays: 182, dropout: 0, visits: days.map((d, i) => ({ label: `d${d}`, day: d, variables: i === 0 ? allVars : ['sbp', 'dbp', 'ldl_c', 'hba1c', 'body_weight'] })) };
const control = { id: 'control', label: 'control', role: 'no_intervention', interventions: [] };
const ctx = { seed: 99 };
const meanChange = (t, v, k) => { const nv = t.visitDays.length; let s = 0; for (let i = 0; i < t.n; i++) s += t.values[v][i * nv + k] - t.values[v][i * nv]; return s / t.n; };
const rc = await ref.simulate(batch, control, schedule, ctx);
const mc = await sim.simulate(batch, control, schedule, ctx);
const cases = [
  ['atorvastatin 20 mg', { kind: 'drug', drug: 'atorvastatin', dose: 20, frequency: 'daily' }, 'ldl_c'],
  ['amlodipine 5 mg', { kind: 'drug', drug: 'amlodipine', dose: 5, frequency: 'daily' }, 'sbp'],
  ['semaglutide 1 mg weekly', { kind: 'drug', drug: 'semaglutide', dose: 1, frequency: 'weekly' }, 'body_weight'],
];
console.log(`checkpoint ${dir}: effect reference / model (model / reference)`);
for (const [name, iv, v] of cases) {
  for (const [adherence, adherenceWaning] of [[1, 0], [0.85, 0], [0.85, 0.2], [0.6, 0]]) {
    const arm = { id: 't', label: name, role: 'experimental', interventions: [{ startDay: 0, stopDay: 183, adherence, adherenceWaning, ...iv }] };
    const rt = await ref.simulate(batch, arm, schedule, ctx);
    const mt = await sim.simulate(batch, arm, schedule, ctx);
    const cells = [1, 2, 3].map((k) => {
      const r = meanChange(rt, v, k) - meanChange(rc, v, k), m = meanChange(mt, v, k) - meanChange(mc, v, k);
      return `day ${days[k]} ${r.toFixed(2)} / ${m.toFixed(2)} (${(m / r).toFixed(2)})`;
    });
    console.log(`${name}, ${v}, adherence ${adherence}${adherenceWaning ? ` waning ${adherenceWaning}` : ''}: ${cells.join('; ')}`);
  }
}
model.dispose?.();
