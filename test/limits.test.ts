/**
 * Limits with safe defaults: decompression bombs (PNG image data, PNG iCCP, bzip2), pixel limits, length
 * fields checked against the bytes left before anything is allocated, and the total wasm memory limit
 * (`maxMemoryBytes`). Every refusal is a typed error naming what was wrong, and is cheap in time and memory.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import zlib from "node:zlib";
import { decodeImage } from "../src/image/decode.ts";
import { encodePng } from "../src/image/png.ts";
import { inflateZlib } from "../src/image/inflate.ts";
import { readSource } from "../src/dlib/source.ts";
import { readNetwork } from "../src/dlib/network-reader.ts";
import { parseNetDefinition } from "../src/dlib/netdef.ts";
import { readShapePredictor } from "../src/face/shape-predictor.ts";
import { readFhogObjectDetector } from "../src/dlib/object-detector.ts";
import { loadNetwork } from "../src/nn/network.ts";
import { createKernels, WasmOutOfMemoryError } from "../src/nn/wasm.ts";
import { DecompressError, DlibFormatError, ImageDecodeError, LimitError } from "../src/errors.ts";
import { encodeInt, structureOf } from "./fuzz.ts";
import { fixture, hasFixtures, repoRoot } from "./fixtures.ts";

const MiB = 1 << 20;

function crc32(b: Uint8Array): number {
  let c = ~0;
  for (let i = 0; i < b.length; i++) {
    c ^= b[i];
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  dv.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

function png(width: number, height: number, idat: Uint8Array, extra: Uint8Array[] = []): Uint8Array {
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, width);
  dv.setUint32(4, height);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const parts = [Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr), ...extra, chunk("IDAT", idat), chunk("IEND", new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** Growth of ArrayBuffer memory while `f` runs (sampled after; the bombs would leave hundreds of MiB). */
async function growth(f: () => unknown): Promise<number> {
  const a0 = process.memoryUsage().arrayBuffers;
  await f();
  return process.memoryUsage().arrayBuffers - a0;
}

test("inflateZlib gives exactly what zlib deflated, and stops at the limit", () => {
  const data = new Uint8Array(300_000);
  for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 27 & (i % 3 ? 0xff : 0x0f);
  for (const level of [0, 1, 9]) {
    for (const strategy of [0, zlib.constants.Z_FIXED, zlib.constants.Z_HUFFMAN_ONLY, zlib.constants.Z_RLE]) {
      const z = zlib.deflateSync(data, { level, strategy });
      const r = inflateZlib(z, 1e12);
      assert.equal(r.over, false, `level ${level} strategy ${strategy}`);
      assert.ok(Buffer.from(r.data).equals(Buffer.from(data)), `level ${level} strategy ${strategy}`);
      const cut = inflateZlib(z, 1000);
      assert.equal(cut.over, true);
      assert.ok(cut.data.length <= 1000);
    }
  }
  assert.throws(() => inflateZlib(zlib.deflateSync(data).subarray(0, 500), 1e12), DecompressError, "a truncated stream is reported");
});

test("PNG decompression bomb: a 1x1 PNG whose image data inflates to 256 MiB is refused before inflating", async () => {
  const idat = zlib.deflateSync(new Uint8Array(256 * MiB), { level: 9 });
  assert.ok(idat.length < 300_000);
  const bomb = png(1, 1, idat);
  const t0 = performance.now();
  let err: unknown;
  const g = await growth(() => { try { decodeImage(bomb, { file: "bomb.png" }); } catch (e) { err = e; } });
  assert.ok(err instanceof ImageDecodeError, String(err));
  assert.match((err as Error).message, /bomb\.png: PNG image data inflates to more than \d+ bytes, but a 1x1 image needs 4/);
  assert.ok(performance.now() - t0 < 5000);
  assert.ok(g < 32 * MiB, `grew ${g} bytes`);
});

