/**
 * The meta-training loop shared by every algorithm: a fixed task pool, independent replicas,
 * epochs over the shuffled pool, meta-batches averaged before one Adam step.
 */
import { Adam } from './adam';
import { MetaGradientFn } from './algorithms/types';
import * as maml from './algorithms/maml';
import * as fomaml from './algorithms/fomaml';
import * as transfer from './algorithms/transfer';
import * as reptile from './algorithms/reptile';
import * as metasgd from './algorithms/metasgd';
import { FastMlp } from './fastMlp';
import { DEFAULT_LAYER_SIZES, initParams, ParamLayout, paramLayout } from './params';
import { Rng, STREAM } from './rng';
import { makeTaskPool, sampleTask, SineTask, SineTaskOptions, taskOptions } from './sineTask';
import { checkInt, checkLoss, checkOneOf, checkPositive, checkSeed, fail } from './validate';

export const ALGORITHMS = ['maml', 'fomaml', 'transfer', 'reptile', 'metasgd'] as const;
export type AlgoName = (typeof ALGORITHMS)[number];
export const ENGINES = ['fast', 'autodiff'] as const;
export type EngineName = (typeof ENGINES)[number];

export interface TrainConfig {
  algo: AlgoName;
  /** reproduce the original's support-gradient leak (MAML and first-order only) */
  seedCompat: boolean;
  /** independent models, each with its own seed stream (the original trains 5) */
  replicas: number;
  /** passes over the task pool (4 for MAML in the original, 1 for transfer) */
  epochs: number;
  /** size of the training task pool (10,000) */
  tasks: number;
  /**
   * draw a fresh task for every meta-training task instead of cycling through a fixed pool
   * (the MAML paper's setting); epochs × tasks tasks are drawn
   */
  freshTasks: boolean;
  metaBatchSize: number;
  innerSteps: number;
  innerLr: number;
  metaLr: number;
  seed: number;
  layerSizes: number[];
  taskOptions: SineTaskOptions;
  /** 'fast' = hand-derived float64 gradients, 'autodiff' = tfjs nested tf.grads */
  engine: EngineName;
}

export type TrainConfigInput = Partial<Omit<TrainConfig, 'taskOptions'>> & { algo: AlgoName; taskOptions?: Partial<SineTaskOptions> };

export function resolveTrainConfig(input: TrainConfigInput): TrainConfig {
  if (input === null || typeof input !== 'object') fail('train config', input, 'an object with at least { algo }');
  const algo = checkOneOf('algo', input.algo, ALGORITHMS);
  const config: TrainConfig = {
    algo,
    seedCompat: input.seedCompat ?? false,
    replicas: checkInt('replicas', input.replicas ?? 1, 1),
    epochs: checkInt('epochs', input.epochs ?? (algo === 'transfer' ? 1 : 4), 1),
    tasks: checkInt('tasks', input.tasks ?? 10_000, 1),
    freshTasks: input.freshTasks ?? false,
    metaBatchSize: checkInt('metaBatchSize', input.metaBatchSize ?? 1, 1),
    innerSteps: checkInt('innerSteps', input.innerSteps ?? (algo === 'reptile' ? 3 : 1), 1),
    innerLr: checkPositive('innerLr', input.innerLr ?? 0.01),
    metaLr: checkPositive('metaLr', input.metaLr ?? 0.001),
    seed: checkSeed('seed', input.seed ?? 0),
    layerSizes: [...(input.layerSizes ?? DEFAULT_LAYER_SIZES)],
    taskOptions: taskOptions(input.taskOptions),
    engine: checkOneOf('engine', input.engine ?? 'fast', ENGINES),
  };
  if (typeof config.seedCompat !== 'boolean') fail('seedCompat', config.seedCompat, 'true or false');
  if (typeof config.freshTasks !== 'boolean') fail('freshTasks', config.freshTasks, 'true or false');
  if (config.seedCompat && algo !== 'maml' && algo !== 'fomaml') fail('seedCompat', true, `false for ${algo} (the leak is a defect of the original's MAML)`);
  paramLayout(config.layerSizes); // validates the sizes
  return config;
}

export interface Progress {
  replica: number;
  replicas: number;
  /** tasks done over all replicas */
  done: number;
  total: number;
  /** mean loss over the last report interval */
  loss: number;
  elapsedMs: number;
}

export interface TrainOptions {
  onProgress?: (p: Progress) => void;
  /** how many tasks between progress reports (default: total / 200) */
  progressEvery?: number;
  /** train on this pool instead of building one from the seed */
  pool?: SineTask[];
}

export interface TrainResult {
  config: TrainConfig;
  layout: ParamLayout;
  /** one flat parameter vector per replica */
  replicas: Float64Array[];
  /** mean training loss per replica per epoch */
  history: number[][];
  elapsedMs: number;
  msPerTask: number;
}

/** The task pool a config trains on: the same for every replica, as the original's SINE_TRAIN. */
export function trainingPool(config: TrainConfig): SineTask[] {
  return makeTaskPool(config.tasks, new Rng(config.seed, STREAM.taskPool), config.taskOptions);
}

/** The pool a run cycles through: none when every task is drawn fresh. */
export function poolFor(config: TrainConfig): SineTask[] {
  return config.freshTasks ? [] : trainingPool(config);
}

