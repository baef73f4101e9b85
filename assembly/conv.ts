// con_ forward (dlib cpu semantics): cross-correlation (no kernel flip) with zero padding.
//
//   x        [n][k][nr][nc]                input
//   filters  [nf][k][fnr][fnc]             dlib's filter layout
//   out      [n][nf][onr][onc]             onr = (nr + 2*pad_y - fnr)/stride_y + 1, same for columns
//   out[s][f][r][c] = sum_{ch,y,xx} filters[f][ch][y][xx] * x[s][ch][r*stride_y - pad_y + y][c*stride_x - pad_x + xx]
//                     (input taps outside the image count as 0)
// followed by the fused epilogue of `gemm` (+bias[f], then gamma[f]*v + beta[f], then relu).
//
// Fast path: per sample, im2col into `scratch` (directly in gemm_packed's column-panel layout, except
// for P = onr*onc < 8 or 9..11 output pixels: a plain [k*fnr*fnc][P] matrix), then the SIMD gemm with
// the filters as A. A 1x1 convolution with stride 1 and no padding skips im2col (scratch may be 0).
// Scratch size: con_scratch_floats(...) floats. out must not alias x, filters or scratch.
import { gemm, gemm_packed } from "./gemm";
import { madd } from "./simd";

/** Output rows (or columns) of a convolution: (n + 2*pad - f)/stride + 1. */
export function con_out_size(n: i32, f: i32, stride: i32, pad: i32): i32 {
  return (n + 2 * pad - f) / stride + 1;
}

/** Floats of scratch `con_forward` needs for one call (0 when im2col is skipped). */
export function con_scratch_floats(
  k: i32, nr: i32, nc: i32, fnr: i32, fnc: i32, stride_y: i32, stride_x: i32, pad_y: i32, pad_x: i32,
): i32 {
  if (fnr == 1 && fnc == 1 && stride_y == 1 && stride_x == 1 && pad_y == 0 && pad_x == 0) return 0;
  const onr = con_out_size(nr, fnr, stride_y, pad_y);
  const onc = con_out_size(nc, fnc, stride_x, pad_x);
  const P = onr * onc;
  const Kd = k * fnr * fnc;
  if (P < 8 || (P > 8 && P < 12)) return Kd * P;
  return con_chunk_panels(Kd, (P + 7) >> 3) * 8 * Kd + im2col_packed_work_floats(k, nr, nc, fnr, fnc, stride_y, stride_x, pad_y, pad_x);
}

/** Panels of 8 output pixels packed per im2col chunk: min(panels, max(4, 6144/Kd)). */
@inline function con_chunk_panels(Kd: i32, panels: i32): i32 {
  return min(panels, max(4, 6144 / Kd));
}

@inline function zero_floats(d: usize, len: i32): void {
  let i = 0;
  const z = f32x4.splat(0);
  for (; i + 4 <= len; i += 4) v128.store(d + (<usize>i << 2), z);
  for (; i < len; i++) store<f32>(d + (<usize>i << 2), 0);
}

@inline function copy_floats(d: usize, s: usize, len: i32): void {
  let i = 0;
  for (; i + 4 <= len; i += 4) v128.store(d + (<usize>i << 2), v128.load(s + (<usize>i << 2)));
  for (; i < len; i++) store<f32>(d + (<usize>i << 2), load<f32>(s + (<usize>i << 2)));
}

