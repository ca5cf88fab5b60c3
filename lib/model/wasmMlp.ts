/**
 * The wasm engines: the same MLP, gradient and Hessian-vector product as the fast engine
 * (fastMlp.ts, the readable reference, whose header derives them), run by WebAssembly kernels
 * with 128-bit SIMD (wasm/mlp.ts, AssemblyScript, compiled by scripts/build-wasm.ts into
 * wasmKernelsGenerated.ts) in float64 (f64x2: the `wasm` engine) or float32 (f32x4, twice the
 * lanes: `wasm-f32`, for training; `new WasmMlp(layout, 'f32')`). Every vector the passes read
 * or write lives in the module's linear memory: the algorithms allocate their parameter,
 * gradient and direction vectors there (`net.vector(n)`), so a meta-gradient copies only θ in
 * and the result out.
 * Memory is laid out once, when vectors and tapes are made; nothing is allocated per call.
 *
 * Each WasmMlp owns one instance of the module (its own memory), so engines in different
 * trainers or worker threads never share state. No fused multiply-add and no relaxed SIMD:
 * the same inputs give the same bits everywhere (tested in the main thread and a worker).
 * A float32 engine keeps its θ, gradients and tapes in float32 (`vector()`); `doubles()` gives
 * float64 vectors in the same memory (Adam's state, which stays float64), and `fromF64` /
 * `toF64` convert between the two inside the module.
 *
 * Not in a notebook: README "Engines" (the notebooks' numbers come from training runs that use it).
 */
import { ParamLayout } from './params';
import { Layer, layersOf } from './fastMlp';
import { MamlInputError } from '../core/validate';
import { KERNELS_F32_WASM_BASE64, KERNELS_WASM_BASE64 } from './wasmKernelsGenerated';

/** The kernels' number type: float64 (f64x2 vectors) or float32 (f32x4). */
export type Precision = 'f64' | 'f32';
/** The typed array over a vector of each precision. */
export type RealArray<P extends Precision> = P extends 'f32' ? Float32Array : Float64Array;

/** Adam's constants for one step; stuckMax and thetaMin: see Adam.step in lib/optim/adam.ts (wasm/mlp.ts, adamStep) */
export interface AdamHyper { beta1: number; beta2: number; stepSize: number; sqrtC2: number; eps: number; stuckMax: number; thetaMin: number }

/** The part of a LinearMemory used here. */
interface LinearMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

/**
 * The WebAssembly API, typed here: tslab compiles notebooks without the DOM library, whose
 * declarations of WebAssembly.Module, Instance and Memory the tsconfig build has.
 */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const wasmApi = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

interface Kernels {
  readonly memory: LinearMemory;
  forward(net: number, tape: number, theta: number, n: number): void;
  loss(net: number, tape: number, theta: number, n: number): number;
  lossAndGrad(net: number, tape: number, theta: number, n: number, grad: number): number;
  hvp(net: number, tape: number, theta: number, v: number, n: number, out: number): void;
  sgdStep(to: number, from: number, lr: number, g: number, len: number): void;
  sgdStepRates(to: number, from: number, rates: number, g: number, len: number): void;
  axpy(y: number, c: number, x: number, len: number): void;
  subtract(y: number, x: number, len: number): void;
  add(y: number, x: number, len: number): void;
  multiply(out: number, p: number, q: number, len: number): void;
  subtractProduct(y: number, p: number, q: number, len: number): void;
  scaledDifference(out: number, p: number, q: number, c: number, len: number): void;
  fromF64(to: number, from: number, len: number): void;
  toF64(to: number, from: number, len: number): void;
  addToF64(to: number, from: number, len: number): void;
  adamStep(theta: number, g: number, m: number, v: number, len: number, beta1: number, oneMinusBeta1: number, beta2: number, oneMinusBeta2: number, stepSize: number, sqrtC2: number, eps: number, stuckMax: number, thetaMin: number): void;
  matmulF64(a: number, b: number, c: number, m: number, k: number, n: number): void;
  matmulF32(a: number, b: number, c: number, m: number, k: number, n: number): void;
  heapBase(): number;
}

