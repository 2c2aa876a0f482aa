// `vtrial analyze` and `vtrial power` end to end (reference world, one worker).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { Rng, hashString } from '../../src/core/rng.js';
import { loadTrial } from '../../src/trial-dsl/index.js';

const TRIAL = fileURLToPath(new URL('../../trials/dash-sodium.yaml', import.meta.url));
const SAMPLE = fileURLToPath(new URL('../fixtures/procova-sample.csv', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'vtrial-analysis-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const o = process.stdout.write.bind(process.stdout);
  const e = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => (out.push(String(s)), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => (err.push(String(s)), true)) as typeof process.stderr.write;
  const before = process.exitCode;
  try {
    const code = await main(args);
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    process.stdout.write = o;
    process.stderr.write = e;
    process.exitCode = before;
  }
}

describe('vtrial analyze', () => {
  it('re-analyses saved trajectories with another analysis', async () => {
    const spec = await loadTrial(TRIAL);
    const variables = [...new Set(spec.schedule.visits.flatMap((v) => v.variables))];
    const lines = [['twin_id', 'arm', 'allocated', 'day', 'dropout_day', ...variables].join(',')];
    for (let t = 0; t < 120; t++) {
      const r = new Rng(5, t, hashString('cli-test'));
      const baseline = Object.fromEntries(variables.map((v) => [v, 100 + 20 * r.uniform()]));
      spec.arms.forEach((arm, a) => {
        for (const visit of spec.schedule.visits) {
          const values = variables.map((v) => (visit.variables.includes(v) ? baseline[v] - a * 5 * (visit.day / 84) + r.normal() : ''));
          lines.push([t, arm.id, t % 2 === a ? 1 : 0, visit.day, '', ...values].join(','));
        }
      });
    }
    const csv = join(dir, 'run.csv');
    writeFileSync(csv, lines.join('\n') + '\n');
    const res = await run(['analyze', csv, '--trial', TRIAL, '--endpoint', 'sbp_change_12w', '--analysis', 'difference', '--json']);
    expect(res.code, res.err).toBe(0);
    const report = JSON.parse(res.out);
    expect(report.endpoints).toHaveLength(1);
    expect(report.endpoints[0].method).toBe('Welch two-sample t');
    expect(report.endpoints[0].n).toEqual({ dash: { randomised: 60, analysed: 60 }, usual: { randomised: 60, analysed: 60 } });
    expect(report.endpoints[0].ci95[1]).toBeLessThan(0);
    expect(report.run.engine).toBe('saved run');
  });

  it('analyses the bundled sample with a prognostic score from the reference world', async () => {
    const res = await run(['analyze', SAMPLE, '--trial', TRIAL, '--prognostic', 'reference', '--draws', '2', '--workers', '1', '--json']);
    expect(res.code, res.err).toBe(0);
    const out = JSON.parse(res.out);
    expect(out.endpoint).toBe('sbp_change_12w');
    expect(out.standard.n).toBe(240);
    expect(out.score).toHaveLength(240);
    expect(out.score.every((s: number | null) => typeof s === 'number')).toBe(true);
    expect(out.equivalentSampleSize).toBeCloseTo(240 / (1 - out.varianceReduction), 6);
    // randomisation keeps both estimates close to each other whatever the score
    expect(Math.abs(out.prognostic.estimate - out.standard.estimate)).toBeLessThan(2 * out.standard.se);
  }, 60_000);

  it('names the file and the missing column for a participant table without the endpoint', async () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'id,arm,age,sex,sbp\n1,usual,50,M,130\n2,dash,60,F,140\n');
    const res = await run(['analyze', bad, '--trial', TRIAL, '--prognostic', 'reference']);
    expect(res.code).toBe(2);
    expect(res.err).toMatch(/bad\.csv: missing column sbp_change_12w/);
  });
});

describe('vtrial power', () => {
  it('prints a power curve for each size', async () => {
    const res = await run(['power', TRIAL, '--engine', 'reference', '--sizes', '30,60', '--replicates', '3', '--no-null-check', '--workers', '1', '--json', '-q']);
    expect(res.code, res.err).toBe(0);
    const curve = JSON.parse(res.out);
    expect(curve.endpoint).toBe('sbp_change_12w');
    expect(curve.points.map((p: { n: number }) => p.n)).toEqual([30, 60]);
    expect(curve.points[0].replicates).toBe(3);
  }, 60_000);

  it('rejects a target outside (0, 1)', async () => {
    const res = await run(['power', TRIAL, '--sizes', '30', '--target', '1.5']);
    expect(res.code).toBe(2);
    expect(res.err).toMatch(/strictly between 0 and 1/);
  });
});