// One im2col row: for filter tap (y, xx) of the input plane `plane` [nr][nc], write for every output
// pixel p = r*onc + c the value plane[r*sy - py + y][c*sx - px + xx] (0 outside) to d[p].
@inline function im2col_row(
  plane: usize, nr: i32, nc: i32, y: i32, xx: i32, sy: i32, sx: i32, py: i32, px: i32,
  onr: i32, onc: i32, dst: usize,
): void {
  // output columns c whose tap column c*sx + off lies in [0, nc)
  const off = xx - px;
  let c0 = off >= 0 ? 0 : (-off + sx - 1) / sx;
  let c1 = nc - 1 - off >= 0 ? (nc - 1 - off) / sx + 1 : 0;
  if (c1 > onc) c1 = onc;
  if (c0 > c1) c0 = c1;
  let d = dst;
  for (let r = 0; r < onr; r++) {
    const iy = r * sy - py + y;
    if (iy < 0 || iy >= nr) {
      zero_floats(d, onc);
    } else {
      const row = plane + (<usize>(iy * nc) << 2);
      if (c0 > 0) zero_floats(d, c0);
      if (sx == 1) {
        copy_floats(d + (<usize>c0 << 2), row + (<usize>(c0 + off) << 2), c1 - c0);
      } else if (sx == 2) {
        let c = c0;
        // 4 outputs from 8 consecutive inputs; the last input read, 2*(c+3)+off+1, must be < nc
        for (; c + 4 <= c1 && 2 * c + off + 7 < nc; c += 4) {
          const s = row + (<usize>(2 * c + off) << 2);
          v128.store(d + (<usize>c << 2), v128.shuffle<f32>(v128.load(s), v128.load(s, 16), 0, 2, 4, 6));
        }
        for (; c < c1; c++) store<f32>(d + (<usize>c << 2), load<f32>(row + (<usize>(2 * c + off) << 2)));
      } else {
        let s = row + (<usize>(c0 * sx + off) << 2);
        const step = <usize>sx << 2;
        for (let c = c0; c < c1; c++) {
          store<f32>(d + (<usize>c << 2), load<f32>(s));
          s += step;
        }
      }
      if (c1 < onc) zero_floats(d + (<usize>c1 << 2), onc - c1);
    }
    d += <usize>onc << 2;
  }
}

/**
 * im2col of ONE sample x [k][nr][nc] into dst [k*fnr*fnc][onr*onc]: row (ch, y, xx) holds, for every
 * output pixel p = r*onc + c, the input tap x[ch][r*sy - py + y][c*sx - px + xx] or 0 outside.
 */
export function im2col(
  x: usize, k: i32, nr: i32, nc: i32, fnr: i32, fnc: i32, sy: i32, sx: i32, py: i32, px: i32, dst: usize,
): void {
  const onr = con_out_size(nr, fnr, sy, py);
  const onc = con_out_size(nc, fnc, sx, px);
  const rowBytes = <usize>(onr * onc) << 2;
  let d = dst;
  for (let ch = 0; ch < k; ch++) {
    const plane = x + (<usize>(ch * nr * nc) << 2);
    for (let y = 0; y < fnr; y++) {
      for (let xx = 0; xx < fnc; xx++) {
        im2col_row(plane, nr, nc, y, xx, sy, sx, py, px, onr, onc, d);
        d += rowBytes;
      }
    }
  }
}

// Working space of im2col_packed, in floats: a zero-padded copy of the sample with slack before and
// after (the vector loads of edge panels may reach past the planes) and a table of Kd tap offsets.
@inline function pad_lead(sx: i32): i32 { return 8 * sx + 8; }

/** Floats of the `work` buffer of im2col_packed. */
export function im2col_packed_work_floats(
  k: i32, nr: i32, nc: i32, fnr: i32, fnc: i32, sy: i32, sx: i32, py: i32, px: i32,
): i32 {
  const Hp = nr + 2 * py, Wp = nc + 2 * px;
  const tail = sy * Wp + 8 * sx + fnc + 48;
  return ((pad_lead(sx) + k * Hp * Wp + tail + 3) & ~3) + k * fnr * fnc;
}

const lane_base: usize = memory.data(32, 16); // 8 i32 per-lane input offsets (general gather)

/**
 * im2col of ONE sample straight into the packed panel layout of `gemm_packed`: dst holds
 * ceil(P/8) panels of [Kd][8] floats (P = onr*onc, Kd = k*fnr*fnc); panel j, row kd = (ch, y, xx)
 * holds the taps of output pixels 8j..8j+7. Lanes of the last panel beyond P hold unspecified
 * finite values (gemm_packed never stores them). work: im2col_packed_work_floats(...) floats.
 */
export function im2col_packed(
  x: usize, k: i32, nr: i32, nc: i32, fnr: i32, fnc: i32, sy: i32, sx: i32, py: i32, px: i32,
  dst: usize, work: usize,
): void {
  const onr = con_out_size(nr, fnr, sy, py);
  const onc = con_out_size(nc, fnc, sx, px);
  im2col_packed_prepare(x, k, nr, nc, fnr, fnc, sy, sx, py, px, work);
  im2col_packed_panels(k, nr, nc, fnr, fnc, sy, sx, py, px, work, 0, (onr * onc + 7) >> 3, dst);
}

