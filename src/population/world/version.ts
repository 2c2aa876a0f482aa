/**
 * Version of the reference world's behaviour: the synthetic population (baseline generator,
 * eligibility sampling, measurement noise) and the simulator (src/population/world). A report
 * from the reference engine names it in the simulator fingerprint
 * (`reference@<package version>+world.<N>`), so merging parts or resuming a run folder written by
 * another world fails with an error naming both, and every report lists it under
 * `run.versions.world`.
 *
 * Bump it in the same commit as any change that moves a simulated value (a parameter, a pathway,
 * a random draw, the population), and say what changed in docs/reference-world.md ("World
 * versions"). test/population/world-version.test.ts pins a digest of a fixed set of simulated
 * trajectories for each version and fails when the output moves under an unchanged number.
 * Checkpoints trained on cohorts written by one world do not follow a later one until retrained
 * (docs/model-card.md says which world the bundled model learned).
 */
export const WORLD_VERSION = 1;
