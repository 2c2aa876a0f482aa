#!/usr/bin/env bash
# Regenerates the bundled SYNTHETIC sample data in trials/data/ (see trials/data/README.md):
#   participants.csv    300 synthetic adults (one noisy measurement of each variable, as a clinic
#                       would record it), a clinical subset of the catalog variables, ids P001...
#   trial-outcomes.csv  one row per randomised participant of trials/real-participants.yaml run on
#                       the reference world, as a real trial would record it: the allocated arm
#                       only, the participant's baseline columns (SBP and DBP as measured at
#                       randomisation) and the observed 12-week SBP change (empty after dropout),
#                       the layout `vtrial analyze --prognostic` reads.
# Deterministic: the same engine version gives the same files.
# Usage: scripts/make-sample-data.sh   (from the repository root; builds first)
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc -p tsconfig.json
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

node bin/vtrial.js population sample --n 300 --seed 20240 --measured --out "$tmp/all.csv"

node --input-type=module - "$tmp/all.csv" trials/data/participants.csv <<'JS'
import { readFileSync, writeFileSync } from 'node:fs';
import { VARIABLES } from './dist/population/catalog.js';
import { parseCsv } from './dist/population/participants.js';
const [src, dst] = process.argv.slice(2);
const keep = ['age', 'sex', 'height', 'body_weight', 'bmi', 'waist', 'sbp', 'dbp', 'resting_hr', 'total_cholesterol', 'ldl_c',
  'hdl_c', 'triglycerides', 'fasting_glucose', 'hba1c', 'creatinine', 'smoker', 'diabetes', 'hypertension', 'on_statin',
  'on_bp_meds', 'on_metformin', 'on_insulin'];
const [header, ...rows] = parseCsv(readFileSync(src, 'utf8'));
const col = Object.fromEntries(header.map((h, i) => [h, i]));
const dec = Object.fromEntries(VARIABLES.map((v) => [v.id, v.decimals]));
const out = [['id', ...keep].join(',')];
rows.forEach((r, i) => {
  const cells = keep.map((k) => (k === 'sex' || r[col[k]] === '' ? r[col[k]] : String(+Number(r[col[k]]).toFixed(dec[k]))));
  out.push([`P${String(i + 1).padStart(3, '0')}`, ...cells].join(','));
});
writeFileSync(dst, out.join('\n') + '\n');
JS

node bin/vtrial.js run trials/real-participants.yaml --engine reference --workers 1 --quiet \
  --trajectories "$tmp/traj.csv" --out "$tmp/report.json" > /dev/null

node --input-type=module - "$tmp/traj.csv" trials/data/participants.csv trials/data/trial-outcomes.csv <<'JS'
import { readFileSync, writeFileSync } from 'node:fs';
import { parseCsv } from './dist/population/participants.js';
const [trajFile, partFile, dst] = process.argv.slice(2);
const table = (f) => {
  const [h, ...rows] = parseCsv(readFileSync(f, 'utf8'));
  return rows.map((r) => Object.fromEntries(h.map((k, i) => [k, r[i]])));
};
const people = table(partFile); // twin id = position in the participant file
const byTwin = new Map();
for (const r of table(trajFile)) {
  if (r.allocated !== '1') continue; // a real trial observes each participant under the allocated arm only
  const t = byTwin.get(r.twin_id) ?? { arm: r.arm, visits: new Map() };
  t.visits.set(Number(r.day), r);
  byTwin.set(r.twin_id, t);
}
const cols = Object.keys(people[0]).filter((k) => k !== 'id');
const out = [['id', 'arm', ...cols, 'sbp_change_12w'].join(',')];
for (const [twin, t] of [...byTwin].sort((a, b) => a[0] - b[0])) {
  const p = people[Number(twin)];
  const base = t.visits.get(0);
  const end = t.visits.get(84);
  const change = end && end.sbp !== '' && base.sbp !== '' ? (Number(end.sbp) - Number(base.sbp)).toFixed(1) : '';
  // blood pressure at randomisation is the trial's day-0 measurement; the rest is the participant file's
  const cells = cols.map((k) => (k === 'sbp' || k === 'dbp' ? Number(base[k]).toFixed(1) : p[k]));
  out.push([p.id, t.arm, ...cells, change].join(','));
}
writeFileSync(dst, out.join('\n') + '\n');
JS
echo "wrote trials/data/participants.csv ($(($(wc -l < trials/data/participants.csv) - 1)) participants) and trials/data/trial-outcomes.csv ($(($(wc -l < trials/data/trial-outcomes.csv) - 1)) randomised)"
