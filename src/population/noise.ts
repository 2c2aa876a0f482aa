/**
 * Measurement noise from the catalog: a measured value = true value + within-person biological
 * and analytical variation (catalog cvi/cva, or noiseSd in the variable's unit).
 * Sources are on each catalog entry (Smith 1993 PMID:8504530 for lipids; EFLM 2020
 * doi:10.1093/clinchem/hvaa178; Rothwell 2010 doi:10.1016/S0140-6736(10)60308-X for BP).
 */
import { type VariableDef, VARIABLES } from './catalog.js';

/** Per-variable noise parameters, indexed like VARIABLES: additive SD, or multiplicative CV (log scale). */
export const NOISE_SD = new Float64Array(VARIABLES.length);
export const NOISE_CV = new Float64Array(VARIABLES.length);
export const PLAUS_LO = new Float64Array(VARIABLES.length);
export const PLAUS_HI = new Float64Array(VARIABLES.length);
VARIABLES.forEach((v, i) => {
  if (v.noiseSd !== undefined) NOISE_SD[i] = v.noiseSd;
  else NOISE_CV[i] = Math.hypot(v.cvi ?? 0, v.cva ?? 0) / 100;
  PLAUS_LO[i] = v.plausible[0];
  PLAUS_HI[i] = v.plausible[1];
});

/** A measured value from a true value and a standard normal z; clipped to the plausible range. */
export function measureIndexed(i: number, truth: number, z: number): number {
  const cv = NOISE_CV[i];
  const v = cv > 0 ? truth * Math.exp(cv * z - 0.5 * cv * cv) : truth + NOISE_SD[i] * z;
  return v < PLAUS_LO[i] ? PLAUS_LO[i] : v > PLAUS_HI[i] ? PLAUS_HI[i] : v;
}

/** Total measurement variance at a value (for turning observed SDs into true-value SDs). */
export function noiseVariance(def: VariableDef, value: number): number {
  if (def.noiseSd !== undefined) return def.noiseSd * def.noiseSd;
  const cv = Math.hypot(def.cvi ?? 0, def.cva ?? 0) / 100;
  return (cv * value) ** 2;
}
