import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { needFixture } from "./fixtures.ts";
import { bunzip2, bunzip2Chunks, bunzip2IntoArena, Bunzip2Stream, isBzip2 } from "../src/dlib/bzip2.ts";
import { createKernels } from "../src/nn/wasm.ts";
import { DecompressError } from "../src/errors.ts";

const require = createRequire(import.meta.url);
// pure-JS reference (decoder and encoder) shipped as a dependency
const CJ = require("@ledgerhq/compressjs/src/lib/Bzip2.js") as {
  compressFile(data: Uint8Array, out: null, level: number): Uint8Array;
  decompressFile(data: Uint8Array): Uint8Array;
};

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const read = (p: string) => new Uint8Array(readFileSync(p));

/** Hashes of `bzip2 -dc` (bzip2 1.0.8) output, computed once when this test was written. */
const FIXTURE_SHA256: Record<string, [number, string]> = {
  "dnn_gender_classifier_v1.dat.bz2": [530926, "85453d6f6585c8e02ada95929956783c780dc04dcec5bdfd14af82f15c99ba41"],
  "face_recognition_densenet_model_v1.dat.bz2": [2607131, "c6a6418ea119126046e204e010127d24dc79a41dd613a9d3961d1856b5df6535"],
  "gender_resnet34_random.dnn.bz2": [84610860, "023f158a456fbb939ae43c78b6eb0e47c65158febdfdf6ce66855f33e3f0facd"],
  "mmod_human_face_detector.dat.bz2": [729940, "be467b1a76f482693de3b0f6a1ff91d092319be71523d4d4b0628f6a53fcb87a"],
  "resnet_v1_faceapi_q8.dat.bz2": [22496558, "a6217434a50db74c1e5d966b2a923211a6200542a8e28ef870d9cbe191e5a4aa"],
  "resnet_v1_faceapi_q8_affine.dat.bz2": [22466154, "cdb1d47b961fe310ef1f3aa2974c5f65d29c079346760f6b6785c7e405f7266a"],
};

/** `printf '' | bzip2`: header + end-of-stream marker + CRC 0. */
const EMPTY_STREAM = new Uint8Array([0x42, 0x5a, 0x68, 0x39, 0x17, 0x72, 0x45, 0x38, 0x50, 0x90, 0, 0, 0, 0]);

/** Deterministic test data mixing random bytes, long runs (RLE1 counts up to 255 and beyond), text and all byte values. */
function synthetic(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0;
  const rnd = () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0), x >>> 8);
  let i = 0;
  const words = ["dlib ", "face ", "wasm ", "bzip2 ", "\n", "BWT ", "tensor<float> "];
  while (i < n) {
    const kind = rnd() % 5;
    const len = Math.min(n - i, 1 + (rnd() % (kind === 1 ? 2000 : 300)));
    if (kind === 0) for (let k = 0; k < len; k++) out[i + k] = rnd() & 255;
    else if (kind === 1) out.fill(rnd() % 3 === 0 ? 0 : rnd() & 255, i, i + len);
    else if (kind === 2) {
      let k = 0;
      while (k < len) {
        const w = words[rnd() % words.length];
        for (let c = 0; c < w.length && k < len; c++, k++) out[i + k] = w.charCodeAt(c);
      }
    } else if (kind === 3) for (let k = 0; k < len; k++) out[i + k] = (i + k) & 255;
    else for (let k = 0; k < len; k++) out[i + k] = 4 + ((k >> 2) & 1); // runs of exactly 4
    i += len;
  }
  return out;
}

const hasBzip2 = spawnSync("bzip2", ["--help"]).status === 0;
function nativeCompress(data: Uint8Array, level: number): Uint8Array {
  const r = spawnSync("bzip2", [`-${level}`, "-c"], { input: data, maxBuffer: 1 << 28 });
  assert.equal(r.status, 0);
  return new Uint8Array(r.stdout);
}

function expectDecompressError(e: unknown, file: string, len: number): void {
  if (!(e instanceof DecompressError)) throw new assert.AssertionError({ message: `expected DecompressError, got ${(e as Error)?.name}: ${(e as Error)?.message}` });
  assert.equal(e.file, file);
  assert.ok(e.offset >= 0 && e.offset <= len, `offset ${e.offset} within 0..${len}`);
}

test("isBzip2 recognises bzip2 headers", () => {
  assert.equal(isBzip2(EMPTY_STREAM), true);
  assert.equal(isBzip2(new TextEncoder().encode("BZh9")), true);
  assert.equal(isBzip2(new TextEncoder().encode("BZh0")), false);
  assert.equal(isBzip2(new TextEncoder().encode("BZh91AY&SX")), false);
  assert.equal(isBzip2(new Uint8Array([0x1f, 0x8b, 8, 0])), false);
  assert.equal(isBzip2(new Uint8Array(0)), false);
});

