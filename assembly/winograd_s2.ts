// Stride-2 convolutions with 5x5..8x8 filters and no padding (the face ResNet's first layer, con<32,7,7,2,2>)
// by polyphase decomposition + Winograd F(3x3, 4x4).
//
// Polyphase: a stride-2 convolution of k channels with an f x f filter is a stride-1 convolution of the K = 4k
// "phase channels" P[c,py,px][i][j] = x[c][2i+py][2j+px] ((py, px) in {0,1}^2) with the 4x4 sub-filters
// g'[f][c,py,px][a][b] = g[f][c][2a+py][2b+px] (taps beyond the filter are 0; f <= 8 so ceil(f/2) <= 4):
//   out[oy][ox] = sum over (c, py, px), a, b < 4 of P[c,py,px][oy+a][ox+b] * g'[c,py,px][a][b].
// That 4x4 "valid" convolution runs as Winograd F(3x3, 4x4): each 3x3 output tile from the 6x6 phase-image patch
// at phase rows/cols (3ty.., 3tx..), 36 products per (filter, phase channel) instead of 144, with the
// interpolation points 0, 1, -1, 2, -2, inf of F(4x4,3x3) (winograd.ts):
//   G   (6x4) rows c_p [1, p, p^2, p^3], c_p = 1/4, -1/6, -1/6, 1/24, 1/24, and [0 0 0 1] for inf
//   B^T (6x6) = F(4x4,3x3)'s: [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]
//   A^T (3x6) = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 1]
//   U = G g' G^T (per filter, phase channel; `wino34s2_weights`, f64, rounded once), V = B^T d B (per tile and
//   phase channel), M[xi] = U[xi] V[xi] summed over the phase channels (36 small matrix products), Y = A^T M A,
//   then the conv epilogue (+bias, gamma*v + beta, relu) exactly as wino4_con's.
// Results differ from the direct convolution by float rounding only (the transforms reorder the sums;
// ~1e-6 of the sum of |products|).
//
// Data flow, one panel of 8 tiles at a time (tiles of all samples numbered t = (s*tilesY + ty)*tilesX + tx), its
// working set (V, one filter block's U, the products) in L1 for the face ResNet's stem (K = 12): the sample's input is first copied into scratch as its 4k
// zero-padded phase images (rows/cols beyond the input are 0), so that patch rows are contiguous; per tile row the
// vertical half of the input transform (B^T over the 6 phase rows, 4 columns at a time) is made once for all of
// its tiles; per panel the horizontal half writes V[36][K][8]; then per block of 4 filters a 4x8 register-blocked
// micro-kernel makes the 36 products [4][8] (mt), and the output transform + epilogue writes them to out.
// Products in row 5 / column 5 of the 6x6 transform skip the phase channels whose U is exactly 0 there (see
// `active`): with 7x7 filters 121 instead of 144 multiply-adds per (tile, filter, input channel).
import { epi, bt6, bt6v, bt6v5, mk4x8, lanes4 } from "./wino_common";

@inline function tiles3_of(n: i32): i32 {
  return (n + 2) / 3;
}

/** Output size of the unpadded stride-2 convolution of n pixels with an f-tap filter (n >= f). */
@inline function out_of(n: i32, f: i32): i32 {
  return ((n - f) >> 1) + 1;
}

const gtmp: usize = memory.data(16 * 8 + 24 * 8, 16); // g' (4x4 f64) and G g' (6x4 f64)

// the 6 rows of G v for a column v = (v0, v1, v2, v3) (f64), written at t, t + st, ... (bytes)
@inline function g_col(v0: f64, v1: f64, v2: f64, v3: f64, t: usize, st: usize): void {
  store<f64>(t, v0 / 4);
  store<f64>(t + st, -(v0 + v1 + v2 + v3) / 6);
  store<f64>(t + 2 * st, -(v0 - v1 + v2 - v3) / 6);
  store<f64>(t + 3 * st, (v0 + 2 * v1 + 4 * v2 + 8 * v3) / 24);
  store<f64>(t + 4 * st, (v0 - 2 * v1 + 4 * v2 - 8 * v3) / 24);
  store<f64>(t + 5 * st, v3);
}

