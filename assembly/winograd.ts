// Winograd F(2x2, 3x3) convolution for dlib con_ layers with 3x3 filters, stride 1 and padding 1
// (output size = input size). Each 2x2 block of output pixels ("tile") is computed from the 4x4 input
// patch around it with 16 products per (filter, channel) instead of 36:
//   U = G g G^T (per filter f, channel c: 4x4, done once per network: `wino2_weights`)
//   V = B^T d B (per tile, channel: 4x4)
//   M[xi] = U[xi] * V[xi]   (16 matrix products [nf][k] x [k][tiles], the SIMD `gemm_packed`)
//   Y = A^T M A (per tile, filter: 2x2), then the conv epilogue (+bias, gamma*v + beta, relu)
// with G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1], B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1],
// A^T = [1 1 1 0; 0 1 -1 -1]. The sums are in a different order than the direct convolution, so
// results differ from it by float rounding only (a few ulp of the largest partial sums).
//
// Tiles of all samples of the batch are numbered t = (s*tilesY + ty)*tilesX + tx and processed in chunks
// of `wino2_chunk_tiles` tiles so that one chunk's transformed inputs and products stay in L2.
import { gemm_packed, gemm_packed_ap, gemm_pack_a, gemm_pack_rows } from "./gemm";
import { epi, bt6, bt6v, lanes4, col4 } from "./wino_common";

/** Tiles along an axis of n output pixels. */
@inline function tiles_of(n: i32): i32 {
  return (n + 1) >> 1;
}

/**
 * Weight transform: U[xi][f][c] = (G g[f][c] G^T)[xi] for filters [nf][k][3][3] (dlib's layout).
 * dst: 16*nf*k floats ([16][nf][k], the row-major A matrices of the 16 products). Computed in f64, rounded once.
 */
export function wino2_weights(filters: usize, nf: i32, k: i32, dst: usize): void {
  wino2_weights_into(filters, nf, k, dst, false);
}

/**
 * wino2_weights written straight in gemm_pack_a's layout per xi (what wino_pack_u makes of it; nf % 4 == 0):
 * U[xi] as blocks of [k][R filters], R = gemm_pack_rows(nf) (8 when nf % 8 == 0, else 4). Same values.
 */
export function wino2_weights_packed(filters: usize, nf: i32, k: i32, dst: usize): void {
  if ((nf & 3) == 0) wino2_weights_packed_range(filters, nf, k, dst, 0, nf);
  else wino2_weights_into(filters, nf, k, dst, true);
}

/**
 * wino2_weights_packed (nf % 4 == 0) of filters fa .. fb-1 only (multiples of 4): a transform can be made in parts,
 * so that the engine's optimised code takes over from the first parts (a single call runs all of its work in the
 * code it started with).
 */
export function wino2_weights_packed_range(filters: usize, nf: i32, k: i32, dst: usize, fa: i32, fb: i32): void {
  // 4 filters (a packed block or half of one) of one channel at a time: their 16 transforms are 16 contiguous bytes per
  // xi, one vector store each; lanes = filters, each computed with the same f64 operations as wino2_one
  wino_weights_packed_m(2, filters, nf, k, dst, fa, fb);
}

@inline function wino2_weights_into(filters: usize, nf: i32, k: i32, dst: usize, packed: bool): void {
  const plane = <usize>(nf * k) << 2;
  const n = nf * k;
  let g = filters;
  let o = dst;
  let i = 0;
  if (packed) {
    // (f, c) pairs (f, c), (f, c + 1): destination ((f/4)*k + c)*4 + f%4, the second 16 bytes after the first
    for (let f = 0; f < nf; f++) {
      let c = 0;
      const fb = dst + (<usize>(((f >> 2) * k) * 4 + (f & 3)) << 2);
      let gg = filters + (<usize>(f * k * 9) << 2);
      for (; c + 2 <= k; c += 2) {
        wino2_pair(gg, fb + (<usize>c << 4), plane, true);
        gg += 72;
      }
      for (; c < k; c++) {
        wino2_one(gg, fb + (<usize>c << 4), plane);
        gg += 36;
      }
    }
    return;
  }
  // two (filter, channel) pairs at a time in f64x2: the same f64 operations as the scalar tail, bit for bit
  for (; i + 2 <= n; i += 2) {
    wino2_pair(g, o, plane, false);
    g += 72;
    o += 8;
  }
  for (; i < n; i++) {
    wino2_one(g, o, plane);
    g += 36;
    o += 4;
  }
}

// the transforms of two consecutive 3x3 filters at g (f64x2), stored at o and o+4 (or o+16 when `spread`)
@inline function wino2_pair(g: usize, o: usize, plane: usize, spread: bool): void {
  const a0 = ld2(g, 0), a1 = ld2(g, 4), a2 = ld2(g, 8);
  const b0 = ld2(g, 12), b1 = ld2(g, 16), b2 = ld2(g, 20);
  const c0 = ld2(g, 24), c1 = ld2(g, 28), c2 = ld2(g, 32);
  const h = f64x2.splat(0.5);
  wino2_wrow2(a0, a1, a2, o, plane, spread);
  wino2_wrow2(f64x2.mul(f64x2.add(f64x2.add(a0, b0), c0), h), f64x2.mul(f64x2.add(f64x2.add(a1, b1), c1), h), f64x2.mul(f64x2.add(f64x2.add(a2, b2), c2), h), o + 4 * plane, plane, spread);
  wino2_wrow2(f64x2.mul(f64x2.add(f64x2.sub(a0, b0), c0), h), f64x2.mul(f64x2.add(f64x2.sub(a1, b1), c1), h), f64x2.mul(f64x2.add(f64x2.sub(a2, b2), c2), h), o + 8 * plane, plane, spread);
  wino2_wrow2(c0, c1, c2, o + 12 * plane, plane, spread);
}

// tap e of the 4 filters at g, g + fs, g + 2 fs, g + 3 fs as f32x4
@inline function ld4(g: usize, fs: usize, e: usize): v128 {
  let v = v128.load32_zero(g + e);
  v = v128.load32_lane(g + fs + e, v, 1);
  v = v128.load32_lane(g + 2 * fs + e, v, 2);
  return v128.load32_lane(g + 3 * fs + e, v, 3);
}

// f64x2 pair (lo: lanes 0-1, hi: lanes 2-3) rounded to f32 and stored as one vector
@inline function st4(r: usize, lo: v128, hi: v128): void {
  v128.store(r, v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5));
}

// row (t0, t1, t2) of G g for 2 filters (f64x2), times G^T: [t0, (t0+t1+t2)/2, (t0-t1+t2)/2, t2]
@inline function wrow_lo_hi(t0l: v128, t1l: v128, t2l: v128, t0h: v128, t1h: v128, t2h: v128, r: usize, plane: usize): void {
  const h = f64x2.splat(0.5);
  st4(r, t0l, t0h);
  st4(r + plane, f64x2.mul(f64x2.add(f64x2.add(t0l, t1l), t2l), h), f64x2.mul(f64x2.add(f64x2.add(t0h, t1h), t2h), h));
  st4(r + 2 * plane, f64x2.mul(f64x2.add(f64x2.sub(t0l, t1l), t2l), h), f64x2.mul(f64x2.add(f64x2.sub(t0h, t1h), t2h), h));
  st4(r + 3 * plane, t2l, t2h);
}

// the transforms of one channel of 4 filters (at g, g + fs, ...), lanes = filters, stored as vectors at o + xi * plane
@inline function wino2_quad(g: usize, fs: usize, o: usize, plane: usize): void {
  const h = f64x2.splat(0.5);
  const A0 = ld4(g, fs, 0), A1 = ld4(g, fs, 4), A2 = ld4(g, fs, 8);
  const B0 = ld4(g, fs, 12), B1 = ld4(g, fs, 16), B2 = ld4(g, fs, 20);
  const C0 = ld4(g, fs, 24), C1 = ld4(g, fs, 28), C2 = ld4(g, fs, 32);
  const a0l = f64x2.promote_low_f32x4(A0), a1l = f64x2.promote_low_f32x4(A1), a2l = f64x2.promote_low_f32x4(A2);
  const b0l = f64x2.promote_low_f32x4(B0), b1l = f64x2.promote_low_f32x4(B1), b2l = f64x2.promote_low_f32x4(B2);
  const c0l = f64x2.promote_low_f32x4(C0), c1l = f64x2.promote_low_f32x4(C1), c2l = f64x2.promote_low_f32x4(C2);
  const a0h = f64x2.promote_low_f32x4(v128.shuffle<f32>(A0, A0, 2, 3, 2, 3)), a1h = f64x2.promote_low_f32x4(v128.shuffle<f32>(A1, A1, 2, 3, 2, 3)), a2h = f64x2.promote_low_f32x4(v128.shuffle<f32>(A2, A2, 2, 3, 2, 3));
  const b0h = f64x2.promote_low_f32x4(v128.shuffle<f32>(B0, B0, 2, 3, 2, 3)), b1h = f64x2.promote_low_f32x4(v128.shuffle<f32>(B1, B1, 2, 3, 2, 3)), b2h = f64x2.promote_low_f32x4(v128.shuffle<f32>(B2, B2, 2, 3, 2, 3));
  const c0h = f64x2.promote_low_f32x4(v128.shuffle<f32>(C0, C0, 2, 3, 2, 3)), c1h = f64x2.promote_low_f32x4(v128.shuffle<f32>(C1, C1, 2, 3, 2, 3)), c2h = f64x2.promote_low_f32x4(v128.shuffle<f32>(C2, C2, 2, 3, 2, 3));
  wrow_lo_hi(a0l, a1l, a2l, a0h, a1h, a2h, o, plane);
  wrow_lo_hi(
    f64x2.mul(f64x2.add(f64x2.add(a0l, b0l), c0l), h), f64x2.mul(f64x2.add(f64x2.add(a1l, b1l), c1l), h), f64x2.mul(f64x2.add(f64x2.add(a2l, b2l), c2l), h),
    f64x2.mul(f64x2.add(f64x2.add(a0h, b0h), c0h), h), f64x2.mul(f64x2.add(f64x2.add(a1h, b1h), c1h), h), f64x2.mul(f64x2.add(f64x2.add(a2h, b2h), c2h), h),
    o + 4 * plane, plane);
  wrow_lo_hi(
    f64x2.mul(f64x2.add(f64x2.sub(a0l, b0l), c0l), h), f64x2.mul(f64x2.add(f64x2.sub(a1l, b1l), c1l), h), f64x2.mul(f64x2.add(f64x2.sub(a2l, b2l), c2l), h),
    f64x2.mul(f64x2.add(f64x2.sub(a0h, b0h), c0h), h), f64x2.mul(f64x2.add(f64x2.sub(a1h, b1h), c1h), h), f64x2.mul(f64x2.add(f64x2.sub(a2h, b2h), c2h), h),
    o + 8 * plane, plane);
  wrow_lo_hi(c0l, c1l, c2l, c0h, c1h, c2h, o + 12 * plane, plane);
}

// the transform of one 3x3 filter at g (f64), stored at o
@inline function wino2_one(g: usize, o: usize, plane: usize): void {
  const a0 = <f64>load<f32>(g), a1 = <f64>load<f32>(g, 4), a2 = <f64>load<f32>(g, 8);
  const b0 = <f64>load<f32>(g, 12), b1 = <f64>load<f32>(g, 16), b2 = <f64>load<f32>(g, 20);
  const c0 = <f64>load<f32>(g, 24), c1 = <f64>load<f32>(g, 28), c2 = <f64>load<f32>(g, 32);
  // rows of G g (4 x 3), then each row times G^T
  wino2_wrow(a0, a1, a2, o, plane);
  wino2_wrow((a0 + b0 + c0) * 0.5, (a1 + b1 + c1) * 0.5, (a2 + b2 + c2) * 0.5, o + 4 * plane, plane);
  wino2_wrow((a0 - b0 + c0) * 0.5, (a1 - b1 + c1) * 0.5, (a2 - b2 + c2) * 0.5, o + 8 * plane, plane);
  wino2_wrow(c0, c1, c2, o + 12 * plane, plane);
}

