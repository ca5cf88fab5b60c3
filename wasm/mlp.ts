// AssemblyScript source of the wasm engine's kernels (lib/model/wasmMlp.ts drives them).
// Built by scripts/build-wasm.ts (npm run build:wasm, run by npm ci's postinstall) into
// lib/model/wasmKernelsGenerated.ts. Not part of the TypeScript build: it is compiled by asc.
//
// The same mathematics as lib/model/fastMlp.ts (read that file for the derivation), float64,
// with 128-bit SIMD (f64x2) inner loops. Nothing is allocated here: every buffer is a region of
// linear memory that the TypeScript side reserved once, described by two tables of u32 words:
//
//   net table:  [L, then per layer l: nIn, nOut, wOff, bOff, wtPtr]
//               (wOff, bOff: offsets in doubles inside θ; wtPtr: bytes of a [nIn, nOut] scratch
//               that receives Wᵀ for the forward pass)
//   tape table: [yPtr, vals, idx, vals2, then per layer l: acts, pre, dz, rActs, rPre, rDz]
//               (byte addresses; vals/idx: scratch lists of nonzero entries, as long as the
//               widest layer or the most points, whichever is more)
//
// Sparsity: about half of the hidden units are switched off by the ReLU for any one point, so
// their activations, dz and R{·} are 0. The loops first list the nonzero entries (without
// branches: a branch taken at random half of the time costs more than the work it skips) and
// then run vector loops over the list only.
//
// Layer l: z_l = a_l W_lᵀ + b_l, a_{l+1} = relu(z_l) except after the last layer; the loss is
// the mean of (z_last − y)². Arrays of points are row-major [n, width].

const NET_HEAD: usize = 1;
const NET_WORDS: usize = 5;
const TAPE_HEAD: usize = 4;
const TAPE_WORDS: usize = 6;

@inline function word(table: usize, k: usize): usize {
  return <usize>load<u32>(table + (k << 2));
}
@inline function layerWord(net: usize, l: usize, k: usize): usize {
  return word(net, NET_HEAD + l * NET_WORDS + k);
}
@inline function tapeWord(tape: usize, l: usize, k: usize): usize {
  return word(tape, TAPE_HEAD + l * TAPE_WORDS + k);
}
@inline function f(ptr: usize, i: usize): f64 {
  return load<f64>(ptr + (i << 3));
}
@inline function setF(ptr: usize, i: usize, v: f64): void {
  store<f64>(ptr + (i << 3), v);
}
@inline function vec(ptr: usize, i: usize): v128 {
  return v128.load(ptr + (i << 3));
}
@inline function setVec(ptr: usize, i: usize, v: v128): void {
  v128.store(ptr + (i << 3), v);
}
@inline function hsum(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}
/** v where mask > 0, else +0 (as relu and relu' do: a unit at exactly 0 is off). */
@inline function keepPositive(v: v128, mask: v128): v128 {
  return v128.and(v, f64x2.gt(mask, f64x2.splat(0)));
}

/** Σ_i p[i] q[i], two vector accumulators. */
function dot(p: usize, q: usize, len: usize): f64 {
  let acc0 = f64x2.splat(0);
  let acc1 = f64x2.splat(0);
  let i: usize = 0;
  for (; i + 4 <= len; i += 4) {
    acc0 = f64x2.add(acc0, f64x2.mul(vec(p, i), vec(q, i)));
    acc1 = f64x2.add(acc1, f64x2.mul(vec(p, i + 2), vec(q, i + 2)));
  }
  if (i + 2 <= len) {
    acc0 = f64x2.add(acc0, f64x2.mul(vec(p, i), vec(q, i)));
    i += 2;
  }
  let sum = hsum(f64x2.add(acc0, acc1));
  if (i < len) sum += f(p, i) * f(q, i);
  return sum;
}

/** Σ_i p[i] q[i] + r[i] t[i]. */
function dot2(p: usize, q: usize, r: usize, t: usize, len: usize): f64 {
  let acc0 = f64x2.splat(0);
  let acc1 = f64x2.splat(0);
  let i: usize = 0;
  for (; i + 2 <= len; i += 2) {
    acc0 = f64x2.add(acc0, f64x2.mul(vec(p, i), vec(q, i)));
    acc1 = f64x2.add(acc1, f64x2.mul(vec(r, i), vec(t, i)));
  }
  let sum = hsum(f64x2.add(acc0, acc1));
  if (i < len) sum += f(p, i) * f(q, i) + f(r, i) * f(t, i);
  return sum;
}

