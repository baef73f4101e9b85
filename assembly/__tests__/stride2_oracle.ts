// Shared by the stride-2 Winograd specs (winograd_s2, winograd_s2k3): random inputs and the scalar f64 oracle, a direct
// stride-2 unpadded convolution with the conv epilogue.

let seed: u32 = 4242;
/** Restart the random sequence (each spec file its own seed). */
export function seedRandom(s: u32): void {
  seed = s;
}
function rnd(): f32 {
  seed = seed * 1664525 + 1013904223;
  return <f32>(seed >> 8) / <f32>16777216.0 * 2.0 - 1.0;
}
/** n random floats in [-1, 1) on the heap (at least one float allocated). */
export function randBuf(n: i32): usize {
  const p = heap.alloc(<usize>max(n, 1) << 2);
  for (let i = 0; i < n; i++) store<f32>(p + (<usize>i << 2), rnd());
  return p;
}

// worst |wino - direct| / (|gamma| * sum of |products| + |beta|) of the checks since the last report
let lastWorst: f64 = 0;
/** Log the worst error since the last report. */
export function report(): void {
  log<f64>(lastWorst);
  lastWorst = 0;
}

/**
 * Compare `a` (n x nf x onr x onc, onr = (nr - fnr)/2 + 1) with the f64 direct stride-2 unpadded convolution of
 * x (n x k x nr x nc) by w (nf x k x fnr x fnc), + bias, gamma * v + beta, relu (0 = absent): the worst error
 * relative to |gamma| * (sum of |products| + |bias|) + |beta| must be <= 1e-5 (a NaN, an output never written,
 * counts as the worst), and relu outputs >= 0.
 */
export function expectDirect(
  a: usize, x: usize, w: usize, n: i32, k: i32, nr: i32, nc: i32, nf: i32, fnr: i32, fnc: i32,
  bias: usize, gamma: usize, beta: usize, relu: i32,
): void {
  const onr = (nr - fnr) / 2 + 1, onc = (nc - fnc) / 2 + 1;
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
          if (bias) {
            v += <f64>load<f32>(bias + (<usize>f << 2));
            scale += Math.abs(<f64>load<f32>(bias + (<usize>f << 2)));
          }
          if (gamma) {
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
}

/** Inputs of one check: x, w and the epilogue parameters (0 when unused), random; `free()` releases them. */
export class Stride2Case {
  x: usize; w: usize; bias: usize; gamma: usize; beta: usize; out: usize; outLen: i32;
  constructor(n: i32, k: i32, nr: i32, nc: i32, nf: i32, fnr: i32, fnc: i32, useBias: bool, useAffine: bool) {
    this.x = randBuf(n * k * nr * nc);
    this.w = randBuf(nf * k * fnr * fnc);
    this.bias = useBias ? randBuf(nf) : 0;
    this.gamma = useAffine ? randBuf(nf) : 0;
    this.beta = useAffine ? randBuf(nf) : 0;
    this.outLen = n * nf * ((nr - fnr) / 2 + 1) * ((nc - fnc) / 2 + 1);
    this.out = heap.alloc(<usize>this.outLen << 2);
    for (let i = 0; i < this.outLen; i++) store<f32>(this.out + (<usize>i << 2), NaN);
  }
  free(): void {
    heap.free(this.x); heap.free(this.w); heap.free(this.out);
    if (this.bias) heap.free(this.bias);
    if (this.gamma) { heap.free(this.gamma); heap.free(this.beta); }
  }
}