// element e (byte offset eo) of two consecutive 3x3 filters at g, as f64x2
@inline function ld2(g: usize, eo: usize): v128 {
  let v = v128.load32_zero(g + eo);
  v = v128.load32_lane(g + eo + 36, v, 1);
  return f64x2.promote_low_f32x4(v);
}

@inline function st2(r: usize, v: v128, spread: bool): void {
  const f = f32x4.demote_f64x2_zero(v);
  if (spread) {
    v128.store32_lane(r, f, 0);
    v128.store32_lane(r + 16, f, 1);
  } else {
    v128.store64_lane(r, f, 0);
  }
}

@inline function wino2_wrow2(t0: v128, t1: v128, t2: v128, r: usize, plane: usize, spread: bool): void {
  const h = f64x2.splat(0.5);
  st2(r, t0, spread);
  st2(r + plane, f64x2.mul(f64x2.add(f64x2.add(t0, t1), t2), h), spread);
  st2(r + 2 * plane, f64x2.mul(f64x2.add(f64x2.sub(t0, t1), t2), h), spread);
  st2(r + 3 * plane, t2, spread);
}

@inline function wino2_wrow(t0: f64, t1: f64, t2: f64, r: usize, plane: usize): void {
  store<f32>(r, <f32>t0);
  store<f32>(r + plane, <f32>((t0 + t1 + t2) * 0.5));
  store<f32>(r + 2 * plane, <f32>((t0 - t1 + t2) * 0.5));
  store<f32>(r + 3 * plane, <f32>t2);
}

/** Tiles per chunk: a multiple of 8, 16*chunk*(k + nf) floats up to about 384 KiB (at least 32), chunks of equal size. */
export function wino2_chunk_tiles(n: i32, k: i32, nr: i32, nc: i32, nf: i32): i32 {
  const T = n * tiles_of(nr) * tiles_of(nc);
  let tc = (98304 / (16 * (k + nf))) & ~7;
  if (tc < 32) tc = 32;
  const chunks = (T + tc - 1) / tc; // equal chunks
  return min(tc, (((T + chunks - 1) / chunks) + 7) & ~7);
}

// floats of pad_sample's copy for m x m tiles (16 of slack: vector loads past the last row)
@inline function padm_floats(m: i32, k: i32, nr: i32, nc: i32): i32 {
  const Hp = m * ((nr + m - 1) / m) + 2, Wp = m * ((nc + m - 1) / m) + 2;
  return (k * Hp * Wp + 16 + 3) & ~3;
}

@inline function pad_floats(k: i32, nr: i32, nc: i32): i32 {
  return padm_floats(2, k, nr, nc);
}

/** Scratch floats of `wino2_con` for this geometry (n samples of k x nr x nc, nf filters). */
export function wino2_scratch_floats(n: i32, k: i32, nr: i32, nc: i32, nf: i32): i32 {
  const tc = wino2_chunk_tiles(n, k, nr, nc, nf);
  return pad_floats(k, nr, nc) + 16 * (tc * k + 16) + 16 * (nf * tc + 16) + 2 * tc + 64;
}

const tmp: usize = memory.data(512, 16); // 16 vectors of 4 lanes (gather / scatter of edge tiles)
const rowbuf: usize = memory.data(24 * 4, 16); // one output row of 4 tiles (F(3x3), F(6x6) edge tiles)

// zero-padded copy of sample x [k][nr][nc] for m x m output tiles into xp [k][Hp][Wp] (Hp = m * tiles + 2):
// xp[c][iy + 1][ix + 1] = x[c][iy][ix]; padm_floats(m, k, nr, nc) floats. Only the border is zeroed: between two
// copied rows lie the Wp - nc floats of one row's right border and the next row's left one
function pad_sample(m: i32, x: usize, k: i32, nr: i32, nc: i32, xp: usize): void {
  const Hp = m * ((nr + m - 1) / m) + 2, Wp = m * ((nc + m - 1) / m) + 2;
  const cb = <usize>(Hp * Wp) << 2, wb = <usize>Wp << 2, gap = Wp - nc;
  let s = x, p = xp;
  for (let c = 0; c < k; c++) {
    zero_floats(p, Wp + 1); // top row and the first row's left border
    let d = p + wb + 4;
    for (let iy = 0; iy < nr; iy++) {
      let ix = 0;
      for (; ix + 4 <= nc; ix += 4) v128.store(d + (<usize>ix << 2), v128.load(s + (<usize>ix << 2)));
      for (; ix < nc; ix++) store<f32>(d + (<usize>ix << 2), load<f32>(s + (<usize>ix << 2)));
      zero_floats(d + (<usize>nc << 2), iy + 1 < nr ? gap : gap - 1 + (Hp - nr - 1) * Wp); // the last row: to the plane's end
      d += wb;
      s += <usize>nc << 2;
    }
    p += cb;
  }
  zero_floats(p, padm_floats(m, k, nr, nc) - k * Hp * Wp); // slack for vector loads past the last row
}

// n floats of zeros at p (any 4-byte alignment)
@inline function zero_floats(p: usize, n: i32): void {
  const z = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(p + (<usize>i << 2), z);
  for (; i < n; i++) store<f32>(p + (<usize>i << 2), 0);
}

// V = B^T d B for 4 tiles (lanes), d row i = (di0, di1, di2, di3); stores V[xi] at dst + xi*xs.
@inline function in_tf(
  d00: v128, d01: v128, d02: v128, d03: v128, d10: v128, d11: v128, d12: v128, d13: v128,
  d20: v128, d21: v128, d22: v128, d23: v128, d30: v128, d31: v128, d32: v128, d33: v128,
  dst: usize, xs: usize,
): void {
  // columns: e0 = d0 - d2, e1 = d1 + d2, e2 = d2 - d1, e3 = d1 - d3
  const e00 = f32x4.sub(d00, d20), e01 = f32x4.sub(d01, d21), e02 = f32x4.sub(d02, d22), e03 = f32x4.sub(d03, d23);
  const e10 = f32x4.add(d10, d20), e11 = f32x4.add(d11, d21), e12 = f32x4.add(d12, d22), e13 = f32x4.add(d13, d23);
  const e20 = f32x4.sub(d20, d10), e21 = f32x4.sub(d21, d11), e22 = f32x4.sub(d22, d12), e23 = f32x4.sub(d23, d13);
  const e30 = f32x4.sub(d10, d30), e31 = f32x4.sub(d11, d31), e32 = f32x4.sub(d12, d32), e33 = f32x4.sub(d13, d33);
  let p = dst;
  v128.store(p, f32x4.sub(e00, e02)); p += xs;
  v128.store(p, f32x4.add(e01, e02)); p += xs;
  v128.store(p, f32x4.sub(e02, e01)); p += xs;
  v128.store(p, f32x4.sub(e01, e03)); p += xs;
  v128.store(p, f32x4.sub(e10, e12)); p += xs;
  v128.store(p, f32x4.add(e11, e12)); p += xs;
  v128.store(p, f32x4.sub(e12, e11)); p += xs;
  v128.store(p, f32x4.sub(e11, e13)); p += xs;
  v128.store(p, f32x4.sub(e20, e22)); p += xs;
  v128.store(p, f32x4.add(e21, e22)); p += xs;
  v128.store(p, f32x4.sub(e22, e21)); p += xs;
  v128.store(p, f32x4.sub(e21, e23)); p += xs;
  v128.store(p, f32x4.sub(e30, e32)); p += xs;
  v128.store(p, f32x4.add(e31, e32)); p += xs;
  v128.store(p, f32x4.sub(e32, e31)); p += xs;
  v128.store(p, f32x4.sub(e31, e33));
}

// fast input transform: 4 horizontally adjacent tiles whose patches start at q (padded copy, row stride wb bytes)
@inline function in_row(q: usize, j: i32): v128 {
  // element j of the 4 patches: q[2l + j], l = 0..3
  if (j == 0) return v128.shuffle<f32>(v128.load(q), v128.load(q, 16), 0, 2, 4, 6);
  if (j == 1) return v128.shuffle<f32>(v128.load(q), v128.load(q, 16), 1, 3, 5, 7);
  if (j == 2) return v128.shuffle<f32>(v128.load(q, 8), v128.load(q, 24), 0, 2, 4, 6);
  return v128.shuffle<f32>(v128.load(q, 8), v128.load(q, 24), 1, 3, 5, 7);
}

function in_fast(q0: usize, wb: usize, cb: usize, k: i32, dst: usize, cs: usize, xs: usize): void {
  let q = q0;
  let d = dst;
  for (let c = 0; c < k; c++) {
    const q1 = q + wb, q2 = q1 + wb, q3 = q2 + wb;
    in_tf(
      in_row(q, 0), in_row(q, 1), in_row(q, 2), in_row(q, 3),
      in_row(q1, 0), in_row(q1, 1), in_row(q1, 2), in_row(q1, 3),
      in_row(q2, 0), in_row(q2, 1), in_row(q2, 2), in_row(q2, 3),
      in_row(q3, 0), in_row(q3, 1), in_row(q3, 2), in_row(q3, 3),
      d, xs,
    );
    q += cb;
    d += cs;
  }
}

// input transform of 4 tiles of one sample whose patches start at padded offsets o0..o3 (bytes from xp)
function in_lanes(xp: usize, o0: usize, o1: usize, o2: usize, o3: usize, wb: usize, cb: usize, k: i32, dst: usize, cs: usize, xs: usize): void {
  let q0 = xp + o0, q1 = xp + o1, q2 = xp + o2, q3 = xp + o3;
  let d = dst;
  const m = tmp;
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < 4; i++) {
      const r = <usize>i * wb, mi = m + (<usize>i << 6);
      const a0 = v128.load(q0 + r), a1 = v128.load(q1 + r), a2 = v128.load(q2 + r), a3 = v128.load(q3 + r);
      v128.store(mi, col4(a0, a1, a2, a3, 0));
      v128.store(mi, col4(a0, a1, a2, a3, 1), 16);
      v128.store(mi, col4(a0, a1, a2, a3, 2), 32);
      v128.store(mi, col4(a0, a1, a2, a3, 3), 48);
    }
    in_tf(
      v128.load(m), v128.load(m, 16), v128.load(m, 32), v128.load(m, 48),
      v128.load(m, 64), v128.load(m, 80), v128.load(m, 96), v128.load(m, 112),
      v128.load(m, 128), v128.load(m, 144), v128.load(m, 160), v128.load(m, 176),
      v128.load(m, 192), v128.load(m, 208), v128.load(m, 224), v128.load(m, 240),
      d, xs,
    );
    q0 += cb; q1 += cb; q2 += cb; q3 += cb;
    d += cs;
  }
}

// the P x P input patches (P = m + 2, from row/col m*t - 1 of their tile) of channel c of tiles tg..tg+3 into
// buf[i][j][lane] (4 floats per (i, j)), read from x with bounds checks: pixels outside the plane, and tiles >= tEnd,
// give zeros
@inline function gather_patches(m: i32, x: usize, c: i32, k: i32, nr: i32, nc: i32, tx: i32, tps: i32, tg: i32, tEnd: i32, buf: usize): void {
  const P = m + 2, plane = nr * nc;
  for (let l = 0; l < 4; l++) {
    const t = tg + l;
    let s = 0, oy = 0, ox = 0;
    const ok = t < tEnd;
    if (ok) {
      s = t / tps;
      const loc = t - s * tps;
      const ty = loc / tx;
      oy = m * ty - 1;
      ox = m * (loc - ty * tx) - 1;
    }
    const base = x + (<usize>((s * k + c) * plane) << 2);
    for (let i = 0; i < P; i++) {
      for (let j = 0; j < P; j++) {
        const iy = oy + i, ix = ox + j;
        let v: f32 = 0;
        if (ok && iy >= 0 && iy < nr && ix >= 0 && ix < nc) v = load<f32>(base + (<usize>(iy * nc + ix) << 2));
        store<f32>(buf + (<usize>((i * P + j) * 4 + l) << 2), v);
      }
    }
  }
}

