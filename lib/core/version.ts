/**
 * Written into checkpoints; test/checkpoint.test.ts checks it equals package.json's version.
 *
 * Not in a notebook: README "Reliability" (checkpoints record the version).
 */
export const LIBRARY_VERSION = '0.1.0';
