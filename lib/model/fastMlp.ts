/**
 * The fast engine: the MLP's forward pass, its gradient and its Hessian-vector product written
 * out by hand over Float64Arrays. It computes exactly what tfjs's nested autodiff computes
 * (test/gradients.test.ts checks both against float64 finite differences) without allocating
 * tensors, which makes bulk meta-training ~10x faster on this CPU-only machine.
 *
 * Notation for layer l (W: [out, in], row-major as nn.Linear):
 *   z_l = a_l W_lᵀ + b_l,   a_{l+1} = relu(z_l)   (the last layer has no ReLU)
 *   loss = mean over points of (z_last - y)²
 * The Hessian-vector product H·v uses Pearlmutter's R-operator: a forward and a backward pass
 * of directional derivatives R{·} = d/dε (·)(θ + εv) at ε = 0. ReLU's second derivative is 0
 * almost everywhere, so R{relu(z)} = relu'(z) R{z}.
 *
 * Four passes, each a loop over the layers with one function per layer: forward, backward
 * (the gradient), R-forward and R-backward (together the Hessian-vector product). They share
 * one description per layer (`Layer`: sizes and offsets into θ) and one tape (`Workspace`:
 * what the forward and backward passes recorded, which the R-passes read). The input layer's
 * inner loops drop the terms that are 0 or unused there (R{a_0} = 0; no gradient of x).
 *
 * Explained in notebook 02 (the model; the fast engine against autodiff) and notebook 04 (MAML's
 * meta-gradient with Hessian-vector products).
 */
import { ParamLayout } from './params';
import { MamlInputError } from '../core/validate';

/** One layer as the passes see it: its sizes and where its weights and biases sit in θ. */
export interface Layer {
  /** its index, from 0 (the input layer's weights) */
  readonly index: number;
  readonly nIn: number;
  readonly nOut: number;
  /** offset of W ([nOut, nIn], row-major) in θ */
  readonly wOff: number;
  /** offset of b ([nOut]) in θ */
  readonly bOff: number;
  /** whether a ReLU follows (every layer but the last) */
  readonly relu: boolean;
}

/** The layers of a parameter layout, in order. */
export function layersOf(layout: ParamLayout): Layer[] {
  const sizes = layout.layerSizes;
  const wOff = layout.entries.filter((e) => e.name.endsWith('.weight')).map((e) => e.offset);
  const bOff = layout.entries.filter((e) => e.name.endsWith('.bias')).map((e) => e.offset);
  return sizes.slice(1).map((nOut, l) => ({ index: l, nIn: sizes[l], nOut, wOff: wOff[l], bOff: bOff[l], relu: l < sizes.length - 2 }));
}

/**
 * The tape of one pass over up to `capacity` points: what forward() and lossAndGrad() record
 * and hvp() reads, and whose θ it was recorded for.
 */
export class Workspace {
  n = 0;
  /**
   * What the tape holds: nothing yet, a forward pass (forward, loss), or a forward and a
   * backward pass (lossAndGrad) of the θ in `theta`. hvp() needs the latter, for its θ.
   */
  filled: 'nothing' | 'forward' | 'gradient' = 'nothing';
  /** the θ array the tape was recorded for (compared by identity) */
  theta: Float64Array | null = null;
  /** acts[l]: input of layer l, [n, in_l]; acts[0] is x */
  readonly acts: Float64Array[];
  /** pre[l]: pre-activation z_l, [n, out_l]; the last one is the prediction */
  readonly pre: Float64Array[];
  /** dz[l]: dloss/dz_l */
  readonly dz: Float64Array[];
  readonly rActs: Float64Array[];
  readonly rPre: Float64Array[];
  readonly rDz: Float64Array[];
  /**
   * active[l][s·in_l + q], q < nActive[l][s]: the inputs of layer l that are nonzero for point
   * s. For l > 0 these are the units the ReLU let through (about half); every loop over a
   * layer's inputs runs over them only, because an inactive unit contributes nothing forward
   * and its gradient is masked to 0 backward.
   */
  readonly active: Int32Array[];
  readonly nActive: Int32Array[];

