// Single-precision matrix products used by con_ and fc_.
//
// gemm: C[M][N] = A[M][K] * B[K][N], all row-major with leading dimensions (in floats) lda, ldb, ldc,
// followed by a per-row epilogue (row m = output channel of a convolution):
//   v = acc;  if (bias)  v = v + bias[m];  if (gamma) v = gamma[m]*v + beta[m];  if (relu) v = v >= 0 ? v : 0
// (relu exactly as dlib's lowerbound: NaN gives 0, -0 stays -0)
// (bias/gamma are pointers, 0 = absent; beta is read only when gamma != 0). This is the order dlib
// applies con_ (+bias), affine_ and relu_ in, each rounded to f32.
// The sum over K is accumulated in f32 registers (in increasing k order, except the single-column
// kernels: the tail kernel keeps 4 interleaved partial sums, the matrix-vector kernel (N = 1) 16).
// C must not alias A or B. No allocation, no scratch.
// The relaxed-SIMD build multiplies and adds with relaxed_madd (see simd.ts): possibly fused, so its sums may
// differ from the plain build's in the last bits.
import { madd } from "./simd";

// ---------------------------------------------------------------------------------------------
// epilogue helpers

@inline function epi4(v: v128, m: i32, bias: usize, gamma: usize, beta: usize, relu: bool): v128 {
  const mo = <usize>m << 2;
  if (bias) v = f32x4.add(v, v128.load32_splat(bias + mo));
  if (gamma) v = f32x4.add(f32x4.mul(v128.load32_splat(gamma + mo), v), v128.load32_splat(beta + mo));
  if (relu) v = v128.and(v, f32x4.ge(v, f32x4.splat(0)));
  return v;
}

@inline function epi1(v: f32, m: i32, bias: usize, gamma: usize, beta: usize, relu: bool): f32 {
  const mo = <usize>m << 2;
  if (bias) v = v + load<f32>(bias + mo);
  if (gamma) v = load<f32>(gamma + mo) * v + load<f32>(beta + mo);
  if (relu) v = v >= 0 ? v : 0;
  return v;
}

// ---------------------------------------------------------------------------------------------
// micro-kernels. a points at A[m][0], b at B[0][n], c at C[m][n]; lda/ldb/ldc in BYTES.

// 4 rows x 8 columns of a row-major B (row stride ldb bytes): pk4x8 stepping ldb through B (8 accumulators fit
// the 16 xmm registers of x64 V8 without spilling)
@inline function mk4x8(
  a: usize, lda: usize, b: usize, ldb: usize, K: i32, c: usize, ldc: usize,
  m: i32, bias: usize, gamma: usize, beta: usize, relu: bool,
): void {
  pk4x8(a, lda, b, K, c, ldc, 8, m, bias, gamma, beta, relu, 4, ldb);
}

// 4 rows x 4 columns of a row-major B: pk4x4 stepping ldb through B
@inline function mk4x4(
  a: usize, lda: usize, b: usize, ldb: usize, K: i32, c: usize, ldc: usize,
  m: i32, bias: usize, gamma: usize, beta: usize, relu: bool,
): void {
  pk4x4(a, lda, b, K, c, ldc, 4, m, bias, gamma, beta, relu, 4, ldb);
}

// 1 row x 8 columns of a row-major B: pk1x8 stepping ldb through B
@inline function mk1x8(
  a: usize, b: usize, ldb: usize, K: i32, c: usize,
  m: i32, bias: usize, gamma: usize, beta: usize, relu: bool,
): void {
  pk1x8(a, b, K, c, 8, m, bias, gamma, beta, relu, ldb);
}

// 1 row x 4 columns
@inline function mk1x4(
  a: usize, b: usize, ldb: usize, K: i32, c: usize,
  m: i32, bias: usize, gamma: usize, beta: usize, relu: bool,
): void {
  let c0 = f32x4.splat(0);
  let pa = a, pb = b;
  const end = a + (<usize>K << 2);
  while (pa < end) {
    c0 = madd(v128.load32_splat(pa), v128.load(pb), c0);
    pa += 4;
    pb += ldb;
  }
  v128.store(c, epi4(c0, m, bias, gamma, beta, relu));
}

