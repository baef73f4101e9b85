/**
 * Seeded mutation fuzzing of every reader: networks (all fixture models, with their types), shape predictors,
 * the HOG detector, images (JPEG/PNG) and bzip2. A case passes when the reader returns normally or throws one
 * of our typed errors, within the time bound; anything else (TypeError, RangeError, a wasm trap, a hang) fails.
 *   npx tsx test/fuzz.ts [--cases N] [--seed S]      (the test runs a few thousand; the script any number)
 */
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { readNetwork } from "../src/dlib/network-reader.ts";
import { parseKnownNet } from "../src/dlib/known-nets.ts";
import { parseNetDefinition } from "../src/dlib/netdef.ts";
import { readShapePredictor } from "../src/face/shape-predictor.ts";
import { readFhogObjectDetector } from "../src/dlib/object-detector.ts";
import { decodeImage } from "../src/image/decode.ts";
import { DlibFormatError, ImageDecodeError, DecompressError, LimitError } from "../src/errors.ts";
import type { NetType } from "../src/dlib/nettype.ts";

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = resolve(process.env.DLIB_FACE_FIXTURES ?? join(here, "..", "..", "shared", "fixtures"));

/** xorshift32: deterministic cases from a seed. */
export class Rng {
  constructor(private s: number) { if (!this.s) this.s = 0x9e3779b9; }
  u32() { let x = this.s; x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; this.s = x; return x; }
  below(n: number) { return this.u32() % Math.max(1, n); }
}

export type Mutation = "truncate" | "bitflip" | "byte" | "int-huge" | "int-negative" | "splice" | "zero-run";

/** One mutated copy of `b`. Integer-field mutations hit dlib's variable-length int control bytes. */
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
      // find an int control byte (0x01..0x08) at or after pos and make its value enormous
      out = b.slice();
      let p = pos;
      while (p < out.length - 9 && !(out[p] >= 1 && out[p] <= 4)) p++;
      out[p] = 0x08;
      for (let i = 1; i <= 8 && p + i < out.length; i++) out[p + i] = 0xff;
      out[p + 8] = 0x1f;
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

const TYPED = [DlibFormatError, ImageDecodeError, DecompressError, LimitError];
const isTyped = (e: unknown) => TYPED.some((T) => e instanceof T);

export interface Target { name: string; bytes: Uint8Array; run: (b: Uint8Array) => unknown; focus: number }

/** The fuzz targets found in the fixtures (+ test nets). */
export function targets(): Target[] {
  const out: Target[] = [];
  const models = join(fixtures, "models");
  if (!existsSync(models)) return out;
  const tiny: Record<string, [string, string?]> = {
    tiny_resnet_metric_bn: ["tiny_resnet_metric"], tiny_resnet_metric_affine: ["tiny_resnet_metric"],
    tiny_densenet_metric_bn: ["tiny_densenet_metric"], tiny_mmod_bn: ["tiny_mmod"],
    tiny_old_v19_15_mmod: ["tiny_old_mmod_v2_v3"], tiny_old_v19_6_mmod: ["tiny_old_mmod_v2_v3"],
  };
  for (const f of readdirSync(models).sort()) {
    const p = join(models, f);
    const base = f.replace(/\.(dat|dnn)(\.bz2)?$/, "");
    if (f.endsWith(".bz2")) continue; // the big nets: their decompressed structure is fuzzed via the tiny ones; bz2 fuzzed below
    const bytes = new Uint8Array(readFileSync(p));
    if (f.startsWith("shape_predictor")) out.push({ name: f, bytes, run: (b) => readShapePredictor(b, f), focus: 4096 });
    else if (f.startsWith("frontal_face")) out.push({ name: f, bytes, run: (b) => readFhogObjectDetector(b, f), focus: 256 });
    else {
      const [file, alias] = tiny[base] ?? [base];
      const tp = join(here, "nets", `${file}.txt`);
      if (!existsSync(tp)) continue;
      const type: NetType = parseNetDefinition(readFileSync(tp, "utf8"), { name: alias });
      out.push({ name: f, bytes, run: (b) => readNetwork(b, type.root, null, f), focus: 2048 });
    }
  }
  // real network structure: the first MB of the MMOD detector and gender v1 (decompressed at test time by the caller)
  for (const img of ["2009_004587.jpg", "HiranoShow.png"]) {
    const p = join(fixtures, "images", img);
    if (existsSync(p)) out.push({ name: img, bytes: new Uint8Array(readFileSync(p)), run: (b) => decodeImage(b, { file: img }), focus: 1024 });
  }
  return out;
}

/** Add a real (decompressed) network with its known type. */
export function networkTarget(name: string, bytes: Uint8Array, typeId: string): Target {
  const type = parseKnownNet(typeId);
  return { name, bytes, run: (b) => readNetwork(b, type.root, null, name), focus: 4096 };
}

export interface FuzzSummary { cases: number; ok: number; typed: number; failures: string[]; maxMs: number; byTarget: Record<string, number> }

export function fuzz(ts: Target[], cases: number, seed: number, maxMsPerCase = 5000): FuzzSummary {
  const r = new Rng(seed);
  const s: FuzzSummary = { cases: 0, ok: 0, typed: 0, failures: [], maxMs: 0, byTarget: {} };
  for (let i = 0; i < cases; i++) {
    const t = ts[i % ts.length];
    const m = mutate(t.bytes, r, t.focus);
    const t0 = performance.now();
    try {
      t.run(m.bytes);
      s.ok++;
    } catch (e) {
      if (isTyped(e)) s.typed++;
      else s.failures.push(`${t.name} ${m.what}: ${(e as Error)?.name}: ${(e as Error)?.message}`);
    }
    const ms = performance.now() - t0;
    s.maxMs = Math.max(s.maxMs, ms);
    if (ms > maxMsPerCase) s.failures.push(`${t.name} ${m.what}: took ${ms.toFixed(0)} ms`);
    s.cases++;
    s.byTarget[t.name] = (s.byTarget[t.name] ?? 0) + 1;
  }
  return s;
}

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const arg = (n: string, d: number) => { const i = process.argv.indexOf(n); return i > 0 ? Number(process.argv[i + 1]) : d; };
  const cases = arg("--cases", 100000), seed = arg("--seed", 1);
  const ts = targets();
  const { readSource } = await import("../src/dlib/source.ts");
  for (const [f, id] of [["mmod_human_face_detector.dat.bz2", "mmod_human_face_detector"], ["dnn_gender_classifier_v1.dat.bz2", "dnn_gender_classifier_v1"]]) {
    const p = join(fixtures, "models", f);
    if (existsSync(p)) ts.push(networkTarget(f, (await readSource(p)).bytes, id));
  }
  const t0 = performance.now();
  const s = fuzz(ts, cases, seed);
  console.log(JSON.stringify({ seed, cases: s.cases, ok: s.ok, typed_errors: s.typed, failures: s.failures.length, max_ms_per_case: +s.maxMs.toFixed(1), seconds: +((performance.now() - t0) / 1000).toFixed(1), targets: s.byTarget }, null, 1));
  for (const f of s.failures.slice(0, 30)) console.log("FAIL", f);
  process.exit(s.failures.length ? 1 : 0);
}
