import {
  wino42s2_weights, wino42s2_weights_floats, wino42s2_con, wino42s2_scratch_floats,
  wino32s2_weights, wino32s2_weights_floats, wino32s2_con, wino32s2_scratch_floats,
} from "../winograd_s2k3";

// 4: wino42s2_con (F(4x4,2x2)), 3: wino32s2_con (F(3x3,2x2))
let variant: i32 = 4;

let seed: u32 = 4343;
function rnd(): f32 {
  seed = seed * 1664525 + 1013904223;
  return <f32>(seed >> 8) / <f32>16777216.0 * 2.0 - 1.0;
}
function randBuf(n: i32): usize {
  const p = heap.alloc(<usize>max(n, 1) << 2);
  for (let i = 0; i < n; i++) store<f32>(p + (<usize>i << 2), rnd());
  return p;
}

// worst |wino - direct| / (|gamma| * sum of |products| + |beta|) of the checks since the last report
let lastWorst: f64 = 0;
function report(): void {
  log<f64>(lastWorst);
  lastWorst = 0;
}

// wino42s2_con vs a scalar f64 direct stride-2 unpadded convolution with the same epilogue
function check(n: i32, k: i32, nr: i32, nc: i32, nf: i32, useBias: bool, useAffine: bool, relu: i32): void {
  const fnr = 3, fnc = 3;
  const x = randBuf(n * k * nr * nc);
  const w = randBuf(nf * k * fnr * fnc);
  const bias = useBias ? randBuf(nf) : 0;
  const gamma = useAffine ? randBuf(nf) : 0;
  const beta = useAffine ? randBuf(nf) : 0;
  const onr = (nr - fnr) / 2 + 1, onc = (nc - fnc) / 2 + 1;
  const len = n * nf * onr * onc;
  const a = heap.alloc(<usize>len << 2);
  for (let i = 0; i < len; i++) store<f32>(a + (<usize>i << 2), NaN);
  const f4 = variant == 4;
  const U = heap.alloc(<usize>(f4 ? wino42s2_weights_floats(nf, k) : wino32s2_weights_floats(nf, k)) << 2);
  const scratch = heap.alloc(<usize>(f4 ? wino42s2_scratch_floats(n, k, nr, nc, nf) : wino32s2_scratch_floats(n, k, nr, nc, nf)) << 2);
  if (f4) {
    wino42s2_weights(w, nf, k, U);
    wino42s2_con(x, n, k, nr, nc, U, nf, bias, gamma, beta, relu, a, scratch);
  } else {
    wino32s2_weights(w, nf, k, U);
    wino32s2_con(x, n, k, nr, nc, U, nf, bias, gamma, beta, relu, a, scratch);
  }
  let worst: f64 = 0;
  for (let s = 0; s < n; s++) {
    for (let f = 0; f < nf; f++) {
      for (let oy = 0; oy < onr; oy++) {
        for (let ox = 0; ox < onc; ox++) {
          let sum: f64 = 0, mag: f64 = 0;
          for (let c = 0; c < k; c++) {
            for (let fy = 0; fy < fnr; fy++) {
              for (let fx = 0; fx < fnc; fx++) {
                const xv = <f64>load<f32>(x + (<usize>(((s * k + c) * nr + 2 * oy + fy) * nc + 2 * ox + fx) << 2));
                const wv = <f64>load<f32>(w + (<usize>(((f * k + c) * fnr + fy) * fnc + fx) << 2));
                sum += xv * wv;
                mag += Math.abs(xv * wv);
              }
            }
          }
          let v = sum;
          let scale = mag;
          if (useBias) {
            v += <f64>load<f32>(bias + (<usize>f << 2));
            scale += Math.abs(<f64>load<f32>(bias + (<usize>f << 2)));
          }
          if (useAffine) {
            const g = <f64>load<f32>(gamma + (<usize>f << 2));
            v = g * v + <f64>load<f32>(beta + (<usize>f << 2));
            scale = Math.abs(g) * scale + Math.abs(<f64>load<f32>(beta + (<usize>f << 2)));
          }
          if (relu != 0) v = v >= 0 ? v : 0;
          const got = <f64>load<f32>(a + (<usize>(((s * nf + f) * onr + oy) * onc + ox) << 2));
          const e = Math.abs(got - v) / (scale + 1e-30);
          if (!(e <= worst)) worst = e; // NaN (an output never written) counts as the worst
          if (relu != 0) expect(got >= 0).toBe(true);
        }
      }
    }
  }
  if (!(worst <= lastWorst)) lastWorst = worst;
  expect(worst).toBeLessThanOrEqual(1e-5);
  heap.free(x); heap.free(w); heap.free(a); heap.free(U); heap.free(scratch);
  if (bias) heap.free(bias);
  if (gamma) { heap.free(gamma); heap.free(beta); }
}

