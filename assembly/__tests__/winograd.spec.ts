import { con_affine_forward_ref } from "../conv";
import { wino2_weights, wino2_con, wino2_scratch_floats, wino3_weights, wino3_con, wino3_scratch_floats, wino4_weights, wino4_con, wino4_scratch_floats, wino6_weights, wino6_con, wino6_scratch_floats, wino_pack_u } from "../winograd";

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

// Winograd F(wm x wm, 3x3) (wm = 2, 3, 4) vs the scalar direct convolution (3x3, stride 1, pad 1): same values up
// to the rounding of the transforms, relative to the size of the sum of |products|.
function checkWino(n: i32, k: i32, nr: i32, nc: i32, nf: i32, useBias: bool, useAffine: bool, relu: i32, wm: i32 = 2, packed: bool = false): void {
  const nxi = (wm + 2) * (wm + 2);
  const x = randBuf(n * k * nr * nc);
  const w = randBuf(nf * k * 9);
  const bias = useBias ? randBuf(nf) : 0;
  const gamma = useAffine ? randBuf(nf) : 0;
  const beta = useAffine ? randBuf(nf) : 0;
  const len = n * nf * nr * nc;
  const a = heap.alloc(<usize>len << 2);
  const b = heap.alloc(<usize>len << 2);
  const U = heap.alloc(<usize>(nxi * nf * k) << 2);
  const sf = wm == 6 ? wino6_scratch_floats(n, k, nr, nc, nf) : wm == 4 ? wino4_scratch_floats(n, k, nr, nc, nf) : wm == 3 ? wino3_scratch_floats(n, k, nr, nc, nf) : wino2_scratch_floats(n, k, nr, nc, nf);
  const scratch = heap.alloc(<usize>sf << 2);
  for (let i = 0; i < sf; i++) store<f32>(scratch + (<usize>i << 2), NaN); // the kernels may rely on nothing in it
  if (wm == 6) wino6_weights(w, nf, k, U);
  else if (wm == 4) wino4_weights(w, nf, k, U);
  else if (wm == 3) wino3_weights(w, nf, k, U);
  else wino2_weights(w, nf, k, U);
  if (packed) {
    const tmp = heap.alloc(<usize>(nf * k) << 2);
    wino_pack_u(U, nxi, nf, k, tmp);
    heap.free(tmp);
  }
  if (wm == 6) wino6_con(x, n, k, nr, nc, U, nf, bias, gamma, beta, relu, a, scratch, packed ? 1 : 0);
  else if (wm == 4) wino4_con(x, n, k, nr, nc, U, nf, bias, gamma, beta, relu, a, scratch, packed ? 1 : 0);
  else if (wm == 3) wino3_con(x, n, k, nr, nc, U, nf, bias, gamma, beta, relu, a, scratch, packed ? 1 : 0);
  else wino2_con(x, n, k, nr, nc, U, nf, bias, gamma, beta, relu, a, scratch, packed ? 1 : 0);
  con_affine_forward_ref(x, n, k, nr, nc, w, nf, 3, 3, 1, 1, 1, 1, bias, gamma, beta, relu, b);
  let worst: f32 = 0;
  const scale = Mathf.sqrt(<f32>(k * 9)); // typical magnitude of a sum of 9k products of U(-1,1) values
  for (let i = 0; i < len; i++) {
    const va = load<f32>(a + (<usize>i << 2)), vb = load<f32>(b + (<usize>i << 2));
    const e = Mathf.abs(va - vb) / scale;
    if (!(e <= worst)) worst = e;
    if (relu != 0) expect(va >= 0).toBe(true);
  }
  expect(worst).toBeLessThanOrEqual(wm == 6 ? <f32>5e-5 : wm == 4 ? <f32>1e-5 : wm == 3 ? <f32>5e-6 : <f32>2e-6);
  heap.free(x); heap.free(w); heap.free(a); heap.free(b); heap.free(U); heap.free(scratch);
  if (bias) heap.free(bias);
  if (gamma) { heap.free(gamma); heap.free(beta); }
}