/**
 * The precision of a wasm engine's kernels by the engine's name (training's and evaluation's:
 * `wasm` float64, `wasm-f32` float32), or null for an engine that is not a wasm one.
 */
export function wasmPrecision(engine: string): Precision | null {
  return engine === 'wasm' ? 'f64' : engine === 'wasm-f32' ? 'f32' : null;
}

const compiled: Partial<Record<Precision, object>> = {};

/** The kernels' module in a precision, decoded and compiled once per thread. */
function kernelModule(precision: Precision = 'f64'): object {
  let module = compiled[precision];
  if (module === undefined) {
    const text = atob(precision === 'f64' ? KERNELS_WASM_BASE64 : KERNELS_F32_WASM_BASE64);
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    module = compiled[precision] = new wasmApi.Module(bytes);
  }
  return module;
}

const PAGE = 65536;

/**
 * A vector of reals (float64 by default, or float32) in an engine's memory: `ptr` is its byte
 * address, `array` a view of it.
 */
export class WasmVector<P extends Precision = 'f64'> {
  private view: RealArray<P> | null = null;

  constructor(private readonly memory: LinearMemory, readonly ptr: number, readonly length: number, readonly precision: P = 'f64' as P) {}

  /** Bytes per entry: 8 or 4. */
  get bytesPerEntry(): number {
    return this.precision === 'f64' ? 8 : 4;
  }

  /** The vector as a Float64Array (Float32Array) over the engine's memory (valid until the memory grows; re-read it after allocating). */
  get array(): RealArray<P> {
    if (this.view === null || this.view.buffer !== this.memory.buffer) {
      this.view = (this.precision === 'f64' ? new Float64Array(this.memory.buffer, this.ptr, this.length) : new Float32Array(this.memory.buffer, this.ptr, this.length)) as RealArray<P>;
    }
    return this.view;
  }

  /** Copy values in (at most `length`; into a float32 vector, rounded to nearest). */
  set(values: ArrayLike<number>, offset = 0): void {
    this.array.set(values, offset);
  }
}

/** The tape of one pass over up to `capacity` points (wasm's counterpart of fastMlp's Workspace). */
export class WasmTape {
  n = 0;
  /** as Workspace.filled: what the tape holds */
  filled: 'nothing' | 'forward' | 'gradient' = 'nothing';
  /** the θ vector the tape was recorded for */
  theta: WasmVector<Precision> | null = null;

  constructor(
    /** byte address of its table of buffer addresses */
    readonly ptr: number,
    readonly capacity: number,
    /** the points' inputs (the input layer's activations) and targets */
    readonly x: WasmVector<Precision>,
    readonly y: WasmVector<Precision>,
    /** the network's outputs after a pass */
    readonly prediction: WasmVector<Precision>,
  ) {}
}

/**
 * The MLP on flat parameter vectors of reals held in WebAssembly memory (layout: params.ts),
 * float64 by default, float32 with `precision: 'f32'`.
 *
 * @example
 *   const net = new WasmMlp(paramLayout());
 *   const theta = net.vector(net.size); theta.set(params);
 *   const grad = net.vector(net.size);
 *   const tape = net.tape(10);
 *   net.setPoints(tape, support.x, support.y);
 *   const loss = net.lossAndGrad(theta, tape, grad); // grad.array: the gradient
 *   net.hvp(theta, v, tape, hv);                      // H(θ)·v of the same loss
 */
