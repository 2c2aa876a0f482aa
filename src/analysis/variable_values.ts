import type { Trajectories } from '../core/simulator.js';
import { findDerived } from '../population/catalog.js';

/**
 * The values of a stored or derived variable at every visit of every twin,
 * laid out like Trajectories.values: [twin * nVisits + visit]; NaN where missing.
 * Derived variables (non_hdl_c, tc_hdl_ratio, homa_ir, map) are computed from their inputs
 * with the catalog's formula, visit by visit; missing if any input is missing.
 *
 * @throws if the variable is neither in the trajectories nor a derived variable whose inputs are
 */
export function variableValues(traj: Trajectories, variable: string): Float64Array {
  const stored = traj.values[variable];
  if (stored) return stored;
  const derived = findDerived(variable);
  if (!derived) {
    throw new Error(`variable '${variable}' is not in the trajectories (have: ${Object.keys(traj.values).join(', ') || 'none'})`);
  }
  const inputs = derived.inputs.map((id) => {
    const column = traj.values[id];
    if (!column) throw new Error(`derived variable '${variable}' needs '${id}', which is not in the trajectories`);
    return column;
  });
  const size = traj.n * traj.visitDays.length;
  const out = new Float64Array(size);
  const point: Record<string, number> = {};
  for (let k = 0; k < size; k++) {
    let missing = false;
    derived.inputs.forEach((id, j) => {
      const v = inputs[j][k];
      if (!Number.isFinite(v)) missing = true;
      point[id] = v;
    });
    out[k] = missing ? NaN : derived.compute(point);
  }
  return out;
}
