/** The twin model: tokeniser, transformer, training, checkpoints, rollouts and the `model` engine. */
export { initBackend, backendInfo, matmulGflops, wasmSimdSupported, type BackendInfo, type BackendName } from './backend.js';
export { readCohort, parseCohortCsv, cohortFromRows, type Cohort, type CohortSubject, type CohortEvent } from './cohort.js';
export {
  fitTokenizer, subjectHistory, encodeHistories, paddedWindows, featureLayout, writeToken, normalise, denormalise,
  type TokenizerSpec, type History, type ExposureTimeline, type ExtraVariable, type EncodedSet,
} from './tokenizer.js';
export { initParams, forward, forwardStep, KVCache, mixtureNll, mixtureParams, paramCount, validateConfig, DEFAULT_ARCH, type ModelConfig, type Params } from './transformer.js';
export { loadCheckpoint, checkpointHash, type Manifest, type LoadedCheckpoint } from './checkpoint.js';
export { trainModel, resolveSettings, readTrainConfig, readExtraCatalog, DEFAULT_TRAIN, type TrainSettings, type TrainOptions, type ProgressEvent } from './train.js';
export { TwinModel, type RolloutRequest, type MixtureArrays } from './twin-model.js';
export { createModelSimulator, ModelSimulator, exposureTimeline, dropoutDay, type ArmExposureFn, type ExposureEvent } from './simulator.js';
export { TwinEnsemble, loadRolloutModel, isEnsembleDir, readEnsembleManifest, ENSEMBLE_FORMAT, ENSEMBLE_FILE, type RolloutModel, type EnsembleManifest } from './ensemble.js';
