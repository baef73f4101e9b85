import { test } from "node:test";
import assert from "node:assert/strict";
import { createKernels } from "../src/nn/wasm.ts";

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
