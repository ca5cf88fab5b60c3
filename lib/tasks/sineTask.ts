/**
 * Sine-wave regression tasks y = A sin(x + φ), as in the original notebook's SineWaveTask:
 * amplitude A ~ U(0.1, 5), phase φ ~ U(0, 2π), inputs x ~ U(-5, 5).
 * A task's K support points are drawn once and kept (the original caches `train_x`); every
 * query call draws fresh points; the test set is evenly spaced on the x range.
 *
 * Explained in notebook 01.
 */
import { Rng } from './rng';
import { checkInt, checkRange, MamlInputError } from '../core/validate';

/** Points of a task: inputs x and targets y, of equal length. */
export interface DataSet {
  x: Float64Array;
  y: Float64Array;
}

/** The task family: ranges of amplitude, phase and x, and the sizes of the support, query and test sets. */
export interface SineTaskOptions {
  amplitudeRange: [number, number];
  phaseRange: [number, number];
  xRange: [number, number];
  /** K: support points per task */
  supportSize: number;
  /** fresh points per query call */
  querySize: number;
  /** evenly spaced test points */
  testSize: number;
}

/** The original notebook's task family. */
export const ORIGINAL_TASKS: Readonly<SineTaskOptions> = Object.freeze({
  amplitudeRange: [0.1, 5.0] as [number, number],
  phaseRange: [0, 2 * Math.PI] as [number, number],
  xRange: [-5, 5] as [number, number],
  supportSize: 10,
  querySize: 10,
  testSize: 50,
});

/** The MAML paper's family (Finn et al. 2017, §5.1): phase U(0, π). */
export const PAPER_TASKS: Readonly<SineTaskOptions> = Object.freeze({
  ...ORIGINAL_TASKS,
  phaseRange: [0, Math.PI] as [number, number],
});

/** The original's task family with `overrides`, checked. */
export function taskOptions(overrides: Partial<SineTaskOptions> = {}): SineTaskOptions {
  const o = { ...ORIGINAL_TASKS, ...overrides };
  return {
    amplitudeRange: checkRange('amplitudeRange', o.amplitudeRange),
    phaseRange: checkRange('phaseRange', o.phaseRange),
    xRange: checkRange('xRange', o.xRange),
    supportSize: checkInt('supportSize', o.supportSize, 1),
    querySize: checkInt('querySize', o.querySize, 1),
    testSize: checkInt('testSize', o.testSize, 2),
  };
}

/** One sine task y = A sin(x + φ): its K cached support points, fresh query points and the test grid. */
export class SineTask {
  constructor(
    readonly amplitude: number,
    readonly phase: number,
    /** the task's K support inputs, drawn once */
    readonly supportX: Float64Array,
    readonly options: SineTaskOptions,
    /**
     * fixed test inputs, or null for the evenly spaced grid. The MAML paper's published code
     * tests each task on K random inputs drawn with its K support inputs (see paperTestTasks).
     */
    readonly testX: Float64Array | null = null,
  ) {}

  f(x: number): number {
    return this.amplitude * Math.sin(x + this.phase);
  }

  private label(x: Float64Array): DataSet {
    return { x, y: this.labelInto(x, new Float64Array(x.length)) };
  }

  /** Writes f(x[i]) into y[i] and returns y: the labels supportSet and querySet give, without allocating. */
  labelInto(x: Float64Array, y: Float64Array): Float64Array {
    for (let i = 0; i < x.length; i++) y[i] = this.f(x[i]);
    return y;
  }

  /** The K cached support points (the same every call). */
  supportSet(): DataSet {
    return this.label(this.supportX);
  }

  /** Fresh query points, drawn from `rng`. */
  querySet(rng: Rng, size = this.options.querySize): DataSet {
    checkInt('query size', size, 1);
    return this.label(this.drawInputs(rng, new Float64Array(size)));
  }

  /** Fills `x` with fresh inputs from `rng` (the numbers querySet draws) and returns it. */
  drawInputs(rng: Rng, x: Float64Array): Float64Array {
    const [lo, hi] = this.options.xRange;
    for (let i = 0; i < x.length; i++) x[i] = rng.uniform(lo, hi);
    return x;
  }

  /**
   * The test points: the task's fixed test inputs if it has them (and no `size` is asked for),
   * else `size` evenly spaced points over the x range, ends included (numpy's linspace).
   */
  testSet(size?: number): DataSet {
    if (size === undefined && this.testX !== null) return this.label(this.testX);
    return this.label(linspace(this.options.xRange[0], this.options.xRange[1], checkInt('test size', size ?? this.options.testSize, 2)));
  }
}

/** `count` evenly spaced numbers from `start` to `stop` (both included), as numpy.linspace. */
export function linspace(start: number, stop: number, count: number): Float64Array {
  const out = new Float64Array(count);
  const step = (stop - start) / (count - 1);
  for (let i = 0; i < count; i++) out[i] = start + i * step;
  out[count - 1] = stop;
  return out;
}

