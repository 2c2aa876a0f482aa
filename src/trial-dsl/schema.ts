/**
 * The JSON Schema (draft 2020-12) of a trial file, built from the catalog so that the
 * vocabulary lives in one place. `npm run schema` writes it to schema/trial.schema.json for
 * editors; a test checks the committed file is up to date.
 *
 * The schema checks structure (keys, types, enums, number ranges). Checks that need the catalog
 * or cross-references (known variables, dose ranges, visits inside the duration, endpoint
 * variables measured at the endpoint visit) are semantic and live in check.ts.
 */
import {
  ARM_ROLES, DIET_PATTERNS, EXERCISE_TYPES, FASTING_REGIMENS, FREQUENCIES, INTENSITIES, SUPPLEMENTS, SUPPORT_INTENSITIES,
} from '../population/interventions.js';
import { BP_SETTINGS } from './spec.js';

export const SCHEMA_ID = 'https://vtrial.dev/schema/trial.schema.json';

/** Durations: `8 weeks`, `26w`, `6 months`, `6mo`, `1y`, `10 days`, `0`, `baseline`. */
export const DURATION_PATTERN =
  '^\\s*(baseline|0|[0-9]+(\\.[0-9]+)?\\s*(d|day|days|w|wk|wks|week|weeks|mo|month|months|y|yr|yrs|year|years))\\s*$';
/** Doses with a unit: `40 mg`, `2.4 mg`, `4 g`, `500 mcg`. */
export const DOSE_PATTERN = '^\\s*[0-9]+(\\.[0-9]+)?\\s*(mg|g|mcg|ug)\\s*$';
export const IDENT_PATTERN = '^[A-Za-z][A-Za-z0-9_\\-]*$';

type Json = Record<string, unknown>;

const duration: Json = {
  type: ['string', 'number'],
  pattern: DURATION_PATTERN,
  description: "A duration with a unit: '8 weeks', '26w', '6 months', '1y', '10 days'; 0 or 'baseline' for day 0",
};
const share: Json = { type: 'number', minimum: 0, maximum: 1 };
const nonNegative: Json = { type: 'number', minimum: 0 };
const dropout: Json = { type: 'number', minimum: 0, maximum: 0.95 };

const common: Json = {
  kind: { type: 'string' },
  start: { ...duration, description: 'When the intervention starts (default 0)' },
  stop: { ...duration, description: 'When it stops (default: end of trial)' },
  adherence: { ...share, description: 'Mean share of the intended exposure taken (default 1; drugs 0.9)' },
  adherence_waning: { ...share, description: 'Relative fall in adherence by the end of the trial' },
  label: { type: 'string' },
};

function kindSchema(kind: string, props: Json, required: string[] = []): Json {
  return {
    type: 'object',
    properties: { ...common, kind: { const: kind }, ...props },
    required: ['kind', ...required],
    additionalProperties: false,
  };
}

