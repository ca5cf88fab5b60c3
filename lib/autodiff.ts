/**
 * The autodiff entry point: the readable tfjs path (lib/tfjs/autodiff.ts), the tfjs backend
 * choice (lib/tfjs/backend.ts) and tensor tracking. Importing it loads tfjs; lib/index does not.
 *
 * @example
 *   import * as autodiff from './lib/autodiff';
 *   await autodiff.initBackend();
 *   const params = autodiff.toTensors(theta, paramLayout());
 *
 * Explained in notebooks 02 and 04.
 */
export * from './tfjs/autodiff';

