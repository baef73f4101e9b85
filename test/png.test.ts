/**
 * Our PNG decoder/encoder and zlib inflater (src/image/{png,inflate,deflate}.ts) against independent oracles:
 *  - every PNG in the shared fixtures and test/data/png decoded by us equals the previous fast-png-based decode
 *    path (kept below as `oracleDecode`; fast-png is a devDependency used only here);
 *  - generated PNGs of every colour type × bit depth × interlace × filter (written here with node:zlib) equal the
 *    RGB computed directly from their samples by dlib's rules, and fast-png's path where it supports the file;
 *  - tRNS / short palettes, decompression bombs, truncations, bad CRCs, corrupt zlib streams, fuzzed bytes: only
 *    ever typed errors;
 *  - encodePng round-trips through our decoder and fast-png's, with sizes compared to fast-png's encoder.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, existsSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";
import { decode as fastDecode, encode as fastEncode } from "fast-png";
import { decodePng, decodePngJs, encodePng, crc32 } from "../src/image/png.js";
import { decodePngWasm, pngWasmAvailable, pngWasmStats, PNG_WASM_SHARED_BYTES } from "../src/image/png-wasm.js";
import { inflateZlib, adler32 } from "../src/image/inflate.js";
import { zlibDeflate } from "../src/image/deflate.js";
import { DecompressError, ImageDecodeError } from "../src/errors.js";
import type { RgbImage } from "../src/image/types.js";
import { fixture, hasFixtures } from "./fixtures.js";

const here = dirname(fileURLToPath(import.meta.url));

// ---------------------------------------------------------------------------------------------------------------
// Oracle: the previous png.ts conversion on top of fast-png's decode (CRC checked, iCCP dropped as before).

function oracleDecode(bytes: Uint8Array): RgbImage {
  const png = fastDecode(bytes, { checkCrc: true });
  const { width, height } = png;
  const n = width * height;
  const src = png.data;
  const depth = png.depth;
  const ch = png.channels;
  const rgb = new Uint8Array(n * 3);
  const trns = png.transparency;
  const stride = Math.ceil((width * depth) / 8);
  const sampleAt = depth < 8
    ? (x: number, y: number) => {
        const perByte = 8 / depth;
        const b = src[y * stride + ((x / perByte) | 0)]!;
        return (b >> (8 - depth * ((x % perByte) + 1))) & ((1 << depth) - 1);
      }
    : null;
  const blend = (c: number, a: number) => (a === 255 ? c : (c * a) >> 8);
  const colorType = bytes[25];
  if (colorType === 3) {
    const pal = png.palette!;
    for (let y = 0, o = 0; y < height; y++) {
      for (let x = 0; x < width; x++, o += 3) {
        const c = pal[sampleAt ? sampleAt(x, y) : src[y * width + x]!];
        if (!c) continue;
        const a = c.length > 3 ? c[3]! : 255;
        rgb[o] = blend(c[0]!, a);
        rgb[o + 1] = blend(c[1]!, a);
        rgb[o + 2] = blend(c[2]!, a);
      }
    }
  } else if (ch === 1 || ch === 2) {
    const scale = depth === 1 ? 255 : depth === 2 ? 85 : depth === 4 ? 17 : 1;
    for (let y = 0, o = 0; y < height; y++) {
      for (let x = 0; x < width; x++, o += 3) {
        let v = sampleAt ? sampleAt(x, y) * scale : src[(y * width + x) * ch]!;
        if (v > 255) v = 255;
        rgb[o] = rgb[o + 1] = rgb[o + 2] = v;
      }
    }
  } else if (ch === 3) {
    const hasKey = trns !== undefined && trns.length >= 3;
    for (let i = 0, o = 0; i < n; i++, o += 3) {
      const r = src[o]!, g = src[o + 1]!, b = src[o + 2]!;
      if (hasKey && r === trns[0] && g === trns[1] && b === trns[2]) continue;
      rgb[o] = r & 255;
      rgb[o + 1] = g & 255;
      rgb[o + 2] = b & 255;
    }
  } else {
    for (let i = 0, o = 0, s = 0; i < n; i++, o += 3, s += 4) {
      const a = src[s + 3]! & 255;
      rgb[o] = blend(src[s]! & 255, a);
      rgb[o + 1] = blend(src[s + 1]! & 255, a);
      rgb[o + 2] = blend(src[s + 2]! & 255, a);
    }
  }
  return { width, height, data: rgb };
}

function sameImage(a: RgbImage, b: RgbImage, what: string): void {
  assert.equal(a.width, b.width, `${what}: width`);
  assert.equal(a.height, b.height, `${what}: height`);
  let diff = 0;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) diff++;
  assert.equal(a.data.length, b.data.length, `${what}: length`);
  assert.equal(diff, 0, `${what}: ${diff} differing values`);
}

function expectDecodeError(fn: () => unknown, pattern?: RegExp): ImageDecodeError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof ImageDecodeError, `expected ImageDecodeError, got ${err === undefined ? "no error" : String(err)}`);
  if (pattern) assert.match(err.message, pattern);
  return err;
}

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------------------------------------------------------
// An independent PNG writer for generated test files.

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  dv.setUint32(8 + data.length, zlib.crc32 ? zlib.crc32(out.subarray(4, 8 + data.length)) : crc32(out, 4, 8 + data.length));
  return out;
}

function cat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];

interface Gen {
  w: number; h: number; ct: number; depth: number; interlace: boolean;
  /** filter type per row (cycled), e.g. [4] or [0,1,2,3,4] */
  filters: number[];
  /** samples, w*h*channels, each < 2^depth */
  samples: Uint16Array;
  plte?: Uint8Array;
  trns?: Uint8Array;
  /** split the zlib stream over this many IDAT chunks */
  idats?: number;
  extra?: Uint8Array[];
}

