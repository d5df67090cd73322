/**
 * The former single module of the local infrastructure, now split by concern
 * (see ./index.ts). Kept so that importers outside scripts/ and test/ go on
 * working until they import ./index.js instead.
 *
 * @module
 */
export * from './index.js';
