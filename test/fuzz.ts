/**
 * Seeded mutation fuzzing of every reader: networks (every fixture model with its type, the big networks'
 * decompressed bytes included), shape predictors (toy 5-point, dlib's 68-point), the HOG detector, images
 * (JPEG/PNG), bzip2 (mutated compressed models through readSource). A case passes when the reader returns
 * normally or throws one of our typed errors, within the time bound and without allocating more than the
 * input justifies; anything else (TypeError, RangeError, a wasm trap, a hang, a huge allocation) fails.
 *
 * Mutations: generic (truncate, bitflip, byte, splice, zero-run, int-huge, int-negative) and structural, from a
 * map of the file's fields recorded while the clean file is read (every dlib integer with what it is):
 * len-huge / len-negative / len-off (tensor, matrix, string, vector and count fields set to 2^31, 2^32, 2^53,
 * 2^61, -1, ±1 ...), field (any integer field rewritten), swap-layers (two layer-detail blocks exchanged),
 * wrong-type (the file read by another target's reader, e.g. a shape predictor read as a ResNet).
 *
 *   npx tsx test/fuzz.ts [--cases N] [--seed S] [--only I] [--no-big] [--timeout-ms T]
 * Case I of seed S is reproducible alone (`--only I`): each case has its own generator seeded by (S, I).
 * The script runs the cases in a worker thread under a watchdog, so a hang is reported with its case number.
 */
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { readNetwork } from "../src/dlib/network-reader.ts";
import { parseKnownNet } from "../src/dlib/known-nets.ts";
import { parseNetDefinition } from "../src/dlib/netdef.ts";
import { readShapePredictor } from "../src/face/shape-predictor.ts";
import { readFhogObjectDetector } from "../src/dlib/object-detector.ts";
import { decodeImage } from "../src/image/decode.ts";
import { DlibReader } from "../src/dlib/serialize.ts";
import { readSource } from "../src/dlib/source.ts";
import { DlibFormatError, ImageDecodeError, DecompressError, LimitError, WrongNetworkError } from "../src/errors.ts";
import { loadHogDetector, detectFacesHog, initHogWasm } from "../src/face/hog.ts";
import { loadShapePredictor } from "../src/face/shape-predictor.ts";
import { Network } from "../src/nn/network.ts";
import { createKernels, type Kernels } from "../src/nn/wasm.ts";
import { runMmod } from "../src/face/mmod.ts";
import type { RgbImage } from "../src/image/types.ts";
import type { NetType } from "../src/dlib/nettype.ts";

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = resolve(process.env.DLIB_FACE_FIXTURES ?? join(here, "..", "..", "shared", "fixtures"));

/** xorshift32: deterministic cases from a seed. */
export class Rng {
  constructor(private s: number) { this.s >>>= 0; if (!this.s) this.s = 0x9e3779b9; }
  u32() { let x = this.s; x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; this.s = x; return x; }
  below(n: number) { return this.u32() % Math.max(1, n); }
  pick<T>(a: readonly T[]): T { return a[this.below(a.length)]; }
}

/** The generator of case `i` of `seed` (cases are independent, so any one can be replayed alone). */
export function caseRng(seed: number, i: number): Rng {
  let h = (Math.imul(seed ^ 0x85ebca6b, 0x9e3779b1) ^ Math.imul(i + 1, 0xc2b2ae35)) >>> 0;
  h ^= h >>> 16; h = Math.imul(h, 0x7feb352d) >>> 0; h ^= h >>> 15;
  const r = new Rng(h || 1);
  r.u32(); r.u32();
  return r;
}

export type Mutation = "truncate" | "bitflip" | "byte" | "int-huge" | "int-negative" | "splice" | "zero-run";

