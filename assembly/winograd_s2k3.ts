// Stride-2 3x3 convolutions without padding (such as the face ResNet's con<64,3,3,2,2> on 35x35, which the runtime runs
// with the F(3x3, 2x2) variant at the end of this file) by polyphase decomposition + Winograd F(4x4, 2x2).
//
// Polyphase: a stride-2 convolution of k channels with a 3x3 filter is a stride-1 convolution of the 4k "phase
// channels" P[c,py,px][i][j] = x[c][2i+py][2j+px] with the 2x2 sub-filters g'[c,py,px][a][b] = g[c][2a+py][2b+px]
// (0 beyond the filter: phase (0,0) has 2x2 taps, (0,1) 2x1, (1,0) 1x2, (1,1) 1x1). That 2x2 "valid" convolution
// runs as Winograd F(4x4, 2x2): each 4x4 output tile from the 5x5 phase-image patch at phase rows/cols (4ty.., 4tx..),
// 25 products per (filter, phase channel) instead of 64, with the interpolation points 0, 1, -1, 2, inf
// (derived with exact fractions and checked on 1-d correlations y_i = sum_k d_{i+k} g_k):
//   G   (5x2) = [1/2 0; -1/2 -1/2; -1/6 1/6; 1/6 1/3; 0 1]
//   B^T (5x5) = [2 -1 -2 1 0; 0 -2 -1 1 0; 0 2 -3 1 0; 0 -1 0 1 0; 0 2 -1 -2 1]
//   A^T (4x5) = [1 1 1 1 0; 0 1 -1 2 0; 0 1 1 4 0; 0 1 -1 8 1]
// U = G g' G^T (per filter, phase channel; `wino42s2_weights`, f64, rounded once), V = B^T d B (per tile and phase
// channel), M[xi] = sum over phase channels of U[xi] V[xi] (25 small matrix products), Y = A^T M A, then the conv
// epilogue (+bias, gamma*v + beta, relu). Row 4 of G is g'[1][*], so the products of row 4 (column 4) of the 5x5
// transform are exactly 0 for the phases with py = 1 (px = 1): they skip them (81 instead of 100 multiply-adds per
// tile, filter and input channel; 144 for the direct convolution).
// Results differ from the direct convolution by float rounding only.
//
// Layout: phase channels are padded to kp = k rounded up to 4 per phase (zeros), K = 4 kp, numbered phase-major
// cc = ph*kp + c (ph = 2py + px). The sample's phase images are copied into scratch channel-last, xq[Hq][Wq][K]
// (zeros beyond the input); per panel of 4 tiles the input transform runs on 4 channels at a time (lanes = channels)
// and is transposed into V[25][K][4 tiles]; per block of 8 filters wino_common's 4x8 micro-kernel with the roles
// swapped (V broadcast, lanes = filters of U[xi][K][8]) makes the 25 products, and the output transform + epilogue
// works on 4 filters per vector.
import { mk4x8 } from "./wino_common";

/** Output size of the unpadded stride-2 convolution of n >= 3 pixels with a 3-tap filter. */
@inline function out_of(n: i32): i32 {
  return ((n - 3) >> 1) + 1;
}
@inline function tiles4_of(n: i32): i32 {
  return (n + 3) >> 2;
}
@inline function kpad(k: i32): i32 {
  return (k + 3) & ~3;
}

// position of phase channel (ph, c) among the rows of U[xi] / V[xi] of transform column j, P points (5 for F(4x4,2x2),
// 4 for F(3x3,2x2)): the last column orders the phases px-major so that its used (px = 0) phases come first; the
// others py-major (the last row uses py = 0 only)
@inline function chan_pos(P: i32, ph: i32, c: i32, kp: i32, j: i32): i32 {
  return (j == P - 1 ? ((ph & 1) << 1) | (ph >> 1) : ph) * kp + c;
}

// phase channels used by product xi = P i + j
@inline function active(P: i32, i: i32, j: i32, kp: i32): i32 {
  return kp * (i == P - 1 ? 1 : 2) * (j == P - 1 ? 1 : 2);
}

