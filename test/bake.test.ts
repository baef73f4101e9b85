/**
 * Networks with a fixed input size (input_rgb_image_sized) keep the filters of their Winograd F(2x2,3x3) layers
 * only in transformed form, made once in the parameter block before the first plan (Network.bakeWinograd).
 * Checked here against networks that keep dlib's filters (convOptions.bakeWinograd = false, the plans then
 * transform per layer): the same bits for every batch size and in traces, in each of the three ways the block can
 * be rearranged (grown at the top of the arena, into a free block after it, rebuilt in a new block), less wasm
 * memory, and typed errors (never a wrong answer) at tight memory limits.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { needFixture, readPngRgb, repoRoot } from "./fixtures.ts";
import { loadNetwork, type Network } from "../src/nn/network.ts";
import { convOptions } from "../src/nn/runtime.ts";
import { createKernels, WasmOutOfMemoryError, type Kernels } from "../src/nn/wasm.ts";
import { readSource } from "../src/dlib/source.ts";
import { parseNetDefinition } from "../src/dlib/netdef.ts";
import { WrongNetworkError } from "../src/errors.ts";
import type { RgbImage } from "../src/image/types.ts";

const MiB = 1 << 20;

async function load(bytes: Uint8Array, type: Parameters<typeof loadNetwork>[1]["type"], bake: boolean, kernels?: Kernels): Promise<Network> {
  const was = convOptions.bakeWinograd;
  convOptions.bakeWinograd = bake;
  try {
    const net = await loadNetwork(bytes, { type, kernels: kernels ?? (await createKernels()) });
    net.forwardSync([{ width: 150, height: 150, data: new Uint8Array(150 * 150 * 3) }]); // the first plan (bakes)
    return net;
  } finally {
    convOptions.bakeWinograd = was;
  }
}

function sameBits(a: Float32Array[], b: Float32Array[], what: string): void {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) {
    assert.equal(a[i].length, b[i].length, what);
    for (let j = 0; j < a[i].length; j++) {
      if (!Object.is(a[i][j], b[i][j])) assert.fail(`${what}: output ${i}[${j}] ${a[i][j]} vs ${b[i][j]}`);
    }
  }
}

async function chips(t: Parameters<typeof needFixture>[0]): Promise<RgbImage[] | null> {
  const out: RgbImage[] = [];
  for (const f of ["bald_guys_0.png", "bald_guys_1.png", "HiranoShow_0.png"]) {
    const p = needFixture(t, "golden", "chips", f);
    if (!p) return null;
    out.push(await readPngRgb(p));
  }
  return out;
}

test("face ResNet: baked Winograd filters give the same bits as per-plan transforms at batch 1, 2, 3 and in traces, with 14+ MiB less memory", async (t) => {
  const path = needFixture(t, "models", "resnet_v1_faceapi_q8_affine.dat.bz2");
  const cs = await chips(t);
  if (!path || !cs) return;
  const bytes = (await readSource(path)).bytes;
  const type = "dlib_face_recognition_resnet_model_v1";
  const plain = await load(bytes, type, false);
  const baked = await load(bytes, type, true);
  for (const n of [1, 2, 3]) sameBits(baked.forwardSync(cs.slice(0, n)).outputs, plain.forwardSync(cs.slice(0, n)).outputs, `batch ${n}`);
  const tb = baked.forwardSync([cs[0]], { trace: true }).trace![0].layers;
  const tp = plain.forwardSync([cs[0]], { trace: true }).trace![0].layers;
  assert.equal(tb.length, tp.length);
  for (let i = 0; i < tb.length; i++) assert.ok(Object.is(tb[i].sum, tp[i].sum) && Object.is(tb[i].sum_abs, tp[i].sum_abs), `trace layer ${tb[i].index} ${tb[i].type}`);
  // fresh instances, one plan each: the memory the weights take
  const kp = await createKernels(), kb = await createKernels();
  const p1 = await load(bytes, type, false, kp), b1 = await load(bytes, type, true, kb);
  const saved = kp.arena.liveBytes - kb.arena.liveBytes;
  t.diagnostic(`wasm memory in use after load + 1 descriptor: ${(kp.arena.liveBytes / MiB).toFixed(1)} MiB keeping dlib's filters, ${(kb.arena.liveBytes / MiB).toFixed(1)} MiB baked; high water ${(kp.arena.highWater / MiB).toFixed(1)} vs ${(kb.arena.highWater / MiB).toFixed(1)} MiB`);
  assert.ok(saved > 14 * MiB, `saves ${(saved / MiB).toFixed(1)} MiB`);
  assert.ok(kb.arena.highWater < kp.arena.highWater - 10 * MiB);
  // a baked network only takes its own input size (the layers' algorithms were fixed for it)
  assert.throws(() => b1.forwardTensor(1, 160, 160, () => {}), WrongNetworkError);
  for (const n of [plain, baked, p1, b1]) n.dispose();
});

test("bake: in place at the top of the arena, into a free block after the parameters, or in a new block: same bits", async (t) => {
  const path = needFixture(t, "models", "resnet_v1_faceapi_q8_affine.dat.bz2");
  const cs = await chips(t);
  if (!path || !cs) return;
  const bytes = (await readSource(path)).bytes;
  const type = "dlib_face_recognition_resnet_model_v1";
  const ref = await load(bytes, type, false);
  const want = ref.forwardSync(cs).outputs;
  const want1 = ref.forwardSync([cs[2]]).outputs; // (batch 1 runs the 35x35 layers by F(4x4): other bits)
  ref.dispose();
  for (const layout of ["top", "free block after", "new block"]) {
    const k = await createKernels();
    const net = await loadNetwork(bytes, { type, kernels: k });
    let other = 0;
    if (layout === "free block after") {
      const hole = k.arena.alloc(20 * MiB);
      other = k.arena.alloc(64);
      k.arena.release(hole);
    } else if (layout === "new block") {
      other = k.arena.alloc(64);
    }
    sameBits(net.forwardSync(cs).outputs, want, layout);
    sameBits(net.forwardSync([cs[2]]).outputs, want1, `${layout}, batch 1`);
    if (other) k.arena.release(other);
    net.dispose();
    assert.equal(k.arena.liveBytes, 0, `${layout}: everything released`);
  }
});

test("bake: the tiny fixed-input ResNet (8 to 24 channels) gives the same bits baked and not", async (t) => {
  const path = needFixture(t, "models", "tiny_resnet_metric_affine.dat");
  const cs = await chips(t);
  if (!path || !cs) return;
  const type = parseNetDefinition(readFileSync(join(repoRoot, "test", "nets", "tiny_resnet_metric.txt"), "utf8"));
  const bytes = new Uint8Array(readFileSync(path));
  const plain = await load(bytes, type, false);
  const baked = await load(bytes, type, true);
  for (const n of [1, 3]) sameBits(baked.forwardSync(cs.slice(0, n)).outputs, plain.forwardSync(cs.slice(0, n)).outputs, `batch ${n}`);
  plain.dispose();
  baked.dispose();
});

test("bake under tight wasm memory limits: a LimitError or the right answer, and nothing leaks", async (t) => {
  const path = needFixture(t, "models", "resnet_v1_faceapi_q8_affine.dat.bz2");
  const cs = await chips(t);
  if (!path || !cs) return;
  const bytes = (await readSource(path)).bytes;
  const type = "dlib_face_recognition_resnet_model_v1";
  const ref = await load(bytes, type, false);
  const want = ref.forwardSync([cs[0]]).outputs;
  ref.dispose();
  let ok = 0, refused = 0;
  for (const mib of [24, 30, 34, 36, 38, 42, 60]) {
    const k = await createKernels({ maxMemoryBytes: mib * MiB });
    let net: Network | null = null;
    try {
      net = await loadNetwork(bytes, { type, kernels: k });
      sameBits(net.forwardSync([cs[0]]).outputs, want, `limit ${mib} MiB`);
      ok++;
    } catch (e) {
      assert.ok(e instanceof WasmOutOfMemoryError, `limit ${mib} MiB: ${(e as Error).message}`);
      refused++;
    }
    net?.dispose();
    assert.equal(k.arena.liveBytes, 0, `limit ${mib} MiB: leak`);
  }
  t.diagnostic(`${ok} limits ran, ${refused} refused with WasmOutOfMemoryError`);
  assert.ok(ok >= 1 && refused >= 1);
});

test("a .dat path read in parallel pieces: several loads at once into one arena (the memory grows while reads are in flight) give the same bits as from bytes", async (t) => {
  const path = needFixture(t, "models", "resnet_v1_faceapi_q8_affine.dat.bz2");
  const cs = await chips(t);
  if (!path || !cs) return;
  const { mkdtempSync, writeFileSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const bytes = (await readSource(path)).bytes;
  const dir = mkdtempSync(join(tmpdir(), "dlib-face-dat-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const dat = join(dir, "resnet.dat");
  writeFileSync(dat, bytes);
  const type = "dlib_face_recognition_resnet_model_v1";
  const ref = await loadNetwork(bytes, { type, kernels: await createKernels() });
  const want = ref.forwardSync([cs[0]]).outputs;
  ref.dispose();
  const k = await createKernels();
  const nets = await Promise.all([0, 1, 2].map(() => loadNetwork(dat, { type, kernels: k })));
  for (const [i, n] of nets.entries()) sameBits(n.forwardSync([cs[0]]).outputs, want, `load ${i}`);
  for (const n of nets) n.dispose();
  assert.equal(k.arena.liveBytes, 0);
});

test("prepare(): the first forward after it allocates nothing and gives the same bits as without; bad sizes are typed errors", async (t) => {
  const path = needFixture(t, "models", "resnet_v1_faceapi_q8_affine.dat.bz2");
  const cs = await chips(t);
  const dense = needFixture(t, "models", "face_recognition_densenet_model_v1.dat.bz2");
  const mmod = needFixture(t, "models", "mmod_human_face_detector.dat.bz2");
  if (!path || !cs || !dense || !mmod) return;
  const bytes = (await readSource(path)).bytes;
  const type = "dlib_face_recognition_resnet_model_v1";
  const plain = await loadNetwork(bytes, { type, kernels: await createKernels() });
  const want1 = plain.forwardSync([cs[0]]).outputs, want3 = plain.forwardSync(cs).outputs;
  plain.dispose();

  const k = await createKernels();
  const net = await loadNetwork(bytes, { type, kernels: k });
  const before = k.arena.liveBytes;
  net.prepare();
  net.prepare(); // idempotent
  net.prepare(3, 150, 150);
  const prepared = k.arena.liveBytes;
  assert.ok(prepared > before, "prepare() made the plans' buffers and filter transforms");
  sameBits(net.forwardSync([cs[0]]).outputs, want1, "batch 1 after prepare()");
  sameBits(net.forwardSync(cs).outputs, want3, "batch 3 after prepare(3)");
  assert.equal(k.arena.liveBytes, prepared, "the prepared forwards allocated nothing");
  for (const bad of [[1, 100, 100], [0], [1.5], [2, 150, 0]] as const) {
    assert.throws(() => net.prepare(...(bad as [number, number?, number?])), WrongNetworkError, `prepare(${bad.join(", ")})`);
  }
  net.dispose();
  assert.throws(() => net.prepare(), /disposed/);

  // a network without a fixed input size needs the size; pyramid (MMOD) networks are planned per image
  const d = await loadNetwork(dense, { type: "face_recognition_densenet_model_v1" });
  assert.throws(() => d.prepare(), WrongNetworkError);
  d.prepare(1, 150, 150);
  d.dispose();
  const m = await loadNetwork(mmod, { type: "mmod_human_face_detector" });
  assert.throws(() => m.prepare(1, 100, 100), WrongNetworkError);
  m.dispose();
});