  constructor(readonly sizes: number[], readonly capacity: number) {
    const L = sizes.length - 1;
    const buf = (k: number) => new Float64Array(capacity * k);
    this.acts = sizes.slice(0, L).map(buf);
    this.pre = sizes.slice(1).map(buf);
    this.dz = sizes.slice(1).map(buf);
    // R{a_0} = 0: the input does not depend on θ (rActs[0] is never written)
    this.rActs = sizes.slice(0, L).map(buf);
    this.rPre = sizes.slice(1).map(buf);
    this.rDz = sizes.slice(1).map(buf);
    this.active = sizes.slice(0, L).map((k) => new Int32Array(capacity * k));
    this.nActive = sizes.slice(0, L).map(() => new Int32Array(capacity));
    // the network's input has no ReLU before it: all of it is "active"
    for (let s = 0; s < capacity; s++) {
      for (let i = 0; i < sizes[0]; i++) this.active[0][s * sizes[0] + i] = i;
      this.nActive[0][s] = sizes[0];
    }
  }
}

/**
 * The MLP on flat float64 parameter vectors (layout: params.ts). Buffers are the caller's:
 * a Workspace per pass that must be kept (MAML keeps one per inner step for the HVPs).
 *
 * @example
 *   const net = new FastMlp(paramLayout());
 *   const ws = net.workspace(10);
 *   const grad = new Float64Array(net.size);
 *   const loss = net.lossAndGrad(theta, support.x, support.y, ws, grad);
 *   net.hvp(theta, v, ws, hv); // H(θ)·v of the same loss: needs the lossAndGrad just above
 */
export class FastMlp {
  readonly sizes: number[];
  readonly size: number;
  readonly layers: Layer[];
  private readonly wT: Float64Array[];

  constructor(readonly layout: ParamLayout) {
    this.sizes = layout.layerSizes;
    this.size = layout.size;
    this.layers = layersOf(layout);
    this.wT = this.layers.map((layer) => new Float64Array(layer.nIn * layer.nOut));
  }

  /** A tape for passes over up to `capacity` points. */
  workspace(capacity: number): Workspace {
    return new Workspace(this.sizes, capacity);
  }

  /** Forward pass on x; fills ws and returns the predictions (a view of ws, length n). */
  forward(theta: Float64Array, x: Float64Array, ws: Workspace): Float64Array {
    const n = x.length;
    if (n > ws.capacity) throw new MamlInputError(`${n} points exceed the workspace capacity ${ws.capacity}`, { option: 'x', value: n, expected: `at most ${ws.capacity} points` });
    ws.n = n;
    ws.filled = 'forward';
    ws.theta = theta;
    ws.acts[0].set(x);
    for (const layer of this.layers) this.forwardLayer(theta, layer, ws, n);
    return ws.pre[this.layers.length - 1].subarray(0, n);
  }

  /** Mean squared error on (x, y) without gradients. */
  loss(theta: Float64Array, x: Float64Array, y: Float64Array, ws: Workspace): number {
    const pred = this.forward(theta, x, ws);
    let sum = 0;
    for (let s = 0; s < pred.length; s++) {
      const d = pred[s] - y[s];
      sum += d * d;
    }
    return sum / pred.length;
  }

  /** Loss and its gradient (written into `grad`); keeps on the tape what hvp() needs. */
  lossAndGrad(theta: Float64Array, x: Float64Array, y: Float64Array, ws: Workspace, grad: Float64Array): number {
    const pred = this.forward(theta, x, ws);
    const n = ws.n;
    const dOut = ws.dz[this.layers.length - 1];
    let sum = 0;
    for (let s = 0; s < n; s++) {
      const d = pred[s] - y[s];
      sum += d * d;
      dOut[s] = (2 * d) / n;
    }
    grad.fill(0);
    for (let l = this.layers.length - 1; l >= 0; l--) this.backwardLayer(theta, this.layers[l], ws, n, grad);
    ws.filled = 'gradient';
    return sum / n;
  }

