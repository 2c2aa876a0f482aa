/**
 * Reading a longitudinal cohort in the MEDS-style long format the model trains on:
 *
 *   subject_id,time,code,numeric_value
 *
 * time is in days since the participant's entry; code is a catalog variable id (or alias) for a
 * measurement, a static attribute (age, sex, condition and medication flags), or an exposure
 * code with a `//` separator (DRUG//atorvastatin with the dose, DIET//dash, DIET//sodium_mg_day,
 * EXERCISE//aerobic_min_week, ...). An exposure event sets that exposure's level from its time on
 * (0 stops it). CSV (header row required; a tab-separated header switches to tabs) and Parquet
 * are read.
 *
 * CSV files are streamed in chunks, never held whole: a cohort of tens of millions of rows is
 * larger than the longest string V8 allows and than Node's default heap once split into lines.
 * Each row becomes one small event object whose code and subject id point at one shared
 * (interned) string per distinct value, so memory grows with the number of events only.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { getHeapStatistics } from 'node:v8';
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

/** Options for reading a CSV cohort; the defaults suit any file size. */
export interface ReadCohortOptions {
  /** Bytes read from disk at a time (default 1 MiB). */
  readonly chunkBytes?: number;
  /**
   * Stop with an InputError, instead of letting Node die with "heap out of memory", once the
   * JavaScript heap holds more than this fraction of its limit (default 0.9).
   */
  readonly heapStopFraction?: number;
}

const REQUIRED = ['subject_id', 'time', 'code', 'numeric_value'] as const;
/** Bad rows listed before reading stops. */
const kMaxErrors = 20;
const kChunkBytes = 1 << 20;
/**
 * Headroom kept below the heap limit: past 90 % V8 spends most of its time in full collections
 * and the next allocation may abort the process, so we stop while an error can still be raised.
 */
const kHeapStopFraction = 0.9;
/** A long-format row is tens of characters; a "line" this long means the line ends are wrong. */
const kMaxLineChars = 1 << 20;
const MiB = 1 << 20;

function splitCsvLine(line: string, delim: string): string[] {
  if (!line.includes('"')) return line.split(delim);
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
    else if (c === delim) { out.push(cur); cur = ''; }
    else cur += c;
  }
  out.push(cur);
  return out;
}

/**
 * A copy of `s` that does not share storage with the text it was cut from. V8 keeps a substring
 * as a view on its parent string, so storing a field of a 1 MiB chunk would keep the whole chunk
 * alive; interned ids and codes are copied once, when first seen.
 */
function ownCopy(s: string): string {
  return JSON.parse(JSON.stringify(s)) as string;
}

/** Same as `s.trim() === ''` without cutting a new string for every non-blank line. */
function isBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // the ASCII whitespace trim() removes; anything else (digits, letters) ends the check at once
    if (c !== 32 && (c < 9 || c > 13) && c !== 0xa0 && c !== 0xfeff) return c > 127 ? s.trim() === '' : false;
  }
  return true;
}

function sortedByTime(events: readonly CohortEvent[]): boolean {
  for (let i = 1; i < events.length; i++) if (events[i]!.time < events[i - 1]!.time) return false;
  return true;
}

/**
 * Turns CSV lines (fed one at a time, line ends removed) into a Cohort. Line 1 is the header.
 * Shared by parseCohortCsv (text in memory) and readCohort (streamed file), so both give the
 * same result and the same errors.
 */
class CohortCsvParser {
  readonly #file: string;
  #lineNo = 0;
  #delim = ',';
  #cols: readonly [number, number, number, number] = [0, 1, 2, 3];
  /** Reused field array of the fast path, one slot per column up to the last one needed. */
  #scratch: (string | undefined)[] = [];
  readonly #errors: string[] = [];
  /** code text -> the one shared string every event with that code points at. */
  readonly #codes = new Map<string, string>();
  /** subject id (interned key) -> events in file order; insertion order = first appearance. */
  readonly #bySubject = new Map<string, CohortEvent[]>();
  // long-format files are usually grouped by subject: remember the last one to skip the lookup
  #lastSubject: string | undefined;
  #lastEvents: CohortEvent[] = [];
  #nEvents = 0;

  constructor(file: string) {
    this.#file = file;
  }

