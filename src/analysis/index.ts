// per-twin endpoint values and trajectory summaries (workers)
export { computeEndpoint, meetsThreshold, TrajectoryAccumulator, type TwinEndpointValues, type TrajectoryCell } from './endpoints.js';
export { variableValues } from './variable_values.js';

// estimators: continuous
export { meanDifference, type MeanDifferenceOptions } from './mean_difference.js';
export { ancova, type AncovaOptions } from './ancova.js';
export { leastSquares, type LeastSquaresFit } from './least_squares.js';
export { hedgesG, type HedgesG } from './hedges_g.js';

// estimators: binary
export { riskDifference, type RiskDifferenceOptions } from './risk_difference.js';
export { riskRatio } from './risk_ratio.js';
export { oddsRatio } from './odds_ratio.js';
export { wilsonInterval } from './wilson_interval.js';

// estimators: time to event
export { kaplanMeier, type KaplanMeierCurve } from './kaplan_meier.js';
export { logRankTest, type LogRankTest } from './log_rank_test.js';
export { coxPH, type CoxFit } from './cox_ph.js';

// intervals and distributions
export { bootstrapInterval } from './bootstrap_interval.js';
export { quantileSorted } from './quantiles.js';
export { sampleMoments, finiteValues, type SampleMoments } from './sample_moments.js';
export * from './distributions.js';
export type { Estimate } from './estimate.js';

// individual effects and subgroups
export { individualEffects, INDIVIDUAL_EFFECTS_NOTE, type IndividualEffects, type SubgroupSummary } from './individual_effects.js';
export { subgroupInteraction, meanInterval } from './subgroup_interaction.js';

// trials, replicates, power
export { analyseTrial, type TrialData, type TrialAnalysis, type EndpointAnalysis, type AnalyseOptions } from './trial.js';
export { summariseReplicates, typeOneError, type ReplicateSummary, type TypeOneErrorCheck } from './replicates.js';
export { powerCurve, powerPoint, powerEndpoint, nullCheck, identicalArmsSpec, renderPowerSummary, type PowerCurve, type PowerPoint, type ReplicateRunner } from './power.js';

// reports
export { buildReport, jsonSafe, REPORT_FORMAT, type Report, type RunMeta } from './report.js';
export { renderSummary } from './summary.js';
export { renderHtml, escapeHtml } from './html.js';
export { renderSvg, trajectoryChart, forestChart, individualEffectChart, kaplanMeierChart, powerChart } from './charts.js';

// exports
export { AdamWriter, writeAdam, paramcdFor, type AdamShard, type AdamOptions, type AdamResult } from './adam.js';
export { procova, participantOutcomes, prognosticScore, renderProcovaSummary, type ProcovaResult, type ParticipantOutcomes } from './prognostic.js';
export { trialDataFromTrajectories, readTable } from './saved_run.js';
