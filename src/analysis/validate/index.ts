/** Validation against published trial results: scoring, folder runs, floors, reports. */
export * from './score.js';
export * from './thresholds.js';
export * from './run.js';
export { formatValidationText } from './format.js';
export { renderValidationHtml, validationForestChart, validationScatterChart } from './html.js';
