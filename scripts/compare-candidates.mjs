#!/usr/bin/env node
// Applies the checkpoint-replacement rule of docs/model-card.md (sessions 11-14) to the JSON
// files written by scripts/select-snapshot.mjs --out, one file per synthetic draw (--seed).
//
// Usage:
//   node scripts/compare-candidates.mjs --baseline DIR FILE.json...
//
// Every checkpoint directory that appears in the files is summed over the draws it was scored
// on; it replaces the baseline only if, over the same draws,
//   (a) the count of effects within tolerance (kinds + course visits + strata) is above the
//       baseline's,
//   (b) the mean of the per-draw median |log ratio| is below the baseline's, and
//   (c) it has no more wrong signs than the baseline.
// Reported beside them (session 14 on): (d) the 24-month course visits within tolerance (section
// 3e of scripts/evaluate-model.mjs), summed, not fewer than the baseline's, where every draw of
// both has that section; the verdict "a-d" adds it to (a)-(c). (e) (session 15 on): the add-on
// effects on a diet within tolerance (section 3f), summed, not fewer than the baseline's; the
// verdict "a-e" adds (d) and (e). Which verdict decides is the rule written down before the
// round was scored (docs/model-card.md); the titration check (scripts/titration-check.mjs) is
// run apart. Reported for the record: the treated-population effects (section 3g) and the
// untreated courses in screened populations (section 3h), session 15; and (session 19) the mean
// |log ratio| of the add-on effects, a continuous form of (e).
// A candidate not scored on every draw the baseline was is reported and not judged.
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const bi = args.indexOf('--baseline');
const baseline = bi >= 0 ? args[bi + 1] : undefined;
const files = args.filter((a, i) => a !== '--baseline' && i !== bi + 1);
if (!baseline || files.length === 0) {
  console.error('usage: compare-candidates.mjs --baseline DIR FILE.json...');
  process.exit(2);
}

/** dir -> { draws: Map<seed, fidelity> } */
const byDir = new Map();
for (const f of files) {
  let j;
  try {
    j = JSON.parse(readFileSync(f, 'utf8'));
  } catch (e) {
    console.error(`compare-candidates: cannot read ${f}: ${e.message}`);
    process.exit(2);
  }
  if (!Array.isArray(j.ranked)) {
    console.error(`compare-candidates: ${f} is not a select-snapshot.mjs --out file (no "ranked" list)`);
    process.exit(2);
  }
  const seed = j.seed === null ? 'default' : String(j.seed);
  for (const r of j.ranked) {
    const e = byDir.get(r.dir) ?? new Map();
    if (e.has(seed)) {
      console.error(`compare-candidates: ${r.dir} is scored twice on draw ${seed} (${f})`);
      process.exit(2);
    }
    e.set(seed, { ...r.fidelity, comboEffects: r.comboEffects ?? [] });
    byDir.set(r.dir, e);
  }
}
const base = byDir.get(baseline);
if (!base) {
  console.error(`compare-candidates: the baseline ${baseline} is in none of the files; directories found: ${[...byDir.keys()].join(', ')}`);
  process.exit(2);
}
const seeds = [...base.keys()];

// sections counted apart from the score: [name, fidelity field within, fidelity field count]
const APART = [['combo', 'comboWithin', 'combos'], ['treated', 'treatedWithin', 'treated'], ['screened', 'screenedWithin', 'screened']];

function total(draws) {
  let count = 0, median = 0, wrong = 0, long = 0, longVisits = 0, hasLong = true;
  const apart = Object.fromEntries(APART.map(([k]) => [k, { within: 0, n: 0 }]));
  for (const s of seeds) {
    const f = draws.get(s);
    count += f.score;
    median += f.medianAbsLogRatio / seeds.length;
    wrong += f.wrongSign;
    if (!f.longVisits) hasLong = false;
    long += f.longWithin ?? 0;
    longVisits += f.longVisits ?? 0;
    for (const [k, w, n] of APART) {
      apart[k].within += f[w] ?? 0;
      apart[k].n += f[n] ?? 0;
    }
  }
  const text = (x) => (x.n > 0 ? `${x.within}/${x.n}` : 'n/a');
  // record (session 19): how far the add-on effects are from the world's, as a continuous measure
  // (mean |log(model / world)| over the add-on effects of every draw; a wrong sign counts as 1)
  const logs = [];
  for (const s of seeds) for (const c of draws.get(s).comboEffects) if (c.reference !== 0 && Number.isFinite(c.model)) logs.push(c.model / c.reference > 0 ? Math.abs(Math.log(c.model / c.reference)) : 1);
  const comboLog = logs.length ? (logs.reduce((x, y) => x + y, 0) / logs.length).toFixed(3) : 'n/a';
  return { comboLog, count, median, wrong, long: hasLong ? long : null, longVisits, comboN: apart.combo.n > 0 ? apart.combo.within : null, combo: text(apart.combo), treated: text(apart.treated), screened: text(apart.screened) };
}

const b = total(base);
const longText = (t) => (t.long === null ? 'n/a' : `${t.long}/${t.longVisits}`);
console.log(`draws ${seeds.join(' + ')}; baseline ${baseline}: count ${b.count}, mean median |log ratio| ${b.median.toFixed(3)}, wrong signs ${b.wrong}, 24-month ${longText(b)}, add-on ${b.combo} (mean |log ratio| ${b.comboLog}), treated ${b.treated}, screened ${b.screened}`);
console.log('checkpoint\tcount\tmedian\twrong\t24-month\tadd-on\t(a) count\t(b) median\t(c) signs\t(d) 24-month\t(e) add-on\tverdict a-c\tverdict a-d\tverdict a-e\ttreated (record)\tscreened (record)\tadd-on |log ratio| (record)');
for (const [dir, draws] of byDir) {
  if (dir === baseline) continue;
  const missing = seeds.filter((s) => !draws.has(s));
  if (missing.length > 0) {
    console.log(`${dir}\tnot scored on draw(s) ${missing.join(', ')}: not judged`);
    continue;
  }
  const t = total(draws);
  const a = t.count > b.count, m = t.median < b.median, c = t.wrong <= b.wrong;
  const d = t.long === null || b.long === null ? null : t.long >= b.long;
  const yes = (x) => (x === null ? 'n/a' : x ? 'pass' : 'fail');
  const abc = a && m && c ? 'REPLACES' : 'keeps baseline';
  const abcd = d === null ? 'n/a' : a && m && c && d ? 'REPLACES' : 'keeps baseline';
  const e = t.comboN === null || b.comboN === null ? null : t.comboN >= b.comboN;
  const abcde = d === null || e === null ? 'n/a' : a && m && c && d && e ? 'REPLACES' : 'keeps baseline';
  console.log(`${dir}\t${t.count}\t${t.median.toFixed(3)}\t${t.wrong}\t${longText(t)}\t${t.combo}\t${yes(a)}\t${yes(m)}\t${yes(c)}\t${yes(d)}\t${yes(e)}\t${abc}\t${abcd}\t${abcde}\t${t.treated}\t${t.screened}\t${t.comboLog}`);
}