// 4 rows x 1 column: vectorized along k (4 consecutive k of each A row against 4 B values)
@inline function mk4x1(
  a: usize, lda: usize, b: usize, ldb: usize, K: i32, c: usize, ldc: usize,
  m: i32, bias: usize, gamma: usize, beta: usize, relu: bool,
): void {
  let v0 = f32x4.splat(0), v1 = f32x4.splat(0), v2 = f32x4.splat(0), v3 = f32x4.splat(0);
  const lda2 = lda << 1, lda3 = lda * 3;
  let pa = a, pb = b;
  const end4 = a + (<usize>(K & ~3) << 2);
  while (pa < end4) {
    let bv: v128;
    if (ldb == 4) {
      bv = v128.load(pb);
    } else {
      bv = v128.load32_zero(pb);
      bv = v128.load32_lane(pb + ldb, bv, 1);
      bv = v128.load32_lane(pb + (ldb << 1), bv, 2);
      bv = v128.load32_lane(pb + ldb * 3, bv, 3);
    }
    v0 = madd(v128.load(pa), bv, v0);
    v1 = madd(v128.load(pa + lda), bv, v1);
    v2 = madd(v128.load(pa + lda2), bv, v2);
    v3 = madd(v128.load(pa + lda3), bv, v3);
    pa += 16;
    pb += ldb << 2;
  }
  let s0 = hsum(v0), s1 = hsum(v1), s2 = hsum(v2), s3 = hsum(v3);
  const end = a + (<usize>K << 2);
  while (pa < end) {
    const bs = load<f32>(pb);
    s0 += load<f32>(pa) * bs;
    s1 += load<f32>(pa + lda) * bs;
    s2 += load<f32>(pa + lda2) * bs;
    s3 += load<f32>(pa + lda3) * bs;
    pa += 4;
    pb += ldb;
  }
  store<f32>(c, epi1(s0, m, bias, gamma, beta, relu));
  store<f32>(c + ldc, epi1(s1, m + 1, bias, gamma, beta, relu));
  store<f32>(c + (ldc << 1), epi1(s2, m + 2, bias, gamma, beta, relu));
  store<f32>(c + ldc * 3, epi1(s3, m + 3, bias, gamma, beta, relu));
}

// 1 row x 1 column, vectorized along k with 4 vector accumulators (16 consecutive k per step): for a
// matrix-vector product (N = 1) the rows are read one after the other, one sequential stream over A (four
// rows side by side, as mk4x1 reads them, were four streams; the weights of such layers come from memory)
@inline function mv1(
  a: usize, b: usize, ldb: usize, K: i32, c: usize,
  m: i32, bias: usize, gamma: usize, beta: usize, relu: bool,
): void {
  let v0 = f32x4.splat(0), v1 = f32x4.splat(0), v2 = f32x4.splat(0), v3 = f32x4.splat(0);
  let pa = a, pb = b;
  const end16 = a + (<usize>(K & ~15) << 2);
  if (ldb == 4) {
    while (pa < end16) {
      v0 = madd(v128.load(pa), v128.load(pb), v0);
      v1 = madd(v128.load(pa, 16), v128.load(pb, 16), v1);
      v2 = madd(v128.load(pa, 32), v128.load(pb, 32), v2);
      v3 = madd(v128.load(pa, 48), v128.load(pb, 48), v3);
      pa += 64;
      pb += 64;
    }
  }
  let s = hsum(f32x4.add(f32x4.add(v0, v1), f32x4.add(v2, v3)));
  const end = a + (<usize>K << 2);
  while (pa < end) {
    s += load<f32>(pa) * load<f32>(pb);
    pa += 4;
    pb += ldb;
  }
  store<f32>(c, epi1(s, m, bias, gamma, beta, relu));
}

@inline function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

@inline function mk1x1(
  a: usize, b: usize, ldb: usize, K: i32, c: usize,
  m: i32, bias: usize, gamma: usize, beta: usize, relu: bool,
): void {
  let s: f32 = 0;
  let pa = a, pb = b;
  const end = a + (<usize>K << 2);
  while (pa < end) {
    s += load<f32>(pa) * load<f32>(pb);
    pa += 4;
    pb += ldb;
  }
  store<f32>(c, epi1(s, m, bias, gamma, beta, relu));
}

// ---------------------------------------------------------------------------------------------

/** Columns of B processed per cache block: keeps a K x NB slice of B around 128 KiB (L2-resident). */
@inline function column_block(K: i32): i32 {
  let nb = (32768 / max(K, 1)) & ~7;
  if (nb < 16) nb = 16;
  return nb;
}