/** One mutated copy of `b` (generic mutations). Integer-field mutations hit dlib's variable-length int control bytes. */
export function mutate(b: Uint8Array, r: Rng, focus = b.length): { bytes: Uint8Array; what: string } {
  const kinds: Mutation[] = ["truncate", "bitflip", "byte", "int-huge", "int-negative", "splice", "zero-run"];
  const k = kinds[r.below(kinds.length)];
  // bias positions to the structural part (headers, layer details) half of the time
  const pos = r.below(2) ? r.below(Math.min(focus, b.length)) : r.below(b.length);
  let out: Uint8Array;
  switch (k) {
    case "truncate": return { bytes: b.subarray(0, pos), what: `truncate@${pos}` };
    case "bitflip": out = b.slice(); out[pos] ^= 1 << r.below(8); break;
    case "byte": out = b.slice(); out[pos] = r.below(256); break;
    case "int-huge": {
      // find an int control byte (0x01..0x04) at or after pos and make its value enormous
      out = b.slice();
      let p = pos;
      while (p < out.length - 9 && !(out[p] >= 1 && out[p] <= 4)) p++;
      out[p] = 0x08;
      for (let i = 1; i <= 8 && p + i < out.length; i++) out[p + i] = 0xff;
      if (p + 8 < out.length) out[p + 8] = 0x1f;
      return { bytes: out, what: `int-huge@${p}` };
    }
    case "int-negative": {
      out = b.slice();
      let p = pos;
      while (p < out.length - 2 && !(out[p] >= 1 && out[p] <= 4)) p++;
      out[p] |= 0x80;
      return { bytes: out, what: `int-negative@${p}` };
    }
    case "splice": {
      const len = 1 + r.below(64);
      const src = r.below(b.length);
      out = new Uint8Array(b.length + len);
      out.set(b.subarray(0, pos));
      out.set(b.subarray(src, src + len), pos);
      out.set(b.subarray(pos), pos + len);
      return { bytes: out, what: `splice@${pos}+${len}` };
    }
    case "zero-run": {
      out = b.slice();
      out.fill(0, pos, pos + 1 + r.below(32));
      break;
    }
  }
  return { bytes: out!, what: `${k}@${pos}` };
}

// ---------------------------------------------------------------------------------------------------------
// Structure map: where each dlib integer of a clean file is, and what it is

/** One integer field of a file: its offset, encoded length (control byte included) and value. */
export interface Field { pos: number; len: number; value: number; what: string }
/** A layer-details block: from its version string to the add_layer flags after it. */
export interface Block { start: number; end: number; version: string }
export interface StructureMap { fields: Field[]; lengths: Field[]; blocks: Block[] }

const LENGTH_RE = /num_samples|\bk$|\bnr$|\bnc$|NR|NC|length|rows|cols|count|size|number of|max_size|num_|forests|trees|windows/i;
const MAX_FIELDS = 200_000;

/**
 * Read `bytes` with `run` while recording every integer the DlibReader decodes (offset, size, label), the
 * layer version strings and the end of each layer's details. Clean files only (the read must succeed).
 */
export function structureOf(bytes: Uint8Array, run: (b: Uint8Array) => unknown): StructureMap {
  const proto = DlibReader.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
  const origInt = proto.int, origString = proto.string, origBool = proto.bool;
  const fields: Field[] = [];
  const lengths: Field[] = [];
  const blocks: Block[] = [];
  const open: { start: number; version: string }[] = [];
  let depth = 0; // ints read inside float() are mantissa/exponent: recorded as plain fields
  proto.int = function (this: DlibReader, what = "integer") {
    const at = this.pos;
    const v = origInt.call(this, what) as number;
    if (this.bytes === bytes && depth === 0) {
      const f = { pos: at, len: this.pos - at, value: v, what: String(what) };
      if (LENGTH_RE.test(f.what)) lengths.push(f);
      else if (fields.length < MAX_FIELDS) fields.push(f);
    }
    return v;
  };
  proto.string = function (this: DlibReader, what = "string", maxLen?: unknown) {
    const at = this.pos;
    const s = origString.call(this, what, maxLen) as string;
    if (this.bytes === bytes && what === "layer version string") open.push({ start: at, version: s });
    return s;
  };
  proto.bool = function (this: DlibReader, what = "bool") {
    const at = this.pos;
    const v = origBool.call(this, what);
    if (this.bytes === bytes && what === "this_layer_setup_called" && open.length) {
      const o = open.pop()!;
      blocks.push({ start: o.start, end: at, version: o.version });
    }
    return v;
  };
  const origFloat = proto.float;
  proto.float = function (this: DlibReader, ...a: unknown[]) {
    depth++;
    try { return origFloat.apply(this, a); } finally { depth--; }
  };
  try {
    run(bytes);
  } finally {
    proto.int = origInt;
    proto.string = origString;
    proto.bool = origBool;
    proto.float = origFloat;
  }
  return { fields, lengths, blocks };
}

