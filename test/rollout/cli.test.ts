// End to end through the compiled CLI (dist), reference engine, small n: the acceptance checks
// for reproducibility across workers, shards run as separate processes, faults and resume.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, ROOT, SMALL_TRIAL, tempDir } from './helpers.js';

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function vtrial(args: string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** JSON with object keys sorted at every level. */
function sortedJson(x: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])]));
    return v;
  };
  return JSON.stringify(sort(x));
}

const endpointsOf = (json: string): string => sortedJson((JSON.parse(json) as { endpoints: unknown }).endpoints);
const ARGS = ['run', SMALL_TRIAL, '--engine', 'reference', '--n', '240', '--quiet'];

describe('vtrial run / merge (compiled CLI, reference engine)', () => {
  it('gives identical endpoints for 1 and 2 workers, and for 3 shards run as separate processes then merged', async () => {
    const [one, two] = [await vtrial([...ARGS, '--workers', '1', '--json']), await vtrial([...ARGS, '--workers', '2', '--json', '--shard-size', '80'])];
    expect(one.code, one.stderr).toBe(0);
    expect(two.code, two.stderr).toBe(0);
    const report = JSON.parse(one.stdout) as { endpoints: { name: string; ci95: number[]; n: unknown }[]; run: { seed: number; engine: string } };
    expect(report.run.engine).toBe('reference');
    expect(report.endpoints.length).toBeGreaterThan(0);
    expect(one.stderr).toContain(report.endpoints[0].name); // the human summary goes to stderr with --json

    const dir = tempDir();
    const parts = [0, 1, 2].map((i) => join(dir, `part-${i}`));
    const runs = await Promise.all(parts.map((p, i) => vtrial([...ARGS, '--shard', `${i + 1}/3`, '--shard-size', '80', '--out', p])));
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const merged = await vtrial(['merge', ...parts, '--out', join(dir, 'report'), '--quiet']);
    expect(merged.code, merged.stderr).toBe(0);
    const mergedJson = readFileSync(join(dir, 'report', 'report.json'), 'utf8');

    const e1 = endpointsOf(one.stdout);
    expect(endpointsOf(two.stdout)).toBe(e1);
    expect(endpointsOf(mergedJson)).toBe(e1);
    // a missing part is an error naming what is missing, never a smaller report
    const partial = await vtrial(['merge', parts[0], parts[2], '--out', join(dir, 'partial')]);
    expect(partial.code).toBe(2);
    expect(partial.stderr).toMatch(/shards are missing \(shards 1\)/);
  }, 120_000);

  it('fails naming the shard when a worker keeps failing', async () => {
    const r = await vtrial([...ARGS, '--workers', '2', '--shard-size', '80'], { VTRIAL_FAULT: 'shard=1,mode=throw,times=always' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/shard 1 \(twins 80-159\) failed after 3 attempts: injected fault/);
    expect(r.stdout).toBe('');
    const kept = /finished shards are kept in (\S+);/.exec(r.stderr);
    expect(kept, r.stderr).not.toBeNull();
    expect(existsSync(join(kept![1], 'manifest.json'))).toBe(true);
    rmSync(kept![1], { recursive: true, force: true });
  }, 60_000);

  it('stops on SIGINT keeping finished shards; --resume gives the uninterrupted report', async () => {
    const clean = await vtrial([...ARGS, '--workers', '1', '--json']);
    expect(clean.code, clean.stderr).toBe(0);
    const args = [...ARGS.filter((a) => a !== '--quiet'), '--workers', '2', '--shard-size', '40', '--log-json', '--json'];
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, VTRIAL_FAULT: 'shard=*,mode=delay,delay=400' } });
    let stderr = '';
    let signalled = false;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
      for (const line of stderr.split('\n')) {
        if (!signalled && line.startsWith('{') && (JSON.parse(line) as { shardsDone?: number; phase?: string }).phase === 'rollout' && (JSON.parse(line) as { shardsDone: number }).shardsDone >= 2) {
          signalled = true;
          child.kill('SIGINT');
        }
      }
    });
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(code, stderr).toBe(130);
    const m = /--resume (\S+)/.exec(stderr);
    expect(m, stderr).not.toBeNull();
    const resumed = await vtrial([...ARGS, '--workers', '2', '--shard-size', '40', '--json', '--resume', m![1]]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(endpointsOf(resumed.stdout)).toBe(endpointsOf(clean.stdout));
    rmSync(m![1], { recursive: true, force: true }); // a resumed folder is the user's: kept
  }, 120_000);

  it('rejects a bad --shard with a usage error', () => {
    const r = spawnSync(process.execPath, [CLI, 'run', SMALL_TRIAL, '--shard', '0/3', '--out', tempDir()], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/expected i\/N with 1 <= i <= N/);
  });
});
