/**
 * Progress for people and pipelines:
 * - 'bar'   a cli-progress bar on a terminal: twins done, rate and ETA;
 * - 'lines' plain periodic lines when stderr is not a terminal (CI logs): at most one every
 *           `intervalMs`, plus phase changes and messages (retries);
 * - 'json'  one JSON object per event (--log-json), for pipelines;
 * - 'none'  (--quiet).
 * Everything goes to the given stream (stderr in the CLI), never stdout, which carries results.
 */
import cliProgress from 'cli-progress';
import type { ProgressEvent } from './run.js';

export type ProgressMode = 'bar' | 'lines' | 'json' | 'none';

export interface ProgressReporter {
  readonly onEvent: (e: ProgressEvent) => void;
  /** Stop the bar (if any) and print a final line. */
  done(message?: string): void;
}

export function chooseProgressMode(opts: { quiet?: boolean; logJson?: boolean; isTTY?: boolean }): ProgressMode {
  if (opts.logJson) return 'json';
  if (opts.quiet) return 'none';
  return opts.isTTY ? 'bar' : 'lines';
}

const fmtDuration = (ms: number): string => {
  if (!Number.isFinite(ms)) return '?';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
};
const fmtRate = (r: number): string => (Number.isFinite(r) ? `${r >= 100 ? Math.round(r) : r.toFixed(1)} twins/s` : '? twins/s');

export function createProgress(mode: ProgressMode, stream: NodeJS.WritableStream = process.stderr, intervalMs = 5000, label = ''): ProgressReporter {
  const prefix = label ? `${label}: ` : '';
  if (mode === 'none') return { onEvent: () => {}, done: () => {} };
  if (mode === 'json') {
    return {
      onEvent: (e) => stream.write(JSON.stringify({ type: 'progress', ...(label ? { label } : {}), ...e, rate: Number.isFinite(e.rate) ? e.rate : null, etaMs: Number.isFinite(e.etaMs) ? e.etaMs : null }) + '\n'),
      done: (message) => stream.write(JSON.stringify({ type: 'done', ...(label ? { label } : {}), message: message ?? null }) + '\n'),
    };
  }
  if (mode === 'lines') {
    let last = -Infinity;
    let lastPhase = '';
    return {
      onEvent: (e) => {
        const now = performance.now();
        const phaseChanged = e.phase !== lastPhase;
        const finished = e.phase === 'rollout' && e.shardsDone === e.shardsTotal;
        if (!phaseChanged && !e.message && !finished && now - last < intervalMs) return;
        last = now;
        lastPhase = e.phase;
        if (e.phase === 'rollout') {
          const pct = e.twinsTotal ? Math.floor((100 * e.twinsDone) / e.twinsTotal) : 100;
          stream.write(`${prefix}rollout ${e.twinsDone}/${e.twinsTotal} twins (${pct}%), shards ${e.shardsDone}/${e.shardsTotal}, ${fmtRate(e.rate)}, ETA ${fmtDuration(e.etaMs)}${e.message ? ` - ${e.message}` : ''}\n`);
        } else {
          stream.write(`${prefix}${e.phase}${e.message ? `: ${e.message}` : ''}\n`);
        }
      },
      done: (message) => {
        if (message) stream.write(prefix + message + '\n');
      },
    };
  }
  // bar
  let bar: cliProgress.SingleBar | null = null;
  return {
    onEvent: (e) => {
      if (e.phase !== 'rollout') return;
      if (!bar) {
        bar = new cliProgress.SingleBar(
          {
            format: `${prefix}rollout [{bar}] {percentage}% | {value}/{total} twins | {rateText} | ETA {etaText}{note}`,
            stream: stream as NodeJS.WriteStream,
            hideCursor: true,
            clearOnComplete: false,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(e.twinsTotal, e.twinsDone, { rateText: fmtRate(e.rate), etaText: fmtDuration(e.etaMs), note: '' });
      }
      bar.update(e.twinsDone, { rateText: fmtRate(e.rate), etaText: fmtDuration(e.etaMs), note: e.message ? ` | ${e.message}` : '' });
    },
    done: (message) => {
      bar?.stop();
      bar = null;
      if (message) stream.write(prefix + message + '\n');
    },
  };
}
