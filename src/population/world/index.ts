/** The reference physiology world: see simulator.ts. */
export { createReferenceSimulator, simulateReference, armProfile, scheduledVariables } from './simulator.js';
export { interventionEffect, CH, NCH, type TwinContext } from './effects.js';
export { WORLD_VERSION } from './version.js';