/** dlib's integer encoding of `v` (sign bit + byte count, then little-endian magnitude); |v| < 2^64. */
export function encodeInt(v: bigint): Uint8Array {
  const neg = v < 0n;
  let m = neg ? -v : v;
  const bytes: number[] = [];
  while (m > 0n) { bytes.push(Number(m & 0xffn)); m >>= 8n; }
  if (bytes.length === 0) bytes.push(0);
  return Uint8Array.from([(neg ? 0x80 : 0) | bytes.length, ...bytes]);
}

/** Replace [pos, pos+len) of `b` by `ins`. */
function replace(b: Uint8Array, pos: number, len: number, ins: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length - len + ins.length);
  out.set(b.subarray(0, pos));
  out.set(ins, pos);
  out.set(b.subarray(pos + len), pos + ins.length);
  return out;
}

const HUGE: bigint[] = [2n ** 31n - 1n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 40n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 61n, 2n ** 63n - 1n, 2n ** 64n - 1n];
const NEG: bigint[] = [-1n, -2n, -(2n ** 31n), -(2n ** 32n), -(2n ** 53n), -(2n ** 63n)];

/** A structural mutation of a file with a structure map (null when the map has nothing to work with). */
export function mutateStructure(b: Uint8Array, s: StructureMap, r: Rng): { bytes: Uint8Array; what: string } | null {
  const kind = r.below(10);
  if (kind < 6 && s.lengths.length) {
    const f = r.pick(s.lengths);
    const sub = r.below(3);
    const v = sub === 0 ? r.pick(HUGE) : sub === 1 ? r.pick(NEG) : BigInt(f.value) + BigInt(r.pick([1, -1, 2, 7, 1000, -1000]));
    const tag = sub === 0 ? "len-huge" : sub === 1 ? "len-negative" : "len-off";
    return { bytes: replace(b, f.pos, f.len, encodeInt(v)), what: `${tag}@${f.pos}(${f.what}=${f.value}->${v})` };
  }
  if (kind < 8 && s.blocks.length >= 2) {
    let i = r.below(s.blocks.length), j = r.below(s.blocks.length);
    if (i === j) j = (i + 1) % s.blocks.length;
    let [a, c] = [s.blocks[i], s.blocks[j]];
    if (a.start > c.start) [a, c] = [c, a];
    const out = new Uint8Array(b.length);
    let o = 0;
    const put = (x: Uint8Array) => { out.set(x, o); o += x.length; };
    put(b.subarray(0, a.start));
    put(b.subarray(c.start, c.end));
    put(b.subarray(a.end, c.start));
    put(b.subarray(a.start, a.end));
    put(b.subarray(c.end));
    return { bytes: out, what: `swap-layers@${a.start}(${a.version})<->${c.start}(${c.version})` };
  }
  if (s.fields.length) {
    const f = r.pick(s.fields);
    const v = r.below(2) ? r.pick([...HUGE, ...NEG]) : BigInt(r.below(2) ? f.value + 1 : -f.value) ;
    return { bytes: replace(b, f.pos, f.len, encodeInt(v)), what: `field@${f.pos}(${f.what}=${f.value}->${v})` };
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------------
// Targets

const TYPED = [DlibFormatError, ImageDecodeError, DecompressError, LimitError, WrongNetworkError];
export const isTyped = (e: unknown) => TYPED.some((T) => e instanceof T);

export interface Target {
  name: string;
  bytes: Uint8Array;
  run: (b: Uint8Array) => unknown;
  /** Bytes at the start where the structure is (positions are biased there half of the time). */
  focus: number;
  /** Relative frequency among the cases (default 1). */
  weight?: number;
  /** Structure map of the clean file (dlib files). */
  structure?: StructureMap;
  /** Reader family, for wrong-type cases. */
  family?: "network" | "shape_predictor" | "hog" | "image" | "bz2";
  /** The network type (network targets). */
  netType?: NetType;
}

const TINY: Record<string, [string, string?]> = {
  tiny_resnet_metric_bn: ["tiny_resnet_metric"], tiny_resnet_metric_affine: ["tiny_resnet_metric"],
  tiny_densenet_metric_bn: ["tiny_densenet_metric"], tiny_mmod_bn: ["tiny_mmod"],
  tiny_old_v19_15_mmod: ["tiny_old_mmod_v2_v3"], tiny_old_v19_6_mmod: ["tiny_old_mmod_v2_v3"],
};
const BIG: Record<string, string> = {
  "mmod_human_face_detector.dat.bz2": "mmod_human_face_detector",
  "dnn_gender_classifier_v1.dat.bz2": "dnn_gender_classifier_v1",
  "face_recognition_densenet_model_v1.dat.bz2": "face_recognition_densenet_model_v1",
  "resnet_v1_faceapi_q8.dat.bz2": "dlib_face_recognition_resnet_model_v1",
  "resnet_v1_faceapi_q8_affine.dat.bz2": "dlib_face_recognition_resnet_model_v1",
  "gender_resnet34_random.dnn.bz2": "taguchi_gender_resnet34",
};

/** Attach the structure map of a dlib-format target (its clean bytes must read). */
export function withStructure(t: Target): Target {
  try {
    t.structure = structureOf(t.bytes, t.run);
  } catch (e) {
    throw new Error(`fuzz target ${t.name} does not read cleanly: ${(e as Error).message}`);
  }
  return t;
}

export interface TargetOptions {
  /** Include the decompressed big networks (MB to tens of MB each; default true). */
  big?: boolean | string[];
  /** Include dlib's 68-point shape predictor from /usr/share/dlib (99 MB; default true). */
  sp68?: boolean;
  /** Include bzip2 targets (tiny models compressed with the system `bzip2`, and one real .bz2). */
  bz2?: boolean;
  /** Include the small JPEG/PNG files of test/data (default true) and the fixture photos. */
  images?: boolean;
  /** Include "use" targets: the model is read and then run (HOG detection, landmarks, tiny network forward passes). */
  use?: boolean;
}

/** A deterministic test image (gradients and a bright disc). */
function testImage(w: number, h: number): RgbImage {
  const d = new Uint8Array(w * h * 3);
  for (let y = 0, o = 0; y < h; y++) for (let x = 0; x < w; x++, o += 3) {
    const r = Math.hypot(x - w / 2, y - h / 2) < w / 4 ? 200 : 40;
    d[o] = (x * 255) / w; d[o + 1] = r; d[o + 2] = (y * 255) / h;
  }
  return { width: w, height: h, data: d };
}

let useKernels: Kernels | null = null;
/**
 * Targets that read a mutated model and then use it: HOG detection on a 96x96 image, landmarks in a box, a
 * forward pass of each tiny network (150x150) or MMOD on 64x64, in a kernel instance limited to 512 MiB whose
 * live bytes must come back to where they were (no leak on any path).
 */
async function useTargets(out: Target[]): Promise<Target[]> {
  await initHogWasm().catch(() => undefined);
  useKernels ??= await createKernels({ maxMemoryBytes: 512 << 20 });
  const k = useKernels;
  const img96 = testImage(96, 96), img150 = testImage(150, 150), img64 = testImage(64, 64);
  const uses: Target[] = [];
  const leakCheck = (name: string, f: () => unknown) => async () => {
    const live = k.arena.liveBytes;
    let err: unknown = null;
    try { await f(); } catch (e) { err = e; }
    if (k.arena.liveBytes !== live) {
      const leaked = k.arena.liveBytes - live;
      throw new Error(`${name}: arena live bytes ${live} -> ${k.arena.liveBytes} (leak of ${leaked}) after ${err ? `${(err as Error).name}: ${(err as Error).message}` : "success"}`);
    }
    if (err) throw err;
  };
  for (const t of out) {
    if (t.family === "hog") {
      uses.push({ ...t, name: `use:${t.name}`, weight: 0.5, run: (b) => detectFacesHog(img96, { detector: loadHogDetector(b, t.name) }) });
    } else if (t.family === "shape_predictor" && t.bytes.length < 10e6) {
      uses.push({ ...t, name: `use:${t.name}`, weight: 0.5, run: async (b) => (await loadShapePredictor(b, t.name)).predict(img96, { left: 10, top: 12, right: 80, bottom: 84 }) });
    } else if (t.family === "network" && t.bytes.length < 200_000 && t.netType) {
      const type = t.netType;
      const pyramid = /mmod/.test(t.name);
      uses.push({ ...t, name: `use:${t.name}`, weight: 0.5, run: (b) => leakCheck(t.name, () => {
        const net = Network.fromBytes(b, type, k, t.name);
        try {
          if (pyramid) runMmod(net, img64);
          else net.forwardSync([img150]);
        } finally { net.dispose(); }
      })() });
    }
  }
  return uses;
}

/** A network target with its (NetType) reader. */
export function networkTarget(name: string, bytes: Uint8Array, type: NetType | string, weight = 1): Target {
  const t = typeof type === "string" ? parseKnownNet(type) : type;
  return withStructure({ name, bytes, run: (b) => readNetwork(b, t.root, null, name), focus: 4096, weight, family: "network", netType: t });
}

/** Every fuzz target found in the fixtures, test/data and /usr/share/dlib. */
export async function targets(opts: TargetOptions = {}): Promise<Target[]> {
  const out: Target[] = [];
  const models = join(fixtures, "models");
  if (!existsSync(models)) return out;
  for (const f of readdirSync(models).sort()) {
    const p = join(models, f);
    const base = f.replace(/\.(dat|dnn)(\.bz2)?$/, "");
    if (f.endsWith(".bz2")) continue;
    const bytes = new Uint8Array(readFileSync(p));
    if (f.startsWith("shape_predictor")) out.push(withStructure({ name: f, bytes, run: (b) => readShapePredictor(b, f), focus: 4096, family: "shape_predictor" }));
    else if (f.startsWith("frontal_face")) out.push(withStructure({ name: f, bytes, run: (b) => readFhogObjectDetector(b, f), focus: 256, family: "hog" }));
    else {
      const [file, alias] = TINY[base] ?? [base];
      const tp = join(here, "nets", `${file}.txt`);
      if (!existsSync(tp)) continue;
      out.push(networkTarget(f, bytes, parseNetDefinition(readFileSync(tp, "utf8"), { name: alias })));
    }
  }
  const big = opts.big ?? true;
  if (big) {
    for (const [f, id] of Object.entries(BIG)) {
      if (Array.isArray(big) && !big.includes(f)) continue;
      const p = join(models, f);
      if (!existsSync(p)) continue;
      const { bytes } = await readSource(p);
      // cases on the big files cost a copy of the file: give them fewer
      const w = bytes.length > 50e6 ? 0.15 : bytes.length > 10e6 ? 0.3 : 1;
      out.push(networkTarget(f.replace(/\.bz2$/, ""), bytes, id, w));
    }
  }
  const sp68 = "/usr/share/dlib/shape_predictor_68_face_landmarks.dat";
  if ((opts.sp68 ?? true) && existsSync(sp68)) {
    const bytes = new Uint8Array(readFileSync(sp68));
    out.push(withStructure({ name: "shape_predictor_68_face_landmarks.dat", bytes, run: (b) => readShapePredictor(b, "sp68"), focus: 1 << 16, weight: 0.04, family: "shape_predictor" }));
  }
  if (opts.images ?? true) {
    for (const dir of ["jpeg", "png"]) {
      const d = join(here, "data", dir);
      if (!existsSync(d)) continue;
      for (const f of readdirSync(d).sort()) {
        if (!/\.(jpe?g|png)$/i.test(f) || f.includes(".expected.")) continue;
        const bytes = new Uint8Array(readFileSync(join(d, f)));
        if (bytes.length > 64 * 1024) continue;
        out.push({ name: `${dir}/${f}`, bytes, run: (b) => decodeImage(b, { file: f }), focus: 512, weight: 0.25, family: "image" });
      }
    }
    for (const img of ["2009_004587.jpg", "HiranoShow.png"]) {
      const p = join(fixtures, "images", img);
      if (existsSync(p)) out.push({ name: img, bytes: new Uint8Array(readFileSync(p)), run: (b) => decodeImage(b, { file: img }), focus: 1024, weight: 0.3, family: "image" });
    }
  }
  if (opts.use ?? true) out.push(...(await useTargets(out)));
  if (opts.bz2 ?? true) {
    // tiny models compressed with the system bzip2, read end to end (readSource, then the network reader)
    for (const t of out.filter((x) => x.family === "network" && x.bytes.length < 200_000)) {
      let z: Uint8Array;
      try { z = new Uint8Array(execFileSync("bzip2", ["-9", "-c"], { input: t.bytes, maxBuffer: 1 << 26 })); } catch { break; }
      const run = t.run;
      out.push({ name: `${t.name}.bz2`, bytes: z, focus: 64, weight: 0.3, family: "bz2", run: async (b) => run((await readSource(b, { name: `${t.name}.bz2`, maxBytes: 4 * t.bytes.length + 65536 })).bytes) });
    }
    const p = join(models, "mmod_human_face_detector.dat.bz2");
    if (existsSync(p)) out.push({ name: "mmod_human_face_detector.dat.bz2(raw)", bytes: new Uint8Array(readFileSync(p)), focus: 4096, weight: 0.1, family: "bz2", run: async (b) => readSource(b, { maxBytes: 8 << 20 }) });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Running cases

export interface CaseResult { i: number; target: string; what: string; outcome: "ok" | "typed" | "fail"; ms: number; detail?: string; allocBytes: number }

function weighted(ts: Target[], r: Rng): Target {
  let total = 0;
  for (const t of ts) total += t.weight ?? 1;
  let x = (r.u32() / 2 ** 32) * total;
  for (const t of ts) { x -= t.weight ?? 1; if (x < 0) return t; }
  return ts[ts.length - 1];
}

/** The mutated input of case `i` and the reader that gets it. */
export function makeCase(ts: Target[], seed: number, i: number): { t: Target; bytes: Uint8Array; what: string; run: (b: Uint8Array) => unknown } {
  const r = caseRng(seed, i);
  const t = weighted(ts, r);
  const roll = r.below(20);
  const others = roll === 0 ? ts.filter((o) => o !== t && o.family !== "bz2" && o.run !== t.run && !o.name.startsWith("use:")) : [];
  if (others.length) {
    // wrong type: another family's (or another network's) reader on this file, mutated or not
    const o = r.pick(others);
    const m = r.below(2) ? { bytes: t.bytes, what: "clean" } : mutate(t.bytes, r, t.focus);
    return { t, bytes: m.bytes, what: `wrong-type(${o.name} reader, ${m.what})`, run: o.run };
  }
  if (t.structure && roll < 12) {
    const m = mutateStructure(t.bytes, t.structure, r);
    if (m) return { t, ...m, run: t.run };
  }
  const m = mutate(t.bytes, r, t.focus);
  return { t, ...m, run: t.run };
}

/** Every known reader on every target's clean bytes (deterministic wrong-type matrix). */
export async function wrongTypeMatrix(ts: Target[]): Promise<{ pairs: number; failures: string[] }> {
  const failures: string[] = [];
  let pairs = 0;
  const readers = ts.filter((t) => t.family !== "bz2" && t.family !== "image" && !t.name.startsWith("use:"));
  for (const file of ts) {
    if (file.family === "bz2" || file.bytes.length > 30e6 || file.name.startsWith("use:")) continue;
    for (const rd of readers) {
      if (rd.run === file.run) continue;
      pairs++;
      try { await rd.run(file.bytes); } catch (e) {
        if (!isTyped(e)) failures.push(`${file.name} read by ${rd.name}'s reader: ${(e as Error)?.name}: ${(e as Error)?.message}`);
      }
    }
  }
  return { pairs, failures };
}

const mem = () => { const m = process.memoryUsage(); return m.arrayBuffers + m.heapUsed; };

/** Run one case; allocation measured as the growth of JS heap + ArrayBuffers across the case. */
export async function runCase(ts: Target[], seed: number, i: number, maxMs: number): Promise<CaseResult> {
  const c = makeCase(ts, seed, i);
  const m0 = mem();
  const t0 = performance.now();
  let outcome: CaseResult["outcome"] = "ok";
  let detail: string | undefined;
  try {
    await c.run(c.bytes);
  } catch (e) {
    if (isTyped(e)) {
      outcome = "typed";
      const msg = (e as Error).message;
      if (!msg || msg.length < 10) { outcome = "fail"; detail = `typed error without a useful message: ${JSON.stringify(msg)}`; }
    } else { outcome = "fail"; detail = `${(e as Error)?.name}: ${(e as Error)?.message}`; }
  }
  const ms = performance.now() - t0;
  const allocBytes = Math.max(0, mem() - m0);
  if (outcome !== "fail" && ms > maxMs) { outcome = "fail"; detail = `took ${ms.toFixed(0)} ms (bound ${maxMs})`; }
  // what an input justifies: a few times its own size (decoded pixels, parsed tables) plus slack
  const justified = 8 * Math.max(c.bytes.length, c.t.bytes.length) + (64 << 20);
  if (outcome !== "fail" && allocBytes > justified) { outcome = "fail"; detail = `allocated ${(allocBytes / 2 ** 20).toFixed(0)} MiB for a ${c.bytes.length}-byte input`; }
  return { i, target: c.t.name, what: c.what, outcome, ms, detail, allocBytes };
}

export interface FuzzSummary {
  seed: number; cases: number; ok: number; typed: number; failures: string[]; maxMs: number; maxMsCase: string;
  maxAllocMiB: number; byTarget: Record<string, number>; byMutation: Record<string, number>;
}

export function emptySummary(seed: number): FuzzSummary {
  return { seed, cases: 0, ok: 0, typed: 0, failures: [], maxMs: 0, maxMsCase: "", maxAllocMiB: 0, byTarget: {}, byMutation: {} };
}

export function addResult(s: FuzzSummary, c: CaseResult): void {
  s.cases++;
  if (c.outcome === "ok") s.ok++;
  else if (c.outcome === "typed") s.typed++;
  else s.failures.push(`case ${c.i}: ${c.target} ${c.what}: ${c.detail}`);
  if (c.ms > s.maxMs) { s.maxMs = c.ms; s.maxMsCase = `${c.i} ${c.target} ${c.what}`; }
  s.maxAllocMiB = Math.max(s.maxAllocMiB, c.allocBytes / 2 ** 20);
  s.byTarget[c.target] = (s.byTarget[c.target] ?? 0) + 1;
  const kind = c.what.replace(/[@(].*$/, "");
  s.byMutation[kind] = (s.byMutation[kind] ?? 0) + 1;
}

/** Run cases [from, to) of `seed` in this thread. */
export async function fuzz(ts: Target[], cases: number, seed: number, maxMsPerCase = 5000, from = 0): Promise<FuzzSummary> {
  const s = emptySummary(seed);
  for (let i = from; i < from + cases; i++) addResult(s, await runCase(ts, seed, i, maxMsPerCase));
  return s;
}

// ---------------------------------------------------------------------------------------------------------
// Script: worker thread + watchdog

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
const wt = await import("node:worker_threads");
if (!wt.isMainThread && wt.workerData?.kind === "dlib-face-fuzz") {
  const { seed, from, to, opts, maxMs } = wt.workerData as { seed: number; from: number; to: number; opts: TargetOptions; maxMs: number };
  const ts = await targets(opts);
  wt.parentPort!.postMessage({ type: "targets", names: ts.map((t) => `${t.name}${t.structure ? ` [${t.structure.lengths.length} length fields, ${t.structure.blocks.length} layer blocks]` : ""}`) });
  if (from === 0) wt.parentPort!.postMessage({ type: "matrix", ...(await wrongTypeMatrix(ts)) });
  for (let i = from; i < to; i++) {
    wt.parentPort!.postMessage({ type: "start", i });
    const c = await runCase(ts, seed, i, maxMs);
    wt.parentPort!.postMessage({ type: "case", c });
  }
  wt.parentPort!.postMessage({ type: "done" });
} else if (isMain) {
  const argv = process.argv;
  const arg = (n: string, d: number) => { const i = argv.indexOf(n); return i > 0 ? Number(argv[i + 1]) : d; };
  const cases = arg("--cases", 100000), seed = arg("--seed", 1), only = arg("--only", -1), maxMs = arg("--timeout-ms", 5000);
  const opts: TargetOptions = { big: !argv.includes("--no-big"), sp68: !argv.includes("--no-sp68") };
  if (only >= 0) {
    const ts = await targets(opts);
    const c = await runCase(ts, seed, only, maxMs);
    console.log(JSON.stringify(c, null, 1));
    process.exit(c.outcome === "fail" ? 1 : 0);
  }
  const s = emptySummary(seed);
  const t0 = performance.now();
  const hangMs = Math.max(30_000, 6 * maxMs);
  let next = 0;
  let matrix: { pairs: number; failures: string[] } | null = null;
  let targetNames: string[] = [];
  while (next < cases) {
    const from = next;
    const done = await new Promise<number>((resolveRun) => {
      const w = new wt.Worker(`import("tsx/esm/api").then((m) => m.register()).then(() => import(${JSON.stringify(import.meta.url)}))`, {
        eval: true, workerData: { kind: "dlib-face-fuzz", seed, from, to: cases, opts, maxMs }, resourceLimits: { maxOldGenerationSizeMb: 4096 },
      });
      let current = from, last = performance.now(), finished = false;
      const timer = setInterval(() => {
        if (performance.now() - last > hangMs) {
          s.failures.push(`case ${current}: hang (no answer in ${hangMs} ms); replay: npx tsx test/fuzz.ts --seed ${seed} --only ${current}`);
          s.cases++;
          finished = true;
          clearInterval(timer);
          void w.terminate().then(() => resolveRun(current + 1));
        }
      }, 1000);
      w.on("message", (m: { type: string; i?: number; c?: CaseResult; names?: string[]; pairs?: number; failures?: string[] }) => {
        last = performance.now();
        if (m.type === "start") current = m.i!;
        else if (m.type === "case") {
          addResult(s, m.c!);
          if (s.cases % 5000 === 0) console.error(`${s.cases} cases, ${s.failures.length} failures, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
        } else if (m.type === "targets") targetNames = m.names!;
        else if (m.type === "matrix") matrix = { pairs: m.pairs!, failures: m.failures! };
        else if (m.type === "done") { finished = true; clearInterval(timer); void w.terminate().then(() => resolveRun(cases)); }
      });
      w.on("error", (e) => {
        if (finished) return;
        finished = true;
        clearInterval(timer);
        s.failures.push(`case ${current}: worker died: ${e.message}; replay: npx tsx test/fuzz.ts --seed ${seed} --only ${current}`);
        s.cases++;
        resolveRun(current + 1);
      });
    });
    next = done;
  }
  const m = matrix as { pairs: number; failures: string[] } | null;
  console.log(JSON.stringify({
    seed, cases: s.cases, ok: s.ok, typed_errors: s.typed, failures: s.failures.length,
    max_ms_per_case: +s.maxMs.toFixed(1), slowest_case: s.maxMsCase, max_alloc_per_case_MiB: +s.maxAllocMiB.toFixed(1),
    seconds: +((performance.now() - t0) / 1000).toFixed(1),
    wrong_type_matrix: m ? { pairs: m.pairs, failures: m.failures.length } : null,
    targets: targetNames, cases_by_target: s.byTarget, cases_by_mutation: s.byMutation,
  }, null, 1));
  for (const f of [...(m?.failures ?? []), ...s.failures].slice(0, 40)) console.log("FAIL", f);
  process.exit(s.failures.length || m?.failures.length ? 1 : 0);
}
