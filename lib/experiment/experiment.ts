/**
 * What the notebooks share: the experiment's scale (the original's recipe, or a quick one for
 * tests), held-out tasks, random baselines, and training that reuses saved checkpoints.
 *
 * Explained in notebooks 01 (scales, task pools) and 04 (training that reuses checkpoints).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkSavable, configKey, loadCheckpoint, saveCheckpoint } from '../runtime/checkpoint';
import { ALGORITHM } from '../algorithms/registry';
import { initParams, paramLayout } from '../model/params';
import { Rng, STREAM } from '../tasks/rng';
import { makeTaskPool, SineTask, SineTaskOptions } from '../tasks/sineTask';
import { InterruptedError } from '../training/interrupt';
import { removeSnapshot, snapshotPath, trainWithSnapshots } from '../runtime/snapshot';
import { Progress, resolveTrainConfig, totalTasks, TrainConfigInput, TrainingInterrupted, TrainResult } from '../training/train';
import { checkOneOf } from '../core/validate';

/** The experiment's size: task pools, held-out tasks, models per algorithm and epochs. */
export interface Scale {
  name: 'full' | 'quick';
  /** training task pool (the original: 10,000) */
  trainTasks: number;
  /** held-out tasks (the original: 1,000) */
  testTasks: number;
  /** models trained per algorithm (the original: 5) */
  replicas: number;
  /** epochs of MAML / first-order MAML (the original: 4) */
  epochs: number;
  /** tasks drawn for "the average over tasks" (the original: 10,000) */
  averageTasks: number;
}

/** The two scales: `full` (the original's recipe) and `quick` (what the tests run). */
export const SCALES: Record<Scale['name'], Scale> = {
  full: { name: 'full', trainTasks: 10_000, testTasks: 1_000, replicas: 5, epochs: 4, averageTasks: 10_000 },
  quick: { name: 'quick', trainTasks: 5_000, testTasks: 200, replicas: 2, epochs: 4, averageTasks: 2_000 },
};

/** MAML_SCALE=full (default) or quick. */
export function currentScale(): Scale {
  const name = process.env.MAML_SCALE === undefined || process.env.MAML_SCALE === '' ? 'full' : process.env.MAML_SCALE;
  return SCALES[checkOneOf('MAML_SCALE', name, ['full', 'quick'] as const)];
}

/** The training config of an algorithm at a scale (everything else: the original's defaults). */
export function recipe(algo: TrainConfigInput['algo'], scale: Scale, extra: Partial<TrainConfigInput> = {}): TrainConfigInput {
  return {
    algo,
    tasks: scale.trainTasks,
    replicas: ALGORITHM[algo].singleModel ? 1 : scale.replicas,
    epochs: ALGORITHM[algo].singleModel ? ALGORITHM[algo].defaultEpochs : scale.epochs,
    seed: 0,
    ...extra,
  };
}

/** The project root: the nearest folder above the working directory with this package.json. */
export function projectRoot(from = process.cwd()): string {
  let dir = path.resolve(from);
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && JSON.parse(fs.readFileSync(pkg, 'utf8')).name === 'maml-sine') return dir;
    const up = path.dirname(dir);
    if (up === dir) return path.resolve(from);
    dir = up;
  }
}

/**
 * Where checkpoints live: MAML_CHECKPOINTS, else checkpoints/ in the project. A relative
 * MAML_CHECKPOINTS is taken from the project root, wherever the process runs: a kernel runs in
 * notebooks/, `npm run report` (and its playground page) in the root, and both must find the
 * same checkpoints.
 */
export function checkpointDir(): string {
  const dir = process.env.MAML_CHECKPOINTS;
  return dir ? path.resolve(projectRoot(), dir) : path.join(projectRoot(), 'checkpoints');
}

/**
 * Train (on all cores), or load the checkpoint of exactly this config if an earlier run (or
 * notebook) saved one. Checkpoints are named by algorithm and a hash of the whole config.
 * While training, a snapshot (`<checkpoint>.partial`) is kept up to date every few seconds; a
 * training that was interrupted (Kernel > Interrupt, a crash, a restart) continues from it, and
 * ends with the same parameters as an uninterrupted one. On Kernel > Interrupt the training stops
 * within a second, nothing is saved as a checkpoint, and the cell ends with one line.
 *
 * @example
 *   const scale = currentScale();
 *   const maml = await trainOrLoad(recipe('maml', scale), progressBar('MAML'));
 *   maml.cached; // true when an earlier run saved this exact config
 */
export async function trainOrLoad(input: TrainConfigInput, onProgress?: (p: Progress) => void): Promise<TrainResult & { file: string; cached: boolean }> {
  const config = resolveTrainConfig(input);
  const file = path.join(checkpointDir(), `${config.algo}${config.seedCompat ? '-seedcompat' : ''}-${configKey(config)}.json`);
  if (fs.existsSync(file)) {
    const ck = loadCheckpoint(file);
    // a snapshot left by a stop between the final save and its removal is superseded
    removeSnapshot(snapshotPath(file));
    return { config: ck.config, layout: ck.layout, replicas: ck.replicas, history: ck.history, elapsedMs: ck.elapsedMs, msPerTask: ck.elapsedMs / totalTasks(config), file, cached: true };
  }
  // what a checkpoint is read back under (limits, file size): a training whose file could not
  // be loaded is refused before it starts (after the lookup: the size is an upper bound, and a
  // checkpoint that exists is judged by its real size)
  checkSavable(config);
  const what = `${config.algo}${config.seedCompat ? ' (seedCompat)' : ''}, ${config.replicas} model(s) x ${config.epochs} epoch(s) x ${config.tasks.toLocaleString('en-US')} tasks`;
  try {
    const result = await trainWithSnapshots(config, {
      out: file, resume: false, whenSnapshotWithoutResume: 'resume', parallel: true, onProgress,
      log: (line) => console.log(`${what}: ${line.replace(`${snapshotPath(file)}`, path.basename(snapshotPath(file)))}`),
      save: (r) => saveCheckpoint(file, r),
    });
    return { ...result, file, cached: false };
  } catch (err) {
    if (err instanceof TrainingInterrupted) {
      const at = `${err.done.toLocaleString('en-US')} / ${err.total.toLocaleString('en-US')} tasks`;
      throw new InterruptedError(`interrupted: training ${what} at ${at}; snapshot kept (${path.basename(snapshotPath(file))}), run the cell again to resume`);
    }
    throw err;
  }
}

/** The held-out tasks every notebook evaluates on (SINE_TEST), from their own seed stream. */
export function heldOutTasks(count: number, seed = 1, options: Partial<SineTaskOptions> = {}): SineTask[] {
  return makeTaskPool(count, new Rng(seed, STREAM.heldOutTasks), options);
}

/** Randomly initialised models (the original's `SineModel()` baseline). */
export function randomModels(count = 1, seed = 0, layerSizes = paramLayout().layerSizes): Float64Array[] {
  return Array.from({ length: count }, (_, i) => initParams(new Rng(seed + i, STREAM.randomInit), layerSizes));
}
