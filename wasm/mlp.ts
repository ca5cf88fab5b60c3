// AssemblyScript source of the wasm engines' kernels (lib/model/wasmMlp.ts drives them).
// Built by scripts/build-wasm.ts (npm run build:wasm, run by npm ci's postinstall) into
// lib/model/wasmKernelsGenerated.ts. Not part of the TypeScript build: it is compiled by asc.
//
// The same mathematics as lib/model/fastMlp.ts (read that file for the derivation), with
// 128-bit SIMD inner loops, in one of two precisions. `Real` and the vector operations (vsplat,
// vadd, vsub, vmul, vgt, hsum, transposeBlock) come from a prelude that scripts/build-wasm.ts
// passes to asc as a library (`--lib`: its exports are globals here): wasm/real-f64.ts (f64,
// f64x2: the wasm engine) or wasm/real-f32.ts (f32, f32x4: the wasm-f32 engine). Row loops run
// over blocks of eight, four, two and one vectors (a row of exactly ten in one pass), then
// scalars for the last < LANES entries; each entry's additions keep one order whatever the
// blocking. Adam's step and the benchmark's matrix products are float64 (and float32) in both
// builds, whatever Real is. Nothing is allocated here: every buffer is a region of linear memory that the
// TypeScript side reserved once, described by two tables of u32 words:
//
//   net table:  [L, then per layer l: nIn, nOut, wOff, bOff, wtPtr]
//               (wOff, bOff: offsets in reals inside θ; wtPtr: bytes of a [nIn, nOut] scratch
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
/** log2 of a real's bytes: an index << SHIFT is a byte offset. */
const SHIFT: usize = alignof<Real>();
/** Reals in one 128-bit vector. */
const LANES: usize = 16 / sizeof<Real>();
/** Reals in a block of four vectors. */
const BLOCK: usize = 4 * LANES;
/** Reals in a block of eight vectors, the widest step of the row loops (but see the ten-vector pass in combineRows). */
const WIDE: usize = 8 * LANES;

@inline function word(table: usize, k: usize): usize {
  return <usize>load<u32>(table + (k << 2));
}
@inline function layerWord(net: usize, l: usize, k: usize): usize {
  return word(net, NET_HEAD + l * NET_WORDS + k);
}
@inline function tapeWord(tape: usize, l: usize, k: usize): usize {
  return word(tape, TAPE_HEAD + l * TAPE_WORDS + k);
}
@inline function f(ptr: usize, i: usize): Real {
  return load<Real>(ptr + (i << SHIFT));
}
@inline function setF(ptr: usize, i: usize, v: Real): void {
  store<Real>(ptr + (i << SHIFT), v);
}
@inline function vec(ptr: usize, i: usize): v128 {
  return v128.load(ptr + (i << SHIFT));
}
@inline function setVec(ptr: usize, i: usize, v: v128): void {
  v128.store(ptr + (i << SHIFT), v);
}
/** v where mask > 0, else +0 (as relu and relu' do: a unit at exactly 0 is off). */
@inline function keepPositive(v: v128, mask: v128): v128 {
  return v128.and(v, vgt(mask, vsplat(0)));
}

/** Σ_i p[i] q[i], two vector accumulators. */
function dot(p: usize, q: usize, len: usize): Real {
  let acc0 = vsplat(0);
  let acc1 = vsplat(0);
  let i: usize = 0;
  for (; i + 2 * LANES <= len; i += 2 * LANES) {
    acc0 = vadd(acc0, vmul(vec(p, i), vec(q, i)));
    acc1 = vadd(acc1, vmul(vec(p, i + LANES), vec(q, i + LANES)));
  }
  if (i + LANES <= len) {
    acc0 = vadd(acc0, vmul(vec(p, i), vec(q, i)));
    i += LANES;
  }
  let sum = hsum(vadd(acc0, acc1));
  for (; i < len; i++) sum += f(p, i) * f(q, i);
  return sum;
}

/** Σ_i p[i] q[i] + r[i] t[i]. */
function dot2(p: usize, q: usize, r: usize, t: usize, len: usize): Real {
  let acc0 = vsplat(0);
  let acc1 = vsplat(0);
  let i: usize = 0;
  for (; i + LANES <= len; i += LANES) {
    acc0 = vadd(acc0, vmul(vec(p, i), vec(q, i)));
    acc1 = vadd(acc1, vmul(vec(r, i), vec(t, i)));
  }
  let sum = hsum(vadd(acc0, acc1));
  for (; i < len; i++) sum += f(p, i) * f(q, i) + f(r, i) * f(t, i);
  return sum;
}

/**
 * dst[o0] = c[o0] + dot2(p0, q, r0, t, len) and dst[o1] likewise with p1, r1: two of dot2's sums
 * in one loop (q and t read once, twice the independent additions in flight), each entry's
 * operations in dot2's order, so the same bits.
 */
function dot2Pair(dst: usize, o0: usize, o1: usize, c: usize, p0: usize, p1: usize, q: usize, r0: usize, r1: usize, t: usize, len: usize): void {
  let a0 = vsplat(0);
  let a1 = vsplat(0);
  let b0 = vsplat(0);
  let b1 = vsplat(0);
  let i: usize = 0;
  for (; i + LANES <= len; i += LANES) {
    const qi = vec(q, i);
    const ti = vec(t, i);
    a0 = vadd(a0, vmul(vec(p0, i), qi));
    a1 = vadd(a1, vmul(vec(r0, i), ti));
    b0 = vadd(b0, vmul(vec(p1, i), qi));
    b1 = vadd(b1, vmul(vec(r1, i), ti));
  }
  let sumA = hsum(vadd(a0, a1));
  let sumB = hsum(vadd(b0, b1));
  for (; i < len; i++) {
    sumA += f(p0, i) * f(q, i) + f(r0, i) * f(t, i);
    sumB += f(p1, i) * f(q, i) + f(r1, i) * f(t, i);
  }
  setF(dst, o0, f(c, o0) + sumA);
  setF(dst, o1, f(c, o1) + sumB);
}