test("fixture models decompress to exactly what bzip2 -dc gives (sha256), small ones also equal compressjs", async (t) => {
  for (const [name, [size, hash]] of Object.entries(FIXTURE_SHA256)) {
    const p = needFixture(t, "models", name);
    if (!p) return;
    const bytes = read(p);
    assert.ok(isBzip2(bytes), name);
    const out = await bunzip2(bytes, { file: name });
    assert.equal(out.length, size, name);
    assert.equal(sha256(out), hash, name);
    if (bytes.length < 1 << 20) assert.equal(sha256(CJ.decompressFile(bytes)), hash, `compressjs agrees on ${name}`);
  }
});

test("synthetic data: every block size level, two encoders, empty stream, concatenated streams", async () => {
  const data = synthetic(260_000, 7);
  for (const level of [1, 2, 9]) {
    const c = CJ.compressFile(data, null, level);
    const out = await bunzip2(c);
    assert.equal(sha256(out), sha256(data), `compressjs-encoded level ${level}`);
    if (hasBzip2) assert.equal(sha256(await bunzip2(nativeCompress(data, level))), sha256(data), `bzip2-encoded level ${level}`);
  }
  assert.equal((await bunzip2(EMPTY_STREAM)).length, 0);
  const a = synthetic(1000, 3);
  const b = synthetic(150_000, 4);
  const cat = new Uint8Array([...CJ.compressFile(a, null, 9), ...EMPTY_STREAM, ...CJ.compressFile(b, null, 1)]);
  const out = await bunzip2(cat);
  assert.equal(out.length, a.length + b.length);
  assert.equal(sha256(out), sha256(new Uint8Array([...a, ...b])));
  // one byte value, long run: a block made of a single symbol run
  const zeros = new Uint8Array(500_000);
  assert.equal(sha256(await bunzip2(CJ.compressFile(zeros, null, 9))), sha256(zeros));
  if (hasBzip2) assert.equal(sha256(await bunzip2(nativeCompress(zeros, 9))), sha256(zeros));
});

test("streaming: random input chunks and random output windows, straight into wasm memory", async (t) => {
  const p = needFixture(t, "models", "face_recognition_densenet_model_v1.dat.bz2");
  if (!p) return;
  const bytes = read(p);
  const [size, hash] = FIXTURE_SHA256["face_recognition_densenet_model_v1.dat.bz2"];
  const k = await createKernels();
  const live0 = k.arena.liveBytes;
  const s = new Bunzip2Stream(k, { file: "densenet", inputWindowBytes: 65536 });
  const dst = k.arena.alloc(size);
  let x = 99;
  const rnd = (m: number) => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0), (x >>> 8) % m);
  let inPos = 0;
  let outPos = 0;
  let calls = 0;
  while (!s.done) {
    const w = 1 + rnd(rnd(4) === 0 ? 50 : 200_000);
    const n = s.decodeInto(dst + outPos, Math.min(w, size - outPos + 1));
    outPos += n;
    calls++;
    if (s.needsInput) {
      if (inPos >= bytes.length) s.end();
      else {
        const c = 1 + rnd(rnd(3) === 0 ? 7 : 30_000);
        s.push(bytes.subarray(inPos, inPos + c));
        inPos += c;
      }
    }
    assert.ok(calls < 1_000_000);
  }
  assert.equal(outPos, size);
  assert.equal(s.totalIn, bytes.length);
  assert.equal(s.totalOut, size);
  assert.equal(sha256(k.arena.u8(dst, size)), hash);
  s.close();
  k.arena.release(dst);
  assert.equal(k.arena.liveBytes, live0, "no arena leak");
});

test("Bunzip2Stream.read into a JS array, and bunzip2Chunks over an array of chunks", async () => {
  const data = synthetic(300_000, 8);
  const c = CJ.compressFile(data, null, 2);
  const s = await Bunzip2Stream.create({ file: "syn" });
  const dest = new Uint8Array(data.length + 10);
  let n = 0;
  let i = 0;
  while (!s.done) {
    n += s.read(dest.subarray(n, Math.min(dest.length, n + 70_000)));
    if (s.needsInput) {
      if (i >= c.length) s.end();
      else s.push(c.subarray(i, (i += 9_999)));
    }
  }
  s.close();
  assert.equal(n, data.length);
  assert.equal(sha256(dest.subarray(0, n)), sha256(data));
  const parts = [c.subarray(0, 10), c.subarray(10, 5000), c.subarray(5000)];
  let m = 0;
  const h = createHash("sha256");
  for await (const chunk of bunzip2Chunks(parts, { chunkBytes: 65536 })) {
    h.update(chunk);
    m += chunk.length;
  }
  assert.equal(m, data.length);
  assert.equal(h.digest("hex"), sha256(data));
});

