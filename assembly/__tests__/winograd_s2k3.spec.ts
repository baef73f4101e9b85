import {
  wino42s2_weights, wino42s2_weights_floats, wino42s2_con, wino42s2_scratch_floats,
  wino32s2_weights, wino32s2_weights_floats, wino32s2_con, wino32s2_scratch_floats,
} from "../winograd_s2k3";
import { Stride2Case, expectDirect, report, seedRandom } from "./stride2_oracle";

seedRandom(4343);

// 4: wino42s2_con (F(4x4,2x2)), 3: wino32s2_con (F(3x3,2x2))
let variant: i32 = 4;

// the variant's convolution vs a scalar f64 direct stride-2 unpadded 3x3 convolution with the same epilogue
function check(n: i32, k: i32, nr: i32, nc: i32, nf: i32, useBias: bool, useAffine: bool, relu: i32): void {
  const t = new Stride2Case(n, k, nr, nc, nf, 3, 3, useBias, useAffine);
  const f4 = variant == 4;
  const U = heap.alloc(<usize>(f4 ? wino42s2_weights_floats(nf, k) : wino32s2_weights_floats(nf, k)) << 2);
  const scratch = heap.alloc(<usize>(f4 ? wino42s2_scratch_floats(n, k, nr, nc, nf) : wino32s2_scratch_floats(n, k, nr, nc, nf)) << 2);
  if (f4) {
    wino42s2_weights(t.w, nf, k, U);
    wino42s2_con(t.x, n, k, nr, nc, U, nf, t.bias, t.gamma, t.beta, relu, t.out, scratch);
  } else {
    wino32s2_weights(t.w, nf, k, U);
    wino32s2_con(t.x, n, k, nr, nc, U, nf, t.bias, t.gamma, t.beta, relu, t.out, scratch);
  }
  expectDirect(t.out, t.x, t.w, n, k, nr, nc, nf, 3, 3, t.bias, t.gamma, t.beta, relu);
  heap.free(U); heap.free(scratch);
  t.free();
}

// the same cases for both variants
function faceLayers(): void {
  check(1, 32, 35, 35, 64, true, true, 1);
  check(1, 32, 35, 35, 64, false, false, 0);
  report();
  check(1, 64, 17, 17, 64, true, true, 1);
  check(1, 64, 17, 17, 8, false, false, 0);
  report();
}
function sizes(): void {
  check(1, 32, 16, 16, 64, true, false, 0);
  check(1, 3, 16, 16, 8, false, true, 1);
  check(1, 32, 9, 9, 8, true, true, 0);
  check(1, 3, 9, 9, 64, false, false, 1);
  check(1, 32, 7, 6, 64, true, true, 1);
  check(1, 3, 7, 6, 8, true, false, 0);
  check(1, 3, 35, 35, 8, false, true, 0);
  report();
}
function batches(): void {
  check(2, 32, 35, 35, 8, true, true, 1);
  check(2, 3, 17, 17, 64, false, false, 0);
  check(2, 32, 16, 16, 8, true, false, 1);
  check(2, 3, 9, 9, 64, false, true, 0);
  check(2, 32, 7, 6, 8, true, true, 0);
  check(2, 5, 11, 13, 6, true, true, 1);
  check(1, 7, 3, 3, 13, true, false, 0); // 1x1 output
  check(2, 32, 17, 17, 3, false, true, 1);
  report();
}

describe("wino42s2_con (polyphase Winograd F(4x4,2x2)) vs direct stride-2 3x3 convolution", () => {
  it("the face ResNet's layers: 32 -> 64 on 35x35, 64 -> 128 on 17x17, affine + relu and none", () => { variant = 4; faceLayers(); });
  it("sizes 16x16, 9x9, 7x6, k = 3 and 32, nf = 8 and 64, epilogues on/off", () => { variant = 4; sizes(); });
  it("n = 2, filters not a multiple of 8 or 4, channels not a multiple of 4", () => { variant = 4; batches(); });
});

describe("wino32s2_con (polyphase Winograd F(3x3,2x2)) vs direct stride-2 3x3 convolution", () => {
  it("(F(3x3)) the face ResNet's layers: 32 -> 64 on 35x35, 64 -> 128 on 17x17, affine + relu and none", () => { variant = 3; faceLayers(); });
  it("sizes 16x16, 9x9, 7x6, k = 3 and 32, nf = 8 and 64, epilogues on/off", () => { variant = 3; sizes(); });
  it("n = 2, filters not a multiple of 8 or 4, channels not a multiple of 4", () => { variant = 3; batches(); });
});
