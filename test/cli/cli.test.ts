// Runs the built CLI (dist/, built by `npm test` before vitest) as a user would.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WORLD_VERSION } from '../../src/population/world/version.js';

const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'vtrial.js');

function vtrial(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('vtrial CLI', () => {
  it('cohort writes a MEDS file and names the reference world version that wrote it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vtrial-cli-'));
    const r = vtrial('cohort', '--n', '3', '--years', '1', '--seed', '4', '--out', join(dir, 'c.csv'));
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`(reference world ${WORLD_VERSION})`);
    expect(readFileSync(join(dir, 'c.csv'), 'utf8').split('\n')[0]).toBe('subject_id,time,code,numeric_value');
  });
  it('prints help and exits 0', () => {
    const r = vtrial('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('check');
    expect(vtrial('check', '--help').stdout).toContain('--json');
  });

  it('exits 2 on usage errors', () => {
    expect(vtrial('no-such-command').code).toBe(2);
    expect(vtrial('check').code).toBe(2);
  });

  it('checks the examples with exit 0', () => {
    const r = vtrial('check', 'trials/dash-sodium.yaml', 'trials/statin-dose.yaml');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ok {4}trials\/dash-sodium\.yaml/);
  });

  it('rejects a broken trial with exit 2 and positioned errors; --json is machine-readable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vtrial-cli-'));
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, readFileSync(join(root, 'trials', 'dash-sodium.yaml'), 'utf8').replace(/^arms:/m, 'armz:') + '\nbogus_field_xyz: true\n');
    const r = vtrial('check', bad);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.yaml:\d+:\d+: error: armz: unknown key 'armz'.*did you mean 'arms'/);
    expect(r.stderr).toContain('bogus_field_xyz');
    const j = vtrial('check', '--json', bad);
    expect(j.code).toBe(2);
    const out = JSON.parse(j.stdout);
    expect(out.ok).toBe(false);
    expect(out.files[0].diagnostics.map((d: { code: string }) => d.code)).toContain('unknown-key');
  });

  it('reports a missing file as invalid input', () => {
    const r = vtrial('check', 'does-not-exist.yaml');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no such file');
  });

  it('lists the catalog', () => {
    const r = vtrial('catalog', '--json');
    expect(r.code).toBe(0);
    const c = JSON.parse(r.stdout);
    expect(c.variables.some((v: { id: string }) => v.id === 'ldl_c')).toBe(true);
    expect(c.drugs.some((d: { name: string }) => d.name === 'semaglutide')).toBe(true);
  });

  it('--model points run and validate at another checkpoint folder', () => {
    const missing = join(mkdtempSync(join(tmpdir(), 'vtrial-model-')), 'no-such-model');
    const r = vtrial('run', 'trials/dash-sodium.yaml', '--model', missing, '--n', '20', '--workers', '1', '-q');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`model checkpoint not found: ${missing}`);
    expect(r.stderr).toContain('--model');
    const ok = vtrial('run', 'trials/dash-sodium.yaml', '--model', 'models/default', '--n', '20', '--workers', '1', '-q', '--json');
    expect(ok.code, ok.stderr).toBe(0);
    const rep = JSON.parse(ok.stdout);
    expect(rep.run.engine).toBe('model');
    // the reference engine ignores --model
    const ref = vtrial('run', 'trials/dash-sodium.yaml', '--engine', 'reference', '--model', missing, '--n', '20', '--workers', '1', '-q', '--json');
    expect(ref.code, ref.stderr).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), 'vtrial-val-'));
    writeFileSync(join(dir, 'one.yaml'), readFileSync(join(root, 'validation', 'rct-41', 'gu-2001-potassium-sbp.yaml'), 'utf8'));
    const v = vtrial('validate', dir, '--model', missing, '--json', '--workers', '1');
    expect(v.code).not.toBe(0);
    expect(v.stderr + v.stdout).toContain(missing);
  }, 120_000);

  it('--model takes a checkpoint ensemble folder (ensemble.json) in run, through worker threads, and in doctor', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vtrial-ens-cli-'));
    // two members: the bundled checkpoint and a second path to it (a real ensemble lists different checkpoints)
    symlinkSync(join(root, 'models', 'default'), join(dir, 'second'));
    const ens = join(dir, 'ens');
    mkdirSync(ens);
    writeFileSync(join(ens, 'ensemble.json'), JSON.stringify({ format: 'vtrial-ensemble/1', members: [join(root, 'models', 'default'), '../second'] }));
    const r = vtrial('run', 'trials/dash-sodium.yaml', '--model', ens, '--n', '40', '--workers', '2', '-q', '--json');
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect(rep.run.engine).toBe('model');
    expect(JSON.stringify(rep.run)).toMatch(/ensemble:sha256:[0-9a-f]{64}/);
    const d = vtrial('doctor', '--model', ens, '--json');
    expect(d.code, d.stderr).toBe(0);
    const doc = JSON.parse(d.stdout);
    expect(doc.checkpoint.ok).toBe(true);
    expect(doc.checkpoint.ensemble).toBe(true);
    expect(doc.checkpoint.members).toHaveLength(2);
    // a broken ensemble is a clear error naming the file, exit 2
    writeFileSync(join(ens, 'ensemble.json'), JSON.stringify({ format: 'vtrial-ensemble/1', members: ['../second'] }));
    const bad = vtrial('run', 'trials/dash-sodium.yaml', '--model', ens, '--n', '20', '--workers', '1', '-q');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(join(ens, 'ensemble.json'));
    expect(bad.stderr).toContain('at least two');
  }, 120_000);
});