function filterRow(cur: Uint8Array, prev: Uint8Array | null, bpp: number, f: number): Uint8Array {
  const out = new Uint8Array(cur.length + 1);
  out[0] = f;
  for (let i = 0; i < cur.length; i++) {
    const a = i >= bpp ? cur[i - bpp]! : 0;
    const b = prev ? prev[i]! : 0;
    const c = prev && i >= bpp ? prev[i - bpp]! : 0;
    let pred = 0;
    if (f === 1) pred = a;
    else if (f === 2) pred = b;
    else if (f === 3) pred = (a + b) >> 1;
    else if (f === 4) {
      const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
      pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
    out[i + 1] = (cur[i]! - pred) & 255;
  }
  return out;
}

function packRow(g: Gen, xs: number[], y: number): Uint8Array {
  const ch = CHANNELS[g.ct]!;
  const bits = xs.length * ch * g.depth;
  const row = new Uint8Array(Math.ceil(bits / 8));
  let bit = 0;
  for (const x of xs) {
    for (let k = 0; k < ch; k++) {
      const v = g.samples[(y * g.w + x) * ch + k]!;
      if (g.depth === 16) { row[bit >> 3] = v >> 8; row[(bit >> 3) + 1] = v & 255; }
      else if (g.depth === 8) row[bit >> 3] = v;
      else row[bit >> 3]! |= v << (8 - g.depth - (bit & 7));
      bit += g.depth;
    }
  }
  return row;
}

function rawScanlines(g: Gen): Uint8Array {
  const ch = CHANNELS[g.ct]!;
  const bpp = Math.max(1, (ch * g.depth) >> 3);
  const rows: Uint8Array[] = [];
  let r = 0;
  const passes = g.interlace ? ADAM7 : [[0, 0, 1, 1]];
  for (const [x0, y0, dx, dy] of passes) {
    const xs: number[] = [];
    for (let x = x0!; x < g.w; x += dx!) xs.push(x);
    if (xs.length === 0) continue;
    let prev: Uint8Array | null = null;
    for (let y = y0!; y < g.h; y += dy!) {
      const cur = packRow(g, xs, y);
      rows.push(filterRow(cur, prev, bpp, g.filters[r++ % g.filters.length]!));
      prev = cur;
    }
  }
  return cat(rows);
}

function writePng(g: Gen, zopts: zlib.ZlibOptions = {}): Uint8Array {
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, g.w);
  dv.setUint32(4, g.h);
  ihdr.set([g.depth, g.ct, 0, 0, g.interlace ? 1 : 0], 8);
  const z = new Uint8Array(zlib.deflateSync(rawScanlines(g), zopts));
  const parts = [Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr), ...(g.extra ?? [])];
  if (g.plte) parts.push(chunk("PLTE", g.plte));
  if (g.trns) parts.push(chunk("tRNS", g.trns));
  const k = g.idats ?? 1;
  const step = Math.ceil(z.length / k);
  for (let i = 0; i < z.length; i += step) parts.push(chunk("IDAT", z.subarray(i, i + step)));
  parts.push(chunk("IEND", new Uint8Array(0)));
  return cat(parts);
}

/** dlib's RGB for the generated samples, computed straight from the rules (no PNG involved). */
function expectedRgb(g: Gen): RgbImage {
  const ch = CHANNELS[g.ct]!;
  const n = g.w * g.h;
  const out = new Uint8Array(n * 3);
  const blend = (c: number, a: number) => (a === 255 ? c : (c * a) >> 8);
  const s = g.samples;
  for (let i = 0; i < n; i++) {
    let r = 0, gg = 0, b = 0;
    if (g.ct === 3) {
      const idx = s[i]!;
      if (idx * 3 < g.plte!.length) {
        const a = g.trns && idx < g.trns.length ? g.trns[idx]! : 255;
        r = blend(g.plte![idx * 3]!, a); gg = blend(g.plte![idx * 3 + 1]!, a); b = blend(g.plte![idx * 3 + 2]!, a);
      }
    } else if (g.ct === 0 || g.ct === 4) {
      const v = s[i * ch]!;
      const o = g.depth === 16 ? Math.min(255, v) : g.depth === 8 ? v : v * (255 / ((1 << g.depth) - 1));
      r = gg = b = o;
    } else if (g.ct === 2) {
      const R = s[i * 3]!, G = s[i * 3 + 1]!, B = s[i * 3 + 2]!;
      const key = g.trns ? [(g.trns[0]! << 8) | g.trns[1]!, (g.trns[2]! << 8) | g.trns[3]!, (g.trns[4]! << 8) | g.trns[5]!] : null;
      if (!(key && R === key[0] && G === key[1] && B === key[2])) { r = R & 255; gg = G & 255; b = B & 255; }
    } else {
      const a = s[i * 4 + 3]! & 255;
      r = blend(s[i * 4]! & 255, a); gg = blend(s[i * 4 + 1]! & 255, a); b = blend(s[i * 4 + 2]! & 255, a);
    }
    out[i * 3] = r; out[i * 3 + 1] = gg; out[i * 3 + 2] = b;
  }
  return { width: g.w, height: g.h, data: out };
}

function genSamples(w: number, h: number, ct: number, depth: number, rnd: () => number, paletteSize = 0): Uint16Array {
  const ch = CHANNELS[ct]!;
  const s = new Uint16Array(w * h * ch);
  const max = ct === 3 ? Math.min(paletteSize + 2, 1 << depth) : 1 << depth; // a few out-of-range indices
  for (let i = 0; i < s.length; i++) {
    const r = rnd();
    // mix smooth runs (filters matter) with noise and the extremes
    if (r < 0.1) s[i] = max - 1;
    else if (r < 0.2) s[i] = 0;
    else if (r < 0.5 && i >= ch) s[i] = s[i - ch]!;
    else s[i] = Math.floor(rnd() * max);
    if (ct === 6 && i % 4 === 3 && rnd() < 0.5) s[i] = depth === 16 ? 0xffff : 255; // many opaque pixels
    if (ct === 6 && depth === 16 && i % 4 === 3 && rnd() < 0.2) s[i] = 0x12ff; // low byte 255, high not
  }
  return s;
}

const DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };

// ---------------------------------------------------------------------------------------------------------------

function fixturePngs(): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    if (!existsSync(d)) return;
    for (const f of readdirSync(d).sort()) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (f.endsWith(".png")) out.push(p);
    }
  };
  if (hasFixtures()) walk(fixture());
  walk(join(here, "data", "png"));
  return out;
}

test("every fixture and test/data PNG decodes exactly as the fast-png-based path did", () => {
  const files = fixturePngs();
  assert.ok(files.length >= 45, `only ${files.length} PNGs found`);
  let compared = 0;
  const notOracle: string[] = [];
  for (const f of files) {
    const bytes = new Uint8Array(readFileSync(f));
    const ours = decodePng(bytes, { file: f });
    let ref: RgbImage;
    try {
      ref = oracleDecode(bytes);
    } catch {
      notOracle.push(f);
      continue;
    }
    sameImage(ours, ref, f);
    compared++;
  }
  // fast-png cannot read interlaced 1/2/4-bit files; that one is checked against dlib's output in image-decode.test.ts
  assert.deepEqual(notOracle.map((f) => f.split("/").pop()), ["gray2_adam7.png"]);
  assert.ok(compared >= 44);
});

test("generated PNGs: every colour type x bit depth x interlace x filter equals dlib's rules (and fast-png where it can)", () => {
  const rnd = rng(12345);
  let n = 0;
  let viaFast = 0;
  const sizes = [[13, 7], [1, 1], [3, 2], [17, 11], [9, 33]];
  const filterSets = [[0], [1], [2], [3], [4], [0, 1, 2, 3, 4], [4, 3, 2, 1]];
  for (const ctS of Object.keys(DEPTHS)) {
    const ct = Number(ctS);
    for (const depth of DEPTHS[ct]!) {
      for (const interlace of [false, true]) {
        for (let fi = 0; fi < filterSets.length; fi++) {
          const [w, h] = sizes[(fi + depth + ct) % sizes.length]!;
          const palN = ct === 3 ? Math.max(1, Math.min(1 << depth, 1 + Math.floor(rnd() * (1 << depth)))) : 0;
          const g: Gen = { w: w!, h: h!, ct, depth, interlace, filters: filterSets[fi]!, samples: genSamples(w!, h!, ct, depth, rnd, palN), idats: 1 + (fi % 3) };
          if (ct === 3) {
            g.plte = Uint8Array.from({ length: palN * 3 }, () => Math.floor(rnd() * 256));
            if (fi % 2) g.trns = Uint8Array.from({ length: Math.max(1, palN - 1) }, () => Math.floor(rnd() * 256));
          }
          const what = `ct ${ct} depth ${depth} ${interlace ? "adam7" : "plain"} filters ${g.filters.join("")} ${w}x${h}`;
          const bytes = writePng(g, { level: fi % 2 ? 9 : 1 });
          const ours = decodePng(bytes, { file: what });
          sameImage(ours, expectedRgb(g), what);
          if (!(interlace && depth < 8)) {
            sameImage(ours, oracleDecode(bytes), `${what} (fast-png)`);
            viaFast++;
          }
          n++;
        }
      }
    }
  }
  assert.equal(n, 15 * 2 * 7);
  assert.ok(viaFast > 150);
});

test("Paeth ties and Average carries: few-valued samples make every predictor tie-break matter", () => {
  const rnd = rng(77);
  const vals = [0, 1, 2, 3, 4, 6, 8, 254, 255];
  for (const [ct, depth] of [[2, 8], [0, 8], [6, 16], [4, 8], [0, 16], [3, 8]] as const) {
    for (const interlace of [false, true]) {
      for (const filters of [[4], [3], [4, 3, 2, 1]]) {
        const w = 23, h = 9;
        const ch = CHANNELS[ct]!;
        const samples = Uint16Array.from({ length: w * h * ch }, () => vals[Math.floor(rnd() * vals.length)]! * (depth === 16 ? 257 : 1));
        const g: Gen = { w, h, ct, depth, interlace, filters, samples };
        if (ct === 3) g.plte = Uint8Array.from({ length: 768 }, (_, i) => (i * 7) & 255);
        const bytes = writePng(g);
        const what = `ct ${ct} depth ${depth} ${interlace ? "adam7" : "plain"} filters ${filters.join("")}`;
        sameImage(decodePng(bytes), expectedRgb(g), what);
        sameImage(decodePng(bytes), oracleDecode(bytes), `${what} (fast-png)`);
      }
    }
  }
});

