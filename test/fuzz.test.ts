/**
 * Fast subset of the mutation fuzz (test/fuzz.ts): a few thousand seeded cases over every reader (fixture
 * networks incl. the decompressed MMOD/gender/DenseNet/ResNet files, shape predictor, HOG detector, JPEG/PNG,
 * bzip2), the wrong-type matrix, and regression cases. Every case must end normally or with a typed error,
 * quickly. The long run: `npx tsx test/fuzz.ts --cases 100000` (adds dlib's 68-point model and the 84 MB ResNet-34).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fuzz, targets, mutate, mutateStructure, structureOf, wrongTypeMatrix, Rng, encodeInt, caseRng } from "./fuzz.ts";
import { fixture, hasFixtures, repoRoot } from "./fixtures.ts";
import { Network } from "../src/nn/network.ts";
import { parseNetDefinition } from "../src/dlib/netdef.ts";
import { readNetwork } from "../src/dlib/network-reader.ts";
import { createKernels } from "../src/nn/wasm.ts";
import { DlibFormatError, LimitError, WrongNetworkError } from "../src/errors.ts";
import { runMmod } from "../src/face/mmod.ts";

const FAST = { big: ["mmod_human_face_detector.dat.bz2", "dnn_gender_classifier_v1.dat.bz2", "face_recognition_densenet_model_v1.dat.bz2", "resnet_v1_faceapi_q8_affine.dat.bz2"], sp68: false };

test("seeded mutation fuzz: 4000 cases over every reader, only typed errors, bounded time and allocation", async (t) => {
  if (!hasFixtures()) return void t.skip("fixtures absent");
  const ts = await targets(FAST);
  assert.ok(ts.length >= 60, `targets: ${ts.map((x) => x.name).join(", ")}`);
  const s = await fuzz(ts, 4000, 20261128, 3000);
  t.diagnostic(`${s.cases} cases: ${s.ok} read, ${s.typed} typed errors, max ${s.maxMs.toFixed(0)} ms per case, max ${s.maxAllocMiB.toFixed(0)} MiB allocated per case`);
  t.diagnostic(`mutations: ${JSON.stringify(s.byMutation)}`);
  assert.deepEqual(s.failures.slice(0, 10), []);
  assert.ok(s.typed > 2000, "the mutations must actually break files");
  for (const k of ["truncate", "bitflip", "len-huge", "len-negative", "swap-layers", "wrong-type", "field"]) assert.ok((s.byMutation[k] ?? 0) > 20, `mutation ${k} exercised`);
  const m = await wrongTypeMatrix(ts);
  t.diagnostic(`wrong-type matrix: ${m.pairs} (file, reader) pairs`);
  assert.deepEqual(m.failures, []);
  assert.ok(m.pairs > 500);
});

test("swapped layers are named in the error (file, offset, found vs expected layer)", async (t) => {
  if (!hasFixtures()) return void t.skip("fixtures absent");
  const type = parseNetDefinition(readFileSync(join(repoRoot, "test/nets/tiny_resnet_metric.txt"), "utf8"));
  const bytes = new Uint8Array(readFileSync(fixture("models", "tiny_resnet_metric_affine.dat")));
  const run = (b: Uint8Array) => readNetwork(b, type.root, null, "tiny.dat");
  const s = structureOf(bytes, run);
  const con = s.blocks.find((b) => b.version.startsWith("con_"))!;
  const relu = s.blocks.find((b) => b.version.startsWith("relu"))!;
  const [a, c] = con.start < relu.start ? [con, relu] : [relu, con];
  const out = new Uint8Array(bytes.length);
  out.set(bytes.subarray(0, a.start));
  let o = a.start;
  for (const part of [bytes.subarray(c.start, c.end), bytes.subarray(a.end, c.start), bytes.subarray(a.start, a.end), bytes.subarray(c.end)]) { out.set(part, o); o += part.length; }
  assert.throws(() => run(out), (e: unknown) => e instanceof DlibFormatError && /^tiny\.dat @ byte \d+ .*found layer '(relu_\d?|con_\d)' where the network type has '(con|relu)'/.test((e as Error).message));
  // and a structural mutation generator that makes such cases
  let swaps = 0;
  const r = new Rng(3);
  for (let i = 0; i < 200; i++) if (mutateStructure(bytes, s, r)?.what.startsWith("swap-layers")) swaps++;
  assert.ok(swaps > 20);
});

test("dlib integer encoding used by the structural mutations", () => {
  assert.deepEqual(Array.from(encodeInt(0n)), [1, 0]);
  assert.deepEqual(Array.from(encodeInt(-1n)), [0x81, 1]);
  assert.deepEqual(Array.from(encodeInt(2n ** 32n)), [5, 0, 0, 0, 0, 1]);
  assert.notDeepEqual(caseRng(1, 0).u32(), caseRng(1, 1).u32());
  assert.equal(caseRng(9, 77).u32(), caseRng(9, 77).u32());
});

test("a failed load gives its parameter memory back to the arena", async (t) => {
  if (!hasFixtures()) return void t.skip("fixtures absent");
  const k = await createKernels();
  const type = parseNetDefinition(readFileSync(join(repoRoot, "test/nets/tiny_resnet_metric.txt"), "utf8"));
  const bytes = new Uint8Array(readFileSync(fixture("models", "tiny_resnet_metric_bn.dat")));
  const s = structureOf(bytes, (b) => readNetwork(b, type.root, null));
  const before = k.arena.liveBytes;
  const r = new Rng(5);
  let failed = 0;
  let maxMem = k.arena.highWater;
  for (let i = 0; i < 300; i++) {
    const m = i % 2 ? mutate(bytes, r, bytes.length) : mutateStructure(bytes, s, r) ?? mutate(bytes, r);
    try {
      Network.fromBytes(m.bytes, type, k, "fuzz").dispose();
    } catch (e) {
      assert.ok(e instanceof DlibFormatError, `${m.what}: ${(e as Error).message}`);
      failed++;
    }
    assert.equal(k.arena.liveBytes, before, `leak after ${m.what}`);
    maxMem = Math.max(maxMem, k.arena.highWater);
  }
  assert.ok(failed > 100);
  // parameters are copied once: the wasm memory never needs more than about the file's size
  assert.ok(maxMem < 2 * bytes.length + (1 << 20), `wasm memory grew to ${maxMem} for a ${bytes.length}-byte file`);
});

// Regressions: each found by the "use" targets (read a mutated model, then run it) of test/fuzz.ts.
function setField(bytes: Uint8Array, s: ReturnType<typeof structureOf>, what: RegExp, value: bigint, nth = 0): Uint8Array {
  const f = [...s.lengths, ...s.fields].filter((x) => what.test(x.what)).sort((a, b) => a.pos - b.pos)[nth];
  assert.ok(f, `field ${what}`);
  const enc = encodeInt(value);
  const out = new Uint8Array(bytes.length - f.len + enc.length);
  out.set(bytes.subarray(0, f.pos));
  out.set(enc, f.pos);
  out.set(bytes.subarray(f.pos + f.len), f.pos + enc.length);
  return out;
}

const tinyType = (file: string, alias?: string) => parseNetDefinition(readFileSync(join(repoRoot, "test/nets", file), "utf8"), { name: alias });

test("regression: Arena.alloc of 4 GiB or more is refused (it used to wrap to a 16-byte block)", async () => {
  const k = await createKernels();
  for (const n of [2 ** 32 + 16, 2 ** 40, 2.2e20]) {
    assert.throws(() => k.arena.alloc(n), (e: unknown) => e instanceof LimitError && /wasm memory limit reached: need/.test((e as Error).message), String(n));
  }
  assert.throws(() => k.arena.alloc(Number.NaN), RangeError);
  assert.throws(() => k.arena.alloc(-1), RangeError);
  assert.equal(k.arena.liveBytes, 0);
});

test("regression: MMOD pyramid_outer_padding of 2^32 is a LimitError when run, not a RangeError (tiny_old_v19_6_mmod)", async (t) => {
  if (!hasFixtures()) return void t.skip("fixtures absent");
  const type = tinyType("tiny_old_mmod_v2_v3.txt");
  const bytes = new Uint8Array(readFileSync(fixture("models", "tiny_old_v19_6_mmod.dat")));
  const s = structureOf(bytes, (b) => readNetwork(b, type.root, null));
  const bad = setField(bytes, s, /pyramid_outer_padding/, 2n ** 32n);
  const k = await createKernels();
  const net = Network.fromBytes(bad, type, k, "mmod.dat");
  const live = k.arena.liveBytes;
  const img = { width: 64, height: 64, data: new Uint8Array(64 * 64 * 3).fill(90) };
  assert.throws(() => runMmod(net, img), (e: unknown) => e instanceof LimitError, "typed");
  assert.equal(k.arena.liveBytes, live, "nothing left allocated");
  net.dispose();
});

test("regression: max_pool/avg_pool padding is checked against the network type, as dlib does (tiny_old_v19_1_tag)", async (t) => {
  if (!hasFixtures()) return void t.skip("fixtures absent");
  const type = tinyType("tiny_old_v19_1_tag.txt");
  const bytes = new Uint8Array(readFileSync(fixture("models", "tiny_old_v19_1_tag.dat")));
  const s = structureOf(bytes, (b) => readNetwork(b, type.root, null));
  const pools = s.fields.filter((f) => f.what === "padding_x");
  assert.ok(pools.length >= 1);
  let checked = 0;
  for (let i = 0; i < pools.length; i++) {
    const bad = setField(bytes, s, /^padding_x$/, 2n ** 32n - 1n, i);
    assert.throws(() => readNetwork(bad, type.root, null, "tag.dat"), (e: unknown) => e instanceof DlibFormatError && /padding in file is \d+,4294967295; the network type says/.test((e as Error).message));
    checked++;
  }
  assert.ok(checked >= 1);
});

test("regression: parameters that do not fit the shapes (swapped bn layers) fail typed at forward and leak nothing", async (t) => {
  if (!hasFixtures()) return void t.skip("fixtures absent");
  const type = tinyType("tiny_densenet_metric.txt");
  const bytes = new Uint8Array(readFileSync(fixture("models", "tiny_densenet_metric_bn.dat")));
  const run = (b: Uint8Array) => readNetwork(b, type.root, null);
  const s = structureOf(bytes, run);
  const k = await createKernels();
  const img = { width: 150, height: 150, data: new Uint8Array(150 * 150 * 3).fill(100) };
  let shapeErrors = 0;
  for (let i = 0; i < s.blocks.length; i++) {
    for (let j = i + 1; j < s.blocks.length; j++) {
      const [a, c] = [s.blocks[i], s.blocks[j]];
      if (a.version !== "bn_con2" || c.version !== "bn_con2" || c.end - c.start === a.end - a.start) continue;
      const out = new Uint8Array(bytes.length);
      let o = 0;
      for (const p of [bytes.subarray(0, a.start), bytes.subarray(c.start, c.end), bytes.subarray(a.end, c.start), bytes.subarray(a.start, a.end), bytes.subarray(c.end)]) { out.set(p, o); o += p.length; }
      let net: Network;
      try { net = Network.fromBytes(out, type, k, "dense.dat"); } catch (e) { assert.ok(e instanceof DlibFormatError); continue; }
      const live = k.arena.liveBytes;
      try {
        net.forwardSync([img]);
      } catch (e) {
        assert.ok(e instanceof WrongNetworkError, String(e));
        assert.match((e as Error).message, /layer<\d+> affine has \d+ parameters for input/);
        shapeErrors++;
      }
      assert.equal(k.arena.liveBytes, live, "a failed compile releases its transformed filters");
      net.dispose();
      if (shapeErrors >= 3) break;
    }
    if (shapeErrors >= 3) break;
  }
  assert.ok(shapeErrors >= 1);
  assert.equal(k.arena.liveBytes, 0);
});

test("regression: MMOD overlap thresholds outside [0,1] are refused when read (NMS at 6.4 made detection quadratic)", async (t) => {
  if (!hasFixtures()) return void t.skip("fixtures absent");
  const type = tinyType("tiny_old_mmod_v2_v3.txt");
  const bytes = new Uint8Array(readFileSync(fixture("models", "tiny_old_v19_15_mmod.dat")));
  // the fuzzer's case flipped a bit of the float_details mantissa of overlaps_nms.iou_thresh (0.4 -> 6.4); any
  // flip of a high mantissa bit takes it out of [0, 1]
  const bad = bytes.slice();
  bad[55] ^= 1 << 5;
  assert.throws(() => readNetwork(bad, type.root, null, "mmod.dat"), (e: unknown) => e instanceof DlibFormatError && /@ byte \d+ \(mmod_options\): overlaps_nms\.iou_thresh = [\d.e+]+ is outside \[0, 1\]/.test((e as Error).message));
  assert.doesNotThrow(() => readNetwork(bytes, type.root, null, "mmod.dat"));
});

test("regression: MMOD pyramid_padding of 2^32-1 gives a LimitError, not a RangeError from an overflowed layout (fuzz seed 3, case 77301)", async (t) => {
  if (!hasFixtures()) return void t.skip("fixtures absent");
  const type = tinyType("tiny_old_mmod_v2_v3.txt");
  const bytes = new Uint8Array(readFileSync(fixture("models", "tiny_old_v19_15_mmod.dat")));
  const s = structureOf(bytes, (b) => readNetwork(b, type.root, null));
  const k = await createKernels();
  const img = { width: 64, height: 64, data: new Uint8Array(64 * 64 * 3).fill(90) };
  for (const v of [2n ** 32n - 1n, 2n ** 31n, 10n ** 9n]) {
    const net = Network.fromBytes(setField(bytes, s, /^pyramid_padding$/, v), type, k, "mmod.dat");
    assert.throws(() => runMmod(net, img), (e: unknown) => e instanceof LimitError && /mmod\.dat: the tiled pyramid of a 64x64 image would be/.test((e as Error).message), String(v));
    net.dispose();
  }
  assert.equal(k.arena.liveBytes, 0);
});
