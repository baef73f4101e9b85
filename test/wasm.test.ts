import { test } from "node:test";
import assert from "node:assert/strict";
import { createKernels, WasmOutOfMemoryError } from "../src/nn/wasm.ts";
import { fillRgbInput, fillRgbInputKernel, winoWeightsPacked } from "../src/nn/runtime.ts";
import type { InputModel } from "../src/dlib/model.ts";

test("kernel module loads and the arena allocates, grows and frees", async () => {
  const k = await createKernels();
  const a = k.arena;
  const p1 = a.alloc(100);
  assert.equal(p1 % 16, 0);
  const p2 = a.alloc(4 << 20); // forces growth
  assert.ok(k.exports.memory.buffer.byteLength >= p2 + (4 << 20));
  a.release(p1);
  const p3 = a.alloc(64);
  assert.equal(p3, p1, "first fit reuses the freed block");
  const relu = k.fn<(x: number, n: number, o: number) => void>("relu");
  const x = a.f32(p2, 5);
  x.set([-1, 2, -3, 4, 0.5]);
  relu(p2, 5, p2);
  assert.deepEqual(Array.from(a.f32(p2, 5)), [0, 2, 0, 4, 0.5]);
});

test("arena: memory grows ahead in large steps, never past the limit or short of a request; extend grows a block in place", async () => {
  const MiB = 1 << 20;
  const k = await createKernels({ maxMemoryBytes: 40 * MiB + 1000 }); // a limit that is not a whole page
  const a = k.arena;
  const p = a.alloc(MiB);
  const before = k.exports.memory.buffer.byteLength;
  const big = a.alloc(10 * MiB);
  const after = k.exports.memory.buffer.byteLength;
  assert.ok(after >= big + 10 * MiB, "the memory holds the block");
  assert.ok(after - before >= 8 * MiB, "grown by at least 8 MiB at a time");
  assert.ok(a.highWater === big + 10 * MiB, "highWater is the top, not the reserved size");
  // up to the limit's last partial page: the request is met (the old rounding could come a page short)
  const rest = 40 * MiB + 1000 - (big + 10 * MiB) - 16;
  const last = a.alloc(rest);
  assert.ok(k.exports.memory.buffer.byteLength >= last + rest);
  new Uint8Array(k.exports.memory.buffer, last + rest - 1, 1)[0] = 7; // in bounds
  assert.throws(() => a.alloc(64), WasmOutOfMemoryError);
  a.release(last);
  // extend: at the top in place; into the free block after it; refused when a live block follows
  assert.ok(a.extend(big, 12 * MiB));
  const after2 = a.alloc(64);
  assert.equal(a.extend(big, 13 * MiB), false, "a live block right after it");
  a.release(after2);
  const small = a.alloc(MiB);
  const blocker = a.alloc(16);
  a.release(small);
  const q = a.alloc(256 * 1024); // takes the front of the freed MiB
  assert.ok(a.extend(q, 512 * 1024), "into the free block after it");
  assert.equal(a.alloc(512 * 1024), q + 512 * 1024, "the rest of the hole is still free");
  void p; void blocker;
});

test("rgb_input kernel (in place in the input tensor) = the JS reference, bit for bit", async () => {
  const k = await createKernels();
  const input: InputModel = { kind: "input", type: "input_rgb_image_sized", version: "input_rgb_image_sized", avgRed: 122.782, avgGreen: 117.001, avgBlue: 104.298, nr: 7, nc: 5 };
  let seed = 1;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 255;
  for (const [nr, nc, n] of [[7, 5, 3], [150, 150, 2], [1, 1, 1]]) {
    const images = Array.from({ length: n }, () => ({ width: nc, height: nr, data: Uint8Array.from({ length: nr * nc * 3 }, rnd) }));
    images[0].data[0] = 0; images[0].data[1] = 255;
    const ptr = k.arena.allocF32(n * 3 * nr * nc);
    fillRgbInputKernel(k, ptr, input, images, nr, nc);
    const want = new Float32Array(n * 3 * nr * nc);
    fillRgbInput(want, input, images, nr, nc);
    assert.deepEqual(Array.from(k.arena.f32(ptr, want.length)), Array.from(want), `${n}x${nr}x${nc}`);
    k.arena.release(ptr);
  }
});

for (const [m, nxi] of [[2, 16], [3, 25], [6, 64]]) {
  test(`wino${m}_weights_packed (4 filters per vector, 4- or 8-filter blocks, whole or in parts) = wino${m}_weights + wino_pack_u, bit for bit`, async () => {
    const k = await createKernels();
    let seed = 7;
    const rnd = () => { seed = (seed * 1103515245 + 12345) >>> 0; return (seed / 2 ** 32 - 0.5) * Math.pow(2, (seed & 31) - 16); };
    for (const [nf, c] of [[4, 1], [8, 3], [12, 5], [16, 16], [64, 33], [128, 128]]) {
      const f = k.arena.allocF32(nf * c * 9), d = k.arena.allocF32(nxi * nf * c), d2 = k.arena.allocF32(nxi * nf * c), tmp = k.arena.allocF32(nf * c);
      const fa = k.arena.f32(f, nf * c * 9);
      for (let i = 0; i < fa.length; i++) fa[i] = rnd();
      k.fn<(...a: number[]) => void>(`wino${m}_weights_packed`)(f, nf, c, d);
      k.fn<(...a: number[]) => void>(`wino${m}_weights`)(f, nf, c, d2);
      k.fn<(...a: number[]) => void>("wino_pack_u")(d2, nxi, nf, c, tmp);
      const A = k.arena.f32(d, nxi * nf * c), B = k.arena.f32(d2, nxi * nf * c);
      for (let i = 0; i < A.length; i++) if (!Object.is(A[i], B[i])) assert.fail(`nf ${nf} k ${c}: value ${i} ${A[i]} vs ${B[i]}`);
      // and made in parts (winoWeightsPacked: what the bake and the plans call)
      const d3 = k.arena.allocF32(nxi * nf * c);
      winoWeightsPacked(k, m as 2 | 3 | 6, f, nf, c, d3);
      const C = k.arena.f32(d3, nxi * nf * c);
      for (let i = 0; i < A.length; i++) if (!Object.is(A[i], C[i])) assert.fail(`in parts, nf ${nf} k ${c}: value ${i} ${C[i]} vs ${A[i]}`);
      k.arena.release(d3);
      for (const p of [f, d, d2, tmp]) k.arena.release(p);
    }
  });
}
