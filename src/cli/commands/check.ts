import type { Command } from 'commander';
import { checkTrialFile, formatDiagnostic } from '../../trial-dsl/index.js';

export function register(program: Command): void {
  program
    .command('check')
    .description('Check trial files against the schema and the catalog; print every error with file:line:column')
    .argument('<files...>', 'trial YAML files')
    .option('--json', 'print results as JSON on stdout')
    .option('-q, --quiet', 'print errors only')
    .addHelpText('after', '\nExit status: 0 when every file is valid, 2 when any has an error.\nExample:\n  vtrial check trials/*.yaml')
    .action(async (files: string[], opts: { json?: boolean; quiet?: boolean }) => {
      const results = [];
      for (const f of files) results.push(await checkTrialFile(f));
      if (opts.json) {
        process.stdout.write(JSON.stringify({
          ok: results.every((r) => r.ok),
          files: results.map((r) => ({ file: r.file, ok: r.ok, name: r.spec?.name, diagnostics: r.diagnostics })),
        }, null, 2) + '\n');
      } else {
        for (const r of results) {
          for (const d of r.diagnostics) if (!opts.quiet || d.severity === 'error') process.stderr.write(formatDiagnostic(d) + '\n');
          if (!opts.quiet) {
            const errs = r.diagnostics.filter((d) => d.severity === 'error').length;
            const warns = r.diagnostics.length - errs;
            const line = r.ok
              ? `ok    ${r.file}: ${r.spec!.name} (${r.spec!.arms.length} arms, ${r.spec!.endpoints.length} endpoint${r.spec!.endpoints.length === 1 ? '' : 's'}, ${r.spec!.population.n} twins${warns ? `, ${warns} warning${warns > 1 ? 's' : ''}` : ''})`
              : `FAIL  ${r.file}: ${errs} error${errs === 1 ? '' : 's'}`;
            process.stdout.write(line + '\n');
          }
        }
      }
      process.exitCode = results.every((r) => r.ok) ? 0 : 2;
    });
}
