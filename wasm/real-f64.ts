// The float64 prelude of the wasm engine's kernels: what wasm/mlp.ts means by a real number and
// its 128-bit vector operations, here f64 and f64x2. scripts/build-wasm.ts compiles wasm/mlp.ts
// once with this file (`asc --lib wasm/real-f64.ts`: its exports become globals) and once with
// wasm/real-f32.ts; the two preludes export the same names.

/** The kernels' number type. */
export type Real = f64;

@inline export function vsplat(x: Real): v128 {
  return f64x2.splat(x);
}
@inline export function vadd(a: v128, b: v128): v128 {
  return f64x2.add(a, b);
}
@inline export function vsub(a: v128, b: v128): v128 {
  return f64x2.sub(a, b);
}
@inline export function vmul(a: v128, b: v128): v128 {
  return f64x2.mul(a, b);
}
/** All ones in the lanes where a > b, else zeros. */
@inline export function vgt(a: v128, b: v128): v128 {
  return f64x2.gt(a, b);
}
/** The sum of the lanes. */
@inline export function hsum(v: v128): Real {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}
/**
 * A LANES × LANES block of a row-major matrix, transposed: src points to its top-left entry in a
 * matrix of `srcStride` reals a row, dst to where the transpose's top-left goes (`dstStride` a row).
 */
@inline export function transposeBlock(src: usize, srcStride: usize, dst: usize, dstStride: usize): void {
  const r0 = v128.load(src);
  const r1 = v128.load(src + (srcStride << 3));
  v128.store(dst, f64x2.shuffle(r0, r1, 0, 2));
  v128.store(dst + (dstStride << 3), f64x2.shuffle(r0, r1, 1, 3));
}
