import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { parseCohortCsv } from '../../src/model/cohort.js';
import { fitTokenizer } from '../../src/model/tokenizer.js';
import { resolveSettings } from '../../src/model/train.js';
import { tinyCohort, cohortCsv } from './helpers.js';

function capture(): { err: string[]; out: string[]; restore(): void } {
  const err: string[] = [], out: string[] = [];
  const e = process.stderr.write.bind(process.stderr), o = process.stdout.write.bind(process.stdout);
  process.stderr.write = ((s: string) => { err.push(String(s)); return true; }) as typeof process.stderr.write;
  process.stdout.write = ((s: string) => { out.push(String(s)); return true; }) as typeof process.stdout.write;
  return { err, out, restore() { process.stderr.write = e; process.stdout.write = o; } };
}

describe('vtrial train (CLI)', () => {
  it('trains from a CSV with --config and --epochs, then resumes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vtrial-cli-'));
    const csv = join(dir, 'cohort.csv');
    writeFileSync(csv, cohortCsv(tinyCohort(120)));
    const cfg = join(dir, 'cfg.json');
    writeFileSync(cfg, JSON.stringify({ dModel: 8, nLayers: 1, nHeads: 2, mlpRatio: 2, nMix: 2, batchSize: 16, warmupSteps: 2 }));
    const out = join(dir, 'ck');
    const cap = capture();
    let code: number;
    try {
      code = await main(['train', '--cohort', csv, '--out', out, '--config', cfg, '--epochs', '1']);
    } finally { cap.restore(); }
    expect(code, cap.err.join('')).toBe(0);
    expect(cap.err.join('')).toMatch(/epoch 1 done: train [0-9.]+ validation [0-9.]+/);
    const m1 = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(m1.metrics.epochs).toBe(1);
    expect(m1.config.dModel).toBe(8);
    const cap2 = capture();
    try {
      code = await main(['train', '--cohort', csv, '--out', out, '--resume', '--epochs', '2']);
    } finally { cap2.restore(); }
    expect(code, cap2.err.join('')).toBe(0);
    const m2 = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(m2.metrics.epochs).toBe(2);
    expect(m2.metrics.steps).toBeGreaterThan(m1.metrics.steps);
    expect(existsSync(join(out, 'model-card.md'))).toBe(true);
    // fine-tuning: a new run starting from that checkpoint keeps its architecture and tokeniser
    const ft = join(dir, 'ft');
    const cap3 = capture();
    try {
      code = await main(['train', '--cohort', csv, '--out', ft, '--init', out, '--epochs', '1', '--config', cfg]);
    } finally { cap3.restore(); }
    expect(code, cap3.err.join('')).toBe(0);
    const m3 = JSON.parse(readFileSync(join(ft, 'manifest.json'), 'utf8'));
    expect(m3.tokenizer).toEqual(m2.tokenizer);
    expect(m3.config).toEqual(m2.config);
    expect(m3.metrics.history[0].valLoss).toBeLessThan(m1.metrics.history[0].valLoss);
    // --recalibrate refits the copula and rollout spread of an existing checkpoint, weights untouched
    const w0 = readFileSync(join(out, 'weights.bin'));
    const cap4 = capture();
    try {
      code = await main(['train', '--cohort', csv, '--out', out, '--recalibrate']);
    } finally { cap4.restore(); }
    expect(code, cap4.err.join('')).toBe(0);
    expect(cap4.err.join('')).toMatch(/rollout coverage 50\/90\/95 on \d+ validation participants .* before [0-9.\/]+%, after [0-9.\/]+%/);
    const m4 = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(m4.rolloutScale.variables).toEqual(m2.tokenizer.measured.map((m: { id: string }) => m.id));
    expect(readFileSync(join(out, 'weights.bin')).equals(w0)).toBe(true);
    const cap5 = capture();
    try {
      code = await main(['train', '--cohort', csv, '--out', out, '--recalibrate', '--epochs', '3']);
    } finally { cap5.restore(); }
    expect(code).toBe(2);
    expect(cap5.err.join('')).toMatch(/--recalibrate refits an existing checkpoint/);
  }, 60_000);

  it('a bad config key names itself and exits 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vtrial-cli-'));
    const cfg = join(dir, 'cfg.json');
    writeFileSync(cfg, JSON.stringify({ dmodel: 8 }));
    const cap = capture();
    let code: number;
    try {
      code = await main(['train', '--cohort', join(dir, 'x.csv'), '--out', join(dir, 'o'), '--config', cfg]);
    } finally { cap.restore(); }
    expect(code).toBe(2);
    expect(cap.err.join('')).toMatch(/unknown training setting 'dmodel'/);
    expect(() => resolveSettings({ nHeads: 3 })).toThrow(/dModel must be divisible by nHeads/);
    expect(() => resolveSettings({ lr: -1 })).toThrow(/'lr'/);
    expect(() => resolveSettings({ changeWeight: 0 })).toThrow(/'changeWeight' must be above 0/);
    expect(() => resolveSettings({ earlyWeight: 0 })).toThrow(/'earlyWeight' must be above 0/);
    expect(() => resolveSettings({ earlyYears: 0 })).toThrow(/'earlyYears' must be above 0/);
    expect(() => resolveSettings({ screenWeight: 0 })).toThrow(/'screenWeight' must be above 0/);
    expect(() => resolveSettings({ lateStarts: 1.5 })).toThrow(/'lateStarts' must be a whole number/);
    expect(() => resolveSettings({ residual: 0.5 })).toThrow(/'residual' must be 0/);
    expect(() => resolveSettings({ residualVars: ['body_weight'] })).toThrow(/needs residual 1/);
    expect(() => resolveSettings({ residual: 1, residualVars: 'body_weight' })).toThrow(/'residualVars' must be a list/);
    expect(resolveSettings({ residual: 1, residualVars: ['bmi', 'bmi', 'waist'] }).residualVars).toEqual(['bmi', 'waist']);
    expect(() => resolveSettings({ tokenizerVersion: 2 })).toThrow(/'tokenizerVersion' must be 3, 4, 5, 6, 7 or 8/);
    expect(resolveSettings({ tokenizerVersion: 4 }).tokenizerVersion).toBe(4);
    expect(resolveSettings({ tokenizerVersion: 5 }).tokenizerVersion).toBe(5);
    expect(resolveSettings({ tokenizerVersion: 6 }).tokenizerVersion).toBe(6);
    expect(resolveSettings({ tokenizerVersion: 8 }).tokenizerVersion).toBe(8);
  });
});