// Step 1 of im2col_packed: the zero-padded copy of the sample and the table of tap offsets in `work`.
function im2col_packed_prepare(
  x: usize, k: i32, nr: i32, nc: i32, fnr: i32, fnc: i32, sy: i32, sx: i32, py: i32, px: i32, work: usize,
): void {
  const Hp = nr + 2 * py, Wp = nc + 2 * px;
  const HW = Hp * Wp;
  const lead = pad_lead(sx);
  const tail = sy * Wp + 8 * sx + fnc + 48;
  const padFloats = (lead + k * HW + tail + 3) & ~3;
  // 1. zero-padded copy: xp[ch][iy + py][ix + px] = x[ch][iy][ix]
  const xp = work + (<usize>lead << 2); // float index 0 of the padded planes
  zero_floats(work, lead);
  for (let ch = 0; ch < k; ch++) {
    const pl = xp + (<usize>(ch * HW) << 2);
    zero_floats(pl, py * Wp);
    for (let iy = 0; iy < nr; iy++) {
      const d = pl + (<usize>((iy + py) * Wp) << 2);
      zero_floats(d, px);
      copy_floats(d + (<usize>px << 2), x + (<usize>((ch * nr + iy) * nc) << 2), nc);
      zero_floats(d + (<usize>(px + nc) << 2), px);
    }
    zero_floats(pl + (<usize>((py + nr) * Wp) << 2), py * Wp);
  }
  zero_floats(xp + (<usize>(k * HW) << 2), padFloats - lead - k * HW);
  // 2. tap offsets (bytes) of every kd row relative to a pixel's top-left tap
  const tab = work + (<usize>padFloats << 2);
  let t = tab;
  for (let ch = 0; ch < k; ch++) {
    for (let y = 0; y < fnr; y++) {
      for (let xx = 0; xx < fnc; xx++) {
        store<i32>(t, (ch * HW + y * Wp + xx) << 2);
        t += 4;
      }
    }
  }
}

// Step 2 of im2col_packed: write panels j0 .. j1-1 to dst (dst = panel j0). Each row of a panel is
// two vector loads from the padded copy (bit-blending two loads when the 8 pixels straddle two
// output rows), or a per-lane gather for strides > 2 / rows narrower than 8 pixels.
function im2col_packed_panels(
  k: i32, nr: i32, nc: i32, fnr: i32, fnc: i32, sy: i32, sx: i32, py: i32, px: i32,
  work: usize, j0: i32, j1: i32, dst: usize,
): void {
  const onr = con_out_size(nr, fnr, sy, py);
  const onc = con_out_size(nc, fnc, sx, px);
  const P = onr * onc;
  const Kd = k * fnr * fnc;
  const Hp = nr + 2 * py, Wp = nc + 2 * px;
  const lead = pad_lead(sx);
  const tail = sy * Wp + 8 * sx + fnc + 48;
  const padFloats = (lead + k * Hp * Wp + tail + 3) & ~3;
  const xp = work + (<usize>lead << 2);
  const tab = work + (<usize>padFloats << 2);
  let t = tab;
  const tabEnd = tab + (<usize>Kd << 2);
  const vec = (sx == 1 || sx == 2) && onc >= 8;
  const iota = i32x4(0, 1, 2, 3);
  const four = i32x4.splat(4);
  let d = dst;
  for (let j = j0; j < j1; j++) {
    const p0 = j << 3;
    const r = p0 / onc, c = p0 - r * onc;
    const s = onc - c; // lanes still in row r (>= 8: the panel stays in one row)
    const a0 = xp + (<usize>(r * sy * Wp + c * sx) << 2);
    if (vec && s >= 8) {
      if (sx == 1) {
        for (t = tab; t < tabEnd; t += 4) {
          const q = a0 + <usize>load<i32>(t);
          v128.store(d, v128.load(q));
          v128.store(d, v128.load(q, 16), 16);
          d += 32;
        }
      } else {
        for (t = tab; t < tabEnd; t += 4) {
          const q = a0 + <usize>load<i32>(t);
          v128.store(d, v128.shuffle<f32>(v128.load(q), v128.load(q, 16), 0, 2, 4, 6));
          v128.store(d, v128.shuffle<f32>(v128.load(q, 32), v128.load(q, 48), 0, 2, 4, 6), 16);
          d += 32;
        }
      }
    } else if (vec) {
      // lanes < s from row r, lanes >= s from row r + 1 (lane s = column 0)
      const b0 = xp + (<usize>((r + 1) * sy * Wp) << 2) - (<usize>(s * sx) << 2);
      const sv = i32x4.splat(s);
      const m0 = i32x4.lt_s(iota, sv), m1 = i32x4.lt_s(i32x4.add(iota, four), sv);
      if (sx == 1) {
        for (t = tab; t < tabEnd; t += 4) {
          const o = <usize>load<i32>(t);
          const qa = a0 + o, qb = b0 + o;
          v128.store(d, v128.bitselect(v128.load(qa), v128.load(qb), m0));
          v128.store(d, v128.bitselect(v128.load(qa, 16), v128.load(qb, 16), m1), 16);
          d += 32;
        }
      } else {
        for (t = tab; t < tabEnd; t += 4) {
          const o = <usize>load<i32>(t);
          const qa = a0 + o, qb = b0 + o;
          const va0 = v128.shuffle<f32>(v128.load(qa), v128.load(qa, 16), 0, 2, 4, 6);
          const va1 = v128.shuffle<f32>(v128.load(qa, 32), v128.load(qa, 48), 0, 2, 4, 6);
          const vb0 = v128.shuffle<f32>(v128.load(qb), v128.load(qb, 16), 0, 2, 4, 6);
          const vb1 = v128.shuffle<f32>(v128.load(qb, 32), v128.load(qb, 48), 0, 2, 4, 6);
          v128.store(d, v128.bitselect(va0, vb0, m0));
          v128.store(d, v128.bitselect(va1, vb1, m1), 16);
          d += 32;
        }
      }
    } else {
      // general gather: per-lane offsets (lanes beyond P read the first padded element)
      for (let l = 0; l < 8; l++) {
        const p = p0 + l;
        let o = 0;
        if (p < P) {
          const rr = p / onc, cc = p - rr * onc;
          o = (rr * sy * Wp + cc * sx) << 2;
        }
        store<i32>(lane_base + (<usize>l << 2), o);
      }
      for (t = tab; t < tabEnd; t += 4) {
        const q = xp + <usize>load<i32>(t);
        for (let l = 0; l < 8; l++) {
          store<f32>(d + (<usize>l << 2), load<f32>(q + <usize>load<i32>(lane_base + (<usize>l << 2))));
        }
        d += 32;
      }
    }
  }
}

