import { sp_accumulate, sp_accumulate_ref } from "../shape_predictor";

/** Deterministic awkward float32 values (mixed magnitudes and signs, so additions round). */
function fillF32(p: usize, n: i32, seed: u32): void {
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = s * 1664525 + 1013904223;
    const m = <f32>(<i32>(s >> 8) - 0x800000) / <f32>0x800000;
    store<f32>(p + (<usize>i << 2), m * <f32>Math.pow(10, <f64>((s & 7) as i32) - 4));
  }
}

describe("sp_accumulate", () => {
  it("equals the scalar loop bit for bit (dims 136, 10, 7, 1)", () => {
    const dims: i32[] = [136, 10, 7, 1];
    for (let d = 0; d < dims.length; d++) {
      const dim = dims[d];
      const nleaves = 40;
      const ntrees = 25;
      const leaves = heap.alloc(<usize>(nleaves * dim) << 2);
      fillF32(leaves, nleaves * dim, 7 + <u32>dim);
      const idx = heap.alloc(<usize>ntrees << 2);
      for (let t = 0; t < ntrees; t++) store<i32>(idx + (<usize>t << 2), (t * 17 + 3) % nleaves);
      const a = heap.alloc(<usize>dim << 2);
      const b = heap.alloc(<usize>dim << 2);
      fillF32(a, dim, 99);
      memory.copy(b, a, <usize>dim << 2);
      sp_accumulate(a, leaves, idx, ntrees, dim);
      sp_accumulate_ref(b, leaves, idx, ntrees, dim);
      for (let j = 0; j < dim; j++) {
        expect(reinterpret<u32>(load<f32>(a + (<usize>j << 2)))).toBe(reinterpret<u32>(load<f32>(b + (<usize>j << 2))));
      }
    }
  });
});
