import { con_forward, con_affine_forward, con_affine_forward_ref, con_forward_ref, con_scratch_floats, con_out_size } from "../conv";

let seed: u32 = 12345;
function rnd(): f32 {
  seed = seed * 1664525 + 1013904223;
  return <f32>(seed >> 8) / <f32>16777216.0 * 2.0 - 1.0;
}
function randBuf(n: i32): usize {
  const p = heap.alloc(<usize>max(n, 1) << 2);
  for (let i = 0; i < n; i++) store<f32>(p + (<usize>i << 2), rnd());
  return p;
}

// fast vs scalar reference; the two sum in different orders, so allow f32 rounding differences
function checkConv(
  n: i32, k: i32, nr: i32, nc: i32, nf: i32, fnr: i32, fnc: i32, sy: i32, sx: i32, py: i32, px: i32,
  useBias: bool, useAffine: bool, relu: i32,
): void {
  const x = randBuf(n * k * nr * nc);
  const w = randBuf(nf * k * fnr * fnc);
  const bias = useBias ? randBuf(nf) : 0;
  const gamma = useAffine ? randBuf(nf) : 0;
  const beta = useAffine ? randBuf(nf) : 0;
  const onr = con_out_size(nr, fnr, sy, py), onc = con_out_size(nc, fnc, sx, px);
  const len = n * nf * onr * onc;
  const a = heap.alloc(<usize>len << 2);
  const b = heap.alloc(<usize>len << 2);
  const sf = con_scratch_floats(k, nr, nc, fnr, fnc, sy, sx, py, px);
  const scratch = sf > 0 ? heap.alloc(<usize>sf << 2) : 0;
  if (useAffine || relu != 0) con_affine_forward(x, n, k, nr, nc, w, nf, fnr, fnc, sy, sx, py, px, bias, gamma, beta, relu, a, scratch);
  else con_forward(x, n, k, nr, nc, w, nf, fnr, fnc, sy, sx, py, px, bias, a, scratch);
  if (useAffine || relu != 0) con_affine_forward_ref(x, n, k, nr, nc, w, nf, fnr, fnc, sy, sx, py, px, bias, gamma, beta, relu, b);
  else con_forward_ref(x, n, k, nr, nc, w, nf, fnr, fnc, sy, sx, py, px, bias, b);
  let worst: f32 = 0;
  for (let i = 0; i < len; i++) {
    const va = load<f32>(a + (<usize>i << 2)), vb = load<f32>(b + (<usize>i << 2));
    const e = Mathf.abs(va - vb) / max<f32>(1, Mathf.abs(vb));
    if (!(e <= worst)) worst = e;
    if (relu != 0) expect(va >= 0).toBe(true);
  }
  expect(worst).toBeLessThanOrEqual(<f32>2e-5);
  heap.free(x); heap.free(w); heap.free(a); heap.free(b);
  if (bias) heap.free(bias);
  if (gamma) { heap.free(gamma); heap.free(beta); }
  if (scratch) heap.free(scratch);
}

describe("con_forward vs con_forward_ref", () => {
  it("3x3 pad 1 on a 5x7 input, k=3, bias", () => { checkConv(2, 3, 5, 7, 5, 3, 3, 1, 1, 1, 1, true, false, 0); });
  it("7x7 stride 2 with padding 0,1,2,3", () => {
    checkConv(1, 3, 23, 19, 6, 7, 7, 2, 2, 0, 0, true, false, 0);
    checkConv(1, 3, 23, 19, 6, 7, 7, 2, 2, 1, 1, false, false, 0);
    checkConv(1, 5, 9, 11, 6, 7, 7, 2, 2, 2, 2, false, false, 0);
    checkConv(1, 5, 9, 11, 6, 7, 7, 2, 2, 3, 3, true, false, 0);
  });
  it("1x1 direct (no im2col) and 1x1 with stride / padding", () => {
    checkConv(2, 7, 6, 5, 9, 1, 1, 1, 1, 0, 0, true, false, 0);
    checkConv(1, 4, 8, 9, 3, 1, 1, 2, 2, 1, 0, false, false, 0);
  });
  it("non-square filters, strides and paddings", () => {
    checkConv(1, 2, 13, 10, 11, 3, 5, 1, 2, 2, 2, true, false, 0);
    checkConv(2, 3, 11, 12, 4, 2, 3, 2, 2, 1, 2, true, false, 0);
    checkConv(1, 2, 10, 17, 5, 3, 3, 3, 3, 2, 1, false, false, 0);
  });
  it("tiny outputs (fewer than 8 pixels) and filter = input size", () => {
    checkConv(1, 6, 3, 3, 7, 3, 3, 1, 1, 1, 1, true, false, 0);
    checkConv(1, 37, 1, 1, 9, 3, 3, 1, 1, 1, 1, false, false, 0);
    checkConv(3, 1, 4, 4, 1, 4, 4, 1, 1, 0, 0, false, false, 0);
    checkConv(2, 9, 2, 5, 10, 3, 3, 1, 1, 1, 1, true, false, 0);  // P = 10
    checkConv(1, 5, 1, 11, 6, 1, 3, 1, 1, 0, 1, false, false, 0); // P = 11
    checkConv(1, 5, 2, 4, 6, 3, 3, 1, 1, 1, 1, false, false, 0);  // P = 8, one exact panel
  });
  it("fused affine + relu, channel counts not multiple of 4", () => {
    checkConv(1, 5, 9, 11, 6, 3, 3, 1, 1, 1, 1, true, true, 1);
    checkConv(1, 13, 12, 12, 18, 3, 3, 2, 2, 0, 0, false, true, 1);
    checkConv(1, 9, 7, 7, 3, 3, 3, 1, 1, 1, 1, false, true, 0);
    checkConv(1, 3, 8, 8, 5, 3, 3, 1, 1, 1, 1, true, false, 1);
  });
  it("fewer than 4 filters at stride 1 (implicit path without packing) and its fallback", () => {
    checkConv(1, 45, 20, 12, 1, 9, 9, 1, 1, 4, 4, true, false, 1);
    checkConv(2, 7, 13, 11, 2, 5, 5, 1, 1, 2, 2, false, true, 0);
    checkConv(1, 5, 9, 10, 3, 1, 1, 1, 1, 1, 1, true, false, 0);
    checkConv(1, 1, 30, 30, 1, 1, 1, 1, 1, 1, 1, true, false, 0); // partial sums would not fit the chunk area
    checkConv(1, 6, 9, 7, 1, 3, 2, 1, 1, 0, 1, false, false, 0);
  });
  it("several im2col chunks with a partial last panel (Kd = 576, 420 pixels)", () => {
    checkConv(1, 64, 20, 21, 6, 3, 3, 1, 1, 1, 1, true, true, 1);
    checkConv(2, 40, 13, 9, 5, 3, 3, 2, 2, 1, 1, false, false, 0);
  });
});