// Phase channels are numbered phase-major, cc = ph*k + c with ph = 2py + px. The products of the last row
// (xi = 30..35) and column (xi = 5, 11, ..., 35) of the 6x6 transform only meet the phases whose sub-filters
// reach tap 3 (row 5 of G g' is g'[3][*]): with a 7-tap filter only py = 0 (px = 0), whose U values for the
// other phases are exact zeros. Those products skip them: in column 5 the channels are ordered with px major
// (position (2px + py)*k + c) so that the phases used always come first; `active` gives their count.

// phases (of 2) whose sub-filter has a tap 3 along an axis of fn taps
@inline function tap3_phases(fn: i32): i32 {
  return max(0, min(2, fn - 6));
}

// position of phase channel (ph, c) in the rows of U[xi] / V[xi] of column j
@inline function chan_pos(ph: i32, c: i32, k: i32, j: i32): i32 {
  return (j == 5 ? ((ph & 1) << 1) | (ph >> 1) : ph) * k + c;
}

// channels used by the product xi = 6i + j
@inline function active(i: i32, j: i32, k: i32, fnr: i32, fnc: i32): i32 {
  return k * (i == 5 ? tap3_phases(fnr) : 2) * (j == 5 ? tap3_phases(fnc) : 2);
}

/** Floats of `wino34s2_weights`' output: 36 * ceil(nf/4)*4 * 4k. */
export function wino34s2_weights_floats(nf: i32, k: i32): i32 {
  return 36 * ((nf + 3) & ~3) * 4 * k;
}

/**
 * Weight transform for `wino34s2_con`: filters in dlib's layout [nf][k][fnr][fnc], 5 <= fnr, fnc <= 8.
 * dst: wino34s2_weights_floats(nf, k) floats, in blocks of 4 filters (the micro-kernel's layout):
 * U[b][xi][pos][r] = (G g'[4b + r][cc] G^T)[xi] (0 for filters >= nf), xi = 6*row + col, pos = the position of phase
 * channel cc = (2py + px)*k + c in product xi (see chan_pos), the sub-filter g'[a][e] = filters[f][c][2a+py][2e+px]
 * (0 beyond the filter). Computed in f64, rounded once.
 */
export function wino34s2_weights(filters: usize, nf: i32, k: i32, fnr: i32, fnc: i32, dst: usize): void {
  const K = 4 * k;
  const total = wino34s2_weights_floats(nf, k);
  for (let i = 0; i < total; i++) store<f32>(dst + (<usize>i << 2), 0);
  const gp = gtmp, gg = gtmp + 128;
  for (let f = 0; f < nf; f++) {
    const blk = dst + (<usize>((f >> 2) * 36 * K * 4 + (f & 3)) << 2);
    for (let c = 0; c < k; c++) {
      const src = filters + (<usize>((f * k + c) * fnr * fnc) << 2);
      for (let ph = 0; ph < 4; ph++) {
        const py = ph >> 1, px = ph & 1;
        for (let a = 0; a < 4; a++) {
          for (let b = 0; b < 4; b++) {
            const y = 2 * a + py, xx = 2 * b + px;
            const v: f64 = y < fnr && xx < fnc ? <f64>load<f32>(src + (<usize>(y * fnc + xx) << 2)) : 0;
            store<f64>(gp + (<usize>(a * 4 + b) << 3), v);
          }
        }
        // G g' (6x4): column b of g' through G
        for (let b = 0; b < 4; b++) {
          const o = <usize>b << 3;
          g_col(load<f64>(gp + o), load<f64>(gp + 32 + o), load<f64>(gp + 64 + o), load<f64>(gp + 96 + o), gg + o, 32);
        }
        // each row of G g' through G (G g' G^T)
        for (let r = 0; r < 6; r++) {
          const row = gg + <usize>(r * 32);
          const v0 = load<f64>(row), v1 = load<f64>(row, 8), v2 = load<f64>(row, 16), v3 = load<f64>(row, 24);
          const u0 = v0 / 4, u1 = -(v0 + v1 + v2 + v3) / 6, u2 = -(v0 - v1 + v2 - v3) / 6;
          const u3 = (v0 + 2 * v1 + 4 * v2 + 8 * v3) / 24, u4 = (v0 - 2 * v1 + 4 * v2 - 8 * v3) / 24, u5 = v3;
          for (let s = 0; s < 6; s++) {
            const u = s == 0 ? u0 : s == 1 ? u1 : s == 2 ? u2 : s == 3 ? u3 : s == 4 ? u4 : u5;
            store<f32>(blk + (<usize>(((r * 6 + s) * K + chan_pos(ph, c, k, s)) * 4) << 2), <f32>u);
          }
        }
      }
    }
  }
}