test("tRNS: RGB colour keys (8/16-bit) blacken exactly the keyed pixels; grey keys and malformed tRNS change nothing", () => {
  const rnd = rng(7);
  for (const depth of [8, 16]) {
    const w = 12, h = 5;
    const s = genSamples(w, h, 2, depth, rnd);
    const key = [s[6]!, s[7]!, s[8]!]; // pixel 2's colour is the key
    const trns = new Uint8Array(6);
    key.forEach((v, i) => { trns[2 * i] = v >> 8; trns[2 * i + 1] = v & 255; });
    for (const interlace of [false, true]) {
      const g: Gen = { w, h, ct: 2, depth, interlace, filters: [0, 4], samples: s, trns };
      const img = decodePng(writePng(g));
      sameImage(img, expectedRgb(g), `rgb${depth} key`);
      assert.deepEqual([...img.data.subarray(6, 9)], [0, 0, 0]);
      sameImage(img, oracleDecode(writePng(g)), `rgb${depth} key (fast-png)`);
      // a tRNS of the wrong length is ignored (libpng: benign "invalid")
      const bad = decodePng(writePng({ ...g, trns: trns.subarray(0, 4) }));
      sameImage(bad, expectedRgb({ ...g, trns: undefined }), "short rgb tRNS ignored");
    }
  }
  const gs = genSamples(9, 4, 0, 8, rnd);
  const gg: Gen = { w: 9, h: 4, ct: 0, depth: 8, interlace: false, filters: [1], samples: gs, trns: Uint8Array.of(0, gs[0]!) };
  sameImage(decodePng(writePng(gg)), expectedRgb(gg), "grey key ignored");
  // palette: fewer tRNS entries than colours (the rest opaque), tRNS longer than the palette ignored
  const ps = genSamples(10, 6, 3, 4, rnd, 5);
  const plte = Uint8Array.from({ length: 15 }, (_, i) => 40 + i * 13);
  const pg: Gen = { w: 10, h: 6, ct: 3, depth: 4, interlace: false, filters: [2], samples: ps, plte, trns: Uint8Array.of(0, 128, 254) };
  sameImage(decodePng(writePng(pg)), expectedRgb(pg), "palette, 3 of 5 alphas");
  sameImage(decodePng(writePng(pg)), oracleDecode(writePng(pg)), "palette, 3 of 5 alphas (fast-png)");
  const long = decodePng(writePng({ ...pg, trns: new Uint8Array(6) }));
  sameImage(long, expectedRgb({ ...pg, trns: undefined }), "tRNS longer than the palette is ignored");
});

test("palette images: indices past a short PLTE are black; missing or malformed PLTE is an error", () => {
  const rnd = rng(99);
  const s = genSamples(16, 4, 3, 8, rnd, 3);
  for (let i = 0; i < s.length; i++) s[i] = i % 7; // indices 3..6 are past the 3-entry palette
  const g: Gen = { w: 16, h: 4, ct: 3, depth: 8, interlace: false, filters: [0], samples: s, plte: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9) };
  const img = decodePng(writePng(g));
  sameImage(img, expectedRgb(g), "short palette");
  assert.deepEqual([...img.data.subarray(9, 12)], [0, 0, 0]);
  expectDecodeError(() => decodePng(writePng({ ...g, plte: undefined })), /without PLTE/);
  expectDecodeError(() => decodePng(writePng({ ...g, plte: new Uint8Array(10) })), /PLTE length/);
});

test("decompression bombs stop at the limit; extra data within the slack is accepted", () => {
  const g: Gen = { w: 2, h: 2, ct: 2, depth: 8, interlace: false, filters: [0], samples: new Uint16Array(12).fill(7) };
  const good = writePng(g);
  const raw = rawScanlines(g);
  const withIdat = (z: Uint8Array) => {
    const ihdr = good.subarray(8, 33);
    return cat([good.subarray(0, 8), ihdr, chunk("IDAT", z), chunk("IEND", new Uint8Array(0))]);
  };
  // 1000 extra bytes: fine (libpng ignores them)
  const extra = new Uint8Array(raw.length + 1000);
  extra.set(raw);
  sameImage(decodePng(withIdat(new Uint8Array(zlib.deflateSync(extra)))), expectedRgb(g), "extra data");
  // 64 MiB of zeros behind a 2x2 header: refused after at most the limit, quickly
  const bomb = new Uint8Array(zlib.deflateSync(new Uint8Array(64 << 20), { level: 9 }));
  const t0 = performance.now();
  expectDecodeError(() => decodePng(withIdat(bomb), { file: "bomb.png" }), /bomb\.png: PNG image data inflates to more than 1048590 bytes, but a 2x2 image needs 14 \(decompression bomb\?\)/);
  assert.ok(performance.now() - t0 < 1000, `bomb took ${performance.now() - t0} ms`);
  // too little data
  expectDecodeError(() => decodePng(withIdat(new Uint8Array(zlib.deflateSync(raw.subarray(0, 10))))), /not enough image data/);
});

test("truncations at every byte, and truncated zlib streams inside intact chunks, are ImageDecodeErrors", () => {
  const rnd = rng(3);
  const g: Gen = { w: 11, h: 6, ct: 6, depth: 8, interlace: true, filters: [0, 1, 2, 3, 4], samples: genSamples(11, 6, 6, 8, rnd), idats: 3 };
  const full = writePng(g);
  for (let cut = 0; cut < full.length; cut++) expectDecodeError(() => decodePng(full.subarray(0, cut), { file: "cut.png" }));
  const z = new Uint8Array(zlib.deflateSync(rawScanlines(g)));
  const ihdr = full.subarray(8, 33);
  for (let cut = 0; cut < z.length - 4; cut++) {
    const f = cat([full.subarray(0, 8), ihdr, chunk("IDAT", z.subarray(0, cut)), chunk("IEND", new Uint8Array(0))]);
    expectDecodeError(() => decodePng(f));
  }
  // a missing Adler-32 trailer is accepted (libpng does not fail an image on it)
  const noAdler = cat([full.subarray(0, 8), ihdr, chunk("IDAT", z.subarray(0, z.length - 4)), chunk("IEND", new Uint8Array(0))]);
  sameImage(decodePng(noAdler), expectedRgb(g), "no adler");
});

