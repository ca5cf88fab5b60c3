/**
 * The playground's arithmetic: adapt one model to a handful of points with k plain SGD steps
 * and score it, in Node and, bundled by esbuild, in the browser. It is evaluation's own code:
 * FastMlp's forward pass and gradient, evaluate.ts's SGD step (a Meta-SGD model's learned
 * rates replace the learning rate there too), sineTask.ts's task, test grid and linspace.
 * Nothing here imports Node, so the same module runs in a page. (Math.sin, behind a task's
 * values, is the JavaScript engine's own: Chromium's can differ from Node's in the last bit.)
 *
 * Explained in notebook 11 and README "Try it yourself".
 */
import { DIVERGED_MSE, sgdStep } from '../evaluation/evaluate';
import { FastMlp, Workspace } from '../model/fastMlp';
import { ParamLayout, paramLayout } from '../model/params';
import { linspace, ORIGINAL_TASKS, SineTask } from '../tasks/sineTask';
import { MamlInputError } from '../core/validate';

/** Points on which the adapted curves are drawn: fitPredictions' default (100 on the x range). */
export const CURVE_POINTS = 100;

/** What one adaptation needs: the support points, the steps and the learning rate. */
export interface AdaptInput {
  /** the support points (any number, 0 included: then nothing is adapted) */
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  steps: number;
  /** plain SGD learning rate; a Meta-SGD model (2P numbers) uses its learned rates instead */
  lr: number;
  /** the task the points come from, when it is known: the test MSE is measured against it */
  task: { amplitude: number; phase: number } | null;
}

/** The result of one adaptation: the adapted weights, the curve on the plot's grid and the test MSE. */
export interface Adaptation {
  /** the adapted weights (P numbers; a Meta-SGD model's rates are not adapted) */
  theta: Float64Array;
  /** the adapted network on CURVE_POINTS evenly spaced x */
  curve: Float64Array;
  /** test MSE on the task's 50-point grid (as evaluate() measures it), or null without a task */
  testMse: number | null;
  /** MSE on the support points after adapting, or null without points */
  supportMse: number | null;
  /**
   * a support loss that was not finite, or a final test MSE above DIVERGED_MSE (or not
   * finite); evaluate() also counts a task whose MSE passed DIVERGED_MSE at an earlier step
   */
  diverged: boolean;
}

/** An adaptation in progress: start(), then step() as often as wanted, score() at any point. */
export interface AdaptRun {
  theta: Float64Array;
  lrs: Float64Array | null;
  x: Float64Array;
  y: Float64Array;
  lr: number;
  steps: number;
}

/** One network shape, reusable buffers; `adapt` is called once per model and redraw. */
export class PlaygroundEngine {
  readonly layout: ParamLayout;
  readonly net: FastMlp;
  readonly curveX: Float64Array;
  private ws: Workspace;
  private readonly grad: Float64Array;

  constructor(layerSizes?: readonly number[]) {
    this.layout = paramLayout(layerSizes);
    this.net = new FastMlp(this.layout);
    this.curveX = linspace(ORIGINAL_TASKS.xRange[0], ORIGINAL_TASKS.xRange[1], CURVE_POINTS);
    this.ws = this.net.workspace(Math.max(CURVE_POINTS, ORIGINAL_TASKS.testSize, ORIGINAL_TASKS.supportSize));
    this.grad = new Float64Array(this.layout.size);
  }

  /** The task as sineTask.ts defines it, with these support inputs. */
  static task(amplitude: number, phase: number, x: ArrayLike<number>): SineTask {
    const supportX = Float64Array.from(x);
    return new SineTask(amplitude, phase, supportX, { ...ORIGINAL_TASKS, supportSize: Math.max(1, supportX.length) });
  }

  /**
   * k SGD steps from `init` on the points, exactly as evaluate()'s adapter and fitPredictions()
   * take them (same operations in the same order, so the same float64 results).
   */
  adapt(init: Float64Array, input: AdaptInput): Adaptation {
    const run = this.start(init, input);
    let diverged = false;
    for (let k = 1; k <= input.steps; k++) if (!this.step(run)) diverged = true;
    return this.score(run, input.task, diverged);
  }

  /** The state of one adaptation: the parameters so far and the points (see adapt()). */
  start(init: Float64Array, input: Pick<AdaptInput, 'x' | 'y' | 'lr'>): AdaptRun {
    const P = this.layout.size;
    if (init.length !== P && init.length !== 2 * P) {
      throw MamlInputError.about('init', `has ${init.length} numbers: expected ${P} (or ${2 * P} for Meta-SGD)`, { value: init.length, expected: `${P} or ${2 * P} numbers` });
    }
    const n = input.x.length;
    if (input.y.length !== n) throw new MamlInputError(`${n} x values but ${input.y.length} y values`, { option: 'y', value: input.y.length, expected: `${n} values, one per x` });
    if (this.ws.capacity < n) this.ws = this.net.workspace(n);
    return {
      theta: init.slice(0, P), lrs: init.length === 2 * P ? init.subarray(P) : null,
      x: Float64Array.from(input.x), y: Float64Array.from(input.y), lr: input.lr, steps: 0,
    };
  }

  /** One SGD step in place (none without points); false when the support loss was not finite. */
  step(run: AdaptRun): boolean {
    run.steps++;
    if (run.x.length === 0) return true;
    const supportLoss = this.net.lossAndGrad(run.theta, run.x, run.y, this.ws, this.grad);
    sgdStep(run.theta, this.grad, run.lr, run.lrs);
    return Number.isFinite(supportLoss);
  }

  /** The curve and the MSEs of the parameters reached so far (`diverged`: a step's loss was not finite). */
  score(run: AdaptRun, task: AdaptInput['task'], diverged: boolean): Adaptation {
    const { net, ws } = this;
    const theta = run.theta.slice();
    let testMse: number | null = null;
    if (task !== null) {
      const test = PlaygroundEngine.task(task.amplitude, task.phase, run.x).testSet();
      testMse = net.loss(theta, test.x, test.y, ws);
      if (!(testMse <= DIVERGED_MSE)) diverged = true;
    }
    const supportMse = run.x.length > 0 ? net.loss(theta, run.x, run.y, ws) : null;
    const curve = net.forward(theta, this.curveX, ws).slice();
    return { theta, curve, testMse, supportMse, diverged };
  }
}

/**
 * What the page gets from Node (inline JSON). Declared here, not beside the DOM code, so that
 * Node (and tslab, which compiles without the DOM library) never has to compile that code.
 */
export interface PlaygroundModelSpec {
  key: string;
  name: string;
  color: string;
  /** the initialisation (P numbers, or 2P for Meta-SGD: weights then learned rates) */
  params: number[];
  /** one line on where it comes from */
  about: string;
}

/** Everything the page is built from: its element id, the models, the tasks and the starting settings. */
export interface PlaygroundSpec {
  /** the container's id; the chart is the element `${id}-plot` */
  id: string;
  layerSizes: number[];
  models: PlaygroundModelSpec[];
  steps: number;
  lr: number;
  /** seed of the held-out tasks the "new task" button walks through (SINE_TEST) */
  heldOutSeed: number;
}
