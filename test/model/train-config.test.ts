/**
 * `vtrial train --config`: a JSON file or the JSON object inline, checked before any cohort is read.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTrainConfig } from '../../src/model/train.js';

describe('readTrainConfig', () => {
  it('reads the same settings from a file and inline', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'vtrial-cfg-')), 'config.json');
    writeFileSync(file, '{"lr": 0.001, "seed": 4, "tokenizerVersion": 8}');
    const fromFile = await readTrainConfig(file);
    expect(fromFile).toEqual({ lr: 0.001, seed: 4, tokenizerVersion: 8 });
    expect(await readTrainConfig(' {"lr": 0.001, "seed": 4, "tokenizerVersion": 8}')).toEqual(fromFile);
  });

  it('names the source of a bad config and what was expected', async () => {
    await expect(readTrainConfig('{"lr": 0.001,')).rejects.toThrow(/^--config: cannot read training config/);
    await expect(readTrainConfig('/nonexistent/config.json')).rejects.toThrow(/\/nonexistent\/config.json: cannot read training config/);
    await expect(readTrainConfig('{"lr": -1}')).rejects.toThrow(/--config/);
    await expect(readTrainConfig('{"lr": -1}')).rejects.toThrow(/lr/);
  });
});