describe('cohort vocabulary', () => {
  it('rejects unknown variables clearly, and accepts them from a catalog file', () => {
    const text = 'subject_id,time,code,numeric_value\n1,0,age,50\n1,0,sex,1\n1,0,ldl_c,120\n1,0,zonulin,40\n1,30,zonulin,42\n';
    const c = parseCohortCsv(text, 'mine.csv');
    expect(() => fitTokenizer(c)).toThrow(/mine\.csv: 1 code\(s\) are neither catalog variables nor exposures/);
    try { fitTokenizer(c); } catch (e) { expect((e as { details: string[] }).details.join('\n')).toMatch(/'zonulin'.*--catalog/s); }
    const spec = fitTokenizer(c, [{ id: 'zonulin', transform: 'log' }]);
    expect(spec.measured.map((m) => m.id)).toContain('zonulin');
  });

  it('names a missing column', () => {
    expect(() => parseCohortCsv('id,time,code,value\n', 'bad.csv')).toThrow(/bad\.csv: cohort file lacks column\(s\) subject_id, numeric_value/);
  });
});

describe('MEDS conventions', () => {
  it('reads SEX//F, CONDITION//flag, *_STOP// exposures, EVENT// and zero-valued exposures', async () => {
    const { subjectHistory, exposureAt, featureLayout } = await import('../../src/model/tokenizer.js');
    const text = [
      'subject_id,time,code,numeric_value',
      '1,0,SEX//F,', '1,0,AGE,50', '1,0,CONDITION//diabetes,1', '1,0,sbp,130', '1,0,BEHAVIOUR//alcohol_drinks_day,0',
      '1,10,DRUG//amlodipine,5', '1,30,sbp,125', '1,60,DRUG_STOP//amlodipine,0', '1,90,sbp,128', '1,95,EVENT//lost_to_follow_up,',
      '2,0,SEX//M,', '2,0,AGE,60', '2,0,sbp,140', '2,30,sbp,141',
    ].join('\n');
    const c = parseCohortCsv(text, 'meds.csv');
    const spec = fitTokenizer(c);
    expect(spec.statics.map((s) => s.id)).toEqual(['age', 'sex', 'diabetes']);
    expect(spec.exposures.map((e) => e.code)).toEqual(['BEHAVIOUR//alcohol_drinks_day', 'DRUG//amlodipine']);
    const h1 = subjectHistory(spec, c.subjects.find((s) => s.id === '1')!);
    const h2 = subjectHistory(spec, c.subjects.find((s) => s.id === '2')!);
    expect(Array.from(h1.statics)).toEqual([50, 1, 1]);
    expect(Array.from(h2.statics)).toEqual([60, 0, 0]); // absent condition = 0
    const amlo = h1.exposures.byCode.get('DRUG//amlodipine');
    expect(exposureAt(amlo, 30)).toMatchObject({ level: 5, active: true });
    expect(exposureAt(amlo, 90)).toMatchObject({ level: 0, active: false });
    expect(exposureAt(h1.exposures.byCode.get('BEHAVIOUR//alcohol_drinks_day'), 30)).toMatchObject({ level: 0, active: true });
    expect(h1.visits.map((v) => v.day)).toEqual([0, 30, 90]);
    // a dose change written as start-new then stop-old on the same day keeps the drug active
    const { exposureTimeline } = await import('../../src/model/simulator.js');
    const { TwinModel } = await import('../../src/model/twin-model.js');
    const fake = { tokenizer: spec, dir: '' } as unknown as InstanceType<typeof TwinModel>;
    const tl = exposureTimeline(fake, [
      { day: 0, code: 'DRUG//amlodipine', value: 2.5 }, { day: 28, code: 'DRUG//amlodipine', value: 5 }, { day: 28, code: 'DRUG_STOP//amlodipine', value: 0 },
    ], 'titration');
    expect(exposureAt(tl.byCode.get('DRUG//amlodipine'), 60)).toMatchObject({ level: 5, active: true });
    expect(featureLayout(spec).E).toBe(2);
  });
});