// phase image geometry: Hq x Wq per phase channel, covering every tile's 6x6 patch
@inline function phase_h(nr: i32, fnr: i32): i32 {
  return 3 * tiles3_of(out_of(nr, fnr)) + 3;
}

// one tile row's phase rows through B^T (vertically): [4k][6][Wv], Wv = Wq rounded up to 4 (+ 16 floats of slack)
@inline function vt_stride(nc: i32, fnc: i32): i32 {
  return (phase_h(nc, fnc) + 3) & ~3;
}
@inline function vt_floats(k: i32, nc: i32, fnc: i32): i32 {
  return 4 * k * 6 * vt_stride(nc, fnc) + 16;
}

@inline function phase_floats(k: i32, nr: i32, nc: i32, fnr: i32, fnc: i32): i32 {
  return (4 * k * phase_h(nr, fnr) * phase_h(nc, fnc) + 16 + 3) & ~3;
}

/**
 * Scratch floats of `wino34s2_con` for n samples of k x nr x nc and nf filters of any size 5..8 x 5..8
 * (nr, nc >= the filter's sides).
 */
export function wino34s2_scratch_floats(n: i32, k: i32, nr: i32, nc: i32, nf: i32): i32 {
  // the phase images are largest for 5-tap filters
  return phase_floats(k, nr, nc, 5, 5) + 36 * 4 * k * 8 + 16 + vt_floats(k, nc, 5) + 64;
}

// the 4k phase images of one sample x [k][nr][nc] into xq [4k][Hq][Wq]: xq[(2py + px)*k + c][i][j] = x[c][2i+py][2j+px],
// 0 outside the input
function phase_sample(x: usize, k: i32, nr: i32, nc: i32, Hq: i32, Wq: i32, xq: usize): void {
  const rowB = <usize>Wq << 2;
  const phB = <usize>(Hq * Wq) << 2;
  const oddB = <usize>k * phB; // px = 1 after px = 0
  const z = f32x4.splat(0);
  for (let c = 0; c < k; c++) {
    for (let py = 0; py < 2; py++) {
      const d0base = xq + <usize>(2 * py * k + c) * phB;
      for (let i = 0; i < Hq; i++) {
        const d0 = d0base + <usize>i * rowB, d1 = d0 + oddB;
        const y = 2 * i + py;
        let j = 0;
        if (y < nr) {
          const src = x + (<usize>((c * nr + y) * nc) << 2);
          for (; j + 4 <= Wq && 2 * j + 8 <= nc; j += 4) {
            const a = v128.load(src + (<usize>j << 3)), b = v128.load(src + (<usize>j << 3), 16);
            v128.store(d0 + (<usize>j << 2), v128.shuffle<f32>(a, b, 0, 2, 4, 6));
            v128.store(d1 + (<usize>j << 2), v128.shuffle<f32>(a, b, 1, 3, 5, 7));
          }
          for (; j < Wq; j++) {
            const e = 2 * j;
            store<f32>(d0 + (<usize>j << 2), e < nc ? load<f32>(src + (<usize>e << 2)) : 0);
            store<f32>(d1 + (<usize>j << 2), e + 1 < nc ? load<f32>(src + (<usize>e << 2), 4) : 0);
          }
        } else {
          for (; j + 4 <= Wq; j += 4) {
            v128.store(d0 + (<usize>j << 2), z);
            v128.store(d1 + (<usize>j << 2), z);
          }
          for (; j < Wq; j++) {
            store<f32>(d0 + (<usize>j << 2), 0);
            store<f32>(d1 + (<usize>j << 2), 0);
          }
        }
      }
    }
  }
}

const t6: usize = memory.data(40 * 16, 16); // 6x6 vectors (input patches) or 3x6 + 3x3 (output)