/**
 * C = A*B with the row epilogue described in the file header. M, N, K >= 0; lda >= K, ldb >= N,
 * ldc >= N (in floats). relu != 0 enables the relu. Pointers need no particular alignment.
 */
export function gemm(
  M: i32, N: i32, K: i32,
  A: usize, lda: i32, B: usize, ldb: i32, C: usize, ldc: i32,
  bias: usize, gamma: usize, beta: usize, relu: i32,
): void {
  const doRelu = relu != 0;
  const la = <usize>lda << 2, lb = <usize>ldb << 2, lc = <usize>ldc << 2;
  if (N == 1) {
    for (let m = 0; m < M; m++) mv1(A + <usize>m * la, B, lb, K, C + <usize>m * lc, m, bias, gamma, beta, doRelu);
    return;
  }
  const NB = column_block(K);
  for (let n0 = 0; n0 < N; n0 += NB) {
    const n1 = min(N, n0 + NB);
    let m = 0;
    for (; m + 4 <= M; m += 4) {
      const a = A + <usize>m * la;
      const crow = C + <usize>m * lc;
      let n = n0;
      for (; n + 8 <= n1; n += 8) mk4x8(a, la, B + (<usize>n << 2), lb, K, crow + (<usize>n << 2), lc, m, bias, gamma, beta, doRelu);
      if (n + 4 <= n1) {
        mk4x4(a, la, B + (<usize>n << 2), lb, K, crow + (<usize>n << 2), lc, m, bias, gamma, beta, doRelu);
        n += 4;
      }
      for (; n < n1; n++) mk4x1(a, la, B + (<usize>n << 2), lb, K, crow + (<usize>n << 2), lc, m, bias, gamma, beta, doRelu);
    }
    for (; m < M; m++) {
      const a = A + <usize>m * la;
      const crow = C + <usize>m * lc;
      let n = n0;
      for (; n + 8 <= n1; n += 8) mk1x8(a, B + (<usize>n << 2), lb, K, crow + (<usize>n << 2), m, bias, gamma, beta, doRelu);
      if (n + 4 <= n1) {
        mk1x4(a, B + (<usize>n << 2), lb, K, crow + (<usize>n << 2), m, bias, gamma, beta, doRelu);
        n += 4;
      }
      for (; n < n1; n++) mk1x1(a, B + (<usize>n << 2), lb, K, crow + (<usize>n << 2), m, bias, gamma, beta, doRelu);
    }
  }
}

