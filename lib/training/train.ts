/**
 * The meta-training loop shared by every algorithm: a fixed task pool, independent replicas,
 * epochs over the shuffled pool, meta-batches averaged before one Adam step.
 *
 * Explained in notebooks 04 (the meta-training loop) and 08; README "Command line" (its options).
 */
import { Adam } from '../optim/adam';
import { MetaGradientFn, TaskData, WasmMetaGradientFn } from '../algorithms/types';
import { AlgoName, ALGORITHM, ALGORITHMS, initialMetaParams } from '../algorithms/registry';
import { FastMlp } from '../model/fastMlp';
import { Precision, WasmMlp, WasmVector, wasmPrecision } from '../model/wasmMlp';
import { DEFAULT_LAYER_SIZES, initParams, ParamLayout, paramLayout } from '../model/params';
import { Rng, STREAM } from '../tasks/rng';
import { DataSet, makeTaskPool, sampleTaskInto, SineTask, SineTaskOptions, skipTasks, taskOptions } from '../tasks/sineTask';
import { checkInt, checkLoss, checkOneOf, checkPositive, checkSeed, fail } from '../core/validate';
import { InterruptedError } from './interrupt';

export { ALGORITHMS };
export type { AlgoName };
/**
 * The engines: `fast` (hand-derived, float64, readable TypeScript: the reference), `wasm` (the
 * same derivation in WebAssembly SIMD kernels, float64), `wasm-f32` (the same kernels in float32,
 * f32x4: meta-gradients in float32, θ and Adam in float64) and `autodiff` (tfjs nested
 * tf.grads, float32).
 */
export const ENGINES = ['fast', 'autodiff', 'wasm', 'wasm-f32'] as const;
/** An engine's name: `fast`, `autodiff`, `wasm` or `wasm-f32`. */
export type EngineName = (typeof ENGINES)[number];

/**
 * The engine a config gets when it names none: `wasm-f32`, meta-gradients in float32 (f32x4
 * WebAssembly SIMD) with θ and Adam in float64, ~1.4x faster per task than `wasm` and ~6x than
 * `fast` (`npm run bench`), as the PyTorch original trains in float32. Its meta-gradients agree
 * with `fast` to ~1e-7 (test/wasm-f32.test.ts); a long training then ends elsewhere, as far as
 * any float32-sized nudge moves it, and the benchmark shows the trained models' accuracy inside
 * each other's 95% CIs. `wasm` (float64, ~1e-15 from `fast`) and `fast` (the readable reference
 * the kernels are tested against) stay one option away. Evaluation defaults to the same float32
 * kernels (lib/evaluation/evaluate.ts, DEFAULT_EVAL_ENGINE).
 */
export const DEFAULT_ENGINE: EngineName = 'wasm-f32';

/** A training's complete configuration (resolveTrainConfig fills in the defaults). */
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
  /** 'fast' = hand-derived float64 gradients in TypeScript, 'wasm' = the same in WebAssembly, 'wasm-f32' = in float32 WebAssembly, 'autodiff' = tfjs nested tf.grads */
  engine: EngineName;
}

/** A training config as callers give it: the algorithm, and any fields to change from the defaults. */
export type TrainConfigInput = Partial<Omit<TrainConfig, 'taskOptions'>> & { algo: AlgoName; taskOptions?: Partial<SineTaskOptions> };

/** The complete, checked config: defaults filled in (per algorithm from the registry), bad values refused. */
export function resolveTrainConfig(input: TrainConfigInput): TrainConfig {
  if (input === null || typeof input !== 'object') fail('train config', input, 'an object with at least { algo }');
  const algo = checkOneOf('algo', input.algo, ALGORITHMS);
  const facts = ALGORITHM[algo];
  const config: TrainConfig = {
    algo,
    seedCompat: input.seedCompat ?? false,
    replicas: checkInt('replicas', input.replicas ?? 1, 1),
    epochs: checkInt('epochs', input.epochs ?? facts.defaultEpochs, 1),
    tasks: checkInt('tasks', input.tasks ?? 10_000, 1),
    freshTasks: input.freshTasks ?? false,
    metaBatchSize: checkInt('metaBatchSize', input.metaBatchSize ?? 1, 1),
    innerSteps: checkInt('innerSteps', input.innerSteps ?? facts.defaultInnerSteps, 1),
    innerLr: checkPositive('innerLr', input.innerLr ?? 0.01),
    metaLr: checkPositive('metaLr', input.metaLr ?? 0.001),
    seed: checkSeed('seed', input.seed ?? 0),
    layerSizes: [...(input.layerSizes ?? DEFAULT_LAYER_SIZES)],
    taskOptions: taskOptions(input.taskOptions),
    engine: checkOneOf('engine', input.engine ?? DEFAULT_ENGINE, ENGINES),
  };
  if (typeof config.seedCompat !== 'boolean') fail('seedCompat', config.seedCompat, 'true or false');
  if (typeof config.freshTasks !== 'boolean') fail('freshTasks', config.freshTasks, 'true or false');
  if (config.seedCompat && !facts.leakApplies) fail('seedCompat', true, `false for ${algo} (the leak is a defect of the original's MAML)`);
  paramLayout(config.layerSizes); // validates the sizes
  return config;
}