export class WasmMlp<P extends Precision = 'f64'> {
  readonly sizes: number[];
  readonly size: number;
  readonly layers: Layer[];
  private readonly k: Kernels;
  private readonly memory: LinearMemory;
  private top: number;
  private readonly netPtr: number;
  /** bytes per real: 8 (float64) or 4 (float32) */
  private readonly bytes: number;
  /** a float32 engine's float64 staging area for θ coming in and meta-gradients going out (null in float64) */
  private readonly staging: WasmVector<'f64'> | null;
  /** a view of the staging area's first entries, kept between calls (stagingView) */
  private stagingSlice: Float64Array | null = null;

  constructor(readonly layout: ParamLayout, readonly precision: P = 'f64' as P) {
    if (precision !== 'f64' && precision !== 'f32') throw new MamlInputError(`precision ${String(precision)}`, { option: 'precision', value: precision, expected: "'f64' or 'f32'" });
    this.sizes = layout.layerSizes;
    this.size = layout.size;
    this.layers = layersOf(layout);
    this.bytes = precision === 'f64' ? 8 : 4;
    this.k = new wasmApi.Instance(kernelModule(precision), {}).exports as unknown as Kernels;
    this.memory = this.k.memory;
    this.top = this.k.heapBase();
    const words = [this.layers.length];
    for (const layer of this.layers) words.push(layer.nIn, layer.nOut, layer.wOff, layer.bOff, this.reserve(layer.nIn * layer.nOut * this.bytes));
    this.netPtr = this.table(words);
    // θ and Meta-SGD's [θ, α]: up to twice the parameters
    this.staging = precision === 'f32' ? this.doubles(2 * this.size) : null;
  }

  /** Reserve `bytes` (16-byte aligned, zeroed), growing the memory if needed; returns the address. */
  private reserve(bytes: number): number {
    const at = (this.top + 15) & ~15;
    this.top = at + bytes;
    const missing = this.top - this.memory.buffer.byteLength;
    if (missing > 0) this.memory.grow(Math.ceil(missing / PAGE));
    return at;
  }

  private table(words: number[]): number {
    const ptr = this.reserve(words.length * 4);
    new Uint32Array(this.memory.buffer, ptr, words.length).set(words);
    return ptr;
  }

  /** A zeroed vector of `length` reals (this engine's precision) in its memory. */
  vector(length: number): WasmVector<P> {
    return new WasmVector(this.memory, this.reserve(length * this.bytes), length, this.precision);
  }

  /** A zeroed vector of `length` float64 entries in this engine's memory, whatever its precision (Adam's state). */
  doubles(length: number): WasmVector<'f64'> {
    return new WasmVector(this.memory, this.reserve(length * 8), length, 'f64');
  }

  /** A tape for passes over up to `capacity` points. */
  tape(capacity: number): WasmTape {
    const buf = (width: number) => this.reserve(capacity * width * this.bytes);
    const y = this.vector(capacity);
    // scratch lists of nonzero entries of a row (a layer's width) or a column (the points)
    const longest = Math.max(capacity, ...this.sizes);
    const words = [y.ptr, this.reserve(longest * this.bytes), this.reserve(longest * 4), this.reserve(longest * this.bytes)];
    let x = 0;
    let prediction = 0;
    for (const layer of this.layers) {
      const acts = buf(layer.nIn);
      if (layer.index === 0) x = acts;
      const pre = buf(layer.nOut);
      if (!layer.relu) prediction = pre;
      words.push(acts, pre, buf(layer.nOut), buf(layer.nIn), buf(layer.nOut), buf(layer.nOut));
    }
    return new WasmTape(this.table(words), capacity, new WasmVector(this.memory, x, capacity * this.sizes[0], this.precision), y, new WasmVector(this.memory, prediction, capacity, this.precision));
  }

  /** Put the points (x, and y when given) on the tape for the next passes. */
  setPoints(tape: WasmTape, x: ArrayLike<number>, y?: ArrayLike<number>): void {
    const n = x.length / this.sizes[0];
    if (n > tape.capacity) throw new MamlInputError(`${n} points exceed the workspace capacity ${tape.capacity}`, { option: 'x', value: n, expected: `at most ${tape.capacity} points` });
    if (y !== undefined && y.length !== n) throw new MamlInputError(`${y.length} targets for ${n} points`, { option: 'y', value: y.length, expected: `${n} targets` });
    tape.x.set(x);
    if (y !== undefined) tape.y.set(y);
    tape.n = n;
    tape.filled = 'nothing';
    tape.theta = null;
  }

