/**
 * Real participants from a file, for `population: {source: file, path: ...}` and for
 * `vtrial analyze --prognostic`.
 *
 * Layouts (detected from the columns):
 * - wide: one row per participant, one column per catalog variable (catalog id or alias, any
 *   case); an optional id column (id, subject_id, participant_id, patient_id, usubjid, twin_id).
 * - long, MEDS convention: columns subject_id, time, code, numeric_value; one row per
 *   measurement. The earliest value of each code is the participant's baseline (rows with an
 *   empty time are static and come first). Codes are catalog ids or aliases, plus `AGE`,
 *   `SEX//M` / `SEX//F`, and `CONDITION//<flag>` (as `vtrial cohort` writes them; when a file
 *   uses CONDITION codes, a flag never coded for a participant is 0). Other `PREFIX//name` codes
 *   (exposures, events) are not baseline measurements and are counted in a warning.
 * Both layouts may be CSV (RFC 4180, comma-separated, UTF-8) or Parquet.
 *
 * Values: sex as M/F, male/female, man/woman or 0/1 (0 = male, 1 = female, as in TwinBatch);
 * flags as 0/1, true/false, yes/no; everything else a number in the catalog unit (lipids and
 * glucose in mg/dL, weight in kg, height in cm, HbA1c in %). Empty, NA, NaN and null are missing.
 *
 * Problems are named, never hidden, and no participant is dropped silently:
 * - errors (an InputError listing every problem with its row number): a value that is not a
 *   number (or not a valid sex/flag), a value outside the catalog's plausible range (with the
 *   unit that would explain it, from the catalog's altUnits; a whole column in the wrong unit is
 *   reported once, with its rows), missing sex or age, duplicate participant ids, two columns
 *   for one variable, rows with the wrong number of fields;
 * - warnings: unknown columns or codes (with a did-you-mean), a column whose values are all
 *   plausible but whose median sits where a unit mistake would put it (weight in lb, CRP in
 *   mg/dL, insulin in pmol/L), BMI inconsistent with weight and height, imputed values,
 *   participants excluded by eligibility (counted by reason, with their rows), unused participants.
 *
 * Eligibility rules are checked on the values in the file only: a participant whose value for a
 * rule's variable is missing is excluded ("not measured"), never judged on an imputed value.
 * BMI, weight or height, and eGFR or creatinine, are computed from each other where one is
 * missing (BMI = kg/m^2; eGFR by CKD-EPI 2021). Remaining missing baseline variables are imputed
 * from the synthetic generator conditionally on what was measured (the nearest of 256 same-sex,
 * same-age synthetic candidates on the measured variables), and every imputation is counted in
 * a warning.
 */
import { readFile } from 'node:fs/promises';
import { existsSync, statSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { hashString } from '../core/rng.js';
import { InputError } from '../core/errors.js';
import type { TwinBatch } from '../core/simulator.js';
import type { EligibilityRule, PopulationSpec, RangeRule } from '../trial-dsl/spec.js';
import { didYouMean } from '../trial-dsl/suggest.js';
import { DERIVED, VARIABLES, resolveColumn, type VariableDef } from './catalog.js';
import { creatinineFromEgfr, drawBaseline, egfrCkdEpi2021, NVAR, sampleBaselines, VAR_INDEX } from './baseline.js';
import { isFlagRule, passes } from './eligibility.js';
import type { DrawResult } from './draw.js';

const IMPUTE = hashString('impute-file');
const ID_COLUMNS = ['id', 'subject_id', 'participant_id', 'patient_id', 'usubjid', 'subjid', 'twin_id'];
/** Most problems listed in one InputError (the count of the rest is given). */
const MAX_LISTED = 500;
/** Synthetic candidates per sex and year of age that imputation picks a donor from. */
const POOL = 256;

/** Minimal RFC 4180 CSV parser (quotes, escaped quotes, CRLF). */
export function parseCsv(text: string): string[][] {
  return parseCsvLines(text).rows;
}

/** parseCsv plus the 1-based line on which each record starts; blank lines are skipped. */
export function parseCsvLines(text: string): { rows: string[][]; lines: number[] } {
  const rows: string[][] = [];
  const lines: number[] = [];
  let row: string[] = [];
  let field = '';
  let q = false;
  let line = 1;
  let start = 1;
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // byte-order mark (spreadsheet exports)
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else q = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
    } else if (c === '"') q = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      field = '';
      if (row.length > 1 || row[0] !== '') {
        rows.push(row);
        lines.push(start);
      }
      row = [];
      line++;
      start = line;
    } else field += c;
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
    lines.push(start);
  }
  return { rows, lines };
}