/** What a progress callback receives: the replica, tasks done of total, the recent loss, the time. */
export interface Progress {
  /** the replica that reported (when replicas train one after the other, the one training now) */
  replica: number;
  replicas: number;
  /** replicas trained at once (worker threads); 1, or absent, when they train one after the other */
  parallel?: number;
  /** tasks done over all replicas */
  done: number;
  total: number;
  /**
   * mean loss over the last report interval; in the last report (done = total), the mean over
   * replicas of their last epoch's mean loss, which no timing and no number of workers changes
   */
  loss: number;
  elapsedMs: number;
}

/** How a training runs: progress, the pool, resuming, snapshots and stopping. */
export interface TrainOptions {
  onProgress?: (p: Progress) => void;
  /** how many tasks between progress reports (default: total / 200) */
  progressEvery?: number;
  /** train on this pool instead of building one from the seed */
  pool?: SineTask[];
  /** continue from this state (see snapshot.ts): the result equals an uninterrupted run's */
  resume?: RunState;
  /**
   * receives the run's state (copies) every `snapshotEveryMs` of work, when a replica ends and
   * when the run stops on `signal`
   */
  onSnapshot?: (state: RunState) => void;
  snapshotEveryMs?: number;
  /** when aborted, training stops after the current task and throws TrainingInterrupted */
  signal?: AbortSignal;
}

/** A trained model: config, layout, one parameter vector per replica, loss history and timing. */
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

/**
 * The meta-gradient function of a config's algorithm on its engine (see algorithms/registry.ts);
 * for a wasm engine, on `wasmNet` when given (the trainer shares it with its Adam). Both wasm
 * engines use the algorithm's one wasm factory: the precision is the net's.
 */
export function createMetaGradientFor(config: TrainConfig, net: FastMlp, wasmNet?: WasmMlp<Precision>): MetaGradientFn {
  const inner = { innerSteps: config.innerSteps, innerLr: config.innerLr, seedCompat: config.seedCompat };
  const algorithm = ALGORITHM[config.algo];
  // the autodiff factory loads tfjs on demand: the fast engine (workers, the CLI) never needs it
  if (config.engine === 'autodiff') return algorithm.autodiff(net.layout, inner);
  const capacity = Math.max(config.taskOptions.supportSize, config.taskOptions.querySize);
  const precision = wasmPrecision(config.engine);
  if (precision !== null) {
    if (wasmNet !== undefined && wasmNet.precision !== precision) fail('wasmNet', wasmNet.precision, `a ${precision} engine for ${config.engine}`);
    return algorithm.wasm(wasmNet ?? new WasmMlp(net.layout, precision), inner, capacity);
  }
  return algorithm.fast(net, inner, capacity);
}

/**
 * A model's initial meta-parameters, drawn from the replica's generator: the weights, and for
 * Meta-SGD also one learning rate per weight.
 */
export function initMetaParams(config: TrainConfig, rng: Rng): Float64Array {
  return initialMetaParams(config.algo, initParams(rng, config.layerSizes), config.innerLr);
}

/**
 * Where one replica's training stands, complete enough to continue it bit for bit: parameters,
 * Adam's moments, the replica generator's position, the epoch and task reached, the meta-batch
 * gathered so far. The epoch's task order is not stored: it is replayed from the generator's
 * position at the start of the epoch (`epochRng`).
 */
export interface ReplicaState {
  replica: number;
  /** the epoch in progress (= epochs when the replica is finished) */
  epoch: number;
  /** tasks of that epoch done */
  task: number;
  epochRng: number[];
  rng: number[];
  theta: Float64Array;
  adamM: Float64Array;
  adamV: Float64Array;
  adamSteps: number;
  /** the sum of the meta-gradients of the unfinished meta-batch, and its size */
  batchGrad: Float64Array;
  inBatch: number;
  /** the sum of this epoch's task losses so far */
  lossSum: number;
  /** mean loss of each finished epoch */
  history: number[];
}

