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
