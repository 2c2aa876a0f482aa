/**
 * The model card `vtrial train` writes into a checkpoint: the rollout settings and the lineage of
 * a fine-tuned checkpoint appear only when the manifest has them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeModelCard } from '../../src/model/card.js';
import type { Lineage, Manifest } from '../../src/model/checkpoint.js';

const base = JSON.parse(readFileSync(join(__dirname, '..', '..', 'models', 'default', 'manifest.json'), 'utf8')) as Manifest;
const plain: Manifest = { ...base, rolloutFeed: undefined, rolloutStepDays: undefined, startedFrom: undefined };

describe('writeModelCard', () => {
  it('a checkpoint from scratch with the default rollout has neither a lineage nor a rollout section', () => {
    const card = writeModelCard(plain);
    expect(card).toContain('## Training');
    expect(card).not.toContain('Started from');
    expect(card).not.toContain('## Rollouts');
  });

  it('names the rollout settings when the manifest sets them', () => {
    const card = writeModelCard({ ...plain, rolloutFeed: 'all', rolloutStepDays: 31 });
    expect(card).toMatch(/## Rollouts\nBetween visits more than 31 days apart/);
    expect(card).toContain('Every sampled variable is fed back');
    expect(writeModelCard({ ...plain, rolloutStepDays: 61 })).toContain('Only the variables a visit measures are fed back');
  });

  it('lists the checkpoints a fine-tuned one descends from, latest first', () => {
    const first: Lineage = { hash: 'sha256:aaa', created: '2026-01-01T00:00:00.000Z', cohortFile: 'one.csv', cohortSha256: '11', steps: 100, tokenizerVersion: 6 };
    const second: Lineage = { hash: 'sha256:bbb', created: '2026-01-02T00:00:00.000Z', cohortFile: 'two.csv', cohortSha256: '22', steps: 50, tokenizerVersion: 7, startedFrom: first };
    const card = writeModelCard({ ...plain, startedFrom: second });
    expect(card).toContain('Started from another checkpoint');
    const rows = card.split('\n').filter((l) => l.startsWith('| `sha256:'));
    expect(rows).toEqual([
      '| `sha256:bbb` | 2026-01-02T00:00:00.000Z | `two.csv` (sha256 22) | 50 | 7 |',
      '| `sha256:aaa` | 2026-01-01T00:00:00.000Z | `one.csv` (sha256 11) | 100 | 6 |',
    ]);
  });
});