/** dst[k] = Σ_q vals[q] · rows[idx[q]·stride + k] for k < len (rows: row-major, `stride` doubles a row), plus base[k] if base ≠ 0. */
function combineRows(dst: usize, base: usize, rows: usize, stride: usize, vals: usize, idx: usize, count: usize, len: usize): void {
  let k: usize = 0;
  for (; k + 8 <= len; k += 8) {
    let acc0 = base ? vec(base, k) : f64x2.splat(0);
    let acc1 = base ? vec(base, k + 2) : f64x2.splat(0);
    let acc2 = base ? vec(base, k + 4) : f64x2.splat(0);
    let acc3 = base ? vec(base, k + 6) : f64x2.splat(0);
    for (let q: usize = 0; q < count; q++) {
      const c = f64x2.splat(f(vals, q));
      const row = rows + ((<usize>load<u32>(idx + (q << 2)) * stride + k) << 3);
      acc0 = f64x2.add(acc0, f64x2.mul(c, v128.load(row)));
      acc1 = f64x2.add(acc1, f64x2.mul(c, v128.load(row, 16)));
      acc2 = f64x2.add(acc2, f64x2.mul(c, v128.load(row, 32)));
      acc3 = f64x2.add(acc3, f64x2.mul(c, v128.load(row, 48)));
    }
    setVec(dst, k, acc0);
    setVec(dst, k + 2, acc1);
    setVec(dst, k + 4, acc2);
    setVec(dst, k + 6, acc3);
  }
  for (; k + 2 <= len; k += 2) {
    let acc = base ? vec(base, k) : f64x2.splat(0);
    for (let q: usize = 0; q < count; q++) {
      const row = rows + ((<usize>load<u32>(idx + (q << 2)) * stride + k) << 3);
      acc = f64x2.add(acc, f64x2.mul(f64x2.splat(f(vals, q)), v128.load(row)));
    }
    setVec(dst, k, acc);
  }
  if (k < len) {
    let acc = base ? f(base, k) : 0.0;
    for (let q: usize = 0; q < count; q++) acc += f(vals, q) * f(rows, <usize>load<u32>(idx + (q << 2)) * stride + k);
    setF(dst, k, acc);
  }
}

/** The nonzero entries of row[0..len): values to vals, indices to idx; returns their count. */
function gatherNonzero(row: usize, len: usize, vals: usize, idx: usize): usize {
  return gatherStrided(row, 1, len, vals, idx);
}

/** The same over row[0], row[stride], row[2·stride], ... (a column of a row-major array). */
function gatherStrided(row: usize, stride: usize, len: usize, vals: usize, idx: usize): usize {
  let count: usize = 0;
  for (let i: usize = 0; i < len; i++) {
    const v = f(row, i * stride);
    // written always, kept only when nonzero: no branch
    setF(vals, count, v);
    store<u32>(idx + (count << 2), <u32>i);
    count += <usize>(v != 0);
  }
  return count;
}

/** dst[k] += Σ_q vals[q] · rows[idx[q]·stride + k] for k < len, vectors of 8, 2, then 1. */
function accumulateRows(dst: usize, rows: usize, stride: usize, vals: usize, idx: usize, count: usize, len: usize): void {
  let k: usize = 0;
  for (; k + 8 <= len; k += 8) {
    let acc0 = vec(dst, k);
    let acc1 = vec(dst, k + 2);
    let acc2 = vec(dst, k + 4);
    let acc3 = vec(dst, k + 6);
    for (let q: usize = 0; q < count; q++) {
      const c = f64x2.splat(f(vals, q));
      const row = rows + ((<usize>load<u32>(idx + (q << 2)) * stride + k) << 3);
      acc0 = f64x2.add(acc0, f64x2.mul(c, v128.load(row)));
      acc1 = f64x2.add(acc1, f64x2.mul(c, v128.load(row, 16)));
      acc2 = f64x2.add(acc2, f64x2.mul(c, v128.load(row, 32)));
      acc3 = f64x2.add(acc3, f64x2.mul(c, v128.load(row, 48)));
    }
    setVec(dst, k, acc0);
    setVec(dst, k + 2, acc1);
    setVec(dst, k + 4, acc2);
    setVec(dst, k + 6, acc3);
  }
  for (; k + 2 <= len; k += 2) {
    let acc = vec(dst, k);
    for (let q: usize = 0; q < count; q++) {
      const row = rows + ((<usize>load<u32>(idx + (q << 2)) * stride + k) << 3);
      acc = f64x2.add(acc, f64x2.mul(f64x2.splat(f(vals, q)), v128.load(row)));
    }
    setVec(dst, k, acc);
  }
  if (k < len) {
    let acc = f(dst, k);
    for (let q: usize = 0; q < count; q++) acc += f(vals, q) * f(rows, <usize>load<u32>(idx + (q << 2)) * stride + k);
    setF(dst, k, acc);
  }
}