/** A parameter-sized float64 vector: a plain array, or one in a wasm engine's memory. */
type VectorOf = Float64Array | WasmVector<'f64'>;

function arrayOf(v: VectorOf): Float64Array {
  return v instanceof Float64Array ? v : v.array;
}

/** A run's state: one entry per replica, null for replicas not started yet. */
export interface RunState {
  replicas: (ReplicaState | null)[];
  /** training time spent so far, over all sessions */
  elapsedMs: number;
}

/** Training of one replica, one task at a time, that can report its state and resume from it. */
export class ReplicaTrainer {
  private readonly adam: Adam;
  private readonly rng: Rng;
  private readonly metaGradient: MetaGradientFn;
  /** a wasm engine's way to add a task's meta-gradient to the meta-batch's sum (see WasmMetaGradientFn) */
  private readonly addTo: WasmMetaGradientFn['addTo'] | null;
  /** whether the meta-gradient's last call read θ as it is now (false again after every Adam step) */
  private thetaRead = false;
  /**
   * θ, the task's meta-gradient and the meta-batch's sum: plain arrays on the fast and autodiff
   * engines; on a wasm engine, float64 vectors in its memory, so that the meta-gradient reads θ
   * and writes its result in place, Adam updates θ in place and the sum runs in a SIMD kernel
   * (copying and adding 1,761 doubles in TypeScript cost ~10 µs a task, a fifth of a task's time).
   */
  private readonly vectors: { theta: VectorOf; grad: VectorOf; batchGrad: VectorOf };
  private readonly usesQuery: boolean;
  /**
   * a task's points, in arrays reused for every task: fresh tasks' support inputs, the support
   * labels, the query inputs and labels (query is support when the algorithm uses no query set;
   * support.x points at the task's own inputs)
   */
  private readonly points: TaskData & { supportX: Float64Array };
  /** the epoch's task order (a shuffled pool) */
  private order: SineTask[] = [];
  /**
   * fresh tasks: a generator at the epoch's next task, drawn when it is trained (an epoch of the
   * MAML paper's setting, 1.75 million tasks, drawn up front took ~1 GB and 4 s per replica)
   */
  private freshTasks: Rng | null = null;
  private epochRng: number[] = [];
  private epoch = 0;
  private task = 0;
  private inBatch = 0;
  private lossSum = 0;
  private readonly history: number[] = [];

  constructor(
    private readonly config: TrainConfig,
    readonly replica: number,
    private readonly pool: SineTask[],
    state?: ReplicaState,
  ) {
    const net = new FastMlp(paramLayout(config.layerSizes));
    this.rng = new Rng(config.seed, STREAM.replica + replica);
    const theta0 = initMetaParams(config, this.rng);
    const precision = wasmPrecision(config.engine);
    const wasmNet = precision === null ? undefined : new WasmMlp(net.layout, precision);
    this.metaGradient = createMetaGradientFor(config, net, wasmNet);
    const { addTo } = this.metaGradient as Partial<WasmMetaGradientFn>;
    this.addTo = addTo ?? null;
    this.adam = new Adam(theta0.length, config.metaLr);
    if (wasmNet !== undefined) this.adam.useWasm(wasmNet);
    // allocated last: nothing grows the engine's memory after this, so the views stay valid
    const vector = (): VectorOf => (wasmNet === undefined ? new Float64Array(theta0.length) : wasmNet.doubles(theta0.length));
    this.vectors = { theta: vector(), grad: vector(), batchGrad: vector() };
    this.theta.set(theta0);
    this.usesQuery = ALGORITHM[config.algo].usesQuery;
    const { supportSize, querySize } = config.taskOptions;
    const supportX = new Float64Array(supportSize);
    const support: DataSet = { x: supportX, y: new Float64Array(supportSize) };
    const query = this.usesQuery ? { x: new Float64Array(querySize), y: new Float64Array(querySize) } : support;
    this.points = { supportX, support, query };
    if (state === undefined) {
      this.startEpoch();
      return;
    }
    if (state.replica !== replica) fail('replica state', state.replica, `the state of replica ${replica}`);
    this.theta.set(state.theta);
    this.adam.setState({ m: state.adamM, v: state.adamV, t: state.adamSteps });
    this.batchGrad.set(state.batchGrad);
    this.inBatch = state.inBatch;
    this.lossSum = state.lossSum;
    this.history.push(...state.history);
    this.epoch = state.epoch;
    this.task = state.task;
    this.epochRng = [...state.epochRng];
    if (this.epoch < config.epochs) {
      this.drawOrder(Rng.fromState(state.epochRng));
      if (this.freshTasks !== null) skipTasks(this.freshTasks, this.task, config.taskOptions);
    }
    this.rng.setState(state.rng);
  }

