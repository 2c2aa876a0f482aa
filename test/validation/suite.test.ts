/**
 * The rct-41 trial files: each checks cleanly and its published block is internally consistent.
 * Independent of the transcription beside the repository (that is compared by hand, see the
 * folder's README); only the files themselves are read.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { findDerived, findVariable } from '../../src/population/catalog.js';
import { checkTrialFile } from '../../src/trial-dsl/index.js';

const DIR = join(import.meta.dirname, '../../validation/rct-41');
const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml') && f !== 'thresholds.yaml').sort();

// Files that name something the language does not have yet; each is listed under "Language gaps"
// in validation/rct-41/README.md with the exact field it needs. This list must shrink, never grow
// silently: the test below fails as soon as such a file starts to check, so it is removed here.
const KNOWN_GAP_FILES: Record<string, RegExp> = {};

const EFFECT_KINDS = ['difference_in_change', 'difference_at_end', 'difference_mean_over_followup', 'per_arm_change', 'percent_change'];

describe('validation/rct-41 trial files', () => {
  it('holds 41 comparisons and a thresholds file', () => {
    expect(files).toHaveLength(41);
    expect(readdirSync(DIR)).toContain('thresholds.yaml');
  });

  for (const f of files) {
    describe(f, () => {
      const doc = parse(readFileSync(join(DIR, f), 'utf8'));

      it(KNOWN_GAP_FILES[f] ? 'fails the checker only for its recorded language gap' : 'passes the checker', async () => {
        const r = await checkTrialFile(join(DIR, f));
        const errors = r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message);
        if (KNOWN_GAP_FILES[f]) {
          expect(r.ok).toBe(false);
          for (const m of errors) expect(m).toMatch(KNOWN_GAP_FILES[f]);
        } else {
          expect(errors).toEqual([]);
          expect(r.ok).toBe(true);
          expect(r.spec!.published).toBeDefined();
          expect(typeof r.spec!.calibrationOverlap).toBe('boolean');
        }
      });

      it('has a consistent published block', () => {
        const p = doc.published;
        expect(p).toBeDefined();
        expect(p.ci95).toHaveLength(2);
        expect(p.ci95[0]).toBeLessThan(p.estimate);
        expect(p.estimate).toBeLessThan(p.ci95[1]);
        expect(EFFECT_KINDS).toContain(p.effect_kind);
        expect(typeof p.citation).toBe('string');
        expect(p.doi !== undefined || p.pmid !== undefined).toBe(true);
        if (p.pmid !== undefined) expect(String(p.pmid)).toMatch(/^\d{6,9}$/);
        if (p.doi !== undefined) expect(p.doi).toMatch(/^10\.\d{4,9}\//);
        expect(typeof doc.calibration_overlap).toBe('boolean');
        // the file is named after its comparison
        expect(doc.engine).toBeUndefined();
      });

      it('estimates its endpoint in the unit the published block is in', () => {
        const p = doc.published;
        const ep = doc.endpoints.find((e: { name: string }) => e.name === p.endpoint);
        expect(ep, `published.endpoint '${p.endpoint}' is not an endpoint of the file`).toBeDefined();
        const measure = ep.measure ?? 'change';
        if (/%/.test(p.unit) && /change/.test(p.unit)) {
          expect(measure).toBe('percent_change');
        } else {
          expect(measure).not.toBe('percent_change');
          const unit = findVariable(ep.variable)?.unit ?? findDerived(ep.variable)?.unit;
          if (unit !== undefined) {
            // catalog units: lipids and glucose in mg/dL, so no published block may stay in mmol/L
            expect(p.unit).not.toMatch(/mmol/);
            if (unit === 'mg/dL' || unit === 'mmHg' || unit === 'kg' || unit === 'kcal/day' || unit === 'mg/L') expect(p.unit).toBe(unit);
          }
        }
        if (p.effect_kind === 'difference_mean_over_followup') expect(measure).toBe('mean_over_visits');
        if (p.effect_kind === 'difference_at_end' && measure === 'value') expect(ep.analysis).toBe('ancova');
      });
    });
  }
});
