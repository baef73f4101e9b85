/**
 * Fast subset of the mutation fuzz (test/fuzz.ts): a few thousand seeded cases over every fixture model reader
 * (network types, shape predictor, HOG detector, real MMOD/gender networks) and images. Every case must end
 * normally or with a typed error, quickly. The long run: `npx tsx test/fuzz.ts --cases 100000`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { fuzz, targets, networkTarget, mutate, Rng } from "./fuzz.ts";
import { fixture, hasFixtures } from "./fixtures.ts";
import { readSource } from "../src/dlib/source.ts";
import { Network } from "../src/nn/network.ts";
import { parseNetDefinition } from "../src/dlib/netdef.ts";
import { createKernels } from "../src/nn/wasm.ts";
import { DlibFormatError } from "../src/errors.ts";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./fixtures.ts";

test("seeded mutation fuzz: 3000 cases, only typed errors, bounded time", async (t) => {
  if (!hasFixtures()) return void t.skip("fixtures absent");
  const ts = targets();
  for (const [f, id] of [["mmod_human_face_detector.dat.bz2", "mmod_human_face_detector"], ["dnn_gender_classifier_v1.dat.bz2", "dnn_gender_classifier_v1"]]) {
    if (existsSync(fixture("models", f))) ts.push(networkTarget(f, (await readSource(fixture("models", f))).bytes, id));
  }
  assert.ok(ts.length >= 15, `targets: ${ts.map((x) => x.name).join(", ")}`);
  const s = fuzz(ts, 3000, 20261128, 3000);
  t.diagnostic(`${s.cases} cases: ${s.ok} read, ${s.typed} typed errors, max ${s.maxMs.toFixed(0)} ms per case`);
  assert.deepEqual(s.failures.slice(0, 10), []);
  assert.ok(s.typed > 500, "the mutations must actually break files");
});

test("a failed load gives its parameter memory back to the arena", async (t) => {
  if (!hasFixtures()) return void t.skip("fixtures absent");
  const k = await createKernels();
  const type = parseNetDefinition(readFileSync(join(repoRoot, "test/nets/tiny_resnet_metric.txt"), "utf8"));
  const bytes = new Uint8Array(readFileSync(fixture("models", "tiny_resnet_metric_bn.dat")));
  const before = k.arena.liveBytes;
  const r = new Rng(5);
  let failed = 0;
  for (let i = 0; i < 200; i++) {
    const m = mutate(bytes, r, bytes.length);
    try {
      Network.fromBytes(m.bytes, type, k, "fuzz").dispose();
    } catch (e) {
      assert.ok(e instanceof DlibFormatError, `${m.what}: ${(e as Error).message}`);
      failed++;
    }
    assert.equal(k.arena.liveBytes, before, `leak after ${m.what}`);
  }
  assert.ok(failed > 50);
});