test("a wrong CRC in any chunk (IHDR, PLTE, tRNS, IDAT, IEND, ancillary) is an ImageDecodeError; iCCP is skipped unread", () => {
  const rnd = rng(5);
  const g: Gen = {
    w: 8, h: 8, ct: 3, depth: 8, interlace: false, filters: [1], samples: genSamples(8, 8, 3, 8, rnd, 20),
    plte: Uint8Array.from({ length: 60 }, () => Math.floor(rnd() * 256)), trns: Uint8Array.of(1, 2, 3), idats: 2,
    extra: [chunk("tEXt", new TextEncoder().encode("Comment\0hello")), chunk("iCCP", Uint8Array.of(65, 0, 0, 1, 2, 3))],
  };
  const good = writePng(g);
  sameImage(decodePng(good), expectedRgb(g), "good");
  let checked = 0;
  for (let p = 8; p < good.length; ) {
    const len = new DataView(good.buffer).getUint32(p);
    const type = String.fromCharCode(...good.subarray(p + 4, p + 8));
    const bad = good.slice();
    bad[p + 8 + len]! ^= 0x40;
    if (type === "iCCP") decodePng(bad);
    else expectDecodeError(() => decodePng(bad), type === "IHDR" ? undefined : new RegExp(`CRC mismatch in chunk "${type}"`));
    checked++;
    p += 12 + len;
  }
  assert.equal(checked, 8);
});

test("zlib inflater: node:zlib streams of every level/strategy, the limit, and every malformed-stream case", () => {
  const data = new Uint8Array(200_000);
  for (let i = 0; i < data.length; i++) data[i] = ((i * 2654435761) >>> 27) & (i % 3 ? 0xff : 0x0f);
  for (const level of [0, 1, 6, 9]) {
    for (const strategy of [0, zlib.constants.Z_FIXED, zlib.constants.Z_HUFFMAN_ONLY, zlib.constants.Z_RLE, zlib.constants.Z_FILTERED]) {
      const z = new Uint8Array(zlib.deflateSync(data, { level, strategy }));
      const r = inflateZlib(z, data.length, 100);
      assert.equal(r.over, false);
      assert.ok(Buffer.from(r.data).equals(Buffer.from(data)), `level ${level} strategy ${strategy}`);
      const o = inflateZlib(z, data.length - 1);
      assert.equal(o.over, true);
      assert.ok(o.data.length <= data.length - 1);
    }
  }
  // skewed byte frequencies (byte k about 2^-k of the time) give 11..15-bit codes: the subtable path
  const skew = new Uint8Array(300_000);
  const r = rng(42);
  for (let i = 0; i < skew.length; i++) skew[i] = Math.min(255, Math.floor(-Math.log2(r() + 1e-12)) * 7 + (i % 7 === 0 ? Math.floor(r() * 3) : 0));
  for (const strategy of [zlib.constants.Z_HUFFMAN_ONLY, 0]) {
    const z = new Uint8Array(zlib.deflateSync(skew, { level: 9, strategy }));
    assert.ok(Buffer.from(inflateZlib(z, skew.length).data).equals(Buffer.from(skew)), `skewed, strategy ${strategy}`);
  }
  const bad = (z: number[] | Uint8Array, re: RegExp) =>
    assert.throws(() => inflateZlib(Uint8Array.from(z), 1 << 20), (e: unknown) => e instanceof DecompressError && re.test((e as Error).message));
  // A bit writer for hand-made streams.
  const bits = (parts: [number, number][]) => {
    const out: number[] = [0x78, 0x01];
    let acc = 0, n = 0;
    for (const [v, len] of parts) for (let i = 0; i < len; i++) { acc |= ((v >> i) & 1) << n; if (++n === 8) { out.push(acc); acc = 0; n = 0; } }
    if (n) out.push(acc);
    return out;
  };
  const rev = (c: number, n: number) => { let r = 0; for (let i = 0; i < n; i++) r |= ((c >> i) & 1) << (n - 1 - i); return r; };
  bad([0x78], /shorter than its 2-byte header/);
  bad([0x79, 0x01, 0, 0], /not deflate/);
  bad([0x78, 0x02, 3, 0], /header check/);
  bad([0x78, 0xbb, 0, 0, 0, 0], /preset dictionary/);
  bad([0x88, 0x1d, 3, 0], /window size/);
  bad(bits([[1, 1], [3, 2]]), /invalid block type 3/);
  bad([0x78, 0x01, 1, 5, 0, 0xfb, 0xff], /stored block length check/);
  bad([0x78, 0x01, 1, 5, 0, 0xfa], /truncated stored block header/);
  bad([0x78, 0x01, 1, 5, 0, 0xfa, 0xff, 1, 2], /truncated stored block/);
  bad([0x78, 0x01, 0, 0, 0, 0xff, 0xff], /truncated/); // no final block
  // fixed block: a match at distance 1 with nothing output yet
  bad(bits([[1, 1], [1, 2], [rev(0b0000001, 7), 7], [0, 5]]), /distance 1 too far back/);
  // fixed block: literal/length symbol 286 (11000110 reversed) and distance code 30
  bad(bits([[1, 1], [1, 2], [rev(0b11000110, 8), 8]]), /invalid length symbol/);
  bad(bits([[1, 1], [1, 2], [rev(0b00110000 + 65, 8), 8], [rev(0b0000001, 7), 7], [rev(30, 5), 5]]), /invalid distance code/);
  // dynamic block headers: code-length code over-subscribed (three 1-bit codes), incomplete (one 2-bit code)
  const dyn = (cl: number[], tail = 0) => bits([[1, 1], [2, 2], [0, 5], [0, 5], [15, 4], ...cl.map((l): [number, number] => [l, 3]), [tail, 16]]);
  bad(dyn([1, 1, 1, ...Array(16).fill(0)]), /over-subscribed cl Huffman code/);
  bad(dyn([0, 0, 0, 2, ...Array(15).fill(0)]), /incomplete cl Huffman code/);
  // code-length symbols 16 and 0 get 1-bit codes (0 -> symbol 0, 1 -> symbol 16); a repeat comes first
  bad(dyn([1, 0, 0, 1, ...Array(15).fill(0)], 0xffff), /repeat of a length with no previous length/);
  // code-length code {0: "0", 18: "1"}: 18 x (11 + 127) zeros = 138, then 138 more overflow 258 lengths
  bad(dyn([0, 0, 1, 1, ...Array(15).fill(0)], 0b1111111_1_1111111_1), /too many code lengths/);
  // all 258 lengths zero (via 18s, then 0s): no end-of-block code
  bad(dyn([0, 0, 1, 1, ...Array(15).fill(0)], 0), /truncated|no end-of-block/);
  // stored block then truncation in the middle of a fixed block
  bad(bits([[0, 1], [1, 2], [rev(0b00110000 + 65, 8), 8]]), /truncated deflate data/);
  // our deflate's output inflates back (empty, one byte, runs, noise)
  for (const d of [new Uint8Array(0), Uint8Array.of(9), new Uint8Array(70_000).fill(3), data]) {
    const z = zlibDeflate(d);
    assert.ok(Buffer.from(inflateZlib(z, d.length).data).equals(Buffer.from(d)));
    assert.ok(Buffer.from(zlib.inflateSync(z)).equals(Buffer.from(d)), "node:zlib reads our stream (Adler-32 checked)");
  }
  assert.equal(adler32(new TextEncoder().encode("Wikipedia")), 0x11e60398);
});