  /**
   * out = H(θ) v, the Hessian of the loss of the last lossAndGrad() call on `ws` times the
   * direction v. Refuses a workspace whose tape is not that of a lossAndGrad() on this same θ
   * array (a forward-only pass, another θ, or nothing yet); changing θ's values in place
   * between the two calls is not detected.
   */
  hvp(theta: Float64Array, v: Float64Array, ws: Workspace, out: Float64Array): void {
    if (ws.filled !== 'gradient' || ws.theta !== theta) {
      const found = ws.filled === 'gradient' ? 'the gradient of another θ' : ws.filled === 'forward' ? 'a forward pass only' : 'nothing';
      throw new MamlInputError(`hvp: the workspace holds ${found}: expected the tape of lossAndGrad() on this θ, called just before`, {
        option: 'ws', value: ws.filled, expected: 'the workspace of the last lossAndGrad() on this θ',
      });
    }
    const n = ws.n;
    for (const layer of this.layers) this.rForwardLayer(theta, v, layer, ws, n);
    // R{dz_last} = 2 R{z_last} / n
    const last = this.layers.length - 1;
    const rOut = ws.rDz[last];
    const zOut = ws.rPre[last];
    for (let s = 0; s < n; s++) rOut[s] = (2 * zOut[s]) / n;
    out.fill(0);
    for (let l = last; l >= 0; l--) this.rBackwardLayer(theta, v, this.layers[l], ws, n, out);
  }

  /** Layer l's weights as [in, out] (a scratch copy, rewritten at every call). */
  private transposed(theta: Float64Array, layer: Layer): Float64Array {
    const { nIn, nOut, wOff } = layer;
    const wT = this.wT[layer.index];
    for (let o = 0; o < nOut; o++) {
      const row = wOff + o * nIn;
      for (let i = 0; i < nIn; i++) wT[i * nOut + o] = theta[row + i];
    }
    return wT;
  }

  /** z_l = a_l W_lᵀ + b_l over the active inputs; then a_{l+1} = relu(z_l) and its active units. */
  private forwardLayer(theta: Float64Array, layer: Layer, ws: Workspace, n: number): void {
    const { index: l, nIn, nOut, bOff } = layer;
    const a = ws.acts[l];
    const z = ws.pre[l];
    const active = ws.active[l];
    const nActive = ws.nActive[l];
    // column by column over the active inputs: wT is the weight matrix as [in, out]
    const wT = this.transposed(theta, layer);
    for (let s = 0; s < n; s++) {
      const as = s * nIn;
      const zs = s * nOut;
      for (let o = 0; o < nOut; o++) z[zs + o] = theta[bOff + o];
      const count = nActive[s];
      for (let q = 0; q < count; q++) {
        const i = active[as + q];
        const ai = a[as + i];
        const col = i * nOut;
        for (let o = 0; o < nOut; o++) z[zs + o] += wT[col + o] * ai;
      }
    }
    if (!layer.relu) return;
    const next = ws.acts[l + 1];
    const nextActive = ws.active[l + 1];
    const nextCount = ws.nActive[l + 1];
    for (let s = 0; s < n; s++) {
      const zs = s * nOut;
      let count = 0;
      for (let o = 0; o < nOut; o++) {
        const v = z[zs + o];
        if (v > 0) {
          next[zs + o] = v;
          nextActive[zs + count++] = o;
        } else {
          next[zs + o] = 0;
        }
      }
      nextCount[s] = count;
    }
  }