  private checkTheta(theta: WasmVector<P>): void {
    if (theta.length < this.size) throw new MamlInputError(`θ has ${theta.length} entries`, { option: 'theta', value: theta.length, expected: `at least ${this.size}` });
  }

  /** Forward pass over the tape's points; returns the predictions (a view of the tape, length n). */
  forward(theta: WasmVector<P>, tape: WasmTape): RealArray<P> {
    this.checkTheta(theta);
    this.k.forward(this.netPtr, tape.ptr, theta.ptr, tape.n);
    tape.filled = 'forward';
    tape.theta = theta;
    return tape.prediction.array.subarray(0, tape.n) as RealArray<P>;
  }

  /** Mean squared error over the tape's points. */
  loss(theta: WasmVector<P>, tape: WasmTape): number {
    this.checkTheta(theta);
    const value = this.k.loss(this.netPtr, tape.ptr, theta.ptr, tape.n);
    tape.filled = 'forward';
    tape.theta = theta;
    return value;
  }

  /** Loss over the tape's points and its gradient (all of `grad` written); keeps what hvp() needs. */
  lossAndGrad(theta: WasmVector<P>, tape: WasmTape, grad: WasmVector<P>): number {
    this.checkTheta(theta);
    const value = this.k.lossAndGrad(this.netPtr, tape.ptr, theta.ptr, tape.n, grad.ptr);
    tape.filled = 'gradient';
    tape.theta = theta;
    return value;
  }

  /** out = H(θ)·v for the loss of the last lossAndGrad() on this tape and this θ vector (refused otherwise). */
  hvp(theta: WasmVector<P>, v: WasmVector<P>, tape: WasmTape, out: WasmVector<P>): void {
    if (tape.filled !== 'gradient' || tape.theta !== theta) {
      const found = tape.filled === 'gradient' ? 'the gradient of another θ' : tape.filled === 'forward' ? 'a forward pass only' : 'nothing';
      throw new MamlInputError(`hvp: the tape holds ${found}: expected the tape of lossAndGrad() on this θ, called just before`, {
        option: 'tape', value: tape.filled, expected: 'the tape of the last lossAndGrad() on this θ',
      });
    }
    this.k.hvp(this.netPtr, tape.ptr, theta.ptr, v.ptr, tape.n, out.ptr);
  }

  // Element-wise operations on vectors of this engine, over `length` entries (default: the first vector's).

  /** to = from − lr · g */
  sgdStep(to: WasmVector<P>, from: WasmVector<P>, lr: number, g: WasmVector<P>, length = to.length): void {
    this.k.sgdStep(to.ptr, from.ptr, lr, g.ptr, length);
  }

  /** to = from − rates ⊙ g */
  sgdStepRates(to: WasmVector<P>, from: WasmVector<P>, rates: WasmVector<P>, g: WasmVector<P>, length = to.length): void {
    this.k.sgdStepRates(to.ptr, from.ptr, rates.ptr, g.ptr, length);
  }

  /** y += c · x */
  axpy(y: WasmVector<P>, c: number, x: WasmVector<P>, length = y.length): void {
    this.k.axpy(y.ptr, c, x.ptr, length);
  }

  /** y −= x */
  subtract(y: WasmVector<P>, x: WasmVector<P>, length = y.length): void {
    this.k.subtract(y.ptr, x.ptr, length);
  }

  /** y += x */
  add(y: WasmVector<P>, x: WasmVector<P>, length = y.length): void {
    this.k.add(y.ptr, x.ptr, length);
  }