interface Table {
  readonly columns: string[];
  readonly records: Record<string, unknown>[];
  /** How each record is named in messages: 'row N' (CSV line N; Parquet row N counting the header as row 1). */
  readonly where: string[];
  readonly problems: string[];
  readonly format: 'csv' | 'parquet';
}

async function readTable(file: string): Promise<Table> {
  if (extname(file).toLowerCase() === '.parquet') {
    const { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema } = await import('hyparquet');
    let records: Record<string, unknown>[];
    let columns: string[];
    try {
      const buf = await asyncBufferFromFile(file);
      const meta = await parquetMetadataAsync(buf);
      columns = parquetSchema(meta).children.map((c) => c.element.name);
      records = (await parquetReadObjects({ file: buf, metadata: meta })) as Record<string, unknown>[];
    } catch (e) {
      throw new InputError(`${file}: not a readable Parquet file (${e instanceof Error ? e.message : String(e)})`);
    }
    return { columns, records, where: records.map((_, i) => `row ${i + 2}`), problems: [], format: 'parquet' };
  }
  const { rows, lines } = parseCsvLines(await readFile(file, 'utf8'));
  if (rows.length === 0) return { columns: [], records: [], where: [], problems: [], format: 'csv' };
  const columns = rows[0].map((h) => h.trim());
  const problems: string[] = [];
  if (columns.length === 1 && /[;\t]/.test(columns[0])) {
    throw new InputError(`${file}: the header has one column '${columns[0].slice(0, 60)}'`, ['expected comma-separated values (RFC 4180); save the file as CSV with commas, not semicolons or tabs']);
  }
  const seen = new Map<string, number>();
  columns.forEach((c, i) => {
    if (c === '') problems.push(`${file} line ${lines[0]}: column ${i + 1} has an empty name`);
    const prev = seen.get(c.toLowerCase());
    if (prev !== undefined) problems.push(`${file} line ${lines[0]}: column '${c}' appears twice (columns ${prev + 1} and ${i + 1})`);
    seen.set(c.toLowerCase(), i);
  });
  const records: Record<string, unknown>[] = [];
  const where: string[] = [];
  for (let r = 1; r < rows.length; r++) {
    const fields = rows[r];
    if (fields.length !== columns.length) problems.push(`row ${lines[r]}: ${fields.length} fields, the header has ${columns.length}`);
    records.push(Object.fromEntries(columns.map((h, i) => [h, fields[i] ?? ''])));
    where.push(`row ${lines[r]}`);
  }
  return { columns, records, where, problems, format: 'csv' };
}

const MISSING = new Set(['', 'na', 'nan', 'null', 'none', '.']);

/** undefined = missing; NaN = not understood. */
function parseNumber(v: unknown): number | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'number') return Number.isNaN(v) ? undefined : v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  const s = String(v).trim();
  if (MISSING.has(s.toLowerCase())) return undefined;
  const x = Number(s);
  return Number.isFinite(x) ? x : NaN;
}

function parseSex(v: unknown): number | undefined {
  if (v === null || v === undefined) return undefined;
  const s = String(v).trim().toLowerCase();
  if (MISSING.has(s)) return undefined;
  if (['m', 'male', 'man', '0'].includes(s)) return 0;
  if (['f', 'female', 'woman', '1'].includes(s)) return 1;
  return NaN;
}

function parseFlag(v: unknown): number | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'boolean') return v ? 1 : 0;
  const s = String(v).trim().toLowerCase();
  if (MISSING.has(s)) return undefined;
  if (['1', 'true', 'yes', 'y', 't'].includes(s)) return 1;
  if (['0', 'false', 'no', 'n', 'f'].includes(s)) return 0;
  return NaN;
}

const EXPECTED: Record<VariableDef['kind'], string> = {
  continuous: 'a number',
  category: 'M/F, male/female or 0/1 (0 = male, 1 = female)',
  flag: '0/1, true/false or yes/no',
};