test("two decoders interleaved on one kernel instance keep separate state", async () => {
  const k = await createKernels();
  const da = synthetic(400_000, 31);
  const db = synthetic(250_000, 32);
  const ca = CJ.compressFile(da, null, 1);
  const cb = CJ.compressFile(db, null, 3);
  const sa = new Bunzip2Stream(k, { file: "a" });
  const sb = new Bunzip2Stream(k, { file: "b" });
  const oa = k.arena.alloc(da.length);
  const ob = k.arena.alloc(db.length);
  let ia = 0, ib = 0, na = 0, nb = 0;
  while (!sa.done || !sb.done) {
    if (!sa.done) {
      na += sa.decodeInto(oa + na, Math.min(33_333, da.length - na + 1));
      if (sa.needsInput) ia >= ca.length ? sa.end() : sa.push(ca.subarray(ia, (ia += 20_000)));
    }
    if (!sb.done) {
      nb += sb.decodeInto(ob + nb, Math.min(27_000, db.length - nb + 1));
      if (sb.needsInput) ib >= cb.length ? sb.end() : sb.push(cb.subarray(ib, (ib += 15_000)));
    }
  }
  assert.equal(sha256(k.arena.u8(oa, na)), sha256(da));
  assert.equal(sha256(k.arena.u8(ob, nb)), sha256(db));
  sa.close();
  sb.close();
});

test("bunzip2Chunks over a ReadableStream", async (t) => {
  const p = needFixture(t, "models", "mmod_human_face_detector.dat.bz2");
  if (!p) return;
  const bytes = read(p);
  let off = 0;
  const rs = new ReadableStream<Uint8Array>({
    pull(ctrl) {
      if (off >= bytes.length) return ctrl.close();
      ctrl.enqueue(bytes.slice(off, off + 40_000));
      off += 40_000;
    },
  });
  const h = createHash("sha256");
  let n = 0;
  for await (const chunk of bunzip2Chunks(rs, { chunkBytes: 100_000 })) {
    assert.ok(chunk.length <= 100_000);
    h.update(chunk);
    n += chunk.length;
  }
  assert.equal(n, FIXTURE_SHA256["mmod_human_face_detector.dat.bz2"][0]);
  assert.equal(h.digest("hex"), FIXTURE_SHA256["mmod_human_face_detector.dat.bz2"][1]);
});

test("bunzip2IntoArena: whole input or a stream, growing the arena block, nothing left on error", async (t) => {
  const p = needFixture(t, "models", "face_recognition_densenet_model_v1.dat.bz2");
  if (!p) return;
  const bytes = read(p);
  const [size, hash] = FIXTURE_SHA256["face_recognition_densenet_model_v1.dat.bz2"];
  const k = await createKernels();
  const live0 = k.arena.liveBytes;
  const r1 = await bunzip2IntoArena(bytes, { kernels: k });
  assert.equal(r1.length, size);
  assert.equal(sha256(k.arena.u8(r1.ptr, r1.length)), hash);
  k.arena.release(r1.ptr);
  const chunks = Array.from({ length: Math.ceil(bytes.length / 100_000) }, (_, i) => bytes.subarray(i * 100_000, (i + 1) * 100_000));
  const r2 = await bunzip2IntoArena(chunks, { kernels: k, sizeHint: 100_000 }); // forces several regrowths
  assert.equal(r2.length, size);
  assert.equal(sha256(k.arena.u8(r2.ptr, r2.length)), hash);
  k.arena.release(r2.ptr);
  await assert.rejects(bunzip2IntoArena(bytes.subarray(0, bytes.length - 1000), { kernels: k, file: "cut" }), DecompressError);
  await assert.rejects(bunzip2IntoArena(bytes, { kernels: k, maxOutputBytes: size - 1 }), /exceeds the limit/);
  assert.equal(k.arena.liveBytes, live0, "no arena leak");
});