// patch rows already through B^T at m [row i][col j'] (16 bytes each, 4 tiles = lanes): the columns through B^T,
// straight to V[xi = 6i' + j'] at d + xi*xs (channel row of columns 0..4), d5 + xi*xs (column 5)
@inline function tf_cols(m: usize, d: usize, d5: usize, xs: usize): void {
  bt6(m, 96, d, 6 * xs);
  bt6(m + 16, 96, d + xs, 6 * xs);
  bt6(m + 32, 96, d + 2 * xs, 6 * xs);
  bt6(m + 48, 96, d + 3 * xs, 6 * xs);
  bt6(m + 64, 96, d + 4 * xs, 6 * xs);
  bt6(m + 80, 96, d5 + 5 * xs, 6 * xs);
}

// column j of patch row r for 4 side-by-side tiles: r[j], r[3 + j], r[6 + j], r[9 + j]
@inline function col4(r: usize, j: usize): v128 {
  return v128.shuffle<f32>(v128.load(r + (j << 2)), v128.load(r + (j << 2), 24), 0, 3, 4, 7);
}

// V row (bytes) of phase channel cc in columns 0..4 and in column 5
@inline function vrow(cc: i32): usize {
  return <usize>cc << 5;
}
@inline function vrow5(cc: i32, k: i32): usize {
  const ph = cc / k;
  return <usize>chan_pos(ph, cc - ph * k, k, 5) << 5;
}

// the vertical half of the input transform for every tile of tile row yy: the 6 phase rows 3yy.. of each of the K
// phase channels (cb bytes apart in xq, rows wb bytes) through B^T, 4 columns at a time, into vt [K][6][Wv]
function vt_row(xq: usize, yy: i32, wb: usize, cb: usize, K: i32, Wv: i32, vt: usize): void {
  const vb = <usize>Wv << 2;
  let q = xq + <usize>(3 * yy) * wb;
  let d = vt;
  for (let cc = 0; cc < K; cc++) {
    for (let o: usize = 0; o < vb; o += 16) bt6(q + o, wb, d + o, vb);
    q += cb;
    d += vb * 6;
  }
}

// the horizontal half for 4 side-by-side tiles of that row (tile l's patch columns at r + 12 l bytes of each vt row):
// straight to V[xi = 6i + j] at dst + xi*xs, column 5 in its own channel order
function in_fast(r0: usize, vb: usize, k: i32, dst: usize, xs: usize): void {
  let r = r0;
  const xs6 = xs * 6;
  for (let ph = 0; ph < 4; ph++) {
    let d = dst + vrow(ph * k), d5 = dst + vrow(chan_pos(ph, 0, k, 5)) + xs * 5;
    for (let c = 0; c < k; c++) {
      for (let i = 0; i < 6; i++) {
        bt6v5(col4(r, 0), col4(r, 1), col4(r, 2), col4(r, 3), col4(r, 4), col4(r, 5), d + <usize>i * xs6, xs, d5 + <usize>i * xs6);
        r += vb;
      }
      d += 32;
      d5 += 32;
    }
  }
}

// input transform of 4 tiles of one sample whose patches start at o0..o3 (bytes from xq)
function in_lanes(xq: usize, o0: usize, o1: usize, o2: usize, o3: usize, wb: usize, cb: usize, k: i32, dst: usize, xs: usize): void {
  let q0 = xq + o0, q1 = xq + o1, q2 = xq + o2, q3 = xq + o3;
  const m = t6;
  for (let cc = 0; cc < 4 * k; cc++) {
    for (let i = 0; i < 6; i++) {
      const r = <usize>i * wb;
      for (let j = 0; j < 6; j++) {
        const e = r + (<usize>j << 2);
        v128.store(m + (<usize>(i * 6 + j) << 4), lanes4(q0, q1, q2, q3, e));
      }
      bt6(m + <usize>(i * 96), 16, m + <usize>(i * 96), 16);
    }
    tf_cols(m, dst + vrow(cc), dst + vrow5(cc, k), xs);
    q0 += cb; q1 += cb; q2 += cb; q3 += cb;
  }
}