/** Parse one cell for catalog variable j: a value, undefined (missing) or a problem text. */
function parseCell(j: number, v: unknown): number | undefined | { problem: string } {
  const def = VARIABLES[j];
  const x = def.kind === 'category' ? parseSex(v) : def.kind === 'flag' ? parseFlag(v) : parseNumber(v);
  if (x !== undefined && Number.isNaN(x)) return { problem: `${def.id} '${String(v)}' not understood (expected ${EXPECTED[def.kind]})` };
  return x;
}

/** Time of a long-format row for ordering within a participant: -Infinity when empty (static). */
function parseTime(v: unknown): number {
  if (v === null || v === undefined) return -Infinity;
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'number') return Number.isNaN(v) ? -Infinity : v;
  if (typeof v === 'bigint') return Number(v);
  const s = String(v).trim();
  if (MISSING.has(s.toLowerCase())) return -Infinity;
  const x = Number(s);
  if (Number.isFinite(x)) return x;
  const d = Date.parse(s);
  return Number.isNaN(d) ? NaN : d;
}

interface Parsed {
  /** Participant names for messages, e.g. 'row 5 (id P004)' or 'subject 17'. */
  readonly labels: string[];
  readonly rows: Float64Array[];
  /** Variables present in the file (a column or code), by catalog index. */
  readonly present: Set<number>;
  /** For each variable index, the file rows of each participant's value (for messages). */
  readonly cellWhere: (participant: number, j: number) => string;
  readonly columnName: Map<number, string>;
  /** Cells already reported as not understood (participant * NVAR + variable index). */
  readonly unparsed: Set<number>;
  readonly warnings: string[];
  readonly problems: string[];
}

/** 'a, b (did you mean 'c'?), d' for unknown names, suggesting only variables the file lacks. */
function describeUnknown(names: Iterable<string>, present: Set<number>): string {
  const candidates = new Set<string>();
  for (const v of VARIABLES) {
    if (present.has(VAR_INDEX[v.id])) continue;
    candidates.add(v.id);
    for (const a of v.aliases ?? []) candidates.add(a);
  }
  return [...names]
    .map((n) => {
      const s = didYouMean(n, candidates);
      return s ? `${n} (did you mean '${s}'?)` : n;
    })
    .join(', ');
}

function fromWide(t: Table, file: string): Parsed {
  const warnings: string[] = [];
  const problems: string[] = [];
  const idCol = t.columns.find((c) => ID_COLUMNS.includes(c.toLowerCase()));
  const map = new Map<string, number>();
  const columnName = new Map<number, string>();
  const unknown: string[] = [];
  for (const c of t.columns) {
    if (c === idCol || c === '') continue;
    const id = resolveColumn(c);
    if (id === undefined) {
      unknown.push(c);
      continue;
    }
    const j = VAR_INDEX[id];
    const other = columnName.get(j);
    if (other !== undefined) {
      problems.push(`${file}: columns '${other}' and '${c}' both give ${id}; keep one`);
      continue;
    }
    map.set(c, j);
    columnName.set(j, c);
  }
  const present = new Set(map.values());
  if (unknown.length) warnings.push(`${file}: unknown columns ignored: ${describeUnknown(unknown, present)} (see \`vtrial catalog\` for variable ids and aliases)`);
  const labels: string[] = [];
  const rows: Float64Array[] = [];
  const idRows = new Map<string, string>();
  const unparsed = new Set<number>();
  t.records.forEach((rec, i) => {
    const row = new Float64Array(NVAR).fill(NaN);
    let label = t.where[i];
    if (idCol) {
      const pid = String(rec[idCol] ?? '').trim();
      if (pid === '') problems.push(`${t.where[i]}: ${idCol} is empty`);
      else {
        label = `${t.where[i]} (${idCol} ${pid})`;
        const prev = idRows.get(pid);
        if (prev !== undefined) problems.push(`${t.where[i]}: ${idCol} ${pid} already used in ${prev}; one row per participant in a wide file`);
        else idRows.set(pid, t.where[i]);
      }
    }
    for (const [c, j] of map) {
      const x = parseCell(j, rec[c]);
      if (typeof x === 'object') {
        problems.push(`${label}: ${x.problem}`);
        unparsed.add(rows.length * NVAR + j);
      } else if (x !== undefined) row[j] = x;
    }
    labels.push(label);
    rows.push(row);
  });
  return { labels, rows, present, cellWhere: (i) => labels[i], columnName, unparsed, warnings, problems };
}