const interventionDefs: Record<string, Json> = {
  diet: kindSchema('diet', {
    pattern: { enum: [...DIET_PATTERNS] },
    energy_kcal_day: { type: 'number', minimum: -3000, maximum: 3000, description: 'Change in energy intake (negative = deficit)' },
    total_diet_replacement_kcal_day: { type: 'number', minimum: 400, maximum: 2500 },
    carb_pct: { type: 'number', minimum: 0, maximum: 90 },
    fat_pct: { type: 'number', minimum: 0, maximum: 90 },
    protein_pct: { type: 'number', minimum: 0, maximum: 60 },
    sfa_pct: { type: 'number', minimum: 0, maximum: 40 },
    mufa_pct: { type: 'number', minimum: 0, maximum: 50 },
    pufa_pct: { type: 'number', minimum: 0, maximum: 40 },
    sodium_mg_day: { type: 'number', minimum: 200, maximum: 12000 },
    sodium_change_mg_day: { type: 'number', minimum: -8000, maximum: 8000 },
    potassium_mg_day: { type: 'number', minimum: 500, maximum: 10000 },
    salt_substitute_kcl_pct: { type: 'number', minimum: 0, maximum: 100 },
    salt_substitute_nacl_pct: { type: 'number', minimum: 0, maximum: 100 },
    fibre_g_day: { type: 'number', minimum: 0, maximum: 150 },
    beta_glucan_g_day: { type: 'number', minimum: 0, maximum: 20 },
    cholesterol_mg_day: { type: 'number', minimum: 0, maximum: 2000 },
    eggs_per_day: { type: 'number', minimum: 0, maximum: 6 },
    nuts_g_day: { type: 'number', minimum: 0, maximum: 200 },
    olive_oil_g_day: { type: 'number', minimum: 0, maximum: 150 },
    fasting: {
      type: 'object',
      properties: {
        regimen: { enum: [...FASTING_REGIMENS] },
        window_hours: { type: 'number', minimum: 1, maximum: 23 },
      },
      required: ['regimen'],
      additionalProperties: false,
    },
  }),
  drug: kindSchema(
    'drug',
    {
      drug: { type: 'string', description: 'Catalog drug name or brand (vtrial catalog --drugs)' },
      dose: { type: 'string', pattern: DOSE_PATTERN, description: "Dose per administration with its unit, e.g. '40 mg'" },
      frequency: { enum: [...FREQUENCIES] },
    },
    ['drug', 'dose'],
  ),
  exercise: kindSchema(
    'exercise',
    {
      type: { enum: [...EXERCISE_TYPES] },
      minutes_per_week: { type: 'number', minimum: 0, maximum: 2000 },
      sessions_per_week: { type: 'number', minimum: 0, maximum: 21 },
      intensity: { enum: [...INTENSITIES] },
      steps_per_day: { type: 'number', minimum: 0, maximum: 40000 },
    },
    ['type'],
  ),
  supplement: kindSchema(
    'supplement',
    {
      supplement: { enum: SUPPLEMENTS.map((s) => s.name) },
      dose: { type: 'string', pattern: DOSE_PATTERN, description: "Daily dose with its unit, e.g. '3 g'" },
    },
    ['supplement', 'dose'],
  ),
  sleep: kindSchema('sleep', {
    target_hours: { type: 'number', minimum: 4, maximum: 12 },
    extend_hours: { type: 'number', minimum: -4, maximum: 4 },
  }),
  behaviour: kindSchema('behaviour', {
    alcohol_drinks_per_day: nonNegative,
    smoking_cessation: { type: 'boolean' },
    sodium_education: { type: 'boolean' },
  }),
  weight_loss: kindSchema('weight_loss', {
    target_pct: { type: 'number', minimum: 0, maximum: 50 },
    target_kg: { type: 'number', minimum: 0, maximum: 100 },
    support: { enum: [...SUPPORT_INTENSITIES] },
  }),
  placebo: kindSchema('placebo', { mimics: { type: 'string' } }),
};

export const INTERVENTION_KIND_NAMES = Object.keys(interventionDefs);

/** Property names allowed per intervention kind (for did-you-mean suggestions). */
export function interventionKeys(kind: string): string[] {
  const def = interventionDefs[kind];
  return def ? Object.keys(def.properties as Json) : [];
}

const range: Json = {
  type: 'array',
  prefixItems: [{ type: ['number', 'null'] }, { type: ['number', 'null'] }],
  minItems: 2,
  maxItems: 2,
  items: false,
  description: '[min, max], inclusive; null for an open end',
};

/** One eligibility rule's value: a range, true/false for a flag, or a range per sex. */
const ruleValue: Json = {
  ...range,
  type: ['array', 'boolean', 'object'],
  properties: {
    male: { ...range, description: "men's range [min, max]; women are not restricted by it" },
    female: { ...range, description: "women's range [min, max]; men are not restricted by it" },
  },
  additionalProperties: false,
  minProperties: 1,
  description: 'variable: [min, max], flag: true|false, or variable: {male: [min, max], female: [min, max]}',
};

/**
 * Any-of / count-of groups. Their options are maps of rules that may hold groups in turn, so the
 * three live in $defs and refer to each other.
 */