// bounds-checked input transform of tiles tg..tg+3 (tiles >= T give zeros), read straight from x
function in_gather(x: usize, k: i32, nr: i32, nc: i32, tx: i32, tps: i32, tg: i32, T: i32, dst: usize, xs: usize): void {
  const plane = nr * nc;
  const m = t6;
  for (let cc = 0; cc < 4 * k; cc++) {
    const ph = cc / k, c = cc - ph * k;
    const py = ph >> 1, px = ph & 1;
    for (let l = 0; l < 4; l++) {
      const t = tg + l;
      let s = 0, iy0 = 0, ix0 = 0;
      const ok = t < T;
      if (ok) {
        s = t / tps;
        const loc = t - s * tps;
        const ty = loc / tx;
        iy0 = 6 * ty + py; // input row of patch row 0
        ix0 = 6 * (loc - ty * tx) + px;
      }
      const base = x + (<usize>((s * k + c) * plane) << 2);
      for (let i = 0; i < 6; i++) {
        for (let j = 0; j < 6; j++) {
          const iy = iy0 + 2 * i, ix = ix0 + 2 * j;
          let v: f32 = 0;
          if (ok && iy < nr && ix < nc) v = load<f32>(base + (<usize>(iy * nc + ix) << 2));
          store<f32>(m + (<usize>((i * 6 + j) * 4 + l) << 2), v);
        }
      }
    }
    for (let i = 0; i < 6; i++) bt6(m + <usize>(i * 96), 16, m + <usize>(i * 96), 16);
    tf_cols(m, dst + vrow(cc), dst + vrow5(cc, k), xs);
  }
}

// 1-d A^T transform of 6 vectors at p, p + st, ... into 3 vectors at q, q + sq, q + 2 sq
@inline function at6(p: usize, st: usize, q: usize, sq: usize): void {
  const m0 = v128.load(p), m1 = v128.load(p + st), m2 = v128.load(p + 2 * st);
  const m3 = v128.load(p + 3 * st), m4 = v128.load(p + 4 * st), m5 = v128.load(p + 5 * st);
  const a = f32x4.add(m1, m2), b = f32x4.sub(m1, m2), c = f32x4.add(m3, m4), e = f32x4.sub(m3, m4);
  v128.store(q, f32x4.add(f32x4.add(m0, a), c));
  v128.store(q + sq, f32x4.add(b, f32x4.mul(f32x4.splat(2), e)));
  v128.store(q + 2 * sq, f32x4.add(f32x4.add(a, f32x4.mul(f32x4.splat(4), c)), m5));
}

const mt: usize = memory.data(36 * 128, 16); // the 36 products of 4 filters x 8 tiles: [xi][filter][8]
const ktab: usize = memory.data(36 * 4, 16); // channels used per product
const ttab: usize = memory.data(8 * 8 + 16, 16); // per tile of a panel: output offset, rows/cols; per half: fast flag

