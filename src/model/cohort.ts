/**
 * Reading a longitudinal cohort in the MEDS-style long format the model trains on:
 *
 *   subject_id,time,code,numeric_value
 *
 * time is in days since the participant's entry; code is a catalog variable id (or alias) for a
 * measurement, a static attribute (age, sex, condition and medication flags), or an exposure
 * code with a `//` separator (DRUG//atorvastatin with the dose, DIET//dash, DIET//sodium_mg_day,
 * EXERCISE//aerobic_min_week, ...). An exposure event sets that exposure's level from its time on
 * (0 stops it). CSV (header row required) and Parquet are read.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { InputError } from '../core/errors.js';

export interface CohortEvent {
  readonly time: number;
  readonly code: string;
  readonly value: number;
}

export interface CohortSubject {
  readonly id: string;
  /** Sorted by time (stable). */
  readonly events: CohortEvent[];
}

export interface Cohort {
  readonly file: string;
  readonly subjects: CohortSubject[];
  readonly nEvents: number;
}

const REQUIRED = ['subject_id', 'time', 'code', 'numeric_value'] as const;

function splitCsvLine(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const out: string[] = [];
  let cur = '';
  let q = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (q) {
      if (c === '"' && line[i + 1] === '"') { cur += '"'; i++; }
      else if (c === '"') q = false;
      else cur += c;
    } else if (c === '"') q = true;
    else if (c === ',') { out.push(cur); cur = ''; }
    else cur += c;
  }
  out.push(cur);
  return out;
}

/** Group raw rows into subjects with sorted events. */
export function cohortFromRows(file: string, rows: Iterable<{ subject: string; time: number; code: string; value: number }>): Cohort {
  const bySubject = new Map<string, CohortEvent[]>();
  let n = 0;
  for (const r of rows) {
    let ev = bySubject.get(r.subject);
    if (!ev) bySubject.set(r.subject, (ev = []));
    ev.push({ time: r.time, code: r.code, value: r.value });
    n++;
  }
  const subjects: CohortSubject[] = [];
  for (const [id, events] of bySubject) {
    events.sort((a, b) => a.time - b.time);
    subjects.push({ id, events });
  }
  return { file, subjects, nEvents: n };
}

export function parseCohortCsv(text: string, file = '<csv>'): Cohort {
  const lines = text.split(/\r?\n/);
  const header = splitCsvLine(lines[0] ?? '').map((h) => h.trim().toLowerCase());
  const idx = REQUIRED.map((c) => header.indexOf(c));
  const missing = REQUIRED.filter((_, i) => idx[i]! < 0);
  if (missing.length) {
    throw new InputError(`${file}: cohort file lacks column(s) ${missing.join(', ')}`, [
      `  expected a long-format header: ${REQUIRED.join(',')}`,
      `  found: ${header.join(',') || '(empty first line)'}`,
    ]);
  }
  const [iS, iT, iC, iV] = idx as [number, number, number, number];
  const errors: string[] = [];
  const rows: { subject: string; time: number; code: string; value: number }[] = [];
  for (let l = 1; l < lines.length; l++) {
    const line = lines[l]!;
    if (line.trim() === '') continue;
    const f = splitCsvLine(line);
    const time = Number(f[iT]);
    const vs = (f[iV] ?? '').trim();
    const value = vs === '' ? NaN : Number(vs);
    const code = (f[iC] ?? '').trim();
    if (!Number.isFinite(time)) errors.push(`  line ${l + 1}: time '${f[iT]}' is not a number of days`);
    else if (code === '') errors.push(`  line ${l + 1}: empty code`);
    else if (Number.isNaN(value) && vs !== '') errors.push(`  line ${l + 1}: numeric_value '${vs}' is not a number`);
    else rows.push({ subject: (f[iS] ?? '').trim(), time, code, value: Number.isNaN(value) ? 1 : value });
    if (errors.length >= 20) break;
  }
  if (errors.length) throw new InputError(`${file}: ${errors.length}${errors.length >= 20 ? '+' : ''} bad row(s) in cohort file`, errors);
  return cohortFromRows(file, rows);
}

/** Read a cohort from a .csv or .parquet file. */
export async function readCohort(file: string): Promise<Cohort> {
  const ext = extname(file).toLowerCase();
  if (ext === '.parquet') {
    const hp = (await import('hyparquet')) as unknown as {
      asyncBufferFromFile(f: string): Promise<unknown>;
      parquetReadObjects(o: { file: unknown; columns?: string[] }): Promise<Record<string, unknown>[]>;
    };
    let objs: Record<string, unknown>[];
    try {
      objs = await hp.parquetReadObjects({ file: await hp.asyncBufferFromFile(file) });
    } catch (e) {
      throw new InputError(`${file}: cannot read Parquet cohort (${e instanceof Error ? e.message : String(e)})`);
    }
    if (objs.length) {
      const missing = REQUIRED.filter((c) => !(c in objs[0]!));
      if (missing.length) throw new InputError(`${file}: cohort file lacks column(s) ${missing.join(', ')}`, [`  expected: ${REQUIRED.join(', ')}`]);
    }
    return cohortFromRows(file, objs.map((o) => ({
      subject: String(o.subject_id),
      time: Number(o.time),
      code: String(o.code),
      value: o.numeric_value === null || o.numeric_value === undefined ? 1 : Number(o.numeric_value),
    })));
  }
  if (ext !== '.csv' && ext !== '.txt' && ext !== '.tsv') {
    throw new InputError(`${file}: unknown cohort file type '${ext}'`, ['  expected a .csv or .parquet long-format file (subject_id,time,code,numeric_value)']);
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new InputError(`${file}: cannot read cohort file (${e instanceof Error ? e.message : String(e)})`);
  }
  return parseCohortCsv(text, file);
}
