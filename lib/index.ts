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
 *
 * Explained in notebooks 01-11 (each section of the original has one); README "The library".
 */

// task data (notebook 01)
export { Rng, STREAM } from './tasks/rng';
export type { DataSet, SineTaskOptions } from './tasks/sineTask';
export { findOneSidedTask, isOneSided, linspace, makeTaskPool, ORIGINAL_TASKS, PAPER_TASKS, paperTestTasks, sampleTask, SineTask, taskOptions, withShots } from './tasks/sineTask';

// the model (notebook 02)
export type { ParamEntry, ParamLayout } from './model/params';
export { DEFAULT_LAYER_SIZES, fromNamedArrays, initParams, paramLayout, toNamedArrays } from './model/params';
export { FastMlp } from './model/fastMlp';
export { WasmMlp, WasmTape, WasmVector } from './model/wasmMlp';
export type { Precision } from './model/wasmMlp';

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
export { Adam } from './optim/adam';
export type { AlgoName, EngineName, Progress, ReplicaState, RunState, TrainConfig, TrainConfigInput, TrainOptions, TrainResult } from './training/train';
export { ALGORITHMS, ENGINES, resolveTrainConfig, train, trainAsync, trainingPool, TrainingInterrupted } from './training/train';
export { defaultWorkers, evaluateParallel, trainParallel } from './runtime/parallel';

// evaluation (notebook 03)
export type { EvalEngine, EvalOptions, EvalResult, StepSummary } from './evaluation/evaluate';
export { atStep, DEFAULT_EVAL_ENGINE, DIVERGED_MSE, EVAL_ENGINES, evaluate, fitPredictions, pairedDifference, summarize } from './evaluation/evaluate';

// checkpoints and the notebooks' experiment (notebook 04)
export type { Checkpoint, WriteFs } from './runtime/checkpoint';
export { checkLibraryVersion, checkSavable, configKey, loadCheckpoint, prepareOutput, saveCheckpoint, storageLayout, writeFileAtomic } from './runtime/checkpoint';
export type { Scale } from './experiment/experiment';
export { checkpointDir, currentScale, heldOutTasks, projectRoot, randomModels, recipe, SCALES, trainOrLoad } from './experiment/experiment';
export { InterruptedError } from './training/interrupt';
export { LIBRARY_VERSION } from './core/version';

// measurements of the original's claims and defects (notebooks 02, 04, 10) and the PyTorch reference (07, 09)
export { broadcastMse, oneSidedExample, oneSidedTasks, staleInnerGradientErrors, trainingTasks, unseenHalfErrors } from './experiment/measures';
export type { ReferenceModel, ReferencePaper, ReferenceRecipe, ReferenceResults, ReferenceTiming } from './experiment/reference';
export { loadReference, referenceAt, referencePaper, referenceRecipe, referenceTiming, REFERENCE_MODELS } from './experiment/reference';
export { NAMES, REFERENCE_NAMES } from './experiment/names';

// input checks and errors (README "Reliability")
export type { ErrorData, InputErrorDetails } from './core/validate';
export { checkEvalLimits, checkTrainLimits, DivergedError, fromErrorData, LIMITS, MamlError, MamlInputError, oneLine, quote, show, StorageError, toErrorData } from './core/validate';
