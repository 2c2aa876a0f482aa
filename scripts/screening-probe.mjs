#!/usr/bin/env node
// How much a version-8 checkpoint reads the screening visit: twins screened on one variable
// (default SBP 150-180 mmHg, adults 30-75, the trial sampler's draw), rolled out one step from
// baseline (day 0) to day 30 with no intervention, the mean predicted value with and without the
// screening visit, once from the full baseline panel (as a trial measures it) and once from a
// baseline that measures only the screened variable; beside the twins' true baseline mean.
// Session 16 found a checkpoint that moves most of the way to the truth with the single-variable
// baseline and not at all with the full panel (docs/model-card.md, "Session 16").
// The baseline panel holds the twins' true values (no measurement noise), so the two settings
// differ only in what is measured. Deterministic (seeded draws).
// Usage: node scripts/screening-probe.mjs CHECKPOINT_DIR [--variable sbp] [--min 150] [--max 180] [--n 300] [--seed 4242]
import { initBackend } from '../dist/model/backend.js';
import { TwinModel } from '../dist/model/twin-model.js';
import { drawSynthetic } from '../dist/population/draw.js';
import { Rng } from '../dist/core/rng.js';
import { SCREENING_DAY } from '../dist/model/tokenizer.js';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i < 0 ? dflt : args[i + 1]; };
const dir = args[0];
if (!dir || dir.startsWith('--')) { process.stderr.write('usage: node scripts/screening-probe.mjs CHECKPOINT_DIR [--variable sbp] [--min 150] [--max 180] [--n 300] [--seed 4242]\n'); process.exit(2); }
const variable = opt('--variable', 'sbp');
const [lo, hi, n, seed] = [Number(opt('--min', 150)), Number(opt('--max', 180)), Number(opt('--n', 300)), Number(opt('--seed', 4242))];
if (![lo, hi, n, seed].every(Number.isFinite) || !(lo < hi) || !(n >= 10)) { process.stderr.write('--min < --max, --n >= 10 and --seed must be numbers\n'); process.exit(2); }
await initBackend();
const model = await TwinModel.load(dir);
const spec = model.tokenizer;
const k = spec.measured.findIndex((m) => m.id === variable);
if (k < 0) { process.stderr.write(`the checkpoint does not model '${variable}' (it models ${spec.measured.map((m) => m.id).join(', ')})\n`); process.exit(2); }
if (spec.version < 8) process.stderr.write(`note: ${dir} has version-${spec.version} tokens; the model engine does not give it a screening visit (shown here for comparison only)\n`);
const { batch } = drawSynthetic({ source: 'synthetic', n, sex: 'any', eligibility: [{ variable: 'age', min: 30, max: 75 }, { variable, min: lo, max: hi }], baseline: [] }, seed);
const scr = batch.screening?.[variable];
if (!scr) { process.stderr.write(`'${variable}' is not a measurement the sampler screens on\n`); process.exit(2); }
const statics = Array.from({ length: n }, (_, i) => Float64Array.from(spec.statics, (s) => batch.columns[s.id]?.[i] ?? NaN));
const full = Array.from({ length: n }, (_, i) => Float64Array.from(spec.measured, (m) => batch.columns[m.id]?.[i] ?? NaN));
const only = full.map((r) => Float64Array.from(r, (x, j) => (j === k ? x : NaN)));
const prior = [{ day: SCREENING_DAY, values: Array.from({ length: n }, (_, i) => Float64Array.from(spec.measured, (_m, j) => (j === k ? scr[i] : NaN))) }];
const none = { byCode: new Map(), adherence: new Map() };
const day30 = (initial, p) => {
  const out = model.rollout({ statics, initial, visitDays: [0, 30], exposures: none, rngs: Array.from({ length: n }, (_, i) => new Rng(seed, i, 1)), prior: p, maxStepDays: 0, feed: 'measured' });
  let a = 0;
  for (let i = 0; i < n; i++) a += out[k][i * 2 + 1] / n;
  return a;
};
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const f = (x) => x.toFixed(2);
console.log(`${dir}: ${n} twins screened on ${variable} ${lo}-${hi} (seed ${seed}); screening mean ${f(mean(Array.from(scr)))}, true baseline mean ${f(mean(full.map((r) => r[k])))}`);
console.log(`predicted ${variable} at day 30, no intervention:`);
console.log(`  full baseline panel:             without the screening visit ${f(day30(full))}, with it ${f(day30(full, prior))}`);
console.log(`  only ${variable} measured at baseline: without the screening visit ${f(day30(only))}, with it ${f(day30(only, prior))}`);
