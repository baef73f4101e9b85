import { max_pool, max_pool_ref, avg_pool, avg_pool_ref, avg_pool_everything, avg_pool_everything_ref, pool_out_size } from "../pool";

let seed: u32 = 4242;
function rnd(): f32 {
  seed = seed * 1664525 + 1013904223;
  return <f32>(seed >> 8) / <f32>16777216.0 * 2.0 - 1.0;
}
function randBuf(n: i32): usize {
  const p = heap.alloc(<usize>max(n, 1) << 2);
  for (let i = 0; i < n; i++) store<f32>(p + (<usize>i << 2), rnd());
  return p;
}

// pooling does the same f32 operations in the same order in both versions: results must be identical
function checkPool(n: i32, k: i32, nr: i32, nc: i32, wr: i32, wc: i32, sy: i32, sx: i32, py: i32, px: i32): void {
  const x = randBuf(n * k * nr * nc);
  const len = n * k * pool_out_size(nr, wr, sy, py) * pool_out_size(nc, wc, sx, px);
  const a = heap.alloc(<usize>len << 2), b = heap.alloc(<usize>len << 2);
  max_pool(x, n, k, nr, nc, wr, wc, sy, sx, py, px, a);
  max_pool_ref(x, n, k, nr, nc, wr, wc, sy, sx, py, px, b);
  for (let i = 0; i < len; i++) expect(load<f32>(a + (<usize>i << 2))).toBe(load<f32>(b + (<usize>i << 2)));
  avg_pool(x, n, k, nr, nc, wr, wc, sy, sx, py, px, a);
  avg_pool_ref(x, n, k, nr, nc, wr, wc, sy, sx, py, px, b);
  for (let i = 0; i < len; i++) expect(load<f32>(a + (<usize>i << 2))).toBe(load<f32>(b + (<usize>i << 2)));
}

describe("pooling fast vs ref", () => {
  it("3x3 stride 2 (face ResNet max_pool) and 2x2 stride 2 (res_down avg_pool)", () => {
    checkPool(1, 3, 15, 15, 3, 3, 2, 2, 0, 0);
    checkPool(1, 5, 35, 35, 2, 2, 2, 2, 0, 0);
  });
  it("padding 1/2/3 with clipping, non-square windows", () => {
    checkPool(2, 3, 5, 7, 3, 3, 1, 1, 1, 1);
    checkPool(1, 5, 7, 6, 5, 3, 2, 1, 2, 1);
    checkPool(1, 3, 9, 9, 4, 4, 3, 3, 3, 2);
  });
  it("avg of a clipped corner window counts only the inside", () => {
    const x = heap.alloc(4 * 4);
    store<f32>(x, 1); store<f32>(x, 2, 4); store<f32>(x, 3, 8); store<f32>(x, 5, 12); // 2x2 plane
    const o = heap.alloc(4 * 4);
    avg_pool(x, 1, 1, 2, 2, 3, 3, 1, 1, 1, 1, o); // 2x2 output, each window covers the whole plane
    expect(load<f32>(o)).toBe(<f32>2.75);
    max_pool(x, 1, 1, 2, 2, 3, 3, 1, 1, 1, 1, o);
    expect(load<f32>(o, 12)).toBe(<f32>5);
  });
  it("max keeps dlib's comparison semantics: a leading NaN stays, a later NaN is skipped", () => {
    const x = heap.alloc(16 * 4);
    for (let i = 0; i < 16; i++) store<f32>(x + (<usize>i << 2), <f32>i);
    store<f32>(x, NaN);       // plane 4x4, window 2x2 stride 2: output (0,0) starts with NaN
    store<f32>(x, NaN, 3 * 4); // output (0,1) meets NaN after 2
    const a = heap.alloc(4 * 4), b = heap.alloc(4 * 4);
    max_pool(x, 1, 1, 4, 4, 2, 2, 2, 2, 0, 0, a);
    max_pool_ref(x, 1, 1, 4, 4, 2, 2, 2, 2, 0, 0, b);
    expect(isNaN(load<f32>(a))).toBe(true);
    expect(isNaN(load<f32>(b))).toBe(true);
    expect(load<f32>(a, 4)).toBe(<f32>7); // window {2, NaN, 6, 7}
    expect(load<f32>(b, 4)).toBe(<f32>7);
  });
  it("3x3 stride 2 without padding (split-row path): same bits as the oracle, with +-0 ties and NaNs", () => {
    const sizes: i32[] = [72, 72, 73, 71, 16, 9, 3, 3, 4, 5, 9, 41];
    for (let t = 0; t < sizes.length; t += 2) {
      const nr = sizes[t], nc = sizes[t + 1], n = 2, k = 3;
      const cnt = n * k * nr * nc;
      const x = randBuf(cnt);
      for (let i = 0; i < cnt; i++) {
        // rounded to a few levels so that windows have ties; zeros of both signs; a few NaNs
        let v = Mathf.floor(load<f32>(x + (<usize>i << 2)) * 2);
        if (v == 0 && (i & 1) != 0) v = -0.0;
        if (i % 97 == 5) v = NaN;
        store<f32>(x + (<usize>i << 2), v);
      }
      const len = n * k * pool_out_size(nr, 3, 2, 0) * pool_out_size(nc, 3, 2, 0);
      const a = heap.alloc(<usize>len << 2), b = heap.alloc(<usize>len << 2);
      max_pool(x, n, k, nr, nc, 3, 3, 2, 2, 0, 0, a);
      max_pool_ref(x, n, k, nr, nc, 3, 3, 2, 2, 0, 0, b);
      let diff = 0;
      for (let i = 0; i < len; i++) if (load<u32>(a + (<usize>i << 2)) != load<u32>(b + (<usize>i << 2))) diff++;
      expect(diff).toBe(0);
      heap.free(x); heap.free(a); heap.free(b);
    }
  });
  it("avg_pool 2x2 stride 2 without padding (split-row path): same bits as the oracle, -0 included", () => {
    const sizes: i32[] = [8, 8, 4, 4, 2, 2, 17, 17, 35, 35, 9, 20, 3, 5];
    for (let t = 0; t < sizes.length; t += 2) {
      const nr = sizes[t], nc = sizes[t + 1], n = 2, k = 3;
      const cnt = n * k * nr * nc;
      const x = randBuf(cnt);
      for (let i = 0; i < cnt; i++) if (i % 5 == 0) store<f32>(x + (<usize>i << 2), -0.0);
      const len = n * k * pool_out_size(nr, 2, 2, 0) * pool_out_size(nc, 2, 2, 0);
      const a = heap.alloc(<usize>len << 2), b = heap.alloc(<usize>len << 2);
      avg_pool(x, n, k, nr, nc, 2, 2, 2, 2, 0, 0, a);
      avg_pool_ref(x, n, k, nr, nc, 2, 2, 2, 2, 0, 0, b);
      let diff = 0;
      for (let i = 0; i < len; i++) if (load<u32>(a + (<usize>i << 2)) != load<u32>(b + (<usize>i << 2))) diff++;
      expect(diff).toBe(0);
      heap.free(x); heap.free(a); heap.free(b);
    }
  });
  it("avg_pool_everything", () => {
    const x = randBuf(2 * 7 * 4 * 3);
    const a = heap.alloc(14 * 4), b = heap.alloc(14 * 4);
    avg_pool_everything(x, 2, 7, 4, 3, a);
    avg_pool_everything_ref(x, 2, 7, 4, 3, b);
    for (let i = 0; i < 14; i++) expect(load<f32>(a + (<usize>i << 2))).toBe(load<f32>(b + (<usize>i << 2)));
  });
});
