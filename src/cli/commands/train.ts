import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { initBackend } from '../../model/backend.js';
import { trainModel, readTrainConfig, readExtraCatalog, recalibrate, type ProgressEvent, type TrainSettings } from '../../model/train.js';

function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m >= 60 ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m` : `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
}

function num(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (!Number.isFinite(x) || x <= 0) throw new UsageError(`--${name} must be a positive number. Received: ${v}`);
  return x;
}

export function register(program: Command): void {
  program
    .command('train')
    .description('Train a twin model on a long-format cohort (subject_id,time,code,numeric_value; CSV or Parquet) and write a checkpoint folder')
    .requiredOption('--cohort <file>', 'cohort file: one row per event, time in days since entry')
    .requiredOption('--out <dir>', 'checkpoint folder to write (weights.bin, manifest.json, model-card.md)')
    .option('--config <file|json>', 'training settings (dModel, nLayers, nHeads, lr, batchSize, residual, ...): a JSON file, or the JSON object inline')
    .option('--catalog <file>', 'JSON array of extra variables the cohort uses that the built-in catalog lacks')
    .option('--resume', 'continue training from the checkpoint in --out')
    .option('--init <dir>', 'start from another checkpoint (fine-tuning): its weights, tokeniser, architecture and rollout settings, a fresh optimiser; the new checkpoint records where it started (manifest startedFrom, its model card)')
    .option('--epochs <n>', 'maximum epochs')
    .option('--max-minutes <n>', 'wall-time budget in minutes (best weights are kept)')
    .option('--backend <name>', 'force a backend: tensorflow-gpu, tensorflow, wasm or cpu (default: best available)')
    .option('--recalibrate', 'do not train: refit the sampling calibration (within-visit copula, rollout spread) of the checkpoint in --out on the validation participants of --cohort')
    .action(async (opts: { cohort: string; out: string; config?: string; catalog?: string; resume?: boolean; init?: string; epochs?: string; maxMinutes?: string; backend?: string; recalibrate?: boolean }) => {
      const info = await initBackend({ prefer: (opts.backend ?? undefined) as never });
      if (opts.recalibrate) {
        if (opts.resume || opts.init || opts.config || opts.epochs || opts.maxMinutes) throw new UsageError('--recalibrate refits an existing checkpoint; it takes only --cohort, --out and --backend');
        process.stderr.write(`vtrial train --recalibrate: backend ${info.backend}; fitting on the validation participants of ${opts.cohort}\n`);
        const r = await recalibrate(opts.out, opts.cohort);
        const f = r.rolloutScale.fitted;
        const pct = (c: readonly number[]) => c.map((x) => (100 * x).toFixed(1)).join('/');
        process.stderr.write(`rollout coverage 50/90/95 on ${f.participants} validation participants x ${f.samples} samples (${f.values} values): before ${pct(f.coverBefore)}%, after ${pct(f.coverAfter)}%\n`);
        process.stdout.write(`${opts.out}\n`);
        return;
      }
      const settings: Partial<TrainSettings> = { ...(opts.config ? await readTrainConfig(opts.config) : {}) };
      const epochs = num('epochs', opts.epochs);
      const maxMinutes = num('max-minutes', opts.maxMinutes);
      if (epochs !== undefined) (settings as Record<string, number>).epochs = Math.round(epochs);
      if (maxMinutes !== undefined) (settings as Record<string, number>).maxMinutes = maxMinutes;
      const extra = opts.catalog ? await readExtraCatalog(opts.catalog) : [];
      const tty = process.stderr.isTTY === true;
      process.stderr.write(`vtrial train: backend ${info.backend} (${info.reason})\n`);
      let bar: { start(total: number, v: number, p?: object): void; update(v: number, p?: object): void; setTotal(t: number): void; stop(): void } | undefined;
      let lastLine = 0;
      const onProgress = async (e: ProgressEvent) => {
        if (e.phase === 'start') {
          process.stderr.write(`vtrial train: ${e.message}\n`);
          if (tty) {
            const cp = await import('cli-progress');
            const b = new cp.SingleBar({ format: 'train [{bar}] {percentage}% | step {value}/{total} | loss {loss} | val {val} | {tps} tok/s | ETA {eta_formatted}', hideCursor: true, etaBuffer: 50 }, cp.Presets.shades_classic);
            b.start(e.totalSteps, e.step, { loss: '-', val: '-', tps: '-' });
            bar = b;
          }
          return;
        }
        if (e.phase === 'step') {
          if (bar) { bar.setTotal(e.totalSteps); bar.update(e.step, { loss: e.loss.toFixed(3), tps: Math.round(e.tokensPerSecond) }); }
          else if (e.elapsedSeconds - lastLine >= 30) {
            lastLine = e.elapsedSeconds;
            process.stderr.write(`step ${e.step}/${e.totalSteps} epoch ${e.epoch + 1} loss ${e.loss.toFixed(4)} lr ${e.lr.toExponential(2)} ${Math.round(e.tokensPerSecond)} tok/s elapsed ${fmtTime(e.elapsedSeconds)} ETA ${fmtTime(e.etaSeconds)}\n`);
          }
          return;
        }
        if (e.phase === 'epoch') {
          if (bar) bar.update(e.step, { val: e.valLoss?.toFixed(3) });
          else process.stderr.write(`epoch ${e.epoch} done: train ${e.loss.toFixed(4)} validation ${e.valLoss?.toFixed(4)} elapsed ${fmtTime(e.elapsedSeconds)}\n`);
          return;
        }
        if (e.phase === 'snapshot') {
          if (bar) bar.update(e.step, { val: e.valLoss?.toFixed(3) });
          process.stderr.write(`${tty ? '\n' : ''}vtrial train: ${e.message}\n`);
          return;
        }
        if (e.phase === 'calibrate') {
          bar?.stop();
          bar = undefined;
          process.stderr.write(`vtrial train: ${e.message}\n`);
          return;
        }
        bar?.stop();
        process.stderr.write(`vtrial train: done (${e.message}); validation loss ${e.valLoss?.toFixed(4)}, ${fmtTime(e.elapsedSeconds)}\n`);
      };
      const pending: Promise<void>[] = [];
      const r = await trainModel({ cohort: opts.cohort, outDir: opts.out, settings, resume: opts.resume, init: opts.init, extraVariables: extra, backend: info.backend, onProgress: (e) => { pending.push(onProgress(e)); } });
      await Promise.all(pending);
      r.params.forEach((v) => v.dispose());
      process.stdout.write(`${opts.out}\n`);
    });
}
