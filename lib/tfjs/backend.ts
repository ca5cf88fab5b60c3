/**
 * Chooses the tfjs backend once: the native TensorFlow binding (@tensorflow/tfjs-node) when it
 * is installed and registers itself, else WebAssembly, else plain JavaScript.
 * MAML_BACKEND=tensorflow|wasm|cpu forces one.
 *
 * Detection is by what registers, not by whether require() succeeds: here danfojs-node's
 * dependency on tfjs-node is aliased to plain tfjs, so require('@tensorflow/tfjs-node') can
 * succeed and still bring no native backend.
 *
 * Explained in notebook 02 (the backend it prints); README "tfjs backend".
 */
import * as tf from '@tensorflow/tfjs';
import { checkOneOf, MamlInputError } from '../core/validate';

/** The tfjs backends, in the order they are tried. */
export const BACKENDS = ['tensorflow', 'wasm', 'cpu'] as const;
/** A tfjs backend's name. */
export type BackendName = (typeof BACKENDS)[number];

let chosen: Promise<BackendName> | null = null;

function tryRequire(name: string): boolean {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require(name);
    return true;
  } catch {
    return false;
  }
}

async function activate(name: BackendName): Promise<boolean> {
  if (name === 'tensorflow') tryRequire('@tensorflow/tfjs-node');
  if (name === 'wasm') tryRequire('@tensorflow/tfjs-backend-wasm');
  if (!tf.findBackendFactory(name)) return false;
  try {
    return await tf.setBackend(name);
  } catch {
    return false;
  }
}

async function choose(log: (line: string) => void): Promise<BackendName> {
  const forced = process.env.MAML_BACKEND;
  if (forced !== undefined && forced !== '') {
    const name = checkOneOf('MAML_BACKEND', forced, BACKENDS);
    if (!(await activate(name))) {
      throw new MamlInputError(`MAML_BACKEND=${name} was requested but the ${name} backend cannot be loaded here`, {
        option: 'MAML_BACKEND', value: name, expected: 'a backend that loads here',
      });
    }
    log(`tfjs backend: ${name} (forced by MAML_BACKEND)`);
    return name;
  }
  for (const name of BACKENDS) {
    if (await activate(name)) {
      log(`tfjs backend: ${name}`);
      return name;
    }
  }
  throw new Error('no tfjs backend could be loaded');
}

/** Select (once per process) and print the tfjs backend; later calls return the same one. */
export function initBackend(log: (line: string) => void = (line) => console.error(line)): Promise<BackendName> {
  if (chosen === null) {
    chosen = choose(log);
    chosen.catch(() => (chosen = null));
  }
  return chosen;
}