// 32 grid pixels of the implicit path: acc[0..32) (+)= sum over taps t0..t1 of w * xp[base + tab].
// Deliberately not inlined (two call sites, a loop): as a small function of its own V8 keeps the
// eight accumulators in registers; inlined into the caller's loop nest it ran at half the speed.
function implicit_block(base: usize, t0: usize, t1: usize, w0: usize, ap: usize, add: bool): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  let c4 = f32x4.splat(0), c5 = f32x4.splat(0), c6 = f32x4.splat(0), c7 = f32x4.splat(0);
  if (add) {
    c0 = v128.load(ap); c1 = v128.load(ap, 16); c2 = v128.load(ap, 32); c3 = v128.load(ap, 48);
    c4 = v128.load(ap, 64); c5 = v128.load(ap, 80); c6 = v128.load(ap, 96); c7 = v128.load(ap, 112);
  }
  let pw = w0;
  for (let t = t0; t < t1; t += 4) {
    const av = v128.load32_splat(pw);
    const q = base + <usize>load<i32>(t);
    c0 = madd(av, v128.load(q), c0);
    c1 = madd(av, v128.load(q, 16), c1);
    c2 = madd(av, v128.load(q, 32), c2);
    c3 = madd(av, v128.load(q, 48), c3);
    c4 = madd(av, v128.load(q, 64), c4);
    c5 = madd(av, v128.load(q, 80), c5);
    c6 = madd(av, v128.load(q, 96), c6);
    c7 = madd(av, v128.load(q, 112), c7);
    pw += 4;
  }
  v128.store(ap, c0); v128.store(ap, c1, 16); v128.store(ap, c2, 32); v128.store(ap, c3, 48);
  v128.store(ap, c4, 64); v128.store(ap, c5, 80); v128.store(ap, c6, 96); v128.store(ap, c7, 112);
}