// output transform + epilogue of the filters f0..f1-1 (< f0 + 4) of a panel, from their products at mt
@inline function out_block(
  f0: i32, f1: i32, tcount: i32, bias: usize, gamma: usize, beta: usize,
  hasBias: bool, hasGamma: bool, doRelu: bool, out: usize, plane: i32, onc: i32,
): void {
  const m = t6;
  for (let f = f0; f < f1; f++) {
    const fo = <usize>f << 2;
    const bv = hasBias ? v128.load32_splat(bias + fo) : f32x4.splat(0);
    const gv = hasGamma ? v128.load32_splat(gamma + fo) : f32x4.splat(0);
    const ev = hasGamma ? v128.load32_splat(beta + fo) : f32x4.splat(0);
    const fb = out + (<usize>(f * plane) << 2);
    for (let h = 0; h < 2; h++) {
      const q = h << 2;
      if (q >= tcount) break;
      const mp = mt + (<usize>(f - f0) << 5) + (<usize>h << 4);
      // columns: 6 rows (xi = 6i + j) -> 3, into t6[3][6]
      at6(mp, 768, m, 96);
      at6(mp + 128, 768, m + 16, 96);
      at6(mp + 256, 768, m + 32, 96);
      at6(mp + 384, 768, m + 48, 96);
      at6(mp + 512, 768, m + 64, 96);
      at6(mp + 640, 768, m + 80, 96);
      const te0 = ttab + (<usize>q << 3);
      if (load<i32>(ttab + 64 + <usize>q) != 0) {
        // rows straight to the output: row i of the 4 tiles is 12 consecutive floats, y[i][j] lane l -> 3l + j
        let orow = fb + <usize>load<i32>(te0);
        let mr = m;
        for (let i = 0; i < 3; i++) {
          const m0 = v128.load(mr), m1 = v128.load(mr, 16), m2 = v128.load(mr, 32);
          const m3 = v128.load(mr, 48), m4 = v128.load(mr, 64), m5 = v128.load(mr, 80);
          const ap = f32x4.add(m1, m2), bm = f32x4.sub(m1, m2), cp = f32x4.add(m3, m4), em = f32x4.sub(m3, m4);
          const y0 = epi(f32x4.add(f32x4.add(m0, ap), cp), bv, gv, ev, hasBias, hasGamma, doRelu);
          const y1 = epi(f32x4.add(bm, f32x4.mul(f32x4.splat(2), em)), bv, gv, ev, hasBias, hasGamma, doRelu);
          const y2 = epi(f32x4.add(f32x4.add(ap, f32x4.mul(f32x4.splat(4), cp)), m5), bv, gv, ev, hasBias, hasGamma, doRelu);
          const a = v128.shuffle<f32>(y0, y1, 0, 4, 1, 5); // y0l0 y1l0 y0l1 y1l1
          const b = v128.shuffle<f32>(y0, y1, 2, 6, 3, 7); // y0l2 y1l2 y0l3 y1l3
          const c = v128.shuffle<f32>(a, y2, 3, 5, 3, 5); // y1l1 y2l1 . .
          v128.store(orow, v128.shuffle<f32>(a, y2, 0, 1, 4, 2));
          v128.store(orow, v128.shuffle<f32>(c, b, 0, 1, 4, 5), 16);
          v128.store(orow, v128.shuffle<f32>(b, y2, 6, 2, 3, 7), 32);
          orow += <usize>onc << 2;
          mr += 96;
        }
        continue;
      }
      // rows -> t6 + 288 as [3][3]
      for (let i = 0; i < 3; i++) at6(m + <usize>(i * 96), 16, m + 288 + <usize>(i * 48), 16);
      for (let e = 0; e < 9; e++) {
        const p = m + 288 + (<usize>e << 4);
        v128.store(p, epi(v128.load(p), bv, gv, ev, hasBias, hasGamma, doRelu));
      }
      const lanes = min(4, tcount - q);
      for (let l = 0; l < lanes; l++) {
        const te = ttab + (<usize>(q + l) << 3);
        const o = fb + <usize>load<i32>(te);
        const fl = load<i32>(te, 4);
        const rows = fl >> 4, cols = fl & 15;
        const lo = m + 288 + (<usize>l << 2);
        for (let i = 0; i < rows; i++) {
          const orow = o + <usize>(i * onc) * 4;
          const src = lo + (<usize>(i * 3) << 4);
          for (let j = 0; j < cols; j++) store<f32>(orow + (<usize>j << 2), load<f32>(src + (<usize>j << 4)));
        }
      }
    }
  }
}

/**
 * dlib con_ with stride 2x2, padding 0 and fnr x fnc filters, 5 <= fnr, fnc <= 8 (nr >= fnr, nc >= fnc), by
 * polyphase + Winograd F(3x3, 4x4), with the fused epilogue of con_affine_forward:
 * out[s][f] = [relu](gamma[f] * (conv + bias[f]) + beta[f]) (bias/gamma 0 = absent, beta read only with gamma;
 * relu != 0 applies dlib's relu: v >= 0 ? v : 0).
 * x [n][k][nr][nc]; U = wino34s2_weights(filters, nf, k, fnr, fnc, U) (wino34s2_weights_floats(nf, k) floats);
 * out [n][nf][onr][onc] with onr = (nr - fnr)/2 + 1, onc = (nc - fnc)/2 + 1 (must not alias x, U or scratch);
 * scratch: wino34s2_scratch_floats(n, k, nr, nc, nf) floats. All pointers are byte offsets, 0 = absent.
 */