export function createMetaGradientFor(config: TrainConfig, net: FastMlp): MetaGradientFn {
  const inner = { innerSteps: config.innerSteps, innerLr: config.innerLr, seedCompat: config.seedCompat };
  if (config.engine === 'autodiff') {
    // loaded on demand: tfjs costs ~100 MB and seconds to load, and the fast engine (workers,
    // the CLI) never needs it
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { createAutodiffMetaGradient } = require('./autodiff') as typeof import('./autodiff');
    return createAutodiffMetaGradient(net.layout, config.algo, inner);
  }
  const capacity = Math.max(config.taskOptions.supportSize, config.taskOptions.querySize);
  switch (config.algo) {
    case 'maml':
      return maml.createMetaGradient(net, { ...inner, firstOrder: false }, capacity);
    case 'fomaml':
      return fomaml.createMetaGradient(net, inner, capacity);
    case 'transfer':
      return transfer.createMetaGradient(net, inner, capacity);
    case 'reptile':
      return reptile.createMetaGradient(net, inner, capacity);
    case 'metasgd':
      return metasgd.createMetaGradient(net, inner, capacity);
  }
}

/**
 * A model's initial meta-parameters, drawn from the replica's generator: the weights, and for
 * Meta-SGD also one learning rate per weight.
 */
export function initMetaParams(config: TrainConfig, rng: Rng): Float64Array {
  const theta = initParams(rng, config.layerSizes);
  return config.algo === 'metasgd' ? metasgd.initMetaSgd(theta, config.innerLr) : theta;
}

/** Train one replica; `onTask` is called after every task with its loss. */
export function trainReplica(config: TrainConfig, replica: number, pool: SineTask[], onTask?: (loss: number) => void): { theta: Float64Array; history: number[] } {
  const layout = paramLayout(config.layerSizes);
  const net = new FastMlp(layout);
  const rng = new Rng(config.seed, STREAM.replica + replica);
  const theta = initMetaParams(config, rng);
  const metaGradient = createMetaGradientFor(config, net);
  const size = theta.length;
  const adam = new Adam(size, config.metaLr);
  const grad = new Float64Array(size);
  const batchGrad = new Float64Array(size);
  const usesQuery = config.algo !== 'transfer';
  const history: number[] = [];
  const B = config.metaBatchSize;
  for (let epoch = 0; epoch < config.epochs; epoch++) {
    const order = config.freshTasks ? Array.from({ length: config.tasks }, () => sampleTask(rng, config.taskOptions)) : rng.shuffled(pool);
    let lossSum = 0;
    let inBatch = 0;
    for (let i = 0; i < order.length; i++) {
      const task = order[i];
      const support = task.supportSet();
      const query = usesQuery ? task.querySet(rng) : support;
      const loss = metaGradient(theta, { support, query }, grad);
      checkLoss(loss, `replica ${replica}, epoch ${epoch + 1}, task ${i + 1}`);
      lossSum += loss;
      for (let j = 0; j < grad.length; j++) batchGrad[j] += grad[j];
      inBatch++;
      // the last batch of an epoch may be smaller: it is averaged over its own size
      if (inBatch === B || i === order.length - 1) {
        if (inBatch > 1) for (let j = 0; j < batchGrad.length; j++) batchGrad[j] /= inBatch;
        adam.step(theta, batchGrad);
        batchGrad.fill(0);
        inBatch = 0;
      }
      onTask?.(loss);
    }
    history.push(lossSum / order.length);
  }
  return { theta, history };
}

/** How many tasks a run processes over all replicas and epochs. */
export function totalTasks(config: TrainConfig, poolSize = config.tasks): number {
  return config.replicas * config.epochs * (config.freshTasks ? config.tasks : poolSize);
}

/**
 * Counts finished tasks (one at a time, or in bunches from workers) and calls onProgress every
 * `every` tasks and at the end, with the mean loss since the last report.
 */
export function progressCounter(config: TrainConfig, total: number, options: TrainOptions): { every: number; add: (tasks: number, lossSum: number, replica: number) => void } {
  const every = options.progressEvery ?? Math.max(1, Math.floor(total / 200));
  const start = performance.now();
  let done = 0;
  let lastReport = 0;
  let windowLoss = 0;
  let windowCount = 0;
  const add = (tasks: number, lossSum: number, replica: number) => {
    done += tasks;
    windowLoss += lossSum;
    windowCount += tasks;
    if (!options.onProgress || (done - lastReport < every && done !== total)) return;
    lastReport = done;
    options.onProgress({ replica, replicas: config.replicas, done, total, loss: windowLoss / windowCount, elapsedMs: performance.now() - start });
    windowLoss = 0;
    windowCount = 0;
  };
  return { every, add };
}

export function train(input: TrainConfigInput, options: TrainOptions = {}): TrainResult {
  const config = resolveTrainConfig(input);
  const layout = paramLayout(config.layerSizes);
  const pool = options.pool ?? poolFor(config);
  const total = totalTasks(config, pool.length);
  const progress = progressCounter(config, total, options);
  const start = performance.now();
  const replicas: Float64Array[] = [];
  const history: number[][] = [];
  for (let r = 0; r < config.replicas; r++) {
    const out = trainReplica(config, r, pool, (loss) => progress.add(1, loss, r));
    replicas.push(out.theta);
    history.push(out.history);
  }
  const elapsedMs = performance.now() - start;
  return { config, layout, replicas, history, elapsedMs, msPerTask: elapsedMs / total };
}