test("PNG with more image data than the header needs, within the slack, still decodes (libpng ignores the extra)", () => {
  const raw = new Uint8Array(2 * (1 + 2 * 3) + 1000); // 2x2 RGB rows + 1000 extra bytes
  raw[1] = 200;
  const img = decodeImage(png(2, 2, zlib.deflateSync(raw)));
  assert.deepEqual([img.width, img.height, img.data[0]], [2, 2, 200]);
});

test("PNG iCCP bomb: an ICC profile inflating to 256 MiB is not inflated (dlib ignores it)", async () => {
  const ref = encodePng({ width: 3, height: 2, data: Uint8Array.from({ length: 18 }, (_, i) => i * 13) });
  const idatStart = 8 + 25; // signature + IHDR chunk
  const idatLen = new DataView(ref.buffer, ref.byteOffset).getUint32(idatStart);
  const idat = ref.subarray(idatStart + 8, idatStart + 8 + idatLen);
  const profile = zlib.deflateSync(new Uint8Array(256 * MiB), { level: 9 });
  const iccp = new Uint8Array(5 + profile.length);
  iccp.set([0x69, 0x63, 0x63, 0, 0]); // "icc", NUL, method 0
  iccp.set(profile, 5);
  const file = png(3, 2, idat, [chunk("iCCP", iccp)]);
  let img: ReturnType<typeof decodeImage> | null = null;
  const g = await growth(() => { img = decodeImage(file); });
  assert.deepEqual(Array.from(img!.data), Array.from({ length: 18 }, (_, i) => i * 13));
  assert.ok(g < 32 * MiB, `grew ${g} bytes`);
});

test("pixel limits: PNG and JPEG headers over maxPixels are refused before pixel buffers exist", () => {
  const big = png(100_000, 100_000, zlib.deflateSync(new Uint8Array(10)));
  assert.throws(() => decodeImage(big, { file: "big.png" }), (e: unknown) => e instanceof ImageDecodeError && /100000x100000 = 10000000000 pixels, more than the limit/.test((e as Error).message));
  const small = encodePng({ width: 64, height: 64, data: new Uint8Array(64 * 64 * 3) });
  assert.throws(() => decodeImage(small, { maxPixels: 1000 }), (e: unknown) => e instanceof ImageDecodeError && /limit of 1000/.test((e as Error).message));
  const jpeg = new Uint8Array(readFileSync(join(repoRoot, "test/data/jpeg/s420.jpg")));
  assert.throws(() => decodeImage(jpeg, { maxPixels: 100, file: "s420.jpg" }), (e: unknown) => e instanceof ImageDecodeError && /s420\.jpg/.test((e as Error).message) && /limit|pixels/i.test((e as Error).message));
});

// 51 bytes: bzip2 -9 of 40,000,000 zero bytes; concatenated streams multiply it (dlib-models files are single-stream)
const BZ2_40M_ZEROS = Buffer.from("QlpoOTFBWSZTWdjs3f4BMl9ACMAAABAACCAAMMwJqmmgSlFbUBKUV4u5IpwoSGx2bv8A", "base64");

test("bzip2 bomb: 1.5 KB that decompress to 1.2 GB stop at maxBytes with a DecompressError", async () => {
  const bomb = new Uint8Array(BZ2_40M_ZEROS.length * 30);
  for (let i = 0; i < 30; i++) bomb.set(BZ2_40M_ZEROS, i * BZ2_40M_ZEROS.length);
  const t0 = performance.now();
  let err: unknown;
  const g = await growth(async () => { try { await readSource(bomb, { maxBytes: 16 * MiB, name: "bomb.dat.bz2" }); } catch (e) { err = e; } });
  assert.ok(err instanceof DecompressError, String(err));
  assert.match((err as Error).message, /bomb\.dat\.bz2 @ byte \d+: decompressed size exceeds the limit of 16777216 bytes/);
  assert.ok(g < 64 * MiB, `grew ${g} bytes`);
  assert.ok(performance.now() - t0 < 10_000);
  // the same through loadNetwork's maxBytes
  await assert.rejects(loadNetwork(bomb, { maxBytes: 8 * MiB, type: "dnn_gender_classifier_v1" }), DecompressError);
});

