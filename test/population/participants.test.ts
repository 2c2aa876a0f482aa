// Real participants read from files (`population: {source: file}`): wide and long (MEDS) CSV,
// Parquet, the problems named, imputation, eligibility, and a run through the CLI.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { InputError } from '../../src/core/errors.js';
import { VARIABLES } from '../../src/population/catalog.js';
import { cohortRows, cohortCsvLine, COHORT_CSV_HEADER } from '../../src/population/cohort.js';
import { parseCsv, parseCsvLines, readParticipants } from '../../src/population/participants.js';
import { writeTable } from '../../src/population/tablefile.js';
import type { DrawResult } from '../../src/population/draw.js';
import type { EligibilityRule, PopulationSpec, SexRule } from '../../src/trial-dsl/spec.js';

const dir = mkdtempSync(join(tmpdir(), 'vtrial-participants-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileNo = 0;
function write(text: string | Uint8Array, ext = 'csv'): string {
  const name = `p${fileNo++}.${ext}`;
  writeFileSync(join(dir, name), text);
  return name;
}

function pop(path: string, o: { n?: number; sex?: SexRule; eligibility?: EligibilityRule[] } = {}): PopulationSpec {
  return { source: 'file', path, n: o.n ?? 1000, sex: o.sex ?? 'any', eligibility: o.eligibility ?? [], baseline: [] };
}

const read = (path: string, o: Parameters<typeof pop>[1] = {}): Promise<DrawResult> => readParticipants(pop(path, o), { seed: 7, baseDir: dir });

/** The InputError a read throws (fails the test when it does not throw one). */
async function problems(path: string, o: Parameters<typeof pop>[1] = {}): Promise<{ message: string; details: string[] }> {
  try {
    await read(path, o);
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return { message: (e as InputError).message, details: [...(e as InputError).details] };
  }
  throw new Error('expected an InputError');
}

const col = (r: DrawResult, id: string): number[] => Array.from(r.batch.columns[id]);

// a small clinic table in catalog units, with aliases as column names
const HEADER = 'id,age,gender,height,weight,sbp,dbp,ldl,hdl_c,hba1c,on_bp_meds';
const ROWS = [
  'P1,54,M,178,84.2,142,88,131,44,5.6,0',
  'P2,61,female,162,70.1,128,79,118,61,5.9,no',
  'P3,47,1,170,92.3,151,95,160,39,6.4,yes',
  'P4,38,male,181,77.0,118,74,97,52,5.2,0',
  'P5,72,F,158,65.4,166,90,142,58,7.1,1',
  'P6,29,0,175,71.8,121,76,88,49,5.0,0',
];
const clinic = (rows = ROWS): string => [HEADER, ...rows].join('\n') + '\n';

describe('CSV parsing', () => {
  it('handles quotes, escaped quotes, CRLF, a byte-order mark and blank lines, and knows each record\'s line', () => {
    const { rows, lines } = parseCsvLines('\ufeffa,b\r\n"x, y","say ""hi"""\r\n\r\n"multi\nline",2\n3,4');
    expect(rows).toEqual([['a', 'b'], ['x, y', 'say "hi"'], ['multi\nline', '2'], ['3', '4']]);
    expect(lines).toEqual([1, 2, 4, 6]);
    expect(parseCsv('a\n1\n')).toEqual([['a'], ['1']]);
  });
});

describe('wide CSV', () => {
  it('reads catalog ids and aliases, sex as M/F, male/female or 0/1, flags as 0/1 or yes/no', async () => {
    const r = await read(write(clinic()));
    expect(r.draws).toBe(6);
    expect(Array.from(r.batch.ids)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(col(r, 'sex')).toEqual([0, 1, 1, 0, 1, 0]);
    expect(col(r, 'body_weight')).toEqual([84.2, 70.1, 92.3, 77.0, 65.4, 71.8]);
    expect(col(r, 'ldl_c')).toEqual([131, 118, 160, 97, 142, 88]);
    expect(col(r, 'on_bp_meds')).toEqual([0, 0, 1, 0, 1, 0]);
    expect(col(r, 'age')).toEqual([54, 61, 47, 38, 72, 29]);
    expect(r.method).toMatch(/wide csv file: 6 read, 0 excluded by eligibility, 6 used/);
  });

  it('computes BMI from weight and height, and imputes and counts every other missing variable', async () => {
    const r = await read(write(clinic()));
    expect(col(r, 'bmi')[0]).toBeCloseTo(84.2 / 1.78 ** 2, 10);
    expect(r.warnings.join('\n')).toMatch(/computed from other measurements: bmi \(6\)/);
    const imputed = r.warnings.find((w) => w.startsWith('imputed for 6 of 6 participants'));
    expect(imputed).toBeDefined();
    expect(imputed).toMatch(/triglycerides \(6\)/);
    expect(imputed).not.toMatch(/\bsbp \(/); // measured, so never imputed
    for (const v of VARIABLES) {
      for (const x of col(r, v.id)) {
        expect(Number.isFinite(x), v.id).toBe(true);
        expect(x, v.id).toBeGreaterThanOrEqual(v.plausible[0]);
        expect(x, v.id).toBeLessThanOrEqual(v.plausible[1]);
      }
    }
  });

  it('imputes a participant\'s missing value only for that participant', async () => {
    const rows = [...ROWS];
    rows[2] = 'P3,47,1,170,92.3,151,95,,39,6.4,yes';
    const r = await read(write(clinic(rows)));
    expect(r.warnings.join('\n')).toMatch(/ldl_c \(1\)/);
    expect(col(r, 'ldl_c')[0]).toBe(131);
    expect(col(r, 'ldl_c')[2]).toBeGreaterThan(10);
  });

  it('names unknown columns with a did-you-mean, and still reads the rest', async () => {
    const text = clinic().replace('hdl_c', 'hdl_cc').replace('id,age', 'id,arm_label,age').replace(/^(P\d),/gm, '$1,x,');
    const r = await read(write(text));
    const w = r.warnings.find((x) => x.includes('unknown columns'));
    expect(w).toMatch(/hdl_cc \(did you mean 'hdl_c'\?\)/);
    expect(w).toMatch(/arm_label/);
    expect(col(r, 'sbp')[0]).toBe(142);
  });

  it('lists every problem with its row: non-numbers, bad sex, missing age, out-of-range values with the unit that explains them', async () => {
    const rows = [...ROWS];
    rows[0] = 'P1,54,M,178,84.2,142,88,3.4,44,5.6,0'; // LDL in mmol/L
    rows[1] = 'P2,,female,162,70.1,128,79,118,61,5.9,no'; // age missing
    rows[2] = 'P3,47,X,170,92.3,151,95,160,39,6.4,yes'; // sex not understood
    rows[3] = 'P4,38,male,181,77.0,1l8,74,97,52,5.2,0'; // typo in SBP
    rows[4] = 'P5,72,F,158,65.4,166,90,142,58,53,maybe'; // HbA1c in mmol/mol; flag not understood
    rows[5] = 'P6,29,0,175,71.8,121,76,88,49,5.0,0';
    const { message, details } = await problems(write(clinic(rows)));
    expect(message).toMatch(/6 problem\(s\) in the participant data/);
    const text = details.join('\n');
    expect(text).toMatch(/row 2 \(id P1\): ldl_c = 3\.4 is outside the plausible range 10-400 mg\/dL; looks like mmol\/L \(x 38\.67 gives 131\.5 mg\/dL\)/);
    expect(text).toMatch(/row 3 \(id P2\): age missing/);
    expect(text).toMatch(/row 4 \(id P3\): sex 'X' not understood \(expected M\/F, male\/female or 0\/1/);
    expect(text).toMatch(/row 5 \(id P4\): sbp '1l8' not understood \(expected a number\)/);
    expect(text).toMatch(/row 6 \(id P5\): on_bp_meds 'maybe' not understood/);
    expect(text).toMatch(/row 6 \(id P5\): hba1c = 53 .*looks like mmol\/mol/);
    expect(details.at(-1)).toMatch(/no participant was dropped/);
  });

  it('reports a whole column in the wrong unit once, with its rows', async () => {
    const mmol = ['3.39', '3.05', '4.14', '2.51', '3.67', '2.28'];
    const rows = ROWS.map((r, i) => r.split(',').map((c, k) => (k === 7 ? mmol[i] : c)).join(','));
    const { details } = await problems(write(clinic(rows)));
    expect(details).toHaveLength(2);
    expect(details[0]).toMatch(/^ldl: 6 of 6 values are outside the plausible range 10-400 mg\/dL; the column looks like mmol\/L .*convert it to mg\/dL; rows 2-7$/);
  });

  it('warns when plausible values sit where a unit mistake would put them (weight in lb)', async () => {
    const lb = ['185.6', '154.5', '203.5', '169.8', '144.2', '158.3'];
    const rows = ROWS.map((r, i) => r.split(',').map((c, k) => (k === 4 ? lb[i] : c)).join(','));
    const r = await read(write(clinic(rows)));
    const w = r.warnings.join('\n');
    expect(w).toMatch(/weight has median 164\.1 kg, outside the range of 90% of adults .*if it is in lb, convert it/);
    // and the BMI computed from it is not silently accepted either: it is out of range only if bmi was given
    const ok = await read(write(clinic()));
    expect(ok.warnings.join('\n')).not.toMatch(/outside the range of 90% of adults/);
  });

  it('refuses duplicate ids, two columns for one variable, and rows with the wrong number of fields', async () => {
    const text = [
      'id,age,sex,sbp,hdl_c,HDL',
      'P1,54,M,142,44,44',
      'P2,61,F,128,61,61',
      'P1,38,M,118,52,52',
      'P4,72,F,166',
    ].join('\n');
    const { details } = await problems(write(text));
    expect(details).toEqual([
      'row 5: 4 fields, the header has 6',
      `${join(dir, `p${fileNo - 1}.csv`)}: columns 'hdl_c' and 'HDL' both give hdl_c; keep one`,
      'row 4: id P1 already used in row 2; one row per participant in a wide file',
      'no participant was dropped: fix these and run again',
    ]);
  });

  it('refuses an empty file and a semicolon-separated one with a clear message', async () => {
    await expect(read(write('id,age,sex\n'))).rejects.toThrow(/no participants/);
    await expect(read(write('id;age;sex\n1;40;M\n'))).rejects.toThrow(/one column/);
    await expect(read('missing.csv')).rejects.toThrow(/does not exist/);
  });
});

describe('eligibility on real participants', () => {
  it('excludes and counts by reason, with rows; a rule on an unmeasured value excludes rather than imputes', async () => {
    const rows = [...ROWS];
    rows[5] = 'P6,29,0,175,71.8,,76,88,49,5.0,0'; // SBP missing
    const r = await read(write(clinic(rows)), { eligibility: [{ variable: 'sbp', min: 120, max: 159 }, { variable: 'on_bp_meds', equals: 0 }] });
    expect(col(r, 'sbp')).toEqual([142, 128]);
    expect(Array.from(r.batch.ids)).toEqual([0, 1]); // positions in the file
    const w = r.warnings.find((x) => x.startsWith('eligibility:'));
    expect(w).toBe(
      'eligibility: 4 of 6 participants excluded (one can fail several rules): on_bp_meds is not false: 2 (rows 4, 6); ' +
        'sbp outside [120, 159]: 2 (rows 5-6); sbp not measured: 1 (row 7)',
    );
    expect(r.method).toMatch(/6 read, 4 excluded by eligibility, 2 used/);
  });

  it('applies population.sex and derived-variable rules, and keeps the first n eligible in file order', async () => {
    const women = await read(write(clinic()), { sex: 'F' });
    expect(col(women, 'age')).toEqual([61, 47, 72]);
    expect(women.warnings.join('\n')).toMatch(/sex is not F: 3 \(rows 2, 5, 7\)/);
    const map = await read(write(clinic()), { eligibility: [{ variable: 'map', min: 100 }] }); // (2 DBP + SBP) / 3
    expect(col(map, 'age')).toEqual([54, 47, 72]);
    const firstTwo = await read(write(clinic()), { n: 2 });
    expect(col(firstTwo, 'age')).toEqual([54, 61]);
    expect(firstTwo.warnings.join('\n')).toMatch(/6 eligible participants; the first 2 in file order are used .*not used: rows 4-7/);
  });

  it('refuses a rule on a variable the file does not hold, and says when nobody is eligible', async () => {
    await expect(read(write(clinic()), { eligibility: [{ variable: 'diabetes', equals: 0 }] })).rejects.toThrow(/eligibility reads diabetes, which the file does not hold/);
    const { message, details } = await problems(write(clinic()), { eligibility: [{ variable: 'age', min: 75 }] });
    expect(message).toMatch(/none of the 6 participants is eligible/);
    expect(details[0]).toBe('age outside [75, inf]: 6 participant(s)');
  });
});

describe('long (MEDS) CSV', () => {
  const meds = [
    'subject_id,time,code,numeric_value',
    '11,,SEX//F,',
    '11,2021-03-01T09:00:00Z,AGE,58',
    '11,2021-03-01T09:00:00Z,sbp,139',
    '11,2021-06-01T09:00:00Z,sbp,131', // later: not the baseline
    '11,2021-02-01T09:00:00Z,LDL,150', // earliest LDL, alias
    '11,2021-03-01T09:00:00Z,CONDITION//diabetes,',
    '11,2021-03-02T09:00:00Z,DRUG//metformin,1000',
    '12,,SEX//M,',
    '12,2021-04-11,AGE,44',
    '12,2021-04-11,sbp,122',
    '12,2021-04-11,ldl_c,101',
    '12,2021-04-11,sbpp,5',
  ];

  it('takes the earliest value of each code, SEX// and AGE codes, CONDITION flags (0 when never coded), and counts other codes', async () => {
    const r = await read(write(meds.join('\n')));
    expect(r.method).toMatch(/long \(MEDS\) csv file: 2 read/);
    expect(col(r, 'sex')).toEqual([1, 0]);
    expect(col(r, 'age')).toEqual([58, 44]);
    expect(col(r, 'sbp')).toEqual([139, 122]);
    expect(col(r, 'ldl_c')).toEqual([150, 101]);
    expect(col(r, 'diabetes')).toEqual([1, 0]);
    expect(col(r, 'on_statin')).toEqual([0, 0]);
    const w = r.warnings.join('\n');
    expect(w).toMatch(/unknown codes ignored: sbpp/);
    expect(w).toMatch(/not baseline measurements ignored: DRUG\/\/\.\.\. \(1 rows\)/);
  });

  it('names problems by row and subject', async () => {
    const bad = [...meds, '12,2021-04-11,hba1c,abc', '13,2021-05-01,sbp,120', '12,yesterday,dbp,80'];
    const { details } = await problems(write(bad.join('\n')));
    const text = details.join('\n');
    expect(text).toMatch(/row 14 \(subject 12\): hba1c 'abc' not understood/);
    expect(text).toMatch(/row 16 \(subject 12\): time 'yesterday' not understood/);
    expect(text).toMatch(/subject 13 \(first row 15\): sex and age missing/);
  });

  it('reads back the training cohort that `vtrial cohort` writes', async () => {
    const rows = cohortRows({ n: 8, years: 1, seed: 3 }, 0, 8);
    const text = [COHORT_CSV_HEADER, ...rows.map(cohortCsvLine)].join('\n');
    const r = await read(write(text));
    expect(r.draws).toBe(8);
    const first = rows.filter((x) => x.subject_id === rows[0].subject_id);
    expect(col(r, 'age')[0]).toBe(first.find((x) => x.code === 'AGE')!.numeric_value);
    expect(col(r, 'sbp')[0]).toBe(first.find((x) => x.code === 'sbp')!.numeric_value);
    expect(col(r, 'diabetes')[0]).toBe(first.some((x) => x.code === 'CONDITION//diabetes') ? 1 : 0);
  });
});

describe('Parquet', () => {
  it('reads a wide Parquet file (numbers, strings, nulls) the same as the CSV', async () => {
    const recs = ROWS.map((r) => r.split(','));
    const num = (k: number): (number | null)[] => recs.map((r) => (r[k] === '' ? null : Number(r[k])));
    const buf = parquetWriteBuffer({
      columnData: [
        { name: 'id', data: recs.map((r) => r[0]), type: 'STRING' },
        { name: 'age', data: recs.map((r) => Number(r[1])), type: 'INT32' },
        { name: 'gender', data: recs.map((r) => r[2]), type: 'STRING' },
        ...['height', 'weight', 'sbp', 'dbp', 'ldl', 'hdl_c', 'hba1c'].map((name, i) => ({ name, data: num(i + 3), type: 'DOUBLE' as const })),
        { name: 'on_bp_meds', data: [0, 0, 1, 0, 1, null], type: 'INT32' },
      ],
    });
    const pq = await read(write(new Uint8Array(buf), 'parquet'));
    const csv = await read(write(clinic()));
    expect(pq.method).toMatch(/wide parquet file: 6 read/);
    for (const id of ['age', 'sex', 'height', 'body_weight', 'sbp', 'ldl_c', 'hba1c']) expect(col(pq, id), id).toEqual(col(csv, id));
    expect(col(pq, 'on_bp_meds').slice(0, 5)).toEqual([0, 0, 1, 0, 1]);
    expect(pq.warnings.join('\n')).toMatch(/on_bp_meds \(1\)/); // the null was imputed and counted
  });

  it('reads back what `population sample` writes (writeTable, Parquet, sex as strings, NaN as null)', async () => {
    await writeTable(join(dir, 'sample.parquet'), [
      { name: 'age', values: Float64Array.of(40, 55.5, 70), kind: 'number' },
      { name: 'sex', values: ['F', 'M', 'F'], kind: 'string' },
      { name: 'sbp', values: Float64Array.of(121.5, NaN, 150), kind: 'number', decimals: 1 },
      { name: 'diabetes', values: Float64Array.of(0, 1, 0), kind: 'int' },
    ]);
    const r = await read('sample.parquet');
    expect(col(r, 'age')).toEqual([40, 55.5, 70]);
    expect(col(r, 'sex')).toEqual([1, 0, 1]);
    expect(col(r, 'diabetes')).toEqual([0, 1, 0]);
    expect(col(r, 'sbp')[0]).toBe(121.5);
    expect(r.warnings.join('\n')).toMatch(/imputed for 3 of 3 participants.*\bsbp \(1\)/);
  });

  it('reads a long (MEDS) Parquet file and names its problems by row', async () => {
    const buf = parquetWriteBuffer({
      columnData: [
        { name: 'subject_id', data: [1n, 1n, 1n, 2n, 2n, 2n], type: 'INT64' },
        { name: 'time', data: [0, 0, 0, 0, 0, 7], type: 'DOUBLE' },
        { name: 'code', data: ['SEX//M', 'AGE', 'triglycerides', 'SEX//F', 'AGE', 'triglycerides'], type: 'STRING' },
        { name: 'numeric_value', data: [null, 50, 150, null, 41, 1.4], type: 'DOUBLE' },
      ],
    });
    const { details } = await problems(write(new Uint8Array(buf), 'parquet'));
    expect(details[0]).toMatch(/^row 7 \(subject 2\): triglycerides = 1\.4 .*looks like mmol\/L/);
  });
});

describe('through the CLI', () => {
  it('`vtrial run FILE --engine reference` randomises the eligible participants of a file, and exits 2 naming a bad row', async () => {
    const lines = [HEADER];
    for (let i = 0; i < 40; i++) lines.push(`Q${i},${30 + i},${i % 2 ? 'F' : 'M'},170,${70 + (i % 9)},${118 + i},${78 + (i % 7)},${100 + i},50,5.5,${i % 5 === 0 ? 1 : 0}`);
    writeFileSync(join(dir, 'cli.csv'), lines.join('\n') + '\n');
    const trial = (path: string): string =>
      [
        'vtrial: 1', 'name: file population', 'seed: 5', 'engine: model',
        'population:', '  source: file', `  path: ${path}`, '  n: 100', '  eligibility:', '    sbp: [120, 150]', '    on_bp_meds: false',
        'schedule:', '  duration: 8 weeks', '  visits: [0, 8 weeks]', '  measure:', '    - variables: [sbp]',
        'arms:', '  - id: usual', '    role: usual_care', '  - id: dash', '    interventions:', '      - kind: diet', '        pattern: dash',
        'endpoints:', '  - name: sbp_change', '    variable: sbp', '    measure: change', '    compare: dash vs usual',
      ].join('\n') + '\n';
    writeFileSync(join(dir, 'trial.yaml'), trial('cli.csv'));
    const out: string[] = [];
    const err: string[] = [];
    const o = process.stdout.write.bind(process.stdout);
    const e = process.stderr.write.bind(process.stderr);
    process.stdout.write = ((s: string) => (out.push(String(s)), true)) as typeof process.stdout.write;
    process.stderr.write = ((s: string) => (err.push(String(s)), true)) as typeof process.stderr.write;
    const before = process.exitCode;
    let code: number;
    let badCode: number;
    const badErr: string[] = [];
    try {
      code = await main(['run', join(dir, 'trial.yaml'), '--engine', 'reference', '--workers', '1', '--quiet', '--json']);
      writeFileSync(join(dir, 'bad.csv'), lines.map((l, i) => (i === 3 ? l.replace(',170,', ',1.70,') : l)).join('\n') + '\n');
      writeFileSync(join(dir, 'trial-bad.yaml'), trial('bad.csv'));
      err.length = 0;
      badCode = await main(['run', join(dir, 'trial-bad.yaml'), '--engine', 'reference', '--workers', '1', '--quiet']);
      badErr.push(...err);
    } finally {
      process.stdout.write = o;
      process.stderr.write = e;
      process.exitCode = before;
    }
    expect(code).toBe(0);
    const report = JSON.parse(out.join('')) as { engine: string; endpoints: { n: Record<string, { randomised: number }> }[] };
    // eligible: sbp 120-150 (i = 2..32) and not on BP drugs (i % 5 != 0): 31 - 6 = 25
    const n = report.endpoints[0].n;
    expect(n.usual.randomised + n.dash.randomised).toBe(25);
    expect(badCode).toBe(2);
    expect(badErr.join('')).toMatch(/row 4 \(id Q2\): height = 1\.7 is outside the plausible range 120-220 cm; looks like m \(x 100 gives 170 cm\)/);
  });

  it('the bundled example trial on the bundled sample passes `vtrial check`', async () => {
    const file = fileURLToPath(new URL('../../trials/real-participants.yaml', import.meta.url));
    const o = process.stdout.write.bind(process.stdout);
    const out: string[] = [];
    process.stdout.write = ((s: string) => (out.push(String(s)), true)) as typeof process.stdout.write;
    const before = process.exitCode;
    let code: number;
    try {
      code = await main(['check', file]);
    } finally {
      process.stdout.write = o;
      process.exitCode = before;
    }
    expect(code).toBe(0);
    const r = await readParticipants((await import('../../src/trial-dsl/index.js').then((m) => m.loadTrial(file))).population, { seed: 1, baseDir: join(file, '..') });
    expect(r.draws).toBe(300);
    expect(r.batch.ids.length).toBeGreaterThan(50);
    expect(r.warnings.join('\n')).toMatch(/^eligibility: \d+ of 300 participants excluded/m);
  });
});
