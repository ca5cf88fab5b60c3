/**
 * Evaluation as in the original's eval_sine_test: copy the parameters, take k plain SGD steps
 * on a task's K support points (the same points every step), and measure the MSE on the task's
 * evenly spaced test points after each step.
 *
 * Plain SGD from a meta-learned initialisation can diverge on a few tasks (MSE → ∞). Such a
 * task is counted per step and left out of the mean, and the median (over all tasks) is given
 * beside the mean, so one diverged task never turns a table into NaN or ∞. A task counts as
 * diverged once its test MSE is not finite or exceeds DIVERGED_MSE: amplitudes are at most 5,
 * so predicting 0 everywhere scores at most 25, and an MSE 400 times that is no fit at all
 * (a run-away SGD can take many steps to overflow to ∞, in float64 more than in float32; with
 * the threshold both precisions counted the same diverged tasks in every case tested).
 *
 * Precision: the default engine, wasm-f32, adapts and scores in float32, as the PyTorch
 * original does and as training's default engine does; `engine: 'wasm'` runs the same kernels
 * in float64 and `engine: 'fast'` the readable float64 TypeScript reference. At lr 0.01 they
 * agree to ≤ 1e-3 relative per task and ≤ 1e-5 in the mean (test/wasm-f32.test.ts; measured on
 * the recipe's trained MAML, `npm run bench -- --only-eval-precision`: 2.4e-5 per task at most,
 * the means to 6-7 significant digits), in 0.48-0.68 of the time. Where plain SGD runs away
 * (a rate far above what the model was trained for) every rounding difference grows: there
 * the means over the tasks not yet diverged differ in the third digit.
 *
 * Explained in notebook 03 (eval_sine_test, plot_sine_learning, diverged tasks).
 */
import { FastMlp, Workspace } from '../model/fastMlp';
import { Precision, WasmMlp, WasmTape, WasmVector, wasmPrecision } from '../model/wasmMlp';
import { ParamLayout } from '../model/params';
import { DataSet, SineTask } from '../tasks/sineTask';
import { checkInt, checkOneOf, checkPositive, fail } from '../core/validate';

/** The test MSE above which a task counts as diverged (see above: 400 times the worst fit of 0). */
export const DIVERGED_MSE = 1e4;

/** How an evaluation adapts: the SGD steps, where the test MSE is recorded and the learning rate. */
export interface EvalOptions {
  /** the largest number of SGD steps k */
  steps: number;
  /**
   * the steps k at which the test MSE is measured (default: every k = 0..steps). Measuring is
   * most of the cost of a step (50 test points against 10 support points), so long curves
   * can record fewer points.
   */
  record?: number[];
  /** SGD learning rate (the original: 0.01; 0.02 in one transfer plot) */
  lr: number;
  /**
   * which engine runs the SGD steps: `wasm-f32` (default, fastest: float32), `wasm` (the same
   * kernels in float64) or `fast` (the readable float64 TypeScript reference). wasm and fast
   * agree to ~1e-15 relative, not bit for bit; wasm-f32 to float32's precision (see above)
   */
  engine?: EvalEngine;
}

/** The engines evaluation can run on (tfjs's autodiff path is for explaining, not for bulk work). */
export const EVAL_ENGINES = ['wasm-f32', 'wasm', 'fast'] as const;
/** The engine evaluation runs on unless told otherwise (training's default precision too). */
export const DEFAULT_EVAL_ENGINE: EvalEngine = 'wasm-f32';
/** An evaluation engine's name. */
export type EvalEngine = (typeof EVAL_ENGINES)[number];

/** The test MSE over tasks after one number of SGD steps: mean ± 95% CI, median, diverged tasks. */
export interface StepSummary {
  step: number;
  /** mean over the tasks whose MSE stayed finite */
  mean: number;
  /** half-width of the 95% confidence interval of that mean: 1.96 · sd / √n */
  ci95: number;
  /** median over all tasks (a diverged task counts as +∞) */
  median: number;
  /** tasks whose MSE diverged (∞, NaN or above DIVERGED_MSE) by this step */
  diverged: number;
  /** tasks in the mean */
  n: number;
}

/** An evaluation of one or more replicas: per-task MSEs, per-replica means and a summary per recorded step. */
export interface EvalResult {
  steps: number[];
  lr: number;
  tasks: number;
  replicas: number;
  /** perTask[i][t]: MSE after steps[i] steps on task t, averaged over replicas */
  perTask: Float64Array[];
  /** perReplica[r][i]: mean MSE of replica r alone over the tasks after steps[i] steps (finite tasks) */
  perReplica: number[][];
  summary: StepSummary[];
}

