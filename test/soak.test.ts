/**
 * Fast soak and concurrency checks (the long run: `node --expose-gc --import tsx bench/soak.ts`, 10k descriptors):
 * descriptors one after another in one process with RSS and wasm memory flat after warm-up and every repeat
 * bit-identical; a second network instance gives the same bits; the worker pool and the Cloudflare Workers
 * example (workerd via miniflare, models in R2) under 32 concurrent requests, each answer bit-identical to the
 * sequential one.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import v8 from "node:v8";
import vm from "node:vm";
import { chips, fx, poolConcurrency, resnetBytes, RESNET, ROOT, sequential, soakDescriptors, workerConcurrency } from "../bench/soak.ts";
import { loadNetwork, type Network } from "../src/nn/network.ts";
import { hasFixtures, inCI } from "./fixtures.ts";

// a real gc() for stable memory samples
if (typeof (globalThis as { gc?: unknown }).gc !== "function") {
  v8.setFlagsFromString("--expose-gc");
  (globalThis as { gc?: unknown }).gc = vm.runInNewContext("gc");
}

let shared: Promise<{ bytes: Uint8Array; net: Network; inputs: ReturnType<typeof chips>; ref: string[] }> | null = null;
function setup() {
  shared ??= (async () => {
    const bytes = await resnetBytes();
    const net = await loadNetwork(bytes, { type: RESNET, name: "resnet_v1_faceapi_q8_affine.dat" });
    const inputs = chips(16);
    return { bytes, net, inputs, ref: await sequential(net, inputs) };
  })();
  return shared;
}

test("soak: 450 descriptors in one process, RSS and wasm memory flat after warm-up, repeats bit-identical", async (t) => {
  if (!hasFixtures()) return void t.skip("fixtures absent");
  const { net, inputs, ref } = await setup();
  const r = await soakDescriptors(net, inputs, 450, 150, 100);
  t.diagnostic(`${r.descriptors} descriptors, ${r.msPerDescriptor} ms each; RSS ${r.rssMiB.afterWarmup} -> ${r.rssMiB.end} MiB (max ${r.rssMiB.max}); wasm ${r.wasmMiB.afterWarmup} -> ${r.wasmMiB.end} MiB; arena live ${r.arenaLiveMiB.afterWarmup} -> ${r.arenaLiveMiB.end} MiB; heap ${r.heapMiB.afterWarmup} -> ${r.heapMiB.end} MiB`);
  assert.equal(r.mismatches, 0, "every repeat of an input gives the same bits");
  assert.ok(r.rssMiB.growth < 5, `RSS grew ${r.rssMiB.growth} MiB after warm-up`);
  assert.equal(r.wasmMiB.growth, 0, "wasm memory does not grow after warm-up");
  assert.equal(r.arenaLiveMiB.end, r.arenaLiveMiB.afterWarmup, "arena live bytes unchanged");
  assert.ok(r.heapMiB.end - r.heapMiB.afterWarmup < 2, "JS heap flat");
  // the soak's own first pass agrees with the sequential reference computed at setup
  const again = await sequential(net, inputs);
  assert.deepEqual(again, ref);
});

test("determinism: a second network instance (own kernels, own memory) gives the same bits", async (t) => {
  if (!hasFixtures()) return void t.skip("fixtures absent");
  const { bytes, inputs, ref } = await setup();
  const other = await loadNetwork(bytes, { type: RESNET, maxMemoryBytes: 512 << 20 });
  try {
    assert.deepEqual(await sequential(other, inputs), ref);
    assert.equal(new Set(ref).size, inputs.length, "the 16 inputs are different");
  } finally {
    other.dispose();
  }
});

test("worker pool: 2 x 32 concurrent one-image requests over 2 workers, each bit-identical to the calling thread", async (t) => {
  if (!hasFixtures()) return void t.skip("fixtures absent");
  const { bytes, inputs, ref } = await setup();
  const r = await poolConcurrency(bytes, inputs, ref, { size: 2, concurrency: 32, rounds: 2 });
  t.diagnostic(`${r.requests} requests in ${r.ms} ms, RSS ${r.rssMiB.join(" -> ")} MiB`);
  assert.deepEqual(r.errors, []);
  assert.equal(r.mismatches, 0);
});

test("examples/cloudflare-worker in workerd (miniflare): 32 concurrent POSTs, each identical to the sequential answer", async (t) => {
  if (!hasFixtures()) return void t.skip("fixtures absent");
  if (!existsSync(join(ROOT, "dist/entry/workerd.js")) || !existsSync(join(ROOT, "dist/kernels.wasm"))) {
    if (inCI) throw new Error("dist/ is not built (npm test builds it)");
    return void t.skip("dist/ not built");
  }
  const { bytes } = await setup();
  const r = await workerConcurrency([fx("images", "HiranoShow.png"), fx("images", "2009_004587.jpg")], bytes, { concurrency: 32, rounds: 1 });
  t.diagnostic(`${r.requests} concurrent requests in ${r.ms} ms; faces per image ${r.faces.join(", ")}`);
  assert.deepEqual(r.errors, []);
  assert.equal(r.mismatches, 0);
  assert.ok(r.faces[0] >= 1, "the reference answer has a face with its descriptor");
});