  /** θ (a view of the engine's memory on a wasm engine: copy it to keep it). */
  get theta(): Float64Array {
    return arrayOf(this.vectors.theta);
  }

  private get grad(): Float64Array {
    return arrayOf(this.vectors.grad);
  }

  private get batchGrad(): Float64Array {
    return arrayOf(this.vectors.batchGrad);
  }

  get done(): boolean {
    return this.epoch >= this.config.epochs;
  }

  /** Tasks done, over all epochs. */
  get tasksDone(): number {
    return this.epoch * this.epochLength + this.task;
  }

  private get epochLength(): number {
    return this.config.freshTasks ? this.config.tasks : this.pool.length;
  }

  /**
   * The epoch's tasks, from `rng` at the epoch's start: a shuffled pool, or fresh tasks, which
   * are drawn one at a time in step() from a copy of `rng` while `rng` moves past them now (the
   * same numbers as drawing them all here, in the same order).
   */
  private drawOrder(rng: Rng): void {
    const { config } = this;
    if (config.freshTasks) {
      this.freshTasks = Rng.fromState(rng.getState());
      skipTasks(rng, config.tasks, config.taskOptions);
    } else {
      this.order = rng.shuffled(this.pool);
    }
  }

  private startEpoch(): void {
    this.epochRng = this.rng.getState();
    this.drawOrder(this.rng);
  }

  /**
   * Task i's support and query points: the numbers of task.supportSet() and
   * task.querySet(this.rng), in the reused arrays (allocating them cost ~2.5 µs a task, more than
   * drawing them; measured). A pool task whose sizes are not the config's (a caller's pool) gets
   * new arrays, as before.
   */
  private taskData(i: number): TaskData {
    const { points } = this;
    const task = this.freshTasks !== null ? sampleTaskInto(this.freshTasks, this.config.taskOptions, points.supportX) : this.order[i];
    const { support, query } = points;
    if (task.supportX.length !== support.y.length || (this.usesQuery && task.options.querySize !== query.x.length)) {
      const own = task.supportSet();
      return { support: own, query: this.usesQuery ? task.querySet(this.rng) : own };
    }
    support.x = task.supportX;
    task.labelInto(task.supportX, support.y);
    if (this.usesQuery) task.labelInto(task.drawInputs(this.rng, query.x), query.y);
    return points;
  }

  /** Throws if the loss of task i is not finite (the message is built only then: it cost a string a task). */
  private checkLoss(loss: number, i: number): void {
    if (!Number.isFinite(loss)) checkLoss(loss, `replica ${this.replica}, epoch ${this.epoch + 1}, task ${i + 1}`);
  }

  /** Train on the next task; returns its loss. */
  step(): number {
    const { theta, grad, batchGrad, addTo } = this;
    const i = this.task;
    const data = this.taskData(i);
    const lastOfEpoch = i === this.epochLength - 1;
    let loss: number;
    if (this.inBatch === 0 && (this.config.metaBatchSize === 1 || lastOfEpoch)) {
      // a batch of one task: Adam takes its gradient as it is. The same bits as through
      // batchGrad (0 + g = g; where g = −0 it gives +0, which changes neither of Adam's moments)
      // without two passes over the parameters per task (measured: ~5% of a wasm-engine task).
      loss = this.metaGradient(theta, data, grad);
      this.checkLoss(loss, i);
      this.adam.step(theta, grad);
      this.thetaRead = false;
    } else {
      if (addTo !== null) {
        // a wasm engine adds to the sum itself, and reads θ once per meta-batch
        loss = addTo(theta, data, batchGrad, this.thetaRead);
        this.thetaRead = true;
      } else {
        loss = this.metaGradient(theta, data, grad);
        for (let j = 0; j < grad.length; j++) batchGrad[j] += grad[j];
      }
      this.checkLoss(loss, i);
      this.inBatch++;
    }
    this.lossSum += loss;
    // the last batch of an epoch may be smaller: it is averaged over its own size
    if (this.inBatch > 0 && (this.inBatch === this.config.metaBatchSize || lastOfEpoch)) {
      if (this.inBatch > 1) for (let j = 0; j < batchGrad.length; j++) batchGrad[j] /= this.inBatch;
      this.adam.step(theta, batchGrad);
      this.thetaRead = false;
      batchGrad.fill(0);
      this.inBatch = 0;
    }
    this.task++;
    if (lastOfEpoch) {
      this.history.push(this.lossSum / this.epochLength);
      this.lossSum = 0;
      this.task = 0;
      this.epoch++;
      if (!this.done) this.startEpoch();
    }
    return loss;
  }

