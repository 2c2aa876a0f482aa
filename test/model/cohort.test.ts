import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../src/core/errors.js';
import { cohortFromRows, parseCohortCsv, readCohort, type Cohort } from '../../src/model/cohort.js';
import { tinyCohort, cohortCsv } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'vtrial-cohort-'));
function file(name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}

async function inputError(p: Promise<unknown>): Promise<InputError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error('expected an InputError');
}

// quoted fields (a comma and a doubled quote inside), CRLF line ends, blank lines (one of spaces),
// a subject listed out of time order, a multi-byte character, an empty value, no final line end
const MESSY = [
  'subject_id,time,code,numeric_value',
  '"p 1",30,ldl_c,118.5',
  '',
  'p2,0,"DIET//low fat, high fibre",1',
  '"p 1",0,ldl_c,130',
  '   ',
  '"p 1",0,"STATIC//note ""a""",',
  'pé,10,sbp,"121"',
  'p2,0,sbp,140',
  '"p 1",30,sbp,120',
].join('\r\n');

const MESSY_ROWS = [
  { subject: 'p 1', time: 30, code: 'ldl_c', value: 118.5 },
  { subject: 'p2', time: 0, code: 'DIET//low fat, high fibre', value: 1 },
  { subject: 'p 1', time: 0, code: 'ldl_c', value: 130 },
  { subject: 'p 1', time: 0, code: 'STATIC//note "a"', value: 1 },
  { subject: 'pé', time: 10, code: 'sbp', value: 121 },
  { subject: 'p2', time: 0, code: 'sbp', value: 140 },
  { subject: 'p 1', time: 30, code: 'sbp', value: 120 },
];

describe('readCohort streams a long-format CSV', () => {
  it('gives the same cohort as parseCohortCsv and as the rows themselves, for any chunk size', async () => {
    const f = file('messy.csv', MESSY);
    const parsed = parseCohortCsv(MESSY, f);
    const expected = cohortFromRows(f, MESSY_ROWS);
    expect(parsed).toEqual(expected);
    expect(parsed.subjects.map((s) => s.id)).toEqual(['p 1', 'p2', 'pé']);
    // sorted by time, and events at the same time keep their file order (stable)
    expect(parsed.subjects[0]!.events.map((e) => `${e.time}:${e.code}`)).toEqual(['0:ldl_c', '0:STATIC//note "a"', '30:ldl_c', '30:sbp']);
    // chunks of 1 and 3 bytes cut CRLF pairs, quoted fields and the two-byte 'é' apart
    for (const chunkBytes of [1, 3, 7, 64, undefined]) {
      expect(await readCohort(f, chunkBytes ? { chunkBytes } : {}), `chunkBytes ${chunkBytes}`).toEqual(expected);
    }
  });

  it('reads a trailing line end, LF files, a byte-order mark and tab-separated files alike', async () => {
    const expected = cohortFromRows('x', MESSY_ROWS);
    const strip = (c: Cohort) => ({ subjects: c.subjects, nEvents: c.nEvents });
    const lf = MESSY.replace(/\r\n/g, '\n');
    expect(strip(await readCohort(file('lf.csv', lf + '\n')))).toEqual(strip(expected));
    expect(strip(await readCohort(file('bom.csv', '\uFEFF' + MESSY + '\r\n\r\n')))).toEqual(strip(expected));
    const tsv = 'subject_id\ttime\tcode\tnumeric_value\nA\t0\tsbp\t120\nA\t7\tDIET//a, b\t\n';
    const c = await readCohort(file('t.tsv', tsv));
    expect(c.subjects).toEqual([{ id: 'A', events: [{ time: 0, code: 'sbp', value: 120 }, { time: 7, code: 'DIET//a, b', value: 1 }] }]);
  });

  it('accepts columns in any order and ignores extra ones', async () => {
    const text = 'code,extra,numeric_value,time,subject_id\nsbp,x,120,0,7\nldl_c,y,99,30,7\n';
    const c = await readCohort(file('order.csv', text), { chunkBytes: 5 });
    expect(c.subjects).toEqual([{ id: '7', events: [{ time: 0, code: 'sbp', value: 120 }, { time: 30, code: 'ldl_c', value: 99 }] }]);
    expect(c).toEqual(parseCohortCsv(text, c.file));
  });

  it('round-trips the model test cohort', async () => {
    const tiny = tinyCohort(40);
    const f = file('tiny.csv', cohortCsv(tiny));
    const c = await readCohort(f, { chunkBytes: 4096 });
    expect(c.nEvents).toBe(tiny.nEvents);
    expect(c.subjects.map((s) => s.id)).toEqual(tiny.subjects.map((s) => s.id));
    expect(c).toEqual(parseCohortCsv(cohortCsv(tiny), f));
  });
});

