// Pieces shared by the Winograd kernel files (winograd.ts, winograd_s2.ts, winograd_s2k3.ts): not exported from the
// module.
import { pk4x8 } from "./gemm";

/** The conv epilogue on one vector of outputs of one filter: + bias, gamma * v + beta, relu (each when asked). */
@inline export function epi(v: v128, bv: v128, gv: v128, ev: v128, hasBias: bool, hasGamma: bool, relu: bool): v128 {
  if (hasBias) v = f32x4.add(v, bv);
  if (hasGamma) v = f32x4.add(f32x4.mul(gv, v), ev);
  if (relu) v = v128.and(v, f32x4.ge(v, f32x4.splat(0)));
  return v;
}

/**
 * 1-d B^T transform of the 6 interpolation points 0, 1, -1, 2, -2, inf (F(4,3) and F(3,4)) on the vectors d0..d5,
 * results at q, q + sq, ...: with a = d4 - 4d2, b = d3 - 4d1, c = d4 - d2, f = d3 - d1:
 * r0 = 4(d0 - d2) + c, r1 = a + b, r2 = a - b, r3 = c + 2f, r4 = c - 2f, r5 = (d5 - d3) - 4f (17 operations).
 */
@inline export function bt6v(d0: v128, d1: v128, d2: v128, d3: v128, d4: v128, d5: v128, q: usize, sq: usize): void {
  bt6v5(d0, d1, d2, d3, d4, d5, q, sq, q + 5 * sq);
}

/** bt6v with the last result at q5 instead of q + 5 sq. */
@inline export function bt6v5(d0: v128, d1: v128, d2: v128, d3: v128, d4: v128, d5: v128, q: usize, sq: usize, q5: usize): void {
  const four = f32x4.splat(4);
  const a = f32x4.sub(d4, f32x4.mul(four, d2)), b = f32x4.sub(d3, f32x4.mul(four, d1));
  const c = f32x4.sub(d4, d2), f = f32x4.sub(d3, d1);
  const f2 = f32x4.add(f, f);
  v128.store(q, f32x4.add(f32x4.mul(four, f32x4.sub(d0, d2)), c));
  v128.store(q + sq, f32x4.add(a, b));
  v128.store(q + 2 * sq, f32x4.sub(a, b));
  v128.store(q + 3 * sq, f32x4.add(c, f2));
  v128.store(q + 4 * sq, f32x4.sub(c, f2));
  v128.store(q5, f32x4.sub(f32x4.sub(d5, d3), f32x4.mul(four, f)));
}

/** bt6v of the 6 vectors at p, p + st, ... */
@inline export function bt6(p: usize, st: usize, q: usize, sq: usize): void {
  bt6v(v128.load(p), v128.load(p + st), v128.load(p + 2 * st), v128.load(p + 3 * st), v128.load(p + 4 * st), v128.load(p + 5 * st), q, sq);
}

// The stride-2 drivers' product micro-kernel: a block of 4 x 8 products over K' channels,
// c[r][0..7] = sum_p a[p][r] * b[p][0..7] (a: [K'][4] broadcast, b: [K'][8] vectors), f32 sums in increasing p
// (0 when K' = 0); c: 8 vectors, row r at c + 32 r. (winograd_s2: 4 filters x 8 tiles, a = U; winograd_s2k3: 8
// filters x 4 tiles, a = V, b = U: products commute, so the bits are those of U*V)
@inline export function mk4x8(a: usize, b: usize, K: i32, c: usize): void {
  pk4x8(a, 4, b, K, c, 32, 8, 0, 0, 0, 0, false, 16); // (gemm's packed-A kernel, no epilogue)
}

// element e (bytes) of the 4 patches at q0..q3, one per lane
@inline export function lanes4(q0: usize, q1: usize, q2: usize, q3: usize, e: usize): v128 {
  let v = v128.load32_zero(q0 + e);
  v = v128.load32_lane(q1 + e, v, 1);
  v = v128.load32_lane(q2 + e, v, 2);
  return v128.load32_lane(q3 + e, v, 3);
}

// column j (a constant, 0..3) of the 4x4 matrix whose rows are a0..a3: (a0[j], a1[j], a2[j], a3[j]). Gathering the
// 4 columns of 4 patch rows this way (4 vector loads, 8 shuffles; the optimizer keeps the shared zips once) takes
// fewer instructions than 4 lanes4 calls (16 scalar loads into lanes)
@inline export function col4(a0: v128, a1: v128, a2: v128, a3: v128, j: i32): v128 {
  if (j == 0) return v128.shuffle<f32>(v128.shuffle<f32>(a0, a1, 0, 4, 1, 5), v128.shuffle<f32>(a2, a3, 0, 4, 1, 5), 0, 1, 4, 5);
  if (j == 1) return v128.shuffle<f32>(v128.shuffle<f32>(a0, a1, 0, 4, 1, 5), v128.shuffle<f32>(a2, a3, 0, 4, 1, 5), 2, 3, 6, 7);
  if (j == 2) return v128.shuffle<f32>(v128.shuffle<f32>(a0, a1, 2, 6, 3, 7), v128.shuffle<f32>(a2, a3, 2, 6, 3, 7), 0, 1, 4, 5);
  return v128.shuffle<f32>(v128.shuffle<f32>(a0, a1, 2, 6, 3, 7), v128.shuffle<f32>(a2, a3, 2, 6, 3, 7), 2, 3, 6, 7);
}