  /**
   * Layer l's gradient, gW_l += dz_lᵀ a_l and gb_l += Σ dz_l, and the gradient of its input
   * (the layer below's dz), only at the active units: relu'(z) = 1 where z > 0, else 0 (as PyTorch).
   */
  private backwardLayer(theta: Float64Array, layer: Layer, ws: Workspace, n: number, grad: Float64Array): void {
    const { index: l, nIn, nOut, wOff, bOff } = layer;
    const a = ws.acts[l];
    const dz = ws.dz[l];
    const active = ws.active[l];
    const nActive = ws.nActive[l];
    // the network's input needs no gradient: the input layer's loop drops it (~3% of a pass, measured)
    const da = l > 0 ? ws.dz[l - 1] : null;
    if (da !== null) da.fill(0, 0, n * nIn);
    for (let s = 0; s < n; s++) {
      const as = s * nIn;
      const count = nActive[s];
      for (let o = 0; o < nOut; o++) {
        const d = dz[s * nOut + o];
        if (d === 0) continue; // ReLU zeroes most of these
        grad[bOff + o] += d;
        const w = wOff + o * nIn;
        if (da === null) {
          for (let q = 0; q < count; q++) {
            const i = active[as + q];
            grad[w + i] += d * a[as + i];
          }
          continue;
        }
        for (let q = 0; q < count; q++) {
          const i = active[as + q];
          grad[w + i] += d * a[as + i];
          da[as + i] += d * theta[w + i];
        }
      }
    }
  }

  /** R{z_l} = R{a_l} W_lᵀ + a_l V_lᵀ + c_l (V, c: v's weights and biases); R{a_{l+1}} = relu'(z_l) R{z_l}. */
  private rForwardLayer(theta: Float64Array, v: Float64Array, layer: Layer, ws: Workspace, n: number): void {
    const { index: l, nIn, nOut, wOff, bOff } = layer;
    const a = ws.acts[l];
    const ra = ws.rActs[l];
    const rz = ws.rPre[l];
    const z = ws.pre[l];
    const active = ws.active[l];
    const nActive = ws.nActive[l];
    const next = layer.relu ? ws.rActs[l + 1] : null;
    for (let s = 0; s < n; s++) {
      const as = s * nIn;
      const count = nActive[s];
      for (let o = 0; o < nOut; o++) {
        const idx = s * nOut + o;
        if (next !== null && z[idx] <= 0) {
          // masked by the ReLU: nothing downstream depends on it
          rz[idx] = 0;
          next[idx] = 0;
          continue;
        }
        let sum = v[bOff + o];
        const w = wOff + o * nIn;
        if (l === 0) {
          // R{a_0} = 0
          for (let q = 0; q < count; q++) {
            const i = active[as + q];
            sum += v[w + i] * a[as + i];
          }
        } else {
          for (let q = 0; q < count; q++) {
            const i = active[as + q];
            sum += v[w + i] * a[as + i] + theta[w + i] * ra[as + i];
          }
        }
        rz[idx] = sum;
        if (next !== null) next[idx] = sum;
      }
    }
  }

  /** R{gW_l} = R{dz_l}ᵀ a_l + dz_lᵀ R{a_l};  R{da_l} = R{dz_l} W_l + dz_l V_l (at active units). */
  private rBackwardLayer(theta: Float64Array, v: Float64Array, layer: Layer, ws: Workspace, n: number, out: Float64Array): void {
    const { index: l, nIn, nOut, wOff, bOff } = layer;
    const a = ws.acts[l];
    const ra = ws.rActs[l];
    const dz = ws.dz[l];
    const rdz = ws.rDz[l];
    const active = ws.active[l];
    const nActive = ws.nActive[l];
    const rda = l > 0 ? ws.rDz[l - 1] : null;
    if (rda !== null) rda.fill(0, 0, n * nIn);
    for (let s = 0; s < n; s++) {
      const as = s * nIn;
      const count = nActive[s];
      for (let o = 0; o < nOut; o++) {
        const idx = s * nOut + o;
        const d = dz[idx];
        const rd = rdz[idx];
        if (d === 0 && rd === 0) continue;
        out[bOff + o] += rd;
        const w = wOff + o * nIn;
        if (rda === null) {
          // R{a_0} = 0, and no R{da_0}
          for (let q = 0; q < count; q++) {
            const i = active[as + q];
            out[w + i] += rd * a[as + i];
          }
          continue;
        }
        for (let q = 0; q < count; q++) {
          const i = active[as + q];
          out[w + i] += rd * a[as + i] + d * ra[as + i];
          rda[as + i] += rd * theta[w + i] + d * v[w + i];
        }
      }
    }
  }
}
