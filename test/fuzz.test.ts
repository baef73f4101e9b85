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
import { DlibFormatError } from "../src/errors.ts";

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
  let maxMem = k.arena.memory.buffer.byteLength;
  for (let i = 0; i < 300; i++) {
    const m = i % 2 ? mutate(bytes, r, bytes.length) : mutateStructure(bytes, s, r) ?? mutate(bytes, r);
    try {
      Network.fromBytes(m.bytes, type, k, "fuzz").dispose();
    } catch (e) {
      assert.ok(e instanceof DlibFormatError, `${m.what}: ${(e as Error).message}`);
      failed++;
    }
    assert.equal(k.arena.liveBytes, before, `leak after ${m.what}`);
    maxMem = Math.max(maxMem, k.arena.memory.buffer.byteLength);
  }
  assert.ok(failed > 100);
  // parameters are copied once: the wasm memory never needs more than about the file's size
  assert.ok(maxMem < 2 * bytes.length + (1 << 20), `wasm memory grew to ${maxMem} for a ${bytes.length}-byte file`);
});