// Stride-1 convolution with fewer than 4 filters: packing costs as much as the products here, so
// read the zero-padded copy directly. Output pixels are walked on the padded grid (rows of Wp
// columns; the last fnc-1 of each row are not outputs: computed, not stored), 32 at a time with 8
// accumulators; tap kd adds w[m][kd] * xp[q + tab[kd]]. Taps are taken one input channel at a time
// over all pixels (partial sums kept in `acc`, G + 32 floats) so the channel's plane stays in L1;
// each output still sums its taps in increasing kd order.
function con_implicit_small_m(
  xp: usize, tab: usize, k: i32, taps: i32, filters: usize, nf: i32, onr: i32, onc: i32, Wp: i32,
  out: usize, acc: usize, bias: usize, gamma: usize, beta: usize, relu: i32,
): void {
  const doRelu = relu != 0;
  const G = (onr - 1) * Wp + onc; // grid positions up to the last output pixel
  const Kd = k * taps;
  const P = onr * onc;
  for (let m = 0; m < nf; m++) {
    for (let ch = 0; ch < k; ch++) {
      const t0 = tab + (<usize>(ch * taps) << 2);
      const t1 = t0 + (<usize>taps << 2);
      const w0 = filters + (<usize>(m * Kd + ch * taps) << 2);
      for (let q0 = 0; q0 < G; q0 += 32) {
        const ap = acc + (<usize>q0 << 2);
        const base = xp + (<usize>q0 << 2);
        if (ch == 0) implicit_block(base, t0, t1, w0, ap, false);
        else implicit_block(base, t0, t1, w0, ap, true);
      }
    }
    const orow = out + (<usize>(m * P) << 2);
    const mo = <usize>m << 2;
    for (let r = 0; r < onr; r++) {
      for (let c = 0; c < onc; c++) {
        let v = load<f32>(acc + (<usize>(r * Wp + c) << 2));
        if (bias) v = v + load<f32>(bias + mo);
        if (gamma) v = load<f32>(gamma + mo) * v + load<f32>(beta + mo);
        if (doRelu) v = v >= 0 ? v : 0;
        store<f32>(orow + (<usize>(r * onc + c) << 2), v);
      }
    }
  }
}

function con_fast(
  x: usize, n: i32, k: i32, nr: i32, nc: i32,
  filters: usize, nf: i32, fnr: i32, fnc: i32, sy: i32, sx: i32, py: i32, px: i32,
  bias: usize, gamma: usize, beta: usize, relu: i32, out: usize, scratch: usize,
): void {
  const onr = con_out_size(nr, fnr, sy, py);
  const onc = con_out_size(nc, fnc, sx, px);
  const P = onr * onc;
  const Kd = k * fnr * fnc;
  const direct = fnr == 1 && fnc == 1 && sy == 1 && sx == 1 && py == 0 && px == 0;
  const inStride = <usize>(k * nr * nc) << 2;
  const outStride = <usize>(nf * P) << 2;
  for (let s = 0; s < n; s++) {
    const xs = x + <usize>s * inStride;
    const os = out + <usize>s * outStride;
    if (direct) {
      gemm(nf, P, Kd, filters, Kd, xs, P, os, P, bias, gamma, beta, relu);
    } else if (P < 8 || (P > 8 && P < 12)) {
      // few pixels: plain im2col; the 1-3 leftover columns use the k-vectorized tail kernel
      im2col(xs, k, nr, nc, fnr, fnc, sy, sx, py, px, scratch);
      gemm(nf, P, Kd, filters, Kd, scratch, P, os, P, bias, gamma, beta, relu);
    } else {
      const chunkFloats = con_chunk_panels(Kd, (P + 7) >> 3) * 8 * Kd;
      const Wp = nc + 2 * px;
      if (nf < 4 && sy == 1 && sx == 1 && (onr - 1) * Wp + onc + 32 <= chunkFloats) {
        // few filters: no packing (the chunk area holds the partial sums)
        const work = scratch + (<usize>chunkFloats << 2);
        im2col_packed_prepare(xs, k, nr, nc, fnr, fnc, sy, sx, py, px, work);
        const padFloats = (pad_lead(sx) + k * (nr + 2 * py) * Wp + sy * Wp + 8 * sx + fnc + 48 + 3) & ~3;
        con_implicit_small_m(
          work + (<usize>pad_lead(sx) << 2), work + (<usize>padFloats << 2), k, fnr * fnc, filters, nf, onr, onc, Wp,
          os, scratch, bias, gamma, beta, relu,
        );
        continue;
      }
      // im2col in chunks of panels (about 192 KiB, so they are still in L2 when the gemm reads them)
      const panels = (P + 7) >> 3;
      const chunk = con_chunk_panels(Kd, panels);
      const work = scratch + (<usize>(chunk * 8 * Kd) << 2);
      im2col_packed_prepare(xs, k, nr, nc, fnr, fnc, sy, sx, py, px, work);
      for (let j0 = 0; j0 < panels; j0 += chunk) {
        const j1 = min(panels, j0 + chunk);
        im2col_packed_panels(k, nr, nc, fnr, fnc, sy, sx, py, px, work, j0, j1, scratch);
        gemm_packed(nf, min(P, j1 << 3) - (j0 << 3), Kd, filters, Kd, scratch, os + (<usize>j0 << 5), P, bias, gamma, beta, relu);
      }
    }
  }
}

