// The float32 prelude of the wasm engine's kernels (the wasm-f32 engine): f32 and f32x4, twice
// the lanes of wasm/real-f64.ts, which says how the build uses these files. No fused
// multiply-add and no relaxed SIMD: every operation is IEEE float32, so the same bits everywhere.

/** The kernels' number type. */
export type Real = f32;

@inline export function vsplat(x: Real): v128 {
  return f32x4.splat(x);
}
@inline export function vadd(a: v128, b: v128): v128 {
  return f32x4.add(a, b);
}
@inline export function vsub(a: v128, b: v128): v128 {
  return f32x4.sub(a, b);
}
@inline export function vmul(a: v128, b: v128): v128 {
  return f32x4.mul(a, b);
}
/** All ones in the lanes where a > b, else zeros. */
@inline export function vgt(a: v128, b: v128): v128 {
  return f32x4.gt(a, b);
}
/** The sum of the lanes, (l0 + l1) + (l2 + l3). */
@inline export function hsum(v: v128): Real {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}
/**
 * A LANES × LANES block of a row-major matrix, transposed: src points to its top-left entry in a
 * matrix of `srcStride` reals a row, dst to where the transpose's top-left goes (`dstStride` a row).
 * Rows a, b, c, d in; interleaved pairs (a0 b0 a1 b1, ...), then the columns out.
 */
@inline export function transposeBlock(src: usize, srcStride: usize, dst: usize, dstStride: usize): void {
  const row = srcStride << 2;
  const a = v128.load(src);
  const b = v128.load(src + row);
  const c = v128.load(src + 2 * row);
  const d = v128.load(src + 3 * row);
  const ab01 = f32x4.shuffle(a, b, 0, 4, 1, 5);
  const ab23 = f32x4.shuffle(a, b, 2, 6, 3, 7);
  const cd01 = f32x4.shuffle(c, d, 0, 4, 1, 5);
  const cd23 = f32x4.shuffle(c, d, 2, 6, 3, 7);
  const col = dstStride << 2;
  v128.store(dst, f32x4.shuffle(ab01, cd01, 0, 1, 4, 5));
  v128.store(dst + col, f32x4.shuffle(ab01, cd01, 2, 3, 6, 7));
  v128.store(dst + 2 * col, f32x4.shuffle(ab23, cd23, 0, 1, 4, 5));
  v128.store(dst + 3 * col, f32x4.shuffle(ab23, cd23, 2, 3, 6, 7));
}