function fromLong(t: Table, file: string): Parsed {
  const warnings: string[] = [];
  const problems: string[] = [];
  const col = (name: string): string => t.columns.find((c) => c.toLowerCase() === name) ?? name;
  const [cSid, cTime, cCode, cVal] = [col('subject_id'), col('time'), col('code'), col('numeric_value')];
  const hasTime = t.columns.some((c) => c.toLowerCase() === 'time');
  interface Subject {
    row: Float64Array;
    time: Float64Array;
    where: string[];
    first: string;
    conditions: Set<number>;
    unparsed: Set<number>;
  }
  const bySubject = new Map<string, Subject>();
  const unknown = new Map<string, number>();
  const other = new Map<string, number>();
  const present = new Set<number>();
  const flagCodedAsValue = new Set<number>();
  let usesConditions = false;
  t.records.forEach((rec, r) => {
    const w = t.where[r];
    const sid = String(rec[cSid] ?? '').trim();
    if (sid === '') {
      problems.push(`${w}: subject_id is empty`);
      return;
    }
    let s = bySubject.get(sid);
    if (!s) {
      s = { row: new Float64Array(NVAR).fill(NaN), time: new Float64Array(NVAR).fill(Infinity), where: new Array<string>(NVAR).fill(''), first: w, conditions: new Set(), unparsed: new Set() };
      bySubject.set(sid, s);
    }
    const code = String(rec[cCode] ?? '').trim();
    if (code === '') {
      problems.push(`${w} (subject ${sid}): code is empty`);
      return;
    }
    const time = hasTime ? parseTime(rec[cTime]) : -Infinity;
    if (Number.isNaN(time)) {
      problems.push(`${w} (subject ${sid}): time '${String(rec[cTime])}' not understood (expected a number or an ISO 8601 date-time)`);
      return;
    }
    const up = code.toUpperCase();
    let j: number | undefined;
    let x: number | undefined | { problem: string };
    if (up.startsWith('SEX//')) {
      j = VAR_INDEX.sex;
      x = parseCell(j, code.slice(5));
    } else if (up.startsWith('CONDITION//')) {
      usesConditions = true;
      const id = resolveColumn(code.slice(11));
      if (id === undefined || VARIABLES[VAR_INDEX[id]].kind !== 'flag') {
        unknown.set(code, (unknown.get(code) ?? 0) + 1);
        return;
      }
      j = VAR_INDEX[id];
      s.conditions.add(j);
      const v = parseFlag(rec[cVal]);
      x = v === undefined ? 1 : Number.isNaN(v) ? { problem: `${code} value '${String(rec[cVal])}' not understood (expected 0/1 or empty)` } : v;
    } else if (up.includes('//')) {
      const prefix = code.slice(0, code.indexOf('//'));
      other.set(prefix, (other.get(prefix) ?? 0) + 1);
      return;
    } else {
      const id = resolveColumn(code);
      if (id === undefined) {
        unknown.set(code, (unknown.get(code) ?? 0) + 1);
        return;
      }
      j = VAR_INDEX[id];
      if (VARIABLES[j].kind === 'flag') flagCodedAsValue.add(j);
      x = parseCell(j, rec[cVal]);
    }
    present.add(j);
    if (typeof x === 'object') {
      problems.push(`${w} (subject ${sid}): ${x.problem}`);
      s.unparsed.add(j);
      return;
    }
    if (x === undefined) {
      problems.push(`${w} (subject ${sid}): ${VARIABLES[j].id} has no numeric_value`);
      return;
    }
    if (time < s.time[j] || (time === s.time[j] && s.where[j] === '')) {
      s.time[j] = time;
      s.row[j] = x;
      s.where[j] = w;
    }
  });
  if (unknown.size) warnings.push(`${file}: unknown codes ignored: ${describeUnknown([...unknown.keys()].slice(0, 30), present)}${unknown.size > 30 ? `, and ${unknown.size - 30} more` : ''}`);
  if (other.size) warnings.push(`${file}: codes that are not baseline measurements ignored: ${[...other].map(([p, n]) => `${p}//... (${n} rows)`).join(', ')}`);
  const subjects = [...bySubject.entries()];
  if (usesConditions) {
    // `vtrial cohort` writes CONDITION//<flag> only when present: a flag never coded is 0
    const condFlags = VARIABLES.map((v, j) => (v.kind === 'flag' && !flagCodedAsValue.has(j) ? j : -1)).filter((j) => j >= 0);
    for (const [, s] of subjects) for (const j of condFlags) if (Number.isNaN(s.row[j])) s.row[j] = 0;
    for (const j of condFlags) present.add(j);
  }
  const columnName = new Map<number, string>([...present].map((j) => [j, `code ${VARIABLES[j].id}`]));
  return {
    labels: subjects.map(([sid, s]) => `subject ${sid} (first ${s.first})`),
    rows: subjects.map(([, s]) => s.row),
    present,
    cellWhere: (i, j) => `${subjects[i][1].where[j] || subjects[i][1].first} (subject ${subjects[i][0]})`,
    columnName,
    unparsed: new Set(subjects.flatMap(([, s], i) => [...s.unparsed].map((j) => i * NVAR + j))),
    warnings,
    problems,
  };
}

/** 'rows 2-5, 9, 12-13' from labels that start with 'row N'; other labels are listed (at most max). */
function compactRows(wheres: readonly string[], max = 60): string {
  const nums: number[] = [];
  const others: string[] = [];
  for (const w of wheres) {
    const m = /^row (\d+)/.exec(w);
    if (m) nums.push(+m[1]);
    else others.push(w);
  }
  nums.sort((a, b) => a - b);
  const runs: string[] = [];
  for (let i = 0; i < nums.length; ) {
    let k = i;
    while (k + 1 < nums.length && nums[k + 1] === nums[k] + 1) k++;
    runs.push(k > i ? `${nums[i]}-${nums[k]}` : `${nums[i]}`);
    i = k + 1;
  }
  const parts: string[] = [];
  if (runs.length > max) {
    const shown = runs.slice(0, max);
    const last = shown[shown.length - 1].split('-').pop()!;
    const rest = nums.filter((x) => x > Number(last)).length;
    parts.push(`rows ${shown.join(', ')} and ${rest} more`);
  } else if (runs.length) parts.push(`${nums.length === 1 ? 'row' : 'rows'} ${runs.join(', ')}`);
  parts.push(...others.slice(0, max));
  if (others.length > max) parts.push(`and ${others.length - max} more`);
  return parts.join(', ');
}

const fmt = (x: number): string => String(+x.toPrecision(4));

/** Typical adult values (synthetic generator, both sexes, 18-80): 5th, 50th, 95th percentiles. */
let typicalCache: Map<number, [number, number, number]> | undefined;
function typical(j: number): [number, number, number] {
  if (!typicalCache) {
    typicalCache = new Map();
    const cols = sampleBaselines(hashString('participants-typical'), 2000);
    VARIABLES.forEach((v, k) => {
      const s = Float64Array.from(cols[v.id]).sort();
      typicalCache!.set(k, [s[Math.floor(0.05 * s.length)], s[Math.floor(0.5 * s.length)], s[Math.floor(0.95 * s.length)]]);
    });
  }
  return typicalCache.get(j)!;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Plausibility and unit checks: problems (errors) and warnings. */
function checkValues(p: Parsed, file: string, problems: string[], warnings: string[]): void {
  VARIABLES.forEach((def, j) => {
    if (def.kind !== 'continuous' || !p.present.has(j)) return;
    const [lo, hi] = def.plausible;
    const name = p.columnName.get(j) ?? def.id;
    const values: number[] = [];
    const bad: number[] = [];
    p.rows.forEach((row, i) => {
      const v = row[j];
      if (Number.isNaN(v)) return;
      values.push(v);
      if (v < lo || v > hi) bad.push(i);
    });
    if (values.length === 0) return;
    const inRange = (x: number): boolean => x >= lo && x <= hi;
    // a whole column in another unit: most values implausible and one conversion fixes them
    if (bad.length >= Math.max(2, values.length / 2)) {
      const unit = def.altUnits?.find((u) => bad.filter((i) => inRange(p.rows[i][j] * u.factor)).length >= 0.9 * bad.length);
      if (unit) {
        const med = median(values);
        problems.push(
          `${name}: ${bad.length} of ${values.length} values are outside the plausible range ${lo}-${hi} ${def.unit}; the column looks like ${unit.unit} ` +
            `(median ${fmt(med)} x ${fmt(unit.factor)} = ${fmt(med * unit.factor)} ${def.unit}): convert it to ${def.unit}; ${compactRows(bad.map((i) => p.cellWhere(i, j)))}`,
        );
        return;
      }
    }
    for (const i of bad) {
      const v = p.rows[i][j];
      const fix = def.altUnits?.find((u) => inRange(v * u.factor));
      problems.push(
        `${p.cellWhere(i, j)}: ${def.id} = ${v} is outside the plausible range ${lo}-${hi} ${def.unit}` +
          (fix ? `; looks like ${fix.unit} (x ${fmt(fix.factor)} gives ${fmt(v * fix.factor)} ${def.unit}): convert the value` : '; check the value and its unit'),
      );
    }
    // all plausible, but the column sits where a unit mistake would put it
    if (bad.length === 0 && values.length >= 5 && def.altUnits) {
      const [p5, p50, p95] = typical(j);
      const med = median(values);
      if (med < p5 || med > p95) {
        const unit = def.altUnits.find((u) => {
          const m = med * u.factor;
          return m >= p5 && m <= p95 && Math.abs(Math.log(m / p50)) < Math.abs(Math.log(med / p50));
        });
        if (unit) {
          warnings.push(
            `${file}: ${name} has median ${fmt(med)} ${def.unit}, outside the range of 90% of adults (${fmt(p5)}-${fmt(p95)} ${def.unit}); ` +
              `if it is in ${unit.unit}, convert it (x ${fmt(unit.factor)} gives a median of ${fmt(med * unit.factor)} ${def.unit})`,
          );
        }
      }
    }
  });
}

/** Fill BMI / weight / height and eGFR / creatinine from each other; check BMI consistency. */
function deriveRelated(p: Parsed, warnings: string[], file: string): Map<string, number> {
  const derived = new Map<string, number>();
  const [W, H, B, S, A, CR, EG] = ['body_weight', 'height', 'bmi', 'sex', 'age', 'creatinine', 'egfr'].map((id) => VAR_INDEX[id]);
  const bump = (id: string): void => void derived.set(id, (derived.get(id) ?? 0) + 1);
  const inconsistent: string[] = [];
  p.rows.forEach((r, i) => {
    const m2 = (r[H] / 100) ** 2;
    if (Number.isNaN(r[B]) && !Number.isNaN(r[W]) && !Number.isNaN(r[H])) (r[B] = r[W] / m2), bump('bmi');
    else if (Number.isNaN(r[W]) && !Number.isNaN(r[B]) && !Number.isNaN(r[H])) (r[W] = r[B] * m2), bump('body_weight');
    else if (Number.isNaN(r[H]) && !Number.isNaN(r[B]) && !Number.isNaN(r[W])) (r[H] = 100 * Math.sqrt(r[W] / r[B])), bump('height');
    else if (!Number.isNaN(r[B] + r[W] + r[H]) && Math.abs(r[W] / m2 / r[B] - 1) > 0.05) inconsistent.push(p.labels[i]);
    if (!Number.isNaN(r[S] + r[A])) {
      if (Number.isNaN(r[EG]) && !Number.isNaN(r[CR])) (r[EG] = egfrCkdEpi2021(r[CR], r[S], r[A])), bump('egfr');
      else if (Number.isNaN(r[CR]) && !Number.isNaN(r[EG])) (r[CR] = creatinineFromEgfr(r[EG], r[S], r[A])), bump('creatinine');
    }
  });
  if (inconsistent.length) {
    warnings.push(`${file}: bmi differs by more than 5% from body_weight / (height/100)^2 for ${inconsistent.length} participant(s): ${compactRows(inconsistent, 20)} (check the units of weight and height)`);
  }
  return derived;
}

function ruleText(r: EligibilityRule): string {
  if (isFlagRule(r)) return `${r.variable} is not ${r.equals ? 'true' : 'false'}`;
  const rr = r as RangeRule;
  return `${rr.variable} outside [${rr.min ?? '-inf'}, ${rr.max ?? 'inf'}]`;
}

/** The stored variables a rule reads (a derived variable reads its inputs). */
function ruleInputs(r: EligibilityRule): number[] {
  const j = VAR_INDEX[r.variable];
  if (j !== undefined) return [j];
  const d = DERIVED.find((x) => x.id === r.variable);
  return d ? d.inputs.map((id) => VAR_INDEX[id]) : [];
}

/** Read, check, impute and filter real participants. */
export async function readParticipants(pop: PopulationSpec, opts: { seed: number; baseDir: string }): Promise<DrawResult> {
  if (!pop.path) throw new InputError('population.source is file but population.path is missing', ['add path: participants.csv (CSV or Parquet, relative to the trial file)']);
  const file = resolve(opts.baseDir, pop.path);
  if (!existsSync(file)) throw new InputError(`population.path: ${file} does not exist`, ['the path is relative to the trial file']);
  if (statSync(file).isDirectory()) throw new InputError(`population.path: ${file} is a folder`, ['expected a .csv or .parquet file']);
  const table = await readTable(file);
  if (table.records.length === 0) throw new InputError(`${file}: no participants (the table has no data rows)`);
  const lower = table.columns.map((c) => c.toLowerCase());
  const long = lower.includes('subject_id') && lower.includes('code') && lower.includes('numeric_value');
  const parsed = long ? fromLong(table, file) : fromWide(table, file);
  const problems = [...table.problems, ...parsed.problems];
  const warnings = [...parsed.warnings];
  parsed.rows.forEach((row, i) => {
    const miss = ['sex', 'age'].filter((id) => Number.isNaN(row[VAR_INDEX[id]]) && !parsed.unparsed.has(i * NVAR + VAR_INDEX[id]));
    if (miss.length) problems.push(`${parsed.labels[i]}: ${miss.join(' and ')} missing (needed for every participant; sex as M/F, age in years)`);
  });
  checkValues(parsed, file, problems, warnings);
  if (problems.length) {
    const listed = problems.slice(0, MAX_LISTED);
    if (problems.length > MAX_LISTED) listed.push(`... and ${problems.length - MAX_LISTED} more`);
    listed.push('no participant was dropped: fix these and run again');
    throw new InputError(`${file}: ${problems.length} problem(s) in the participant data`, listed);
  }
  const derived = deriveRelated(parsed, warnings, file);
  if (derived.size) warnings.push(`computed from other measurements: ${[...derived].map(([id, c]) => `${id} (${c})`).join(', ')}`);

  // eligibility on the values in the file (never on imputed ones); exclusions counted by reason
  const nRead = parsed.rows.length;
  const absent = pop.eligibility.filter((r) => ruleInputs(r).some((j) => !parsed.present.has(j) && !derived.has(VARIABLES[j].id)));
  if (absent.length) {
    throw new InputError(`${file}: the trial's eligibility reads ${[...new Set(absent.map((r) => r.variable))].join(', ')}, which the file does not hold`, [
      'add the column(s) to the file, or remove the rule(s) from population.eligibility; eligibility is never judged on imputed values',
    ]);
  }
  const reasons = new Map<string, string[]>();
  const eligibleIdx: number[] = [];
  parsed.rows.forEach((row, i) => {
    const why: string[] = [];
    const sex = row[VAR_INDEX.sex];
    if (pop.sex !== 'any' && sex !== (pop.sex === 'M' ? 0 : 1)) why.push(`sex is not ${pop.sex}`);
    for (const r of pop.eligibility) {
      if (ruleInputs(r).some((j) => Number.isNaN(row[j]))) why.push(`${r.variable} not measured`);
      else if (!passes(r, row)) why.push(ruleText(r));
    }
    if (why.length === 0) eligibleIdx.push(i);
    for (const w of why) {
      const list = reasons.get(w) ?? [];
      list.push(parsed.labels[i]);
      reasons.set(w, list);
    }
  });
  const nExcluded = nRead - eligibleIdx.length;
  if (nExcluded) {
    const byReason = [...reasons].sort((a, b) => b[1].length - a[1].length).map(([w, who]) => `${w}: ${who.length} (${compactRows(who, 10)})`);
    warnings.push(`eligibility: ${nExcluded} of ${nRead} participants excluded${reasons.size > 1 ? ' (one can fail several rules)' : ''}: ${byReason.join('; ')}`);
  }
  if (eligibleIdx.length === 0) {
    throw new InputError(`${file}: none of the ${nRead} participants is eligible`, [...reasons].map(([w, who]) => `${w}: ${who.length} participant(s)`).concat(['widen population.eligibility or check the file']));
  }
  let use = eligibleIdx;
  if (use.length > pop.n) {
    warnings.push(`${use.length} eligible participants; the first ${pop.n} in file order are used (population.n); not used: ${compactRows(use.slice(pop.n).map((i) => parsed.labels[i]), 10)}`);
    use = use.slice(0, pop.n);
  } else if (use.length < pop.n) warnings.push(`only ${use.length} eligible participants for population.n = ${pop.n}; all of them are used`);

  // impute remaining missing baseline variables from the generator, conditionally on what was measured
  const imputedCount = new Map<string, number>();
  let imputedPeople = 0;
  const scale = VARIABLES.map((d) => (d.plausible[1] - d.plausible[0]) / 20 || 1);
  // one pool of POOL synthetic candidates per sex and year of age, shared by the participants
  // of that sex and age (keyed streams: the pool does not depend on the file's order or size)
  const pools = new Map<number, Float64Array>();
  const pool = (sex: number, year: number): Float64Array => {
    const key = sex * 1000 + year;
    let p = pools.get(key);
    if (!p) {
      p = new Float64Array(POOL * NVAR);
      const cand = new Float64Array(NVAR);
      for (let k = 0; k < POOL; k++) {
        drawBaseline(opts.seed ^ IMPUTE, key * POOL + k, { sex: sex === 1 ? 'F' : 'M', ageMin: year, ageMax: year + 0.999 }, cand);
        p.set(cand, k * NVAR);
      }
      pools.set(key, p);
    }
    return p;
  };
  for (const i of use) {
    const row = parsed.rows[i];
    const missing: number[] = [];
    const measured: number[] = [];
    for (let j = 0; j < NVAR; j++) {
      if (Number.isNaN(row[j])) missing.push(j);
      else if (j !== VAR_INDEX.age && j !== VAR_INDEX.sex) measured.push(j);
    }
    if (!missing.length) continue;
    imputedPeople++;
    const p = pool(row[VAR_INDEX.sex], Math.floor(Math.min(80, Math.max(18, row[VAR_INDEX.age]))));
    let bestD = Infinity;
    let best = 0;
    for (let k = 0; k < POOL; k++) {
      let d = 0;
      for (const j of measured) d += ((row[j] - p[k * NVAR + j]) / scale[j]) ** 2;
      if (d < bestD) {
        bestD = d;
        best = k;
      }
    }
    for (const j of missing) {
      row[j] = p[best * NVAR + j];
      imputedCount.set(VARIABLES[j].id, (imputedCount.get(VARIABLES[j].id) ?? 0) + 1);
    }
  }
  if (imputedCount.size) {
    warnings.push(
      `imputed for ${imputedPeople} of ${use.length} participants from the synthetic generator (nearest of ${POOL} same-sex, same-age synthetic candidates on the measured variables): ` +
        [...imputedCount].map(([id, c]) => `${id} (${c})`).join(', '),
    );
  }
  if (pop.baseline.length) warnings.push('population.baseline targets are not applied to participants read from a file');
  if (pop.femaleShare !== undefined) warnings.push('population.female_share is not applied to participants read from a file');
  const columns: Record<string, Float64Array> = {};
  VARIABLES.forEach((v, j) => {
    columns[v.id] = Float64Array.from(use, (i) => parsed.rows[i][j]);
  });
  // twin ids are the participants' positions in the file, so a participant keeps its random streams whatever the eligibility
  const batch: TwinBatch = { ids: Uint32Array.from(use), columns };
  const layout = long ? 'long (MEDS)' : 'wide';
  return {
    batch,
    draws: nRead,
    method: `participants read from a ${layout} ${table.format} file: ${nRead} read, ${nExcluded} excluded by eligibility, ${use.length} used`,
    warnings,
  };
}