test("maxOutputBytes is enforced while decoding, not after", async (t) => {
  const data = synthetic(120_000, 11);
  const c = CJ.compressFile(data, null, 9);
  assert.equal((await bunzip2(c, { maxOutputBytes: data.length })).length, data.length);
  await assert.rejects(bunzip2(c, { maxOutputBytes: data.length - 1, file: "syn" }), (e: unknown) => e instanceof DecompressError && /exceeds the limit/.test(e.message) && e.file === "syn");
  const p = needFixture(t, "models", "gender_resnet34_random.dnn.bz2");
  if (!p) return;
  const big = read(p);
  const t0 = performance.now();
  await assert.rejects(bunzip2(big, { maxOutputBytes: 3_000_000 }), DecompressError);
  const ms = performance.now() - t0;
  assert.ok(ms < 1500, `stopped early (${ms.toFixed(0)} ms for an 85 MB output)`);
});

test("bad inputs: empty, not bzip2, trailing garbage, bad block CRC, bad stream CRC", async () => {
  const data = synthetic(50_000, 5);
  const c = CJ.compressFile(data, null, 9);
  const cases: [string, Uint8Array, RegExp][] = [
    ["empty", new Uint8Array(0), /truncated|unexpected end/],
    ["gzip", new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]), /not a bzip2/],
    ["BZh0", new Uint8Array([0x42, 0x5a, 0x68, 0x30, 0x31, 0x41, 0x59, 0x26]), /not a bzip2/],
    ["trailing", new Uint8Array([...c, 0x4a, 0x55, 0x4e, 0x4b]), /trailing/],
    ["trailing zeros", new Uint8Array([...c, 0, 0, 0, 0, 0]), /trailing/],
    ["block crc", Uint8Array.from(c, (v, i) => (i === 12 ? v ^ 0x10 : v)), /block CRC/],
    ["stream crc", Uint8Array.from(c, (v, i) => (i === c.length - 2 ? v ^ 0x20 : v)), /stream CRC/],
    ["header only", c.subarray(0, 4), /truncated|unexpected end/],
  ];
  for (const [name, bytes, re] of cases) {
    await assert.rejects(bunzip2(bytes, { file: name }), (e: unknown) => {
      expectDecompressError(e, name, bytes.length);
      assert.match((e as Error).message, re, name);
      return true;
    });
  }
  // the block CRC error points at the block start
  await assert.rejects(bunzip2(cases[5][1], { file: "x" }), (e: unknown) => e instanceof DecompressError && e.offset === 4);
});

test("corruption: truncations and bit flips give DecompressError or the exact output, never a trap or hang", async (t) => {
  const data = synthetic(120_000, 21);
  const files: Uint8Array[] = [CJ.compressFile(data, null, 1)];
  if (hasBzip2) files.push(nativeCompress(data, 1));
  const want = sha256(data);
  const k = await createKernels();
  const live0 = k.arena.liveBytes;
  let errors = 0;
  let same = 0;
  const t0 = performance.now();
  for (const c of files) {
    const check = async (bytes: Uint8Array, what: string, mustFail: boolean) => {
      try {
        const out = await bunzip2(bytes, { file: what, kernels: k });
        assert.ok(!mustFail, `${what}: decoded although corrupt`);
        assert.equal(sha256(out), want, `${what}: corrupt input decoded to different bytes without an error`);
        same++;
      } catch (e) {
        if (e instanceof assert.AssertionError) throw e;
        expectDecompressError(e, what, bytes.length);
        errors++;
      }
    };
    // truncations: every length in the header/tables region and the tail, a spread in between
    const lens = new Set<number>();
    for (let i = 0; i < Math.min(c.length, 120); i++) lens.add(i);
    for (let i = Math.max(0, c.length - 40); i < c.length; i++) lens.add(i);
    for (let i = 0; i < 150; i++) lens.add(Math.floor((i * c.length) / 150));
    for (const n of lens) await check(c.subarray(0, n), `trunc@${n}`, true);
    // bit flips: every bit of the first 48 bytes (block header, tables), 250 spread positions, the last 12 bytes
    const flips: number[] = [];
    for (let b = 0; b < 48 * 8; b++) flips.push(b);
    for (let i = 0; i < 250; i++) flips.push(Math.floor(((i + 0.37) * c.length * 8) / 250));
    for (let b = (c.length - 12) * 8; b < c.length * 8; b++) flips.push(b);
    for (const bit of flips) {
      const m = c.slice();
      m[bit >> 3] ^= 0x80 >> (bit & 7);
      await check(m, `flip@${bit}`, false);
    }
  }
  const ms = performance.now() - t0;
  t.diagnostic(`${errors} DecompressErrors, ${same} harmless flips, ${ms.toFixed(0)} ms`);
  assert.ok(errors > 1000, `${errors} errors`);
  assert.ok(same < 60, `${same} flips were harmless (only padding bits can be)`);
  assert.equal(k.arena.liveBytes, live0, "arena blocks are released after errors");
  assert.ok(ms < 45_000, `corruption sweep took ${ms.toFixed(0)} ms`);
});
