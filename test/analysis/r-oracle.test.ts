// Estimators against R. Expected values: test/fixtures/r-oracle.json, written by
// scripts/oracle/make-fixtures.R (lm, t.test, prop.test, glm, survival::coxph/survdiff/survfit)
// from the datasets in test/fixtures/*.csv. Relative tolerance 1e-6.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ancova } from '../../src/analysis/ancova.js';
import { coxPH } from '../../src/analysis/cox_ph.js';
import { kaplanMeier } from '../../src/analysis/kaplan_meier.js';
import { logRankTest } from '../../src/analysis/log_rank_test.js';
import { meanDifference } from '../../src/analysis/mean_difference.js';
import { oddsRatio } from '../../src/analysis/odds_ratio.js';
import { quantileSorted } from '../../src/analysis/quantiles.js';
import { riskDifference } from '../../src/analysis/risk_difference.js';
import { riskRatio } from '../../src/analysis/risk_ratio.js';
import { subgroupInteraction } from '../../src/analysis/subgroup_interaction.js';
import { wilsonInterval } from '../../src/analysis/wilson_interval.js';

const fixtures = new URL('../fixtures/', import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const R: any = JSON.parse(readFileSync(new URL('r-oracle.json', fixtures), 'utf8'));

function readCsv(name: string): Record<string, string[]> {
  const [header, ...lines] = readFileSync(new URL(name, fixtures), 'utf8').trim().split('\n');
  const cols = header.split(',');
  const out: Record<string, string[]> = Object.fromEntries(cols.map((c) => [c, []]));
  for (const line of lines) line.split(',').forEach((v, i) => out[cols[i]].push(v));
  return out;
}
const numbers = (x: string[]): Float64Array => Float64Array.from(x, Number);

function close(actual: number, expected: number, tol = 1e-6): void {
  const scale = Math.max(Math.abs(expected), 1e-300);
  expect(Math.abs(actual - expected) / scale, `actual ${actual}, expected ${expected}`).toBeLessThan(tol);
}
function closeAll(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-6): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) close(actual[i], expected[i], tol);
}

const cont = readCsv('continuous.csv');
const arm = numbers(cont.arm);
const y = numbers(cont.y);
const change = numbers(cont.change);
const base = numbers(cont.base);
const age = numbers(cont.age);
const sex = numbers(cont.sex);
const split = (x: Float64Array): [Float64Array, Float64Array] => [x.filter((_, i) => arm[i] === 1), x.filter((_, i) => arm[i] === 0)];

describe('continuous estimators against R', () => {
  it('meanDifference (Welch) matches t.test(var.equal = FALSE)', () => {
    for (const [data, key] of [[y, 'welch_y'], [change, 'welch_change']] as const) {
      const r = meanDifference(...split(data));
      const e = R[key];
      close(r.estimate, e.estimate);
      close(r.se, e.se);
      close(r.df, e.df);
      close(r.statistic, e.statistic);
      close(r.p, e.p);
      closeAll(r.ci, e.ci);
    }
    closeAll(meanDifference(...split(change), { alpha: 0.1 }).ci, R.welch_change_90.ci);
  });

  it('meanDifference (pooled) matches t.test(var.equal = TRUE)', () => {
    const r = meanDifference(...split(y), { variance: 'pooled' });
    const e = R.pooled_y;
    close(r.estimate, e.estimate);
    close(r.se, e.se);
    expect(r.df).toBe(e.df);
    close(r.p, e.p);
    closeAll(r.ci, e.ci);
  });

  it('ancova matches lm with baseline and with extra covariates', () => {
    const cases = [
      [ancova(y, arm, { base }), R.ancova_base],
      [ancova(change, arm, { base }), R.ancova_change_base],
      [ancova(change, arm, { base, age, sex }), R.ancova_covariates],
    ] as const;
    for (const [r, e] of cases) {
      close(r.estimate, e.estimate);
      close(r.se, e.se);
      close(r.statistic, e.statistic);
      close(r.p, e.p);
      expect(r.df).toBe(e.df);
      closeAll(r.ci, e.ci);
      close(Math.sqrt(r.fit.residualVariance), e.sigma);
      closeAll(r.fit.coefficients, e.coefficients);
    }
  });

  it('subgroupInteraction matches the Wald chi-square from lm(change ~ arm * band)', () => {
    const band = Float64Array.from(age, (a) => (a < 45 ? 0 : a < 65 ? 1 : 2));
    const r = subgroupInteraction(change, arm, band, 3);
    close(r.statistic, R.interaction_ageband.statistic);
    close(r.p, R.interaction_ageband.p);
    expect(r.df).toBe(2);
  });

  it('quantileSorted matches quantile(type = 7)', () => {
    const sorted = Float64Array.from(R.quantile_type7.x as number[]).sort();
    closeAll(
      (R.quantile_type7.p as number[]).map((p) => quantileSorted(sorted, p)),
      R.quantile_type7.q,
    );
  });
});