test("fuzzed PNG bytes only ever give ImageDecodeError (1500 mutations of generated and fixture files)", () => {
  const rnd = rng(2024);
  const seeds: Uint8Array[] = [];
  for (const [ct, depth, interlace] of [[3, 2, true], [0, 16, false], [6, 8, true], [2, 8, false], [4, 16, true], [0, 1, true]] as const) {
    const palN = 3;
    const g: Gen = { w: 9, h: 7, ct, depth, interlace, filters: [0, 1, 2, 3, 4], samples: genSamples(9, 7, ct, depth, rnd, palN), idats: 2 };
    if (ct === 3) { g.plte = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9); g.trns = Uint8Array.of(9, 200); }
    seeds.push(writePng(g, { level: 9 }));
  }
  const d = join(here, "data", "png");
  for (const f of ["pal4.png", "rgb16_trns.png", "gray2_adam7.png", "rgba8.png"]) seeds.push(new Uint8Array(readFileSync(join(d, f))));
  let ok = 0, typed = 0;
  const t0 = performance.now();
  for (let it = 0; it < 1500; it++) {
    const src = seeds[it % seeds.length]!;
    let b = src.slice();
    const kind = Math.floor(rnd() * 4);
    const k = 1 + Math.floor(rnd() * 6);
    for (let j = 0; j < k; j++) {
      const p = 8 + Math.floor(rnd() * (b.length - 8));
      if (kind === 0) b[p] = Math.floor(rnd() * 256);
      else if (kind === 1) b[p]! ^= 1 << Math.floor(rnd() * 8);
      else if (kind === 2) b = b.subarray(0, p);
      else b[p] = rnd() < 0.5 ? 0 : 255;
    }
    // Fix up the CRCs half the time, so the mutation reaches IHDR checks, the inflater and the unfilterer.
    if (it % 2) {
      for (let p = 8; p + 12 <= b.length; ) {
        const len = new DataView(b.buffer, b.byteOffset).getUint32(p);
        if (p + 12 + len > b.length) break;
        new DataView(b.buffer, b.byteOffset).setUint32(p + 8 + len, crc32(b, p + 4, p + 8 + len));
        p += 12 + len;
      }
    }
    try {
      const img = decodePng(b);
      assert.equal(img.data.length, img.width * img.height * 3);
      ok++;
    } catch (e) {
      assert.ok(e instanceof ImageDecodeError, `case ${it}: untyped error ${String(e)}`);
      typed++;
    }
  }
  assert.ok(performance.now() - t0 < 20000);
  assert.equal(ok + typed, 1500);
  assert.ok(ok > 50 && typed > 50, `ok ${ok} typed ${typed}`);
});

test("encodePng round-trips through our decoder and fast-png's, and compresses chips about as well as fast-png", (t) => {
  const imgs: [string, RgbImage][] = [];
  const rnd = rng(11);
  imgs.push(["1x1", { width: 1, height: 1, data: Uint8Array.of(1, 2, 3) }]);
  imgs.push(["noise 37x23", { width: 37, height: 23, data: Uint8Array.from({ length: 37 * 23 * 3 }, () => Math.floor(rnd() * 256)) }]);
  imgs.push(["flat 200x1", { width: 200, height: 1, data: new Uint8Array(600).fill(77) }]);
  const chips = hasFixtures() && existsSync(fixture("golden", "chips")) ? readdirSync(fixture("golden", "chips")).filter((f) => f.endsWith(".png")).sort().slice(0, 12) : [];
  for (const f of chips) imgs.push([f, decodePng(new Uint8Array(readFileSync(fixture("golden", "chips", f))))]);
  let ours = 0, theirs = 0;
  for (const [name, img] of imgs) {
    const png = encodePng(img);
    sameImage(decodePng(png), img, `${name} (ours)`);
    const f = fastDecode(png, { checkCrc: true });
    assert.equal(f.channels, 3);
    assert.equal(f.depth, 8);
    sameImage({ width: f.width, height: f.height, data: f.data as Uint8Array }, img, `${name} (fast-png)`);
    if (chips.includes(name)) {
      ours += png.length;
      theirs += fastEncode({ width: img.width, height: img.height, data: img.data, channels: 3, depth: 8 }).length;
    }
  }
  if (chips.length) {
    t.diagnostic(`${chips.length} chips: encodePng ${ours} bytes, fast-png ${theirs} bytes (${((100 * ours) / theirs).toFixed(1)}%)`);
    assert.ok(ours < theirs * 1.05, `ours ${ours} vs fast-png ${theirs}`);
  }
  assert.throws(() => encodePng({ width: 2, height: 2, data: new Uint8Array(11) }), RangeError);
});