/**
 * con_ forward, fast path. bias: nf floats or 0 (none). scratch: con_scratch_floats(...) floats
 * (may be 0 when that is 0). Result = the f32 sum over (ch, y, xx) in that order, + bias.
 */
export function con_forward(
  x: usize, n: i32, k: i32, nr: i32, nc: i32,
  filters: usize, nf: i32, fnr: i32, fnc: i32, stride_y: i32, stride_x: i32, pad_y: i32, pad_x: i32,
  bias: usize, out: usize, scratch: usize,
): void {
  con_fast(x, n, k, nr, nc, filters, nf, fnr, fnc, stride_y, stride_x, pad_y, pad_x, bias, 0, 0, 0, out, scratch);
}

/**
 * con_ + affine_ (+ relu_) fused: out = [relu](gamma[f] * (conv + bias[f]) + beta[f]).
 * gamma/beta: nf floats (gamma 0 = no affine). relu != 0 applies max(0, .). Same scratch as con_forward.
 */
export function con_affine_forward(
  x: usize, n: i32, k: i32, nr: i32, nc: i32,
  filters: usize, nf: i32, fnr: i32, fnc: i32, stride_y: i32, stride_x: i32, pad_y: i32, pad_x: i32,
  bias: usize, gamma: usize, beta: usize, relu: i32, out: usize, scratch: usize,
): void {
  con_fast(x, n, k, nr, nc, filters, nf, fnr, fnc, stride_y, stride_x, pad_y, pad_x, bias, gamma, beta, relu, out, scratch);
}

/** Scalar oracle of con_affine_forward: direct nested loops with bounds checks, f32 sums. */
export function con_affine_forward_ref(
  x: usize, n: i32, k: i32, nr: i32, nc: i32,
  filters: usize, nf: i32, fnr: i32, fnc: i32, sy: i32, sx: i32, py: i32, px: i32,
  bias: usize, gamma: usize, beta: usize, relu: i32, out: usize,
): void {
  const onr = con_out_size(nr, fnr, sy, py);
  const onc = con_out_size(nc, fnc, sx, px);
  for (let s = 0; s < n; s++) {
    for (let f = 0; f < nf; f++) {
      for (let r = 0; r < onr; r++) {
        for (let c = 0; c < onc; c++) {
          let acc: f32 = 0;
          for (let ch = 0; ch < k; ch++) {
            for (let y = 0; y < fnr; y++) {
              for (let xx = 0; xx < fnc; xx++) {
                const iy = r * sy - py + y, ix = c * sx - px + xx;
                let v: f32 = 0;
                if (iy >= 0 && iy < nr && ix >= 0 && ix < nc) v = load<f32>(x + ((<usize>(((s * k + ch) * nr + iy) * nc + ix)) << 2));
                acc += load<f32>(filters + ((<usize>(((f * k + ch) * fnr + y) * fnc + xx)) << 2)) * v;
              }
            }
          }
          const fo = <usize>f << 2;
          if (bias) acc = acc + load<f32>(bias + fo);
          if (gamma) acc = load<f32>(gamma + fo) * acc + load<f32>(beta + fo);
          if (relu != 0 && !(acc >= 0)) acc = 0;
          store<f32>(out + ((<usize>(((s * nf + f) * onr + r) * onc + c)) << 2), acc);
        }
      }
    }
  }
}

/** Scalar oracle of con_forward. */
export function con_forward_ref(
  x: usize, n: i32, k: i32, nr: i32, nc: i32,
  filters: usize, nf: i32, fnr: i32, fnc: i32, stride_y: i32, stride_x: i32, pad_y: i32, pad_x: i32,
  bias: usize, out: usize,
): void {
  con_affine_forward_ref(x, n, k, nr, nc, filters, nf, fnr, fnc, stride_y, stride_x, pad_y, pad_x, bias, 0, 0, 0, out);
}
