/**
 * Adam (Kingma & Ba) with PyTorch's defaults and bias correction, in place on a flat array.
 *
 * Explained in notebook 04 (the outer step).
 */
import { checkPositive, fail } from '../core/validate';
import type { Precision, WasmMlp, WasmVector } from '../model/wasmMlp';

/** Adam with PyTorch's defaults (β1 0.9, β2 0.999, ε 1e-8) over a flat parameter vector, updated in place. */
export class Adam {
  private readonly m: Float64Array;
  private readonly v: Float64Array;
  private t = 0;
  /** with a wasm engine: the moments live in its memory (float64, whatever the engine's precision) and its kernel runs the step loop */
  private wasm: { net: WasmMlp<Precision>; theta: WasmVector<'f64'>; grad: WasmVector<'f64'>; m: WasmVector<'f64'>; v: WasmVector<'f64'> } | null = null;

  /**
   * The largest subnormal k·2^-1074 (k ≤ 1000) that β1 maps to itself, and every smaller one too:
   * a first moment there with a zero gradient never changes again (0.9 · k·2^-1074 rounds back to
   * k·2^-1074 for k ≤ 5). See step().
   */
  private readonly stuckMax: number;

  constructor(
    size: number,
    readonly lr = 1e-3,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly eps = 1e-8,
  ) {
    checkPositive('metaLr', lr);
    this.m = new Float64Array(size);
    this.v = new Float64Array(size);
    let k = 0;
    while (k < 1000 && beta1 * ((k + 1) * Number.MIN_VALUE) === (k + 1) * Number.MIN_VALUE) k++;
    this.stuckMax = k * Number.MIN_VALUE;
  }

  /**
   * Run the step loop in a wasm engine's kernel (WasmMlp.adamStep: the same operations in the
   * same order, so the same bits, float64 also in a float32 engine); the moments move to its memory.
   */
  useWasm(net: WasmMlp<Precision>): this {
    const size = this.m.length;
    this.wasm = { net, theta: net.doubles(size), grad: net.doubles(size), m: net.doubles(size), v: net.doubles(size) };
    this.wasm.m.set(this.m);
    this.wasm.v.set(this.v);
    return this;
  }

  private get moments(): { m: Float64Array; v: Float64Array } {
    return this.wasm === null ? { m: this.m, v: this.v } : { m: this.wasm.m.array, v: this.wasm.v.array };
  }

  /** The moments and step count, copied (for snapshots). */
  getState(): { m: Float64Array; v: Float64Array; t: number } {
    const { m, v } = this.moments;
    return { m: m.slice(), v: v.slice(), t: this.t };
  }

  /** Continue from a state `getState()` returned. */
  setState(state: { m: Float64Array; v: Float64Array; t: number }): void {
    if (state.m.length !== this.m.length || state.v.length !== this.v.length) fail('adam state', state.m.length, `moments of length ${this.m.length}`);
    if (!Number.isInteger(state.t) || state.t < 0) fail('adam step', state.t, 'a non-negative integer');
    const { m, v } = this.moments;
    m.set(state.m);
    v.set(state.v);
    this.t = state.t;
  }

  /**
   * theta ← theta − lr · m̂ / (√v̂ + eps)
   *
   * A parameter whose gradient is exactly 0 step after step (a unit the ReLUs switch off) has its
   * first moment shrink into the subnormal range and stick there (see stuckMax), and arithmetic on
   * subnormals is ~100x slower: with half the moments stuck, a step took ~10x as long. Such an
   * entry is skipped when the formula would leave it unchanged: gradient ±0, m stuck, and |θ| above
   * `thetaMin`, where the update, at most stepSize · stuckMax / eps, is below half of θ's last bit,
   * so θ − update rounds to θ. v is updated as always. The same bits as the plain formula
   * (test/adam.test.ts checks them against it, stuck moments included).
   */
  step(theta: Float64Array, grad: Float64Array): void {
    this.t += 1;
    const { m, v, beta1, beta2, eps, stuckMax } = this;
    const c1 = 1 - beta1 ** this.t;
    const c2 = 1 - beta2 ** this.t;
    const stepSize = this.lr / c1;
    const sqrtC2 = Math.sqrt(c2);
    // |update| ≤ 2 |stepSize| · 2^-1064 / eps + 2^-1075 (stepSize · m rounds to 0 or at most
    // doubles in the subnormal range; the division adds at most half the smallest subnormal),
    // and θ − update rounds to θ when |update| < |θ| · 2^-55 (half the gap below a power of two):
    // whenever |θ| > |stepSize| / eps · 2^-1007 and |θ| > 2^-1000. 2^-946 leaves a wide margin;
    // if that underflows, |stepSize| / eps < 2^-76 and 2^-900 is a bound too.
    // eps ≤ 0 or a non-finite step: Infinity or NaN, so that no entry is skipped.
    const thetaMin = eps > 0 ? Math.max((Math.abs(stepSize) / eps) * 2 ** -946, 2 ** -900) : Infinity;
    if (this.wasm !== null) {
      const w = this.wasm;
      const hyper = { beta1, beta2, stepSize, sqrtC2, eps, stuckMax, thetaMin };
      const thetaAt = w.net.addressOf(theta);
      const gradAt = w.net.addressOf(grad);
      if (thetaAt !== null && gradAt !== null) {
        // θ and the gradient already live in the engine's memory (the trainer's): updated in place
        if (theta.length !== w.m.length || grad.length !== w.m.length) fail('adam step', `${theta.length} parameters and ${grad.length} gradients`, `${w.m.length} of each`);
        w.net.adamStepAt(thetaAt, gradAt, w.m, w.v, hyper);
        return;
      }
      w.theta.set(theta);
      w.grad.set(grad);
      w.net.adamStep(w.theta, w.grad, w.m, w.v, hyper);
      theta.set(w.theta.array);
      return;
    }
    for (let i = 0; i < theta.length; i++) {
      const g = grad[i];
      // a stuck entry computes with m = +0 (no subnormal operation): its update is ±0, so θ stays
      // (or turns NaN with v, as the formula would), and it keeps its old m; as the wasm kernel does
      const stuck = g === 0 && m[i] !== 0 && Math.abs(m[i]) <= stuckMax && Math.abs(theta[i]) > thetaMin;
      const mNew = beta1 * (stuck ? 0 : m[i]) + (1 - beta1) * g;
      if (!stuck) m[i] = mNew;
      v[i] = beta2 * v[i] + (1 - beta2) * g * g;
      // PyTorch's form: denom = sqrt(v) / sqrt(c2) + eps
      theta[i] -= (stepSize * mNew) / (Math.sqrt(v[i]) / sqrtC2 + eps);
    }
  }
}
