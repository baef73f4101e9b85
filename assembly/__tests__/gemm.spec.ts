import { gemm, gemm_ref, fc_forward, fc_forward_ref, gemm_packed, gemm_packed_ap, gemm_pack_a, gemm_packed_b_floats } from "../gemm";

let seed: u32 = 777;
function rnd(): f32 {
  seed = seed * 1664525 + 1013904223;
  return <f32>(seed >> 8) / <f32>16777216.0 * 2.0 - 1.0;
}
function randBuf(n: i32): usize {
  const p = heap.alloc(<usize>max(n, 1) << 2);
  for (let i = 0; i < n; i++) store<f32>(p + (<usize>i << 2), rnd());
  return p;
}
function maxErr(a: usize, b: usize, len: i32): f32 {
  let worst: f32 = 0;
  for (let i = 0; i < len; i++) {
    const va = load<f32>(a + (<usize>i << 2)), vb = load<f32>(b + (<usize>i << 2));
    const e = Mathf.abs(va - vb) / max<f32>(1, Mathf.abs(vb));
    if (!(e <= worst)) worst = e;
  }
  return worst;
}

function checkGemm(M: i32, N: i32, K: i32, epilogue: bool): void {
  const lda = K + 1, ldb = N + 3, ldc = N + 2;
  const A = randBuf(M * lda), B = randBuf(K * ldb);
  const bias = epilogue ? randBuf(M) : 0, gamma = epilogue ? randBuf(M) : 0, beta = epilogue ? randBuf(M) : 0;
  const c1 = randBuf(M * ldc), c2 = heap.alloc(<usize>(M * ldc) << 2);
  memory.copy(c2, c1, <usize>(M * ldc) << 2); // untouched padding columns must stay equal too
  gemm(M, N, K, A, lda, B, ldb, c1, ldc, bias, gamma, beta, epilogue ? 1 : 0);
  gemm_ref(M, N, K, A, lda, B, ldb, c2, ldc, bias, gamma, beta, epilogue ? 1 : 0);
  expect(maxErr(c1, c2, M * ldc)).toBeLessThanOrEqual(<f32>2e-5);
}

// gemm_packed (B in [K][8] column panels) and gemm_packed_ap (A in 4-row blocks too) vs gemm_ref: every output is
// the same f32 sum in increasing k order with the same epilogue, so the results must be equal bit for bit.
function checkPacked(M: i32, N: i32, K: i32, epilogue: bool): void {
  const ldc = N + 2;
  const A = randBuf(M * K), B = randBuf(K * N);
  const bias = epilogue ? randBuf(M) : 0, gamma = epilogue ? randBuf(M) : 0, beta = epilogue ? randBuf(M) : 0;
  const bf = gemm_packed_b_floats(K, N);
  const Bp = heap.alloc(<usize>bf << 2), Ap = heap.alloc(<usize>(M * K) << 2);
  memory.fill(Bp, 0, <usize>bf << 2);
  for (let k = 0; k < K; k++) {
    for (let n = 0; n < N; n++) {
      store<f32>(Bp + (<usize>((n >> 3) * K * 8 + k * 8 + (n & 7)) << 2), load<f32>(B + (<usize>(k * N + n) << 2)));
    }
  }
  const c0 = randBuf(M * ldc), c1 = heap.alloc(<usize>(M * ldc) << 2), c2 = heap.alloc(<usize>(M * ldc) << 2);
  memory.copy(c1, c0, <usize>(M * ldc) << 2);
  memory.copy(c2, c0, <usize>(M * ldc) << 2);
  gemm_ref(M, N, K, A, K, B, N, c0, ldc, bias, gamma, beta, epilogue ? 1 : 0);
  gemm_packed(M, N, K, A, K, Bp, c1, ldc, bias, gamma, beta, epilogue ? 1 : 0);
  let diff = 0;
  for (let i = 0; i < M * ldc; i++) if (load<u32>(c0 + (<usize>i << 2)) != load<u32>(c1 + (<usize>i << 2))) diff++;
  expect(diff).toBe(0);
  if (M % 4 == 0) {
    gemm_pack_a(A, M, K, K, Ap);
    gemm_packed_ap(M, N, K, Ap, Bp, c2, ldc, bias, gamma, beta, epilogue ? 1 : 0);
    for (let i = 0; i < M * ldc; i++) if (load<u32>(c0 + (<usize>i << 2)) != load<u32>(c2 + (<usize>i << 2))) diff++;
    expect(diff).toBe(0);
  }
  heap.free(A); heap.free(B); heap.free(Bp); heap.free(Ap); heap.free(c0); heap.free(c1); heap.free(c2);
  if (epilogue) { heap.free(bias); heap.free(gamma); heap.free(beta); }
}

describe("gemm_packed / gemm_packed_ap vs gemm_ref (bit-exact)", () => {
  it("row blocks of 4 and 8, full panels and last panels of 1..7 columns", () => {
    checkPacked(4, 4, 7, true);
    checkPacked(8, 4, 33, true);
    checkPacked(8, 3, 5, false);
    checkPacked(12, 36, 64, true);
    checkPacked(20, 13, 9, true);
    checkPacked(16, 8, 1, false);
    checkPacked(24, 1, 17, true);
    checkPacked(5, 11, 6, true);
    checkPacked(64, 40, 64, true);
  });
});

describe("gemm vs gemm_ref", () => {
  it("handles every row / column tail", () => {
    checkGemm(1, 1, 1, false);
    checkGemm(3, 5, 7, true);
    checkGemm(4, 8, 2, true);
    checkGemm(5, 12, 9, false);
    checkGemm(9, 13, 17, true);
    checkGemm(7, 3, 33, true);
    checkGemm(33, 70, 301, true);
  });
});

describe("fc_forward vs fc_forward_ref", () => {
  it("matches on odd sizes with and without bias", () => {
    for (let t = 0; t < 4; t++) {
      const n = t == 0 ? 1 : t + 1, ni = t == 1 ? 1 : 37 * t + 5, no = t == 2 ? 3 : 16 * t + 7;
      const x = randBuf(n * ni), W = randBuf(ni * no), b = (t & 1) != 0 ? randBuf(no) : 0;
      const o1 = heap.alloc(<usize>(n * no) << 2), o2 = heap.alloc(<usize>(n * no) << 2);
      fc_forward(x, n, ni, W, no, b, o1);
      fc_forward_ref(x, n, ni, W, no, b, o2);
      expect(maxErr(o1, o2, n * no)).toBeLessThanOrEqual(<f32>2e-5);
    }
  });
});