const eligibilityDefs: Record<string, Json> = {
  eligibility_rules: {
    type: 'object',
    properties: { any_of: { $ref: '#/$defs/eligibility_any_of' }, count_of: { $ref: '#/$defs/eligibility_count_of' } },
    additionalProperties: ruleValue,
    minProperties: 1,
    description: 'rules that must all hold, e.g. {sbp: [130, 159]} or {bmi: [27, null], hypertension: true}',
  },
  eligibility_any_of: {
    type: 'array',
    items: { $ref: '#/$defs/eligibility_rules' },
    minItems: 2,
    description: 'eligible when at least one of these holds (each item: rules that must all hold)',
  },
  eligibility_count_of: {
    type: 'object',
    properties: {
      at_least: { type: 'integer', minimum: 1, description: 'how many of the rules must hold' },
      rules: { type: 'array', items: { $ref: '#/$defs/eligibility_rules' }, minItems: 2 },
    },
    required: ['at_least', 'rules'],
    additionalProperties: false,
    description: "eligible when at least 'at_least' of the rules hold, e.g. 3 of 5 criteria",
  },
};

const eligibility: Json = {
  type: 'object',
  properties: { any_of: { $ref: '#/$defs/eligibility_any_of' }, count_of: { $ref: '#/$defs/eligibility_count_of' } },
  additionalProperties: ruleValue,
  description: 'variable: [min, max] or flag: true|false, all of which must hold; any_of and count_of for alternatives',
};