  /** 1-based number of the last line fed. */
  get lineNo(): number { return this.#lineNo; }
  get nEvents(): number { return this.#nEvents; }

  /** Feed the next line without its line end. False once enough bad rows were seen to stop. */
  line(text: string): boolean {
    const l = ++this.#lineNo;
    if (l === 1) {
      this.#header(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text); // byte-order mark
      return true;
    }
    if (isBlank(text)) return true;
    const f = text.includes('"') ? splitCsvLine(text, this.#delim) : this.#fields(text);
    const [iS, iT, iC, iV] = this.#cols;
    const time = Number(f[iT]);
    const vs = (f[iV] ?? '').trim();
    const value = vs === '' ? NaN : Number(vs);
    const code = (f[iC] ?? '').trim();
    const errors = this.#errors;
    if (!Number.isFinite(time)) errors.push(`  line ${l}: time '${f[iT]}' is not a number of days`);
    else if (code === '') errors.push(`  line ${l}: empty code`);
    else if (Number.isNaN(value) && vs !== '') errors.push(`  line ${l}: numeric_value '${vs}' is not a number`);
    else if (errors.length === 0) this.#add((f[iS] ?? '').trim(), time, code, Number.isNaN(value) ? 1 : value);
    return errors.length < kMaxErrors;
  }

  /**
   * The fields of an unquoted line, cut only up to the last column needed (the fast path: most
   * of a large file's read time is spent here). Same result as splitCsvLine for those columns.
   */
  #fields(text: string): (string | undefined)[] {
    const f = this.#scratch;
    const delim = this.#delim;
    let start = 0;
    for (let k = 0; k < f.length; k++) {
      if (start > text.length) { f[k] = undefined; continue; }
      let end = text.indexOf(delim, start);
      if (end < 0) end = text.length;
      f[k] = text.slice(start, end);
      start = end + 1;
    }
    return f;
  }

  #header(text: string): void {
    this.#delim = text.includes('\t') && !text.includes(',') ? '\t' : ',';
    const header = splitCsvLine(text, this.#delim).map((h) => h.trim().toLowerCase());
    const idx = REQUIRED.map((c) => header.indexOf(c));
    const missing = REQUIRED.filter((_, i) => idx[i]! < 0);
    if (missing.length) {
      throw new InputError(`${this.#file}: cohort file lacks column(s) ${missing.join(', ')}`, [
        `  expected a long-format header: ${REQUIRED.join(',')}`,
        `  found: ${header.join(',') || '(empty first line)'}`,
      ]);
    }
    this.#cols = idx as [number, number, number, number];
    this.#scratch = new Array<string | undefined>(Math.max(...idx) + 1);
  }

  #add(subject: string, time: number, rawCode: string, value: number): void {
    let events = this.#lastEvents;
    if (subject !== this.#lastSubject) {
      let ev = this.#bySubject.get(subject);
      if (!ev) {
        subject = ownCopy(subject);
        this.#bySubject.set(subject, (ev = []));
      }
      this.#lastSubject = subject;
      this.#lastEvents = events = ev;
    }
    let code = this.#codes.get(rawCode);
    if (code === undefined) {
      code = ownCopy(rawCode);
      this.#codes.set(code, code);
    }
    events.push({ time, code, value });
    this.#nEvents++;
  }

  finish(): Cohort {
    const errors = this.#errors;
    if (errors.length) {
      throw new InputError(`${this.#file}: ${errors.length}${errors.length >= kMaxErrors ? '+' : ''} bad row(s) in cohort file`, errors);
    }
    const subjects: CohortSubject[] = [];
    for (const [id, events] of this.#bySubject) {
      // Array.prototype.sort is stable, so events at the same time keep their file order
      if (!sortedByTime(events)) events.sort((a, b) => a.time - b.time);
      subjects.push({ id, events });
    }
    return { file: this.#file, subjects, nEvents: this.#nEvents };
  }
}

/**
 * Feed every complete line of `text` (ended by \n or \r\n) to the parser; returns the unfinished
 * tail, or undefined once the parser asked to stop.
 */
function feedLines(p: CohortCsvParser, text: string): string | undefined {
  let start = 0;
  for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
    const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
    if (!p.line(text.slice(start, end))) return undefined;
    start = nl + 1;
  }
  return text.slice(start);
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

/** Parse a long-format CSV held in memory (small files and tests; readCohort streams). */
export function parseCohortCsv(text: string, file = '<csv>'): Cohort {
  const p = new CohortCsvParser(file);
  const tail = feedLines(p, text);
  if (tail !== undefined) p.line(tail);
  return p.finish();
}

function heapStop(file: string, p: CohortCsvParser, bytesRead: number, fileBytes: number): InputError {
  const h = getHeapStatistics();
  const used = h.used_heap_size / MiB;
  const limit = h.heap_size_limit / MiB;
  const share = fileBytes > 0 ? Math.min(1, bytesRead / fileBytes) : 1;
  // the heap grows about in proportion to the rows read; 1.5x leaves room for training itself
  const suggest = Math.ceil((1.5 * used) / share / 1024) * 1024;
  return new InputError(`${file}: cohort too large for the JavaScript heap: after ${p.nEvents} rows (line ${p.lineNo}, ${Math.round(100 * share)}% of the file) it uses ${Math.round(used)} MiB of its ${Math.round(limit)} MiB limit`, [
    `  fix: raise the limit, e.g. NODE_OPTIONS=--max-old-space-size=${suggest} vtrial train ...`,
    '  or train on a subset of participants (keep all rows of each participant you keep)',
  ]);
}

/** Stream a long-format CSV from disk, one chunk at a time. */
async function readCohortCsv(file: string, opts: ReadCohortOptions): Promise<Cohort> {
  const p = new CohortCsvParser(file);
  const stopAt = (opts.heapStopFraction ?? kHeapStopFraction) * getHeapStatistics().heap_size_limit;
  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: opts.chunkBytes ?? kChunkBytes });
  let tail: string | undefined = '';
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      tail = feedLines(p, tail + chunk);
      if (tail === undefined) break; // enough bad rows: leaving the loop closes the file
      if (tail.length > kMaxLineChars) {
        throw new InputError(`${file}:${p.lineNo + 1}: line longer than ${kMaxLineChars} characters`, [
          '  expected one row per line (subject_id,time,code,numeric_value) ended by \\n or \\r\\n',
          '  hint: a file saved with old Mac line ends (\\r alone) reads as one line',
        ]);
      }
      if (getHeapStatistics().used_heap_size > stopAt) {
        throw heapStop(file, p, stream.bytesRead, (await stat(file)).size);
      }
    }
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`${file}: cannot read cohort file (${e instanceof Error ? e.message : String(e)})`);
  }
  if (tail !== undefined) p.line(tail); // the last line, when the file does not end with a line end
  return p.finish();
}

/** Read a cohort from a .csv (.txt, .tsv) or .parquet file. */
export async function readCohort(file: string, opts: ReadCohortOptions = {}): Promise<Cohort> {
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
  return readCohortCsv(file, opts);
}
