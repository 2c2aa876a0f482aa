import type { Command } from 'commander';
import { join } from 'node:path';
import { PACKAGE_ROOT, ENGINE_VERSION } from '../../core/version.js';
import { WORLD_VERSION } from '../../population/world/version.js';
import { initBackend, matmulGflops } from '../../model/backend.js';
import { loadRolloutModel, TwinEnsemble } from '../../model/ensemble.js';
import type { TwinModel } from '../../model/twin-model.js';

export function register(program: Command): void {
  program
    .command('doctor')
    .description('Report the compute backend in use and why, versions, a matmul speed check, and the default model checkpoint')
    .option('--backend <name>', 'force a backend: tensorflow-gpu, tensorflow, wasm or cpu')
    .option('--model <dir>', 'checkpoint folder to check (default: the bundled models/default)')
    .option('--json', 'print as JSON')
    .action(async (opts: { backend?: string; model?: string; json?: boolean }) => {
      const info = await initBackend({ prefer: (opts.backend ?? undefined) as never });
      const gflops = await matmulGflops(512, 5);
      const dir = opts.model ?? join(PACKAGE_ROOT, 'models', 'default');
      let checkpoint: Record<string, unknown>;
      try {
        const describe = (x: TwinModel) => {
          const m = x.manifest;
          return { dir: x.dir, hash: x.hash, params: m.paramCount, layers: m.config.nLayers, width: m.config.dModel, variables: m.tokenizer.measured.length, exposures: m.tokenizer.exposures.length, valLoss: m.metrics.valLoss, trained: m.created };
        };
        const model = await loadRolloutModel(dir); // an ensemble's loader checks its members share one tokeniser
        if (model instanceof TwinEnsemble) {
          const members = model.members.map(describe);
          checkpoint = { ok: true, dir, hash: model.hash, ensemble: true, members, variables: members[0]!.variables, exposures: members[0]!.exposures };
        } else {
          checkpoint = { ok: true, ...describe(model as TwinModel) };
        }
        model.dispose();
      } catch (e) {
        checkpoint = { ok: false, dir, problem: e instanceof Error ? e.message : String(e) };
      }
      const report = { vtrial: ENGINE_VERSION, world: WORLD_VERSION, node: info.nodeVersion, tfjs: info.tfjsVersion, backend: info.backend, source: info.source, reason: info.reason, simd: info.simd, skipped: info.skipped, matmul512Gflops: Number(gflops.toFixed(2)), checkpoint };
      if (opts.json) { process.stdout.write(JSON.stringify(report, null, 2) + '\n'); return; }
      const out = [
        `vtrial ${ENGINE_VERSION} (reference world ${WORLD_VERSION}), node ${info.nodeVersion}, tfjs ${info.tfjsVersion}`,
        `backend: ${info.backend} from ${info.source}`,
        `  why: ${info.reason}`,
        ...info.skipped.map((s) => `  skipped ${s.name}: ${s.why}`),
        `matmul 512x512: ${gflops.toFixed(1)} GFLOP/s`,
        checkpoint.ok && checkpoint.ensemble
          ? [`checkpoint ensemble: ${dir}`, `  ${checkpoint.hash}`, `  ${(checkpoint.members as Record<string, unknown>[]).length} members (each twin rolled out by one), ${checkpoint.variables} variables, ${checkpoint.exposures} exposure codes:`,
            ...(checkpoint.members as Record<string, unknown>[]).map((c) => `  - ${String(c.dir)}: ${String(c.hash).slice(0, 19)}..., ${c.params} parameters, ${c.layers} layers x width ${c.width}, validation loss ${Number(c.valLoss).toFixed(4)}`)].join('\n')
          : checkpoint.ok
          ? `checkpoint: ${dir}\n  ${checkpoint.hash}\n  ${checkpoint.params} parameters, ${checkpoint.layers} layers x width ${checkpoint.width}, ${checkpoint.variables} variables, ${checkpoint.exposures} exposure codes, validation loss ${Number(checkpoint.valLoss).toFixed(4)}`
          : `checkpoint: MISSING OR INVALID at ${dir}\n  ${String(checkpoint.problem).split('\n')[0]}\n  the model engine cannot run until one is there (train with \`vtrial train\`), the reference engine still works`,
      ];
      process.stdout.write(out.join('\n') + '\n');
    });
}
