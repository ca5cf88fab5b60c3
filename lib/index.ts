/**
 * maml-sine's library: the public API, chosen name by name. Importing it loads no tfjs (the
 * fast engine needs none); two more entry points hold the rest:
 * - `lib/autodiff`: the readable tfjs path (nested tf.grads), the backend choice, tensor tracking;
 * - `lib/notebook`: this API plus the notebooks' output helpers (charts, tables, verdicts,
 *   progress bars, the playground).
 * Everything else in lib/ is internal: import it by its file only from inside the library or
 * its tests.
 *
 * @example
 *   import { train, evaluate, heldOutTasks } from './lib';
 *   const model = train({ algo: 'maml', tasks: 2000, epochs: 1 });
 *   const result = evaluate(model.replicas, model.layout, heldOutTasks(100), { steps: 10 });
 *   console.log(result.summary[1].mean); // test MSE after one SGD step
 */

// task data (notebook 01)
export { Rng, STREAM } from './rng';
export type { DataSet, SineTaskOptions } from './sineTask';
export { findOneSidedTask, isOneSided, linspace, makeTaskPool, ORIGINAL_TASKS, PAPER_TASKS, sampleTask, SineTask, taskOptions, withShots } from './sineTask';

// the model (notebook 02)
export type { ParamEntry, ParamLayout } from './params';
export { DEFAULT_LAYER_SIZES, fromNamedArrays, initParams, paramLayout, toNamedArrays } from './params';
export { FastMlp } from './fastMlp';

// algorithms (notebooks 04, 05, 07, 08)
export type { InnerOptions, MetaGradientFn, TaskData } from './algorithms/types';
export type { Algorithm } from './algorithms/registry';
export { algorithm, ALGORITHM, algorithmsWhere } from './algorithms/registry';
export * as maml from './algorithms/maml';
export * as fomaml from './algorithms/fomaml';
export * as transfer from './algorithms/transfer';
export * as reptile from './algorithms/reptile';
export * as metasgd from './algorithms/metasgd';

// meta-training (notebooks 04, 08)
export { Adam } from './adam';
export type { AlgoName, EngineName, Progress, ReplicaState, RunState, TrainConfig, TrainConfigInput, TrainOptions, TrainResult } from './train';
export { ALGORITHMS, ENGINES, resolveTrainConfig, train, trainAsync, trainingPool, TrainingInterrupted } from './train';
export { defaultWorkers, evaluateParallel, trainParallel } from './parallel';

// evaluation (notebook 03)
export type { EvalOptions, EvalResult, StepSummary } from './evaluate';
export { atStep, DIVERGED_MSE, evaluate, fitPredictions, pairedDifference, summarize } from './evaluate';

// checkpoints and the notebooks' experiment (notebook 04)
export type { Checkpoint, WriteFs } from './checkpoint';
export { checkLibraryVersion, configKey, loadCheckpoint, prepareOutput, saveCheckpoint, storageLayout, writeFileAtomic } from './checkpoint';
export type { Scale } from './experiment';
export { checkpointDir, currentScale, heldOutTasks, projectRoot, randomModels, recipe, SCALES, trainOrLoad } from './experiment';
export { InterruptedError } from './interrupt';
export { LIBRARY_VERSION } from './version';

// measurements of the original's claims and defects (notebooks 02, 04, 10) and the PyTorch reference (07, 09)
export { broadcastMse, oneSidedExample, oneSidedTasks, staleInnerGradientErrors, trainingTasks, unseenHalfErrors } from './measures';
export type { ReferenceModel, ReferencePaper, ReferenceRecipe, ReferenceResults, ReferenceTiming } from './reference';
export { loadReference, referenceAt, referencePaper, referenceRecipe, referenceTiming, REFERENCE_MODELS } from './reference';
export { NAMES, REFERENCE_NAMES } from './names';

// input checks and errors (README "Reliability")
export type { ErrorData, InputErrorDetails } from './validate';
export { checkEvalLimits, checkTrainLimits, DivergedError, fromErrorData, LIMITS, MamlInputError, oneLine, quote, show, StorageError, toErrorData } from './validate';