/**
 * Draw one task: amplitude, phase, then its K support inputs, all from `rng`.
 *
 * @example
 *   const task = sampleTask(new Rng(0));
 *   const { x, y } = task.supportSet(); // the same K points at every call
 */
export function sampleTask(rng: Rng, options: SineTaskOptions = ORIGINAL_TASKS): SineTask {
  return sampleTaskInto(rng, options, new Float64Array(options.supportSize));
}

/**
 * sampleTask with the support inputs written into `supportX` (options.supportSize long), which
 * the task keeps: the trainer reuses one array for its fresh tasks, each valid until the next.
 */
export function sampleTaskInto(rng: Rng, options: SineTaskOptions, supportX: Float64Array): SineTask {
  const amplitude = rng.uniform(options.amplitudeRange[0], options.amplitudeRange[1]);
  const phase = rng.uniform(options.phaseRange[0], options.phaseRange[1]);
  for (let i = 0; i < supportX.length; i++) supportX[i] = rng.uniform(options.xRange[0], options.xRange[1]);
  return new SineTask(amplitude, phase, supportX, options);
}

/**
 * Move `rng` past `count` tasks without drawing them: afterwards it is where `count` calls of
 * sampleTask(rng, options) would leave it (each takes 2 + K numbers), without allocating them.
 */
export function skipTasks(rng: Rng, count: number, options: SineTaskOptions = ORIGINAL_TASKS): void {
  const draws = count * (2 + options.supportSize);
  for (let i = 0; i < draws; i++) rng.next();
}

/** A fixed pool of tasks (the original: 10,000 for training, 1,000 held out). */
export function makeTaskPool(count: number, rng: Rng, options: Partial<SineTaskOptions> = {}): SineTask[] {
  checkInt('tasks', count, 1);
  const opts = taskOptions(options);
  const pool: SineTask[] = [];
  for (let i = 0; i < count; i++) pool.push(sampleTask(rng, opts));
  return pool;
}

/** True when all support inputs lie on one side of 0 (the original's ONE_SIDED_EXAMPLE). */
export function isOneSided(task: SineTask): boolean {
  let min = Infinity;
  let max = -Infinity;
  for (const x of task.supportX) {
    min = Math.min(min, x);
    max = Math.max(max, x);
  }
  return max < 0 || min > 0;
}

/**
 * Draw tasks until one has all its support points on one side of 0, as the original does.
 * With K = 10 that takes ~500 draws on average (2 / 2^10).
 */
export function findOneSidedTask(rng: Rng, options: Partial<SineTaskOptions> = {}, maxDraws = 1_000_000): SineTask {
  const opts = taskOptions(options);
  if (opts.xRange[0] >= 0 || opts.xRange[1] <= 0) {
    throw new MamlInputError(`xRange = [${opts.xRange}] is invalid for a one-sided task: expected a range that contains 0`);
  }
  for (let i = 0; i < maxDraws; i++) {
    const task = sampleTask(rng, opts);
    if (isOneSided(task)) return task;
  }
  throw new MamlInputError(`no one-sided task in ${maxDraws} draws: expected a smaller supportSize (K = ${opts.supportSize})`);
}

/**
 * The same task seen with only its first K support points (K-shot evaluation on shared tasks);
 * a task with fixed test inputs keeps its first K of those too (the paper's K test points).
 */
export function withShots(task: SineTask, shots: number): SineTask {
  checkInt('shots', shots, 1, task.supportX.length);
  if (task.testX !== null) checkInt('shots', shots, 1, task.testX.length);
  return new SineTask(task.amplitude, task.phase, task.supportX.slice(0, shots), { ...task.options, supportSize: shots }, task.testX?.slice(0, shots) ?? null);
}

/**
 * Held-out tasks as the MAML paper's published code tests them (cbfinn/maml, main.py `test()`
 * with data_generator.py): each task draws its amplitude, its phase and 2K inputs; the first K
 * are the support set (`inputa`), the last K the test points (`inputb`), all uniform on the x
 * range. Here each task draws `maxShots` support inputs and then `maxShots` test inputs, so that
 * withShots(task, K) is that protocol's K-shot task and every K sees the same waves.
 *
 * @example
 *   const tasks = paperTestTasks(600, new Rng(11), 20, PAPER_TASKS).map((t) => withShots(t, 5));
 *   // tasks[i].testSet(): 5 random points; tasks[i].supportSet(): 5 other random points
 */
export function paperTestTasks(count: number, rng: Rng, maxShots: number, options: Partial<SineTaskOptions> = {}): SineTask[] {
  checkInt('tasks', count, 1);
  checkInt('shots', maxShots, 1);
  const opts = taskOptions({ ...options, supportSize: maxShots });
  const [lo, hi] = opts.xRange;
  return Array.from({ length: count }, () => {
    const task = sampleTask(rng, opts);
    const testX = new Float64Array(maxShots);
    for (let i = 0; i < maxShots; i++) testX[i] = rng.uniform(lo, hi);
    return new SineTask(task.amplitude, task.phase, task.supportX, opts, testX);
  });
}
