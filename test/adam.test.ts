/**
 * The library's Adam against Kingma & Ba worked by hand and against the independent RefAdam of
 * reference.ts, its state round trip (what a snapshot stores) and its input checks. No tfjs:
 * this file runs in well under a second.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Adam } from '../lib/optim/adam';
import { MamlInputError } from '../lib/core/validate';
import { RefAdam } from './reference';

test('Adam: the first step moves each weight by lr · sign(g), by hand', () => {
  // t = 1: m = 0.1 g, v = 0.001 g²; bias corrected m̂ = g, v̂ = g², so the step is
  // lr · g / (|g| + 1e-8): lr · sign(g) up to the ε in the denominator
  const adam = new Adam(3, 0.01);
  const theta = Float64Array.from([1, 2, 3]);
  adam.step(theta, Float64Array.from([4, -0.5, 2]));
  const expected = [1 - (0.01 * 4) / (4 + 1e-8), 2 + (0.01 * 0.5) / (0.5 + 1e-8), 3 - (0.01 * 2) / (2 + 1e-8)];
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(theta[i] - expected[i]) < 1e-15, `theta[${i}] = ${theta[i]}, expected ${expected[i]}`);
  const s = adam.getState();
  assert.equal(s.t, 1);
  // moments by hand: m = (1 − 0.9) g, v = (1 − 0.999) g²
  assert.deepEqual([...s.m].map((x) => +x.toPrecision(12)), [0.4, -0.05, 0.2]);
  assert.deepEqual([...s.v].map((x) => +x.toPrecision(12)), [0.016, 0.00025, 0.004]);
});

test('Adam: twenty steps of varying gradients equal the reference Adam (Kingma & Ba, Algorithm 1)', () => {
  const adam = new Adam(4, 0.003);
  const ref = new RefAdam(4, 0.003);
  const theta = Float64Array.from([0.5, -1, 2, 0]);
  const thetaRef = theta.slice();
  for (let t = 1; t <= 20; t++) {
    // gradients that change sign and scale, so m and v differ in every coordinate
    const g = Float64Array.from([Math.sin(t), 0.1 * t, -3 / t, t % 3 === 0 ? 0 : 1e-3 * t]);
    adam.step(theta, g);
    ref.step(thetaRef, g);
  }
  for (let i = 0; i < 4; i++) assert.ok(Math.abs(theta[i] - thetaRef[i]) < 1e-12, `theta[${i}] = ${theta[i]}, reference ${thetaRef[i]}`);
  assert.equal(adam.getState().t, 20);
});

test('Adam: getState returns copies, and setState continues a run exactly', () => {
  const g = (t: number) => Float64Array.from([Math.cos(t), -t, 0.5]);
  const a = new Adam(3, 0.01);
  const theta = Float64Array.from([1, 1, 1]);
  for (let t = 1; t <= 3; t++) a.step(theta, g(t));
  const state = a.getState();
  // scribbling on the returned state must not reach the optimiser
  const snapshot = { m: state.m.slice(), v: state.v.slice(), t: state.t };
  state.m.fill(1e6);
  state.v.fill(1e6);
  const b = new Adam(3, 0.01);
  b.setState(snapshot);
  const thetaB = theta.slice();
  for (let t = 4; t <= 6; t++) {
    a.step(theta, g(t));
    b.step(thetaB, g(t));
  }
  assert.deepEqual([...thetaB], [...theta], 'a restored Adam continues bit for bit');
  // and the restored moments were copied in, not shared with the snapshot
  snapshot.m.fill(0);
  assert.deepEqual([...b.getState().m], [...a.getState().m]);
  // a fresh Adam restored from step 0 behaves as a new one
  const c = new Adam(1, 0.01);
  c.setState({ m: new Float64Array(1), v: new Float64Array(1), t: 0 });
  const x = Float64Array.from([0]);
  c.step(x, Float64Array.from([2]));
  assert.ok(Math.abs(x[0] + 0.01) < 1e-10, `first step after restoring t = 0: ${x[0]}`);
});

function throwsInput(fn: () => void, option: string, expected: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof MamlInputError, `a MamlInputError, got ${String(e)}`);
    assert.equal(e.option, option);
    assert.equal(e.expected, expected);
    return true;
  });
}

test('Adam: refuses a non-positive learning rate and a state of the wrong shape or step', () => {
  throwsInput(() => new Adam(2, 0), 'metaLr', 'a finite number > 0');
  throwsInput(() => new Adam(2, -1e-3), 'metaLr', 'a finite number > 0');
  const adam = new Adam(2);
  const ok = { m: new Float64Array(2), v: new Float64Array(2), t: 5 };
  adam.setState(ok);
  throwsInput(() => adam.setState({ ...ok, m: new Float64Array(3) }), 'adam state', 'moments of length 2');
  throwsInput(() => adam.setState({ ...ok, v: new Float64Array(1) }), 'adam state', 'moments of length 2');
  throwsInput(() => adam.setState({ ...ok, t: -1 }), 'adam step', 'a non-negative integer');
  throwsInput(() => adam.setState({ ...ok, t: 1.5 }), 'adam step', 'a non-negative integer');
  // a refused state leaves the optimiser as it was
  assert.equal(adam.getState().t, 5);
});

test("Adam on the wasm engine's kernel: the same bits as the TypeScript loop, and its state round trip", async () => {
  const { WasmMlp } = await import('../lib/model/wasmMlp');
  const { paramLayout } = await import('../lib/model/params');
  const layout = paramLayout([1, 3, 1]); // 10 parameters: an odd count, past one SIMD pair
  const g = (t: number) => Float64Array.from({ length: layout.size }, (_, i) => Math.sin(t * (i + 1)) * (i % 3 === 0 ? 1e-3 : 1));
  const plain = new Adam(layout.size, 0.01);
  const kernel = new Adam(layout.size, 0.01);
  plain.step(new Float64Array(layout.size), g(0)); // moments set before the switch must move with it
  kernel.step(new Float64Array(layout.size), g(0));
  kernel.useWasm(new WasmMlp(layout));
  const a = Float64Array.from({ length: layout.size }, (_, i) => i / 7);
  const b = a.slice();
  for (let t = 1; t <= 25; t++) {
    plain.step(a, g(t));
    kernel.step(b, g(t));
  }
  assert.deepEqual(Buffer.from(b.buffer), Buffer.from(a.buffer), 'θ: the same bits');
  const [sp, sk] = [plain.getState(), kernel.getState()];
  assert.equal(sk.t, 26);
  assert.deepEqual(Buffer.from(sk.m.buffer), Buffer.from(sp.m.buffer), 'first moments read back from the kernel');
  assert.deepEqual(Buffer.from(sk.v.buffer), Buffer.from(sp.v.buffer), 'second moments read back from the kernel');
  // a state restored into a kernel Adam continues as the plain one does
  const restored = new Adam(layout.size, 0.01).useWasm(new WasmMlp(layout));
  restored.setState(sp);
  const c = a.slice();
  plain.step(a, g(26));
  restored.step(c, g(26));
  assert.deepEqual(Buffer.from(c.buffer), Buffer.from(a.buffer), 'restored into the kernel: the same next step');
});

/**
 * The plain formula, written out here (PyTorch's form, as lib/optim/adam.ts documents it), for
 * the stuck-moment test: no skipping of any kind.
 */
