#!/usr/bin/env node
// Where two engines part on the benchmark: reads two `vtrial validate ... --json` outputs (say the
// reference world and a model checkpoint) and lists, per comparison, both predictions, whether
// each is inside the published CI, and the gap between them in published-CI half-widths; then
// the comparisons where one is inside and the other not. Written in session 15 to see which
// designs a checkpoint that reproduces the world on synthetic twins still fails to reproduce.
// It reads only the two reports, never the trial files.
//
// Usage: node scripts/engine-gap.mjs FIRST.json SECOND.json [--all]
//   --all: every comparison (default: those where the two disagree on inside-CI, or differ by
//          more than one half-width)
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const all = args.includes('--all');
const files = args.filter((a) => a !== '--all');
if (files.length !== 2) {
  console.error('usage: engine-gap.mjs FIRST.json SECOND.json [--all]');
  process.exit(2);
}
const read = (f) => {
  let j;
  try {
    j = JSON.parse(readFileSync(f, 'utf8'));
  } catch (e) {
    console.error(`engine-gap: cannot read ${f}: ${e.message}`);
    process.exit(2);
  }
  if (!Array.isArray(j.comparisons)) {
    console.error(`engine-gap: ${f} is not a \`vtrial validate --json\` report (no "comparisons" list)`);
    process.exit(2);
  }
  return new Map(j.comparisons.map((c) => [c.id, c]));
};
const [a, b] = files.map(read);
const est = (x) => (x && typeof x === 'object' ? x.estimate : x);
const halfWidth = (c) => {
  const p = c.published;
  return p && typeof p === 'object' && Array.isArray(p.ci95) ? (p.ci95[1] - p.ci95[0]) / 2 : NaN;
};
const f = (x, w = 8) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a').padStart(w);
const rows = [];
for (const [id, ca] of a) {
  const cb = b.get(id);
  if (!cb) continue;
  const pa = est(ca.predicted), pb = est(cb.predicted);
  const gap = (pb - pa) / halfWidth(ca);
  rows.push({ id, pub: est(ca.published), pa, pb, ia: ca.inside_ci, ib: cb.inside_ci, gap });
}
const missing = [...b.keys()].filter((id) => !a.has(id)).length + [...a.keys()].filter((id) => !b.has(id)).length;
console.log(`${files[0]} (1) against ${files[1]} (2): ${rows.length} comparisons in both${missing ? `, ${missing} in one only` : ''}`);
console.log(`inside the CI: (1) ${rows.filter((r) => r.ia).length}, (2) ${rows.filter((r) => r.ib).length}; both ${rows.filter((r) => r.ia && r.ib).length}; only (1) ${rows.filter((r) => r.ia && !r.ib).length}; only (2) ${rows.filter((r) => !r.ia && r.ib).length}`);
console.log(`${'comparison'.padEnd(40)}${'published'.padStart(10)}${'(1)'.padStart(10)}${'(2)'.padStart(10)}  gap (2)-(1), CI half-widths`);
for (const r of rows) {
  if (!all && r.ia === r.ib && !(Math.abs(r.gap) > 1)) continue;
  console.log(`${r.id.slice(0, 39).padEnd(40)}${f(r.pub, 10)}${f(r.pa, 9)} ${r.ia ? 'I' : '.'}${f(r.pb, 9)} ${r.ib ? 'I' : '.'}  ${f(r.gap, 6)}`);
}