/** What adapts one model to one task and records its test MSE curve (see Adapter.curve). */
interface CurveAdapter {
  curve(init: Float64Array, task: SineTask, record: number[], lr: number, out: Float64Array): void;
}

/** A buffer of SGD state for one model, reused across tasks. */
class Adapter implements CurveAdapter {
  readonly theta: Float64Array;
  readonly grad: Float64Array;
  readonly pass: Workspace;

  constructor(readonly net: FastMlp, capacity: number) {
    this.theta = new Float64Array(net.size);
    this.grad = new Float64Array(net.size);
    this.pass = net.workspace(capacity);
  }

  /**
   * Writes the test MSE after each recorded number of SGD steps into `out` (one value per
   * entry of `record`, ascending). A Meta-SGD model carries one learned learning rate per
   * weight after its weights; they replace `lr`.
   */
  curve(init: Float64Array, task: SineTask, record: number[], lr: number, out: Float64Array): void {
    const { theta, grad, pass, net } = this;
    const P = theta.length;
    const lrs = init.length === 2 * P ? init.subarray(P) : null;
    theta.set(init.subarray(0, P));
    const test = task.testSet();
    const support = task.supportSet();
    recordCurve(record, out, () => net.loss(theta, test.x, test.y, pass), (steps, at) =>
      sgdAdapt(net, pass, theta, grad, support, lr, lrs, steps, true, at));
  }
}

/**
 * Adapter's curve on a wasm engine: the same steps, in the same order, on vectors in its memory
 * (float64, or float32: θ and the learned rates rounded to float32 once, at the start).
 */
class WasmAdapter<P extends Precision> implements CurveAdapter {
  private readonly theta: WasmVector<P>;
  private readonly grad: WasmVector<P>;
  private readonly rates: WasmVector<P>;
  private readonly supportPass: WasmTape;
  private readonly testPass: WasmTape;

  constructor(private readonly net: WasmMlp<P>, capacity: number) {
    this.theta = net.vector(net.size);
    this.grad = net.vector(net.size);
    this.rates = net.vector(net.size);
    this.supportPass = net.tape(capacity);
    this.testPass = net.tape(capacity);
  }

  curve(init: Float64Array, task: SineTask, record: number[], lr: number, out: Float64Array): void {
    const { net, theta, grad, rates, supportPass, testPass } = this;
    const P = net.size;
    const learnedRates = init.length === 2 * P;
    theta.set(init.subarray(0, P));
    if (learnedRates) rates.set(init.subarray(P));
    const support = task.supportSet();
    const test = task.testSet();
    net.setPoints(supportPass, support.x, support.y);
    net.setPoints(testPass, test.x, test.y);
    recordCurve(record, out, () => net.loss(theta, testPass), (steps, at) => {
      for (let k = 0; k <= steps; k++) {
        if (k > 0) {
          if (!Number.isFinite(net.lossAndGrad(theta, supportPass, grad))) return;
          if (learnedRates) net.sgdStepRates(theta, theta, rates, grad);
          else net.sgdStep(theta, theta, lr, grad);
        }
        if (!at(k)) return;
      }
    });
  }
}

/**
 * One adaptation curve, whichever engine adapts: `adapt(steps, at)` runs the SGD steps and
 * calls `at(k)` after step k (the fast engine through sgdAdapt, the wasm engine through its own
 * loop); at the steps in `record` the test MSE is written to `out`, and once the adaptation
 * stops (support loss not finite) or the test MSE leaves [0, DIVERGED_MSE] (NaN too), the
 * remaining entries are Infinity: a diverged task stays diverged.
 */
function recordCurve(record: number[], out: Float64Array, testMse: () => number, adapt: (steps: number, at: (k: number) => boolean) => void): void {
  let next = 0; // index into record
  adapt(record[record.length - 1], (k) => {
    if (record[next] !== k) return true;
    const mse = testMse();
    if (!(mse <= DIVERGED_MSE)) return false; // also catches NaN
    out[next++] = mse;
    return true;
  });
  while (next < record.length) out[next++] = Infinity;
}

/**
 * The SGD adaptation that evaluation curves and fit plots share: from `theta` (changed in
 * place), for k = 0..steps, take the k-th SGD step on the support set (k ≥ 1) and then call
 * `at(k)`; stop early when it returns false. With `stopWhenNonFinite`, a step whose support
 * loss is not finite is not taken and the adaptation stops there.
 */