  /** A copy of the state, for a snapshot. */
  state(): ReplicaState {
    const adam = this.adam.getState();
    return {
      replica: this.replica,
      epoch: this.epoch,
      task: this.task,
      epochRng: [...this.epochRng],
      rng: this.rng.getState(),
      theta: this.theta.slice(),
      adamM: adam.m,
      adamV: adam.v,
      adamSteps: adam.t,
      batchGrad: this.batchGrad.slice(),
      inBatch: this.inBatch,
      lossSum: this.lossSum,
      history: [...this.history],
    };
  }

  result(): { theta: Float64Array; history: number[] } {
    return { theta: this.theta.slice(), history: [...this.history] };
  }
}

/** Train one replica; `onTask` is called after every task with its loss. */
export function trainReplica(config: TrainConfig, replica: number, pool: SineTask[], onTask?: (loss: number) => void): { theta: Float64Array; history: number[] } {
  const trainer = new ReplicaTrainer(config, replica, pool);
  while (!trainer.done) {
    const loss = trainer.step();
    onTask?.(loss);
  }
  return trainer.result();
}

/** Tasks a (partial) run has done, over all replicas. */
export function tasksDoneIn(state: RunState | undefined, config: TrainConfig, poolSize = config.tasks): number {
  const perEpoch = config.freshTasks ? config.tasks : poolSize;
  return (state?.replicas ?? []).reduce((sum, r) => sum + (r === null ? 0 : r.epoch * perEpoch + r.task), 0);
}

/** The error a stopped training throws: its state is what a snapshot needs to resume. */
export class TrainingInterrupted extends InterruptedError {
  constructor(
    message: string,
    readonly state: RunState,
    readonly done: number,
    readonly total: number,
  ) {
    super(message);
    this.name = 'TrainingInterrupted';
  }
}

/** How often onSnapshot hears from a run by default. */
export const DEFAULT_SNAPSHOT_MS = 2000;

/** How many tasks a run processes over all replicas and epochs. */
export function totalTasks(config: TrainConfig, poolSize = config.tasks): number {
  return config.replicas * config.epochs * (config.freshTasks ? config.tasks : poolSize);
}

/**
 * Counts finished tasks (one at a time, or in bunches from workers) and calls onProgress every
 * `every` tasks with the mean loss since the last report; `finish(history)` makes the last
 * report, with the replicas' last-epoch losses: bunches from workers arrive in whatever order
 * the threads run, so a last window would hold different tasks from run to run.
 */
export function progressCounter(config: TrainConfig, total: number, options: TrainOptions, already = { done: 0, elapsedMs: 0 }, parallel = 1): { every: number; add: (tasks: number, lossSum: number, replica: number) => void; finish: (history: number[][]) => void; done: () => number } {
  const every = options.progressEvery ?? Math.max(1, Math.floor(total / 200));
  const start = performance.now() - already.elapsedMs;
  let done = already.done;
  let lastReport = 0;
  let windowLoss = 0;
  let windowCount = 0;
  const add = (tasks: number, lossSum: number, replica: number) => {
    done += tasks;
    windowLoss += lossSum;
    windowCount += tasks;
    if (!options.onProgress || done - lastReport < every || done === total) return;
    lastReport = done;
    options.onProgress({ replica, replicas: config.replicas, parallel, done, total, loss: windowLoss / windowCount, elapsedMs: performance.now() - start });
    windowLoss = 0;
    windowCount = 0;
  };
  const finish = (history: number[][]) => {
    const loss = history.reduce((sum, h) => sum + h[h.length - 1], 0) / history.length;
    options.onProgress?.({ replica: config.replicas - 1, replicas: config.replicas, parallel, done: total, total, loss, elapsedMs: performance.now() - start });
  };
  return { every, add, finish, done: () => done };
}