/**
 * The entries where p or r is nonzero, over p[0], p[stride], ... and r likewise (in the hidden
 * layers dz and R{dz} are zero at the same units): values to valsP and valsR, indices to idx.
 */
function gatherPairs(p: usize, r: usize, stride: usize, len: usize, valsP: usize, valsR: usize, idx: usize): usize {
  let count: usize = 0;
  for (let i: usize = 0; i < len; i++) {
    const u = f(p, i * stride);
    const w = f(r, i * stride);
    setF(valsP, count, u);
    setF(valsR, count, w);
    store<u32>(idx + (count << 2), <u32>i);
    count += <usize>(u != 0) | <usize>(w != 0);
  }
  return count;
}

/** dst[k] += Σ_q valsA[q] · rowsA[idx[q]·stride + k] + valsB[q] · rowsB[idx[q]·stride + k], k < len. */
function accumulateRowPairs(dst: usize, rowsA: usize, rowsB: usize, stride: usize, valsA: usize, valsB: usize, idx: usize, count: usize, len: usize): void {
  let k: usize = 0;
  for (; k + 8 <= len; k += 8) {
    let acc0 = vec(dst, k);
    let acc1 = vec(dst, k + 2);
    let acc2 = vec(dst, k + 4);
    let acc3 = vec(dst, k + 6);
    for (let q: usize = 0; q < count; q++) {
      const ca = f64x2.splat(f(valsA, q));
      const cb = f64x2.splat(f(valsB, q));
      const at = (<usize>load<u32>(idx + (q << 2)) * stride + k) << 3;
      const ra = rowsA + at;
      const rb = rowsB + at;
      acc0 = f64x2.add(acc0, f64x2.add(f64x2.mul(ca, v128.load(ra)), f64x2.mul(cb, v128.load(rb))));
      acc1 = f64x2.add(acc1, f64x2.add(f64x2.mul(ca, v128.load(ra, 16)), f64x2.mul(cb, v128.load(rb, 16))));
      acc2 = f64x2.add(acc2, f64x2.add(f64x2.mul(ca, v128.load(ra, 32)), f64x2.mul(cb, v128.load(rb, 32))));
      acc3 = f64x2.add(acc3, f64x2.add(f64x2.mul(ca, v128.load(ra, 48)), f64x2.mul(cb, v128.load(rb, 48))));
    }
    setVec(dst, k, acc0);
    setVec(dst, k + 2, acc1);
    setVec(dst, k + 4, acc2);
    setVec(dst, k + 6, acc3);
  }
  for (; k + 2 <= len; k += 2) {
    let acc = vec(dst, k);
    for (let q: usize = 0; q < count; q++) {
      const at = (<usize>load<u32>(idx + (q << 2)) * stride + k) << 3;
      acc = f64x2.add(acc, f64x2.add(f64x2.mul(f64x2.splat(f(valsA, q)), v128.load(rowsA + at)), f64x2.mul(f64x2.splat(f(valsB, q)), v128.load(rowsB + at))));
    }
    setVec(dst, k, acc);
  }
  if (k < len) {
    let acc = f(dst, k);
    for (let q: usize = 0; q < count; q++) {
      const at = <usize>load<u32>(idx + (q << 2)) * stride + k;
      acc += f(valsA, q) * f(rowsA, at) + f(valsB, q) * f(rowsB, at);
    }
    setF(dst, k, acc);
  }
}

/** row[0..len) = 0 */
function zero(row: usize, len: usize): void {
  let k: usize = 0;
  for (; k + 2 <= len; k += 2) setVec(row, k, f64x2.splat(0));
  if (k < len) setF(row, k, 0);
}