function plainAdam(size: number, lr: number, beta1 = 0.9, beta2 = 0.999, eps = 1e-8) {
  const m = new Float64Array(size);
  const v = new Float64Array(size);
  let t = 0;
  return {
    m, v,
    step(theta: Float64Array, grad: Float64Array) {
      t += 1;
      const stepSize = lr / (1 - beta1 ** t);
      const sqrtC2 = Math.sqrt(1 - beta2 ** t);
      for (let i = 0; i < theta.length; i++) {
        m[i] = beta1 * m[i] + (1 - beta1) * grad[i];
        v[i] = beta2 * v[i] + (1 - beta2) * grad[i] * grad[i];
        theta[i] -= (stepSize * m[i]) / (Math.sqrt(v[i]) / sqrtC2 + eps);
      }
    },
  };
}

const bits = (a: Float64Array) => [...new BigUint64Array(a.buffer, a.byteOffset, a.length)].map((b) => b.toString(16));

test('Adam with moments stuck in the subnormal range (zero gradients): the same bits as the plain formula, TypeScript and wasm', async () => {
  const { WasmMlp } = await import('../lib/model/wasmMlp');
  const { paramLayout } = await import('../lib/model/params');
  const layout = paramLayout([1, 3, 1]); // 10 parameters: five SIMD pairs, mixed lanes
  const n = layout.size;
  // what each parameter's gradient does after the first 40 steps: 0 for good (its m decays into
  // the subnormal range and sticks), -0, back to nonzero every 997 steps, or tiny
  const later = (i: number, t: number): number => [0, -0, 0, t % 997 === 0 ? 0.5 : 0, 0, 1e-310, 0, 0, t % 2 === 0 ? 0 : -0, 0][i];
  const grad = (t: number) => Float64Array.from({ length: n }, (_, i) => (t <= 40 ? Math.sin(t * (i + 1)) * 10 ** -(i % 4) : later(i, t)));
  // θ: ordinary values, one exactly 0 and one tiny (updates that do move them must not be skipped)
  const theta0 = Float64Array.from({ length: n }, (_, i) => (i === 4 ? 0 : i === 6 ? 1e-300 : (i - 4.5) / 3));
  // lr 1: stepSize · m is itself a subnormal, not 0, so a θ of 0 does move (the |θ| guard matters)
  for (const lr of [0.01, 1]) {
  const plain = plainAdam(n, lr);
  const ts = new Adam(n, lr);
  const wasm = new Adam(n, lr).useWasm(new WasmMlp(layout));
  const [a, b, c] = [theta0.slice(), theta0.slice(), theta0.slice()];
  let stuckSeen = 0;
  for (let t = 1; t <= 8000; t++) {
    const g = grad(t);
    plain.step(a, g);
    ts.step(b, g);
    wasm.step(c, g);
    if (t % 500 === 0 || t === 8000) {
      for (const [name, theta, adam] of [['TypeScript', b, ts], ['wasm', c, wasm]] as const) {
        const s = adam.getState();
        assert.deepEqual(bits(theta), bits(a), `${name}, lr ${lr}, step ${t}: θ`);
        assert.deepEqual(bits(s.m), bits(plain.m), `${name}, lr ${lr}, step ${t}: m`);
        assert.deepEqual(bits(s.v), bits(plain.v), `${name}, lr ${lr}, step ${t}: v`);
      }
      stuckSeen = Math.max(stuckSeen, [...plain.m].filter((x) => x !== 0 && Math.abs(x) <= 5 * Number.MIN_VALUE).length);
    }
  }
  assert.ok(stuckSeen >= 5, `lr ${lr}: the run reached stuck moments (${stuckSeen} at most at once)`);
  }
  // one step from a crafted state: stuck first moments, zero gradients, θ of 0, tiny, 1 and huge,
  // a small v (so stepSize · m / denom is a normal number for lr 1): the formula moves the first
  // two and leaves the others; both Adams give exactly what the formula gives
  for (const lr of [0.01, 1]) {
    const theta = Float64Array.from({ length: n }, (_, i) => [0, 1e-300, 1, -2, 1e300, -0.5, 0, 3, 1e-310, 7][i]);
    const m = Float64Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 1 : -1) * (1 + (i % 5)) * Number.MIN_VALUE);
    const v = Float64Array.from({ length: n }, (_, i) => 1e-20 * (i + 1));
    const g = Float64Array.from({ length: n }, (_, i) => (i % 3 === 0 ? -0 : 0));
    const t = 100;
    const expected = theta.slice();
    const [eM, eV] = [m.slice(), v.slice()];
    const stepSize = lr / (1 - 0.9 ** t);
    for (let i = 0; i < n; i++) {
      eM[i] = 0.9 * eM[i] + (1 - 0.9) * g[i];
      eV[i] = 0.999 * eV[i] + (1 - 0.999) * g[i] * g[i];
      expected[i] -= (stepSize * eM[i]) / (Math.sqrt(eV[i]) / Math.sqrt(1 - 0.999 ** t) + 1e-8);
    }
    if (lr === 1) assert.ok(expected[0] !== 0 && expected[8] !== 1e-310, 'the formula moves a θ of 0 and a subnormal θ');
    for (const adam of [new Adam(n, lr), new Adam(n, lr).useWasm(new WasmMlp(layout))]) {
      adam.setState({ m, v, t: t - 1 });
      const got = theta.slice();
      adam.step(got, g);
      assert.deepEqual(bits(got), bits(expected), `lr ${lr}: θ after one step from stuck moments`);
      assert.deepEqual(bits(adam.getState().m), bits(eM), `lr ${lr}: m`);
    }
  }
  // a NaN second moment with a stuck first moment still makes θ NaN, as the formula does
  for (const adam of [new Adam(n, 0.01), new Adam(n, 0.01).useWasm(new WasmMlp(layout))]) {
    const s = adam.getState();
    s.m.fill(3 * Number.MIN_VALUE);
    s.v.fill(NaN);
    s.t = 100;
    adam.setState(s);
    const theta = theta0.slice();
    adam.step(theta, new Float64Array(n));
    assert.ok(theta.every((x) => Number.isNaN(x)), `NaN v: θ NaN (${[...theta]})`);
  }
});