/**
 * The serial run: replicas one after the other. A generator, so that the same code runs
 * straight through (train) or lets the event loop in every `yieldEveryMs` (trainAsync: signal
 * handlers and timers run between tasks).
 */
function* serialRun(input: TrainConfigInput, options: TrainOptions, yieldEveryMs: number): Generator<void, TrainResult> {
  const config = resolveTrainConfig(input);
  const layout = paramLayout(config.layerSizes);
  const pool = options.pool ?? poolFor(config);
  const total = totalTasks(config, pool.length);
  const resume = checkResumeState(options.resume, config);
  const states: (ReplicaState | null)[] = resume?.replicas.map((r) => r) ?? new Array(config.replicas).fill(null);
  const previousMs = resume?.elapsedMs ?? 0;
  const progress = progressCounter(config, total, options, { done: tasksDoneIn(resume, config, pool.length), elapsedMs: previousMs });
  const start = performance.now();
  const everyMs = options.snapshotEveryMs ?? DEFAULT_SNAPSHOT_MS;
  const runState = (): RunState => ({ replicas: states.slice(), elapsedMs: previousMs + performance.now() - start });
  let lastSnapshot = performance.now();
  let lastYield = lastSnapshot;
  const replicas: Float64Array[] = [];
  const history: number[][] = [];
  for (let r = 0; r < config.replicas; r++) {
    const trainer = new ReplicaTrainer(config, r, pool, states[r] ?? undefined);
    while (!trainer.done) {
      if (options.signal?.aborted) {
        states[r] = trainer.state();
        const state = runState();
        options.onSnapshot?.(state);
        const done = tasksDoneIn(state, config, pool.length);
        throw new TrainingInterrupted(`training interrupted at ${done} / ${total} tasks`, state, done, total);
      }
      const loss = trainer.step();
      progress.add(1, loss, r);
      const now = performance.now();
      if (options.onSnapshot && now - lastSnapshot >= everyMs && !trainer.done) {
        states[r] = trainer.state();
        options.onSnapshot(runState());
        lastSnapshot = performance.now();
      }
      if (now - lastYield >= yieldEveryMs) {
        yield;
        lastYield = performance.now();
      }
    }
    states[r] = trainer.state();
    if (options.onSnapshot && r < config.replicas - 1) {
      options.onSnapshot(runState());
      lastSnapshot = performance.now();
    }
    const out = trainer.result();
    replicas.push(out.theta);
    history.push(out.history);
  }
  progress.finish(history);
  const elapsedMs = previousMs + performance.now() - start;
  return { config, layout, replicas, history, elapsedMs, msPerTask: elapsedMs / total };
}

/** A resume state must belong to this config: one entry per replica, each where it says. */
export function checkResumeState(state: RunState | undefined, config: TrainConfig): RunState | undefined {
  if (state === undefined) return undefined;
  if (!Array.isArray(state.replicas) || state.replicas.length !== config.replicas) {
    fail('resume state', Array.isArray(state.replicas) ? `${state.replicas.length} replicas` : state.replicas, `${config.replicas} replica entries`);
  }
  state.replicas.forEach((r, i) => {
    if (r !== null && r.replica !== i) fail(`resume state replicas[${i}].replica`, r.replica, String(i));
  });
  return state;
}

/**
 * Train every replica, serially. With `onSnapshot`, the run reports its state every
 * `snapshotEveryMs` of work and at each replica end; with `resume`, it continues from such a
 * state, and the result is the one of an uninterrupted run, bit for bit.
 *
 * @example
 *   const model = train({ algo: 'maml', tasks: 10_000, epochs: 4, replicas: 5, seed: 0 });
 *   model.replicas[0]; // the first model's parameters (Float64Array, layout: model.layout)
 */
export function train(input: TrainConfigInput, options: TrainOptions = {}): TrainResult {
  const run = serialRun(input, options, Infinity);
  for (;;) {
    const next = run.next();
    if (next.done) return next.value;
  }
}

/**
 * train() that lets the event loop run every 50 ms, so that a signal handler can abort it
 * (options.signal: it stops after the current task, reports its state to onSnapshot and throws
 * TrainingInterrupted). Same numbers as train().
 */
export async function trainAsync(input: TrainConfigInput, options: TrainOptions = {}): Promise<TrainResult> {
  const run = serialRun(input, options, 50);
  for (;;) {
    const next = run.next();
    if (next.done) return next.value;
    await new Promise((resolve) => setImmediate(resolve));
  }
}
