/**
 * Code under src/ must never read the validation suite or the shared transcription: the harness
 * takes the folder as an argument, and nothing may be calibrated on the benchmark by reading it.
 * This scans every source file for the suite's names and the shared folder's path.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const SRC = join(ROOT, 'src');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : /\.(ts|js|mjs|cjs|json)$/.test(n) ? [p] : [];
  });
}

/** Patterns that would mean a source file names the benchmark data. */
const FORBIDDEN: { what: string; re: RegExp }[] = [
  { what: "the suite's folder name 'rct-41'", re: /rct-41/ },
  { what: "the shared folder '/shared/'", re: /\/shared\// },
  { what: "a path into 'validation/'", re: /['"`](?:\.{1,2}\/)*validation\//i },
  { what: 'the transcription file comparisons.yaml', re: /comparisons\.ya?ml/ },
];

function offences(files: string[]): string[] {
  const out: string[] = [];
  for (const f of files) {
    const lines = readFileSync(f, 'utf8').split('\n');
    lines.forEach((line, i) => {
      for (const { what, re } of FORBIDDEN) if (re.test(line)) out.push(`${relative(ROOT, f)}:${i + 1}: names ${what}: ${line.trim()}`);
    });
  }
  return out;
}

describe('src/ does not read the validation suite', () => {
  it('finds source files to scan', () => {
    expect(walk(SRC).length).toBeGreaterThan(20);
  });

  it('no file under src/ names the suite, validation/ paths or the shared folder', () => {
    // the validate harness and command are not exempt: they take the folder as an argument
    expect(offences(walk(SRC))).toEqual([]);
  });

  it('the scan catches a file that would read the suite', () => {
    const probe = ["import { readFile } from 'node:fs/promises';", "await readFile('../shared/rct-41/comparisons.yaml');", "readdirSync('validation/rct-41');"].join('\n');
    const lines = probe.split('\n');
    const hits = lines.filter((l) => FORBIDDEN.some(({ re }) => re.test(l)));
    expect(hits).toHaveLength(2);
  });
});