describe("wino42s2_con (polyphase Winograd F(4x4,2x2)) vs direct stride-2 3x3 convolution", () => {
  it("the face ResNet's layers: 32 -> 64 on 35x35, 64 -> 128 on 17x17, affine + relu and none", () => {
    variant = 4;
    check(1, 32, 35, 35, 64, true, true, 1);
    check(1, 32, 35, 35, 64, false, false, 0);
    report();
    check(1, 64, 17, 17, 64, true, true, 1);
    check(1, 64, 17, 17, 8, false, false, 0);
    report();
  });
  it("sizes 16x16, 9x9, 7x6, k = 3 and 32, nf = 8 and 64, epilogues on/off", () => {
    variant = 4;
    check(1, 32, 16, 16, 64, true, false, 0);
    check(1, 3, 16, 16, 8, false, true, 1);
    check(1, 32, 9, 9, 8, true, true, 0);
    check(1, 3, 9, 9, 64, false, false, 1);
    check(1, 32, 7, 6, 64, true, true, 1);
    check(1, 3, 7, 6, 8, true, false, 0);
    check(1, 3, 35, 35, 8, false, true, 0);
    report();
  });
  it("n = 2, filters not a multiple of 8 or 4, channels not a multiple of 4", () => {
    variant = 4;
    check(2, 32, 35, 35, 8, true, true, 1);
    check(2, 3, 17, 17, 64, false, false, 0);
    check(2, 32, 16, 16, 8, true, false, 1);
    check(2, 3, 9, 9, 64, false, true, 0);
    check(2, 32, 7, 6, 8, true, true, 0);
    check(2, 5, 11, 13, 6, true, true, 1);
    check(1, 7, 3, 3, 13, true, false, 0); // 1x1 output
    check(2, 32, 17, 17, 3, false, true, 1);
    report();
  });
});

describe("wino32s2_con (polyphase Winograd F(3x3,2x2)) vs direct stride-2 3x3 convolution", () => {
  it("(F(3x3)) the face ResNet's layers: 32 -> 64 on 35x35, 64 -> 128 on 17x17, affine + relu and none", () => {
    variant = 3;
    check(1, 32, 35, 35, 64, true, true, 1);
    check(1, 32, 35, 35, 64, false, false, 0);
    report();
    check(1, 64, 17, 17, 64, true, true, 1);
    check(1, 64, 17, 17, 8, false, false, 0);
    report();
  });
  it("sizes 16x16, 9x9, 7x6, k = 3 and 32, nf = 8 and 64, epilogues on/off", () => {
    variant = 3;
    check(1, 32, 16, 16, 64, true, false, 0);
    check(1, 3, 16, 16, 8, false, true, 1);
    check(1, 32, 9, 9, 8, true, true, 0);
    check(1, 3, 9, 9, 64, false, false, 1);
    check(1, 32, 7, 6, 64, true, true, 1);
    check(1, 3, 7, 6, 8, true, false, 0);
    check(1, 3, 35, 35, 8, false, true, 0);
    report();
  });
  it("n = 2, filters not a multiple of 8 or 4, channels not a multiple of 4", () => {
    variant = 3;
    check(2, 32, 35, 35, 8, true, true, 1);
    check(2, 3, 17, 17, 64, false, false, 0);
    check(2, 32, 16, 16, 8, true, false, 1);
    check(2, 3, 9, 9, 64, false, true, 0);
    check(2, 32, 7, 6, 8, true, true, 0);
    check(2, 5, 11, 13, 6, true, true, 1);
    check(1, 7, 3, 3, 13, true, false, 0); // 1x1 output
    check(2, 32, 17, 17, 3, false, true, 1);
    report();
  });
});