/** Scalar oracle of `gemm`: triple loop, f32 accumulation in increasing k order. */
export function gemm_ref(
  M: i32, N: i32, K: i32,
  A: usize, lda: i32, B: usize, ldb: i32, C: usize, ldc: i32,
  bias: usize, gamma: usize, beta: usize, relu: i32,
): void {
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s: f32 = 0;
      for (let k = 0; k < K; k++) {
        s += load<f32>(A + ((<usize>m * <usize>lda + <usize>k) << 2)) * load<f32>(B + ((<usize>k * <usize>ldb + <usize>n) << 2));
      }
      store<f32>(C + ((<usize>m * <usize>ldc + <usize>n) << 2), epi1(s, m, bias, gamma, beta, relu != 0));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// gemm with B pre-packed in column panels: Bp holds ceil(N/8) panels, panel j = [K][8] floats with
// Bp[j][k][l] = B[k][8j + l] (columns >= N zero). The panels are read sequentially, which keeps the
// hardware prefetchers busy and avoids B's large row stride. `im2col_packed` (conv.ts) produces it.

/** Floats of a packed B for a K x N matrix: ceil(N/8)*8*K. */
export function gemm_packed_b_floats(K: i32, N: i32): i32 {
  return ((N + 7) >> 3) * 8 * K;
}

const tail_tmp: usize = memory.data(128, 16);

// astep: bytes between consecutive k of one A row (4: row-major A; 16: A packed as [k][4 rows], lda = 4); bstep: bytes
// between consecutive k of B (32: a packed panel; a row-major B's row stride)
@inline export function pk4x8(
  a: usize, lda: usize, b: usize, K: i32, c: usize, ldc: usize, w: i32,
  m: i32, bias: usize, gamma: usize, beta: usize, relu: bool, astep: usize = 4, bstep: usize = 32,
): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  const lda2 = lda << 1, lda3 = lda * 3;
  let pa = a, pb = b;
  const end = a + <usize>K * astep;
  if (lda == 4) {
    // packed A (a constant here once inlined): the rows as load offsets, which the engine folds into the
    // addressing (an address sum is computed apart, with 32-bit wrap-around)
    while (pa < end) {
      const b0 = v128.load(pb);
      const b1 = v128.load(pb, 16);
      let av = v128.load32_splat(pa);
      c00 = madd(av, b0, c00);
      c01 = madd(av, b1, c01);
      av = v128.load32_splat(pa, 4);
      c10 = madd(av, b0, c10);
      c11 = madd(av, b1, c11);
      av = v128.load32_splat(pa, 8);
      c20 = madd(av, b0, c20);
      c21 = madd(av, b1, c21);
      av = v128.load32_splat(pa, 12);
      c30 = madd(av, b0, c30);
      c31 = madd(av, b1, c31);
      pa += astep;
      pb += bstep;
    }
  } else {
    while (pa < end) {
      const b0 = v128.load(pb);
      const b1 = v128.load(pb, 16);
      let av = v128.load32_splat(pa);
      c00 = madd(av, b0, c00);
      c01 = madd(av, b1, c01);
      av = v128.load32_splat(pa + lda);
      c10 = madd(av, b0, c10);
      c11 = madd(av, b1, c11);
      av = v128.load32_splat(pa + lda2);
      c20 = madd(av, b0, c20);
      c21 = madd(av, b1, c21);
      av = v128.load32_splat(pa + lda3);
      c30 = madd(av, b0, c30);
      c31 = madd(av, b1, c31);
      pa += astep;
      pb += bstep;
    }
  }
  if (w == 8) {
    v128.store(c, epi4(c00, m, bias, gamma, beta, relu));
    v128.store(c, epi4(c01, m, bias, gamma, beta, relu), 16);
    v128.store(c + ldc, epi4(c10, m + 1, bias, gamma, beta, relu));
    v128.store(c + ldc, epi4(c11, m + 1, bias, gamma, beta, relu), 16);
    v128.store(c + (ldc << 1), epi4(c20, m + 2, bias, gamma, beta, relu));
    v128.store(c + (ldc << 1), epi4(c21, m + 2, bias, gamma, beta, relu), 16);
    v128.store(c + ldc * 3, epi4(c30, m + 3, bias, gamma, beta, relu));
    v128.store(c + ldc * 3, epi4(c31, m + 3, bias, gamma, beta, relu), 16);
  } else {
    const t = tail_tmp;
    v128.store(t, epi4(c00, m, bias, gamma, beta, relu));
    v128.store(t, epi4(c01, m, bias, gamma, beta, relu), 16);
    v128.store(t, epi4(c10, m + 1, bias, gamma, beta, relu), 32);
    v128.store(t, epi4(c11, m + 1, bias, gamma, beta, relu), 48);
    v128.store(t, epi4(c20, m + 2, bias, gamma, beta, relu), 64);
    v128.store(t, epi4(c21, m + 2, bias, gamma, beta, relu), 80);
    v128.store(t, epi4(c30, m + 3, bias, gamma, beta, relu), 96);
    v128.store(t, epi4(c31, m + 3, bias, gamma, beta, relu), 112);
    for (let r = 0; r < 4; r++) {
      const src = t + (<usize>r << 5);
      const dst = c + <usize>r * ldc;
      for (let l = 0; l < w; l++) store<f32>(dst + (<usize>l << 2), load<f32>(src + (<usize>l << 2)));
    }
  }
}

@inline function pk1x8(
  a: usize, b: usize, K: i32, c: usize, w: i32,
  m: i32, bias: usize, gamma: usize, beta: usize, relu: bool, bstep: usize = 32,
): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0);
  let pa = a, pb = b;
  const end = a + (<usize>K << 2);
  while (pa < end) {
    const av = v128.load32_splat(pa);
    c0 = madd(av, v128.load(pb), c0);
    c1 = madd(av, v128.load(pb, 16), c1);
    pa += 4;
    pb += bstep;
  }
  c0 = epi4(c0, m, bias, gamma, beta, relu);
  c1 = epi4(c1, m, bias, gamma, beta, relu);
  if (w == 8) {
    v128.store(c, c0);
    v128.store(c, c1, 16);
  } else {
    const t = tail_tmp;
    v128.store(t, c0);
    v128.store(t, c1, 16);
    for (let l = 0; l < w; l++) store<f32>(c + (<usize>l << 2), load<f32>(t + (<usize>l << 2)));
  }
}