/** out[o·nIn + i] = Σ_s p[s·nOut + o] q[s·nIn + i] (+ r[s·nOut + o] t[s·nIn + i] when r ≠ 0): a layer's weight gradient. */
function outerSum(out: usize, p: usize, q: usize, r: usize, t: usize, n: usize, nOut: usize, nIn: usize, vals: usize, idx: usize, vals2: usize): void {
  if (nIn == 1) {
    // W is one column: vectorise over the outputs instead
    let o: usize = 0;
    for (; o + 2 <= nOut; o += 2) {
      let acc = f64x2.splat(0);
      for (let s: usize = 0; s < n; s++) {
        acc = f64x2.add(acc, f64x2.mul(vec(p, s * nOut + o), f64x2.splat(f(q, s))));
        if (r) acc = f64x2.add(acc, f64x2.mul(vec(r, s * nOut + o), f64x2.splat(f(t, s))));
      }
      setVec(out, o, acc);
    }
    if (o < nOut) {
      let acc = 0.0;
      for (let s: usize = 0; s < n; s++) {
        acc += f(p, s * nOut + o) * f(q, s);
        if (r) acc += f(r, s * nOut + o) * f(t, s);
      }
      setF(out, o, acc);
    }
    return;
  }
  for (let o: usize = 0; o < nOut; o++) {
    // out[o, :] = Σ over the points s where p[s, o] ≠ 0 of p[s, o] q[s, :] (and the same for r, t)
    const dst = out + ((o * nIn) << 3);
    zero(dst, nIn);
    if (r) {
      // both terms over one list of points (p and r are zero at the same points in a hidden layer)
      const count = gatherPairs(p + (o << 3), r + (o << 3), nOut, n, vals, vals2, idx);
      accumulateRowPairs(dst, q, t, nIn, vals, vals2, idx, count, nIn);
    } else {
      const count = gatherStrided(p + (o << 3), nOut, n, vals, idx);
      accumulateRows(dst, q, nIn, vals, idx, count, nIn);
    }
  }
}

/** out[o] = Σ_s p[s·width + o]: a layer's bias gradient. */
function columnSum(out: usize, p: usize, n: usize, width: usize): void {
  let o: usize = 0;
  for (; o + 2 <= width; o += 2) {
    let acc = f64x2.splat(0);
    for (let s: usize = 0; s < n; s++) acc = f64x2.add(acc, vec(p, s * width + o));
    setVec(out, o, acc);
  }
  if (o < width) {
    let acc = 0.0;
    for (let s: usize = 0; s < n; s++) acc += f(p, s * width + o);
    setF(out, o, acc);
  }
}

/** row[i] = 0 wherever mask[i] ≤ 0 (the units the ReLU switched off). */
function maskRow(row: usize, mask: usize, len: usize): void {
  let i: usize = 0;
  for (; i + 2 <= len; i += 2) setVec(row, i, keepPositive(vec(row, i), vec(mask, i)));
  if (i < len && !(f(mask, i) > 0)) setF(row, i, 0);
}

/** dst = [nIn, nOut] transpose of W = [nOut, nIn]. */
function transpose(w: usize, nOut: usize, nIn: usize, dst: usize): void {
  let o: usize = 0;
  for (; o + 2 <= nOut; o += 2) {
    let i: usize = 0;
    // 2 × 2 blocks: two rows' pairs in, two columns' pairs out
    for (; i + 2 <= nIn; i += 2) {
      const r0 = vec(w, o * nIn + i);
      const r1 = vec(w, (o + 1) * nIn + i);
      setVec(dst, i * nOut + o, f64x2.shuffle(r0, r1, 0, 2));
      setVec(dst, (i + 1) * nOut + o, f64x2.shuffle(r0, r1, 1, 3));
    }
    if (i < nIn) {
      setF(dst, i * nOut + o, f(w, o * nIn + i));
      setF(dst, i * nOut + o + 1, f(w, (o + 1) * nIn + i));
    }
  }
  if (o < nOut) {
    for (let i: usize = 0; i < nIn; i++) setF(dst, i * nOut + o, f(w, o * nIn + i));
  }
}

function forwardLayer(net: usize, tape: usize, th: usize, l: usize, n: usize): void {
  const L = word(net, 0);
  const nIn = layerWord(net, l, 0);
  const nOut = layerWord(net, l, 1);
  const w = th + (layerWord(net, l, 2) << 3);
  const b = th + (layerWord(net, l, 3) << 3);
  const a = tapeWord(tape, l, 0);
  const z = tapeWord(tape, l, 1);
  if (nOut == 1) {
    const b0 = f(b, 0);
    for (let s: usize = 0; s < n; s++) setF(z, s, b0 + dot(w, a + ((s * nIn) << 3), nIn));
  } else {
    // z_s = b + Σ over the active inputs i of a_si · Wᵀ[i, :]: vectors over the outputs
    let wt = w;
    if (nIn > 1) {
      wt = layerWord(net, l, 4);
      transpose(w, nOut, nIn, wt);
    }
    const vals = word(tape, 1);
    const idx = word(tape, 2);
    for (let s: usize = 0; s < n; s++) {
      const count = gatherNonzero(a + ((s * nIn) << 3), nIn, vals, idx);
      combineRows(z + ((s * nOut) << 3), b, wt, nOut, vals, idx, count, nOut);
    }
  }
  if (l + 1 < L) {
    const next = tapeWord(tape, l + 1, 0);
    const total = n * nOut;
    let k: usize = 0;
    for (; k + 2 <= total; k += 2) {
      const v = vec(z, k);
      setVec(next, k, keepPositive(v, v));
    }
    if (k < total) {
      const v = f(z, k);
      setF(next, k, v > 0 ? v : 0);
    }
  }
}

