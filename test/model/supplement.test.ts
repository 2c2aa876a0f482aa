/**
 * scripts/model-cohort-supplement.mjs, the options that shape what a version-8 model learns:
 * --screening-visit writes the readings each enriched participant was selected on at day
 * SCREENING_DAY and changes nothing else; --full-panels measures every panel monthly;
 * --untreated sets the share of participants given no intervention; --early-visits adds visits one
 * and two weeks after every exposure start and stop.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCREENING_DAY } from '../../src/model/tokenizer.js';

const SCRIPT = join(__dirname, '..', '..', 'scripts', 'model-cohort-supplement.mjs');
const dir = mkdtempSync(join(tmpdir(), 'vtrial-supp-'));
const write = (name: string, ...opts: string[]) => {
  const out = join(dir, name);
  execFileSync(process.execPath, [SCRIPT, '40', '1', '303', out, '--trial-like', '--enriched', ...opts], { stdio: 'pipe' });
  return readFileSync(out, 'utf8').trim().split('\n');
};

describe('model-cohort-supplement', () => {
  it('--screening-visit adds the screening readings before baseline and leaves every other row as it was', () => {
    const plain = write('plain.csv');
    const screened = write('screened.csv', '--screening-visit');
    const early = screened.filter((l) => l.split(',')[1] === String(SCREENING_DAY));
    expect(early.length).toBeGreaterThan(10);
    // measured variables only (the strata's rules on BP, lipids, glucose and BMI), never age or a flag
    for (const l of early) expect(['sbp', 'dbp', 'ldl_c', 'triglycerides', 'hba1c', 'fasting_glucose', 'bmi', 'total_cholesterol', 'hdl_c']).toContain(l.split(',')[2]);
    expect(screened.filter((l) => l.split(',')[1] !== String(SCREENING_DAY))).toEqual(plain);
    // a participant with a screening SBP also has a baseline SBP (the visit comes before the trial's own)
    const sbp = early.find((l) => l.split(',')[2] === 'sbp')!;
    const id = sbp.split(',')[0]!;
    expect(screened.some((l) => l.startsWith(`${id},0,sbp,`))).toBe(true);
  }, 60_000);

  it('--full-panels measures every panel at monthly visits', () => {
    const rows = write('full.csv', '--full-panels');
    const first = rows[1]!.split(',')[0]!;
    const own = rows.filter((l) => l.startsWith(`${first},`));
    const byDay = new Map<number, Set<string>>();
    for (const l of own) {
      const [, t, code] = l.split(',');
      if (code!.includes('//') || code === 'AGE' || code === 'height') continue;
      const d = Number(t);
      if (!byDay.has(d)) byDay.set(d, new Set());
      byDay.get(d)!.add(code!);
    }
    const days = [...byDay.keys()].sort((a, b) => a - b);
    expect(days.length).toBeGreaterThanOrEqual(10);
    for (let k = 1; k < days.length; k++) expect(days[k]! - days[k - 1]!).toBeGreaterThanOrEqual(28);
    for (let k = 1; k < days.length; k++) expect(days[k]! - days[k - 1]!).toBeLessThanOrEqual(35);
    // every visit but a dropout's last has the same full set of variables as the baseline
    const full = byDay.get(0)!.size;
    expect(full).toBeGreaterThan(35);
    expect(days.filter((d) => byDay.get(d)!.size === full).length).toBeGreaterThanOrEqual(days.length - 1);
  }, 60_000);

  it('--early-visits adds visits 7 and 14 days after every start and stop, with BP, body and intake', () => {
    const rows = write('early.csv', '--early-visits').slice(1).map((l) => l.split(','));
    const starts = rows.filter((r) => /^(DRUG|DIET|EXERCISE|WEIGHT_LOSS|SUPPLEMENT|PLACEBO|BEHAVIOUR|SLEEP|FASTING)(_STOP)?\/\//.test(r[2]!));
    expect(starts.length).toBeGreaterThan(20);
    const measured = new Set(rows.filter((r) => !r[2]!.includes('//')).map((r) => `${r[0]},${r[1]},${r[2]}`));
    const lost = new Map(rows.filter((r) => r[2] === 'EVENT//lost_to_follow_up').map((r) => [r[0]!, Number(r[1])]));
    let checked = 0;
    for (const [id, t] of starts.map((r) => [r[0]!, Number(r[1])] as const)) {
      for (const d of [7, 14]) {
        const day = t + d;
        if (day > 365 || day >= (lost.get(id) ?? Infinity)) continue; // follow-up is 1 year; nothing after a dropout
        for (const v of ['sbp', 'body_weight', 'energy_intake']) expect(measured.has(`${id},${day},${v}`), `${id} day ${day} ${v}`).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(20);
    // without the option, no such visit is forced: fewer intake readings
    const plain = write('plain2.csv').filter((l) => l.split(',')[2] === 'energy_intake').length;
    expect(rows.filter((r) => r[2] === 'energy_intake').length).toBeGreaterThan(plain);
  }, 60_000);

  it('--untreated 1 gives no participant an intervention; the default share is 0.12', () => {
    const exposures = (rows: string[]) => rows.filter((l) => /^(DRUG|DIET|EXERCISE|WEIGHT_LOSS|SUPPLEMENT|PLACEBO|BEHAVIOUR|SLEEP|FASTING|ADHERENCE)/.test(l.split(',')[2]!));
    const none = write('untreated.csv', '--untreated', '1');
    expect(none.length).toBeGreaterThan(100);
    expect(exposures(none)).toEqual([]);
    // the default written out is the same file as no option
    expect(write('default.csv', '--untreated', '0.12')).toEqual(write('plain2.csv'));
    const all = write('treated.csv', '--untreated', '0');
    const ids = new Set(all.slice(1).map((l) => l.split(',')[0]));
    const withExposure = new Set(exposures(all).map((l) => l.split(',')[0]));
    expect(withExposure.size).toBe(ids.size);
  }, 60_000);

  it('--untreated rejects a share outside 0-1 and a --combined cohort', () => {
    expect(() => write('bad.csv', '--untreated', '1.5')).toThrow(/--untreated must be a share from 0 to 1/);
    const out = join(dir, 'comb.csv');
    expect(() => execFileSync(process.execPath, [SCRIPT, '20', '1', '303', out, '--combined', '--untreated', '1'], { stdio: 'pipe' })).toThrow(/a --combined participant always keeps/);
  }, 60_000);
});
