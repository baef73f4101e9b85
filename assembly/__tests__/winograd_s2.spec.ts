import { wino34s2_weights, wino34s2_weights_floats, wino34s2_con, wino34s2_scratch_floats } from "../winograd_s2";

import { Stride2Case, expectDirect, report, seedRandom } from "./stride2_oracle";

seedRandom(4242);

// wino34s2_con vs a scalar f64 direct stride-2 unpadded convolution with the same epilogue
function check(n: i32, k: i32, nr: i32, nc: i32, nf: i32, fnr: i32, fnc: i32, useBias: bool, useAffine: bool, relu: i32): void {
  const t = new Stride2Case(n, k, nr, nc, nf, fnr, fnc, useBias, useAffine);
  const U = heap.alloc(<usize>wino34s2_weights_floats(nf, k) << 2);
  const scratch = heap.alloc(<usize>wino34s2_scratch_floats(n, k, nr, nc, nf) << 2);
  wino34s2_weights(t.w, nf, k, fnr, fnc, U);
  wino34s2_con(t.x, n, k, nr, nc, U, nf, fnr, fnc, t.bias, t.gamma, t.beta, relu, t.out, scratch);
  expectDirect(t.out, t.x, t.w, n, k, nr, nc, nf, fnr, fnc, t.bias, t.gamma, t.beta, relu);
  heap.free(U); heap.free(scratch);
  t.free();
}

describe("wino34s2_con (polyphase Winograd F(3x3,4x4)) vs direct stride-2 convolution", () => {
  it("the face ResNet stem: 7x7/2, 3 -> 32, 150x150, affine + relu and none", () => {
    check(1, 3, 150, 150, 32, 7, 7, true, true, 1);
    report();
    check(1, 3, 150, 150, 32, 7, 7, false, false, 0);
    report();
  });
  it("odd and even sizes, 5x5, 6x6, 8x8 and non-square filters", () => {
    check(1, 3, 151, 149, 32, 7, 7, true, false, 0);
    check(1, 3, 20, 17, 32, 5, 5, false, true, 1);
    check(1, 5, 13, 13, 6, 6, 6, true, true, 0);
    check(1, 5, 20, 17, 6, 8, 8, true, false, 1);
    check(1, 3, 21, 18, 8, 7, 5, false, true, 0);
    check(1, 3, 16, 23, 8, 8, 6, true, true, 1);
    report();
  });
  it("batches (tile groups straddle samples), filters not a multiple of 4, 1x1 and 3x3 outputs", () => {
    check(2, 3, 20, 17, 32, 7, 7, true, true, 1);
    check(2, 5, 13, 13, 6, 5, 5, false, false, 0);
    check(2, 3, 151, 149, 6, 7, 7, true, true, 1);
    check(2, 5, 41, 38, 32, 6, 6, true, false, 0);
    check(3, 3, 9, 10, 4, 5, 6, true, true, 1); // 3x3 outputs: one tile per sample
    check(2, 3, 7, 5, 6, 7, 5, false, true, 0); // 1x1 output
    report();
  });
});