describe("wino2_con vs con_affine_forward_ref (3x3, stride 1, pad 1)", () => {
  it("even and odd sizes, one sample", () => {
    checkWino(1, 3, 8, 8, 5, true, false, 0);
    checkWino(1, 4, 7, 9, 6, false, false, 0);
    checkWino(1, 12, 35, 35, 8, true, true, 1);
  });
  it("tiny planes: 1x1, 2x3, 3x3, 4x4 (edge tiles only)", () => {
    checkWino(1, 5, 1, 1, 4, true, false, 0);
    checkWino(2, 6, 2, 3, 7, false, true, 1);
    checkWino(3, 16, 3, 3, 8, true, true, 0);
    checkWino(2, 12, 4, 4, 9, true, false, 1);
    checkWino(1, 16, 4, 4, 8, true, true, 1); // 4 tiles: the second half of the only panel holds no tile
  });
  it("batches whose tile panels straddle samples, several chunks", () => {
    checkWino(5, 7, 17, 17, 10, true, true, 1);
    checkWino(9, 96, 8, 8, 40, false, true, 1); // 4 chunks of at most 40 tiles
    checkWino(2, 100, 9, 11, 12, true, false, 0);
  });
});

describe("wino4_con (F(4x4,3x3)) vs con_affine_forward_ref", () => {
  it("sizes not multiple of 4, one sample and batches, several chunks", () => {
    checkWino(1, 3, 8, 8, 5, true, false, 0, 4);
    checkWino(1, 12, 35, 35, 8, true, true, 1, 4);
    checkWino(3, 7, 17, 17, 10, false, true, 1, 4);
    checkWino(2, 5, 1, 1, 4, true, false, 0, 4);
    checkWino(4, 6, 5, 7, 3, true, true, 0, 4);
    checkWino(2, 100, 9, 11, 12, true, false, 0, 4);
  });
});

describe("wino3_con (F(3x3,3x3)) vs con_affine_forward_ref", () => {
  it("sizes not multiple of 3, one sample and batches, several chunks, tiles wrapping rows", () => {
    checkWino(1, 3, 8, 8, 5, true, false, 0, 3);
    checkWino(1, 12, 17, 17, 8, true, true, 1, 3);
    checkWino(1, 9, 18, 18, 6, false, true, 1, 3);
    checkWino(3, 7, 17, 19, 10, false, true, 1, 3);
    checkWino(2, 5, 1, 1, 4, true, false, 0, 3);
    checkWino(4, 6, 5, 7, 3, true, true, 0, 3);
    checkWino(2, 100, 13, 11, 12, true, false, 0, 3);
  });
});

describe("wino6_con (F(6x6,3x3)) vs con_affine_forward_ref", () => {
  it("sizes not multiple of 6, one sample and batches, several chunks, tiles wrapping rows", () => {
    checkWino(1, 3, 8, 8, 5, true, false, 0, 6);
    checkWino(1, 12, 35, 35, 8, true, true, 1, 6);
    checkWino(1, 9, 36, 30, 6, false, true, 1, 6);
    checkWino(3, 7, 17, 19, 10, false, true, 1, 6);
    checkWino(2, 5, 1, 1, 4, true, false, 0, 6);
    checkWino(4, 6, 5, 7, 3, true, true, 0, 6);
    checkWino(2, 100, 13, 11, 12, true, false, 0, 6);
    checkWino(1, 32, 35, 35, 32, true, true, 1, 6, true);
  });
});

describe("wino*_con with U packed in 4-row blocks (gemm_packed_ap)", () => {
  it("F(2x2), F(3x3) and F(4x4), filters a multiple of 4 (8-row blocks, last panels of at most 4 tiles)", () => {
    checkWino(1, 64, 17, 17, 64, true, true, 1, 3, true);
    checkWino(2, 9, 10, 7, 12, true, true, 1, 3, true);
    checkWino(1, 40, 4, 4, 24, false, true, 1, 2, true);
    checkWino(1, 33, 3, 3, 20, true, false, 0, 2, true);
    checkWino(1, 12, 8, 8, 8, true, true, 1, 2, true);
    checkWino(3, 7, 17, 17, 12, false, true, 1, 2, true);
    checkWino(1, 12, 35, 35, 8, true, false, 0, 4, true);
    checkWino(2, 9, 9, 11, 4, true, true, 1, 4, true);
  });
});
