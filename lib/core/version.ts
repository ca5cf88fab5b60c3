/** Written into checkpoints; test/checkpoint.test.ts checks it equals package.json's version. */
export const LIBRARY_VERSION = '0.1.0';