export function buildTrialSchema(): Json {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: SCHEMA_ID,
    title: 'vtrial trial file (v1)',
    description: 'A virtual clinical trial: population, randomisation, schedule, arms, endpoints. See docs/trial-dsl.md.',
    type: 'object',
    properties: {
      vtrial: { const: 1, description: 'Language version' },
      name: { type: 'string', minLength: 1 },
      description: { type: 'string' },
      registry: { type: 'string' },
      citation: { type: 'string' },
      seed: { type: 'integer', minimum: 0, maximum: 9007199254740991 },
      engine: { enum: ['model', 'reference'] },
      model: { type: 'string', minLength: 1 },
      population: {
        type: 'object',
        properties: {
          source: { enum: ['synthetic', 'file'] },
          path: { type: 'string', minLength: 1 },
          n: { type: 'integer', minimum: 2, maximum: 10000000 },
          sex: { enum: ['any', 'M', 'F'] },
          female_share: share,
          eligibility,
          baseline: {
            type: 'object',
            additionalProperties: {
              type: 'object',
              properties: {
                mean: { type: 'number' },
                sd: { type: 'number', exclusiveMinimum: 0 },
                share: { ...share, description: 'For a yes/no flag: the share of twins with the flag (0-1)' },
              },
              additionalProperties: false,
            },
            description: 'variable: {mean: x, sd: y} for a measurement, flag: {share: p} for a yes/no flag',
          },
        },
        required: ['n'],
        additionalProperties: false,
      },
      randomisation: {
        type: 'object',
        properties: {
          ratio: { type: 'object', additionalProperties: { type: 'number', exclusiveMinimum: 0 } },
          strata: { type: 'array', items: { type: 'string' } },
          block_size: { type: 'integer', minimum: 0, maximum: 1000 },
        },
        additionalProperties: false,
      },
      schedule: {
        type: 'object',
        properties: {
          duration,
          visits: {
            type: ['array', 'object'],
            description: "A list of visit times, or {every: '4 weeks'}",
            items: duration,
            minItems: 1,
            properties: { every: duration },
            required: ['every'],
            additionalProperties: false,
          },
          measure: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                variables: { type: 'array', items: { type: 'string' }, minItems: 1 },
                at: { type: ['string', 'array'], pattern: '^all$', items: duration, minItems: 1, description: "'all' or a list of visit times" },
              },
              required: ['variables'],
              additionalProperties: false,
            },
          },
          dropout: { ...dropout, description: 'Share of twins lost by the end of the trial (constant hazard); arms[].dropout overrides it per arm' },
        },
        required: ['duration', 'visits'],
        additionalProperties: false,
      },
      arms: {
        type: 'array',
        minItems: 2,
        items: {
          type: 'object',
          properties: {
            id: { type: 'string', pattern: IDENT_PATTERN },
            label: { type: 'string' },
            role: { enum: [...ARM_ROLES] },
            dropout: { ...dropout, description: "Share of this arm's twins lost by the end of the trial; overrides schedule.dropout" },
            interventions: {
              type: 'array',
              items: {
                type: 'object',
                properties: { kind: { enum: INTERVENTION_KIND_NAMES } },
                required: ['kind'],
                allOf: INTERVENTION_KIND_NAMES.map((k) => ({
                  if: { properties: { kind: { const: k } }, required: ['kind'] },
                  then: { $ref: `#/$defs/${k}` },
                })),
              },
            },
          },
          required: ['id'],
          additionalProperties: false,
        },
      },
      endpoints: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          properties: {
            name: { type: 'string', pattern: IDENT_PATTERN },
            variable: { type: 'string' },
            at: duration,
            from: duration,
            measure: { enum: ['value', 'change', 'percent_change', 'responder', 'event', 'mean_over_visits', 'time_to_event'] },
            threshold: {
              type: 'object',
              properties: {
                on: { enum: ['value', 'change', 'percent_change'] },
                below: { type: 'number' },
                above: { type: 'number' },
              },
              additionalProperties: false,
            },
            analysis: { enum: ['difference', 'ancova', 'risk_difference', 'risk_ratio', 'odds_ratio', 'hazard_ratio'] },
            compare: { type: 'string', pattern: '^\\s*\\S+\\s+vs\\.?\\s+\\S+\\s*$', description: "'treatment vs control' (arm ids)" },
            primary: { type: 'boolean' },
            covariates: { type: 'array', items: { type: 'string' } },
            setting: { enum: [...BP_SETTINGS], description: 'Blood-pressure measurement setting (sbp, dbp, map): clinic (default), home, ambulatory_24h (24-hour mean); home and 24-h changes are smaller than clinic ones' },
          },
          required: ['name', 'variable'],
          additionalProperties: false,
        },
      },
      analysis: {
        type: 'object',
        properties: {
          alpha: { type: 'number', exclusiveMinimum: 0, maximum: 0.5 },
          replicates: { type: 'integer', minimum: 1, maximum: 100000 },
          ci: { enum: ['t', 'bootstrap'] },
          bootstrap_samples: { type: 'integer', minimum: 100, maximum: 1000000 },
        },
        additionalProperties: false,
      },
      published: {
        type: 'object',
        properties: {
          endpoint: { type: 'string' },
          estimate: { type: 'number' },
          ci95: { type: 'array', prefixItems: [{ type: 'number' }, { type: 'number' }], minItems: 2, maxItems: 2, items: false },
          effect_kind: { enum: ['difference_in_change', 'difference_at_end', 'difference_mean_over_followup', 'per_arm_change', 'percent_change'] },
          unit: { type: 'string' },
          citation: { type: 'string' },
          doi: { type: 'string' },
          pmid: { type: ['string', 'integer'] },
          notes: { type: 'string' },
        },
        required: ['endpoint', 'estimate', 'ci95', 'effect_kind', 'citation'],
        additionalProperties: false,
      },
      calibration_overlap: { type: 'boolean' },
    },
    required: ['name', 'population', 'schedule', 'arms', 'endpoints'],
    additionalProperties: false,
    $defs: { ...interventionDefs, ...eligibilityDefs },
  };
}

/** Top-level keys and nested object keys, for did-you-mean suggestions on unknown keys. */
export function knownKeysAt(schema: Json, path: readonly (string | number)[]): string[] {
  const defs = (schema.$defs ?? {}) as Record<string, Json>;
  const deref = (n: Json | undefined): Json | undefined => (typeof n?.$ref === 'string' && n.$ref.startsWith('#/$defs/') ? defs[n.$ref.slice(8)] : n);
  let node: Json | undefined = schema;
  for (const seg of path) {
    node = deref(node);
    if (!node) return [];
    if (typeof seg === 'number') {
      node = (node.items as Json | undefined) ?? undefined;
    } else {
      // a key the schema does not name is checked against additionalProperties (variables' rules)
      const props = node.properties as Record<string, Json> | undefined;
      const extra = node.additionalProperties;
      node = props?.[seg] ?? (extra && typeof extra === 'object' ? (extra as Json) : undefined);
    }
  }
  const props = deref(node)?.properties as Json | undefined;
  return props ? Object.keys(props) : [];
}