/** gW, gb of layer l from its dz; and, below the top of the input, the layer below's dz. */
function backwardLayer(net: usize, tape: usize, th: usize, l: usize, n: usize, g: usize): void {
  const nIn = layerWord(net, l, 0);
  const nOut = layerWord(net, l, 1);
  const wOff = layerWord(net, l, 2) << 3;
  const bOff = layerWord(net, l, 3) << 3;
  const a = tapeWord(tape, l, 0);
  const dz = tapeWord(tape, l, 2);
  const vals = word(tape, 1);
  const idx = word(tape, 2);
  columnSum(g + bOff, dz, n, nOut);
  outerSum(g + wOff, dz, a, 0, 0, n, nOut, nIn, vals, idx, 0);
  if (l == 0) return; // the network's input needs no gradient
  const da = tapeWord(tape, l - 1, 2);
  const w = th + wOff;
  for (let s: usize = 0; s < n; s++) {
    const count = gatherNonzero(dz + ((s * nOut) << 3), nOut, vals, idx);
    const row = da + ((s * nIn) << 3);
    combineRows(row, 0, w, nIn, vals, idx, count, nIn);
    maskRow(row, a + ((s * nIn) << 3), nIn);
  }
}

/** R{z_l} = R{a_l} W_lᵀ + a_l V_lᵀ + c_l, zero where the ReLU is off; R{a_{l+1}} likewise. */
function rForwardLayer(net: usize, tape: usize, th: usize, v: usize, l: usize, n: usize): void {
  const L = word(net, 0);
  const nIn = layerWord(net, l, 0);
  const nOut = layerWord(net, l, 1);
  const wOff = layerWord(net, l, 2) << 3;
  const bOff = layerWord(net, l, 3) << 3;
  const relu = l + 1 < L;
  const a = tapeWord(tape, l, 0);
  const ra = tapeWord(tape, l, 3);
  const z = tapeWord(tape, l, 1);
  const rz = tapeWord(tape, l, 4);
  const next: usize = relu ? tapeWord(tape, l + 1, 3) : 0;
  const c = v + bOff;
  const vw = v + wOff;
  const w = th + wOff;
  if (nIn == 1 && l == 0) {
    // R{a_0} = 0: R{z_s} = c + x_s V[:, 0], vectors over the outputs
    for (let s: usize = 0; s < n; s++) {
      const xs = f64x2.splat(f(a, s));
      const zs = s * nOut;
      let o: usize = 0;
      for (; o + 2 <= nOut; o += 2) {
        let r = f64x2.add(vec(c, o), f64x2.mul(xs, vec(vw, o)));
        if (relu) r = keepPositive(r, vec(z, zs + o));
        setVec(rz, zs + o, r);
        if (relu) setVec(next, zs + o, r);
      }
      if (o < nOut) {
        let r = f(c, o) + f(a, s) * f(vw, o);
        if (relu && !(f(z, zs + o) > 0)) r = 0;
        setF(rz, zs + o, r);
        if (relu) setF(next, zs + o, r);
      }
    }
    return;
  }
  const idx = word(tape, 2);
  for (let s: usize = 0; s < n; s++) {
    const as = a + ((s * nIn) << 3);
    const ras = ra + ((s * nIn) << 3);
    const zs = z + ((s * nOut) << 3);
    const rzs = rz + ((s * nOut) << 3);
    // the outputs the ReLU lets through (all of them at the last layer), listed without branches
    let count: usize = 0;
    for (let o: usize = 0; o < nOut; o++) {
      store<u32>(idx + (count << 2), <u32>o);
      count += <usize>(!relu || f(zs, o) > 0);
    }
    if (relu) zero(rzs, nOut);
    for (let q: usize = 0; q < count; q++) {
      const o = <usize>load<u32>(idx + (q << 2));
      const vRow = vw + ((o * nIn) << 3);
      setF(rzs, o, f(c, o) + (l == 0 ? dot(vRow, as, nIn) : dot2(vRow, as, w + ((o * nIn) << 3), ras, nIn)));
    }
    if (relu) memory.copy(next + ((s * nOut) << 3), rzs, nOut << 3);
  }
}