// 4 rows x (w <= 4) columns of a packed panel: only the first 4 lanes of each k are used
@inline function pk4x4(
  a: usize, lda: usize, b: usize, K: i32, c: usize, ldc: usize, w: i32,
  m: i32, bias: usize, gamma: usize, beta: usize, relu: bool, astep: usize = 4, bstep: usize = 32,
): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  const lda2 = lda << 1, lda3 = lda * 3;
  let pa = a, pb = b;
  const end = a + <usize>K * astep;
  while (pa < end) {
    const b0 = v128.load(pb);
    c0 = madd(v128.load32_splat(pa), b0, c0);
    c1 = madd(v128.load32_splat(pa + lda), b0, c1);
    c2 = madd(v128.load32_splat(pa + lda2), b0, c2);
    c3 = madd(v128.load32_splat(pa + lda3), b0, c3);
    pa += astep;
    pb += bstep;
  }
  if (w == 4) {
    v128.store(c, epi4(c0, m, bias, gamma, beta, relu));
    v128.store(c + ldc, epi4(c1, m + 1, bias, gamma, beta, relu));
    v128.store(c + (ldc << 1), epi4(c2, m + 2, bias, gamma, beta, relu));
    v128.store(c + ldc * 3, epi4(c3, m + 3, bias, gamma, beta, relu));
    return;
  }
  const t = tail_tmp;
  v128.store(t, epi4(c0, m, bias, gamma, beta, relu));
  v128.store(t, epi4(c1, m + 1, bias, gamma, beta, relu), 16);
  v128.store(t, epi4(c2, m + 2, bias, gamma, beta, relu), 32);
  v128.store(t, epi4(c3, m + 3, bias, gamma, beta, relu), 48);
  for (let r = 0; r < 4; r++) {
    const src = t + (<usize>r << 4);
    const dst = c + <usize>r * ldc;
    for (let l = 0; l < w; l++) store<f32>(dst + (<usize>l << 2), load<f32>(src + (<usize>l << 2)));
  }
}

// 1 row x 4 full panels (32 columns): 8 independent accumulators, so a lone row (nf % 4 leftovers,
// or a single-filter layer such as mmod's final 9x9 con) is not limited by the add latency
@inline function pk1x32(
  a: usize, b: usize, K: i32, c: usize, panelBytes: usize,
  m: i32, bias: usize, gamma: usize, beta: usize, relu: bool,
): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  let c4 = f32x4.splat(0), c5 = f32x4.splat(0), c6 = f32x4.splat(0), c7 = f32x4.splat(0);
  let pa = a, pb = b;
  const p2 = panelBytes << 1, p3 = panelBytes * 3;
  const end = a + (<usize>K << 2);
  while (pa < end) {
    const av = v128.load32_splat(pa);
    c0 = madd(av, v128.load(pb), c0);
    c1 = madd(av, v128.load(pb, 16), c1);
    c2 = madd(av, v128.load(pb + panelBytes), c2);
    c3 = madd(av, v128.load(pb + panelBytes, 16), c3);
    c4 = madd(av, v128.load(pb + p2), c4);
    c5 = madd(av, v128.load(pb + p2, 16), c5);
    c6 = madd(av, v128.load(pb + p3), c6);
    c7 = madd(av, v128.load(pb + p3, 16), c7);
    pa += 4;
    pb += 32;
  }
  v128.store(c, epi4(c0, m, bias, gamma, beta, relu));
  v128.store(c, epi4(c1, m, bias, gamma, beta, relu), 16);
  v128.store(c, epi4(c2, m, bias, gamma, beta, relu), 32);
  v128.store(c, epi4(c3, m, bias, gamma, beta, relu), 48);
  v128.store(c, epi4(c4, m, bias, gamma, beta, relu), 64);
  v128.store(c, epi4(c5, m, bias, gamma, beta, relu), 80);
  v128.store(c, epi4(c6, m, bias, gamma, beta, relu), 96);
  v128.store(c, epi4(c7, m, bias, gamma, beta, relu), 112);
}

/**
 * C = A*Bp with Bp packed as described above (see gemm_packed_b_floats) and the same row epilogue
 * as `gemm`. lda, ldc in floats; C must not alias A or Bp.
 */