// row r of G v for v = (v0, v1), F(4x4,2x2)
@inline function g5(v0: f64, v1: f64, r: i32): f64 {
  if (r == 0) return v0 / 2;
  if (r == 1) return -(v0 + v1) / 2;
  if (r == 2) return (v1 - v0) / 6;
  if (r == 3) return (v0 + 2 * v1) / 6;
  return v1;
}

// row r of G v for v = (v0, v1), F(3x3,2x2)
@inline function g4(v0: f64, v1: f64, r: i32): f64 {
  if (r == 0) return v0;
  if (r == 1) return (v0 + v1) / 2;
  if (r == 2) return (v0 - v1) / 2;
  return v1;
}

/** Floats of `wino42s2_weights`' output: 25 * ceil(nf/8)*8 * 4*ceil(k/4)*4. */
export function wino42s2_weights_floats(nf: i32, k: i32): i32 {
  return 25 * ((nf + 7) & ~7) * 4 * kpad(k);
}

// the weight transform of F(m x m, 2x2) with P = m + 1 points (5: wino42s2_weights, 4: wino32s2_weights)
@inline function s2k3_weights_m(P: i32, filters: usize, nf: i32, k: i32, dst: usize): void {
  const kp = kpad(k), K = 4 * kp;
  const total = P * P * ((nf + 7) & ~7) * K;
  for (let i = 0; i < total; i++) store<f32>(dst + (<usize>i << 2), 0);
  for (let f = 0; f < nf; f++) {
    const blk = dst + (<usize>((f >> 3) * P * P * K * 8 + (f & 7)) << 2);
    for (let c = 0; c < k; c++) {
      const src = filters + (<usize>((f * k + c) * 9) << 2);
      for (let ph = 0; ph < 4; ph++) {
        const py = ph >> 1, px = ph & 1;
        // g'[a][e]
        const g00 = <f64>load<f32>(src + (<usize>(py * 3 + px) << 2));
        const g01: f64 = px == 0 ? <f64>load<f32>(src + (<usize>(py * 3 + 2) << 2)) : 0;
        const g10: f64 = py == 0 ? <f64>load<f32>(src + (<usize>(6 + px) << 2)) : 0;
        const g11: f64 = py == 0 && px == 0 ? <f64>load<f32>(src + (8 << 2)) : 0;
        for (let r = 0; r < P; r++) {
          // row r of G g' (2 values), then through G
          const h0 = P == 5 ? g5(g00, g10, r) : g4(g00, g10, r), h1 = P == 5 ? g5(g01, g11, r) : g4(g01, g11, r);
          for (let s = 0; s < P; s++) {
            const u = P == 5 ? g5(h0, h1, s) : g4(h0, h1, s);
            store<f32>(blk + (<usize>(((r * P + s) * K + chan_pos(P, ph, c, kp, s)) * 8) << 2), <f32>u);
          }
        }
      }
    }
  }
}

/**
 * Weight transform for `wino42s2_con`: 3x3 filters in dlib's layout [nf][k][3][3].
 * dst: wino42s2_weights_floats(nf, k) floats, in blocks of 8 filters (the micro-kernel's layout):
 * U[b][xi][pos][r] = (G g'[8b + r][cc] G^T)[xi] (0 for filters >= nf and padding channels), xi = 5*row + col, pos the
 * position of phase channel cc = (2py + px)*kp + c in product xi (chan_pos), g'[a][e] = filters[f][c][2a+py][2e+px]
 * (0 beyond the filter). Computed in f64, rounded once.
 */
export function wino42s2_weights(filters: usize, nf: i32, k: i32, dst: usize): void {
  s2k3_weights_m(5, filters, nf, k, dst);
}

/**
 * Scratch floats of `wino42s2_con` for n samples of k x nr x nc (nr, nc >= 3) and nf filters.
 */