/** R{gW_l} = R{dz_l}ᵀ a_l + dz_lᵀ R{a_l}, R{gb_l} = Σ R{dz_l}; R{da_l} = R{dz_l} W_l + dz_l V_l at the active units. */
function rBackwardLayer(net: usize, tape: usize, th: usize, v: usize, l: usize, n: usize, out: usize): void {
  const nIn = layerWord(net, l, 0);
  const nOut = layerWord(net, l, 1);
  const wOff = layerWord(net, l, 2) << 3;
  const bOff = layerWord(net, l, 3) << 3;
  const a = tapeWord(tape, l, 0);
  const ra = tapeWord(tape, l, 3);
  const dz = tapeWord(tape, l, 2);
  const rdz = tapeWord(tape, l, 5);
  const vals = word(tape, 1);
  const idx = word(tape, 2);
  const vals2 = word(tape, 3);
  columnSum(out + bOff, rdz, n, nOut);
  // R{a_0} = 0: the input layer has no dz_0ᵀ R{a_0} term and no R{da_0}
  outerSum(out + wOff, rdz, a, l == 0 ? 0 : dz, ra, n, nOut, nIn, vals, idx, vals2);
  if (l == 0) return;
  const rda = tapeWord(tape, l - 1, 5);
  const w = th + wOff;
  const vw = v + wOff;
  for (let s: usize = 0; s < n; s++) {
    const row = rda + ((s * nIn) << 3);
    zero(row, nIn);
    const count = gatherPairs(rdz + ((s * nOut) << 3), dz + ((s * nOut) << 3), 1, nOut, vals, vals2, idx);
    accumulateRowPairs(row, w, vw, nIn, vals, vals2, idx, count, nIn);
    maskRow(row, a + ((s * nIn) << 3), nIn);
  }
}

/** Forward pass over the n points at the tape's acts[0]; the predictions end in the tape's last pre. */
export function forward(net: usize, tape: usize, th: usize, n: usize): void {
  const L = word(net, 0);
  for (let l: usize = 0; l < L; l++) forwardLayer(net, tape, th, l, n);
}

/** Mean squared error against the tape's y, after a forward pass. */
export function loss(net: usize, tape: usize, th: usize, n: usize): f64 {
  forward(net, tape, th, n);
  const pred = tapeWord(tape, word(net, 0) - 1, 1);
  const y = word(tape, 0);
  let sum = 0.0;
  for (let s: usize = 0; s < n; s++) {
    const d = f(pred, s) - f(y, s);
    sum += d * d;
  }
  return sum / <f64>n;
}

/** The loss and its gradient (written to g, every entry); the tape keeps what hvp needs. */
export function lossAndGrad(net: usize, tape: usize, th: usize, n: usize, g: usize): f64 {
  const L = word(net, 0);
  forward(net, tape, th, n);
  const pred = tapeWord(tape, L - 1, 1);
  const dOut = tapeWord(tape, L - 1, 2);
  const y = word(tape, 0);
  let sum = 0.0;
  for (let s: usize = 0; s < n; s++) {
    const d = f(pred, s) - f(y, s);
    sum += d * d;
    setF(dOut, s, (2 * d) / <f64>n);
  }
  for (let l = L; l > 0; l--) backwardLayer(net, tape, th, l - 1, n, g);
  return sum / <f64>n;
}

/** out = H(θ)·v for the loss whose lossAndGrad on θ filled the tape. */
export function hvp(net: usize, tape: usize, th: usize, v: usize, n: usize, out: usize): void {
  const L = word(net, 0);
  for (let l: usize = 0; l < L; l++) rForwardLayer(net, tape, th, v, l, n);
  const rzOut = tapeWord(tape, L - 1, 4);
  const rdOut = tapeWord(tape, L - 1, 5);
  for (let s: usize = 0; s < n; s++) setF(rdOut, s, (2 * f(rzOut, s)) / <f64>n);
  for (let l = L; l > 0; l--) rBackwardLayer(net, tape, th, v, l - 1, n, out);
}

// Element-wise vector operations of the algorithms (length len, in doubles).

/** to = from − lr · g */
export function sgdStep(to: usize, from: usize, lr: f64, g: usize, len: usize): void {
  const c = f64x2.splat(lr);
  let j: usize = 0;
  for (; j + 2 <= len; j += 2) setVec(to, j, f64x2.sub(vec(from, j), f64x2.mul(c, vec(g, j))));
  if (j < len) setF(to, j, f(from, j) - lr * f(g, j));
}

