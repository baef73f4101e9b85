import {
  relu, relu_ref, affine_conv_relu, affine_conv_relu_ref, multiply, multiply_ref, affine_conv, affine_conv_ref, affine_fc, affine_fc_ref,
  bn_inference_conv, bn_inference_conv_ref, bn_inference_fc, bn_inference_fc_ref, softmax, softmax_ref,
  add_prev, add_prev_ref, add_prev_relu, copy, copy_ref, concat_channels, concat_channels_ref,
} from "../elementwise";

let seed: u32 = 99;
function rnd(): f32 {
  seed = seed * 1664525 + 1013904223;
  return <f32>(seed >> 8) / <f32>16777216.0 * 2.0 - 1.0;
}
function randBuf(n: i32): usize {
  const p = heap.alloc(<usize>max(n, 1) << 2);
  for (let i = 0; i < n; i++) store<f32>(p + (<usize>i << 2), rnd());
  return p;
}
// fast and ref kernels do the same f32 operations: demand identical bits
function same(a: usize, b: usize, len: i32): void {
  for (let i = 0; i < len; i++) expect(load<u32>(a + (<usize>i << 2))).toBe(load<u32>(b + (<usize>i << 2)));
}

describe("relu", () => {
  it("matches the scalar reference on an odd length", () => {
    const n = 37;
    const x = heap.alloc(n * 4);
    const a = heap.alloc(n * 4);
    const b = heap.alloc(n * 4);
    for (let i = 0; i < n; i++) store<f32>(x + (<usize>i << 2), <f32>(i % 7) - 3.5);
    relu(x, n, a);
    relu_ref(x, n, b);
    for (let i = 0; i < n; i++) {
      expect(load<f32>(a + (<usize>i << 2))).toBe(load<f32>(b + (<usize>i << 2)));
    }
    expect(load<f32>(a)).toBe(<f32>0);
    expect(load<f32>(a + 16)).toBe(<f32>0.5);
    // dlib's lowerbound(x, 0): NaN -> 0, -0 stays -0 (both versions, vector and scalar lanes)
    for (let i = 0; i < 6; i++) store<f32>(x + (<usize>i << 2), i % 2 == 0 ? NaN : -0.0);
    relu(x, 6, a);
    relu_ref(x, 6, b);
    for (let i = 0; i < 6; i++) {
      expect(load<u32>(a + (<usize>i << 2))).toBe(i % 2 == 0 ? 0 : 0x80000000);
      expect(load<u32>(b + (<usize>i << 2))).toBe(i % 2 == 0 ? 0 : 0x80000000);
    }
  });
});

