// Rollout engine speed, measured so that thread start-up does not hide in the rates:
// - twin-rollouts per second (one twin under one arm for the whole 12-visit schedule) with 1
//   worker (the main thread) and 2 workers (a warm pool), on a trial large enough that per-run
//   costs are amortised (reference engine: 50,000 twins; VTRIAL_BENCH_TWINS overrides), and the
//   2-worker speed-up (target >= 1.7x on 2 cores);
// - the CPU time of the 2-worker rollout relative to the 1-worker one (1.0 = the pool adds no
//   work; this figure is not disturbed by other load on a shared machine, the rates are);
// - the start-up cost of a fresh pool (threads, module loading, simulator, warm-up), separately;
// - pool overhead on a 10,000-twin trial: the share of rollout wall time x threads not spent
//   computing shards, on a warm pool (target < 5%) and on a fresh pool (start-up included);
// - peak resident memory of a 100,000-twin, two-arm, 12-visit trial (target < 2 GB), in a child
//   process; and the 1-minute load average before and after, to judge how quiet the machine was.
import { spawnSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
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

const cpuMs = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

/** Run once; rollout wall time and CPU time (every thread of the process) from the progress events. */
async function timed(runTrial, runInfoOf, spec, opts) {
  let rolloutStart = NaN;
  let rolloutEnd = NaN;
  let cpuStart = NaN;
  let cpuEnd = NaN;
  const t0 = performance.now();
  const data = await runTrial(spec, {
    ...opts,
    fault: null,
    progress: (e) => {
      if (e.phase === 'rollout') {
        if (Number.isNaN(rolloutStart)) {
          rolloutStart = e.elapsedMs;
          cpuStart = cpuMs();
        }
        rolloutEnd = e.elapsedMs;
        cpuEnd = cpuMs();
      }
    },
  });
  const wallMs = performance.now() - t0;
  const info = runInfoOf(data);
  const twins = data.allocation.length;
  const rolloutMs = rolloutEnd - rolloutStart;
  return { twins, arms: spec.arms.length, wallMs, rolloutMs, cpuMs: cpuEnd - cpuStart, shardMs: info.shardMs, workers: info.workers, rate: (twins * spec.arms.length) / (rolloutMs / 1000) };
}

async function engineFigures(engine, n, log, out) {
  const { loadTrial } = await import(dist('trial-dsl/index.js'));
  const { runTrial, runInfoOf } = await import(dist('rollout/run.js'));
  const { openPool } = await import(dist('rollout/pool.js'));
  const dir = mkdtempSync(join(tmpdir(), 'vtrial-bench-'));
  try {
    const file = join(dir, 'trial.yaml');
    writeFileSync(file, trialText(engine, 12));
    const spec = await loadTrial(file);
    let checkpoint = null;
    if (engine === 'model') {
      checkpoint = isAbsolute(spec.model) ? spec.model : resolve(root, spec.model);
      if (!existsSync(checkpoint)) {
        log(`  (model engine skipped: no checkpoint at ${checkpoint})`);
        return;
      }
    }
    const small = Math.min(n, 10_000);
    // the model engine is ~20x slower per twin: smaller shards so that a bench-sized trial has
    // enough shards to keep two threads busy (results do not depend on the shard size's parity)
    const shardSize = engine === 'model' ? 250 : undefined;
    // 1 worker = the main thread, warmed up first (module loading, JIT)
    await timed(runTrial, runInfoOf, spec, { workers: 1, nOverride: Math.min(n, 4000), seed: 1, shardSize });
    const one = await timed(runTrial, runInfoOf, spec, { workers: 1, nOverride: n, shardSize });
    const oneSmall = await timed(runTrial, runInfoOf, spec, { workers: 1, nOverride: small, shardSize });

    // a fresh 2-thread pool: start-up (threads, modules, simulator, warm-up), then a cold 10,000-twin run
    const cold = await timed(runTrial, runInfoOf, spec, { workers: 2, nOverride: small, shardSize });
    const c0 = cpuMs();
    const t0 = performance.now();
    const pool = openPool({ workers: 2 });
    try {
      await pool.warm({ kind: 'warm', spec, seed: spec.seed, engine, checkpoint, baseDir: dir });
      out[`${engine}_pool_startup_ms`] = performance.now() - t0;
      out[`${engine}_pool_startup_cpu_ms`] = cpuMs() - c0;
      // the same warm-up the main thread had
      await timed(runTrial, runInfoOf, spec, { pool, nOverride: Math.min(n, 4000), seed: 1, shardSize });
      const two = await timed(runTrial, runInfoOf, spec, { pool, nOverride: n, shardSize });
      const twoSmall = await timed(runTrial, runInfoOf, spec, { pool, nOverride: small, shardSize });
      out[`${engine}_twins`] = n;
      out[`${engine}_rollouts_per_s_1_worker`] = one.rate;
      out[`${engine}_rollouts_per_s_2_workers`] = two.rate;
      out[`${engine}_speedup_2_workers`] = two.rate / one.rate;
      out[`${engine}_cpu_ratio_2_vs_1_worker`] = two.cpuMs / one.cpuMs;
      // pool overhead: share of rollout wall time x threads not spent computing shards
      out[`${engine}_pool_overhead_pct_${small}_warm`] = 100 * (1 - twoSmall.shardMs / (twoSmall.workers * twoSmall.rolloutMs));
      out[`${engine}_pool_overhead_pct_${small}_fresh_pool`] = 100 * (1 - cold.shardMs / (cold.workers * cold.rolloutMs));
      out[`${engine}_speedup_2_workers_${small}_warm`] = twoSmall.rate / oneSmall.rate;
      out[`${engine}_speedup_2_workers_${small}_fresh_pool`] = cold.rate / oneSmall.rate;
      out[`${engine}_wall_s_${small}_fresh_pool`] = cold.wallMs / 1000;
      out[`${engine}_wall_s_${small}_1_worker`] = oneSmall.wallMs / 1000;
      log(`  ${engine}: ${n} twins x ${one.arms} arms, 1 worker ${one.rate.toFixed(0)}/s, 2 workers ${two.rate.toFixed(0)}/s (${(two.rate / one.rate).toFixed(2)}x); fresh pool start-up ${out[`${engine}_pool_startup_ms`].toFixed(0)} ms`);
    } finally {
      await pool.close();
    }
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

/**
 * Control: the speed-up of 2 threads of plain arithmetic over 1 on this machine right now. On an
 * idle 2-core machine it is about 2; on a shared or overcommitted one it shows the ceiling that
 * the 2-worker speed-up above should be judged against.
 */
async function machineParallelism(log, out, when) {
  const code = `const { parentPort } = require('node:worker_threads'); let x = 0; for (let i = 0; i < 2e8; i++) x += Math.sqrt(i); parentPort.postMessage(x);`;
  const wall = async (k) => {
    const t0 = performance.now();
    await Promise.all(Array.from({ length: k }, () => new Promise((res, rej) => {
      const w = new Worker(code, { eval: true });
      w.on('message', () => res(w.terminate()));
      w.on('error', rej);
    })));
    return performance.now() - t0;
  };
  const one = await wall(1);
  const two = await wall(2);
  const ratio = (2 * one) / two;
  out[`machine_2_thread_speedup_control_${when}`] = ratio;
  log(`  control (${when}): 2 threads of arithmetic do ${ratio.toFixed(2)}x the work of 1 per second on this machine`);
}

export async function run(log) {
  const out = { load_average_1min_before: loadavg()[0] };
  await machineParallelism(log, out, 'before');
  const n = Number(process.env.VTRIAL_BENCH_TWINS) || 50_000;
  await engineFigures('reference', n, log, out);
  await engineFigures('model', 2000, log, out);
  memoryFigures(log, out);
  await machineParallelism(log, out, 'after');
  out.load_average_1min_after = loadavg()[0];
  return out;
}
