// Pooling kernels (dlib max_pool_ / avg_pool_, cpu semantics).
//
// Input x is [n][k][nr][nc] f32, output [n][k][onr][onc] with
//   onr = 1 + (nr + 2*pad_y - win_r) / stride_y,   onc = 1 + (nc + 2*pad_x - win_c) / stride_x.
// Output (r, c) looks at input rows r*stride_y - pad_y ... + win_r - 1 and columns
// c*stride_x - pad_x ... + win_c - 1, CLIPPED to the input. max_pool takes the max of the clipped
// window; avg_pool takes its mean: the sum in row-major order (f32) divided by the clipped count.
// win_r = win_c = 0 means "the whole plane" (avg_pool_everything); then padding must be 0.
// Requires 0 <= pad < win and win <= in + 2*pad (as dlib asserts); out must not alias x.

/** Output rows (or columns) of a pooling window: 1 + (n + 2*pad - win)/stride. */
export function pool_out_size(n: i32, win: i32, stride: i32, pad: i32): i32 {
  if (win == 0) return 1;
  return 1 + (n + 2 * pad - win) / stride;
}

// One output element the slow way: clipped window, row-major order, first element as the start
// value of max (so that NaN/-0 behave as dlib's max(), which compares with `>` from m(0,0)).
@inline function pool_one(
  src: usize, nc: i32, r0: i32, r1: i32, c0: i32, c1: i32, is_max: bool,
): f32 {
  let v: f32;
  if (is_max) {
    v = load<f32>(src + (<usize>(r0 * nc + c0) << 2));
    for (let y = r0; y < r1; y++) {
      const row = src + (<usize>(y * nc) << 2);
      for (let xx = c0; xx < c1; xx++) {
        const t = load<f32>(row + (<usize>xx << 2));
        if (t > v) v = t;
      }
    }
  } else {
    v = 0;
    for (let y = r0; y < r1; y++) {
      const row = src + (<usize>(y * nc) << 2);
      for (let xx = c0; xx < c1; xx++) v += load<f32>(row + (<usize>xx << 2));
    }
    v = v / <f32>((r1 - r0) * (c1 - c0));
  }
  return v;
}

// 4 consecutive input values at stride sx (1 or 2) starting at p
@inline function gather4(p: usize, sx: i32): v128 {
  if (sx == 1) return v128.load(p);
  return v128.shuffle<f32>(v128.load(p), v128.load(p, 16), 0, 2, 4, 6);
}

