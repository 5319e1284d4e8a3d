/**
 * Kept only for src/config/flask-config.ts, which still imports loadOptional from here;
 * the store plumbing lives in ./shared/, one job a file. Remove once that import points
 * at './shared/load-optional.js'.
 */
export { loadOptional } from './shared/load-optional.js';
