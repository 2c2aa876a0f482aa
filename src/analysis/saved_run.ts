/**
 * Re-analysis without re-simulation: read the trajectories a run saved (`vtrial run
 * --trajectories FILE`, long form: twin_id, arm, allocated, day, dropout_day, one column per
 * variable; CSV or Parquet) and rebuild the TrialData the analysis reads, recomputing every
 * endpoint of a (possibly edited) trial spec from the trajectories.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { InputError } from '../core/errors.js';
import type { Trajectories } from '../core/simulator.js';
import { parseCsv } from '../population/participants.js';
import type { TrialSpec } from '../trial-dsl/spec.js';
import { computeEndpoint, TrajectoryAccumulator } from './endpoints.js';
import type { TrialData } from './trial.js';

const REQUIRED = ['twin_id', 'arm', 'allocated', 'day'] as const;

/** Read a table (CSV or Parquet) into named columns of strings or numbers. */
export async function readTable(file: string): Promise<Record<string, (string | number | null)[]>> {
  const ext = extname(file).toLowerCase();
  if (ext === '.parquet') {
    const { asyncBufferFromFile, parquetReadObjects } = await import('hyparquet');
    const rows = (await parquetReadObjects({ file: await asyncBufferFromFile(file) })) as Record<string, unknown>[];
    const out: Record<string, (string | number | null)[]> = {};
    if (rows.length === 0) return out;
    for (const k of Object.keys(rows[0])) {
      out[k] = rows.map((r) => {
        const v = r[k];
        return v === null || v === undefined ? null : typeof v === 'bigint' ? Number(v) : (v as string | number);
      });
    }
    return out;
  }
  const [header, ...rows] = parseCsv(await readFile(file, 'utf8')).filter((r) => r.length > 1 || r[0] !== '');
  if (!header) throw new InputError(`${file}: empty file`);
  const out: Record<string, (string | number | null)[]> = {};
  header.forEach((h, j) => (out[h.trim()] = rows.map((r) => (r[j] === undefined || r[j] === '' ? null : r[j]))));
  return out;
}

const num = (x: string | number | null): number => (x === null ? NaN : typeof x === 'number' ? x : Number(x));

/**
 * Rebuild TrialData from a saved trajectories table.
 *
 * @throws InputError naming the file when columns, arms or visits do not fit the trial
 */
export async function trialDataFromTrajectories(spec: TrialSpec, file: string): Promise<TrialData> {
  const table = await readTable(file);
  const missing = REQUIRED.filter((c) => !(c in table));
  if (missing.length) {
    throw new InputError(`${file}: not a saved trajectories file (missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')})`, [
      'write one with `vtrial run TRIAL --trajectories FILE.csv`',
    ]);
  }
  const nRows = table.twin_id.length;
  const armIds = spec.arms.map((a) => a.id);
  // age and sex (written by `vtrial run --trajectories`) are baseline covariates, not trajectories
  const baseline = ['age', 'sex'].filter((c) => c in table);
  const variables = Object.keys(table).filter((c) => !['twin_id', 'arm', 'allocated', 'day', 'dropout_day', ...baseline].includes(c));
  const twinIndex = new Map<string, number>();
  const days = new Set<number>();
  for (let r = 0; r < nRows; r++) {
    const id = String(table.twin_id[r]);
    if (!twinIndex.has(id)) twinIndex.set(id, twinIndex.size);
    days.add(num(table.day[r]));
    const arm = String(table.arm[r]);
    if (!armIds.includes(arm)) throw new InputError(`${file}: row ${r + 2}: arm '${arm}' is not an arm of the trial (${armIds.join(', ')})`, ['analyse the file with the trial file it was run from']);
  }
  const visitDays = [...days].sort((a, b) => a - b);
  const specDays = spec.schedule.visits.map((v) => v.day);
  const absent = specDays.filter((d) => !days.has(d));
  if (absent.length) throw new InputError(`${file}: visit day(s) ${absent.join(', ')} of the trial are not in the file (file days: ${visitDays.join(', ')})`);
  const n = twinIndex.size;
  const nV = visitDays.length;
  const dayIndex = new Map(visitDays.map((d, k) => [d, k]));
  const arms: Trajectories[] = armIds.map(() => ({
    n,
    visitDays,
    values: Object.fromEntries(variables.map((v) => [v, new Float64Array(n * nV).fill(NaN)])),
    dropoutDay: new Float64Array(n).fill(Infinity),
  }));
  const allocation = new Uint8Array(n).fill(255);
  for (let r = 0; r < nRows; r++) {
    const t = twinIndex.get(String(table.twin_id[r]))!;
    const a = armIds.indexOf(String(table.arm[r]));
    const k = dayIndex.get(num(table.day[r]))!;
    const traj = arms[a];
    for (const v of variables) (traj.values[v] as Float64Array)[t * nV + k] = num(table[v][r]);
    const drop = table.dropout_day ? num(table.dropout_day[r]) : NaN;
    if (Number.isFinite(drop)) traj.dropoutDay[t] = drop;
    if (num(table.allocated[r]) === 1) allocation[t] = a;
  }
  const unallocated = allocation.findIndex((a) => a === 255);
  if (unallocated >= 0) throw new InputError(`${file}: twin ${[...twinIndex.keys()][unallocated]} has no row with allocated = 1`);
  // baseline covariates: day-0 values (identical under every arm), plus age/sex columns when present
  const covariates: Record<string, Float64Array> = {};
  const base = dayIndex.get(0);
  if (base !== undefined) {
    for (const v of variables) covariates[v] = Float64Array.from({ length: n }, (_, t) => arms[allocation[t]].values[v][t * nV + base]);
  }
  for (const c of baseline) {
    const col = (covariates[c] = new Float64Array(n).fill(NaN));
    for (let r = 0; r < nRows; r++) col[twinIndex.get(String(table.twin_id[r]))!] = num(table[c][r]);
  }
  const endpoints: TrialData['endpoints'] = {};
  for (const ep of spec.endpoints) {
    try {
      endpoints[ep.name] = arms.map((traj) => computeEndpoint(ep, traj, spec.schedule));
    } catch (e) {
      throw new InputError(`${file}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const trajectories: Record<string, unknown> = {};
  arms.forEach((traj, a) => {
    const acc = new TrajectoryAccumulator(variables, visitDays);
    const masked = Object.fromEntries(variables.map((v) => [v, traj.values[v].map((x, k) => (allocation[Math.floor(k / nV)] === a ? x : NaN))]));
    acc.add({ ...traj, values: masked });
    trajectories[armIds[a]] = acc.toJSON();
  });
  return { spec, allocation, covariates, endpoints, trajectories };
}
