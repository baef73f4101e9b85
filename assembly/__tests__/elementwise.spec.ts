import { relu, relu_ref } from "../elementwise";

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
  });
});