// ---------------------------------------------------------------------------------------------------------------
// The wasm fast path (src/image/png-wasm.ts + assembly/png.ts) against the TypeScript decoder.

/** Outcome of a decode: the image, or the error's class name and message. */
function outcome(fn: () => RgbImage): RgbImage | string {
  try {
    return fn();
  } catch (e) {
    return `${(e as Error).constructor.name}: ${(e as Error).message}`;
  }
}

function sameOutcome(a: RgbImage | string, b: RgbImage | string, what: string): void {
  if (typeof a === "string" || typeof b === "string") assert.equal(a, b, what);
  else sameImage(a, b, what);
}

test("wasm fast path: every 8-bit non-interlaced fixture PNG decodes byte-identically to the TypeScript path; others are declined", () => {
  assert.ok(pngWasmAvailable(), "kernels.wasm (npm run build:wasm) has the png kernels");
  let fast = 0;
  const declined: string[] = [];
  for (const f of fixturePngs()) {
    const bytes = new Uint8Array(readFileSync(f));
    const ref = decodePngJs(bytes, { file: f });
    const w = decodePngWasm(bytes);
    const eligible = bytes[24] === 8 && bytes[28] === 0;
    if (!w) {
      assert.ok(!eligible, `${f}: an 8-bit non-interlaced PNG was declined`);
      declined.push(f.split("/").pop()!);
      continue;
    }
    assert.ok(eligible, `${f}: handled although not 8-bit non-interlaced`);
    sameImage(w, ref, f);
    fast++;
  }
  assert.ok(fast >= 40, `only ${fast} fixture PNGs took the fast path`);
  assert.ok(declined.includes("rgb8_adam7.png") && declined.includes("rgb16.png") && declined.includes("pal4.png"));
});

test("wasm fast path: generated 8-bit PNGs of every colour type x filter x zlib level/strategy x IDAT split x tRNS equal the TypeScript path and dlib's rules", () => {
  const rnd = rng(999);
  const sizes = [[13, 7], [1, 1], [3, 2], [17, 11], [9, 33], [64, 5], [2, 70]];
  const filterSets = [[0], [1], [2], [3], [4], [0, 1, 2, 3, 4], [4, 3, 2, 1]];
  const zopts: zlib.ZlibOptions[] = [
    { level: 0 }, { level: 1 }, { level: 6 }, { level: 9 },
    { level: 9, strategy: zlib.constants.Z_FIXED }, { level: 6, strategy: zlib.constants.Z_HUFFMAN_ONLY },
    { level: 6, strategy: zlib.constants.Z_RLE }, { level: 9, memLevel: 1, windowBits: 9 },
  ];
  let n = 0;
  for (const ct of [0, 2, 3, 4, 6]) {
    for (let fi = 0; fi < filterSets.length; fi++) {
      for (let zi = 0; zi < zopts.length; zi++) {
        const [w, h] = sizes[(fi + zi + ct) % sizes.length]!;
        const palN = ct === 3 ? 1 + Math.floor(rnd() * 256) : 0;
        const samples = genSamples(w!, h!, ct, 8, rnd, palN);
        // few-valued samples on half the cases: long matches, Paeth/Average ties, short distances
        if (zi % 2) for (let i = 0; i < samples.length; i++) samples[i] = samples[i]! & (ct === 3 ? 1 : 0x81);
        const g: Gen = { w: w!, h: h!, ct, depth: 8, interlace: false, filters: filterSets[fi]!, samples, idats: 1 + ((fi + zi) % 3) };
        if (ct === 3) {
          g.plte = Uint8Array.from({ length: palN * 3 }, () => Math.floor(rnd() * 256));
          if (fi % 2) g.trns = Uint8Array.from({ length: Math.max(1, palN - (zi % 3)) }, () => Math.floor(rnd() * 256));
        } else if (ct === 2 && fi % 2) {
          const k = Math.floor(rnd() * w! * h!) * 3; // a colour key that does occur
          g.trns = Uint8Array.of(0, samples[k]!, 0, samples[k + 1]!, 0, samples[k + 2]!);
        } else if (ct === 0 && fi % 2) g.trns = Uint8Array.of(0, samples[0]!);
        const what = `ct ${ct} filters ${g.filters.join("")} zlib ${JSON.stringify(zopts[zi])} ${w}x${h}`;
        const bytes = writePng(g, zopts[zi]);
        const fast = decodePngWasm(bytes);
        assert.ok(fast, `${what}: declined`);
        sameImage(fast, decodePngJs(bytes), what);
        sameImage(fast, expectedRgb(g), `${what} (rules)`);
        n++;
      }
    }
  }
  assert.equal(n, 5 * 7 * 8);
  // what stays JavaScript-only: other bit depths and Adam7
  for (const [ct, depth, interlace] of [[0, 16, false], [2, 16, false], [6, 16, false], [4, 16, false], [0, 4, false], [3, 2, false], [2, 8, true], [3, 8, true]] as const) {
    const g: Gen = { w: 5, h: 4, ct, depth, interlace, filters: [0, 1, 2, 3, 4], samples: genSamples(5, 4, ct, depth, rnd, 2) };
    if (ct === 3) g.plte = Uint8Array.of(1, 2, 3, 4, 5, 6);
    assert.equal(decodePngWasm(writePng(g)), null, `ct ${ct} depth ${depth} interlace ${interlace}`);
  }
});

