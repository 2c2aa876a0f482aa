/**
 * Real participants from a file: CSV wide (one row per participant, columns = catalog ids or
 * aliases), CSV long in the MEDS convention (subject_id, time, code, numeric_value; the earliest
 * value of each code is the baseline), or Parquet in either layout.
 *
 * Problems are named, never hidden: unknown columns/codes are reported as warnings, values out of
 * the catalog's plausible range are errors (with the unit mistake that would explain them, from
 * the catalog's altUnits), and no participant is dropped silently: missing sex or age, or an
 * impossible value, is an InputError listing every problem. Baseline variables missing for a
 * participant are imputed from the synthetic generator conditionally on what was measured
 * (nearest of 64 same-sex, same-age synthetic candidates on the measured variables) and reported.
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { hashString } from '../core/rng.js';
import { InputError } from '../core/errors.js';
import type { TwinBatch } from '../core/simulator.js';
import type { PopulationSpec } from '../trial-dsl/spec.js';
import { VARIABLES, resolveColumn } from './catalog.js';
import { drawBaseline, NVAR, VAR_INDEX } from './baseline.js';
import { passesAll } from './eligibility.js';
import type { DrawResult } from './draw.js';

const IMPUTE = hashString('impute-file');
const ID_COLUMNS = ['id', 'subject_id', 'participant_id', 'patient_id', 'twin_id'];

/** Minimal RFC 4180 CSV parser (quotes, escaped quotes, CRLF). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else q = false;
      } else field += c;
    } else if (c === '"') q = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      field = '';
      if (row.length > 1 || row[0] !== '') rows.push(row);
      row = [];
    } else field += c;
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

function parseSex(v: unknown): number | undefined {
  const s = String(v ?? '').trim().toLowerCase();
  if (['m', 'male', '0', 'man'].includes(s)) return 0;
  if (['f', 'female', '1', 'woman'].includes(s)) return 1;
  return undefined;
}

async function readTable(file: string): Promise<Record<string, unknown>[]> {
  if (extname(file).toLowerCase() === '.parquet') {
    const { asyncBufferFromFile, parquetReadObjects } = await import('hyparquet');
    const buf = await asyncBufferFromFile(file);
    return (await parquetReadObjects({ file: buf })) as Record<string, unknown>[];
  }
  const rows = parseCsv(await readFile(file, 'utf8'));
  if (rows.length === 0) return [];
  const header = rows[0].map((h) => h.trim());
  return rows.slice(1).map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ''])));
}

const num = (v: unknown): number => {
  if (v === null || v === undefined) return NaN;
  if (typeof v === 'bigint') return Number(v);
  const s = String(v).trim();
  if (s === '' || s.toUpperCase() === 'NA' || s.toLowerCase() === 'nan') return NaN;
  return Number(s);
};

interface Parsed {
  readonly labels: string[];
  readonly rows: Float64Array[];
  readonly warnings: string[];
  readonly problems: string[];
}

function fromWide(table: Record<string, unknown>[], file: string): Parsed {
  const warnings: string[] = [];
  const problems: string[] = [];
  const cols = Object.keys(table[0] ?? {});
  const idCol = cols.find((c) => ID_COLUMNS.includes(c.toLowerCase()));
  const map = new Map<string, number>();
  const unknown: string[] = [];
  for (const c of cols) {
    if (c === idCol) continue;
    const id = resolveColumn(c);
    if (id === undefined) unknown.push(c);
    else map.set(c, VAR_INDEX[id]);
  }
  if (unknown.length) warnings.push(`${file}: unknown columns ignored: ${unknown.join(', ')} (see \`vtrial catalog\` for variable ids)`);
  const labels: string[] = [];
  const rows: Float64Array[] = [];
  table.forEach((rec, i) => {
    const row = new Float64Array(NVAR).fill(NaN);
    for (const [c, j] of map) row[j] = VARIABLES[j].id === 'sex' ? (parseSex(rec[c]) ?? NaN) : num(rec[c]);
    const sexCol = [...map].find(([, j]) => j === VAR_INDEX.sex)?.[0];
    if (sexCol && rec[sexCol] !== '' && Number.isNaN(row[VAR_INDEX.sex])) problems.push(`${file} row ${i + 2}: sex '${String(rec[sexCol])}' not understood (expected M/F)`);
    labels.push(idCol ? String(rec[idCol]) : `row ${i + 2}`);
    rows.push(row);
  });
  return { labels, rows, warnings, problems };
}

function fromLong(table: Record<string, unknown>[], file: string): Parsed {
  const warnings: string[] = [];
  const problems: string[] = [];
  const bySubject = new Map<string, { row: Float64Array; time: Float64Array }>();
  const unknown = new Set<string>();
  for (const rec of table) {
    const sid = String(rec.subject_id);
    let s = bySubject.get(sid);
    if (!s) {
      s = { row: new Float64Array(NVAR).fill(NaN), time: new Float64Array(NVAR).fill(Infinity) };
      bySubject.set(sid, s);
    }
    const code = String(rec.code ?? '').trim();
    const t = num(rec.time);
    const time = Number.isNaN(t) ? 0 : t;
    let j: number | undefined;
    let value = num(rec.numeric_value);
    const up = code.toUpperCase();
    if (up.startsWith('SEX//')) {
      j = VAR_INDEX.sex;
      value = parseSex(code.slice(5)) ?? NaN;
    } else if (up === 'AGE') j = VAR_INDEX.age;
    else if (up.includes('//')) continue; // exposures and events are not baseline measurements
    else {
      const id = resolveColumn(code);
      if (id === undefined) {
        unknown.add(code);
        continue;
      }
      j = VAR_INDEX[id];
    }
    if (Number.isNaN(value)) continue;
    if (time < s.time[j]) {
      s.time[j] = time;
      s.row[j] = value;
    }
  }
  if (unknown.size) warnings.push(`${file}: unknown codes ignored: ${[...unknown].slice(0, 20).join(', ')}${unknown.size > 20 ? ', ...' : ''}`);
  return { labels: [...bySubject.keys()], rows: [...bySubject.values()].map((s) => s.row), warnings, problems };
}

/** Read, check, impute and filter real participants. */
export async function readParticipants(pop: PopulationSpec, opts: { seed: number; baseDir: string }): Promise<DrawResult> {
  if (!pop.path) throw new InputError('population.source is file but population.path is missing', ['add path: participants.csv (CSV or Parquet, relative to the trial file)']);
  const file = resolve(opts.baseDir, pop.path);
  if (!existsSync(file)) throw new InputError(`population.path: ${file} does not exist`);
  const table = await readTable(file);
  if (table.length === 0) throw new InputError(`${file}: no participants (empty table)`);
  const cols = Object.keys(table[0]).map((c) => c.toLowerCase());
  const long = cols.includes('subject_id') && cols.includes('code') && cols.includes('numeric_value');
  const parsed = long ? fromLong(table, file) : fromWide(table, file);
  const problems = [...parsed.problems];
  const warnings = [...parsed.warnings];
  // plausibility and unit mistakes
  parsed.rows.forEach((row, i) => {
    const who = parsed.labels[i];
    if (Number.isNaN(row[VAR_INDEX.sex])) problems.push(`${who}: sex missing (M/F needed for every participant)`);
    if (Number.isNaN(row[VAR_INDEX.age])) problems.push(`${who}: age missing (years needed for every participant)`);
    VARIABLES.forEach((def, j) => {
      const v = row[j];
      if (Number.isNaN(v) || def.id === 'sex') return;
      const [lo, hi] = def.plausible;
      if (v >= lo && v <= hi) return;
      const fix = def.altUnits?.find((u) => v * u.factor >= lo && v * u.factor <= hi);
      problems.push(
        `${who}: ${def.id} = ${v} is outside the plausible range ${lo}-${hi} ${def.unit}` +
          (fix ? `; looks like ${fix.unit} (x ${+fix.factor.toPrecision(4)} gives ${+(v * fix.factor).toPrecision(4)} ${def.unit}): convert the column` : ''),
      );
    });
  });
  if (problems.length) throw new InputError(`${file}: ${problems.length} problem(s) in the participant data`, problems.slice(0, 200));
  // impute missing baseline variables from the generator, conditionally on what was measured
  const imputedCount = new Map<string, number>();
  const cand = new Float64Array(NVAR);
  const best = new Float64Array(NVAR);
  const scale = VARIABLES.map((d) => (d.plausible[1] - d.plausible[0]) / 20 || 1);
  parsed.rows.forEach((row, i) => {
    const missing: number[] = [];
    for (let j = 0; j < NVAR; j++) if (Number.isNaN(row[j])) missing.push(j);
    if (!missing.length) return;
    const sex = row[VAR_INDEX.sex] === 1 ? 'F' : 'M';
    const age = Math.min(80, Math.max(18, row[VAR_INDEX.age]));
    let bestD = Infinity;
    for (let k = 0; k < 64; k++) {
      drawBaseline(opts.seed ^ IMPUTE, i * 64 + k, { sex, ageMin: age, ageMax: age }, cand);
      let d = 0;
      for (let j = 0; j < NVAR; j++) if (!Number.isNaN(row[j]) && j !== VAR_INDEX.age && j !== VAR_INDEX.sex) d += ((row[j] - cand[j]) / scale[j]) ** 2;
      if (d < bestD) {
        bestD = d;
        best.set(cand);
      }
    }
    for (const j of missing) {
      row[j] = best[j];
      imputedCount.set(VARIABLES[j].id, (imputedCount.get(VARIABLES[j].id) ?? 0) + 1);
    }
  });
  if (imputedCount.size) {
    warnings.push(
      `imputed from the synthetic generator (nearest same-sex, same-age candidate on the measured variables): ` +
        [...imputedCount].map(([id, c]) => `${id} (${c})`).join(', '),
    );
  }
  // eligibility: exclusions are reported, never silent
  const eligible: Float64Array[] = [];
  const excluded: string[] = [];
  parsed.rows.forEach((row, i) => {
    const sexOk = pop.sex === 'any' || (pop.sex === 'M' ? row[VAR_INDEX.sex] === 0 : row[VAR_INDEX.sex] === 1);
    if (sexOk && passesAll(pop.eligibility, row)) eligible.push(row);
    else excluded.push(parsed.labels[i]);
  });
  if (excluded.length) warnings.push(`${excluded.length} participant(s) not eligible: ${excluded.slice(0, 10).join(', ')}${excluded.length > 10 ? ', ...' : ''}`);
  let rows = eligible;
  if (rows.length > pop.n) {
    warnings.push(`${rows.length} eligible participants; the first ${pop.n} in file order are used (population.n)`);
    rows = rows.slice(0, pop.n);
  } else if (rows.length < pop.n) warnings.push(`only ${rows.length} eligible participants for population.n = ${pop.n}; all are used`);
  if (rows.length === 0) throw new InputError(`${file}: no eligible participants`, excluded.slice(0, 20).map((l) => `${l}: fails eligibility`));
  if (pop.baseline.length) warnings.push('population.baseline targets are not applied to participants read from a file');
  const columns: Record<string, Float64Array> = {};
  VARIABLES.forEach((v, j) => {
    columns[v.id] = Float64Array.from(rows, (r) => r[j]);
  });
  const batch: TwinBatch = { ids: Uint32Array.from(rows, (_, i) => i), columns };
  return { batch, draws: parsed.rows.length, method: `participants read from ${long ? 'long (MEDS)' : 'wide'} ${extname(file).slice(1) || 'csv'} file`, warnings };
}
