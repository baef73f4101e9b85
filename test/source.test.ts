/** Model sources: bytes, path, file URL, ReadableStream (raw and bzip2, decompressed as it arrives), Response. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { fixture, hasFixtures, readJson, readPngRgb } from "./fixtures.ts";
import { readSource } from "../src/dlib/source.ts";
import { loadNetwork } from "../src/nn/network.ts";
import { DecompressError } from "../src/errors.ts";

function streamOf(bytes: Uint8Array, chunk = 65536): ReadableStream<Uint8Array> {
  let o = 0;
  return new ReadableStream({
    pull(c) {
      if (o >= bytes.length) return c.close();
      c.enqueue(bytes.slice(o, o + chunk));
      o += chunk;
    },
  });
}

test("every source form gives the same decompressed bytes", async (t) => {
  if (!hasFixtures()) return void t.skip("fixtures absent");
  const p = fixture("models", "dnn_gender_classifier_v1.dat.bz2");
  const raw = new Uint8Array(readFileSync(p));
  const ref = (await readSource(raw)).bytes;
  assert.equal(ref.length, 530926);
  for (const [what, src] of [
    ["path", p], ["file URL", pathToFileURL(p)], ["stream (bz2, 64 KiB chunks)", streamOf(raw)], ["stream (bz2, 997-byte chunks)", streamOf(raw, 997)],
    ["Response", new Response(streamOf(raw), { headers: { "content-length": String(raw.length) } })], ["raw .dat stream", streamOf(ref, 1000)],
  ] as const) {
    const { bytes } = await readSource(src as never);
    assert.equal(bytes.length, ref.length, what);
    assert.ok(Buffer.from(bytes).equals(Buffer.from(ref)), what);
  }
});

test("a truncated or oversized stream is a DecompressError", async (t) => {
  if (!hasFixtures()) return void t.skip("fixtures absent");
  const raw = new Uint8Array(readFileSync(fixture("models", "dnn_gender_classifier_v1.dat.bz2")));
  await assert.rejects(readSource(streamOf(raw.subarray(0, 200000), 7)), DecompressError);
  await assert.rejects(readSource(streamOf(raw), { maxBytes: 100000 }), DecompressError);
  const dat = new Uint8Array(readFileSync(fixture("models", "tiny_resnet_metric_bn.dat")));
  await assert.rejects(readSource(streamOf(dat), { maxBytes: 1000 }), DecompressError);
});

test("loadNetwork from a bzip2 ReadableStream gives dlib's descriptor", async (t) => {
  if (!hasFixtures()) return void t.skip("fixtures absent");
  const raw = new Uint8Array(readFileSync(fixture("models", "resnet_v1_faceapi_q8_affine.dat.bz2")));
  const net = await loadNetwork(streamOf(raw, 1 << 20), { name: "stream" });
  const [d] = await net.forward([await readPngRgb(fixture("golden", "chips", "bald_guys_0.png"))]);
  const g = readJson(fixture("golden", "bald_guys.json")).faces[0].descriptor_resnet_q8 as number[];
  assert.ok(Math.max(...g.map((v, i) => Math.abs(v - d[i]))) <= 1e-4);
  net.dispose();
});

test("loadNetwork(path) reads an uncompressed file straight into wasm memory, compacted into its parameters", async (t) => {
  if (!hasFixtures()) return void t.skip("fixtures absent");
  const { createKernels } = await import("../src/nn/wasm.ts");
  const k = await createKernels();
  const before = k.arena.liveBytes;
  const p = fixture("models", "tiny_resnet_metric_affine.dat");
  const { parseNetDefinition } = await import("../src/dlib/netdef.ts");
  const { join } = await import("node:path");
  const { repoRoot } = await import("./fixtures.ts");
  const type = parseNetDefinition(readFileSync(join(repoRoot, "test/nets/tiny_resnet_metric.txt"), "utf8"));
  const a = await loadNetwork(p, { type, kernels: k });
  const held = k.arena.liveBytes - before;
  const size = readFileSync(p).length;
  assert.ok(held < size, `parameters (${held} bytes) take less than the file (${size} bytes)`);
  const b = await loadNetwork(new Uint8Array(readFileSync(p)), { type, kernels: k });
  const img = await readPngRgb(fixture("golden", "chips", "bald_guys_0.png"));
  assert.deepEqual(Array.from((await a.forward([img]))[0]), Array.from((await b.forward([img]))[0]));
  const g = readJson(fixture("golden", "traces", "tiny_resnet_metric_affine.json")).output.descriptor as number[];
  const [d] = await a.forward([img]);
  assert.ok(Math.max(...g.map((v, i) => Math.abs(v - d[i]))) <= 1e-4);
  a.dispose();
  b.dispose();
  assert.equal(k.arena.liveBytes, before, "dispose gives everything back");
});