@inline function pool_plane(
  src: usize, nr: i32, nc: i32, dst: usize, onr: i32, onc: i32,
  wr: i32, wc: i32, sy: i32, sx: i32, py: i32, px: i32, is_max: bool,
): void {
  // SIMD groups of 4 output columns whose windows lie inside the row, with every vector load
  // (stride 2 reads 8 floats) inside the row too: c*sx - px >= 0 and (c+3)*sx - px + wc - 1 + (sx-1) < nc
  const ca = (px + sx - 1) / sx;
  const simd = sx == 1 || sx == 2;
  for (let r = 0; r < onr; r++) {
    const top = r * sy - py;
    const r0 = max(top, 0), r1 = min(top + wr, nr);
    const inv = <f32>((r1 - r0) * wc);
    const drow = dst + (<usize>(r * onc) << 2);
    let c = 0;
    for (; c < onc; c++) {
      if (simd && c >= ca && (c + 3) * sx - px + wc + sx - 2 < nc) break;
      const left = c * sx - px;
      store<f32>(drow + (<usize>c << 2), pool_one(src, nc, r0, r1, max(left, 0), min(left + wc, nc), is_max));
    }
    if (simd) {
      for (; c + 4 <= onc && (c + 3) * sx - px + wc + sx - 2 < nc; c += 4) {
        const base = src + (<usize>(c * sx - px) << 2);
        let v: v128;
        if (is_max) {
          v = gather4(base + (<usize>(r0 * nc) << 2), sx);
          for (let y = r0; y < r1; y++) {
            const row = base + (<usize>(y * nc) << 2);
            for (let xx = 0; xx < wc; xx++) v = f32x4.pmax(v, gather4(row + (<usize>xx << 2), sx));
          }
        } else {
          v = f32x4.splat(0);
          for (let y = r0; y < r1; y++) {
            const row = base + (<usize>(y * nc) << 2);
            for (let xx = 0; xx < wc; xx++) v = f32x4.add(v, gather4(row + (<usize>xx << 2), sx));
          }
          v = f32x4.div(v, f32x4.splat(inv));
        }
        v128.store(drow + (<usize>c << 2), v);
      }
    }
    for (; c < onc; c++) {
      const left = c * sx - px;
      store<f32>(drow + (<usize>c << 2), pool_one(src, nc, r0, r1, max(left, 0), min(left + wc, nc), is_max));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// max_pool 3x3, stride 2, no padding (the ResNet stems' pooling): each input row is split once into its even
// and odd columns, so that every window tap of 4 neighbouring outputs is one vector load (taps x = 0, 1, 2 of
// output column c are even[c], odd[c], even[c + 1]). The taps are still compared in row-major order from the
// window's first element, as pool_one does, so the results are the same bits (NaN and -0 included).

const MP_MAX_NC = 1024;
const MP_HALF = MP_MAX_NC / 2 + 8; // floats per even / odd half row (+ room for one vector past the end)
const mp_rows: usize = memory.data(3 * 2 * MP_HALF * 4, 16); // 3 input rows, each [even][odd]
const mp_tail: usize = memory.data(16, 16);

// split row p (nc floats) into even / odd halves at q (even) and q + MP_HALF*4 (odd)
@inline function mp_split(p: usize, nc: i32, q: usize): void {
  const qo = q + (<usize>MP_HALF << 2);
  let i = 0;
  for (; i + 8 <= nc; i += 8) {
    const a = v128.load(p + (<usize>i << 2)), b = v128.load(p + (<usize>i << 2), 16);
    v128.store(q + (<usize>i << 1), v128.shuffle<f32>(a, b, 0, 2, 4, 6));
    v128.store(qo + (<usize>i << 1), v128.shuffle<f32>(a, b, 1, 3, 5, 7));
  }
  for (; i < nc; i++) store<f32>((i & 1 ? qo : q) + (<usize>(i >> 1) << 2), load<f32>(p + (<usize>i << 2)));
}

function max_pool_3x3s2_plane(src: usize, nr: i32, nc: i32, dst: usize, onr: i32, onc: i32): void {
  const rowBytes = <usize>(2 * MP_HALF) << 2;
  const ob = <usize>MP_HALF << 2;
  // row y lives in slot y % 3
  mp_split(src, nc, mp_rows);
  for (let r = 0; r < onr; r++) {
    const y0 = 2 * r;
    mp_split(src + (<usize>((y0 + 1) * nc) << 2), nc, mp_rows + <usize>((y0 + 1) % 3) * rowBytes);
    mp_split(src + (<usize>((y0 + 2) * nc) << 2), nc, mp_rows + <usize>((y0 + 2) % 3) * rowBytes);
    const e0 = mp_rows + <usize>(y0 % 3) * rowBytes, e1 = mp_rows + <usize>((y0 + 1) % 3) * rowBytes, e2 = mp_rows + <usize>((y0 + 2) % 3) * rowBytes;
    const drow = dst + (<usize>(r * onc) << 2);
    for (let c = 0; c < onc; c += 4) {
      const o = <usize>c << 2;
      let v = v128.load(e0 + o);
      v = f32x4.pmax(v, v128.load(e0 + ob + o));
      v = f32x4.pmax(v, v128.load(e0 + o, 4));
      v = f32x4.pmax(v, v128.load(e1 + o));
      v = f32x4.pmax(v, v128.load(e1 + ob + o));
      v = f32x4.pmax(v, v128.load(e1 + o, 4));
      v = f32x4.pmax(v, v128.load(e2 + o));
      v = f32x4.pmax(v, v128.load(e2 + ob + o));
      v = f32x4.pmax(v, v128.load(e2 + o, 4));
      if (c + 4 <= onc) {
        v128.store(drow + o, v);
      } else {
        v128.store(mp_tail, v);
        for (let l = 0; l < onc - c; l++) store<f32>(drow + o + (<usize>l << 2), load<f32>(mp_tail + (<usize>l << 2)));
      }
    }
  }
}

// avg_pool 2x2, stride 2, no padding (ResNet res_down shortcuts): 4 outputs per step from two rows split into
// even / odd columns; sum from 0 in row-major window order, then / 4, as pool_one (same bits).
function avg_pool_2x2s2_plane(src: usize, nc: i32, dst: usize, onr: i32, onc: i32): void {
  const z = f32x4.splat(0), q = f32x4.splat(4);
  for (let r = 0; r < onr; r++) {
    const r0 = src + (<usize>(2 * r * nc) << 2), r1 = r0 + (<usize>nc << 2);
    const drow = dst + (<usize>(r * onc) << 2);
    let c = 0;
    for (; c + 4 <= onc; c += 4) {
      const o = <usize>c << 3;
      const a0 = v128.load(r0 + o), a1 = v128.load(r0 + o, 16), b0 = v128.load(r1 + o), b1 = v128.load(r1 + o, 16);
      let v = f32x4.add(z, v128.shuffle<f32>(a0, a1, 0, 2, 4, 6));
      v = f32x4.add(v, v128.shuffle<f32>(a0, a1, 1, 3, 5, 7));
      v = f32x4.add(v, v128.shuffle<f32>(b0, b1, 0, 2, 4, 6));
      v = f32x4.add(v, v128.shuffle<f32>(b0, b1, 1, 3, 5, 7));
      v128.store(drow + (<usize>c << 2), f32x4.div(v, q));
    }
    for (; c < onc; c++) {
      const o = <usize>c << 3;
      let v: f32 = 0;
      v += load<f32>(r0 + o);
      v += load<f32>(r0 + o, 4);
      v += load<f32>(r1 + o);
      v += load<f32>(r1 + o, 4);
      store<f32>(drow + (<usize>c << 2), v / 4);
    }
  }
}

function pool_all(
  x: usize, n: i32, k: i32, nr: i32, nc: i32,
  win_r: i32, win_c: i32, sy: i32, sx: i32, py: i32, px: i32, out: usize, is_max: bool,
): void {
  const wr = win_r == 0 ? nr : win_r;
  const wc = win_c == 0 ? nc : win_c;
  const onr = 1 + (nr + 2 * py - wr) / sy;
  const onc = 1 + (nc + 2 * px - wc) / sx;
  const ip = <usize>(nr * nc) << 2;
  const op = <usize>(onr * onc) << 2;
  const planes = n * k;
  if (!is_max && wr == 2 && wc == 2 && sy == 2 && sx == 2 && py == 0 && px == 0) {
    for (let i = 0; i < planes; i++) avg_pool_2x2s2_plane(x + <usize>i * ip, nc, out + <usize>i * op, onr, onc);
    return;
  }
  if (is_max && wr == 3 && wc == 3 && sy == 2 && sx == 2 && py == 0 && px == 0 && nc <= MP_MAX_NC) {
    for (let i = 0; i < planes; i++) max_pool_3x3s2_plane(x + <usize>i * ip, nr, nc, out + <usize>i * op, onr, onc);
    return;
  }
  for (let i = 0; i < planes; i++) {
    if (is_max) pool_plane(x + <usize>i * ip, nr, nc, out + <usize>i * op, onr, onc, wr, wc, sy, sx, py, px, true);
    else pool_plane(x + <usize>i * ip, nr, nc, out + <usize>i * op, onr, onc, wr, wc, sy, sx, py, px, false);
  }
}

/**
 * max_pool over every plane of x (see the file header for the contract): SIMD over 4 output columns inside the
 * row (3x3 stride-2 unpadded windows on split rows, see above), scalar with hoisted clipping at the edges.
 */
export function max_pool(
  x: usize, n: i32, k: i32, nr: i32, nc: i32,
  win_r: i32, win_c: i32, stride_y: i32, stride_x: i32, pad_y: i32, pad_x: i32, out: usize,
): void {
  pool_all(x, n, k, nr, nc, win_r, win_c, stride_y, stride_x, pad_y, pad_x, out, true);
}

/** avg_pool over every plane of x (mean of the clipped window; see the file header). */
export function avg_pool(
  x: usize, n: i32, k: i32, nr: i32, nc: i32,
  win_r: i32, win_c: i32, stride_y: i32, stride_x: i32, pad_y: i32, pad_x: i32, out: usize,
): void {
  pool_all(x, n, k, nr, nc, win_r, win_c, stride_y, stride_x, pad_y, pad_x, out, false);
}

/** avg_pool_everything: out[n][k] = mean of plane (n, k) (row-major f32 sum / (nr*nc)). */
export function avg_pool_everything(x: usize, n: i32, k: i32, nr: i32, nc: i32, out: usize): void {
  pool_all(x, n, k, nr, nc, nr, nc, 1, 1, 0, 0, out, false);
}

// Scalar oracle: per output element, test every window position against the input bounds.
function pool_ref(
  x: usize, n: i32, k: i32, nr: i32, nc: i32,
  win_r: i32, win_c: i32, sy: i32, sx: i32, py: i32, px: i32, out: usize, is_max: bool,
): void {
  const wr = win_r == 0 ? nr : win_r;
  const wc = win_c == 0 ? nc : win_c;
  const onr = 1 + (nr + 2 * py - wr) / sy;
  const onc = 1 + (nc + 2 * px - wc) / sx;
  for (let s = 0; s < n; s++) {
    for (let ch = 0; ch < k; ch++) {
      for (let r = 0; r < onr; r++) {
        for (let c = 0; c < onc; c++) {
          let v: f32 = 0;
          let cnt = 0;
          for (let y = 0; y < wr; y++) {
            for (let xx = 0; xx < wc; xx++) {
              const iy = r * sy - py + y, ix = c * sx - px + xx;
              if (iy < 0 || iy >= nr || ix < 0 || ix >= nc) continue;
              const val = load<f32>(x + ((<usize>(((s * k + ch) * nr + iy) * nc + ix)) << 2));
              if (is_max) { if (cnt == 0 || val > v) v = val; } else v += val;
              cnt++;
            }
          }
          if (!is_max) v = v / <f32>cnt;
          store<f32>(out + ((<usize>(((s * k + ch) * onr + r) * onc + c)) << 2), v);
        }
      }
    }
  }
}

export function max_pool_ref(
  x: usize, n: i32, k: i32, nr: i32, nc: i32,
  win_r: i32, win_c: i32, stride_y: i32, stride_x: i32, pad_y: i32, pad_x: i32, out: usize,
): void {
  pool_ref(x, n, k, nr, nc, win_r, win_c, stride_y, stride_x, pad_y, pad_x, out, true);
}

export function avg_pool_ref(
  x: usize, n: i32, k: i32, nr: i32, nc: i32,
  win_r: i32, win_c: i32, stride_y: i32, stride_x: i32, pad_y: i32, pad_x: i32, out: usize,
): void {
  pool_ref(x, n, k, nr, nc, win_r, win_c, stride_y, stride_x, pad_y, pad_x, out, false);
}

export function avg_pool_everything_ref(x: usize, n: i32, k: i32, nr: i32, nc: i32, out: usize): void {
  pool_ref(x, n, k, nr, nc, nr, nc, 1, 1, 0, 0, out, false);
}