/**
 * dst[k] = Σ_q vals[q] · rows[idx[q]·stride + k] for k < len (rows: row-major, `stride` reals a
 * row), plus base[k] if base ≠ 0, else from +0. Blocks of 8, 4, 2 and 1 vectors held in
 * registers over the whole list, then scalars; a row of exactly ten vectors (40 floats, the
 * original's width in float32) in one pass, since a second pass over the list for the last two
 * vectors cost more than their arithmetic (ten accumulators and the multiplier fit x64's sixteen
 * vector registers; passes of ten for longer rows measured slower). Every entry sums in the
 * order of q whatever block it falls in, so the blocking changes no bits.
 */
function combineRows(dst: usize, base: usize, rows: usize, stride: usize, vals: usize, idx: usize, count: usize, len: usize): void {
  let k: usize = 0;
  if (len == WIDE + 2 * LANES) {
    // ten vectors in one pass over the list (a row of 40 floats): one pass instead of two
    let acc0 = base ? vec(base, 0) : vsplat(0);
    let acc1 = base ? vec(base, LANES) : vsplat(0);
    let acc2 = base ? vec(base, 2 * LANES) : vsplat(0);
    let acc3 = base ? vec(base, 3 * LANES) : vsplat(0);
    let acc4 = base ? vec(base, 4 * LANES) : vsplat(0);
    let acc5 = base ? vec(base, 5 * LANES) : vsplat(0);
    let acc6 = base ? vec(base, 6 * LANES) : vsplat(0);
    let acc7 = base ? vec(base, 7 * LANES) : vsplat(0);
    let acc8 = base ? vec(base, 8 * LANES) : vsplat(0);
    let acc9 = base ? vec(base, 9 * LANES) : vsplat(0);
    for (let q: usize = 0; q < count; q++) {
      const c = vsplat(f(vals, q));
      const row = rows + ((<usize>load<u32>(idx + (q << 2)) * stride) << SHIFT);
      acc0 = vadd(acc0, vmul(c, v128.load(row)));
      acc1 = vadd(acc1, vmul(c, v128.load(row, 16)));
      acc2 = vadd(acc2, vmul(c, v128.load(row, 32)));
      acc3 = vadd(acc3, vmul(c, v128.load(row, 48)));
      acc4 = vadd(acc4, vmul(c, v128.load(row, 64)));
      acc5 = vadd(acc5, vmul(c, v128.load(row, 80)));
      acc6 = vadd(acc6, vmul(c, v128.load(row, 96)));
      acc7 = vadd(acc7, vmul(c, v128.load(row, 112)));
      acc8 = vadd(acc8, vmul(c, v128.load(row, 128)));
      acc9 = vadd(acc9, vmul(c, v128.load(row, 144)));
    }
    setVec(dst, 0, acc0);
    setVec(dst, LANES, acc1);
    setVec(dst, 2 * LANES, acc2);
    setVec(dst, 3 * LANES, acc3);
    setVec(dst, 4 * LANES, acc4);
    setVec(dst, 5 * LANES, acc5);
    setVec(dst, 6 * LANES, acc6);
    setVec(dst, 7 * LANES, acc7);
    setVec(dst, 8 * LANES, acc8);
    setVec(dst, 9 * LANES, acc9);
    return;
  }
  for (; k + WIDE <= len; k += WIDE) {
    let acc0 = base ? vec(base, k) : vsplat(0);
    let acc1 = base ? vec(base, k + LANES) : vsplat(0);
    let acc2 = base ? vec(base, k + 2 * LANES) : vsplat(0);
    let acc3 = base ? vec(base, k + 3 * LANES) : vsplat(0);
    let acc4 = base ? vec(base, k + 4 * LANES) : vsplat(0);
    let acc5 = base ? vec(base, k + 5 * LANES) : vsplat(0);
    let acc6 = base ? vec(base, k + 6 * LANES) : vsplat(0);
    let acc7 = base ? vec(base, k + 7 * LANES) : vsplat(0);
    for (let q: usize = 0; q < count; q++) {
      const c = vsplat(f(vals, q));
      const row = rows + ((<usize>load<u32>(idx + (q << 2)) * stride + k) << SHIFT);
      acc0 = vadd(acc0, vmul(c, v128.load(row)));
      acc1 = vadd(acc1, vmul(c, v128.load(row, 16)));
      acc2 = vadd(acc2, vmul(c, v128.load(row, 32)));
      acc3 = vadd(acc3, vmul(c, v128.load(row, 48)));
      acc4 = vadd(acc4, vmul(c, v128.load(row, 64)));
      acc5 = vadd(acc5, vmul(c, v128.load(row, 80)));
      acc6 = vadd(acc6, vmul(c, v128.load(row, 96)));
      acc7 = vadd(acc7, vmul(c, v128.load(row, 112)));
    }
    setVec(dst, k, acc0);
    setVec(dst, k + LANES, acc1);
    setVec(dst, k + 2 * LANES, acc2);
    setVec(dst, k + 3 * LANES, acc3);
    setVec(dst, k + 4 * LANES, acc4);
    setVec(dst, k + 5 * LANES, acc5);
    setVec(dst, k + 6 * LANES, acc6);
    setVec(dst, k + 7 * LANES, acc7);
  }
  if (k + BLOCK <= len) {
    let acc0 = base ? vec(base, k) : vsplat(0);
    let acc1 = base ? vec(base, k + LANES) : vsplat(0);
    let acc2 = base ? vec(base, k + 2 * LANES) : vsplat(0);
    let acc3 = base ? vec(base, k + 3 * LANES) : vsplat(0);
    for (let q: usize = 0; q < count; q++) {
      const c = vsplat(f(vals, q));
      const row = rows + ((<usize>load<u32>(idx + (q << 2)) * stride + k) << SHIFT);
      acc0 = vadd(acc0, vmul(c, v128.load(row)));
      acc1 = vadd(acc1, vmul(c, v128.load(row, 16)));
      acc2 = vadd(acc2, vmul(c, v128.load(row, 32)));
      acc3 = vadd(acc3, vmul(c, v128.load(row, 48)));
    }
    setVec(dst, k, acc0);
    setVec(dst, k + LANES, acc1);
    setVec(dst, k + 2 * LANES, acc2);
    setVec(dst, k + 3 * LANES, acc3);
    k += BLOCK;
  }
  if (k + 2 * LANES <= len) {
    let acc0 = base ? vec(base, k) : vsplat(0);
    let acc1 = base ? vec(base, k + LANES) : vsplat(0);
    for (let q: usize = 0; q < count; q++) {
      const c = vsplat(f(vals, q));
      const row = rows + ((<usize>load<u32>(idx + (q << 2)) * stride + k) << SHIFT);
      acc0 = vadd(acc0, vmul(c, v128.load(row)));
      acc1 = vadd(acc1, vmul(c, v128.load(row, 16)));
    }
    setVec(dst, k, acc0);
    setVec(dst, k + LANES, acc1);
    k += 2 * LANES;
  }
  for (; k + LANES <= len; k += LANES) {
    let acc = base ? vec(base, k) : vsplat(0);
    for (let q: usize = 0; q < count; q++) {
      const row = rows + ((<usize>load<u32>(idx + (q << 2)) * stride + k) << SHIFT);
      acc = vadd(acc, vmul(vsplat(f(vals, q)), v128.load(row)));
    }
    setVec(dst, k, acc);
  }
  for (; k < len; k++) {
    let acc: Real = base ? f(base, k) : 0;
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

/** dst[k] = Σ_q valsA[q] · rowsA[idx[q]·stride + k] + valsB[q] · rowsB[idx[q]·stride + k], k < len (from +0, in registers). */
function combineRowPairs(dst: usize, rowsA: usize, rowsB: usize, stride: usize, valsA: usize, valsB: usize, idx: usize, count: usize, len: usize): void {
  let k: usize = 0;
  if (len == WIDE + 2 * LANES) {
    // ten vectors in one pass over the list, as in combineRows
    let acc0 = vsplat(0);
    let acc1 = vsplat(0);
    let acc2 = vsplat(0);
    let acc3 = vsplat(0);
    let acc4 = vsplat(0);
    let acc5 = vsplat(0);
    let acc6 = vsplat(0);
    let acc7 = vsplat(0);
    let acc8 = vsplat(0);
    let acc9 = vsplat(0);
    for (let q: usize = 0; q < count; q++) {
      const ca = vsplat(f(valsA, q));
      const cb = vsplat(f(valsB, q));
      const at = (<usize>load<u32>(idx + (q << 2)) * stride) << SHIFT;
      const ra = rowsA + at;
      const rb = rowsB + at;
      acc0 = vadd(acc0, vadd(vmul(ca, v128.load(ra)), vmul(cb, v128.load(rb))));
      acc1 = vadd(acc1, vadd(vmul(ca, v128.load(ra, 16)), vmul(cb, v128.load(rb, 16))));
      acc2 = vadd(acc2, vadd(vmul(ca, v128.load(ra, 32)), vmul(cb, v128.load(rb, 32))));
      acc3 = vadd(acc3, vadd(vmul(ca, v128.load(ra, 48)), vmul(cb, v128.load(rb, 48))));
      acc4 = vadd(acc4, vadd(vmul(ca, v128.load(ra, 64)), vmul(cb, v128.load(rb, 64))));
      acc5 = vadd(acc5, vadd(vmul(ca, v128.load(ra, 80)), vmul(cb, v128.load(rb, 80))));
      acc6 = vadd(acc6, vadd(vmul(ca, v128.load(ra, 96)), vmul(cb, v128.load(rb, 96))));
      acc7 = vadd(acc7, vadd(vmul(ca, v128.load(ra, 112)), vmul(cb, v128.load(rb, 112))));
      acc8 = vadd(acc8, vadd(vmul(ca, v128.load(ra, 128)), vmul(cb, v128.load(rb, 128))));
      acc9 = vadd(acc9, vadd(vmul(ca, v128.load(ra, 144)), vmul(cb, v128.load(rb, 144))));
    }
    setVec(dst, 0, acc0);
    setVec(dst, LANES, acc1);
    setVec(dst, 2 * LANES, acc2);
    setVec(dst, 3 * LANES, acc3);
    setVec(dst, 4 * LANES, acc4);
    setVec(dst, 5 * LANES, acc5);
    setVec(dst, 6 * LANES, acc6);
    setVec(dst, 7 * LANES, acc7);
    setVec(dst, 8 * LANES, acc8);
    setVec(dst, 9 * LANES, acc9);
    return;
  }
  for (; k + WIDE <= len; k += WIDE) {
    let acc0 = vsplat(0);
    let acc1 = vsplat(0);
    let acc2 = vsplat(0);
    let acc3 = vsplat(0);
    let acc4 = vsplat(0);
    let acc5 = vsplat(0);
    let acc6 = vsplat(0);
    let acc7 = vsplat(0);
    for (let q: usize = 0; q < count; q++) {
      const ca = vsplat(f(valsA, q));
      const cb = vsplat(f(valsB, q));
      const at = (<usize>load<u32>(idx + (q << 2)) * stride + k) << SHIFT;
      const ra = rowsA + at;
      const rb = rowsB + at;
      acc0 = vadd(acc0, vadd(vmul(ca, v128.load(ra)), vmul(cb, v128.load(rb))));
      acc1 = vadd(acc1, vadd(vmul(ca, v128.load(ra, 16)), vmul(cb, v128.load(rb, 16))));
      acc2 = vadd(acc2, vadd(vmul(ca, v128.load(ra, 32)), vmul(cb, v128.load(rb, 32))));
      acc3 = vadd(acc3, vadd(vmul(ca, v128.load(ra, 48)), vmul(cb, v128.load(rb, 48))));
      acc4 = vadd(acc4, vadd(vmul(ca, v128.load(ra, 64)), vmul(cb, v128.load(rb, 64))));
      acc5 = vadd(acc5, vadd(vmul(ca, v128.load(ra, 80)), vmul(cb, v128.load(rb, 80))));
      acc6 = vadd(acc6, vadd(vmul(ca, v128.load(ra, 96)), vmul(cb, v128.load(rb, 96))));
      acc7 = vadd(acc7, vadd(vmul(ca, v128.load(ra, 112)), vmul(cb, v128.load(rb, 112))));
    }
    setVec(dst, k, acc0);
    setVec(dst, k + LANES, acc1);
    setVec(dst, k + 2 * LANES, acc2);
    setVec(dst, k + 3 * LANES, acc3);
    setVec(dst, k + 4 * LANES, acc4);
    setVec(dst, k + 5 * LANES, acc5);
    setVec(dst, k + 6 * LANES, acc6);
    setVec(dst, k + 7 * LANES, acc7);
  }
  if (k + BLOCK <= len) {
    let acc0 = vsplat(0);
    let acc1 = vsplat(0);
    let acc2 = vsplat(0);
    let acc3 = vsplat(0);
    for (let q: usize = 0; q < count; q++) {
      const ca = vsplat(f(valsA, q));
      const cb = vsplat(f(valsB, q));
      const at = (<usize>load<u32>(idx + (q << 2)) * stride + k) << SHIFT;
      const ra = rowsA + at;
      const rb = rowsB + at;
      acc0 = vadd(acc0, vadd(vmul(ca, v128.load(ra)), vmul(cb, v128.load(rb))));
      acc1 = vadd(acc1, vadd(vmul(ca, v128.load(ra, 16)), vmul(cb, v128.load(rb, 16))));
      acc2 = vadd(acc2, vadd(vmul(ca, v128.load(ra, 32)), vmul(cb, v128.load(rb, 32))));
      acc3 = vadd(acc3, vadd(vmul(ca, v128.load(ra, 48)), vmul(cb, v128.load(rb, 48))));
    }
    setVec(dst, k, acc0);
    setVec(dst, k + LANES, acc1);
    setVec(dst, k + 2 * LANES, acc2);
    setVec(dst, k + 3 * LANES, acc3);
    k += BLOCK;
  }
  if (k + 2 * LANES <= len) {
    let acc0 = vsplat(0);
    let acc1 = vsplat(0);
    for (let q: usize = 0; q < count; q++) {
      const ca = vsplat(f(valsA, q));
      const cb = vsplat(f(valsB, q));
      const at = (<usize>load<u32>(idx + (q << 2)) * stride + k) << SHIFT;
      const ra = rowsA + at;
      const rb = rowsB + at;
      acc0 = vadd(acc0, vadd(vmul(ca, v128.load(ra)), vmul(cb, v128.load(rb))));
      acc1 = vadd(acc1, vadd(vmul(ca, v128.load(ra, 16)), vmul(cb, v128.load(rb, 16))));
    }
    setVec(dst, k, acc0);
    setVec(dst, k + LANES, acc1);
    k += 2 * LANES;
  }
  for (; k + LANES <= len; k += LANES) {
    let acc = vsplat(0);
    for (let q: usize = 0; q < count; q++) {
      const at = (<usize>load<u32>(idx + (q << 2)) * stride + k) << SHIFT;
      acc = vadd(acc, vadd(vmul(vsplat(f(valsA, q)), v128.load(rowsA + at)), vmul(vsplat(f(valsB, q)), v128.load(rowsB + at))));
    }
    setVec(dst, k, acc);
  }
  for (; k < len; k++) {
    let acc: Real = 0;
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
  for (; k + LANES <= len; k += LANES) setVec(row, k, vsplat(0));
  for (; k < len; k++) setF(row, k, 0);
}

/** out[o·nIn + i] = Σ_s p[s·nOut + o] q[s·nIn + i] (+ r[s·nOut + o] t[s·nIn + i] when r ≠ 0): a layer's weight gradient. */
function outerSum(out: usize, p: usize, q: usize, r: usize, t: usize, n: usize, nOut: usize, nIn: usize, vals: usize, idx: usize, vals2: usize): void {
  if (nIn == 1) {
    // W is one column: vectorise over the outputs instead
    let o: usize = 0;
    for (; o + LANES <= nOut; o += LANES) {
      let acc = vsplat(0);
      for (let s: usize = 0; s < n; s++) {
        acc = vadd(acc, vmul(vec(p, s * nOut + o), vsplat(f(q, s))));
        if (r) acc = vadd(acc, vmul(vec(r, s * nOut + o), vsplat(f(t, s))));
      }
      setVec(out, o, acc);
    }
    for (; o < nOut; o++) {
      let acc: Real = 0;
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
    // (the sums start from +0 in registers: no pass that zeroes the row first)
    const dst = out + ((o * nIn) << SHIFT);
    if (r) {
      // both terms over one list of points (p and r are zero at the same points in a hidden layer)
      const count = gatherPairs(p + (o << SHIFT), r + (o << SHIFT), nOut, n, vals, vals2, idx);
      combineRowPairs(dst, q, t, nIn, vals, vals2, idx, count, nIn);
    } else {
      const count = gatherStrided(p + (o << SHIFT), nOut, n, vals, idx);
      combineRows(dst, 0, q, nIn, vals, idx, count, nIn);
    }
  }
}

/** out[o] = Σ_s p[s·width + o]: a layer's bias gradient. */
function columnSum(out: usize, p: usize, n: usize, width: usize): void {
  let o: usize = 0;
  for (; o + LANES <= width; o += LANES) {
    let acc = vsplat(0);
    for (let s: usize = 0; s < n; s++) acc = vadd(acc, vec(p, s * width + o));
    setVec(out, o, acc);
  }
  for (; o < width; o++) {
    let acc: Real = 0;
    for (let s: usize = 0; s < n; s++) acc += f(p, s * width + o);
    setF(out, o, acc);
  }
}

/** row[i] = 0 wherever mask[i] ≤ 0 (the units the ReLU switched off). */
function maskRow(row: usize, mask: usize, len: usize): void {
  let i: usize = 0;
  for (; i + LANES <= len; i += LANES) setVec(row, i, keepPositive(vec(row, i), vec(mask, i)));
  for (; i < len; i++) if (!(f(mask, i) > 0)) setF(row, i, 0);
}

/** dst = [nIn, nOut] transpose of W = [nOut, nIn]: LANES × LANES blocks, then the leftover columns and rows. */
function transpose(w: usize, nOut: usize, nIn: usize, dst: usize): void {
  let o: usize = 0;
  for (; o + LANES <= nOut; o += LANES) {
    let i: usize = 0;
    for (; i + LANES <= nIn; i += LANES) transposeBlock(w + ((o * nIn + i) << SHIFT), nIn, dst + ((i * nOut + o) << SHIFT), nOut);
    for (; i < nIn; i++) {
      for (let r: usize = 0; r < LANES; r++) setF(dst, i * nOut + o + r, f(w, (o + r) * nIn + i));
    }
  }
  for (; o < nOut; o++) {
    for (let i: usize = 0; i < nIn; i++) setF(dst, i * nOut + o, f(w, o * nIn + i));
  }
}

function forwardLayer(net: usize, tape: usize, th: usize, l: usize, n: usize): void {
  const L = word(net, 0);
  const nIn = layerWord(net, l, 0);
  const nOut = layerWord(net, l, 1);
  const w = th + (layerWord(net, l, 2) << SHIFT);
  const b = th + (layerWord(net, l, 3) << SHIFT);
  const a = tapeWord(tape, l, 0);
  const z = tapeWord(tape, l, 1);
  if (nOut == 1) {
    const b0 = f(b, 0);
    for (let s: usize = 0; s < n; s++) setF(z, s, b0 + dot(w, a + ((s * nIn) << SHIFT), nIn));
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
      const count = gatherNonzero(a + ((s * nIn) << SHIFT), nIn, vals, idx);
      combineRows(z + ((s * nOut) << SHIFT), b, wt, nOut, vals, idx, count, nOut);
    }
  }
  if (l + 1 < L) {
    const next = tapeWord(tape, l + 1, 0);
    const total = n * nOut;
    let k: usize = 0;
    for (; k + LANES <= total; k += LANES) {
      const v = vec(z, k);
      setVec(next, k, keepPositive(v, v));
    }
    for (; k < total; k++) {
      const v = f(z, k);
      setF(next, k, v > 0 ? v : 0);
    }
  }
}

/** gW, gb of layer l from its dz; and, below the top of the input, the layer below's dz. */
function backwardLayer(net: usize, tape: usize, th: usize, l: usize, n: usize, g: usize): void {
  const nIn = layerWord(net, l, 0);
  const nOut = layerWord(net, l, 1);
  const wOff = layerWord(net, l, 2) << SHIFT;
  const bOff = layerWord(net, l, 3) << SHIFT;
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
    const count = gatherNonzero(dz + ((s * nOut) << SHIFT), nOut, vals, idx);
    const row = da + ((s * nIn) << SHIFT);
    combineRows(row, 0, w, nIn, vals, idx, count, nIn);
    maskRow(row, a + ((s * nIn) << SHIFT), nIn);
  }
}

/** R{z_l} = R{a_l} W_lᵀ + a_l V_lᵀ + c_l, zero where the ReLU is off; R{a_{l+1}} likewise. */
function rForwardLayer(net: usize, tape: usize, th: usize, v: usize, l: usize, n: usize): void {
  const L = word(net, 0);
  const nIn = layerWord(net, l, 0);
  const nOut = layerWord(net, l, 1);
  const wOff = layerWord(net, l, 2) << SHIFT;
  const bOff = layerWord(net, l, 3) << SHIFT;
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
      const xs = vsplat(f(a, s));
      const zs = s * nOut;
      let o: usize = 0;
      for (; o + LANES <= nOut; o += LANES) {
        let r = vadd(vec(c, o), vmul(xs, vec(vw, o)));
        if (relu) r = keepPositive(r, vec(z, zs + o));
        setVec(rz, zs + o, r);
        if (relu) setVec(next, zs + o, r);
      }
      for (; o < nOut; o++) {
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
    const as = a + ((s * nIn) << SHIFT);
    const ras = ra + ((s * nIn) << SHIFT);
    const zs = z + ((s * nOut) << SHIFT);
    const rzs = rz + ((s * nOut) << SHIFT);
    // the outputs the ReLU lets through (all of them at the last layer), listed without branches
    let count: usize = 0;
    for (let o: usize = 0; o < nOut; o++) {
      store<u32>(idx + (count << 2), <u32>o);
      count += <usize>(!relu || f(zs, o) > 0);
    }
    if (relu) zero(rzs, nOut);
    let q: usize = 0;
    if (l > 0) {
      // two outputs at a time: independent sums side by side, each in dot2's order
      for (; q + 2 <= count; q += 2) {
        const o0 = <usize>load<u32>(idx + (q << 2));
        const o1 = <usize>load<u32>(idx + ((q + 1) << 2));
        dot2Pair(rzs, o0, o1, c, vw + ((o0 * nIn) << SHIFT), vw + ((o1 * nIn) << SHIFT), as, w + ((o0 * nIn) << SHIFT), w + ((o1 * nIn) << SHIFT), ras, nIn);
      }
    }
    for (; q < count; q++) {
      const o = <usize>load<u32>(idx + (q << 2));
      const vRow = vw + ((o * nIn) << SHIFT);
      setF(rzs, o, f(c, o) + (l == 0 ? dot(vRow, as, nIn) : dot2(vRow, as, w + ((o * nIn) << SHIFT), ras, nIn)));
    }
    if (relu) memory.copy(next + ((s * nOut) << SHIFT), rzs, nOut << SHIFT);
  }
}

/** R{gW_l} = R{dz_l}ᵀ a_l + dz_lᵀ R{a_l}, R{gb_l} = Σ R{dz_l}; R{da_l} = R{dz_l} W_l + dz_l V_l at the active units. */
function rBackwardLayer(net: usize, tape: usize, th: usize, v: usize, l: usize, n: usize, out: usize): void {
  const nIn = layerWord(net, l, 0);
  const nOut = layerWord(net, l, 1);
  const wOff = layerWord(net, l, 2) << SHIFT;
  const bOff = layerWord(net, l, 3) << SHIFT;
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
    const row = rda + ((s * nIn) << SHIFT);
    const count = gatherPairs(rdz + ((s * nOut) << SHIFT), dz + ((s * nOut) << SHIFT), 1, nOut, vals, vals2, idx);
    combineRowPairs(row, w, vw, nIn, vals, vals2, idx, count, nIn);
    maskRow(row, a + ((s * nIn) << SHIFT), nIn);
  }
}

/** Forward pass over the n points at the tape's acts[0]; the predictions end in the tape's last pre. */
export function forward(net: usize, tape: usize, th: usize, n: usize): void {
  const L = word(net, 0);
  for (let l: usize = 0; l < L; l++) forwardLayer(net, tape, th, l, n);
}

/** Mean squared error against the tape's y, after a forward pass. */
export function loss(net: usize, tape: usize, th: usize, n: usize): Real {
  forward(net, tape, th, n);
  const pred = tapeWord(tape, word(net, 0) - 1, 1);
  const y = word(tape, 0);
  let sum: Real = 0;
  for (let s: usize = 0; s < n; s++) {
    const d = f(pred, s) - f(y, s);
    sum += d * d;
  }
  return sum / <Real>n;
}

/** The loss and its gradient (written to g, every entry); the tape keeps what hvp needs. */
export function lossAndGrad(net: usize, tape: usize, th: usize, n: usize, g: usize): Real {
  const L = word(net, 0);
  forward(net, tape, th, n);
  const pred = tapeWord(tape, L - 1, 1);
  const dOut = tapeWord(tape, L - 1, 2);
  const y = word(tape, 0);
  let sum: Real = 0;
  for (let s: usize = 0; s < n; s++) {
    const d = f(pred, s) - f(y, s);
    sum += d * d;
    setF(dOut, s, (2 * d) / <Real>n);
  }
  for (let l = L; l > 0; l--) backwardLayer(net, tape, th, l - 1, n, g);
  return sum / <Real>n;
}

/** out = H(θ)·v for the loss whose lossAndGrad on θ filled the tape. */
export function hvp(net: usize, tape: usize, th: usize, v: usize, n: usize, out: usize): void {
  const L = word(net, 0);
  for (let l: usize = 0; l < L; l++) rForwardLayer(net, tape, th, v, l, n);
  const rzOut = tapeWord(tape, L - 1, 4);
  const rdOut = tapeWord(tape, L - 1, 5);
  for (let s: usize = 0; s < n; s++) setF(rdOut, s, (2 * f(rzOut, s)) / <Real>n);
  for (let l = L; l > 0; l--) rBackwardLayer(net, tape, th, v, l - 1, n, out);
}

// Element-wise vector operations of the algorithms (length len, in reals).

/** to = from − lr · g */
export function sgdStep(to: usize, from: usize, lr: Real, g: usize, len: usize): void {
  const c = vsplat(lr);
  let j: usize = 0;
  for (; j + LANES <= len; j += LANES) setVec(to, j, vsub(vec(from, j), vmul(c, vec(g, j))));
  for (; j < len; j++) setF(to, j, f(from, j) - lr * f(g, j));
}

/** to = from − rates ⊙ g */
export function sgdStepRates(to: usize, from: usize, rates: usize, g: usize, len: usize): void {
  let j: usize = 0;
  for (; j + LANES <= len; j += LANES) setVec(to, j, vsub(vec(from, j), vmul(vec(rates, j), vec(g, j))));
  for (; j < len; j++) setF(to, j, f(from, j) - f(rates, j) * f(g, j));
}

/** y += c · x */
export function axpy(y: usize, c: Real, x: usize, len: usize): void {
  const cv = vsplat(c);
  let j: usize = 0;
  for (; j + LANES <= len; j += LANES) setVec(y, j, vadd(vec(y, j), vmul(cv, vec(x, j))));
  for (; j < len; j++) setF(y, j, f(y, j) + c * f(x, j));
}

/** y −= x */
export function subtract(y: usize, x: usize, len: usize): void {
  let j: usize = 0;
  for (; j + LANES <= len; j += LANES) setVec(y, j, vsub(vec(y, j), vec(x, j)));
  for (; j < len; j++) setF(y, j, f(y, j) - f(x, j));
}

/** y += x */
export function add(y: usize, x: usize, len: usize): void {
  let j: usize = 0;
  for (; j + LANES <= len; j += LANES) setVec(y, j, vadd(vec(y, j), vec(x, j)));
  for (; j < len; j++) setF(y, j, f(y, j) + f(x, j));
}

/** out = p ⊙ q */
export function multiply(out: usize, p: usize, q: usize, len: usize): void {
  let j: usize = 0;
  for (; j + LANES <= len; j += LANES) setVec(out, j, vmul(vec(p, j), vec(q, j)));
  for (; j < len; j++) setF(out, j, f(p, j) * f(q, j));
}

/** y −= p ⊙ q */
export function subtractProduct(y: usize, p: usize, q: usize, len: usize): void {
  let j: usize = 0;
  for (; j + LANES <= len; j += LANES) setVec(y, j, vsub(vec(y, j), vmul(vec(p, j), vec(q, j))));
  for (; j < len; j++) setF(y, j, f(y, j) - f(p, j) * f(q, j));
}

/** out = (p − q) · c */
export function scaledDifference(out: usize, p: usize, q: usize, c: Real, len: usize): void {
  const cv = vsplat(c);
  let j: usize = 0;
  for (; j + LANES <= len; j += LANES) setVec(out, j, vmul(vsub(vec(p, j), vec(q, j)), cv));
  for (; j < len; j++) setF(out, j, (f(p, j) - f(q, j)) * c);
}

// Between the precisions: float64 vectors (θ and the meta-gradient as Adam and the trainer keep
// them) to and from the kernels' reals. In the float64 build these are copies.

/** to[j] = from[j] rounded to Real (from: float64), as Math.fround does. */
export function fromF64(to: usize, from: usize, len: usize): void {
  if (sizeof<Real>() == 8) {
    memory.copy(to, from, len << 3);
    return;
  }
  let j: usize = 0;
  for (; j + 4 <= len; j += 4) {
    // two pairs of doubles to two pairs of floats (in the low lanes), then one vector of four
    const lo = f32x4.demote_f64x2_zero(vecD(from, j));
    const hi = f32x4.demote_f64x2_zero(vecD(from, j + 2));
    v128.store(to + (j << SHIFT), f32x4.shuffle(lo, hi, 0, 1, 4, 5));
  }
  for (; j < len; j++) setF(to, j, <Real>d(from, j));
}

/** to[j] = from[j] as float64 (exact). */
export function toF64(to: usize, from: usize, len: usize): void {
  if (sizeof<Real>() == 8) {
    memory.copy(to, from, len << 3);
    return;
  }
  let j: usize = 0;
  for (; j + 4 <= len; j += 4) {
    const v = v128.load(from + (j << SHIFT));
    setVecD(to, j, f64x2.promote_low_f32x4(v));
    setVecD(to, j + 2, f64x2.promote_low_f32x4(f32x4.shuffle(v, v, 2, 3, 2, 3)));
  }
  for (; j < len; j++) setD(to, j, <f64>f(from, j));
}

/**
 * to[j] += from[j] as float64: toF64 into a scratch vector and addF64 in one pass, the same
 * bits (the conversion is exact, then one IEEE addition); the trainer's sum of a meta-batch's
 * gradients.
 */
export function addToF64(to: usize, from: usize, len: usize): void {
  if (sizeof<Real>() == 8) {
    addF64(to, from, len);
    return;
  }
  let j: usize = 0;
  for (; j + 4 <= len; j += 4) {
    const v = v128.load(from + (j << SHIFT));
    setVecD(to, j, f64x2.add(vecD(to, j), f64x2.promote_low_f32x4(v)));
    setVecD(to, j + 2, f64x2.add(vecD(to, j + 2), f64x2.promote_low_f32x4(f32x4.shuffle(v, v, 2, 3, 2, 3))));
  }
  for (; j < len; j++) setD(to, j, d(to, j) + <f64>f(from, j));
}

// Float64 addressing whatever Real is (Adam's vectors, the conversions).
@inline function d(ptr: usize, i: usize): f64 {
  return load<f64>(ptr + (i << 3));
}
@inline function setD(ptr: usize, i: usize, v: f64): void {
  store<f64>(ptr + (i << 3), v);
}
@inline function vecD(ptr: usize, i: usize): v128 {
  return v128.load(ptr + (i << 3));
}
@inline function setVecD(ptr: usize, i: usize, v: v128): void {
  v128.store(ptr + (i << 3), v);
}

/**
 * One Adam step (lib/optim/adam.ts, PyTorch's form), element for element the same operations in
 * the same order as the TypeScript loop, so the same bits. Float64 in both builds (Adam's θ and
 * moments are float64 whatever precision the meta-gradient was computed in):
 *   m = β1 m + (1 − β1) g;  v = β2 v + ((1 − β2) g) g;  θ −= (stepSize m) / (√v / √c2 + eps)
 *
 * Stuck moments. A parameter whose gradient stays exactly 0 (a unit the ReLUs switch off for
 * every point) has its m shrink by β1 each step into the subnormal range, where it sticks: with
 * β1 = 0.9, 0.9 · k·2^-1074 rounds back to k·2^-1074 for k ≤ 5, so m never reaches 0. Arithmetic
 * on subnormals costs ~100 cycles an operation here (a microcode assist; WebAssembly keeps IEEE
 * subnormals), and trained models end with half or more of their 1,761 moments stuck: Adam's
 * step went from ~6 µs to ~60 µs. A lane is "stuck" when g is ±0, m is a subnormal no larger than
 * `stuckMax` (the largest k·2^-1074 that β1 maps to itself, and every smaller one too: computed
 * by lib/optim/adam.ts; 0 turns this off) and |θ| > `thetaMin` (lib/optim/adam.ts: large enough
 * that θ − (stepSize m)/denom rounds to θ, since denom ≥ eps). For such a lane the full formula
 * gives m, and θ, unchanged: the loop computes with m = +0 instead (no subnormal operation) and
 * keeps the old m. v is computed as always; a NaN denominator still makes θ NaN. Every other lane
 * runs the operations above, so every bit is the same.
 */
export function adamStep(theta: usize, g: usize, m: usize, v: usize, len: usize, beta1: f64, oneMinusBeta1: f64, beta2: f64, oneMinusBeta2: f64, stepSize: f64, sqrtC2: f64, eps: f64, stuckMax: f64, thetaMin: f64): void {
  const b1 = f64x2.splat(beta1);
  const c1 = f64x2.splat(oneMinusBeta1);
  const b2 = f64x2.splat(beta2);
  const c2 = f64x2.splat(oneMinusBeta2);
  const step = f64x2.splat(stepSize);
  const root = f64x2.splat(sqrtC2);
  const epsV = f64x2.splat(eps);
  const zero = f64x2.splat(0);
  // magnitudes compared as integers: a subnormal's bits are k, and no float operation touches it
  const magnitude = i64x2.splat(0x7fffffffffffffff);
  const stuckBits = i64x2.splat(reinterpret<i64>(stuckMax));
  const thetaMinV = f64x2.splat(thetaMin);
  let j: usize = 0;
  for (; j + 2 <= len; j += 2) {
    const gj = vecD(g, j);
    const mOld = vecD(m, j);
    const thetaOld = vecD(theta, j);
    const mBits = v128.and(mOld, magnitude);
    const stuck = v128.and(
      v128.and(f64x2.eq(gj, zero), f64x2.gt(f64x2.abs(thetaOld), thetaMinV)),
      v128.and(i64x2.gt_s(mBits, i64x2.splat(0)), i64x2.le_s(mBits, stuckBits)),
    );
    const mIn = v128.andnot(mOld, stuck);
    const mj = f64x2.add(f64x2.mul(b1, mIn), f64x2.mul(c1, gj));
    const vj = f64x2.add(f64x2.mul(b2, vecD(v, j)), f64x2.mul(f64x2.mul(c2, gj), gj));
    setVecD(m, j, v128.bitselect(mOld, mj, stuck));
    setVecD(v, j, vj);
    const denom = f64x2.add(f64x2.div(f64x2.sqrt(vj), root), epsV);
    setVecD(theta, j, f64x2.sub(thetaOld, f64x2.div(f64x2.mul(step, mj), denom)));
  }
  if (j < len) {
    const gj = d(g, j);
    const mOld = d(m, j);
    const thetaOld = d(theta, j);
    const mBits = reinterpret<i64>(mOld) & 0x7fffffffffffffff;
    const stuck = gj == 0 && Math.abs(thetaOld) > thetaMin && mBits > 0 && mBits <= reinterpret<i64>(stuckMax);
    const mj = beta1 * (stuck ? 0 : mOld) + oneMinusBeta1 * gj;
    const vj = beta2 * d(v, j) + oneMinusBeta2 * gj * gj;
    setD(m, j, stuck ? mOld : mj);
    setD(v, j, vj);
    setD(theta, j, thetaOld - (stepSize * mj) / (Math.sqrt(vj) / sqrtC2 + eps));
  }
}

/** y += x on float64 vectors in either precision's module (the trainer's sum of a meta-batch's gradients; IEEE adds entry by entry, the same bits as its TypeScript loop). */
export function addF64(y: usize, x: usize, len: usize): void {
  let j: usize = 0;
  for (; j + 2 <= len; j += 2) setVecD(y, j, f64x2.add(vecD(y, j), vecD(x, j)));
  if (j < len) setD(y, j, d(y, j) + d(x, j));
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
