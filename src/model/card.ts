/**
 * The model card written into every checkpoint folder by `vtrial train`: what the model is,
 * what it was trained on, how it was trained and the losses it reached. The bundled default
 * model's card (docs/model-card.md) adds the measured quality figures.
 */
import type { Lineage, Manifest } from './checkpoint.js';

function f(x: number, d = 4): string {
  return Number.isFinite(x) ? x.toFixed(d) : String(x);
}

/** The checkpoints a fine-tuned one descends from, latest first, as Markdown (empty from scratch). */
function lineage(m: Manifest): string {
  const rows: string[] = [];
  for (let l: Lineage | undefined = m.startedFrom; l; l = l.startedFrom) {
    rows.push(`| \`${l.hash}\` | ${l.created} | \`${l.cohortFile}\` (sha256 ${l.cohortSha256 || 'n/a'}) | ${l.steps} | ${l.tokenizerVersion} |`);
  }
  if (rows.length === 0) return '';
  return `
Started from another checkpoint (\`vtrial train --init\`): the figures above are this run's only.
The checkpoints it descends from, latest first (each trained on the cohort named, for the steps given):

| checkpoint | created | cohort | steps | tokeniser version |
|---|---|---|---|---|
${rows.join('\n')}
`;
}

export function writeModelCard(m: Manifest): string {
  const c = m.config;
  const t = m.tokenizer;
  const hist = m.metrics.history.map((h) => `| ${h.epoch} | ${h.step} | ${f(h.trainLoss)} | ${f(h.valLoss)} | ${Math.round(h.seconds)} |`).join('\n');
  return `# Model card: vtrial twin model

Created ${m.created} by vtrial ${m.engineVersion} on the \`${m.backend}\` backend.

## What it is
A decoder-only, causal, pre-norm transformer over visit tokens (${c.nLayers} layers, width ${c.dModel},
${c.nHeads} heads, ${m.paramCount.toLocaleString('en')} parameters, context ${c.blockSize} visits). Each token is one visit:
the values of ${t.measured.length} measured variables on their normalised scale with a missing-mask,
${t.statics.length} static covariates, the time since baseline, and the query for the next visit (its
time and the ${t.exposures.length} exposure codes in force then). It outputs, for every variable at the
next visit, a ${c.nMix}-component Gaussian mixture on the normalised scale${c.residual ? `, whose means are the
variable's value in the current token plus the network's output (a residual head: the network predicts
the change from each measured value; for a variable this visit did not measure, the level)${c.residualVars ? `
for ${c.residualVars.map((i) => t.measured[i]!.id).join(', ')}; the other variables' means are levels` : ''}` : ''}.

## Training data
File \`${m.data.cohortFile}\` (sha256 ${m.data.cohortSha256 || 'n/a'}): ${m.data.subjects} participants,
${m.data.events} events; ${m.data.trainSubjects} participants (${m.data.trainTokens} tokens) for training and
${m.data.valSubjects} (${m.data.valTokens} tokens) held out for validation, split by participant.

What the model knows is what this cohort shows: it cannot predict the effect of an exposure it
never saw, and it reproduces the cohort's biases.

## Training
AdamW (peak lr ${m.train.lr}, weight decay ${m.train.weightDecay}), warm-up ${m.train.warmupSteps} steps then cosine
decay, global-norm clipping at ${m.train.clipNorm}, batch ${m.train.batchSize} sequences. ${m.metrics.epochs} epochs,
${m.metrics.steps} steps, ${m.metrics.wallSeconds} s wall time, ${m.metrics.tokensPerSecond} tokens/s. Stopped: ${m.metrics.stoppedBecause}.

Final losses (mean negative log-likelihood per observed value, normalised scale):
training ${f(m.metrics.trainLoss)}, validation ${f(m.metrics.valLoss)} (best ${f(m.metrics.bestValLoss)}).

| epoch | step | train loss | validation loss | seconds |
|---|---|---|---|---|
${hist}
${lineage(m)}
${m.rolloutStepDays || m.rolloutFeed === 'all' ? `## Rollouts
${m.rolloutStepDays ? `Between visits more than ${m.rolloutStepDays} days apart a rollout inserts latent visits (sampled, fed to the history, not reported), so it steps at most ${m.rolloutStepDays} days at a time. ` : ''}${m.rolloutFeed === 'all' ? 'Every sampled variable is fed back to the history at each step, as a full panel (rolloutFeed "all").' : 'Only the variables a visit measures are fed back to the history.'}

` : ''}## Variables
Measured: ${t.measured.map((v) => v.id).join(', ')}.

Static: ${t.statics.map((v) => v.id).join(', ')}.

Exposures: ${t.exposures.map((e) => e.code).join(', ') || '(none)'}.
`;
}
