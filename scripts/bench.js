#!/usr/bin/env node
// Benchmarks: `npm run bench [-- NAME...] [-- --json]`.
// Runs every bench/*.bench.js (or the named ones); each exports `name`, `description` and
// `async run(log)` returning an object of measured figures. Figures are printed as they come;
// with --json the last line of stdout is one JSON object {bench: {figure: value}} for machines.
// Benchmarks report ratios and rates, never pass/fail: these machines are shared and noisy.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { availableParallelism, cpus } from 'node:os';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const args = process.argv.slice(2);
const json = args.includes('--json');
const only = args.filter((a) => !a.startsWith('--'));
const files = readdirSync(join(root, 'bench')).filter((f) => f.endsWith('.bench.js')).sort();
const log = (line) => (json ? process.stderr : process.stdout).write(line + '\n');
const results = { machine: { cores: availableParallelism(), cpu: cpus()[0]?.model ?? 'unknown', node: process.version } };
let failed = false;
for (const f of files) {
  const mod = await import(pathToFileURL(join(root, 'bench', f)).href);
  if (only.length && !only.includes(mod.name)) continue;
  log(`# ${mod.name}: ${mod.description}`);
  try {
    results[mod.name] = await mod.run(log);
    for (const [k, v] of Object.entries(results[mod.name])) log(`  ${k}: ${typeof v === 'number' ? +v.toPrecision(4) : JSON.stringify(v)}`);
  } catch (e) {
    failed = true;
    log(`  failed: ${e instanceof Error ? e.stack : e}`);
  }
}
if (json) process.stdout.write(JSON.stringify(results) + '\n');
process.exitCode = failed ? 1 : 0;