test("wasm fast path is what decodePng uses; large images (one-shot instance) match too", () => {
  const chip = join(fixture(), "golden", "chips", "bald_guys_0.png");
  const big = join(fixture(), "golden", "decoded", "bald_guys.png");
  const g: Gen = { w: 40, h: 30, ct: 2, depth: 8, interlace: false, filters: [0, 1, 2, 3, 4], samples: genSamples(40, 30, 2, 8, rng(1)) };
  const files = [writePng(g)];
  for (const f of [chip, big]) if (existsSync(f)) files.push(new Uint8Array(readFileSync(f)));
  for (const bytes of files) {
    const before = pngWasmStats.decoded;
    const img = decodePng(bytes);
    assert.equal(pngWasmStats.decoded, before + 1, "decodePng took the fast path");
    sameImage(img, decodePngJs(bytes), `${img.width}x${img.height}`);
  }
  // maxPixels: the fast path declines, the TypeScript path gives its error
  const before = pngWasmStats.decoded;
  expectDecodeError(() => decodePng(files[0]!, { maxPixels: 1199 }), /more than the limit of 1199/);
  assert.equal(pngWasmStats.decoded, before);
  assert.ok(PNG_WASM_SHARED_BYTES < 1986 * 1545 * 7, "bald_guys.png exercises the one-shot instance");
});

test("wasm fast path: bombs, truncations, bad CRCs, bad filters and corrupt zlib data are declined and give the TypeScript path's errors", () => {
  const g: Gen = { w: 2, h: 2, ct: 2, depth: 8, interlace: false, filters: [0], samples: new Uint16Array(12).fill(7) };
  const good = writePng(g);
  const raw = rawScanlines(g);
  const withIdat = (z: Uint8Array) => cat([good.subarray(0, 33), chunk("IDAT", z), chunk("IEND", new Uint8Array(0))]);
  const bomb = withIdat(new Uint8Array(zlib.deflateSync(new Uint8Array(64 << 20), { level: 9 })));
  const extra = new Uint8Array(raw.length + 1000);
  extra.set(raw);
  const badFilter = raw.slice();
  badFilter[0] = 5;
  const cases: [string, Uint8Array][] = [
    ["bomb", bomb],
    ["extra data within the slack", withIdat(new Uint8Array(zlib.deflateSync(extra)))],
    ["too little data", withIdat(new Uint8Array(zlib.deflateSync(raw.subarray(0, 10))))],
    ["filter type 5", withIdat(new Uint8Array(zlib.deflateSync(badFilter)))],
    ["no Adler-32", withIdat(new Uint8Array(zlib.deflateSync(raw)).subarray(0, -4))],
  ];
  const crcBad = good.slice();
  crcBad[40]! ^= 1;
  cases.push(["IDAT CRC", crcBad]);
  const z = new Uint8Array(zlib.deflateSync(raw));
  for (let cut = 0; cut < z.length - 4; cut++) cases.push([`zlib cut at ${cut}`, withIdat(z.subarray(0, cut))]);
  for (let cut = 0; cut < good.length; cut++) cases.push([`file cut at ${cut}`, good.subarray(0, cut)]);
  for (const [what, bytes] of cases) {
    const fast = decodePngWasm(bytes);
    const ref = outcome(() => decodePngJs(bytes, { file: "x.png" }));
    if (typeof ref === "string") assert.equal(fast, null, `${what}: fast path returned an image for a file the TypeScript path refuses`);
    else if (fast) sameImage(fast, ref, what);
    sameOutcome(outcome(() => decodePng(bytes, { file: "x.png" })), ref, what);
  }
});

test("wasm fast path: 1500 fuzzed 8-bit PNGs give exactly the TypeScript path's image or error", () => {
  const rnd = rng(4242);
  const seeds: Uint8Array[] = [];
  for (const ct of [0, 2, 3, 4, 6]) {
    const g: Gen = { w: 9, h: 7, ct, depth: 8, interlace: false, filters: [0, 1, 2, 3, 4], samples: genSamples(9, 7, ct, 8, rnd, 3), idats: 2 };
    if (ct === 3) { g.plte = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9); g.trns = Uint8Array.of(9, 200); }
    if (ct === 2) g.trns = Uint8Array.of(0, 1, 0, 2, 0, 3);
    seeds.push(writePng(g, { level: ct % 2 ? 9 : 1 }));
  }
  const d = join(here, "data", "png");
  for (const f of ["rgba8.png", "pal8.png", "gray8.png"]) if (existsSync(join(d, f))) seeds.push(new Uint8Array(readFileSync(join(d, f))));
  let images = 0, errors = 0, fastImages = 0;
  for (let it = 0; it < 1500; it++) {
    const src = seeds[it % seeds.length]!;
    let b = src.slice();
    const kind = Math.floor(rnd() * 4);
    const k = 1 + Math.floor(rnd() * 4);
    for (let j = 0; j < k; j++) {
      const p = 8 + Math.floor(rnd() * (b.length - 8));
      if (kind === 0) b[p] = Math.floor(rnd() * 256);
      else if (kind === 1) b[p]! ^= 1 << Math.floor(rnd() * 8);
      else if (kind === 2) b = b.subarray(0, p);
      else b[p] = rnd() < 0.5 ? 0 : 255;
    }
    if (it % 4) {
      for (let p = 8; p + 12 <= b.length; ) {
        const len = new DataView(b.buffer, b.byteOffset).getUint32(p);
        if (p + 12 + len > b.length) break;
        new DataView(b.buffer, b.byteOffset).setUint32(p + 8 + len, crc32(b, p + 4, p + 8 + len));
        p += 12 + len;
      }
    }
    const ref = outcome(() => decodePngJs(b));
    const fast = decodePngWasm(b);
    if (typeof ref === "string") {
      assert.equal(fast, null, `case ${it}: fast path returned an image for a file the TypeScript path refuses (${ref})`);
      errors++;
    } else {
      images++;
      if (fast) {
        sameImage(fast, ref, `case ${it}`);
        fastImages++;
      }
    }
    sameOutcome(outcome(() => decodePng(b)), ref, `case ${it}`);
  }
  assert.ok(images > 100 && errors > 100 && fastImages > 100, `images ${images} (fast ${fastImages}) errors ${errors}`);
});
