#!/usr/bin/env node
// Does a checkpoint's drug effect scale with the baseline value as the reference world's does?
// 1,000 synthetic twins aged 30-70 (seed 4242), DRUG at DOSE from day 0 at planned adherence 1;
// effect on VAR at day 30 = treated minus untreated: the world's from simulating both arms, the
// model's one step ahead (TwinModel.predict on the baseline token, the drug in the query vs
// nothing). Printed overall and by quarter of the twins' baseline VAR, in units and in % of it.
//   node scripts/effect-by-baseline.mjs [DIR] [DRUG] [DOSE] [FREQUENCY] [VAR]
//   (defaults models/default atorvastatin 20 daily ldl_c; run `npx tsc` first)
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../dist/model/backend.js';
import { TwinModel, mixtureMean } from '../dist/model/twin-model.js';
import { inverseTransform, writeToken } from '../dist/model/tokenizer.js';
import { createReferenceSimulator } from '../dist/population/world/index.js';
import { drawSynthetic } from '../dist/population/draw.js';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const [dir = join(root, 'models', 'default'), drug = 'atorvastatin', doseArg = '20', frequency = 'daily', VAR = 'ldl_c'] = process.argv.slice(2);
const dose = Number(doseArg);
await initBackend('wasm');
const model = await TwinModel.load(dir);
const spec = model.tokenizer, V = spec.measured.length, F = model.dim;
const vi = spec.measured.findIndex((v) => v.id === VAR);
if (vi < 0) { console.error(`${dir} does not model ${VAR}`); process.exit(2); }
const mv = spec.measured[vi];
const { batch } = drawSynthetic({ source: 'synthetic', n: 1000, sex: 'any', eligibility: [{ variable: 'age', min: 30, max: 70 }], baseline: [] }, 4242);
const n = batch.ids.length;
const ref = createReferenceSimulator();
const schedule = { durationDays: 30, dropout: 0, visits: [{ label: 'd0', day: 0, variables: [VAR] }, { label: 'd30', day: 30, variables: [VAR] }] };
const arm = (ivs) => ({ id: 'a', label: 'a', role: 'experimental', interventions: ivs });
const iv = { kind: 'drug', drug, dose, frequency, startDay: 0, stopDay: 31, adherence: 1, adherenceWaning: 0 };
const rt = await ref.simulate(batch, arm([iv]), schedule, { seed: 99 });
const rc = await ref.simulate(batch, arm([]), schedule, { seed: 99 });
const code = `DRUG//${drug}`;
const expo = (on) => (on ? { byCode: new Map([[code, [{ day: 0, level: dose, active: true }]]]), adherence: new Map([[code, [{ day: 0, value: 1 }]]]) } : { byCode: new Map(), adherence: new Map() });
const predict = (on) => {
  const x = new Float32Array(n * F);
  for (let i = 0; i < n; i++) {
    const st = Float64Array.from(spec.statics, (s) => batch.columns[s.id]?.[i] ?? NaN);
    const init = Float64Array.from(spec.measured, (m) => batch.columns[m.id]?.[i] ?? NaN);
    writeToken(spec, x, i * F, st, 0, init, 30, expo(on));
  }
  const m = model.predict(x, n, 1);
  return Float64Array.from({ length: n }, (_, i) => inverseTransform(mv.transform, mixtureMean(m, (i * V + vi) * m.K) * mv.sd + mv.mean));
};
const on = predict(true), off = predict(false);
const y0 = batch.columns[VAR];
const rows = Array.from({ length: n }, (_, i) => ({ y0: y0[i], r: rt.values[VAR][i * 2 + 1] - rc.values[VAR][i * 2 + 1], m: on[i] - off[i] })).sort((a, b) => a.y0 - b.y0);
const mean = (a) => a.reduce((s, x) => s + x, 0) / a.length;
const cell = (g, k) => `${mean(g.map((r) => r[k])).toFixed(2)} (${(100 * mean(g.map((r) => r[k] / r.y0))).toFixed(1)}%)`;
console.log(`${dir} (${VAR} on the ${mv.transform} scale): ${drug} ${dose} ${frequency}, effect on ${VAR} at day 30, world / model one step ahead`);
console.log(`all: ${cell(rows, 'r')} / ${cell(rows, 'm')}`);
for (let q = 0; q < 4; q++) {
  const g = rows.slice((q * n) / 4, ((q + 1) * n) / 4);
  console.log(`baseline ${VAR} ${g[0].y0.toFixed(0)}-${g[g.length - 1].y0.toFixed(0)}: ${cell(g, 'r')} / ${cell(g, 'm')}`);
}
model.dispose?.();