test("length fields set huge are refused against the bytes left, before allocation (networks, shape predictor, HOG)", async (t) => {
  if (!hasFixtures()) return void t.skip("fixtures absent");
  const type = parseNetDefinition(readFileSync(join(repoRoot, "test/nets/tiny_resnet_metric.txt"), "utf8"));
  const cases: { name: string; bytes: Uint8Array; run: (b: Uint8Array) => unknown; field: RegExp }[] = [
    { name: "tiny_resnet_metric_bn.dat", bytes: new Uint8Array(readFileSync(fixture("models", "tiny_resnet_metric_bn.dat"))), run: (b) => readNetwork(b, type.root, null, "net"), field: /params (num_samples|k)$/ },
    { name: "shape_predictor_5_toy.dat", bytes: new Uint8Array(readFileSync(fixture("models", "shape_predictor_5_toy.dat"))), run: (b) => readShapePredictor(b, "sp"), field: /number of trees|forests/ },
    { name: "frontal_face_detector.dat", bytes: new Uint8Array(readFileSync(fixture("models", "frontal_face_detector.dat"))), run: (b) => readFhogObjectDetector(b, "hog"), field: /rows|number of weight vectors/ },
  ];
  for (const c of cases) {
    const s = structureOf(c.bytes, c.run);
    const f = s.lengths.find((x) => c.field.test(x.what));
    assert.ok(f, `${c.name}: field ${c.field} found`);
    for (const v of [2n ** 31n, 2n ** 40n, 2n ** 53n - 1n]) {
      const enc = encodeInt(v);
      const m = new Uint8Array(c.bytes.length - f!.len + enc.length);
      m.set(c.bytes.subarray(0, f!.pos));
      m.set(enc, f!.pos);
      m.set(c.bytes.subarray(f!.pos + f!.len), f!.pos + enc.length);
      let err: unknown;
      const g = await growth(() => { try { c.run(m); } catch (e) { err = e; } });
      assert.ok(err instanceof DlibFormatError, `${c.name} ${f!.what}=${v}: ${err}`);
      assert.match((err as Error).message, /@ byte \d+/);
      assert.ok(g < 16 * MiB, `${c.name}: grew ${g} bytes`);
    }
  }
});

test("maxMemoryBytes: loading past the wasm memory limit is a LimitError and leaves the arena as it was", async (t) => {
  if (!hasFixtures()) return void t.skip("fixtures absent");
  const bytes = readFileSync(fixture("models", "dnn_gender_classifier_v1.dat.bz2"));
  const k = await createKernels({ maxMemoryBytes: 256 * 1024 });
  const live = k.arena.liveBytes;
  const err = await loadNetwork(new Uint8Array(bytes), { type: "dnn_gender_classifier_v1", kernels: k }).catch((e) => e);
  assert.ok(err instanceof WasmOutOfMemoryError && err instanceof LimitError, String(err));
  assert.match(err.message, /wasm memory limit reached: need \d+ bytes, limit 262144/);
  assert.equal(k.arena.liveBytes, live);
  // its own instance with a generous limit works, and the limit is that instance's
  const net = await loadNetwork(new Uint8Array(bytes), { type: "dnn_gender_classifier_v1", maxMemoryBytes: 64 * MiB });
  assert.equal(net.kernels.arena.maxBytes, 64 * MiB);
  const p = await net.probabilities([{ width: 32, height: 32, data: new Uint8Array(32 * 32 * 3).fill(128) }]);
  assert.equal(p[0].length, 2);
  // running past the limit: a batch whose activations do not fit
  const tight = await loadNetwork(new Uint8Array(bytes), { type: "dnn_gender_classifier_v1", maxMemoryBytes: 8 * MiB });
  const many = Array.from({ length: 2000 }, () => ({ width: 32, height: 32, data: new Uint8Array(32 * 32 * 3) }));
  await assert.rejects(tight.forward(many), LimitError);
  net.dispose();
  tight.dispose();
});
