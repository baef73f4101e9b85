import { sp_accumulate, sp_accumulate_ref, sp_cascade } from "../shape_predictor";

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

describe("sp_cascade", () => {
  it("walks every tree like the scalar rule and accumulates the chosen leaves", () => {
    const dim = 10;
    const nfeat = 8;
    const ntrees = 7;
    const depth = 3; // 7 splits, 8 leaves per tree
    const ns = (1 << depth) - 1;
    const nl = ns + 1;
    const feats = heap.alloc(<usize>nfeat << 2);
    for (let i = 0; i < nfeat; i++) store<f32>(feats + (<usize>i << 2), <f32>((i * 53) % 256));
    const idx1 = heap.alloc(<usize>(ntrees * ns) << 2);
    const idx2 = heap.alloc(<usize>(ntrees * ns) << 2);
    const thr = heap.alloc(<usize>(ntrees * ns) << 2);
    for (let k = 0; k < ntrees * ns; k++) {
      store<u32>(idx1 + (<usize>k << 2), <u32>((k * 3) % nfeat));
      store<u32>(idx2 + (<usize>k << 2), <u32>((k * 5 + 1) % nfeat));
      // some thresholds equal to the difference exactly (must go right: strictly greater goes left)
      const a = load<f32>(feats + (<usize>((k * 3) % nfeat) << 2));
      const b = load<f32>(feats + (<usize>((k * 5 + 1) % nfeat) << 2));
      store<f32>(thr + (<usize>k << 2), k % 3 == 0 ? a - b : <f32>((k * 37) % 200) - 100);
    }
    const so = heap.alloc(<usize>(ntrees + 1) << 2);
    const lo = heap.alloc(<usize>(ntrees + 1) << 2);
    for (let t = 0; t <= ntrees; t++) {
      store<u32>(so + (<usize>t << 2), <u32>(t * ns));
      store<u32>(lo + (<usize>t << 2), <u32>(t * nl));
    }
    const leaves = heap.alloc(<usize>(ntrees * nl * dim) << 2);
    fillF32(leaves, ntrees * nl * dim, 5);
    const shape = heap.alloc(<usize>dim << 2);
    const ref = heap.alloc(<usize>dim << 2);
    fillF32(shape, dim, 11);
    memory.copy(ref, shape, <usize>dim << 2);
    const idxOut = heap.alloc(<usize>ntrees << 2);
    sp_cascade(feats, idx1, idx2, thr, so, lo, ntrees, leaves, shape, dim, idxOut);
    // scalar oracle
    const want = heap.alloc(<usize>ntrees << 2);
    for (let t = 0; t < ntrees; t++) {
      let n = 0;
      while (n < ns) {
        const k = t * ns + n;
        const a = load<f32>(feats + (<usize>load<u32>(idx1 + (<usize>k << 2)) << 2));
        const b = load<f32>(feats + (<usize>load<u32>(idx2 + (<usize>k << 2)) << 2));
        if (a - b > load<f32>(thr + (<usize>k << 2))) n = 2 * n + 1;
        else n = 2 * n + 2;
      }
      store<i32>(want + (<usize>t << 2), t * nl + n - ns);
      expect(load<i32>(idxOut + (<usize>t << 2))).toBe(t * nl + n - ns);
    }
    sp_accumulate_ref(ref, leaves, want, ntrees, dim);
    for (let j = 0; j < dim; j++) {
      expect(reinterpret<u32>(load<f32>(shape + (<usize>j << 2)))).toBe(reinterpret<u32>(load<f32>(ref + (<usize>j << 2))));
    }
  });
});