/** to = from − rates ⊙ g */
export function sgdStepRates(to: usize, from: usize, rates: usize, g: usize, len: usize): void {
  let j: usize = 0;
  for (; j + 2 <= len; j += 2) setVec(to, j, f64x2.sub(vec(from, j), f64x2.mul(vec(rates, j), vec(g, j))));
  if (j < len) setF(to, j, f(from, j) - f(rates, j) * f(g, j));
}

/** y += c · x */
export function axpy(y: usize, c: f64, x: usize, len: usize): void {
  const cv = f64x2.splat(c);
  let j: usize = 0;
  for (; j + 2 <= len; j += 2) setVec(y, j, f64x2.add(vec(y, j), f64x2.mul(cv, vec(x, j))));
  if (j < len) setF(y, j, f(y, j) + c * f(x, j));
}

/** y −= x */
export function subtract(y: usize, x: usize, len: usize): void {
  let j: usize = 0;
  for (; j + 2 <= len; j += 2) setVec(y, j, f64x2.sub(vec(y, j), vec(x, j)));
  if (j < len) setF(y, j, f(y, j) - f(x, j));
}

/** y += x */
export function add(y: usize, x: usize, len: usize): void {
  let j: usize = 0;
  for (; j + 2 <= len; j += 2) setVec(y, j, f64x2.add(vec(y, j), vec(x, j)));
  if (j < len) setF(y, j, f(y, j) + f(x, j));
}

/** out = p ⊙ q */
export function multiply(out: usize, p: usize, q: usize, len: usize): void {
  let j: usize = 0;
  for (; j + 2 <= len; j += 2) setVec(out, j, f64x2.mul(vec(p, j), vec(q, j)));
  if (j < len) setF(out, j, f(p, j) * f(q, j));
}

/** y −= p ⊙ q */
export function subtractProduct(y: usize, p: usize, q: usize, len: usize): void {
  let j: usize = 0;
  for (; j + 2 <= len; j += 2) setVec(y, j, f64x2.sub(vec(y, j), f64x2.mul(vec(p, j), vec(q, j))));
  if (j < len) setF(y, j, f(y, j) - f(p, j) * f(q, j));
}

/** out = (p − q) · c */
export function scaledDifference(out: usize, p: usize, q: usize, c: f64, len: usize): void {
  const cv = f64x2.splat(c);
  let j: usize = 0;
  for (; j + 2 <= len; j += 2) setVec(out, j, f64x2.mul(f64x2.sub(vec(p, j), vec(q, j)), cv));
  if (j < len) setF(out, j, (f(p, j) - f(q, j)) * c);
}

/**
 * One Adam step (lib/optim/adam.ts, PyTorch's form), element for element the same operations in
 * the same order as the TypeScript loop, so the same bits:
 *   m = β1 m + (1 − β1) g;  v = β2 v + ((1 − β2) g) g;  θ −= (stepSize m) / (√v / √c2 + eps)
 */
export function adamStep(theta: usize, g: usize, m: usize, v: usize, len: usize, beta1: f64, oneMinusBeta1: f64, beta2: f64, oneMinusBeta2: f64, stepSize: f64, sqrtC2: f64, eps: f64): void {
  const b1 = f64x2.splat(beta1);
  const c1 = f64x2.splat(oneMinusBeta1);
  const b2 = f64x2.splat(beta2);
  const c2 = f64x2.splat(oneMinusBeta2);
  const step = f64x2.splat(stepSize);
  const root = f64x2.splat(sqrtC2);
  const epsV = f64x2.splat(eps);
  let j: usize = 0;
  for (; j + 2 <= len; j += 2) {
    const gj = vec(g, j);
    const mj = f64x2.add(f64x2.mul(b1, vec(m, j)), f64x2.mul(c1, gj));
    const vj = f64x2.add(f64x2.mul(b2, vec(v, j)), f64x2.mul(f64x2.mul(c2, gj), gj));
    setVec(m, j, mj);
    setVec(v, j, vj);
    const denom = f64x2.add(f64x2.div(f64x2.sqrt(vj), root), epsV);
    setVec(theta, j, f64x2.sub(vec(theta, j), f64x2.div(f64x2.mul(step, mj), denom)));
  }
  if (j < len) {
    const gj = f(g, j);
    const mj = beta1 * f(m, j) + oneMinusBeta1 * gj;
    const vj = beta2 * f(v, j) + oneMinusBeta2 * gj * gj;
    setF(m, j, mj);
    setF(v, j, vj);
    setF(theta, j, f(theta, j) - (stepSize * mj) / (Math.sqrt(vj) / sqrtC2 + eps));
  }
}