// zeros for the nxi transformed values of k channels of a group of 4 tiles that all lie past the chunk's last tile
// (the second half of a last panel of at most 4 columns): no kept output reads them, but every lane the products
// load must hold a number, and storing zeros is far cheaper than transforming gathered zeros
@inline function zero_group(nxi: i32, k: i32, dst: usize, cs: usize, xs: usize): void {
  const z = f32x4.splat(0);
  for (let xi = 0; xi < nxi; xi++) {
    let d = dst + <usize>xi * xs;
    for (let c = 0; c < k; c++) {
      v128.store(d, z);
      d += cs;
    }
  }
}

// general input transform of 4 tiles tg..tg+3 (tiles >= tEnd give zeros), read from x with bounds checks
function in_gather(
  x: usize, k: i32, nr: i32, nc: i32, tx: i32, tps: i32, tg: i32, tEnd: i32, dst: usize, cs: usize, xs: usize,
): void {
  let d = dst;
  for (let c = 0; c < k; c++) {
    gather_patches(2, x, c, k, nr, nc, tx, tps, tg, tEnd, tmp);
    const m = tmp;
    in_tf(
      v128.load(m), v128.load(m, 16), v128.load(m, 32), v128.load(m, 48),
      v128.load(m, 64), v128.load(m, 80), v128.load(m, 96), v128.load(m, 112),
      v128.load(m, 128), v128.load(m, 144), v128.load(m, 160), v128.load(m, 176),
      v128.load(m, 192), v128.load(m, 208), v128.load(m, 224), v128.load(m, 240),
      d, xs,
    );
    d += cs;
  }
}

/**
 * 3x3 stride-1 pad-1 convolution by Winograd F(2x2,3x3) with the fused epilogue of con_affine_forward:
 * out[s][f] = [relu](gamma[f] * (conv + bias[f]) + beta[f]) (bias/gamma 0 = absent; relu != 0 applies it).
 * x [n][k][nr][nc], U = wino2_weights of the filters ([16][nf][k]), out [n][nf][nr][nc] (must not alias x
 * or scratch), scratch: wino2_scratch_floats(n, k, nr, nc, nf) floats.
 */
