#!/usr/bin/env node
// Writes schema/trial.schema.json from the catalog-driven schema in src/trial-dsl/schema.ts.
// Run after changing the trial language: `npm run schema`. A test fails when the file is stale.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildTrialSchema } from '../dist/trial-dsl/schema.js';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
writeFileSync(join(root, 'schema', 'trial.schema.json'), JSON.stringify(buildTrialSchema(), null, 2) + '\n');
console.log('wrote schema/trial.schema.json');