export function wino42s2_scratch_floats(n: i32, k: i32, nr: i32, nc: i32, nf: i32): i32 {
  const K = 4 * kpad(k);
  const Hq = 4 * tiles4_of(out_of(nr)) + 1, Wq = 4 * tiles4_of(out_of(nc)) + 1;
  return Hq * Wq * K + 25 * K * 4 + 16;
}

// the phase images of one sample x [k][nr][nc] into xq [Hq][Wq][K]:
// xq[i][j][(2py + px)*kp + c] = x[c][2i+py][2j+px], 0 outside the input and for c >= k
function phase_sample(x: usize, k: i32, nr: i32, nc: i32, Hq: i32, Wq: i32, xq: usize): void {
  const kp = kpad(k), K = 4 * kp;
  const total = Hq * Wq * K;
  const z = f32x4.splat(0);
  for (let i = 0; i < total; i += 4) v128.store(xq + (<usize>i << 2), z);
  const plane = nr * nc;
  const pixB = <usize>K << 2;
  if ((k & 3) == 0) {
    // 4 channels x 4 input pixels at a time, transposed: pixel e of row y goes to (y >> 1, e >> 1), phase (y&1, e&1)
    for (let c = 0; c < k; c += 4) {
      for (let y = 0; y < nr; y++) {
        const py = y & 1;
        const src = x + (<usize>(c * plane + y * nc) << 2);
        const rowB = xq + <usize>((y >> 1) * Wq) * pixB;
        const d0 = rowB + (<usize>(2 * py * kp + c) << 2), d1 = d0 + (<usize>kp << 2);
        const pb = <usize>plane << 2;
        let e = 0;
        for (; e + 4 <= nc; e += 4) {
          const a = v128.load(src + (<usize>e << 2)), b = v128.load(src + pb + (<usize>e << 2));
          const c2 = v128.load(src + 2 * pb + (<usize>e << 2)), d = v128.load(src + 3 * pb + (<usize>e << 2));
          const t0 = v128.shuffle<f32>(a, b, 0, 4, 1, 5), t1 = v128.shuffle<f32>(a, b, 2, 6, 3, 7);
          const t2 = v128.shuffle<f32>(c2, d, 0, 4, 1, 5), t3 = v128.shuffle<f32>(c2, d, 2, 6, 3, 7);
          const o = <usize>(e >> 1) * pixB;
          v128.store(d0 + o, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
          v128.store(d1 + o, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
          v128.store(d0 + o + pixB, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
          v128.store(d1 + o + pixB, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
        }
        for (; e < nc; e++) {
          const dd = ((e & 1) != 0 ? d1 : d0) + <usize>(e >> 1) * pixB;
          for (let q = 0; q < 4; q++) store<f32>(dd + (<usize>q << 2), load<f32>(src + (<usize>(q * plane + e) << 2)));
        }
      }
    }
  } else {
    for (let c = 0; c < k; c++) {
      for (let y = 0; y < nr; y++) {
        const src = x + (<usize>((c * plane) + y * nc) << 2);
        for (let e = 0; e < nc; e++) {
          const ph = ((y & 1) << 1) | (e & 1);
          store<f32>(xq + <usize>((y >> 1) * Wq + (e >> 1)) * pixB + (<usize>(ph * kp + c) << 2), load<f32>(src + (<usize>e << 2)));
        }
      }
    }
  }
}

const tin: usize = memory.data(4 * 25 * 16 + 25 * 16, 16); // per lane: 25 transformed vectors; + 25 vectors of rows
const mt: usize = memory.data(25 * 4 * 32, 16); // the 25 products of 8 filters x 4 tiles: [xi][tile][8]
const tout: usize = memory.data(20 * 16 + 16 * 16, 16); // output transform: [4][5] then [4][4] vectors
const ktab: usize = memory.data(25 * 4, 16);

// 1-d B^T transform of 5 vectors, results at q, q + sq, ...
@inline function bt5(d0: v128, d1: v128, d2: v128, d3: v128, d4: v128, q: usize, sq: usize): void {
  const v3 = f32x4.sub(d3, d1);
  const e = f32x4.sub(d3, d2);
  const a = f32x4.sub(d0, d2);
  const b = f32x4.sub(d1, d2);
  v128.store(q, f32x4.add(f32x4.add(a, a), v3));
  v128.store(q + sq, f32x4.sub(e, f32x4.add(d1, d1)));
  v128.store(q + 2 * sq, f32x4.add(e, f32x4.add(b, b)));
  v128.store(q + 3 * sq, v3);
  v128.store(q + 4 * sq, f32x4.sub(f32x4.sub(d4, d2), f32x4.add(v3, v3)));
}

// 1-d A^T transform of 5 vectors at p, p + st, ... into 4 vectors at q, q + sq, ...
@inline function at5(p: usize, st: usize, q: usize, sq: usize): void {
  const m0 = v128.load(p), m1 = v128.load(p + st), m2 = v128.load(p + 2 * st), m3 = v128.load(p + 3 * st), m4 = v128.load(p + 4 * st);
  const s = f32x4.add(m1, m2), d = f32x4.sub(m1, m2);
  const m32 = f32x4.add(m3, m3), m34 = f32x4.add(m32, m32);
  v128.store(q, f32x4.add(f32x4.add(m0, s), m3));
  v128.store(q + sq, f32x4.add(d, m32));
  v128.store(q + 2 * sq, f32x4.add(s, m34));
  v128.store(q + 3 * sq, f32x4.add(f32x4.add(d, f32x4.add(m34, m34)), m4));
}

// the 1-d B^T transform of P vectors at p, p + st, ... (P = 5: F(4x4,2x2), 4: F(3x3,2x2)) into q, q + sq, ...
@inline function btP(P: i32, p: usize, st: usize, q: usize, sq: usize): void {
  if (P == 5) bt5(v128.load(p), v128.load(p + st), v128.load(p + 2 * st), v128.load(p + 3 * st), v128.load(p + 4 * st), q, sq);
  else bt4(v128.load(p), v128.load(p + st), v128.load(p + 2 * st), v128.load(p + 3 * st), q, sq);
}

// input transform of the panel's 4 tiles (patches at xq + o[l] bytes, the 4 channels of group g at +16g bytes) into
// V[xi][pos][4] (dst, xs bytes per product), P x P points
@inline function in_panel_m(P: i32, xq: usize, o0: usize, o1: usize, o2: usize, o3: usize, Wq: i32, K: i32, kp: i32, dst: usize, xs: usize): void {
  const pixB = <usize>K << 2;
  const rowB = <usize>Wq * pixB;
  const rows = tin + 4 * 25 * 16;
  const rb = <usize>P << 4; // bytes per row of P vectors
  const lb = <usize>(P * P) << 4; // bytes per lane (tile) in tin
  for (let g = 0; g < K; g += 4) {
    const ph = g / kp, c0 = g - ph * kp;
    for (let l = 0; l < 4; l++) {
      const o = l == 0 ? o0 : l == 1 ? o1 : l == 2 ? o2 : o3;
      let p = xq + o + (<usize>g << 2);
      // rows through B^T (horizontally): rows[r][j]
      for (let r = 0; r < P; r++) {
        btP(P, p, pixB, rows + <usize>r * rb, 16);
        p += rowB;
      }
      // columns: tin[l][i*P + j]
      const t = tin + <usize>l * lb;
      for (let j = 0; j < P; j++) btP(P, rows + (<usize>j << 4), rb, t + (<usize>j << 4), rb);
    }
    // transpose lanes (channels) x tiles into V
    for (let xi = 0; xi < P * P; xi++) {
      const pos = chan_pos(P, ph, c0, kp, xi % P);
      const x = tin + (<usize>xi << 4);
      const a = v128.load(x), b = v128.load(x + lb), c = v128.load(x + 2 * lb), d = v128.load(x + 3 * lb);
      const t0 = v128.shuffle<f32>(a, b, 0, 4, 1, 5), t1 = v128.shuffle<f32>(a, b, 2, 6, 3, 7);
      const t2 = v128.shuffle<f32>(c, d, 0, 4, 1, 5), t3 = v128.shuffle<f32>(c, d, 2, 6, 3, 7);
      const vd = dst + <usize>xi * xs + (<usize>pos << 4);
      v128.store(vd, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
      v128.store(vd, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7), 16);
      v128.store(vd, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5), 32);
      v128.store(vd, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7), 48);
    }
  }
}

function in_panel(xq: usize, o0: usize, o1: usize, o2: usize, o3: usize, Wq: i32, K: i32, kp: i32, dst: usize, xs: usize): void {
  in_panel_m(5, xq, o0, o1, o2, o3, Wq, K, kp, dst, xs);
}

// 4 floats at p[f..f+3], 0 for f + q >= nf
@inline function ld4(p: usize, f: i32, nf: i32): v128 {
  if (f + 4 <= nf) return v128.load(p + (<usize>f << 2));
  let v = f32x4.splat(0);
  if (f < nf) v = f32x4.replace_lane(v, 0, load<f32>(p + (<usize>f << 2)));
  if (f + 1 < nf) v = f32x4.replace_lane(v, 1, load<f32>(p + (<usize>f << 2), 4));
  if (f + 2 < nf) v = f32x4.replace_lane(v, 2, load<f32>(p + (<usize>f << 2), 8));
  return v;
}

// output transform + epilogue of filters f0..f0+7 (< nf) of tile lane l of F(m x m, 2x2) (m = 4 or 3; P = m + 1
// points): top-left output at ob bytes of filter 0's plane, rows x cols of it exist
@inline function out_tile_m(
  m: i32, l: i32, f0: i32, nf: i32, bias: usize, gamma: usize, beta: usize, hasBias: bool, hasGamma: bool, doRelu: bool,
  ob: usize, planeB: usize, rowB: usize, rows: i32, cols: i32,
): void {
  const P = m + 1;
  const cb = <usize>P << 4; // bytes per row of tout
  const yb = <usize>m << 4; // bytes per row of the m x m result
  const z = f32x4.splat(0);
  for (let h = 0; h < 2; h++) {
    const fb = f0 + 4 * h;
    if (fb >= nf) break;
    const mm = mt + (<usize>l << 5) + (<usize>h << 4);
    // columns (rows of the P x P through A^T): tout[i][b]
    for (let b = 0; b < P; b++) {
      if (m == 4) at5(mm + <usize>(b * 128), 640, tout + (<usize>b << 4), cb);
      else at4(mm + <usize>(b * 128), 512, tout + (<usize>b << 4), cb);
    }
    const y = tout + 320;
    for (let i = 0; i < m; i++) {
      if (m == 4) at5(tout + <usize>i * cb, 16, y + <usize>i * yb, 16);
      else at4(tout + <usize>i * cb, 16, y + <usize>i * yb, 16);
    }
    const bv = hasBias ? ld4(bias, fb, nf) : f32x4.splat(0);
    const gv = hasGamma ? ld4(gamma, fb, nf) : f32x4.splat(0);
    const ev = hasGamma ? ld4(beta, fb, nf) : f32x4.splat(0);
    const nq = min(4, nf - fb);
    const ofb = ob + <usize>fb * planeB;
    for (let i = 0; i < rows; i++) {
      const yr = y + <usize>i * yb;
      let a = v128.load(yr), b = v128.load(yr, 16), c = v128.load(yr, 32), d = m == 4 ? v128.load(yr, 48) : z;
      if (hasBias) { a = f32x4.add(a, bv); b = f32x4.add(b, bv); c = f32x4.add(c, bv); if (m == 4) d = f32x4.add(d, bv); }
      if (hasGamma) {
        a = f32x4.add(f32x4.mul(gv, a), ev); b = f32x4.add(f32x4.mul(gv, b), ev); c = f32x4.add(f32x4.mul(gv, c), ev);
        if (m == 4) d = f32x4.add(f32x4.mul(gv, d), ev);
      }
      if (doRelu) {
        a = v128.and(a, f32x4.ge(a, z)); b = v128.and(b, f32x4.ge(b, z)); c = v128.and(c, f32x4.ge(c, z));
        if (m == 4) d = v128.and(d, f32x4.ge(d, z));
      }
      // filter q's row i = lane q of a, b, c (, d)
      const t0 = v128.shuffle<f32>(a, b, 0, 4, 1, 5), t1 = v128.shuffle<f32>(a, b, 2, 6, 3, 7);
      const t2 = v128.shuffle<f32>(c, d, 0, 4, 1, 5), t3 = v128.shuffle<f32>(c, d, 2, 6, 3, 7);
      const r0 = v128.shuffle<f32>(t0, t2, 0, 1, 4, 5), r1 = v128.shuffle<f32>(t0, t2, 2, 3, 6, 7);
      const r2 = v128.shuffle<f32>(t1, t3, 0, 1, 4, 5), r3 = v128.shuffle<f32>(t1, t3, 2, 3, 6, 7);
      const o = ofb + <usize>i * rowB;
      if (cols == m && nq == 4) {
        if (m == 4) {
          v128.store(o, r0);
          v128.store(o + planeB, r1);
          v128.store(o + 2 * planeB, r2);
          v128.store(o + 3 * planeB, r3);
        } else {
          v128.store64_lane(o, r0, 0); v128.store32_lane(o, r0, 2, 8);
          v128.store64_lane(o + planeB, r1, 0); v128.store32_lane(o + planeB, r1, 2, 8);
          v128.store64_lane(o + 2 * planeB, r2, 0); v128.store32_lane(o + 2 * planeB, r2, 2, 8);
          v128.store64_lane(o + 3 * planeB, r3, 0); v128.store32_lane(o + 3 * planeB, r3, 2, 8);
        }
      } else {
        for (let q = 0; q < nq; q++) {
          const r = q == 0 ? r0 : q == 1 ? r1 : q == 2 ? r2 : r3;
          const oq = o + <usize>q * planeB;
          store<f32>(oq, f32x4.extract_lane(r, 0));
          if (cols > 1) store<f32>(oq, f32x4.extract_lane(r, 1), 4);
          if (cols > 2) store<f32>(oq, f32x4.extract_lane(r, 2), 8);
          if (cols > 3) store<f32>(oq, f32x4.extract_lane(r, 3), 12);
        }
      }
    }
  }
}

@inline function out_panel_m(
  m: i32, f0: i32, nf: i32, t0: i32, tcount: i32, tx: i32, onr: i32, onc: i32, bias: usize, gamma: usize, beta: usize,
  hasBias: bool, hasGamma: bool, doRelu: bool, outS: usize,
): void {
  const planeB = <usize>(onr * onc) << 2, rowB = <usize>onc << 2;
  for (let l = 0; l < tcount; l++) {
    const t = t0 + l;
    const yy = t / tx, xx = t - yy * tx;
    const oy = m * yy, ox = m * xx;
    const ob = outS + <usize>oy * rowB + (<usize>ox << 2);
    out_tile_m(m, l, f0, nf, bias, gamma, beta, hasBias, hasGamma, doRelu, ob, planeB, rowB, min(m, onr - oy), min(m, onc - ox));
  }
}

// The polyphase F(m x m, 2x2) convolution (m = 4 or 3, a constant at each call): per sample the phase images, then
// per 4 tiles the input transform into a V panel, per 8 filters the P*P products and the output transform
@inline function s2k3_con_m(
  m: i32, x: usize, n: i32, k: i32, nr: i32, nc: i32, U: usize, nf: i32,
  bias: usize, gamma: usize, beta: usize, relu: i32, out: usize, scratch: usize,
): void {
  const P = m + 1, nxi = P * P;
  const onr = out_of(nr), onc = out_of(nc);
  const tx = (onc + m - 1) / m, ty = (onr + m - 1) / m;
  const tps = tx * ty;
  const kp = kpad(k), K = 4 * kp;
  const Hq = m * ty + 1, Wq = m * tx + 1;
  const xq = scratch;
  const Vb = xq + (<usize>(Hq * Wq * K) << 2);
  const xs = <usize>K << 4; // bytes per product of V ([K][4])
  const ub = <usize>K << 5; // bytes per product of an 8-filter block of U ([K][8])
  const pixB = <usize>K << 2;
  const inStride = <usize>(k * nr * nc) << 2;
  const outStride = <usize>(nf * onr * onc) << 2;
  const hasBias = bias != 0, hasGamma = gamma != 0, doRelu = relu != 0;
  for (let i = 0; i < P; i++) for (let j = 0; j < P; j++) store<i32>(ktab + (<usize>(i * P + j) << 2), active(P, i, j, kp));
  for (let s = 0; s < n; s++) {
    phase_sample(x + <usize>s * inStride, k, nr, nc, Hq, Wq, xq);
    const outS = out + <usize>s * outStride;
    for (let t0 = 0; t0 < tps; t0 += 4) {
      const tcount = min(4, tps - t0);
      // patch offsets of the 4 lanes (lanes past the last tile repeat it)
      let t = t0;
      let yy = t / tx, xx = t - yy * tx;
      const o0 = <usize>(m * yy * Wq + m * xx) * pixB;
      t = t0 + min(1, tcount - 1); yy = t / tx; xx = t - yy * tx;
      const o1 = <usize>(m * yy * Wq + m * xx) * pixB;
      t = t0 + min(2, tcount - 1); yy = t / tx; xx = t - yy * tx;
      const o2 = <usize>(m * yy * Wq + m * xx) * pixB;
      t = t0 + min(3, tcount - 1); yy = t / tx; xx = t - yy * tx;
      const o3 = <usize>(m * yy * Wq + m * xx) * pixB;
      if (m == 4) in_panel(xq, o0, o1, o2, o3, Wq, K, kp, Vb, xs);
      else in_panel3(xq, o0, o1, o2, o3, Wq, K, kp, Vb, xs);
      for (let f0 = 0; f0 < nf; f0 += 8) {
        const ua = U + <usize>(f0 >> 3) * nxi * ub;
        for (let xi = 0; xi < nxi; xi++) {
          mk4x8(Vb + <usize>xi * xs, ua + <usize>xi * ub, load<i32>(ktab + (<usize>xi << 2)), mt + (<usize>xi << 7));
        }
        if (hasBias && hasGamma && doRelu) out_panel_m(m, f0, nf, t0, tcount, tx, onr, onc, bias, gamma, beta, true, true, true, outS);
        else out_panel_m(m, f0, nf, t0, tcount, tx, onr, onc, bias, gamma, beta, hasBias, hasGamma, doRelu, outS);
      }
    }
  }
}

/**
 * dlib con_ with 3x3 filters, stride 2x2 and padding 0 (nr, nc >= 3), by polyphase + Winograd F(4x4, 2x2), with the
 * fused epilogue of con_affine_forward: out[s][f] = [relu](gamma[f] * (conv + bias[f]) + beta[f]) (bias/gamma 0 =
 * absent, beta read only with gamma; relu != 0 applies dlib's relu: v >= 0 ? v : 0).
 * x [n][k][nr][nc]; U = wino42s2_weights(filters, nf, k, U) (wino42s2_weights_floats(nf, k) floats);
 * out [n][nf][onr][onc] with onr = (nr - 3)/2 + 1, onc = (nc - 3)/2 + 1 (must not alias x, U or scratch);
 * scratch: wino42s2_scratch_floats(n, k, nr, nc, nf) floats, 16-byte aligned. All pointers are byte offsets, 0 = absent.
 */
export function wino42s2_con(
  x: usize, n: i32, k: i32, nr: i32, nc: i32, U: usize, nf: i32,
  bias: usize, gamma: usize, beta: usize, relu: i32, out: usize, scratch: usize,
): void {
  s2k3_con_m(4, x, n, k, nr, nc, U, nf, bias, gamma, beta, relu, out, scratch);
}

// ---------------------------------------------------------------------------------------------------------------------
// The same polyphase scheme with Winograd F(3x3, 2x2) (points 0, 1, -1, inf; 16 products per 3x3 output tile, 49
// multiply-adds per tile, filter and input channel with the zero phases skipped): for outputs such as 17x17 that
// 3x3 tiles cover with less waste than 4x4 ones (6x6 tiles of 3 = 18x18 vs 5x5 of 4 = 20x20).
//   G   (4x2) = [1 0; 1/2 1/2; 1/2 -1/2; 0 1]
//   B^T (4x4) = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 -1 0 1]
//   A^T (3x4) = [1 1 1 0; 0 1 -1 0; 0 1 1 1]
// Layouts as above with 16 products (xi = 4*row + col), column 3 px-major, row / column 3 using py / px = 0 only.

/** Floats of `wino32s2_weights`' output: 16 * ceil(nf/8)*8 * 4*ceil(k/4)*4. */
export function wino32s2_weights_floats(nf: i32, k: i32): i32 {
  return 16 * ((nf + 7) & ~7) * 4 * kpad(k);
}

/**
 * Weight transform for `wino32s2_con` (F(3x3,2x2)): 3x3 filters [nf][k][3][3] into dst (wino32s2_weights_floats(nf, k)
 * floats): U[b][xi][pos][r] = (G g'[8b + r][cc] G^T)[xi], xi = 4*row + col, pos = chan_pos(4, ...) (as wino42s2_weights).
 */
export function wino32s2_weights(filters: usize, nf: i32, k: i32, dst: usize): void {
  s2k3_weights_m(4, filters, nf, k, dst);
}

/** Scratch floats of `wino32s2_con` for n samples of k x nr x nc (nr, nc >= 3) and nf filters. */
export function wino32s2_scratch_floats(n: i32, k: i32, nr: i32, nc: i32, nf: i32): i32 {
  const K = 4 * kpad(k);
  const Hq = 3 * ((out_of(nr) + 2) / 3) + 1, Wq = 3 * ((out_of(nc) + 2) / 3) + 1;
  return Hq * Wq * K + 16 * K * 4 + 16;
}

@inline function bt4(d0: v128, d1: v128, d2: v128, d3: v128, q: usize, sq: usize): void {
  v128.store(q, f32x4.sub(d0, d2));
  v128.store(q + sq, f32x4.add(d1, d2));
  v128.store(q + 2 * sq, f32x4.sub(d2, d1));
  v128.store(q + 3 * sq, f32x4.sub(d3, d1));
}

@inline function at4(p: usize, st: usize, q: usize, sq: usize): void {
  const m0 = v128.load(p), m1 = v128.load(p + st), m2 = v128.load(p + 2 * st), m3 = v128.load(p + 3 * st);
  const s = f32x4.add(m1, m2);
  v128.store(q, f32x4.add(m0, s));
  v128.store(q + sq, f32x4.sub(m1, m2));
  v128.store(q + 2 * sq, f32x4.add(s, m3));
}

function in_panel3(xq: usize, o0: usize, o1: usize, o2: usize, o3: usize, Wq: i32, K: i32, kp: i32, dst: usize, xs: usize): void {
  in_panel_m(4, xq, o0, o1, o2, o3, Wq, K, kp, dst, xs);
}

/**
 * `wino42s2_con` with Winograd F(3x3, 2x2) (3x3 output tiles): same arguments and results (up to float rounding), with
 * U = wino32s2_weights(filters, nf, k, U) and scratch of wino32s2_scratch_floats(n, k, nr, nc, nf) floats.
 */
export function wino32s2_con(
  x: usize, n: i32, k: i32, nr: i32, nc: i32, U: usize, nf: i32,
  bias: usize, gamma: usize, beta: usize, relu: i32, out: usize, scratch: usize,
): void {
  s2k3_con_m(3, x, n, k, nr, nc, U, nf, bias, gamma, beta, relu, out, scratch);
}