export function gemm_packed(
  M: i32, N: i32, K: i32,
  A: usize, lda: i32, Bp: usize, C: usize, ldc: i32,
  bias: usize, gamma: usize, beta: usize, relu: i32,
): void {
  const doRelu = relu != 0;
  const la = <usize>lda << 2, lc = <usize>ldc << 2;
  const panels = (N + 7) >> 3;
  const panelBytes = <usize>K << 5;
  // panels per cache block: about 160 KiB of B stays in L2 while every 4-row block of A passes over it
  let PB = 5120 / max(K, 1);
  if (PB < 1) PB = 1;
  for (let j0 = 0; j0 < panels; j0 += PB) {
    const j1 = min(panels, j0 + PB);
    let m = 0;
    for (; m + 4 <= M; m += 4) {
      const a = A + <usize>m * la;
      const crow = C + <usize>m * lc;
      for (let j = j0; j < j1; j++) {
        const w = min(8, N - (j << 3));
        if (w <= 4) pk4x4(a, la, Bp + <usize>j * panelBytes, K, crow + (<usize>j << 5), lc, w, m, bias, gamma, beta, doRelu);
        else pk4x8(a, la, Bp + <usize>j * panelBytes, K, crow + (<usize>j << 5), lc, w, m, bias, gamma, beta, doRelu);
      }
    }
    for (; m < M; m++) {
      const a = A + <usize>m * la;
      const crow = C + <usize>m * lc;
      let j = j0;
      for (; j + 4 <= j1 && (j + 4) << 3 <= N; j += 4) {
        pk1x32(a, Bp + <usize>j * panelBytes, K, crow + (<usize>j << 5), panelBytes, m, bias, gamma, beta, doRelu);
      }
      for (; j < j1; j++) {
        const w = min(8, N - (j << 3));
        pk1x8(a, Bp + <usize>j * panelBytes, K, crow + (<usize>j << 5), w, m, bias, gamma, beta, doRelu);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// gemm_packed with A pre-packed too, so that the micro-kernels read A as one sequential stream (the weights of
// batch-1 layers come from memory, not cache: short per-row streams were not prefetched well, and neither were
// two streams read side by side). Rows in blocks of R = 8 when M is a multiple of 8, else R = 4 (M a multiple
// of 4): block b = [K][R] floats, Ap[b][k][r] = A[R*b + r][k].

/** Rows per block of a packed A with M rows: 8 when M % 8 == 0, else 4. */
@inline export function gemm_pack_rows(M: i32): i32 {
  return (M & 7) == 0 ? 8 : 4;
}

/** Pack A [M][K] (row stride lda floats, M a multiple of 4) into dst as blocks of [K][R], R = gemm_pack_rows(M). */
export function gemm_pack_a(A: usize, M: i32, K: i32, lda: i32, dst: usize): void {
  const R = gemm_pack_rows(M);
  const la = <usize>lda << 2;
  for (let b = 0; b < M; b += R) {
    for (let h = 0; h < R; h += 4) {
      const r0 = A + (<usize>((b + h) * lda) << 2);
      let d = dst + (<usize>(b * K + h) << 2);
      for (let k = 0; k < K; k++) {
        const o = <usize>k << 2;
        let v = v128.load32_zero(r0 + o);
        v = v128.load32_lane(r0 + la + o, v, 1);
        v = v128.load32_lane(r0 + 2 * la + o, v, 2);
        v = v128.load32_lane(r0 + 3 * la + o, v, 3);
        v128.store(d, v);
        d += <usize>R << 2;
      }
    }
  }
}

// 8 rows (one 8-row packed A block) x (w <= 4) columns. Vectors run along the rows: per k the two A vectors
// times each of the 4 B values broadcast, 8 accumulators (4 rows x 1 column would chain each accumulator's adds
// back to back, bound by the add latency at 2/3 of the multiply rate on the N = 4 products of 4x4 planes).
// Each output is still the f32 sum over k in increasing order, so the results equal pk4x4's bit for bit.
@inline function pk8x4t(
  a: usize, b: usize, K: i32, c: usize, ldc: usize, w: i32,
  m: i32, bias: usize, gamma: usize, beta: usize, relu: bool,
): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  let d0 = f32x4.splat(0), d1 = f32x4.splat(0), d2 = f32x4.splat(0), d3 = f32x4.splat(0);
  let pa = a, pb = b;
  const end = a + (<usize>K << 5);
  while (pa < end) {
    const x = v128.load(pa), y = v128.load(pa, 16);
    let bv = v128.load32_splat(pb);
    c0 = madd(x, bv, c0);
    d0 = madd(y, bv, d0);
    bv = v128.load32_splat(pb, 4);
    c1 = madd(x, bv, c1);
    d1 = madd(y, bv, d1);
    bv = v128.load32_splat(pb, 8);
    c2 = madd(x, bv, c2);
    d2 = madd(y, bv, d2);
    bv = v128.load32_splat(pb, 12);
    c3 = madd(x, bv, c3);
    d3 = madd(y, bv, d3);
    pa += 32;
    pb += 32;
  }
  store_t4(c0, c1, c2, c3, c, ldc, w, m, bias, gamma, beta, relu);
  store_t4(d0, d1, d2, d3, c + (ldc << 2), ldc, w, m + 4, bias, gamma, beta, relu);
}

// column vectors v0..v3 (lane r = row m + r) transposed to rows m..m+3, row epilogue, first w columns stored
@inline function store_t4(
  v0: v128, v1: v128, v2: v128, v3: v128, c: usize, ldc: usize, w: i32,
  m: i32, bias: usize, gamma: usize, beta: usize, relu: bool,
): void {
  const t0 = v128.shuffle<f32>(v0, v1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(v2, v3, 0, 4, 1, 5);
  const t2 = v128.shuffle<f32>(v0, v1, 2, 6, 3, 7), t3 = v128.shuffle<f32>(v2, v3, 2, 6, 3, 7);
  const r0 = epi4(v128.shuffle<f32>(t0, t1, 0, 1, 4, 5), m, bias, gamma, beta, relu);
  const r1 = epi4(v128.shuffle<f32>(t0, t1, 2, 3, 6, 7), m + 1, bias, gamma, beta, relu);
  const r2 = epi4(v128.shuffle<f32>(t2, t3, 0, 1, 4, 5), m + 2, bias, gamma, beta, relu);
  const r3 = epi4(v128.shuffle<f32>(t2, t3, 2, 3, 6, 7), m + 3, bias, gamma, beta, relu);
  if (w == 4) {
    v128.store(c, r0);
    v128.store(c + ldc, r1);
    v128.store(c + (ldc << 1), r2);
    v128.store(c + ldc * 3, r3);
  } else {
    const t = tail_tmp;
    v128.store(t, r0);
    v128.store(t, r1, 16);
    v128.store(t, r2, 32);
    v128.store(t, r3, 48);
    for (let r = 0; r < 4; r++) {
      const src = t + (<usize>r << 4);
      const dst = c + <usize>r * ldc;
      for (let l = 0; l < w; l++) store<f32>(dst + (<usize>l << 2), load<f32>(src + (<usize>l << 2)));
    }
  }
}

/** C = A*Bp as gemm_packed, with A packed by gemm_pack_a (M a multiple of 4). */
export function gemm_packed_ap(
  M: i32, N: i32, K: i32,
  Ap: usize, Bp: usize, C: usize, ldc: i32,
  bias: usize, gamma: usize, beta: usize, relu: i32,
): void {
  const doRelu = relu != 0;
  const lc = <usize>ldc << 2;
  const panels = (N + 7) >> 3;
  const panelBytes = <usize>K << 5;
  const blockBytes = <usize>K << 4;
  let PB = 5120 / max(K, 1);
  if (PB < 1) PB = 1;
  for (let j0 = 0; j0 < panels; j0 += PB) {
    const j1 = min(panels, j0 + PB);
    if (gemm_pack_rows(M) == 8) {
      // 8-row blocks: a last panel of at most 4 columns (the 4 tiles of a 4x4 plane, or the 36th tile of a 6x6
      // tile grid) runs on pk8x4t's 8 accumulators instead of pk4x4's 4; full panels on pk4x8 per half block
      for (let m = 0; m < M; m += 8) {
        const a = Ap + <usize>(m >> 2) * blockBytes;
        const crow = C + <usize>m * lc;
        for (let j = j0; j < j1; j++) {
          const w = min(8, N - (j << 3));
          const b = Bp + <usize>j * panelBytes, c = crow + (<usize>j << 5);
          if (w <= 4) {
            pk8x4t(a, b, K, c, lc, w, m, bias, gamma, beta, doRelu);
          } else {
            pk4x8(a, 4, b, K, c, lc, w, m, bias, gamma, beta, doRelu, 32);
            pk4x8(a + 16, 4, b, K, c + (lc << 2), lc, w, m + 4, bias, gamma, beta, doRelu, 32);
          }
        }
      }
      continue;
    }
    for (let m = 0; m + 4 <= M; m += 4) {
      const a = Ap + <usize>(m >> 2) * blockBytes;
      const crow = C + <usize>m * lc;
      for (let j = j0; j < j1; j++) {
        const w = min(8, N - (j << 3));
        if (w <= 4) pk4x4(a, 4, Bp + <usize>j * panelBytes, K, crow + (<usize>j << 5), lc, w, m, bias, gamma, beta, doRelu, 16);
        else pk4x8(a, 4, Bp + <usize>j * panelBytes, K, crow + (<usize>j << 5), lc, w, m, bias, gamma, beta, doRelu, 16);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// fc_: out[s][o] = sum_i x[s][i] * W[i][o] (+ bias[o])

/**
 * dlib fc_ forward. x is [n][num_in] (a sample's k*nr*nc values in memory order), W is row-major
 * [num_in][num_out], bias has num_out floats or is 0 (none), out is [n][num_out] and must not alias
 * x or W. The sum over i is accumulated in f32 in increasing i order.
 */
export function fc_forward(x: usize, n: i32, num_in: i32, W: usize, num_out: i32, bias: usize, out: usize): void {
  const lw = <usize>num_out << 2;
  for (let s = 0; s < n; s++) {
    const xs = x + (<usize>s * <usize>num_in << 2);
    const os = out + (<usize>s * <usize>num_out << 2);
    let o = 0;
    for (; o + 16 <= num_out; o += 16) {
      let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
      let pw = W + (<usize>o << 2);
      for (let i = 0; i < num_in; i++) {
        const xv = v128.load32_splat(xs + (<usize>i << 2));
        c0 = madd(xv, v128.load(pw), c0);
        c1 = madd(xv, v128.load(pw, 16), c1);
        c2 = madd(xv, v128.load(pw, 32), c2);
        c3 = madd(xv, v128.load(pw, 48), c3);
        pw += lw;
      }
      const d = os + (<usize>o << 2);
      if (bias) {
        const bo = bias + (<usize>o << 2);
        c0 = f32x4.add(c0, v128.load(bo));
        c1 = f32x4.add(c1, v128.load(bo, 16));
        c2 = f32x4.add(c2, v128.load(bo, 32));
        c3 = f32x4.add(c3, v128.load(bo, 48));
      }
      v128.store(d, c0); v128.store(d, c1, 16); v128.store(d, c2, 32); v128.store(d, c3, 48);
    }
    for (; o + 4 <= num_out; o += 4) {
      let c0 = f32x4.splat(0);
      let pw = W + (<usize>o << 2);
      for (let i = 0; i < num_in; i++) {
        c0 = f32x4.add(c0, f32x4.mul(v128.load32_splat(xs + (<usize>i << 2)), v128.load(pw)));
        pw += lw;
      }
      if (bias) c0 = f32x4.add(c0, v128.load(bias + (<usize>o << 2)));
      v128.store(os + (<usize>o << 2), c0);
    }
    for (; o < num_out; o++) {
      let acc: f32 = 0;
      let pw = W + (<usize>o << 2);
      for (let i = 0; i < num_in; i++) {
        acc += load<f32>(xs + (<usize>i << 2)) * load<f32>(pw);
        pw += lw;
      }
      if (bias) acc += load<f32>(bias + (<usize>o << 2));
      store<f32>(os + (<usize>o << 2), acc);
    }
  }
}

/** Scalar oracle of `fc_forward`. */
export function fc_forward_ref(x: usize, n: i32, num_in: i32, W: usize, num_out: i32, bias: usize, out: usize): void {
  for (let s = 0; s < n; s++) {
    for (let o = 0; o < num_out; o++) {
      let acc: f32 = 0;
      for (let i = 0; i < num_in; i++) {
        acc += load<f32>(x + ((<usize>s * <usize>num_in + <usize>i) << 2)) * load<f32>(W + ((<usize>i * <usize>num_out + <usize>o) << 2));
      }
      if (bias) acc += load<f32>(bias + (<usize>o << 2));
      store<f32>(out + ((<usize>s * <usize>num_out + <usize>o) << 2), acc);
    }
  }
}
