// Element-wise kernels. Every fast kernel has a scalar `_ref` twin used as the oracle in tests.

/** out[i] = max(0, x[i]) for i < len. `out` may equal `x`. */
export function relu(x: usize, len: i32, out: usize): void {
  let i = 0;
  const z = f32x4.splat(0);
  for (; i + 4 <= len; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.max(v128.load(x + o), z));
  }
  for (; i < len; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o);
    store<f32>(out + o, v > 0 ? v : 0);
  }
}

export function relu_ref(x: usize, len: i32, out: usize): void {
  for (let i = 0; i < len; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o);
    store<f32>(out + o, v > 0 ? v : 0);
  }
}
