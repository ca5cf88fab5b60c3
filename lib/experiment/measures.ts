/**
 * What the notebooks measure beyond the evaluation curves, by name, so that notebook cells
 * show the experiment and not the engine: the training pool of a recipe, the one-sided
 * example, the error on the unseen half of one-sided tasks, the original's broadcast "MSE",
 * the stale inner gradients of its meta-batches, and the tensors a notebook leaves allocated.
 *
 * Explained in notebooks 02 (the one-sided example), 04 (extrapolation) and 10 (defects of the original).
 */
import { fitPredictions, summarize, StepSummary } from '../evaluation/evaluate';
import { FastMlp } from '../model/fastMlp';
import { ParamLayout } from '../model/params';
import { Rng, STREAM } from '../tasks/rng';
import { findOneSidedTask, SineTask, SineTaskOptions } from '../tasks/sineTask';
import { resolveTrainConfig, trainingPool, TrainConfigInput } from '../training/train';

/** The task pool a training config cycles through (the original's SINE_TRAIN). */
export function trainingTasks(input: TrainConfigInput): SineTask[] {
  return trainingPool(resolveTrainConfig(input));
}

/** The original's ONE_SIDED_EXAMPLE: the first drawn task whose K support points share a sign. */
export function oneSidedExample(options: Partial<SineTaskOptions> = {}): SineTask {
  return findOneSidedTask(new Rng(0, STREAM.oneSided), options);
}

/** `count` more one-sided tasks, from their own seed (none of them is the example). */
export function oneSidedTasks(count: number, seed = 1, options: Partial<SineTaskOptions> = {}): SineTask[] {
  const rng = new Rng(seed, STREAM.oneSided);
  return Array.from({ length: count }, () => findOneSidedTask(rng, options));
}

/**
 * Extrapolation of one-sided tasks: after k SGD steps on the support points (all on one side
 * of 0), the test MSE on the other half of the 50-point test grid, for the model (replicas
 * averaged per task) and for predicting 0 there; and their paired difference model − zero.
 */
export function unseenHalfErrors(replicas: Float64Array[], layout: ParamLayout, tasks: SineTask[], k: number, lr = 0.01): { model: Float64Array; zero: Float64Array; difference: StepSummary } {
  const model = new Float64Array(tasks.length);
  const zero = new Float64Array(tasks.length);
  tasks.forEach((task, t) => {
    const { x, y } = task.testSet();
    const positiveSide = task.supportX[0] > 0;
    const unseen = Array.from(x.keys()).filter((i) => (positiveSide ? x[i] < 0 : x[i] > 0));
    zero[t] = unseen.reduce((s, i) => s + y[i] ** 2, 0) / unseen.length;
    for (const theta of replicas) {
      const pred = fitPredictions(theta, layout, task, [k], lr, x.length).predictions[0].y;
      model[t] += unseen.reduce((s, i) => s + (pred[i] - y[i]) ** 2, 0) / unseen.length / replicas.length;
    }
  });
  return { model, zero, difference: summarize(model.map((v, t) => v - zero[t]), k) };
}

/**
 * What the original's `sine_fit1(get_test_loss=True)` would report: F.mse_loss of predictions
 * [n, 1] against targets [n] broadcasts to [n, n] and averages all (ŷ_i − y_j)².
 */
export function broadcastMse(predictions: ArrayLike<number>, targets: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < predictions.length; i++) for (let j = 0; j < targets.length; j++) sum += (predictions[i] - targets[j]) ** 2;
  return sum / (predictions.length * targets.length);
}

/**
 * The original's meta-batches of size B > 1: gradients are zeroed only after the Adam step, so
 * the inner step of the j-th task of a batch follows everything accumulated in `.grad` since
 * (its own support gradient, and each earlier task's support and query gradients, as with the
 * leak and first order). Returns, per position j in the batch, the relative error
 * ‖used − own‖ / ‖own‖ of the inner gradient, one value per batch.
 */
export function staleInnerGradientErrors(theta: Float64Array, layout: ParamLayout, tasks: SineTask[], batchSize: number, rng: Rng, innerLr = 0.01): number[][] {
  const net = new FastMlp(layout);
  const pass = net.workspace(Math.max(...tasks.map((t) => Math.max(t.options.supportSize, t.options.querySize))));
  const own = new Float64Array(net.size);
  const queryGrad = new Float64Array(net.size);
  const accumulated = new Float64Array(net.size);
  const errors: number[][] = Array.from({ length: batchSize }, () => []);
  for (let b = 0; b + batchSize <= tasks.length; b += batchSize) {
    accumulated.fill(0);
    for (let j = 0; j < batchSize; j++) {
      const task = tasks[b + j];
      const s = task.supportSet();
      const q = task.querySet(rng);
      net.lossAndGrad(theta, s.x, s.y, pass, own);
      for (let i = 0; i < own.length; i++) accumulated[i] += own[i];
      let num = 0;
      let den = 0;
      for (let i = 0; i < own.length; i++) {
        num += (accumulated[i] - own[i]) ** 2;
        den += own[i] ** 2;
      }
      errors[j].push(Math.sqrt(num / den));
      const adapted = theta.map((v, i) => v - innerLr * accumulated[i]);
      net.lossAndGrad(adapted, q.x, q.y, pass, queryGrad);
      for (let i = 0; i < own.length; i++) accumulated[i] += queryGrad[i];
    }
  }
  return errors;
}