export function wino2_con(
  x: usize, n: i32, k: i32, nr: i32, nc: i32, U: usize, nf: i32,
  bias: usize, gamma: usize, beta: usize, relu: i32, out: usize, scratch: usize, packedU: i32,
): void {
  const tx = tiles_of(nc), ty = tiles_of(nr);
  const tps = tx * ty;
  const T = n * tps;
  const Tc = wino2_chunk_tiles(n, k, nr, nc, nf);
  const Hp = 2 * ty + 2, Wp = 2 * tx + 2;
  const xp = scratch;
  const Vp = xp + (<usize>pad_floats(k, nr, nc) << 2);
  // bytes per xi of V (panels of [k][8]) and of M; 64 bytes of skew so that the 16 blocks do not all sit
  // at the same address modulo 4 KiB (which made the transforms' 16 strided accesses collide in L1)
  const xs = (<usize>(Tc * k) << 2) + 64;
  const Mb = Vp + 16 * xs;
  const ms = (<usize>(nf * Tc) << 2) + 64;
  const tab = Mb + 16 * ms; // 2 i32 per tile of a chunk
  const wb = <usize>Wp << 2;
  const cb = <usize>(Hp * Wp) << 2;
  const inStride = <usize>(k * nr * nc) << 2;
  const plane = nr * nc;
  const hasBias = bias != 0, hasGamma = gamma != 0, doRelu = relu != 0;
  const uxs = <usize>(nf * k) << 2;
  let prepared = -1;
  for (let t0 = 0; t0 < T; t0 += Tc) {
    const tc = min(Tc, T - t0);
    const tEnd = t0 + tc;
    const panels = (tc + 7) >> 3;
    // 1. input transform, 4 tiles at a time, into panels: V[xi][panel][c][8]
    for (let h = 0; h < panels * 2; h++) {
      const tg = t0 + 4 * h;
      const dst = Vp + (<usize>((h >> 1) * k * 8 + (h & 1) * 4) << 2);
      const s = tg / tps;
      const loc = tg - s * tps;
      const tyy = loc / tx, txx = loc - tyy * tx;
      if (tg + 4 <= tEnd && (tg + 3) / tps == s) {
        if (prepared != s) {
          pad_sample(2, x + <usize>s * inStride, k, nr, nc, xp);
          prepared = s;
        }
        if (txx + 4 <= tx) {
          in_fast(xp + (<usize>(2 * tyy * Wp + 2 * txx) << 2), wb, cb, k, dst, 32, xs);
        } else {
          // the 4 tiles wrap to the next tile row(s)
          let yy = tyy, xx = txx;
          const o0 = <usize>(2 * yy * Wp + 2 * xx) << 2;
          if (++xx == tx) { xx = 0; yy++; }
          const o1 = <usize>(2 * yy * Wp + 2 * xx) << 2;
          if (++xx == tx) { xx = 0; yy++; }
          const o2 = <usize>(2 * yy * Wp + 2 * xx) << 2;
          if (++xx == tx) { xx = 0; yy++; }
          const o3 = <usize>(2 * yy * Wp + 2 * xx) << 2;
          in_lanes(xp, o0, o1, o2, o3, wb, cb, k, dst, 32, xs);
        }
      } else if (tg >= tEnd) {
        zero_group(16, k, dst, 32, xs);
      } else {
        in_gather(x, k, nr, nc, tx, tps, tg, tEnd, dst, 32, xs);
      }
    }
    // 2. the 16 products M[xi] = U[xi] V[xi]  ([nf][tc], row stride Tc)
    for (let xi = 0; xi < 16; xi++) {
      if (packedU != 0) gemm_packed_ap(nf, tc, k, U + <usize>xi * uxs, Vp + <usize>xi * xs, Mb + <usize>xi * ms, Tc, 0, 0, 0, 0);
      else gemm_packed(nf, tc, k, U + <usize>xi * uxs, k, Vp + <usize>xi * xs, Mb + <usize>xi * ms, Tc, 0, 0, 0, 0);
    }
    // 3. output transform + epilogue, 4 tiles at a time. Table per tile of the chunk: byte offset of its
    // top-left output pixel (filter 0) and which of its right column / bottom row exist.
    for (let t = 0; t < tc; t++) {
      const tt = t0 + t;
      const s = tt / tps;
      const loc = tt - s * tps;
      const yy = loc / tx;
      const py = 2 * yy, px = 2 * (loc - yy * tx);
      store<i32>(tab + (<usize>t << 3), (s * nf * plane + py * nc + px) << 2);
      store<i32>(tab + (<usize>t << 3), (px + 1 < nc ? 1 : 0) | (py + 1 < nr ? 2 : 0), 4);
    }
    for (let f = 0; f < nf; f++) {
      const fo = <usize>f << 2;
      const bv = hasBias ? v128.load32_splat(bias + fo) : f32x4.splat(0);
      const gv = hasGamma ? v128.load32_splat(gamma + fo) : f32x4.splat(0);
      const ev = hasGamma ? v128.load32_splat(beta + fo) : f32x4.splat(0);
      const mrow = Mb + (<usize>(f * Tc) << 2);
      for (let q = 0; q < tc; q += 4) {
        const m = mrow + (<usize>q << 2);
        // rows of A^T m: a0 = m0 + m1 + m2, a1 = m1 - m2 - m3 (m row i = xi 4i..4i+3)
        const m00 = v128.load(m), m01 = v128.load(m + ms), m02 = v128.load(m + 2 * ms), m03 = v128.load(m + 3 * ms);
        const m10 = v128.load(m + 4 * ms), m11 = v128.load(m + 5 * ms), m12 = v128.load(m + 6 * ms), m13 = v128.load(m + 7 * ms);
        const m20 = v128.load(m + 8 * ms), m21 = v128.load(m + 9 * ms), m22 = v128.load(m + 10 * ms), m23 = v128.load(m + 11 * ms);
        const m30 = v128.load(m + 12 * ms), m31 = v128.load(m + 13 * ms), m32 = v128.load(m + 14 * ms), m33 = v128.load(m + 15 * ms);
        const a00 = f32x4.add(f32x4.add(m00, m10), m20), a01 = f32x4.add(f32x4.add(m01, m11), m21);
        const a02 = f32x4.add(f32x4.add(m02, m12), m22), a03 = f32x4.add(f32x4.add(m03, m13), m23);
        const a10 = f32x4.sub(f32x4.sub(m10, m20), m30), a11 = f32x4.sub(f32x4.sub(m11, m21), m31);
        const a12 = f32x4.sub(f32x4.sub(m12, m22), m32), a13 = f32x4.sub(f32x4.sub(m13, m23), m33);
        const y00 = epi(f32x4.add(f32x4.add(a00, a01), a02), bv, gv, ev, hasBias, hasGamma, doRelu);
        const y01 = epi(f32x4.sub(f32x4.sub(a01, a02), a03), bv, gv, ev, hasBias, hasGamma, doRelu);
        const y10 = epi(f32x4.add(f32x4.add(a10, a11), a12), bv, gv, ev, hasBias, hasGamma, doRelu);
        const y11 = epi(f32x4.sub(f32x4.sub(a11, a12), a13), bv, gv, ev, hasBias, hasGamma, doRelu);
        const tg = t0 + q;
        const te0 = tab + (<usize>q << 3);
        const fb = out + (<usize>(f * plane) << 2);
        const orow = fb + <usize>load<i32>(te0);
        // 4 whole tiles side by side in one row: two vector stores per output row
        if (q + 4 <= tc && load<i32>(te0, 24) - load<i32>(te0) == 24 && load<i32>(te0, 28) == 3) {
          v128.store(orow, v128.shuffle<f32>(y00, y01, 0, 4, 1, 5));
          v128.store(orow, v128.shuffle<f32>(y00, y01, 2, 6, 3, 7), 16);
          const r1 = orow + (<usize>nc << 2);
          v128.store(r1, v128.shuffle<f32>(y10, y11, 0, 4, 1, 5));
          v128.store(r1, v128.shuffle<f32>(y10, y11, 2, 6, 3, 7), 16);
        } else {
          v128.store(tmp, y00);
          v128.store(tmp, y01, 16);
          v128.store(tmp, y10, 32);
          v128.store(tmp, y11, 48);
          const lanes = min(4, tEnd - tg);
          for (let l = 0; l < lanes; l++) {
            const te = tab + (<usize>(q + l) << 3);
            const o = fb + <usize>load<i32>(te);
            const fl = load<i32>(te, 4);
            const lo = <usize>l << 2;
            store<f32>(o, load<f32>(tmp + lo));
            if (fl & 1) store<f32>(o, load<f32>(tmp + lo, 16), 4);
            if (fl & 2) {
              const o1 = o + (<usize>nc << 2);
              store<f32>(o1, load<f32>(tmp + lo, 32));
              if (fl & 1) store<f32>(o1, load<f32>(tmp + lo, 48), 4);
            }
          }
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Winograd F(4x4, 3x3): 4x4 output tiles from 6x6 input patches, 36 products per (filter, channel)
// instead of 144. Same data flow as F(2x2,3x3) above with
//   G   = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6; 1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1]
//   B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]
//   A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]
// The larger transform constants cost some accuracy (still ~1e-6 relative to the sum of |products|).

@inline function tiles4_of(n: i32): i32 {
  return (n + 3) >> 2;
}

/** Weight transform of F(4x4,3x3): dst [36][nf][k] floats, U[xi] = (G g G^T)[xi], computed in f64. */
export function wino4_weights(filters: usize, nf: i32, k: i32, dst: usize): void {
  wino_weights_m(4, filters, nf, k, dst);
}

const wtmp: usize = memory.data(144, 16); // 18 f64
const t4: usize = memory.data(40 * 16, 16); // 6x6 (input) or 4x6 + 4x4 (output) vectors of 4 lanes

/** Tiles per chunk of F(4x4,3x3): a multiple of 8, 36*chunk*(k + nf) floats up to about 640 KiB (at least 16), chunks of equal size. */
export function wino4_chunk_tiles(n: i32, k: i32, nr: i32, nc: i32, nf: i32): i32 {
  const T = n * tiles4_of(nr) * tiles4_of(nc);
  let tc = (163840 / (36 * (k + nf))) & ~7;
  if (tc < 16) tc = 16;
  // equal chunks (81 tiles in chunks of 40 would leave a 1-tile chunk of 36 one-column products)
  const chunks = (T + tc - 1) / tc;
  return min(tc, (((T + chunks - 1) / chunks) + 7) & ~7);
}

@inline function pad4_floats(k: i32, nr: i32, nc: i32): i32 {
  return padm_floats(4, k, nr, nc);
}

/** Scratch floats of `wino4_con`. */
export function wino4_scratch_floats(n: i32, k: i32, nr: i32, nc: i32, nf: i32): i32 {
  const tc = wino4_chunk_tiles(n, k, nr, nc, nf);
  return pad4_floats(k, nr, nc) + 36 * (tc * k + 16) + 36 * (nf * tc + 16) + 2 * tc + 64;
}

// input transform of 4 tiles of one sample, patches at padded offsets o0..o3 (bytes from xp)
function in4_lanes(xp: usize, o0: usize, o1: usize, o2: usize, o3: usize, wb: usize, cb: usize, k: i32, dst: usize, cs: usize, xs: usize): void {
  let q0 = xp + o0, q1 = xp + o1, q2 = xp + o2, q3 = xp + o3;
  let d = dst;
  const m = t4;
  for (let c = 0; c < k; c++) {
    // each patch row transformed (over j) as it is gathered, then the columns (over i) straight to V[xi = 6i + j]
    for (let i = 0; i < 6; i++) {
      const r = <usize>i * wb;
      const a0 = v128.load(q0 + r), a1 = v128.load(q1 + r), a2 = v128.load(q2 + r), a3 = v128.load(q3 + r);
      bt6v(col4(a0, a1, a2, a3, 0), col4(a0, a1, a2, a3, 1), col4(a0, a1, a2, a3, 2), col4(a0, a1, a2, a3, 3),
        lanes4(q0, q1, q2, q3, r + 16), lanes4(q0, q1, q2, q3, r + 20), m + <usize>(i * 96), 16);
    }
    for (let j = 0; j < 6; j++) bt6(m + (<usize>j << 4), 96, d + <usize>j * xs, 6 * xs);
    q0 += cb; q1 += cb; q2 += cb; q3 += cb;
    d += cs;
  }
}

// input transform of 4 side-by-side tiles of one tile row: patch element (i, j) of tile l is q[i*Wp + 4l + j];
// five loads and a 4x4 transpose (+2 columns) per patch row instead of 24 lane loads
function in4_fast(q0: usize, wb: usize, cb: usize, k: i32, dst: usize, cs: usize, xs: usize): void {
  let q = q0;
  let d = dst;
  const m = t4;
  for (let c = 0; c < k; c++) {
    let r = q;
    let mr = m;
    for (let i = 0; i < 6; i++) {
      const v0 = v128.load(r), v1 = v128.load(r, 16), v2 = v128.load(r, 32), v3 = v128.load(r, 48), v4 = v128.load(r, 64);
      const t0 = v128.shuffle<f32>(v0, v1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(v2, v3, 0, 4, 1, 5);
      const t2 = v128.shuffle<f32>(v0, v1, 2, 6, 3, 7), t3 = v128.shuffle<f32>(v2, v3, 2, 6, 3, 7);
      const u0 = v128.shuffle<f32>(v1, v2, 0, 4, 1, 5), u1 = v128.shuffle<f32>(v3, v4, 0, 4, 1, 5);
      // the row's transform (over j) in registers, then the columns (over i) straight to V[xi = 6i + j]
      bt6v(
        v128.shuffle<f32>(t0, t1, 0, 1, 4, 5), v128.shuffle<f32>(t0, t1, 2, 3, 6, 7), v128.shuffle<f32>(t2, t3, 0, 1, 4, 5),
        v128.shuffle<f32>(t2, t3, 2, 3, 6, 7), v128.shuffle<f32>(u0, u1, 0, 1, 4, 5), v128.shuffle<f32>(u0, u1, 2, 3, 6, 7), mr, 16);
      r += wb;
      mr += 96;
    }
    for (let j = 0; j < 6; j++) bt6(m + (<usize>j << 4), 96, d + <usize>j * xs, 6 * xs);
    q += cb;
    d += cs;
  }
}

// bounds-checked input transform of 4 tiles tg.. (tiles >= tEnd give zeros), read from x
function in4_gather(x: usize, k: i32, nr: i32, nc: i32, tx: i32, tps: i32, tg: i32, tEnd: i32, dst: usize, cs: usize, xs: usize): void {
  let d = dst;
  const m = t4;
  for (let c = 0; c < k; c++) {
    gather_patches(4, x, c, k, nr, nc, tx, tps, tg, tEnd, m);
    // rows (over j) in place, then columns (over i) to V, as in4_fast
    for (let i = 0; i < 6; i++) bt6(m + <usize>(i * 96), 16, m + <usize>(i * 96), 16);
    for (let j = 0; j < 6; j++) bt6(m + (<usize>j << 4), 96, d + <usize>j * xs, 6 * xs);
    d += cs;
  }
}

// 1-d A^T transform of 6 vectors at p, p+st, ... into 4 vectors at q, q+sq, ...
@inline function at6(p: usize, st: usize, q: usize, sq: usize): void {
  const m0 = v128.load(p), m1 = v128.load(p + st), m2 = v128.load(p + 2 * st);
  const m3 = v128.load(p + 3 * st), m4 = v128.load(p + 4 * st), m5 = v128.load(p + 5 * st);
  const a = f32x4.add(m1, m2), b = f32x4.sub(m1, m2), c = f32x4.add(m3, m4), e = f32x4.sub(m3, m4);
  v128.store(q, f32x4.add(f32x4.add(m0, a), c));
  v128.store(q + sq, f32x4.add(b, f32x4.mul(f32x4.splat(2), e)));
  v128.store(q + 2 * sq, f32x4.add(a, f32x4.mul(f32x4.splat(4), c)));
  v128.store(q + 3 * sq, f32x4.add(f32x4.add(b, f32x4.mul(f32x4.splat(8), e)), m5));
}

/**
 * 3x3 stride-1 pad-1 convolution by Winograd F(4x4,3x3), same contract as wino2_con with U = wino4_weights
 * ([36][nf][k]) and scratch = wino4_scratch_floats(n, k, nr, nc, nf) floats.
 */
export function wino4_con(
  x: usize, n: i32, k: i32, nr: i32, nc: i32, U: usize, nf: i32,
  bias: usize, gamma: usize, beta: usize, relu: i32, out: usize, scratch: usize, packedU: i32,
): void {
  wino_con_m(4, x, n, k, nr, nc, U, nf, bias, gamma, beta, relu, out, scratch, packedU);
}

// ---------------------------------------------------------------------------------------------
// Winograd F(3x3, 3x3): 3x3 output tiles from 5x5 input patches, 25 products per (filter, channel)
// instead of 81, with the interpolation points 0, 1, -1, 2 and infinity:
//   G   = [1/2 0 0; -1/2 -1/2 -1/2; -1/6 1/6 -1/6; 1/6 1/3 2/3; 0 0 1]
//   B^T = [2 -1 -2 1 0; 0 -2 -1 1 0; 0 2 -3 1 0; 0 -1 0 1 0; 0 2 -1 -2 1]
//   A^T = [1 1 1 1 0; 0 1 -1 2 0; 0 1 1 4 1]
// For planes such as 17x17 (6x6 tiles of 3 cover 18x18, where F(4x4) needs 5x5 tiles over 20x20 and F(2x2) 9x9
// tiles): fewer products than F(2x2), cheaper transforms than F(4x4), rounding between the two.

@inline function tiles3_of(n: i32): i32 {
  return (n + 2) / 3;
}

/** Weight transform of F(3x3,3x3): dst [25][nf][k] floats, U[xi] = (G g G^T)[xi], computed in f64. */
export function wino3_weights(filters: usize, nf: i32, k: i32, dst: usize): void {
  wino_weights_m(3, filters, nf, k, dst);
}

// one G row of F(3x3) applied to (a, b, c) in f64x2: t = 0..4 (the same operations as grow_s(3, ...))
@inline function g3row(t: i32, a: v128, b: v128, c: v128): v128 {
  if (t == 0) return f64x2.div(a, f64x2.splat(2));
  if (t == 1) return f64x2.div(f64x2.neg(f64x2.add(f64x2.add(a, b), c)), f64x2.splat(2));
  if (t == 2) return f64x2.div(f64x2.neg(f64x2.add(f64x2.sub(a, b), c)), f64x2.splat(6));
  if (t == 3) return f64x2.add(f64x2.add(f64x2.div(a, f64x2.splat(6)), f64x2.div(b, f64x2.splat(3))), f64x2.div(f64x2.mul(c, f64x2.splat(2)), f64x2.splat(3)));
  return c;
}

/**
 * wino3_weights written straight in gemm_pack_a's layout per xi (what wino_pack_u makes of it), for nf % 4 == 0:
 * 4 filters of one channel at a time, lanes = filters, with the same f64 operations (same bits).
 */
export function wino3_weights_packed(filters: usize, nf: i32, k: i32, dst: usize): void {
  wino3_weights_packed_range(filters, nf, k, dst, 0, nf);
}

/** wino3_weights_packed of filters fa .. fb-1 only (multiples of 4; see wino2_weights_packed_range). */
export function wino3_weights_packed_range(filters: usize, nf: i32, k: i32, dst: usize, fa: i32, fb: i32): void {
  wino_weights_packed_m(3, filters, nf, k, dst, fa, fb);
}

const wtmp3: usize = memory.data(15 * 32, 16); // G g of 4 filters: 15 entries x (lo, hi) f64x2

/** Tiles per chunk of F(3x3,3x3): a multiple of 8, 25*chunk*(k + nf) floats up to about 512 KiB (at least 16), chunks of equal size. */
export function wino3_chunk_tiles(n: i32, k: i32, nr: i32, nc: i32, nf: i32): i32 {
  const T = n * tiles3_of(nr) * tiles3_of(nc);
  let tc = (131072 / (25 * (k + nf))) & ~7;
  if (tc < 16) tc = 16;
  const chunks = (T + tc - 1) / tc;
  return min(tc, (((T + chunks - 1) / chunks) + 7) & ~7);
}

@inline function pad3_floats(k: i32, nr: i32, nc: i32): i32 {
  return padm_floats(3, k, nr, nc);
}

/** Scratch floats of `wino3_con`. */
export function wino3_scratch_floats(n: i32, k: i32, nr: i32, nc: i32, nf: i32): i32 {
  const tc = wino3_chunk_tiles(n, k, nr, nc, nf);
  return pad3_floats(k, nr, nc) + 25 * (tc * k + 16) + 25 * (nf * tc + 16) + 2 * tc + 64;
}


// 1-d B^T transform of 5 vectors at p, p+st, ..., written to q, q+sq, ...
@inline function bt5(p: usize, st: usize, q: usize, sq: usize): void {
  bt5v(v128.load(p), v128.load(p + st), v128.load(p + 2 * st), v128.load(p + 3 * st), v128.load(p + 4 * st), q, sq);
}

// 1-d B^T transform of the 5 vectors d0..d4, written to q, q+sq, ...
@inline function bt5v(d0: v128, d1: v128, d2: v128, d3: v128, d4: v128, q: usize, sq: usize): void {
  // a = d3 - d1: r0 = 2(d0 - d2) + a, r1 = a - (d1 + d2), r2 = a + 3(d1 - d2), r3 = a, r4 = (d4 - d2) - 2a
  const a = f32x4.sub(d3, d1);
  v128.store(q, f32x4.add(f32x4.mul(f32x4.splat(2), f32x4.sub(d0, d2)), a));
  v128.store(q + sq, f32x4.sub(a, f32x4.add(d1, d2)));
  v128.store(q + 2 * sq, f32x4.add(a, f32x4.mul(f32x4.splat(3), f32x4.sub(d1, d2))));
  v128.store(q + 3 * sq, a);
  v128.store(q + 4 * sq, f32x4.sub(f32x4.sub(d4, d2), f32x4.mul(f32x4.splat(2), a)));
}

// the column transforms (over i) of the row-transformed 5x5 patch vectors at t4 ([i][j], 16 bytes apart) into
// V[xi = 5i + j] at d
@inline function bt5cols(d: usize, xs: usize): void {
  const m = t4;
  for (let j = 0; j < 5; j++) bt5(m + (<usize>j << 4), 80, d + <usize>j * xs, 5 * xs);
}

// input transform of 4 tiles of one sample, patches at padded offsets o0..o3 (bytes from xp)
function in3_lanes(xp: usize, o0: usize, o1: usize, o2: usize, o3: usize, wb: usize, cb: usize, k: i32, dst: usize, cs: usize, xs: usize): void {
  let q0 = xp + o0, q1 = xp + o1, q2 = xp + o2, q3 = xp + o3;
  let d = dst;
  const m = t4;
  for (let c = 0; c < k; c++) {
    // each patch row transformed (over j) as it is gathered, then the columns
    for (let i = 0; i < 5; i++) {
      const r = <usize>i * wb;
      const a0 = v128.load(q0 + r), a1 = v128.load(q1 + r), a2 = v128.load(q2 + r), a3 = v128.load(q3 + r);
      bt5v(col4(a0, a1, a2, a3, 0), col4(a0, a1, a2, a3, 1), col4(a0, a1, a2, a3, 2), col4(a0, a1, a2, a3, 3),
        lanes4(q0, q1, q2, q3, r + 16), m + <usize>(i * 80), 16);
    }
    bt5cols(d, xs);
    q0 += cb; q1 += cb; q2 += cb; q3 += cb;
    d += cs;
  }
}

// input transform of 4 side-by-side tiles of one tile row: patch element (i, j) of tile l is q[i*Wp + 3l + j];
// per patch row 6 loads and 10 shuffles gather the 5 stride-3 lane vectors
function in3_fast(q0: usize, wb: usize, cb: usize, k: i32, dst: usize, cs: usize, xs: usize): void {
  let q = q0;
  let d = dst;
  const m = t4;
  for (let c = 0; c < k; c++) {
    let r = q;
    let mr = m;
    for (let i = 0; i < 5; i++) {
      // A..C: floats 0..11 of the row; E..G: floats 3..14
      const A = v128.load(r), B = v128.load(r, 16), C = v128.load(r, 32);
      const E = v128.load(r, 12), F = v128.load(r, 28), G = v128.load(r, 44);
      // the row's transform (over j) in registers
      bt5v(
        v128.shuffle<f32>(v128.shuffle<f32>(A, B, 0, 3, 6, 6), C, 0, 1, 2, 5),
        v128.shuffle<f32>(v128.shuffle<f32>(A, B, 1, 4, 7, 7), C, 0, 1, 2, 6),
        v128.shuffle<f32>(v128.shuffle<f32>(A, B, 2, 5, 5, 5), C, 0, 1, 4, 7),
        v128.shuffle<f32>(v128.shuffle<f32>(E, F, 0, 3, 6, 6), G, 0, 1, 2, 5),
        v128.shuffle<f32>(v128.shuffle<f32>(E, F, 1, 4, 7, 7), G, 0, 1, 2, 6), mr, 16);
      r += wb;
      mr += 80;
    }
    bt5cols(d, xs);
    q += cb;
    d += cs;
  }
}

// bounds-checked input transform of 4 tiles tg.. (tiles >= tEnd give zeros), read from x
function in3_gather(x: usize, k: i32, nr: i32, nc: i32, tx: i32, tps: i32, tg: i32, tEnd: i32, dst: usize, cs: usize, xs: usize): void {
  let d = dst;
  const m = t4;
  for (let c = 0; c < k; c++) {
    gather_patches(3, x, c, k, nr, nc, tx, tps, tg, tEnd, m);
    for (let i = 0; i < 5; i++) bt5(m + <usize>(i * 80), 16, m + <usize>(i * 80), 16);
    bt5cols(d, xs);
    d += cs;
  }
}

// 1-d A^T transform of 5 vectors at p, p+st, ... into 3 vectors at q, q+sq, ...
@inline function at5(p: usize, st: usize, q: usize, sq: usize): void {
  const m0 = v128.load(p), m1 = v128.load(p + st), m2 = v128.load(p + 2 * st);
  const m3 = v128.load(p + 3 * st), m4 = v128.load(p + 4 * st);
  const s = f32x4.add(m1, m2), t = f32x4.sub(m1, m2);
  v128.store(q, f32x4.add(f32x4.add(m0, s), m3));
  v128.store(q + sq, f32x4.add(t, f32x4.mul(f32x4.splat(2), m3)));
  v128.store(q + 2 * sq, f32x4.add(f32x4.add(s, f32x4.mul(f32x4.splat(4), m3)), m4));
}

/**
 * 3x3 stride-1 pad-1 convolution by Winograd F(3x3,3x3), same contract as wino2_con with U = wino3_weights
 * ([25][nf][k]; packedU != 0: each xi packed by gemm_pack_a, see wino_pack_u) and scratch =
 * wino3_scratch_floats(n, k, nr, nc, nf) floats.
 */
export function wino3_con(
  x: usize, n: i32, k: i32, nr: i32, nc: i32, U: usize, nf: i32,
  bias: usize, gamma: usize, beta: usize, relu: i32, out: usize, scratch: usize, packedU: i32,
): void {
  wino_con_m(3, x, n, k, nr, nc, U, nf, bias, gamma, beta, relu, out, scratch, packedU);
}

// ---------------------------------------------------------------------------------------------
// Winograd F(6x6, 3x3): 6x6 output tiles from 8x8 input patches, 64 products per (filter, channel) instead of
// 324, with the interpolation points 0, 1, -1, 2, -2, 1/2, -1/2 and infinity:
//   G   = [1 0 0; -2/9 -2/9 -2/9; -2/9 2/9 -2/9; 1/90 1/45 2/45; 1/90 -1/45 2/45; 32/45 16/45 8/45;
//          32/45 -16/45 8/45; 0 0 1]
//   B^T = [1 0 -21/4 0 21/4 0 -1 0; 0 1 1 -17/4 -17/4 1 1 0; 0 -1 1 17/4 -17/4 -1 1 0;
//          0 1/2 1/4 -5/2 -5/4 2 1 0; 0 -1/2 1/4 5/2 -5/4 -2 1 0; 0 2 4 -5/2 -5 1/2 1 0;
//          0 -2 4 5/2 -5 -1/2 1 0; 0 -1 0 21/4 0 -21/4 0 1]
//   A^T = [1 1 1 1 1 1 1 0; 0 1 -1 2 -2 1/2 -1/2 0; 0 1 1 4 4 1/4 1/4 0; 0 1 -1 8 -8 1/8 -1/8 0;
//          0 1 1 16 16 1/16 1/16 0; 0 1 -1 32 -32 1/32 -1/32 1]
// For single-sample planes such as 35x35 (6x6 tiles of 6 cover 36x36 where F(4x4) needs 9x9 tiles): 64*36
// products per (filter, channel) instead of F(4x4)'s 36*81, transforms about as costly; rounding several times
// F(4x4)'s (larger constants).

@inline function tiles6_of(n: i32): i32 {
  return (n + 5) / 6;
}

/** Weight transform of F(6x6,3x3): dst [64][nf][k] floats, U[xi] = (G g G^T)[xi], computed in f64. */
export function wino6_weights(filters: usize, nf: i32, k: i32, dst: usize): void {
  wino_weights_m(6, filters, nf, k, dst);
}

// row t of F(m x m, 3x3)'s G (m = 3, 4 or 6, a constant) applied to (a, b, c), in f64
@inline function grow_s(m: i32, t: i32, a: f64, b: f64, c: f64): f64 {
  if (m == 3) {
    if (t == 0) return a / 2;
    if (t == 1) return -(a + b + c) / 2;
    if (t == 2) return -(a - b + c) / 6;
    if (t == 3) return a / 6 + b / 3 + c * 2 / 3;
    return c;
  }
  if (m == 4) {
    if (t == 0) return a / 4;
    if (t == 1) return -(a + b + c) / 6;
    if (t == 2) return -(a - b + c) / 6;
    if (t == 3) return a / 24 + b / 12 + c / 6;
    if (t == 4) return a / 24 - b / 12 + c / 6;
    return c;
  }
  return g6row(t, a, b, c);
}

/** Weight transform of F(m x m, 3x3), m = 3, 4 or 6 (a constant): dst [(m+2)^2][nf][k] floats, U[xi] = (G g G^T)[xi], in f64. */
@inline function wino_weights_m(m: i32, filters: usize, nf: i32, k: i32, dst: usize): void {
  const P = m + 2;
  const wt = m == 6 ? wtmp6 : wtmp; // G g: P x 3 f64
  const plane = <usize>(nf * k) << 2;
  const n = nf * k;
  let g = filters;
  let o = dst;
  for (let i = 0; i < n; i++) {
    // rows of G g (P x 3)
    for (let col = 0; col < 3; col++) {
      const a = <f64>load<f32>(g + (<usize>col << 2)), b = <f64>load<f32>(g + (<usize>(3 + col) << 2)), c = <f64>load<f32>(g + (<usize>(6 + col) << 2));
      for (let t = 0; t < P; t++) store<f64>(wt + (<usize>(t * 3 + col) << 3), grow_s(m, t, a, b, c));
    }
    // each row times G^T
    for (let r = 0; r < P; r++) {
      const a = load<f64>(wt + (<usize>(r * 3) << 3)), b = load<f64>(wt + (<usize>(r * 3 + 1) << 3)), c = load<f64>(wt + (<usize>(r * 3 + 2) << 3));
      const row = o + <usize>(r * P) * plane;
      for (let t = 0; t < P; t++) store<f32>(row + <usize>t * plane, <f32>grow_s(m, t, a, b, c));
    }
    g += 36;
    o += 4;
  }
}

// row t of G applied to (a, b, c), in f64
@inline function g6row(t: i32, a: f64, b: f64, c: f64): f64 {
  if (t == 0) return a;
  if (t == 1) return -(a + b + c) * 2 / 9;
  if (t == 2) return -(a - b + c) * 2 / 9;
  if (t == 3) return a / 90 + b / 45 + c * 2 / 45;
  if (t == 4) return a / 90 - b / 45 + c * 2 / 45;
  if (t == 5) return a * 32 / 45 + b * 16 / 45 + c * 8 / 45;
  if (t == 6) return a * 32 / 45 - b * 16 / 45 + c * 8 / 45;
  return c;
}

const wtmp6: usize = memory.data(24 * 8, 16); // G g: 8 x 3 f64

// row t of G applied to (a, b, c) for 2 filters (f64x2), the same operations as g6row
@inline function g6v(t: i32, a: v128, b: v128, c: v128): v128 {
  const d9 = f64x2.splat(9), d45 = f64x2.splat(45), d90 = f64x2.splat(90);
  if (t == 0) return a;
  if (t == 1) return f64x2.div(f64x2.mul(f64x2.neg(f64x2.add(f64x2.add(a, b), c)), f64x2.splat(2)), d9);
  if (t == 2) return f64x2.div(f64x2.mul(f64x2.neg(f64x2.add(f64x2.sub(a, b), c)), f64x2.splat(2)), d9);
  if (t == 3) return f64x2.add(f64x2.add(f64x2.div(a, d90), f64x2.div(b, d45)), f64x2.div(f64x2.mul(c, f64x2.splat(2)), d45));
  if (t == 4) return f64x2.add(f64x2.sub(f64x2.div(a, d90), f64x2.div(b, d45)), f64x2.div(f64x2.mul(c, f64x2.splat(2)), d45));
  if (t == 5) return f64x2.add(f64x2.add(f64x2.div(f64x2.mul(a, f64x2.splat(32)), d45), f64x2.div(f64x2.mul(b, f64x2.splat(16)), d45)), f64x2.div(f64x2.mul(c, f64x2.splat(8)), d45));
  if (t == 6) return f64x2.add(f64x2.sub(f64x2.div(f64x2.mul(a, f64x2.splat(32)), d45), f64x2.div(f64x2.mul(b, f64x2.splat(16)), d45)), f64x2.div(f64x2.mul(c, f64x2.splat(8)), d45));
  return c;
}

/**
 * wino6_weights written straight in gemm_pack_a's layout per xi (what wino_pack_u makes of it), for nf % 4 == 0:
 * 4 filters of one channel at a time, lanes = filters, with the same f64 operations (same bits).
 */
export function wino6_weights_packed(filters: usize, nf: i32, k: i32, dst: usize): void {
  wino6_weights_packed_range(filters, nf, k, dst, 0, nf);
}

/** wino6_weights_packed of filters fa .. fb-1 only (multiples of 4; see wino2_weights_packed_range). */
export function wino6_weights_packed_range(filters: usize, nf: i32, k: i32, dst: usize, fa: i32, fb: i32): void {
  wino_weights_packed_m(6, filters, nf, k, dst, fa, fb);
}

// row t (a constant) of F(m x m, 3x3)'s G, m = 3 or 6, applied to (a, b, c) for 2 filters (f64x2)
@inline function grow_m(m: i32, t: i32, a: v128, b: v128, c: v128): v128 {
  return m == 3 ? g3row(t, a, b, c) : g6v(t, a, b, c);
}

// row t (a constant < m + 2) of G applied to column (lo: al bl cl, hi: ah bh ch) of 4 filters, stored at q + 96 t
@inline function gpair_m(m: i32, t: i32, q: usize, al: v128, bl: v128, cl: v128, ah: v128, bh: v128, ch: v128): void {
  if (t >= m + 2) return;
  v128.store(q + <usize>(t * 96), grow_m(m, t, al, bl, cl));
  v128.store(q + <usize>(t * 96), grow_m(m, t, ah, bh, ch), 16);
}

// entry j (a constant < m + 2) of one row of G g G^T for 4 filters, stored as f32 at dst
@inline function st_m(m: i32, j: i32, dst: usize, al: v128, bl: v128, cl: v128, ah: v128, bh: v128, ch: v128): void {
  if (j < m + 2) st4(dst, grow_m(m, j, al, bl, cl), grow_m(m, j, ah, bh, ch));
}

/**
 * wino{m}_weights_packed_range, m = 2, 3 or 6 (a constant): U = G g G^T of filters fa .. fb-1 (multiples of 4), 4 filters
 * of one channel at a time (lanes = filters), in f64 with the same operations as wino{m}_weights, written in
 * gemm_pack_a's layout per xi.
 */
@inline function wino_weights_packed_m(m: i32, filters: usize, nf: i32, k: i32, dst: usize, fa: i32, fb: i32): void {
  const P = m + 2;
  const wt = m == 3 ? wtmp3 : wtmp6v; // (m = 3, 6) G g: P rows x 3 columns as (lanes 0-1, lanes 2-3) f64x2 pairs
  const plane = <usize>(nf * k) << 2;
  const fs = <usize>(k * 36);
  const R = gemm_pack_rows(nf);
  for (let f0 = fa; f0 < fb; f0 += 4) {
    const ob = dst + (<usize>((f0 - f0 % R) * k + f0 % R) << 2);
    for (let c = 0; c < k; c++) {
      const g = filters + (<usize>((f0 * k + c) * 9) << 2);
      const o = ob + <usize>(c * R) * 4;
      if (m == 2) {
        wino2_quad(g, fs, o, plane);
        continue;
      }
      for (let col = 0; col < 3; col++) {
        const A = ld4(g, fs, <usize>col << 2), B = ld4(g, fs, <usize>(3 + col) << 2), C = ld4(g, fs, <usize>(6 + col) << 2);
        const al = f64x2.promote_low_f32x4(A), bl = f64x2.promote_low_f32x4(B), cl = f64x2.promote_low_f32x4(C);
        const ah = f64x2.promote_low_f32x4(v128.shuffle<f32>(A, A, 2, 3, 2, 3));
        const bh = f64x2.promote_low_f32x4(v128.shuffle<f32>(B, B, 2, 3, 2, 3));
        const ch = f64x2.promote_low_f32x4(v128.shuffle<f32>(C, C, 2, 3, 2, 3));
        // (unrolled: each row a straight line of f64x2 operations)
        const q = wt + (<usize>(col * 2) << 4);
        gpair_m(m, 0, q, al, bl, cl, ah, bh, ch);
        gpair_m(m, 1, q, al, bl, cl, ah, bh, ch);
        gpair_m(m, 2, q, al, bl, cl, ah, bh, ch);
        gpair_m(m, 3, q, al, bl, cl, ah, bh, ch);
        gpair_m(m, 4, q, al, bl, cl, ah, bh, ch);
        gpair_m(m, 5, q, al, bl, cl, ah, bh, ch);
        gpair_m(m, 6, q, al, bl, cl, ah, bh, ch);
        gpair_m(m, 7, q, al, bl, cl, ah, bh, ch);
      }
      // each row of G g times G^T
      for (let r = 0; r < P; r++) {
        const q = wt + (<usize>(r * 3 * 2) << 4);
        const al = v128.load(q), ah = v128.load(q, 16), bl = v128.load(q, 32), bh = v128.load(q, 48), cl = v128.load(q, 64), ch = v128.load(q, 80);
        const row = o + <usize>(r * P) * plane;
        st_m(m, 0, row, al, bl, cl, ah, bh, ch);
        st_m(m, 1, row + plane, al, bl, cl, ah, bh, ch);
        st_m(m, 2, row + 2 * plane, al, bl, cl, ah, bh, ch);
        st_m(m, 3, row + 3 * plane, al, bl, cl, ah, bh, ch);
        st_m(m, 4, row + 4 * plane, al, bl, cl, ah, bh, ch);
        st_m(m, 5, row + 5 * plane, al, bl, cl, ah, bh, ch);
        st_m(m, 6, row + 6 * plane, al, bl, cl, ah, bh, ch);
        st_m(m, 7, row + 7 * plane, al, bl, cl, ah, bh, ch);
      }
    }
  }
}

const wtmp6v: usize = memory.data(24 * 32, 16); // G g of 4 filters: 24 entries x (lo, hi) f64x2

const t8: usize = memory.data(128 * 16, 16); // 8x8 (input) or 6x8 + 6 (output) vectors of 4 lanes

/** Tiles per chunk of F(6x6,3x3): a multiple of 8, 64*chunk*(k + nf) floats up to about 768 KiB (at least 8), chunks of equal size. */
export function wino6_chunk_tiles(n: i32, k: i32, nr: i32, nc: i32, nf: i32): i32 {
  const T = n * tiles6_of(nr) * tiles6_of(nc);
  let tc = (196608 / (64 * (k + nf))) & ~7;
  if (tc < 8) tc = 8;
  const chunks = (T + tc - 1) / tc;
  return min(tc, (((T + chunks - 1) / chunks) + 7) & ~7);
}

@inline function pad6_floats(k: i32, nr: i32, nc: i32): i32 {
  return padm_floats(6, k, nr, nc);
}

/** Scratch floats of `wino6_con`. */
export function wino6_scratch_floats(n: i32, k: i32, nr: i32, nc: i32, nf: i32): i32 {
  const tc = wino6_chunk_tiles(n, k, nr, nc, nf);
  return pad6_floats(k, nr, nc) + 64 * (tc * k + 16) + 64 * (nf * tc + 16) + 2 * tc + 64;
}


// 1-d B^T transform of the 8 vectors d0..d7, written to q, q+sq, ...
@inline function bt8v(d0: v128, d1: v128, d2: v128, d3: v128, d4: v128, d5: v128, d6: v128, d7: v128, q: usize, sq: usize): void {
  const c525 = f32x4.splat(5.25), c425 = f32x4.splat(4.25);
  // r0 = d0 - d6 + 5.25(d4 - d2); r7 = d7 - d1 + 5.25(d3 - d5)
  v128.store(q, f32x4.add(f32x4.sub(d0, d6), f32x4.mul(c525, f32x4.sub(d4, d2))));
  v128.store(q + 7 * sq, f32x4.add(f32x4.sub(d7, d1), f32x4.mul(c525, f32x4.sub(d3, d5))));
  // r1, r2 = (d2 + d6 - 4.25 d4) +- (d1 + d5 - 4.25 d3)
  const t1 = f32x4.sub(f32x4.add(d2, d6), f32x4.mul(c425, d4));
  const t2 = f32x4.sub(f32x4.add(d1, d5), f32x4.mul(c425, d3));
  v128.store(q + sq, f32x4.add(t1, t2));
  v128.store(q + 2 * sq, f32x4.sub(t1, t2));
  // r3, r4 = (0.25 d2 + d6 - 1.25 d4) +- (0.5 d1 - 2.5 d3 + 2 d5)
  const t3 = f32x4.sub(f32x4.add(f32x4.mul(f32x4.splat(0.25), d2), d6), f32x4.mul(f32x4.splat(1.25), d4));
  const t4v = f32x4.add(f32x4.sub(f32x4.mul(f32x4.splat(0.5), d1), f32x4.mul(f32x4.splat(2.5), d3)), f32x4.mul(f32x4.splat(2), d5));
  v128.store(q + 3 * sq, f32x4.add(t3, t4v));
  v128.store(q + 4 * sq, f32x4.sub(t3, t4v));
  // r5, r6 = (4 d2 + d6 - 5 d4) +- (2 d1 - 2.5 d3 + 0.5 d5)
  const t5 = f32x4.sub(f32x4.add(f32x4.mul(f32x4.splat(4), d2), d6), f32x4.mul(f32x4.splat(5), d4));
  const t6 = f32x4.add(f32x4.sub(f32x4.mul(f32x4.splat(2), d1), f32x4.mul(f32x4.splat(2.5), d3)), f32x4.mul(f32x4.splat(0.5), d5));
  v128.store(q + 5 * sq, f32x4.add(t5, t6));
  v128.store(q + 6 * sq, f32x4.sub(t5, t6));
}

@inline function bt8(p: usize, st: usize, q: usize, sq: usize): void {
  bt8v(v128.load(p), v128.load(p + st), v128.load(p + 2 * st), v128.load(p + 3 * st),
    v128.load(p + 4 * st), v128.load(p + 5 * st), v128.load(p + 6 * st), v128.load(p + 7 * st), q, sq);
}

// the column transforms (over i) of the row-transformed 8x8 patch vectors at t8 ([i][j], 16 bytes apart) into
// V[xi = 8i + j] at d
@inline function bt8cols(d: usize, xs: usize): void {
  const m = t8;
  for (let j = 0; j < 8; j++) bt8(m + (<usize>j << 4), 128, d + <usize>j * xs, 8 * xs);
}

// input transform of 4 tiles of one sample, patches at padded offsets o0..o3 (bytes from xp)
function in6_lanes(xp: usize, o0: usize, o1: usize, o2: usize, o3: usize, wb: usize, cb: usize, k: i32, dst: usize, cs: usize, xs: usize): void {
  let q0 = xp + o0, q1 = xp + o1, q2 = xp + o2, q3 = xp + o3;
  let d = dst;
  const m = t8;
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < 8; i++) {
      const r = <usize>i * wb;
      const a0 = v128.load(q0 + r), a1 = v128.load(q1 + r), a2 = v128.load(q2 + r), a3 = v128.load(q3 + r);
      const b0 = v128.load(q0 + r, 16), b1 = v128.load(q1 + r, 16), b2 = v128.load(q2 + r, 16), b3 = v128.load(q3 + r, 16);
      bt8v(col4(a0, a1, a2, a3, 0), col4(a0, a1, a2, a3, 1), col4(a0, a1, a2, a3, 2), col4(a0, a1, a2, a3, 3),
        col4(b0, b1, b2, b3, 0), col4(b0, b1, b2, b3, 1), col4(b0, b1, b2, b3, 2), col4(b0, b1, b2, b3, 3),
        m + <usize>(i * 128), 16);
    }
    bt8cols(d, xs);
    q0 += cb; q1 += cb; q2 += cb; q3 += cb;
    d += cs;
  }
}

// input transform of 4 side-by-side tiles of one tile row: patch element (i, j) of tile l is q[i*Wp + 6l + j];
// per patch row 7 loads and 16 shuffles gather the 8 stride-6 lane vectors
function in6_fast(q0: usize, wb: usize, cb: usize, k: i32, dst: usize, cs: usize, xs: usize): void {
  let q = q0;
  let d = dst;
  const m = t8;
  for (let c = 0; c < k; c++) {
    let r = q;
    let mr = m;
    for (let i = 0; i < 8; i++) {
      const A = v128.load(r), B = v128.load(r, 16), C = v128.load(r, 32), D = v128.load(r, 48);
      const E = v128.load(r, 64), F = v128.load(r, 80), G = v128.load(r, 96);
      const P0 = v128.shuffle<f32>(A, B, 0, 6, 1, 7), Q0 = v128.shuffle<f32>(D, E, 0, 6, 1, 7);
      const P1 = v128.shuffle<f32>(A, C, 2, 4, 3, 5), Q1 = v128.shuffle<f32>(D, F, 2, 4, 3, 5);
      const P2 = v128.shuffle<f32>(B, C, 0, 6, 1, 7), Q2 = v128.shuffle<f32>(E, F, 0, 6, 1, 7);
      const P3 = v128.shuffle<f32>(B, D, 2, 4, 3, 5), Q3 = v128.shuffle<f32>(E, G, 2, 4, 3, 5);
      bt8v(
        v128.shuffle<f32>(P0, Q0, 0, 1, 4, 5), v128.shuffle<f32>(P0, Q0, 2, 3, 6, 7),
        v128.shuffle<f32>(P1, Q1, 0, 1, 4, 5), v128.shuffle<f32>(P1, Q1, 2, 3, 6, 7),
        v128.shuffle<f32>(P2, Q2, 0, 1, 4, 5), v128.shuffle<f32>(P2, Q2, 2, 3, 6, 7),
        v128.shuffle<f32>(P3, Q3, 0, 1, 4, 5), v128.shuffle<f32>(P3, Q3, 2, 3, 6, 7), mr, 16);
      r += wb;
      mr += 128;
    }
    bt8cols(d, xs);
    q += cb;
    d += cs;
  }
}

// bounds-checked input transform of 4 tiles tg.. (tiles >= tEnd give zeros), read from x
function in6_gather(x: usize, k: i32, nr: i32, nc: i32, tx: i32, tps: i32, tg: i32, tEnd: i32, dst: usize, cs: usize, xs: usize): void {
  let d = dst;
  const m = t8;
  for (let c = 0; c < k; c++) {
    gather_patches(6, x, c, k, nr, nc, tx, tps, tg, tEnd, m);
    for (let i = 0; i < 8; i++) bt8(m + <usize>(i * 128), 16, m + <usize>(i * 128), 16);
    bt8cols(d, xs);
    d += cs;
  }
}

// 1-d A^T transform of the 8 vectors m0..m7 into 6 vectors at q, q+sq, ...
@inline function at8v(m0: v128, m1: v128, m2: v128, m3: v128, m4: v128, m5: v128, m6: v128, m7: v128, q: usize, sq: usize): void {
  const s1 = f32x4.add(m1, m2), d1 = f32x4.sub(m1, m2);
  const s2 = f32x4.add(m3, m4), d2 = f32x4.sub(m3, m4);
  const s3 = f32x4.add(m5, m6), d3 = f32x4.sub(m5, m6);
  v128.store(q, f32x4.add(f32x4.add(f32x4.add(m0, s1), s2), s3));
  v128.store(q + sq, f32x4.add(f32x4.add(d1, f32x4.mul(f32x4.splat(2), d2)), f32x4.mul(f32x4.splat(0.5), d3)));
  v128.store(q + 2 * sq, f32x4.add(f32x4.add(s1, f32x4.mul(f32x4.splat(4), s2)), f32x4.mul(f32x4.splat(0.25), s3)));
  v128.store(q + 3 * sq, f32x4.add(f32x4.add(d1, f32x4.mul(f32x4.splat(8), d2)), f32x4.mul(f32x4.splat(0.125), d3)));
  v128.store(q + 4 * sq, f32x4.add(f32x4.add(s1, f32x4.mul(f32x4.splat(16), s2)), f32x4.mul(f32x4.splat(0.0625), s3)));
  v128.store(q + 5 * sq, f32x4.add(f32x4.add(f32x4.add(d1, f32x4.mul(f32x4.splat(32), d2)), f32x4.mul(f32x4.splat(0.03125), d3)), m7));
}

@inline function at8(p: usize, st: usize, q: usize, sq: usize): void {
  at8v(v128.load(p), v128.load(p + st), v128.load(p + 2 * st), v128.load(p + 3 * st),
    v128.load(p + 4 * st), v128.load(p + 5 * st), v128.load(p + 6 * st), v128.load(p + 7 * st), q, sq);
}

/**
 * 3x3 stride-1 pad-1 convolution by Winograd F(6x6,3x3), same contract as wino2_con with U = wino6_weights
 * ([64][nf][k]; packedU != 0: each xi packed by gemm_pack_a, see wino_pack_u) and scratch =
 * wino6_scratch_floats(n, k, nr, nc, nf) floats.
 */
export function wino6_con(
  x: usize, n: i32, k: i32, nr: i32, nc: i32, U: usize, nf: i32,
  bias: usize, gamma: usize, beta: usize, relu: i32, out: usize, scratch: usize, packedU: i32,
): void {
  wino_con_m(6, x, n, k, nr, nc, U, nf, bias, gamma, beta, relu, out, scratch, packedU);
}

// The F(m x m, 3x3) convolution (m = 3, 4, 6; a constant at each call, so each export keeps only its size's code):
// chunks of tiles through the input transforms, the products and the tile table; then per filter and 4 tiles the
// output transform, A^T over the m + 2 columns into `ot`, then per output row over the m + 2 values of the row,
// with the epilogue in registers. 4 whole tiles side by side write output row i of the 4 tiles as 4m consecutive
// floats; otherwise the row goes through `rowbuf`, each tile's first `cols` floats of its first `rows` rows copied.
@inline function wino_con_m(
  m: i32, x: usize, n: i32, k: i32, nr: i32, nc: i32, U: usize, nf: i32,
  bias: usize, gamma: usize, beta: usize, relu: i32, out: usize, scratch: usize, packedU: i32,
): void {
  const P = m + 2, nxi = P * P;
  const tx = (nc + m - 1) / m, ty = (nr + m - 1) / m;
  const tps = tx * ty;
  const T = n * tps;
  const Tc = m == 3 ? wino3_chunk_tiles(n, k, nr, nc, nf) : m == 4 ? wino4_chunk_tiles(n, k, nr, nc, nf) : wino6_chunk_tiles(n, k, nr, nc, nf);
  const xp = scratch;
  const Vp = xp + (<usize>padm_floats(m, k, nr, nc) << 2);
  const xs = (<usize>(Tc * k) << 2) + 64;
  const Mb = Vp + <usize>nxi * xs;
  const ms = (<usize>(nf * Tc) << 2) + 64;
  const tab = Mb + <usize>nxi * ms;
  const plane = nr * nc;
  const hasBias = bias != 0, hasGamma = gamma != 0, doRelu = relu != 0;
  const ot = m == 6 ? t8 : t4;
  const rs = <usize>P << 4; // bytes per row of ot
  let prepared = -1;
  for (let t0 = 0; t0 < T; t0 += Tc) {
    const tc = min(Tc, T - t0);
    const tEnd = t0 + tc;
    prepared = wino_inputs(m, x, k, nr, nc, tx, tps, t0, tEnd, xp, Vp, xs, prepared);
    wino_products(nxi, nf, tc, k, U, Vp, xs, Mb, ms, Tc, packedU);
    wino_tile_table(m, tab, t0, tc, tx, tps, nf, nr, nc);
    for (let f = 0; f < nf; f++) {
      const fo = <usize>f << 2;
      const bv = hasBias ? v128.load32_splat(bias + fo) : f32x4.splat(0);
      const gv = hasGamma ? v128.load32_splat(gamma + fo) : f32x4.splat(0);
      const ev = hasGamma ? v128.load32_splat(beta + fo) : f32x4.splat(0);
      const mrow = Mb + (<usize>(f * Tc) << 2);
      const fb = out + (<usize>(f * plane) << 2);
      for (let q = 0; q < tc; q += 4) {
        const mp = mrow + (<usize>q << 2);
        // columns: P rows (xi = P i + j) -> m rows, into ot[m][P]
        for (let j = 0; j < P; j++) {
          const src = mp + <usize>j * ms, dst = ot + (<usize>j << 4);
          if (m == 3) at5(src, 5 * ms, dst, rs);
          else if (m == 4) at6(src, 6 * ms, dst, rs);
          else at8(src, 8 * ms, dst, rs);
        }
        const te0 = tab + (<usize>q << 3);
        const whole = q + 4 <= tc && load<i32>(te0, 24) - load<i32>(te0) == 12 * m && load<i32>(te0, 28) == ((m << 4) | m);
        const lanes = min(4, tEnd - (t0 + q));
        let orow = fb + <usize>load<i32>(te0);
        for (let i = 0; i < m; i++) {
          const rb = whole ? orow : rowbuf;
          wino_out_row(m, ot + <usize>i * rs, bv, gv, ev, hasBias, hasGamma, doRelu, rb);
          if (whole) {
            orow += <usize>nc << 2;
            continue;
          }
          for (let l = 0; l < lanes; l++) {
            const te = tab + (<usize>(q + l) << 3);
            const fl = load<i32>(te, 4);
            if (i >= (fl >> 4)) continue;
            const o = fb + <usize>load<i32>(te) + <usize>(i * nc) * 4;
            const src = rowbuf + <usize>(l * m * 4);
            const cols = fl & 15;
            if (cols == m) {
              if (m == 3) {
                store<u64>(o, load<u64>(src));
                store<f32>(o, load<f32>(src, 8), 8);
              } else if (m == 4) {
                v128.store(o, v128.load(src));
              } else {
                v128.store(o, v128.load(src));
                store<u64>(o, load<u64>(src, 16), 16);
              }
            } else {
              for (let j = 0; j < cols; j++) store<f32>(o + (<usize>j << 2), load<f32>(src + (<usize>j << 2)));
            }
          }
        }
      }
    }
  }
}

// Output row i of 4 tiles (lanes) of F(m x m, 3x3) from its P = m + 2 vectors at p (the columns' A^T done): A^T over
// them, the epilogue, then transposed so that tile l's m values are floats l*m .. l*m + m - 1 of the 4m stored at rb
@inline function wino_out_row(
  m: i32, p: usize, bv: v128, gv: v128, ev: v128, hasBias: bool, hasGamma: bool, doRelu: bool, rb: usize,
): void {
  if (m == 3) {
    const m0 = v128.load(p), m1 = v128.load(p, 16), m2 = v128.load(p, 32), m3 = v128.load(p, 48), m4 = v128.load(p, 64);
    const sv = f32x4.add(m1, m2), tv = f32x4.sub(m1, m2);
    const y0 = epi(f32x4.add(f32x4.add(m0, sv), m3), bv, gv, ev, hasBias, hasGamma, doRelu);
    const y1 = epi(f32x4.add(tv, f32x4.mul(f32x4.splat(2), m3)), bv, gv, ev, hasBias, hasGamma, doRelu);
    const y2 = epi(f32x4.add(f32x4.add(sv, f32x4.mul(f32x4.splat(4), m3)), m4), bv, gv, ev, hasBias, hasGamma, doRelu);
    v128.store(rb, v128.shuffle<f32>(v128.shuffle<f32>(y0, y1, 0, 4, 1, 5), y2, 0, 1, 4, 2));
    v128.store(rb, v128.shuffle<f32>(v128.shuffle<f32>(y1, y2, 1, 5, 2, 6), y0, 0, 1, 6, 2), 16);
    v128.store(rb, v128.shuffle<f32>(y2, v128.shuffle<f32>(y0, y1, 3, 7, 3, 7), 2, 4, 5, 3), 32);
  } else if (m == 4) {
    const m0 = v128.load(p), m1 = v128.load(p, 16), m2 = v128.load(p, 32), m3 = v128.load(p, 48), m4 = v128.load(p, 64), m5 = v128.load(p, 80);
    const a = f32x4.add(m1, m2), b = f32x4.sub(m1, m2), c = f32x4.add(m3, m4), e = f32x4.sub(m3, m4);
    const y0 = epi(f32x4.add(f32x4.add(m0, a), c), bv, gv, ev, hasBias, hasGamma, doRelu);
    const y1 = epi(f32x4.add(b, f32x4.mul(f32x4.splat(2), e)), bv, gv, ev, hasBias, hasGamma, doRelu);
    const y2 = epi(f32x4.add(a, f32x4.mul(f32x4.splat(4), c)), bv, gv, ev, hasBias, hasGamma, doRelu);
    const y3 = epi(f32x4.add(f32x4.add(b, f32x4.mul(f32x4.splat(8), e)), m5), bv, gv, ev, hasBias, hasGamma, doRelu);
    const a0 = v128.shuffle<f32>(y0, y1, 0, 4, 1, 5), a1 = v128.shuffle<f32>(y2, y3, 0, 4, 1, 5);
    const a2 = v128.shuffle<f32>(y0, y1, 2, 6, 3, 7), a3 = v128.shuffle<f32>(y2, y3, 2, 6, 3, 7);
    v128.store(rb, v128.shuffle<f32>(a0, a1, 0, 1, 4, 5));
    v128.store(rb, v128.shuffle<f32>(a0, a1, 2, 3, 6, 7), 16);
    v128.store(rb, v128.shuffle<f32>(a2, a3, 0, 1, 4, 5), 32);
    v128.store(rb, v128.shuffle<f32>(a2, a3, 2, 3, 6, 7), 48);
  } else {
    const y = t8 + 1024;
    at8(p, 16, y, 16);
    const y0 = epi(v128.load(y), bv, gv, ev, hasBias, hasGamma, doRelu);
    const y1 = epi(v128.load(y, 16), bv, gv, ev, hasBias, hasGamma, doRelu);
    const y2 = epi(v128.load(y, 32), bv, gv, ev, hasBias, hasGamma, doRelu);
    const y3 = epi(v128.load(y, 48), bv, gv, ev, hasBias, hasGamma, doRelu);
    const y4 = epi(v128.load(y, 64), bv, gv, ev, hasBias, hasGamma, doRelu);
    const y5 = epi(v128.load(y, 80), bv, gv, ev, hasBias, hasGamma, doRelu);
    // tile l's row = (y0..y5)[l]: transpose y0..y3 per tile, y4/y5 pairs per tile
    const a0 = v128.shuffle<f32>(y0, y1, 0, 4, 1, 5), a1 = v128.shuffle<f32>(y2, y3, 0, 4, 1, 5);
    const a2 = v128.shuffle<f32>(y0, y1, 2, 6, 3, 7), a3 = v128.shuffle<f32>(y2, y3, 2, 6, 3, 7);
    const T0 = v128.shuffle<f32>(a0, a1, 0, 1, 4, 5), T1 = v128.shuffle<f32>(a0, a1, 2, 3, 6, 7);
    const T2 = v128.shuffle<f32>(a2, a3, 0, 1, 4, 5), T3 = v128.shuffle<f32>(a2, a3, 2, 3, 6, 7);
    const U01 = v128.shuffle<f32>(y4, y5, 0, 4, 1, 5), U23 = v128.shuffle<f32>(y4, y5, 2, 6, 3, 7);
    v128.store(rb, T0);
    v128.store(rb, v128.shuffle<f32>(U01, T1, 0, 1, 4, 5), 16);
    v128.store(rb, v128.shuffle<f32>(T1, U01, 2, 3, 6, 7), 32);
    v128.store(rb, T2, 48);
    v128.store(rb, v128.shuffle<f32>(U23, T3, 0, 1, 4, 5), 64);
    v128.store(rb, v128.shuffle<f32>(T3, U23, 2, 3, 6, 7), 80);
  }
}

// ---------------------------------------------------------------------------------------------
// The chunk steps every F(m x m, 3x3) driver below (m = 3, 4, 6) shares; m is a constant at each call, so the
// inlined dispatch keeps only that size's functions.

// the input transform of tiles t0 .. tEnd-1 of one chunk, 4 at a time, into V panels [xi][panel][k][8]: 4 tiles side by
// side in one tile row from the padded copy (fast), 4 of one sample wrapping rows (lanes), else bounds-checked from x;
// `prepared` = the sample now in the padded copy xp (returned updated)
@inline function wino_inputs(
  m: i32, x: usize, k: i32, nr: i32, nc: i32, tx: i32, tps: i32, t0: i32, tEnd: i32,
  xp: usize, Vp: usize, xs: usize, prepared: i32,
): i32 {
  const Wp = m * tx + 2, Hp = m * ((nr + m - 1) / m) + 2;
  const wb = <usize>Wp << 2, cb = <usize>(Hp * Wp) << 2;
  const inStride = <usize>(k * nr * nc) << 2;
  const panels = (tEnd - t0 + 7) >> 3;
  for (let h = 0; h < panels * 2; h++) {
    const tg = t0 + 4 * h;
    const dst = Vp + (<usize>((h >> 1) * k * 8 + (h & 1) * 4) << 2);
    const s = tg / tps;
    if (tg + 4 <= tEnd && (tg + 3) / tps == s) {
      if (prepared != s) {
        pad_sample(m, x + <usize>s * inStride, k, nr, nc, xp);
        prepared = s;
      }
      const loc = tg - s * tps;
      let yy = loc / tx, xx = loc - yy * tx;
      const o0 = <usize>(m * yy * Wp + m * xx) << 2;
      if (xx + 4 <= tx) {
        if (m == 3) in3_fast(xp + o0, wb, cb, k, dst, 32, xs);
        else if (m == 4) in4_fast(xp + o0, wb, cb, k, dst, 32, xs);
        else in6_fast(xp + o0, wb, cb, k, dst, 32, xs);
        continue;
      }
      if (++xx == tx) { xx = 0; yy++; }
      const o1 = <usize>(m * yy * Wp + m * xx) << 2;
      if (++xx == tx) { xx = 0; yy++; }
      const o2 = <usize>(m * yy * Wp + m * xx) << 2;
      if (++xx == tx) { xx = 0; yy++; }
      const o3 = <usize>(m * yy * Wp + m * xx) << 2;
      if (m == 3) in3_lanes(xp, o0, o1, o2, o3, wb, cb, k, dst, 32, xs);
      else if (m == 4) in4_lanes(xp, o0, o1, o2, o3, wb, cb, k, dst, 32, xs);
      else in6_lanes(xp, o0, o1, o2, o3, wb, cb, k, dst, 32, xs);
    } else if (tg >= tEnd) {
      zero_group((m + 2) * (m + 2), k, dst, 32, xs);
    } else {
      if (m == 3) in3_gather(x, k, nr, nc, tx, tps, tg, tEnd, dst, 32, xs);
      else if (m == 4) in4_gather(x, k, nr, nc, tx, tps, tg, tEnd, dst, 32, xs);
      else in6_gather(x, k, nr, nc, tx, tps, tg, tEnd, dst, 32, xs);
    }
  }
  return prepared;
}

// the nxi products M[xi] = U[xi] V[xi] of one chunk of tc tiles ([nf][tc], row stride Tc)
@inline function wino_products(nxi: i32, nf: i32, tc: i32, k: i32, U: usize, Vp: usize, xs: usize, Mb: usize, ms: usize, Tc: i32, packedU: i32): void {
  const uxs = <usize>(nf * k) << 2;
  for (let xi = 0; xi < nxi; xi++) {
    if (packedU != 0) gemm_packed_ap(nf, tc, k, U + <usize>xi * uxs, Vp + <usize>xi * xs, Mb + <usize>xi * ms, Tc, 0, 0, 0, 0);
    else gemm_packed(nf, tc, k, U + <usize>xi * uxs, k, Vp + <usize>xi * xs, Mb + <usize>xi * ms, Tc, 0, 0, 0, 0);
  }
}

// per tile t of the chunk (m x m tiles): byte offset of its top-left output pixel (filter 0), and (rows << 4) | cols
// of it that exist
@inline function wino_tile_table(m: i32, tab: usize, t0: i32, tc: i32, tx: i32, tps: i32, nf: i32, nr: i32, nc: i32): void {
  const plane = nr * nc;
  for (let t = 0; t < tc; t++) {
    const tt = t0 + t;
    const s = tt / tps;
    const loc = tt - s * tps;
    const yy = loc / tx;
    const py = m * yy, px = m * (loc - yy * tx);
    store<i32>(tab + (<usize>t << 3), (s * nf * plane + py * nc + px) << 2);
    store<i32>(tab + (<usize>t << 3), (min(m, nr - py) << 4) | min(m, nc - px), 4);
  }
}

/**
 * Repack transformed filters U ([nxi][nf][k], nxi = 16, 25, 36 or 64) in place into gemm_pack_a's layout per xi, for
 * wino*_con(..., packedU = true). Requires nf % 4 == 0; tmp: nf*k floats of scratch.
 */
export function wino_pack_u(U: usize, nxi: i32, nf: i32, k: i32, tmp: usize): void {
  const bytes = <usize>(nf * k) << 2;
  for (let xi = 0; xi < nxi; xi++) {
    const u = U + <usize>xi * bytes;
    memory.copy(tmp, u, bytes);
    gemm_pack_a(tmp, nf, k, k, u);
  }
}