// The benchmark's yardstick (bench/bench.ts): dense matrix products in tight SIMD loops, to
// measure what this core sustains in float64 (f64x2) and float32 (f32x4) WebAssembly.

/**
 * C = A·B, A [m, k], B [k, n], C [m, n], row-major float64; n a multiple of 8 and m even.
 * Blocks of 2 rows × 8 columns: 8 accumulators stay in registers over the whole k loop.
 */
export function matmulF64(a: usize, b: usize, c: usize, m: usize, k: usize, n: usize): void {
  for (let i: usize = 0; i < m; i += 2) {
    const a0 = a + ((i * k) << 3);
    const a1 = a0 + (k << 3);
    for (let j: usize = 0; j < n; j += 8) {
      let c00 = f64x2.splat(0), c01 = f64x2.splat(0), c02 = f64x2.splat(0), c03 = f64x2.splat(0);
      let c10 = f64x2.splat(0), c11 = f64x2.splat(0), c12 = f64x2.splat(0), c13 = f64x2.splat(0);
      for (let p: usize = 0; p < k; p++) {
        const row = b + ((p * n + j) << 3);
        const b0 = v128.load(row);
        const b1 = v128.load(row, 16);
        const b2 = v128.load(row, 32);
        const b3 = v128.load(row, 48);
        const x0 = v128.load64_splat(a0 + (p << 3));
        const x1 = v128.load64_splat(a1 + (p << 3));
        c00 = f64x2.add(c00, f64x2.mul(x0, b0));
        c01 = f64x2.add(c01, f64x2.mul(x0, b1));
        c02 = f64x2.add(c02, f64x2.mul(x0, b2));
        c03 = f64x2.add(c03, f64x2.mul(x0, b3));
        c10 = f64x2.add(c10, f64x2.mul(x1, b0));
        c11 = f64x2.add(c11, f64x2.mul(x1, b1));
        c12 = f64x2.add(c12, f64x2.mul(x1, b2));
        c13 = f64x2.add(c13, f64x2.mul(x1, b3));
      }
      const r0 = c + ((i * n + j) << 3);
      const r1 = r0 + (n << 3);
      v128.store(r0, c00); v128.store(r0, c01, 16); v128.store(r0, c02, 32); v128.store(r0, c03, 48);
      v128.store(r1, c10); v128.store(r1, c11, 16); v128.store(r1, c12, 32); v128.store(r1, c13, 48);
    }
  }
}

/** The same in float32 (f32x4): n a multiple of 16, m even; 2 rows × 16 columns a block. */
export function matmulF32(a: usize, b: usize, c: usize, m: usize, k: usize, n: usize): void {
  for (let i: usize = 0; i < m; i += 2) {
    const a0 = a + ((i * k) << 2);
    const a1 = a0 + (k << 2);
    for (let j: usize = 0; j < n; j += 16) {
      let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0), c03 = f32x4.splat(0);
      let c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0), c13 = f32x4.splat(0);
      for (let p: usize = 0; p < k; p++) {
        const row = b + ((p * n + j) << 2);
        const b0 = v128.load(row);
        const b1 = v128.load(row, 16);
        const b2 = v128.load(row, 32);
        const b3 = v128.load(row, 48);
        const x0 = v128.load32_splat(a0 + (p << 2));
        const x1 = v128.load32_splat(a1 + (p << 2));
        c00 = f32x4.add(c00, f32x4.mul(x0, b0));
        c01 = f32x4.add(c01, f32x4.mul(x0, b1));
        c02 = f32x4.add(c02, f32x4.mul(x0, b2));
        c03 = f32x4.add(c03, f32x4.mul(x0, b3));
        c10 = f32x4.add(c10, f32x4.mul(x1, b0));
        c11 = f32x4.add(c11, f32x4.mul(x1, b1));
        c12 = f32x4.add(c12, f32x4.mul(x1, b2));
        c13 = f32x4.add(c13, f32x4.mul(x1, b3));
      }
      const r0 = c + ((i * n + j) << 2);
      const r1 = r0 + (n << 2);
      v128.store(r0, c00); v128.store(r0, c01, 16); v128.store(r0, c02, 32); v128.store(r0, c03, 48);
      v128.store(r1, c10); v128.store(r1, c11, 16); v128.store(r1, c12, 32); v128.store(r1, c13, 48);
    }
  }
}

/** Where the TypeScript side may start placing buffers. */
export function heapBase(): usize {
  return __heap_base;
}