describe('readCohort errors', () => {
  it('names the line of each bad row, counting blank lines and CRLF files', async () => {
    const text = ['subject_id,time,code,numeric_value', '1,0,sbp,120', '', '1,abc,sbp,121', '1,5, ,3', '1,6,sbp,1o2', '1,7,sbp,122'].join('\r\n');
    const f = file('bad.csv', text);
    for (const chunkBytes of [2, undefined]) {
      const e = await inputError(readCohort(f, chunkBytes ? { chunkBytes } : {}));
      expect(e.message).toBe(`${f}: 3 bad row(s) in cohort file`);
      expect(e.details).toEqual([
        "  line 4: time 'abc' is not a number of days",
        '  line 5: empty code',
        "  line 6: numeric_value '1o2' is not a number",
      ]);
    }
    expect(() => parseCohortCsv(text, 'bad.csv')).toThrow(/bad\.csv: 3 bad row\(s\)/);
    // the echoed field carries no \r, even when the last column is the bad one and a chunk ends between \r and \n
    const last = file('timelast.csv', 'subject_id,code,numeric_value,time\r\n1,sbp,120,0\r\n1,sbp,121,3 days\r\n');
    for (const chunkBytes of [1, 66, undefined]) {
      const e = await inputError(readCohort(last, chunkBytes ? { chunkBytes } : {}));
      expect(e.details).toEqual(["  line 3: time '3 days' is not a number of days"]);
    }
  });

  it('stops after 20 bad rows', async () => {
    const text = 'subject_id,time,code,numeric_value\n' + Array.from({ length: 30 }, (_, i) => `1,day${i},sbp,1\n`).join('');
    const e = await inputError(readCohort(file('many.csv', text), { chunkBytes: 16 }));
    expect(e.message).toMatch(/many\.csv: 20\+ bad row\(s\) in cohort file$/);
    expect(e.details).toHaveLength(20);
    expect(e.details[19]).toBe("  line 21: time 'day19' is not a number of days");
  });

  it('fails clearly on a file lacking the header columns', async () => {
    const e = await inputError(readCohort(file('nohead.csv', '1,0,sbp,120\n1,30,sbp,118\n')));
    expect(e.message).toMatch(/nohead\.csv: cohort file lacks column\(s\) subject_id, time, code, numeric_value$/);
    expect(e.details).toEqual(['  expected a long-format header: subject_id,time,code,numeric_value', '  found: 1,0,sbp,120']);
    const e2 = await inputError(readCohort(file('partial.csv', 'id,time,code,value\n1,0,sbp,120\n')));
    expect(e2.message).toMatch(/partial\.csv: cohort file lacks column\(s\) subject_id, numeric_value$/);
    const e3 = await inputError(readCohort(file('empty.csv', '')));
    expect(e3.details).toContain('  found: (empty first line)');
  });

  it('says when the line ends are wrong instead of reading the file as one line', async () => {
    const row = '1,0,sbp,120\r';
    const e = await inputError(readCohort(file('mac.csv', 'subject_id,time,code,numeric_value\r' + row.repeat(90_000)), { chunkBytes: 1 << 16 }));
    expect(e.message).toMatch(/mac\.csv:1: line longer than \d+ characters/);
    expect(e.details.join('\n')).toMatch(/\\r alone/);
  });

  it('stops with a clear error before the heap runs out', async () => {
    const e = await inputError(readCohort(file('big.csv', cohortCsv(tinyCohort(20))), { chunkBytes: 256, heapStopFraction: 1e-6 }));
    expect(e.message).toMatch(/big\.csv: cohort too large for the JavaScript heap: after \d+ rows \(line \d+, \d+% of the file\) it uses \d+ MiB of its \d+ MiB limit/);
    expect(e.details[0]).toMatch(/NODE_OPTIONS=--max-old-space-size=\d+/);
  });

  it('reports a file it cannot open and an unknown file type', async () => {
    const missing = join(dir, 'nope.csv');
    expect((await inputError(readCohort(missing))).message).toMatch(/nope\.csv: cannot read cohort file \(.*ENOENT/);
    expect((await inputError(readCohort(file('c.json', '{}')))).message).toMatch(/unknown cohort file type '\.json'/);
  });
});
