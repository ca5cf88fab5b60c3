/**
 * Independent reference implementations for the oracle tests, written from the definitions and
 * sharing no code with lib/: a plain MLP (forward pass and backpropagation, one point at a time),
 * the 50-point test grid, summary statistics, SGD and Adam. They are slow and obvious on
 * purpose; tests compare the library's fast code against them.
 */

/** Layer l of the flat vector: weights [out, in] row-major (as nn.Linear), then the bias. */
function layers(sizes: number[]): { w: number; b: number; nIn: number; nOut: number }[] {
  const out: { w: number; b: number; nIn: number; nOut: number }[] = [];
  let offset = 0;
  for (let l = 0; l + 1 < sizes.length; l++) {
    const nIn = sizes[l];
    const nOut = sizes[l + 1];
    out.push({ w: offset, b: offset + nIn * nOut, nIn, nOut });
    offset += nIn * nOut + nOut;
  }
  return out;
}

/** The number of parameters of an MLP with these layer sizes. */
export function refParamCount(sizes: number[]): number {
  let n = 0;
  for (let l = 0; l + 1 < sizes.length; l++) n += sizes[l] * sizes[l + 1] + sizes[l + 1];
  return n;
}

/** Forward pass for one input; returns every layer's pre-activation (the last is the output). */
function forwardPoint(theta: ArrayLike<number>, sizes: number[], x: number): number[][] {
  const L = layers(sizes);
  let a = [x];
  const pre: number[][] = [];
  L.forEach(({ w, b, nIn, nOut }, l) => {
    const z: number[] = [];
    for (let o = 0; o < nOut; o++) {
      let s = theta[b + o];
      for (let i = 0; i < nIn; i++) s += theta[w + o * nIn + i] * a[i];
      z.push(s);
    }
    pre.push(z);
    a = l < L.length - 1 ? z.map((v) => Math.max(0, v)) : z;
  });
  return pre;
}

export function refPredict(theta: ArrayLike<number>, sizes: number[], xs: ArrayLike<number>): number[] {
  return Array.from(xs, (x) => forwardPoint(theta, sizes, x).at(-1)![0]);
}

export function refMse(theta: ArrayLike<number>, sizes: number[], xs: ArrayLike<number>, ys: ArrayLike<number>): number {
  const p = refPredict(theta, sizes, xs);
  let s = 0;
  for (let i = 0; i < p.length; i++) s += (p[i] - ys[i]) ** 2;
  return s / p.length;
}

/** Gradient of the MSE by backpropagation, point by point (ReLU'(0) = 0, as PyTorch). */
export function refGrad(theta: ArrayLike<number>, sizes: number[], xs: ArrayLike<number>, ys: ArrayLike<number>): number[] {
  const L = layers(sizes);
  const g = new Array(refParamCount(sizes)).fill(0);
  const n = xs.length;
  for (let p = 0; p < n; p++) {
    const pre = forwardPoint(theta, sizes, xs[p]);
    const acts = [[xs[p]], ...pre.slice(0, -1).map((z) => z.map((v) => Math.max(0, v)))];
    let delta = [(2 * (pre.at(-1)![0] - ys[p])) / n];
    for (let l = L.length - 1; l >= 0; l--) {
      const { w, b, nIn, nOut } = L[l];
      const below = new Array(nIn).fill(0);
      for (let o = 0; o < nOut; o++) {
        g[b + o] += delta[o];
        for (let i = 0; i < nIn; i++) {
          g[w + o * nIn + i] += delta[o] * acts[l][i];
          below[i] += delta[o] * theta[w + o * nIn + i];
        }
      }
      if (l > 0) delta = below.map((d, i) => (pre[l - 1][i] > 0 ? d : 0));
    }
  }
  return g;
}

/** numpy.linspace(lo, hi, count) */
export function refGrid(lo: number, hi: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => (i === count - 1 ? hi : lo + ((hi - lo) * i) / (count - 1)));
}

/** Test MSE of a task y = A sin(x + φ) after each of 0..steps plain SGD steps on its support set. */
export function refCurve(
  theta: ArrayLike<number>,
  sizes: number[],
  task: { amplitude: number; phase: number; supportX: ArrayLike<number> },
  steps: number,
  lr: number | ArrayLike<number>,
  grid = refGrid(-5, 5, 50),
): number[] {
  const f = (x: number) => task.amplitude * Math.sin(x + task.phase);
  const sx = Array.from(task.supportX);
  const sy = sx.map(f);
  const gy = grid.map(f);
  let p = Array.from(theta);
  const out = [refMse(p, sizes, grid, gy)];
  for (let k = 1; k <= steps; k++) {
    const g = refGrad(p, sizes, sx, sy);
    p = p.map((v, j) => v - (typeof lr === 'number' ? lr : lr[j]) * g[j]);
    out.push(refMse(p, sizes, grid, gy));
  }
  return out;
}

export function refMean(v: number[]): number {
  let s = 0;
  for (const x of v) s += x;
  return s / v.length;
}

/** Sample standard deviation (n − 1 in the denominator). */
export function refSd(v: number[]): number {
  const m = refMean(v);
  let s = 0;
  for (const x of v) s += (x - m) * (x - m);
  return Math.sqrt(s / (v.length - 1));
}

/** Adam as in Kingma & Ba, Algorithm 1, with PyTorch's placement of ε (outside √v̂). */
export class RefAdam {
  private m: number[];
  private v: number[];
  private t = 0;
  constructor(size: number, private lr: number) {
    this.m = new Array(size).fill(0);
    this.v = new Array(size).fill(0);
  }
  step(theta: Float64Array, g: ArrayLike<number>): void {
    this.t++;
    for (let i = 0; i < theta.length; i++) {
      this.m[i] = 0.9 * this.m[i] + 0.1 * g[i];
      this.v[i] = 0.999 * this.v[i] + 0.001 * g[i] * g[i];
      const mHat = this.m[i] / (1 - 0.9 ** this.t);
      const vHat = this.v[i] / (1 - 0.999 ** this.t);
      theta[i] -= (this.lr * mHat) / (Math.sqrt(vHat) + 1e-8);
    }
  }
}
