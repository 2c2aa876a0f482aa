// Rollout engine: twin-rollouts per second with 1 and 2 workers (reference engine, and the
// model when a checkpoint is installed), the 2-worker speed-up (target >= 1.7x on 2 cores),
// pool overhead on a 10,000-twin trial (target < 5%), and peak resident memory of a
// 100,000-twin, two-arm, 12-visit trial (target < 2 GB), measured in a child process.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const name = 'rollout';
export const description = 'twin-rollouts/s with 1 and 2 workers, 2-worker speed-up, pool overhead, peak RSS at 100,000 twins';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const dist = (p) => pathToFileURL(join(root, 'dist', p)).href;

/** A two-arm trial with `visits` weekly visits (day 0 included), written to a temp file. */
export function trialText(engine, visits) {
  const weeks = visits - 1;
  return `vtrial: 1
name: rollout benchmark
seed: 77
engine: ${engine}
population:
  source: synthetic
  n: 1000
  eligibility:
    age: [30, 75]
randomisation:
  ratio: {control: 1, diet: 1}
  block_size: 4
schedule:
  duration: ${weeks} weeks
  visits: {every: 1 week}
  measure:
    - variables: [sbp, dbp, body_weight]
  dropout: 0.05
arms:
  - id: control
    label: Usual diet
    role: usual_care
  - id: diet
    label: DASH, low sodium
    interventions:
      - kind: diet
        pattern: dash
        sodium_mg_day: 2300
        adherence: 0.8
endpoints:
  - name: sbp_change
    variable: sbp
    measure: change
    compare: diet vs control
`;
}

async function timed(runTrial, runInfoOf, spec, opts) {
  let rolloutStart = NaN;
  let rolloutEnd = NaN;
  const t0 = performance.now();
  const data = await runTrial(spec, {
    ...opts,
    fault: null,
    progress: (e) => {
      if (e.phase === 'rollout') {
        if (Number.isNaN(rolloutStart)) rolloutStart = e.elapsedMs;
        rolloutEnd = e.elapsedMs;
      }
    },
  });
  const wallMs = performance.now() - t0;
  const info = runInfoOf(data);
  const twins = data.allocation.length;
  const rolloutMs = rolloutEnd - rolloutStart;
  return { twins, arms: spec.arms.length, wallMs, rolloutMs, shardMs: info.shardMs, workers: info.workers };
}

async function engineFigures(engine, n, log, out) {
  const { loadTrial } = await import(dist('trial-dsl/index.js'));
  const { runTrial, runInfoOf } = await import(dist('rollout/run.js'));
  const dir = mkdtempSync(join(tmpdir(), 'vtrial-bench-'));
  try {
    const file = join(dir, 'trial.yaml');
    writeFileSync(file, trialText(engine, 12));
    const spec = await loadTrial(file);
    if (engine === 'model') {
      const ckpt = isAbsolute(spec.model) ? spec.model : resolve(root, spec.model);
      if (!existsSync(ckpt)) {
        log(`  (model engine skipped: no checkpoint at ${ckpt})`);
        return;
      }
    }
    // warm-up (module loading, JIT) so both timings see a warm process
    await timed(runTrial, runInfoOf, spec, { workers: 1, nOverride: Math.min(n, 1000) });
    const one = await timed(runTrial, runInfoOf, spec, { workers: 1, nOverride: n });
    const two = await timed(runTrial, runInfoOf, spec, { workers: 2, nOverride: n });
    // a twin-rollout = one twin under one arm for the whole schedule
    const rate1 = (one.twins * one.arms) / (one.rolloutMs / 1000);
    const rate2 = (two.twins * two.arms) / (two.rolloutMs / 1000);
    out[`${engine}_twins`] = n;
    out[`${engine}_rollouts_per_s_1_worker`] = rate1;
    out[`${engine}_rollouts_per_s_2_workers`] = rate2;
    out[`${engine}_speedup_2_workers`] = rate2 / rate1;
    // pool overhead: share of the 2-worker rollout wall time not spent computing shards
    out[`${engine}_pool_overhead_pct`] = 100 * (1 - two.shardMs / (two.workers * two.rolloutMs));
    out[`${engine}_wall_s_1_worker`] = one.wallMs / 1000;
    out[`${engine}_wall_s_2_workers`] = two.wallMs / 1000;
    log(`  ${engine}: ${n} twins x ${one.arms} arms, 1 worker ${rate1.toFixed(0)}/s, 2 workers ${rate2.toFixed(0)}/s`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Peak RSS of a 100,000-twin, two-arm, 12-visit reference run with 2 workers, in a fresh process. */
function memoryFigures(log, out) {
  const dir = mkdtempSync(join(tmpdir(), 'vtrial-bench-'));
  try {
    const file = join(dir, 'trial.yaml');
    writeFileSync(file, trialText('reference', 12));
    const script = join(dir, 'mem.mjs');
    writeFileSync(
      script,
      `import { loadTrial } from ${JSON.stringify(dist('trial-dsl/index.js'))};
import { runTrial } from ${JSON.stringify(dist('rollout/run.js'))};
import { analyseTrial } from ${JSON.stringify(dist('analysis/trial.js'))};
const spec = await loadTrial(${JSON.stringify(file)});
const t0 = performance.now();
const data = await runTrial(spec, { workers: 2, nOverride: 100000, fault: null });
analyseTrial(data);
process.stdout.write(JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS, seconds: (performance.now() - t0) / 1000, twins: data.allocation.length }));
`,
    );
    const r = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 20 * 60_000 });
    if (r.status !== 0) throw new Error(`100,000-twin run failed: ${r.stderr.slice(-2000)}`);
    const m = JSON.parse(r.stdout.trim().split('\n').pop());
    out.peak_rss_mb_100k_twins = m.maxRssKb / 1024;
    out.wall_s_100k_twins = m.seconds;
    log(`  100,000 twins x 2 arms x 12 visits: peak RSS ${(m.maxRssKb / 1024).toFixed(0)} MB in ${m.seconds.toFixed(1)} s`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(log) {
  const out = {};
  await engineFigures('reference', 10_000, log, out);
  await engineFigures('model', 500, log, out);
  memoryFigures(log, out);
  return out;
}