export function wino34s2_con(
  x: usize, n: i32, k: i32, nr: i32, nc: i32, U: usize, nf: i32, fnr: i32, fnc: i32,
  bias: usize, gamma: usize, beta: usize, relu: i32, out: usize, scratch: usize,
): void {
  const onr = out_of(nr, fnr), onc = out_of(nc, fnc);
  const tx = tiles3_of(onc), ty = tiles3_of(onr);
  const tps = tx * ty;
  const T = n * tps;
  const K = 4 * k;
  const Hq = phase_h(nr, fnr), Wq = phase_h(nc, fnc);
  const xq = scratch;
  const Vb = xq + (<usize>phase_floats(k, nr, nc, fnr, fnc) << 2);
  const vt = Vb + (<usize>(36 * K * 8 + 16) << 2);
  const Wv = vt_stride(nc, fnc);
  const vb = <usize>Wv << 2;
  const xs = <usize>K << 5; // bytes per product of the V panel ([K][8])
  const ub = <usize>K << 4; // bytes per product of a 4-filter block of U ([K][4])
  const wb = <usize>Wq << 2;
  const cb = <usize>(Hq * Wq) << 2;
  const inStride = <usize>(k * nr * nc) << 2;
  const plane = onr * onc;
  const hasBias = bias != 0, hasGamma = gamma != 0, doRelu = relu != 0;
  const m = t6;
  for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) store<i32>(ktab + (<usize>(i * 6 + j) << 2), active(i, j, k, fnr, fnc));
  let prepared = -1;
  let vtRow = -1; // tile row (s * ty + yy) whose vertical transform is in vt
  for (let t0 = 0; t0 < T; t0 += 8) {
    // 1. input transform of the panel's 8 tiles (2 x 4 lanes) into V[36][K][8]
    for (let h = 0; h < 2; h++) {
      const tg = t0 + 4 * h;
      const dst = Vb + (<usize>h << 4);
      const s = tg / tps;
      if (tg + 4 <= T && (tg + 3) / tps == s) {
        if (prepared != s) {
          phase_sample(x + <usize>s * inStride, k, nr, nc, Hq, Wq, xq);
          prepared = s;
        }
        const loc = tg - s * tps;
        let yy = loc / tx, xx = loc - yy * tx;
        const o0 = <usize>(3 * yy * Wq + 3 * xx) << 2;
        if (xx + 4 <= tx) {
          const row = s * ty + yy;
          if (vtRow != row) {
            vt_row(xq, yy, wb, cb, K, Wv, vt);
            vtRow = row;
          }
          in_fast(vt + (<usize>(3 * xx) << 2), vb, k, dst, xs);
          continue;
        }
        if (++xx == tx) { xx = 0; yy++; }
        const o1 = <usize>(3 * yy * Wq + 3 * xx) << 2;
        if (++xx == tx) { xx = 0; yy++; }
        const o2 = <usize>(3 * yy * Wq + 3 * xx) << 2;
        if (++xx == tx) { xx = 0; yy++; }
        const o3 = <usize>(3 * yy * Wq + 3 * xx) << 2;
        in_lanes(xq, o0, o1, o2, o3, wb, cb, k, dst, xs);
      } else {
        in_gather(x, k, nr, nc, tx, tps, tg, T, dst, xs);
      }
    }
    // where the panel's outputs go: per tile, the byte offset of its top-left output (filter 0) and how many of its
    // rows / cols exist; per 4 tiles, whether they are 4 whole tiles side by side (vector stores)
    const tcount = min(8, T - t0);
    for (let t = 0; t < tcount; t++) {
      const tt = t0 + t;
      const s = tt / tps;
      const loc = tt - s * tps;
      const yy = loc / tx, xx = loc - yy * tx;
      const py = 3 * yy, px = 3 * xx;
      store<i32>(ttab + (<usize>t << 3), (s * nf * plane + py * onc + px) << 2);
      store<i32>(ttab + (<usize>t << 3), (min(3, onr - py) << 4) | min(3, onc - px), 4);
      if ((t & 3) == 0) {
        const fast = t + 4 <= tcount && xx + 4 <= tx && py + 3 <= onr && 3 * (xx + 3) + 3 <= onc;
        store<i32>(ttab + 64 + (<usize>t), fast ? 1 : 0);
      }
    }
    // 2. per block of 4 filters: the 36 products, then the output transform + epilogue of each filter
    for (let f0 = 0; f0 < nf; f0 += 4) {
      const ua = U + <usize>(f0 >> 2) * 36 * ub;
      for (let xi = 0; xi < 36; xi++) {
        mk4x8(ua + <usize>xi * ub, Vb + <usize>xi * xs, load<i32>(ktab + (<usize>xi << 2)), mt + (<usize>xi << 7));
      }
      const f1 = min(nf, f0 + 4);
      // (the usual epilogue, bias + affine + relu, without its tests in the loops)
      if (hasBias && hasGamma && doRelu) out_block(f0, f1, tcount, bias, gamma, beta, true, true, true, out, plane, onc);
      else out_block(f0, f1, tcount, bias, gamma, beta, hasBias, hasGamma, doRelu, out, plane, onc);
    }
  }
}
