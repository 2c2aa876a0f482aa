#!/usr/bin/env node
// The untreated course of screened populations, reference world against a checkpoint: 400 adults
// aged 30-75 drawn by the trial sampler with a screening reading in range (TG 500-2,000 mg/dL,
// SBP 150-180 mmHg, LDL-C 160-250 mg/dL), no intervention, visits at days 0 / 30 / 91 / 182 (the
// full panel at baseline, the screened variable after), the mean at each visit: world, model with
// the screening visit, model without it. A fed rollout's drift shows as a model course that keeps
// falling where the world's levels off (docs/model-card.md, sessions 16-18). Deterministic.
// Usage: node scripts/screened-course.mjs CHECKPOINT_DIR
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../dist/model/backend.js';
import { loadRolloutModel } from '../dist/model/ensemble.js';
import { ModelSimulator } from '../dist/model/simulator.js';
import { createReferenceSimulator } from '../dist/population/world/index.js';
import { drawSynthetic } from '../dist/population/draw.js';

const dir = process.argv[2];
if (!dir || !(existsSync(join(dir, 'manifest.json')) || existsSync(join(dir, 'ensemble.json')))) {
  console.error(`screened-course: ${dir ? `${dir} holds no manifest.json (nor ensemble.json)` : 'no checkpoint folder given'}\n  usage: node scripts/screened-course.mjs CHECKPOINT_DIR (e.g. models/default; an ensemble folder too)`);
  process.exit(2);
}
await initBackend();
const model = await loadRolloutModel(dir);
const allVars = model.tokenizer.measured.map((m) => m.id);
const ref = createReferenceSimulator();
const sim = new ModelSimulator(model);
const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;
const days = [0, 30, 91, 182];
const none = { id: 'c', label: 'c', role: 'no_intervention', interventions: [] };
console.log(`${dir}: untreated course of screened adults, mean at days ${days.join(' / ')}`);
for (const [v, lo, hi] of [['triglycerides', 500, 2000], ['sbp', 150, 180], ['ldl_c', 160, 250]]) {
  const { batch } = drawSynthetic({ source: 'synthetic', n: 400, sex: 'any', eligibility: [{ variable: 'age', min: 30, max: 75 }, { variable: v, min: lo, max: hi }], baseline: [] }, 4242);
  const sched = { durationDays: 182, dropout: 0, visits: days.map((d, i) => ({ label: `d${d}`, day: d, variables: i === 0 ? allVars : [v] })) };
  const world = await ref.simulate(batch, none, sched, { seed: 3 });
  const withScr = await sim.simulate(batch, none, sched, { seed: 3 });
  const without = await sim.simulate({ ids: batch.ids, columns: batch.columns }, none, sched, { seed: 3 });
  const course = (t) => {
    const nv = t.visitDays.length;
    const s = new Array(nv).fill(0);
    for (let i = 0; i < t.n; i++) for (let k = 0; k < nv; k++) s[k] += t.values[v][i * nv + k] / t.n;
    return s.map((x) => x.toFixed(1)).join(' / ');
  };
  console.log(`${v} screened ${lo}-${hi} (screening mean ${mean(Array.from(batch.screening[v])).toFixed(1)}, true baseline ${mean(Array.from(batch.columns[v])).toFixed(1)})`);
  console.log(`  world                        ${course(world)}`);
  console.log(`  model with the screening     ${course(withScr)}`);
  console.log(`  model without it             ${course(without)}`);
}
