// Analysis throughput: estimators per second on trial-sized data, a whole-trial analysis rate
// (twins per second, individual effects included), and the HTML report's render time relative
// to the analysis. Uses dist/ (run `npx tsc -p tsconfig.json` first).
import { ancova, analyseTrial, buildReport, coxPH, renderHtml, renderSummary } from '../dist/analysis/index.js';
import { Rng, hashString } from '../dist/core/rng.js';

export const name = 'analysis';
export const description = 'ANCOVA and Cox fits per second, whole-trial analysis in twins/s, HTML render time per report';

const KEY = hashString('bench-analysis');

function trial(n) {
  const visitDays = [0, 28, 84];
  const spec = {
    version: 1, name: 'bench', seed: 1, engine: 'reference', model: 'none',
    population: { source: 'synthetic', n, sex: 'any', eligibility: [], baseline: [] },
    randomisation: { ratio: { usual: 1, dash: 1 }, strata: [], blockSize: 0 },
    schedule: { durationDays: 84, visits: visitDays.map((day) => ({ label: `day ${day}`, day, variables: ['sbp'] })), dropout: 0.05 },
    arms: [{ id: 'usual', label: 'usual', role: 'usual_care', interventions: [] }, { id: 'dash', label: 'dash', role: 'intervention', interventions: [] }],
    endpoints: [
      { name: 'sbp_change', variable: 'sbp', day: 84, measure: 'change', analysis: 'ancova', treatment: 'dash', control: 'usual', primary: true, covariates: ['age'] },
      { name: 'sbp_below', variable: 'sbp', day: 84, measure: 'responder', threshold: { op: '<', value: 130, on: 'value' }, analysis: 'risk_difference', treatment: 'dash', control: 'usual', primary: false, covariates: [] },
    ],
    analysis: { alpha: 0.05, replicates: 1, ci: 't', bootstrapSamples: 200 },
    source: { file: 'bench.yaml', sha256: '0'.repeat(64) },
  };
  const allocation = new Uint8Array(n);
  const age = new Float64Array(n);
  const sex = new Float64Array(n);
  const base = new Float64Array(n);
  const y = [new Float64Array(n), new Float64Array(n)];
  for (let i = 0; i < n; i++) {
    const r = new Rng(1, i, KEY);
    allocation[i] = r.uniform() < 0.5 ? 0 : 1;
    age[i] = 30 + 40 * r.uniform();
    sex[i] = r.uniform() < 0.5 ? 0 : 1;
    base[i] = 140 + 12 * r.normal();
    const noise = 6 * r.normal();
    y[0][i] = -0.2 * (base[i] - 140) + noise;
    y[1][i] = y[0][i] - 5 + 2 * r.normal();
  }
  const responder = y.map((arm) => arm.map((v, i) => (base[i] + v < 130 ? 1 : 0)));
  return {
    spec,
    allocation,
    covariates: { age, sex },
    endpoints: { sbp_change: y.map((arm) => ({ y: arm, base })), sbp_below: responder.map((arm) => ({ y: arm, base })) },
    trajectories: {},
  };
}

function rate(fn, minMs = 400) {
  let reps = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < minMs) {
    fn();
    reps++;
  }
  return (reps * 1000) / (performance.now() - t0);
}

export async function run(log) {
  const n = 10_000;
  const data = trial(n);
  const treated = Float64Array.from(data.allocation);
  const y = Float64Array.from(data.allocation, (a, i) => data.endpoints.sbp_change[a].y[i]);
  const ancovaPerSecond = rate(() => ancova(y, treated, { baseline: data.endpoints.sbp_change[0].base, age: data.covariates.age }));
  log(`  ANCOVA on ${n} participants: ${ancovaPerSecond.toFixed(1)} fits/s`);
  const time = Float64Array.from({ length: 2000 }, (_, i) => 1 + ((i * 7919) % 365));
  const event = Float64Array.from({ length: 2000 }, (_, i) => (i % 3 === 0 ? 0 : 1));
  const group = Float64Array.from({ length: 2000 }, (_, i) => i % 2);
  const coxPerSecond = rate(() => coxPH(time, event, [group]));
  let t0 = performance.now();
  const analysis = analyseTrial(data);
  const analyseMs = performance.now() - t0;
  const report = buildReport(analysis, { seed: 1, engine: 'reference', simulatorFingerprint: 'bench', backend: 'cpu', trialFile: 'bench.yaml', trialSha256: '0'.repeat(64), startedAt: new Date().toISOString(), wallSeconds: 0, workers: 1 });
  renderSummary(report);
  t0 = performance.now();
  const html = await renderHtml(report);
  const htmlMs = performance.now() - t0;
  return {
    ancovaFitsPerSecond_n10000: ancovaPerSecond,
    coxFitsPerSecond_n2000: coxPerSecond,
    trialAnalysisTwinsPerSecond: (n * 1000) / analyseMs,
    htmlRenderMs: htmlMs,
    htmlToAnalysisTimeRatio: htmlMs / analyseMs,
    htmlBytes: html.length,
  };
}