describe('binary estimators against R', () => {
  const bin = readCsv('binary.csv');
  for (const set of Object.keys(R.binary)) {
    it(`risk difference, risk ratio and odds ratio match prop.test and glm (${set} table)`, () => {
      const e = R.binary[set];
      const rows = bin.set.map((s, i) => i).filter((i) => bin.set[i] === set);
      const count = (a: number, event: boolean): number => rows.filter((i) => Number(bin.arm[i]) === a && (!event || bin.y[i] === '1')).length;
      const [e1, n1, e0, n0] = [count(1, true), count(1, false), count(0, true), count(0, false)];
      expect([e1, n1, e0, n0]).toEqual([e.e1, e.n1, e.e0, e.n0]);
      const wald = riskDifference(e1, n1, e0, n0, { method: 'wald' });
      close(wald.estimate, e.rd.estimate);
      closeAll(wald.ci, e.rd.wald_ci);
      close(wald.p, e.rd.p);
      close(wald.statistic, e.rd.statistic);
      closeAll(riskDifference(e1, n1, e0, n0).ci, e.rd.newcombe_ci);
      closeAll(wilsonInterval(e1, n1), e.wilson1);
      closeAll(wilsonInterval(e0, n0), e.wilson0);
      // glm refitted with epsilon 1e-14 (see make-fixtures.R)
      for (const [r, x] of [[riskRatio(e1, n1, e0, n0), e.rr], [oddsRatio(e1, n1, e0, n0), e.or]] as const) {
        close(r.estimate, x.estimate);
        close(r.se, x.se);
        close(r.p, x.p);
        closeAll(r.ci, x.ci);
      }
    });
  }
});

describe('time-to-event estimators against R survival', () => {
  const sv = readCsv('survival.csv');
  const time = numbers(sv.time);
  const event = numbers(sv.event);
  const group = numbers(sv.arm);

  it('coxPH (Efron and Breslow ties) matches coxph', () => {
    for (const [ties, e] of [['efron', R.cox_efron], ['breslow', R.cox_breslow]] as const) {
      const fit = coxPH(time, event, [group], { ties });
      close(fit.coefficients[0], e.coef);
      close(fit.hazardRatio[0], e.hr);
      close(fit.se[0], e.se);
      close(fit.z[0], e.z);
      close(fit.p[0], e.p);
      closeAll(fit.ci[0], e.ci);
      closeAll([fit.logLikNull, fit.logLik], e.loglik);
    }
  });

  it('coxPH with two covariates matches coxph', () => {
    const x2 = Float64Array.from(time, (_, i) => ((i + 1) % 5) - 2);
    const fit = coxPH(time, event, [group, x2]);
    closeAll(fit.coefficients, R.cox_two.coef);
    closeAll(fit.se, R.cox_two.se);
    closeAll([fit.logLikNull, fit.logLik], R.cox_two.loglik);
  });

  it('logRankTest matches survdiff', () => {
    const r = logRankTest(time, event, group);
    close(r.statistic, R.logrank.chisq);
    close(r.p, R.logrank.p);
    close(r.observedControl, R.logrank.observed[0]);
    close(r.observedTreatment, R.logrank.observed[1]);
    close(r.expectedControl, R.logrank.expected[0]);
    close(r.expectedTreatment, R.logrank.expected[1]);
  });

  it('kaplanMeier matches survfit (estimate, Greenwood SE, log-type interval)', () => {
    for (const [a, e] of [[1, R.km_arm1], [0, R.km_arm0]] as const) {
      const idx = Array.from(group.keys()).filter((i) => group[i] === a);
      const km = kaplanMeier(idx.map((i) => time[i]), idx.map((i) => event[i]));
      expect(km.time).toEqual(e.time);
      expect(km.nRisk).toEqual(e.n_risk);
      expect(km.nEvent).toEqual(e.n_event);
      closeAll(km.survival, e.surv);
      // R reports std.err NaN-free; compare where defined
      const defined = (e.std_err as (number | null)[]).map((v, i) => [v, i] as const).filter(([v]) => v !== null);
      closeAll(defined.map(([, i]) => km.seLog[i]), defined.map(([v]) => v as number));
      const lower = (e.lower as (number | null)[]).map((v, i) => [v, i] as const).filter(([v]) => v !== null);
      closeAll(lower.map(([, i]) => km.lower[i]), lower.map(([v]) => v as number));
      const upper = (e.upper as (number | null)[]).map((v, i) => [v, i] as const).filter(([v]) => v !== null);
      closeAll(upper.map(([, i]) => km.upper[i]), upper.map(([v]) => v as number));
    }
  });
});