export function sgdAdapt(
  net: FastMlp, pass: Workspace, theta: Float64Array, grad: Float64Array, support: DataSet,
  lr: number, lrs: Float64Array | null, steps: number, stopWhenNonFinite: boolean, at: (k: number) => boolean,
): void {
  for (let k = 0; k <= steps; k++) {
    if (k > 0) {
      const supportLoss = net.lossAndGrad(theta, support.x, support.y, pass, grad);
      if (stopWhenNonFinite && !Number.isFinite(supportLoss)) return;
      sgdStep(theta, grad, lr, lrs);
    }
    if (!at(k)) return;
  }
}

/** θ ← θ − lr·g, or θ ← θ − lrs ⊙ g with a Meta-SGD model's learned learning rates. */
export function sgdStep(theta: Float64Array, grad: Float64Array, lr: number, lrs: Float64Array | null): void {
  if (lrs === null) for (let j = 0; j < theta.length; j++) theta[j] -= lr * grad[j];
  else for (let j = 0; j < theta.length; j++) theta[j] -= lrs[j] * grad[j];
}

function checkEvalOptions(options: Partial<EvalOptions>): Required<EvalOptions> {
  const steps = checkInt('steps', options.steps ?? 10, 0);
  const record = options.record ?? Array.from({ length: steps + 1 }, (_, k) => k);
  if (!Array.isArray(record) || record.length === 0) fail('record', record, 'a non-empty list of steps');
  record.forEach((k, i) => {
    checkInt(`record[${i}]`, k, 0, steps);
    if (i > 0 && k <= record[i - 1]) fail('record', record, 'steps in increasing order');
  });
  if (record[record.length - 1] !== steps) fail('record', record, `a list that ends at steps = ${steps}`);
  return { steps, lr: checkPositive('lr', options.lr ?? 0.01), record: [...record], engine: checkOneOf('engine', options.engine ?? DEFAULT_EVAL_ENGINE, EVAL_ENGINES) };
}

function capacityFor(tasks: SineTask[]): number {
  let cap = 1;
  for (const t of tasks) cap = Math.max(cap, t.options.supportSize, t.options.testSize);
  return cap;
}

/** Mean ± 95% CI over the finite values, the median over all (non-finite as +∞), and how many diverged. */
export function summarize(values: ArrayLike<number>, step = 0): StepSummary {
  const finite: number[] = [];
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) finite.push(values[i]);
  const n = finite.length;
  const mean = n > 0 ? finite.reduce((a, b) => a + b, 0) / n : NaN;
  const sd = n > 1 ? Math.sqrt(finite.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : NaN;
  const sorted = Array.from(values, (v) => (Number.isFinite(v) ? v : Infinity)).sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length === 0 ? NaN : sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { step, mean, ci95: n > 1 ? (1.96 * sd) / Math.sqrt(n) : NaN, median, diverged: values.length - n, n };
}

/**
 * Evaluate one or more replicas of a model on held-out tasks. Per task the MSE is averaged
 * over replicas (as the PyTorch reference does), then summarised over tasks.
 */
/** Validates an evaluation's inputs; returns the resolved options. */
export function checkEvaluation(replicas: Float64Array[], layout: ParamLayout, tasks: SineTask[], options: Partial<EvalOptions>): Required<EvalOptions> {
  const resolved = checkEvalOptions(options);
  if (!Array.isArray(replicas) || replicas.length < 1) fail('replicas', replicas?.length, 'at least one parameter vector');
  if (!Array.isArray(tasks) || tasks.length < 1) fail('tasks', tasks?.length, 'at least one task');
  replicas.forEach((r, i) => {
    if (r.length !== layout.size && r.length !== 2 * layout.size) {
      fail(`replicas[${i}] length`, r.length, `${layout.size} parameters for layers [${layout.layerSizes}] (or ${2 * layout.size} for Meta-SGD)`);
    }
  });
  return resolved;
}

/**
 * The raw curves: curves[r][t * W + i] is replica r's test MSE on task t after record[i] steps
 * (W = record.length). Independent per task, so a task list can be split across workers and
 * joined again.
 */
export function adaptationCurves(replicas: Float64Array[], layout: ParamLayout, tasks: SineTask[], options: Required<EvalOptions>): Float64Array[] {
  const { record, lr } = options;
  const width = record.length;
  const capacity = capacityFor(tasks);
  const precision = wasmPrecision(options.engine);
  const adapter: CurveAdapter = precision === null ? new Adapter(new FastMlp(layout), capacity) : new WasmAdapter(new WasmMlp(layout, precision), capacity);
  const curves = replicas.map(() => new Float64Array(tasks.length * width));
  for (let t = 0; t < tasks.length; t++) {
    for (let r = 0; r < replicas.length; r++) {
      adapter.curve(replicas[r], tasks[t], record, lr, curves[r].subarray(t * width, (t + 1) * width));
    }
  }
  return curves;
}