  /** out = p ⊙ q */
  multiply(out: WasmVector<P>, p: WasmVector<P>, q: WasmVector<P>, length = out.length): void {
    this.k.multiply(out.ptr, p.ptr, q.ptr, length);
  }

  /** y −= p ⊙ q */
  subtractProduct(y: WasmVector<P>, p: WasmVector<P>, q: WasmVector<P>, length = y.length): void {
    this.k.subtractProduct(y.ptr, p.ptr, q.ptr, length);
  }

  /** out = (p − q) · c */
  scaledDifference(out: WasmVector<P>, p: WasmVector<P>, q: WasmVector<P>, c: number, length = out.length): void {
    this.k.scaledDifference(out.ptr, p.ptr, q.ptr, c, length);
  }

  /** to = from, rounded to this engine's precision (from: float64; a copy in a float64 engine). */
  fromF64(to: WasmVector<P>, from: WasmVector<'f64'>, length = to.length): void {
    this.k.fromF64(to.ptr, from.ptr, length);
  }

  /** to = from as float64 (exact). */
  toF64(to: WasmVector<'f64'>, from: WasmVector<P>, length = to.length): void {
    this.k.toF64(to.ptr, from.ptr, length);
  }

  /**
   * One Adam step on float64 vectors of this engine (`doubles()`; see lib/optim/adam.ts, which
   * calls it): the same operations in the same order as its TypeScript loop, so the same bits,
   * in either precision's module.
   */
  /**
   * The byte address of `values` when it is a view of this engine's memory (a vector's `array`),
   * else null: the trainer keeps θ and its gradients here, so the passes read and write them in
   * place instead of copying 14 KB in and out several times per task.
   */
  addressOf(values: Float64Array): number | null {
    return values.buffer === this.memory.buffer ? values.byteOffset : null;
  }

  adamStep(theta: WasmVector<'f64'>, g: WasmVector<'f64'>, m: WasmVector<'f64'>, v: WasmVector<'f64'>, hyper: AdamHyper): void {
    this.adamStepAt(theta.ptr, g.ptr, m, v, hyper);
  }

  /** adamStep on θ and g given by their addresses in this memory (views the trainer keeps here; see addressOf), `m.length` entries. */
  adamStepAt(thetaPtr: number, gPtr: number, m: WasmVector<'f64'>, v: WasmVector<'f64'>, hyper: AdamHyper): void {
    const { beta1, beta2, stepSize, sqrtC2, eps, stuckMax, thetaMin } = hyper;
    this.k.adamStep(thetaPtr, gPtr, m.ptr, v.ptr, m.length, beta1, 1 - beta1, beta2, 1 - beta2, stepSize, sqrtC2, eps, stuckMax, thetaMin);
  }

  /**
   * to = values (float64, e.g. θ as Adam keeps it), rounded to this engine's precision: a copy
   * in float64; in float32 a copy into the module and its fromF64 kernel (faster than
   * Float32Array.set from a Float64Array: 1.6 µs for θ of 1,761 entries, measured).
   */
  setFromF64(to: WasmVector<P>, values: Float64Array): void {
    const { staging } = this;
    const at = this.addressOf(values);
    if (at !== null) {
      // already in this memory (the trainer keeps θ here): no copy into the staging area
      if (staging === null) {
        if (at !== to.ptr) to.array.set(values);
      } else this.k.fromF64(to.ptr, at, values.length);
      return;
    }
    if (staging === null || values.length > staging.length) {
      to.set(values);
      return;
    }
    staging.set(values);
    this.k.fromF64(to.ptr, staging.ptr, values.length);
  }

  /** out = from as float64 (exact), e.g. a meta-gradient for Adam; the first out.length entries. */
  copyToF64(out: Float64Array, from: WasmVector<P>): void {
    const { staging } = this;
    const at = this.addressOf(out);
    if (at !== null && staging !== null) {
      // out is in this memory (the trainer's gradient): converted straight into it
      this.k.toF64(at, from.ptr, out.length);
      return;
    }
    if (staging === null || out.length > staging.length) {
      out.set(out.length === from.length ? from.array : from.array.subarray(0, out.length));
      return;
    }
    this.k.toF64(staging.ptr, from.ptr, out.length);
    out.set(this.stagingView(out.length));
  }

