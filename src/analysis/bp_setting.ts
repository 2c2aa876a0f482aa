/**
 * Blood-pressure measurement setting of an endpoint. The simulators produce clinic (office)
 * blood pressure; trials that measured at home or by 24-hour ambulatory monitoring see smaller
 * treatment-induced changes. An endpoint with `setting: home | ambulatory_24h` takes each
 * twin's change from its own baseline and scales it by the ratio below:
 *
 *   value(t) = baseline + ratio x (clinic value(t) - baseline)
 *
 * Ratios: in a meta-analysis of 30 antihypertensive drug studies (6,794 participants) clinic BP
 * fell -15.2/-10.3 mmHg and home BP -12.2/-8.0 mmHg (home/clinic 0.80 systolic, 0.78
 * diastolic); in the 7 of them that also used 24-h monitoring, home SBP fell -12.6 and 24-h SBP
 * -11.9 (24-h/home 0.944) (Ishikawa J, Carroll DJ, Kuruvilla S, Schwartz JE, Pickering TG.
 * Hypertension 2008;52:856-64 doi:10.1161/HYPERTENSIONAHA.108.115600, abstract). 24-h/clinic is
 * their product: 0.755 systolic; diastolic 0.78 x 0.944 = 0.736 (the 24-h/home ratio for DBP was
 * not reported: the systolic one is used, a modelling choice). Consistent in direction with an
 * office-minus-24-h difference in drug-induced change of -6.5 / -3.3 mmHg over 52 trials (Soranna
 * D et al. J Hypertens 2019;37:467-75 doi:10.1097/HJH.0000000000001914, abstract). The ratios
 * come from drug trials and are applied to every BP change, lifestyle and weight-mediated ones too
 * (modelling choice), and to the whole change (regression to the mean and the clinic
 * participation effect shrink with it, which is their direction out of the clinic).
 */
import type { BpSetting } from '../trial-dsl/spec.js';

/** Ratio of a treatment-induced change in this setting to the same change measured in clinic. */
export const BP_SETTING_RATIO: Readonly<Record<BpSetting, { readonly sbp: number; readonly dbp: number }>> = {
  clinic: { sbp: 1, dbp: 1 },
  home: { sbp: 12.2 / 15.2, dbp: 8.0 / 10.3 },
  ambulatory_24h: { sbp: (12.2 / 15.2) * (11.9 / 12.6), dbp: (8.0 / 10.3) * (11.9 / 12.6) },
};

/** The setting's ratio for one endpoint variable; mean arterial pressure weights DBP twice. */
export function settingRatio(setting: BpSetting, variable: string): number {
  const r = BP_SETTING_RATIO[setting];
  if (variable === 'sbp') return r.sbp;
  if (variable === 'dbp') return r.dbp;
  if (variable === 'map') return (r.sbp + 2 * r.dbp) / 3;
  throw new Error(`measurement setting '${setting}' applies to blood pressure (sbp, dbp, map), not '${variable}'`);
}

/**
 * Values as measured in `setting`: every visit's change from the twin's own baseline visit is
 * scaled by the setting's ratio. `values` is twin-major (twin t, visit v at t * nVisits + v);
 * a new array is returned.
 */
export function applyBpSetting(values: Float64Array, nVisits: number, baselineVisit: number, setting: BpSetting, variable: string): Float64Array {
  const r = settingRatio(setting, variable);
  const out = new Float64Array(values.length);
  const n = values.length / nVisits;
  for (let t = 0; t < n; t++) {
    const b = values[t * nVisits + baselineVisit];
    for (let v = 0; v < nVisits; v++) {
      const x = values[t * nVisits + v];
      out[t * nVisits + v] = v === baselineVisit ? x : b + r * (x - b);
    }
  }
  return out;
}