/** Summaries from raw curves: replicas averaged per task, then mean ± CI over tasks per step. */
export function summarizeCurves(curves: Float64Array[], taskCount: number, options: Pick<Required<EvalOptions>, 'record' | 'lr'>): EvalResult {
  const { record, lr } = options;
  const width = record.length;
  const perTask = Array.from({ length: width }, () => new Float64Array(taskCount));
  const perReplica = curves.map((curve) => {
    const sums = new Float64Array(width);
    const counts = new Float64Array(width);
    for (let t = 0; t < taskCount; t++) {
      for (let k = 0; k < width; k++) {
        const v = curve[t * width + k];
        perTask[k][t] += v / curves.length;
        if (Number.isFinite(v)) {
          sums[k] += v;
          counts[k] += 1;
        }
      }
    }
    return Array.from(sums, (s, k) => s / counts[k]);
  });
  return { steps: [...record], lr, tasks: taskCount, replicas: curves.length, perTask, perReplica, summary: record.map((k, i) => summarize(perTask[i], k)) };
}

/**
 * Evaluate one or more replicas of a model on held-out tasks. Per task the MSE is averaged
 * over replicas (as the PyTorch reference does), then summarised over tasks.
 * (evaluateParallel in parallel.ts gives the same numbers using several cores.)
 *
 * @example
 *   const result = evaluate(model.replicas, model.layout, heldOutTasks(1000), { steps: 10, lr: 0.01 });
 *   const { mean, ci95 } = atStep(result, 1); // test MSE after one SGD step, ± its 95% CI
 */
export function evaluate(replicas: Float64Array[], layout: ParamLayout, tasks: SineTask[], options: Partial<EvalOptions> = {}): EvalResult {
  const resolved = checkEvaluation(replicas, layout, tasks, options);
  return summarizeCurves(adaptationCurves(replicas, layout, tasks, resolved), tasks.length, resolved);
}

/**
 * Predictions on the test points after each requested number of SGD steps (for fit plots), on
 * the fast engine (a handful of tasks: speed does not matter; its MSEs equal an evaluation with
 * `engine: 'fast'` bit for bit, the wasm engine's to ~1e-15, the default wasm-f32 engine's to float32's precision).
 *
 * @example
 *   const fit = fitPredictions(model.replicas[0], model.layout, oneSidedExample(), [0, 1, 10]);
 *   fit.predictions.map((p) => [p.step, p.mse]);
 */
export function fitPredictions(theta: Float64Array, layout: ParamLayout, task: SineTask, fits: number[], lr = 0.01, testSize = 100): { x: Float64Array; predictions: { step: number; y: Float64Array; mse: number }[] } {
  fits.forEach((k, i) => checkInt(`fits[${i}]`, k, 0));
  checkEvaluation([theta], layout, [task], { steps: 0, lr }); // also checks lr
  const net = new FastMlp(layout);
  const pass = net.workspace(Math.max(testSize, task.options.supportSize, task.options.testSize));
  const P = layout.size;
  const params = theta.slice(0, P);
  const lrs = theta.length === 2 * P ? theta.subarray(P) : null;
  const grad = new Float64Array(P);
  const test = task.testSet(testSize);
  const scored = task.testSet();
  const predictions: { step: number; y: Float64Array; mse: number }[] = [];
  sgdAdapt(net, pass, params, grad, task.supportSet(), lr, lrs, Math.max(0, ...fits), false, (k) => {
    if (fits.includes(k)) {
      const mse = net.loss(params, scored.x, scored.y, pass);
      predictions.push({ step: k, y: net.forward(params, test.x, pass).slice(), mse });
    }
    return true;
  });
  return { x: test.x, predictions };
}

/**
 * Paired per-task differences a − b at every step (both evaluated on the same tasks), with
 * their mean and 95% CI: the precise way to compare two models, since task difficulty cancels.
 */
export function pairedDifference(a: EvalResult, b: EvalResult): StepSummary[] {
  if (a.tasks !== b.tasks || a.steps.join() !== b.steps.join()) {
    fail('paired results', `${a.tasks} vs ${b.tasks} tasks, steps [${a.steps}] vs [${b.steps}]`, 'two evaluations on the same tasks and steps');
  }
  return a.steps.map((k, i) => summarize(a.perTask[i].map((v, t) => v - b.perTask[i][t]), k));
}

/** The summary after k steps (k must be one of the recorded steps). */
export function atStep(result: EvalResult, k: number): StepSummary {
  const i = result.steps.indexOf(k);
  if (i < 0) fail('step', k, `one of the recorded steps [${result.steps}]`);
  return result.summary[i];
}