  /**
   * sum += from as float64, entry by entry, for a `sum` in this engine's memory (the trainer's
   * sum of a meta-batch's gradients, see addressOf): toF64 and an addition in one pass,
   * the same bits.
   */
  addToF64(sum: Float64Array, from: WasmVector<P>): void {
    const at = this.addressOf(sum);
    if (at === null) throw new RangeError('addToF64: the sum must be a view of this engine\'s memory');
    if (sum.length > from.length) throw new RangeError(`addToF64: a sum of ${sum.length} entries from a vector of ${from.length}`);
    this.k.addToF64(at, from.ptr, sum.length);
  }

  /** The first `length` entries of the staging area as a Float64Array, kept between calls (no allocation per task). */
  private stagingView(length: number): Float64Array {
    const whole = this.staging!.array;
    if (this.stagingSlice === null || this.stagingSlice.buffer !== whole.buffer || this.stagingSlice.length !== length) this.stagingSlice = whole.subarray(0, length);
    return this.stagingSlice;
  }

  /** `length` entries of `v` from entry `from` on, as a vector of their own (e.g. the rates half of Meta-SGD's meta-parameters). */
  slice<Q extends Precision>(v: WasmVector<Q>, from: number, length = v.length - from): WasmVector<Q> {
    if (from < 0 || from + length > v.length) throw new RangeError(`slice ${from}..${from + length} of a vector of ${v.length}`);
    return new WasmVector(this.memory, v.ptr + from * v.bytesPerEntry, length, v.precision);
  }
}

/**
 * The yardstick of the benchmark's "fraction of peak": GFLOP/s (2·m·k·n per product) of a tight
 * WebAssembly SIMD matrix product C = A·B, A [m, k], B [k, n], in float64 (f64x2) or float32
 * (f32x4), on this thread: the best of `rounds` timings of `reps` products each. Blocks of 2
 * rows × 8 (float64) or 16 (float32) columns held in registers over the whole k loop.
 *
 * @example
 *   matmulGflops('f64', 250, 40, 48); // ~what one core sustains on a meta-batch-sized product
 */
export function matmulGflops(precision: 'f64' | 'f32', m = 250, k = 40, n = 48, reps = 200, rounds = 7): number {
  if (m % 2 !== 0 || n % 16 !== 0) throw new RangeError(`matmulGflops: m even and n a multiple of 16, got m = ${m}, n = ${n}`);
  const k8 = new wasmApi.Instance(kernelModule('f64'), {}).exports as unknown as Kernels;
  const bytes = precision === 'f64' ? 8 : 4;
  const base = (k8.heapBase() + 15) & ~15;
  const a = base;
  const b = a + m * k * bytes;
  const c = b + k * n * bytes;
  const end = c + m * n * bytes;
  k8.memory.grow(Math.ceil(end / PAGE));
  const fill = precision === 'f64' ? new Float64Array(k8.memory.buffer, a, m * k + k * n) : new Float32Array(k8.memory.buffer, a, m * k + k * n);
  for (let i = 0; i < fill.length; i++) fill[i] = ((i * 7919) % 1000) / 1000 - 0.5;
  const run = precision === 'f64' ? k8.matmulF64 : k8.matmulF32;
  for (let i = 0; i < reps; i++) run(a, b, c, m, k, n); // warm-up: compiled to machine code
  let best = Infinity;
  for (let round = 0; round < rounds; round++) {
    const start = performance.now();
    for (let i = 0; i < reps; i++) run(a, b, c, m, k, n);
    best = Math.min(best, performance.now() - start);
  }
  return (2 * m * k * n * reps) / (best / 1000) / 1e9;
}
