#!/usr/bin/env node
// Rank checkpoints by how faithfully they reproduce the reference world's intervention effects
// (src/model/evaluate.ts effectFidelity: effects within tolerance, tie-break median |log ratio|;
// the 24-month course visits, add-on effects, treated-population effects and untreated courses
// in screened populations within tolerance are printed apart, outside the score).
// Usage:
//   node scripts/select-snapshot.mjs HELDOUT_COHORT [--seed N] [--out FILE.json] DIR...
// Each DIR is a checkpoint, a checkpoint ensemble (ensemble.json), or a training output folder whose snapshots/ (vtrial train with
// snapshotMinutes) and final checkpoint are all ranked. --seed picks the synthetic draw of the
// effects sections (scripts/evaluate-model.mjs --seed): choose on one draw, confirm on another.
// The reference world is the ground truth here: nothing from validation/ is read.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { effectFidelity, compareFidelity } from '../dist/model/evaluate.js';

const args = process.argv.slice(2);
const opt = (k) => { const i = args.indexOf(k); return i >= 0 ? args[i + 1] : undefined; };
const seed = opt('--seed');
const outFile = opt('--out');
const pos = args.filter((a, i) => !a.startsWith('--') && !['--seed', '--out'].includes(args[i - 1] ?? ''));
const [held, ...dirs] = pos;
if (!held || dirs.length === 0) {
  console.error('usage: select-snapshot.mjs HELDOUT_COHORT [--seed N] [--out FILE.json] DIR...');
  process.exit(2);
}
const isCheckpoint = (d) => (existsSync(join(d, 'manifest.json')) && existsSync(join(d, 'weights.bin'))) || existsSync(join(d, 'ensemble.json'));
const candidates = [];
for (const d of dirs) {
  const snaps = join(d, 'snapshots');
  if (existsSync(snaps)) for (const s of readdirSync(snaps).sort()) if (isCheckpoint(join(snaps, s))) candidates.push(join(snaps, s));
  if (isCheckpoint(d)) candidates.push(d);
  else if (!existsSync(snaps)) { console.error(`${d}: not a checkpoint (no manifest.json + weights.bin) and no snapshots/ folder`); process.exit(2); }
}
const evaluator = join(dirname(fileURLToPath(import.meta.url)), 'evaluate-model.mjs');
const tmp = mkdtempSync(join(tmpdir(), 'vtrial-select-'));
const rows = [];
for (const [i, dir] of candidates.entries()) {
  const out = join(tmp, `${i}.json`);
  execFileSync(process.execPath, [evaluator, dir, held, '--only', 'effects,drugs,course,long,combo,treated,screened,strata', '--out', out, ...(seed ? ['--seed', seed] : [])], { stdio: ['ignore', 'ignore', 'inherit'] });
  const e = JSON.parse(readFileSync(out, 'utf8'));
  // an ensemble (ensemble.json) has no single validation loss or step count
  const m = existsSync(join(dir, 'manifest.json')) ? JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')).metrics ?? {} : {};
  const f = effectFidelity(e);
  rows.push({ dir, valLoss: m.valLoss, steps: m.steps, fidelity: f, evaluation: e });
  process.stderr.write(`${dir}: score ${f.score} (kinds ${f.kindsWithin}/${f.kinds}, course ${f.courseWithin}/${f.courseVisits}, strata ${f.strataWithin}/${f.strata}; 24-month ${f.longWithin}/${f.longVisits}; add-on ${f.comboWithin}/${f.combos}; treated ${f.treatedWithin}/${f.treated}; screened ${f.screenedWithin}/${f.screened}), median |log ratio| ${f.medianAbsLogRatio.toFixed(3)}\n`);
}
const ranked = [...rows].sort((a, b) => compareFidelity(a.fidelity, b.fidelity));
console.log(`effect fidelity on the ${seed ? `--seed ${seed}` : 'default'} draw (higher score first; ties: lower median |log ratio|)`);
console.log('rank  score  kinds  course  strata  med|log|  24-month  add-on  treated  screened  val NLL  checkpoint');
for (const [i, r] of ranked.entries()) {
  const f = r.fidelity;
  console.log(`${String(i + 1).padStart(4)}  ${String(f.score).padStart(5)}  ${`${f.kindsWithin}/${f.kinds}`.padStart(5)}  ${`${f.courseWithin}/${f.courseVisits}`.padStart(6)}  ${`${f.strataWithin}/${f.strata}`.padStart(6)}  ${f.medianAbsLogRatio.toFixed(3).padStart(8)}  ${`${f.longWithin}/${f.longVisits}`.padStart(8)}  ${`${f.comboWithin}/${f.combos}`.padStart(6)}  ${`${f.treatedWithin}/${f.treated}`.padStart(7)}  ${`${f.screenedWithin}/${f.screened}`.padStart(8)}  ${(r.valLoss ?? NaN).toFixed(4).padStart(7)}  ${r.dir}`);
}
if (outFile) writeFileSync(outFile, JSON.stringify({ heldout: held, seed: seed === undefined ? null : Number(seed), ranked: ranked.map(({ evaluation, ...r }) => ({ ...r, drugEffects: evaluation.drugEffects, interventionEffects: evaluation.interventionEffects, courseEffects: evaluation.courseEffects, longCourseEffects: evaluation.longCourseEffects, comboEffects: evaluation.comboEffects, treatedEffects: evaluation.treatedEffects, screenedCourses: evaluation.screenedCourses, strataEffects: evaluation.strataEffects })) }, null, 1));