describe("element-wise kernels, fast vs ref (bit-identical)", () => {
  const n = 2, k = 5, plane = 3 * 7, len = n * k * plane;
  it("multiply, affine conv/fc, bn conv/fc", () => {
    const x = randBuf(len), a = heap.alloc(<usize>len << 2), b = heap.alloc(<usize>len << 2);
    multiply(x, len, 0.37, a); multiply_ref(x, len, 0.37, b); same(a, b, len);
    const g = randBuf(k * plane), be = randBuf(k * plane), m = randBuf(k * plane), v = randBuf(k * plane);
    for (let i = 0; i < k * plane; i++) store<f32>(v + (<usize>i << 2), Mathf.abs(load<f32>(v + (<usize>i << 2))) + 0.01);
    affine_conv(x, n, k, plane, g, be, a); affine_conv_ref(x, n, k, plane, g, be, b); same(a, b, len);
    affine_fc(x, n, k * plane, g, be, a); affine_fc_ref(x, n, k * plane, g, be, b); same(a, b, len);
    affine_conv_relu(x, n, k, plane, g, be, a); affine_conv_relu_ref(x, n, k, plane, g, be, b); same(a, b, len);
    bn_inference_conv(x, n, k, plane, g, be, m, v, 0.0001, a); bn_inference_conv_ref(x, n, k, plane, g, be, m, v, 0.0001, b); same(a, b, len);
    bn_inference_fc(x, n, k * plane, g, be, m, v, 0.0001, a); bn_inference_fc_ref(x, n, k * plane, g, be, m, v, 0.0001, b); same(a, b, len);
    // in place equals out of place
    memory.copy(a, x, <usize>len << 2);
    affine_conv(a, n, k, plane, g, be, a); affine_conv_ref(x, n, k, plane, g, be, b); same(a, b, len);
  });
  it("softmax over channels sums to 1 and matches ref", () => {
    const x = randBuf(len), a = heap.alloc(<usize>len << 2), b = heap.alloc(<usize>len << 2);
    softmax(x, n, k, plane, a); softmax_ref(x, n, k, plane, b); same(a, b, len);
    let s: f32 = 0;
    for (let c = 0; c < k; c++) s += load<f32>(a + (<usize>(c * plane + 4) << 2));
    expect(Mathf.abs(s - 1)).toBeLessThan(<f32>1e-6);
  });
  it("add_prev with equal and with different shapes", () => {
    const x = randBuf(len), y = randBuf(len), a = heap.alloc(<usize>len << 2), b = heap.alloc(<usize>len << 2);
    add_prev(x, n, k, 3, 7, y, n, k, 3, 7, a); add_prev_ref(x, n, k, 3, 7, y, n, k, 3, 7, b); same(a, b, len);
    // [1][2][3][3] + [1][1][4][4] -> [1][2][4][4]
    const p = randBuf(18), q = randBuf(16), o = heap.alloc(32 * 4);
    add_prev(p, 1, 2, 3, 3, q, 1, 1, 4, 4, o);
    expect(load<f32>(o)).toBe(load<f32>(p) + load<f32>(q));
    expect(load<f32>(o, 3 * 4)).toBe(load<f32>(q, 3 * 4));            // (k0, r0, c3): only q
    expect(load<f32>(o, 5 * 4)).toBe(load<f32>(p, 4 * 4) + load<f32>(q, 5 * 4)); // (k0, r1, c1)
    expect(load<f32>(o, 16 * 4)).toBe(load<f32>(p, 9 * 4));           // (k1, r0, c0): only p
    expect(load<f32>(o, 31 * 4)).toBe(<f32>0);                         // (k1, r3, c3): neither
    // a -0 that meets a missing entry becomes +0 (dlib computes 0 + v)
    store<f32>(q, -0.0, 3 * 4);
    add_prev(p, 1, 2, 3, 3, q, 1, 1, 4, 4, o);
    expect(load<u32>(o, 3 * 4)).toBe(0);
    add_prev_ref(p, 1, 2, 3, 3, q, 1, 1, 4, 4, o);
    expect(load<u32>(o, 3 * 4)).toBe(0);
  });
  it("add_prev_relu = add_prev_ref then relu_ref, bit for bit (equal and different shapes, NaN, -0, in place)", () => {
    const x = randBuf(len), y = randBuf(len), a = heap.alloc(<usize>len << 2), b = heap.alloc(<usize>len << 2);
    store<f32>(x, NaN, 4); store<f32>(x, -0.0, 8); store<f32>(y, -0.0, 8); store<f32>(x, 0.25, 12); store<f32>(y, -0.25, 12);
    add_prev_relu(x, n, k, 3, 7, y, n, k, 3, 7, a);
    add_prev_ref(x, n, k, 3, 7, y, n, k, 3, 7, b); relu_ref(b, len, b);
    same(a, b, len);
    expect(load<u32>(a, 4)).toBe(0); // NaN -> +0
    expect(load<u32>(a, 8)).toBe(0x80000000); // -0 + -0 = -0, kept (-0 >= 0)
    expect(load<u32>(a, 12)).toBe(0); // 0.25 - 0.25 = +0
    // in place over the first input
    const c = heap.alloc(<usize>len << 2);
    memory.copy(c, x, <usize>len << 2);
    add_prev_relu(c, n, k, 3, 7, y, n, k, 3, 7, c);
    same(c, b, len);
    // [1][2][3][3] + [1][1][4][4] -> [1][2][4][4]
    const p = randBuf(18), q = randBuf(16), o = heap.alloc(32 * 4), r = heap.alloc(32 * 4);
    add_prev_relu(p, 1, 2, 3, 3, q, 1, 1, 4, 4, o);
    add_prev_ref(p, 1, 2, 3, 3, q, 1, 1, 4, 4, r); relu_ref(r, 32, r);
    same(o, r, 32);
  });
  it("copy and concat_channels", () => {
    const x = randBuf(len), a = heap.alloc(<usize>len << 2), b = heap.alloc(<usize>len << 2);
    copy(x, len, a); copy_ref(x, len, b); same(a, b, len);
    const d1 = heap.alloc(<usize>(n * 9 * plane) << 2), d2 = heap.alloc(<usize>(n * 9 * plane) << 2);
    memory.fill(d1, 0, <usize>(n * 9 * plane) << 2); memory.fill(d2, 0, <usize>(n * 9 * plane) << 2);
    concat_channels(x, n, k, plane, d1, 9, 3); concat_channels_ref(x, n, k, plane, d2, 9, 3); same(d1, d2, n * 9 * plane);
    expect(load<f32>(d1 + (<usize>(3 * plane) << 2))).toBe(load<f32>(x));
  });
});
