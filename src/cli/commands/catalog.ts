import type { Command } from 'commander';
import { DERIVED, VARIABLES } from '../../population/catalog.js';
import { DRUGS, SUPPLEMENTS } from '../../population/interventions.js';

export function register(program: Command): void {
  program
    .command('catalog')
    .description('List the variables, derived variables, drugs and supplements that trial files may use')
    .option('--drugs', 'list drugs only')
    .option('--json', 'print as JSON')
    .action((opts: { drugs?: boolean; json?: boolean }) => {
      if (opts.json) {
        const vars = VARIABLES.map(({ id, label, unit, domain, kind, plausible, transform, levels }) => ({ id, label, unit, domain, kind, plausible, transform, levels }));
        const derived = DERIVED.map(({ id, label, unit, inputs }) => ({ id, label, unit, inputs }));
        process.stdout.write(JSON.stringify(opts.drugs ? { drugs: DRUGS } : { variables: vars, derived, drugs: DRUGS, supplements: SUPPLEMENTS }, null, 2) + '\n');
        return;
      }
      const out: string[] = [];
      if (!opts.drugs) {
        out.push('Variables (id, unit, domain, plausible range):');
        for (const v of VARIABLES) out.push(`  ${v.id.padEnd(22)} ${(v.unit || '-').padEnd(16)} ${v.domain.padEnd(12)} ${v.kind === 'continuous' ? `${v.plausible[0]}-${v.plausible[1]}` : v.kind}  ${v.label}`);
        out.push('', 'Derived variables:');
        for (const d of DERIVED) out.push(`  ${d.id.padEnd(22)} ${d.unit.padEnd(16)} from ${d.inputs.join(', ')}  ${d.label}`);
        out.push('');
      }
      out.push('Drugs (name, class, labelled dose per administration, frequency):');
      for (const d of DRUGS) out.push(`  ${d.name.padEnd(20)} ${d.class.padEnd(16)} ${d.labelled[0]}-${d.labelled[1]} ${d.unit}`.padEnd(62) + ` ${d.frequency}${d.aliases?.length ? `  (also: ${d.aliases.join(', ')})` : ''}`);
      if (!opts.drugs) {
        out.push('', 'Supplements (name, daily dose range):');
        for (const s of SUPPLEMENTS) out.push(`  ${s.name.padEnd(20)} ${s.range[0]}-${s.range[1]} ${s.unit}`);
      }
      process.stdout.write(out.join('\n') + '\n');
    });
}
