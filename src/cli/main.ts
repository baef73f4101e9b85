#!/usr/bin/env node
/**
 * dlib-face: command-line front end. Every error becomes one line on stderr and exit code 1 (usage errors 2);
 * a stack trace only with --debug.
 */
import { readFile, readdir, stat, writeFile } from "node:fs/promises";
import { join, basename } from "node:path";
import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { parse, num, progress, UsageError } from "./args.js";
import { decodeImage } from "../image/decode.js";
import type { RgbImage } from "../image/types.js";
import { loadNetwork, Network, resolveNetType } from "../nn/network.js";
import { parseNetDefinition } from "../dlib/netdef.js";
import { resolveModel, REGISTRY, fetchModel, localModelPath, verifyModelFile } from "../face/models.js";
import { ShapePredictor, describeShapePredictor, readShapePredictor } from "../face/shape-predictor.js";
import { readFhogObjectDetector } from "../dlib/object-detector.js";
import { loadHogDetector, type HogDetector } from "../face/hog.js";
import { detectFaces, faceLandmarks, faceChips, faceDescriptors, clusterFaces, type Face, type DetectorKind } from "../face/pipeline.js";
import { faceDistance } from "../face/distance.js";
import { clusterReportHtml } from "./report.js";
import { clusterDescriptorsBottomUp } from "../face/cluster.js";

const USAGE = `dlib-face — dlib's face detection, landmarks, descriptors and clustering in WebAssembly

Usage:
  dlib-face cluster IMAGE... [--threshold 0.6] [--report out.html]   group faces by person (dlib's example)
      [--method chinese-whispers|bottom-up]                          bottom-up: dlib's bottom_up_cluster, every
                                                                     two faces of a group within the threshold
  dlib-face detect IMAGE...                                          face boxes (path,top,right,bottom,left)
  dlib-face landmarks IMAGE...                                       boxes + landmark points
  dlib-face embed IMAGE... [--jitter N] [--chip]                     128-d descriptors
  dlib-face compare KNOWN_DIR UNKNOWN... [--tolerance 0.6] [--show-distance true]   (face_recognition's CLI)
  dlib-face gender PATH... [--model FILE|NAME] [--crops 16] [--seed S] [--deterministic]
  dlib-face lfw --pairs pairs.txt --images DIR [--report out.html]  dlib's LFW accuracy test
  dlib-face info MODEL [--type FILE]                                 describe a dlib model file
  dlib-face forward MODEL IMAGE... [--type FILE] [--trace]           raw network output
  dlib-face models list|fetch NAME...|verify                         the model registry

Common options:
  --model NAME|FILE            descriptor network (default dlib_face_recognition_resnet_model_v1)
  --landmarks NAME|FILE        shape predictor (default shape_predictor_5_face_landmarks)
  --detector hog|cnn           face detector (default hog); --detector-model NAME|FILE for cnn
  --upsample N                 pyramid_up steps before detection (default 0)
  --threshold T                detection adjust_threshold (default 0; cluster: distance threshold 0.6)
  --json                       JSON output;  --debug: stack traces on errors
Models are looked up in $DLIB_FACE_MODELS, the cache (~/.cache/dlib-face-wasm) and downloaded on first use.`;

/** face_recognition's file filter: `re.match(r'.*\.(jpg|jpeg|png)', name, re.I)` (unanchored at the end). */
const IMAGE_NAME = /^.*\.(jpg|jpeg|png)/i;

async function expandImages(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    const s = await stat(p).catch(() => null);
    if (!s) throw new UsageError(`no such file or folder: ${p}`);
    if (s.isDirectory()) {
      const names = (await readdir(p)).filter((n) => IMAGE_NAME.test(n)).sort();
      out.push(...names.map((n) => join(p, n)));
    } else out.push(p);
  }
  return out;
}

async function loadImage(path: string): Promise<RgbImage> {
  return decodeImage(new Uint8Array(await readFile(path)), { file: path });
}

interface Common {
  detector: DetectorKind;
  upsample: number;
  threshold: number;
  hog?: HogDetector;
  cnn?: Network;
}

const detectOpts = {
  detector: { type: "string" }, "detector-model": { type: "string" }, upsample: { type: "string" }, threshold: { type: "string" },
} as const;

async function commonDetect(v: Record<string, unknown>, thresholdIsDetection = true): Promise<Common> {
  const detector = (v.detector ?? "hog") as string;
  if (detector !== "hog" && detector !== "cnn") throw new UsageError(`--detector must be hog or cnn, got '${detector}'`);
  const c: Common = { detector, upsample: num(v.upsample, "upsample", 0, { int: true, min: 0, max: 4 }), threshold: thresholdIsDetection ? num(v.threshold, "threshold", 0) : 0 };
  if (detector === "cnn") {
    const m = await resolveModel((v["detector-model"] as string) ?? "mmod_human_face_detector");
    c.cnn = await loadNetwork(m.bytes, { name: m.name, type: "mmod_human_face_detector" });
  } else if (v["detector-model"]) {
    const m = await resolveModel(v["detector-model"] as string);
    c.hog = loadHogDetector(m.bytes, m.name);
  }
  return c;
}

async function loadLandmarks(v: Record<string, unknown>): Promise<ShapePredictor> {
  const m = await resolveModel((v.landmarks as string) ?? "shape_predictor_5_face_landmarks");
  return ShapePredictor.load(m.bytes, m.name);
}

async function loadDescriptorNet(v: Record<string, unknown>): Promise<Network> {
  const m = await resolveModel((v.model as string) ?? "dlib_face_recognition_resnet_model_v1");
  return loadNetwork(m.bytes, { name: m.name, type: m.entry?.type });
}

const faceJson = (f: Face) => ({ left: f.left, top: f.top, right: f.right, bottom: f.bottom, confidence: f.confidence, detector: f.detector });

async function cmdDetect(argv: string[], mode: "detect" | "landmarks" | "embed") {
  const { values: v, positionals } = parse(argv, {
    ...detectOpts, landmarks: { type: "string" }, model: { type: "string" }, jitter: { type: "string" }, chip: { type: "boolean" },
  });
  const files = await expandImages(positionals);
  if (files.length === 0) throw new UsageError(`${mode} needs at least one image`);
  const jitter = num(v.jitter, "jitter", 0, { int: true, min: 0, max: 1000 });
  const net = mode === "embed" ? await loadDescriptorNet(v) : null;
  if (mode === "embed" && v.chip) {
    const out = [];
    const bar = progress(files.length, "embed");
    for (const f of files) {
      const img = await loadImage(f);
      const [d] = await faceDescriptors(net!, [img], { numJitters: jitter });
      out.push({ file: f, descriptor: Array.from(d) });
      bar.tick(f);
    }
    if (v.json) console.log(JSON.stringify(out));
    else for (const o of out) console.log(`${o.file},${o.descriptor.map((x) => x.toPrecision(9)).join(",")}`);
    return;
  }
  const c = await commonDetect(v);
  const sp = mode === "detect" ? null : await loadLandmarks(v);
  const results = [];
  const bar = progress(files.length, mode);
  for (const f of files) {
    const img = await loadImage(f);
    const faces = await detectFaces(img, c);
    const entry: Record<string, unknown> = { file: f, width: img.width, height: img.height };
    const shapes = sp ? faceLandmarks(img, faces, sp) : [];
    const descs = net && faces.length ? await faceDescriptors(net, faceChips(img, shapes), { numJitters: jitter }) : [];
    entry.faces = faces.map((face, i) => ({
      ...faceJson(face),
      ...(sp ? { landmarks: shapes[i].parts.map((p) => [p.x, p.y]) } : {}),
      ...(net ? { descriptor: Array.from(descs[i]) } : {}),
    }));
    results.push(entry);
    if (!v.json) {
      for (let i = 0; i < faces.length; i++) {
        const fa = faces[i];
        // face_recognition's _trim_css_to_bounds: (max(top,0), min(right,w), min(bottom,h), max(left,0))
        let line = `${f},${Math.max(fa.top, 0)},${Math.min(fa.right, img.width)},${Math.min(fa.bottom, img.height)},${Math.max(fa.left, 0)}`;
        if (sp) line += `,${shapes[i].parts.map((p) => `${p.x} ${p.y}`).join(";")}`;
        if (net) line += `,${Array.from(descs[i], (x) => x.toPrecision(9)).join(" ")}`;
        console.log(line);
      }
    }
    bar.tick(f);
  }
  if (v.json) console.log(JSON.stringify(results));
}

async function cmdCluster(argv: string[]) {
  const { values: v, positionals } = parse(argv, { ...detectOpts, landmarks: { type: "string" }, model: { type: "string" }, report: { type: "string" }, jitter: { type: "string" }, "detect-threshold": { type: "string" }, method: { type: "string" } });
  const files = await expandImages(positionals);
  if (files.length === 0) throw new UsageError("cluster needs at least one image");
  const threshold = num(v.threshold, "threshold", 0.6, { min: 0 });
  const method = (v.method as string | undefined) ?? "chinese-whispers";
  if (method !== "chinese-whispers" && method !== "bottom-up") throw new UsageError(`--method must be chinese-whispers or bottom-up, got ${method}`);
  const c = await commonDetect({ ...v, threshold: v["detect-threshold"] });
  const sp = await loadLandmarks(v);
  const net = await loadDescriptorNet(v);
  const jitter = num(v.jitter, "jitter", 0, { int: true, min: 0, max: 1000 });
  const faces: { file: string; face: number; rect: Face; chip: RgbImage; descriptor: Float32Array }[] = [];
  const images: { file: string; img: RgbImage; bytes: Uint8Array }[] = [];
  const bar = progress(files.length, "cluster");
  for (const f of files) {
    const bytes = new Uint8Array(await readFile(f));
    const img = decodeImage(bytes, { file: f });
    const dets = await detectFaces(img, c);
    const shapes = faceLandmarks(img, dets, sp);
    const chips = faceChips(img, shapes);
    const descs = dets.length ? await faceDescriptors(net, chips, { numJitters: jitter }) : [];
    dets.forEach((d, i) => faces.push({ file: f, face: i, rect: d, chip: chips[i], descriptor: descs[i] }));
    if (v.report) images.push({ file: f, img, bytes });
    bar.tick(f);
  }
  const descriptors = faces.map((f) => f.descriptor);
  const { labels, numClusters } = method === "bottom-up" ? clusterDescriptorsBottomUp(descriptors, threshold) : clusterFaces(descriptors, { threshold });
  if (v.json) {
    console.log(JSON.stringify({ clusters: numClusters, faces: faces.map((f, i) => ({ file: f.file, face: f.face, left: f.rect.left, top: f.rect.top, right: f.rect.right, bottom: f.rect.bottom, cluster: labels[i] })) }));
  } else {
    console.log(`Number of faces: ${faces.length}`);
    console.log(`Number of people found: ${numClusters}`);
    faces.forEach((f, i) => console.log(`${f.file},face ${f.face},cluster ${labels[i]},${f.rect.top},${f.rect.right},${f.rect.bottom},${f.rect.left}`));
  }
  if (v.report) {
    const html = clusterReportHtml(images, faces.map((f, i) => ({ file: f.file, rect: f.rect, chip: f.chip, cluster: labels[i] })), numClusters, { threshold, model: net.name, method });
    await writeFile(v.report as string, html);
    if (!v.json) console.log(`Report written to ${v.report}`);
  }
}

/** face_recognition's `face_recognition` command, same output lines. */
async function cmdCompare(argv: string[]) {
  // click-style `--show-distance true|false` as face_recognition takes it, or a bare flag
  const sd = argv.indexOf("--show-distance");
  let showDistance = false;
  if (sd >= 0) {
    const next = argv[sd + 1]?.toLowerCase();
    const explicit = next === "true" || next === "false" || next === "1" || next === "0";
    showDistance = explicit ? next === "true" || next === "1" : true;
    argv = [...argv.slice(0, sd), ...argv.slice(sd + (explicit ? 2 : 1))];
  }
  const { values: v, positionals } = parse(argv, { ...detectOpts, landmarks: { type: "string" }, model: { type: "string" }, tolerance: { type: "string" }, cpus: { type: "string" } });
  // face_recognition encodes with number_of_times_to_upsample=1 by default
  if (v.upsample === undefined) v.upsample = "1";
  if (positionals.length < 2) throw new UsageError("compare needs KNOWN_DIR and at least one unknown image or folder");
  const tolerance = num(v.tolerance, "tolerance", 0.6, { min: 0 });
  num(v.cpus, "cpus", 1, { int: true, min: -1 });
  const c = await commonDetect(v);
  const sp = await loadLandmarks(v);
  const net = await loadDescriptorNet(v);
  const known: { name: string; d: Float32Array }[] = [];
  for (const f of await expandImages([positionals[0]])) {
    const img = await loadImage(f);
    const dets = await detectFaces(img, c);
    const name = basename(f).replace(/\.[^.]+$/, "");
    if (dets.length > 1) console.error(`WARNING: More than one face found in ${f}. Only considering the first face.`);
    if (dets.length === 0) {
      console.error(`WARNING: No faces found in ${f}. Ignoring file.`);
      continue;
    }
    const [d] = await faceDescriptors(net, faceChips(img, faceLandmarks(img, [dets[0]], sp)));
    known.push({ name, d });
  }
  for (const f of await expandImages(positionals.slice(1))) {
    let img = await loadImage(f);
    if (Math.max(img.width, img.height) > 1600) {
      const { resizeImage } = await import("../image/resample.js");
      const s = 1600 / Math.max(img.width, img.height);
      img = resizeImage(img, Math.floor(img.width * s), Math.floor(img.height * s));
    }
    const dets = await detectFaces(img, c);
    if (dets.length === 0) {
      console.log(showDistance ? `${f},no_persons_found,None` : `${f},no_persons_found`);
      continue;
    }
    const descs = await faceDescriptors(net, faceChips(img, faceLandmarks(img, dets, sp)));
    for (const d of descs) {
      let any = false;
      for (const k of known) {
        const dist = faceDistance(k.d, d);
        if (dist <= tolerance) {
          any = true;
          console.log(showDistance ? `${f},${k.name},${dist}` : `${f},${k.name}`);
        }
      }
      if (!any) console.log(showDistance ? `${f},unknown_person,None` : `${f},unknown_person`);
    }
  }
}

async function typeOption(v: Record<string, unknown>) {
  return v.type ? resolveNetTypeArg(v.type as string) : undefined;
}
async function resolveNetTypeArg(t: string) {
  const s = await stat(t).catch(() => null);
  if (s?.isFile()) return parseNetDefinition(await readFile(t, "utf8"), { source: t });
  return resolveNetType(t);
}

async function cmdInfo(argv: string[]) {
  const { values: v, positionals } = parse(argv, { type: { type: "string" } });
  if (positionals.length !== 1) throw new UsageError("info takes one model file");
  const { bytes, name } = await resolveModel(positionals[0]);
  const kind = sniffModel(bytes);
  if (kind === "shape_predictor") {
    const d = describeShapePredictor(readShapePredictor(bytes, name));
    if (v.json) console.log(JSON.stringify({ file: name, kind, ...d }));
    else {
      console.log(`${name}: dlib shape_predictor`);
      for (const [k, x] of Object.entries(d)) console.log(`  ${k}: ${x}`);
    }
    return;
  }
  if (kind === "object_detector") {
    const m = readFhogObjectDetector(bytes, name);
    const s = m.scanner as unknown as Record<string, unknown>;
    const d = { detectors: m.weights.length, ...Object.fromEntries(Object.entries(s).filter(([, x]) => typeof x === "number")), boxesOverlap: m.boxesOverlap };
    if (v.json) console.log(JSON.stringify({ file: name, kind, ...d }));
    else {
      console.log(`${name}: dlib object_detector<scan_fhog_pyramid> (HOG)`);
      for (const [k, x] of Object.entries(d)) console.log(`  ${k}: ${typeof x === "object" ? JSON.stringify(x) : x}`);
    }
    return;
  }
  const type = await typeOption(v);
  const net = await loadNetwork(bytes, { name, type });
  if (v.json) console.log(JSON.stringify({ file: name, kind: "network", type: net.type.name, loss: net.lossType, layers: net.numLayers, input: net.inputSize, info: net.info().split("\n") }));
  else {
    console.log(`${name}: dlib network, type ${net.type.name}, ${net.numLayers} layers`);
    console.log(net.info());
  }
  net.dispose();
}

function sniffModel(b: Uint8Array): "network" | "shape_predictor" | "object_detector" {
  // networks: int 1 then a "loss_..." string
  if (b.length > 8 && b[0] === 1 && b[1] === 1 && b[2] === 1 && String.fromCharCode(...b.subarray(4, 9)) === "loss_") return "network";
  if (b.length > 4 && b[0] === 1 && b[1] === 2 && b[2] === 1 && b[3] === 1) return "object_detector";
  if (b.length > 4 && b[0] === 1 && b[1] === 1 && (b[2] & 0x80)) return "shape_predictor";
  return "network";
}

async function cmdForward(argv: string[]) {
  const { values: v, positionals } = parse(argv, { type: { type: "string" }, trace: { type: "boolean" } });
  if (positionals.length < 2) throw new UsageError("forward takes MODEL IMAGE...");
  const m = await resolveModel(positionals[0]);
  const net = await loadNetwork(m.bytes, { name: m.name, type: await typeOption(v) });
  const outputs = [];
  for (const f of await expandImages(positionals.slice(1))) {
    const img = await loadImage(f);
    const r = net.forwardSync([img], { trace: !!v.trace });
    const o: Record<string, unknown> = { file: f, shape: r.shape, data: Array.from(r.outputs[0]) };
    if (v.trace) {
      const t = r.trace![0];
      o.input = { shape: t.input.shape, sum: t.input.sum, sum_abs: t.input.sum_abs, first: t.input.first };
      o.trace = t.layers.map((l) => ({ index: l.index, type: l.type, shape: l.shape, sum: l.sum, sum_abs: l.sum_abs, first: l.first }));
    }
    outputs.push(o);
  }
  if (v.json || v.trace) console.log(JSON.stringify({ outputs }));
  else for (const o of outputs) console.log(`${o.file} [${(o.shape as number[]).join(",")}]: ${(o.data as number[]).map((x) => x.toPrecision(6)).join(" ")}`);
}

async function cmdModels(argv: string[]) {
  const { values: v, positionals } = parse(argv, {});
  const sub = positionals[0] ?? "list";
  if (sub === "list") {
    const rows = [];
    for (const e of REGISTRY) rows.push({ name: e.name, task: e.task, file: e.file, local: await localModelPath(e), license: e.license, commercial: e.commercial, urls: e.urls });
    if (v.json) console.log(JSON.stringify(rows));
    else for (const r of rows) console.log(`${r.name.padEnd(42)} ${r.task.padEnd(10)} ${r.local ? "local: " + r.local : "not downloaded"}${r.commercial ? "" : "  [non-commercial]"}  ${r.license}`);
  } else if (sub === "fetch") {
    const names = positionals.slice(1);
    if (!names.length) throw new UsageError("models fetch NAME...");
    for (const n of names) {
      const tty = process.stderr.isTTY;
      const p = await fetchModel(n, { progress: tty ? (got, tot) => process.stderr.write(`\r${n}: ${(got / 1e6).toFixed(1)}${tot ? "/" + (tot / 1e6).toFixed(1) : ""} MB`) : undefined });
      if (tty) process.stderr.write("\n");
      console.log(`${n}: ${p}`);
    }
  } else if (sub === "verify") {
    let bad = 0;
    for (const e of REGISTRY) {
      const p = await localModelPath(e);
      if (!p) continue;
      const r = await verifyModelFile(p, e);
      if (!r.ok) bad++;
      console.log(`${e.name}: ${p}: ${r.detail}`);
    }
    if (bad) throw new Error(`${bad} model file(s) do not match the registry`);
  } else throw new UsageError(`unknown 'models' command '${sub}' (list, fetch, verify)`);
}

const COMMANDS: Record<string, (argv: string[]) => Promise<void>> = {
  detect: (a) => cmdDetect(a, "detect"),
  landmarks: (a) => cmdDetect(a, "landmarks"),
  embed: (a) => cmdDetect(a, "embed"),
  cluster: cmdCluster,
  compare: cmdCompare,
  info: cmdInfo,
  forward: cmdForward,
  models: cmdModels,
};

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === "--help" || cmd === "-h" || cmd === "help") {
    console.log(USAGE);
    return cmd ? 0 : 2;
  }
  const fn = COMMANDS[cmd] ?? (await extraCommand(cmd));
  if (!fn) {
    console.error(`dlib-face: unknown command '${cmd}' (try --help)`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    if (cmd === "gender") console.log((await import("./gender.js")).GENDER_USAGE);
    else if (cmd === "lfw") console.log((await import("./lfw.js")).LFW_USAGE);
    else console.log(USAGE);
    return 0;
  }
  try {
    await fn(rest);
    return 0;
  } catch (e) {
    const err = e as Error;
    if (rest.includes("--debug")) console.error(err?.stack ?? err);
    else console.error(`dlib-face ${cmd}: ${err?.name && err.name !== "Error" ? err.name + ": " : ""}${err?.message ?? err}`);
    return e instanceof UsageError ? 2 : 1;
  }
}

/** Commands living in their own modules (gender, lfw) are loaded on demand. */
async function extraCommand(cmd: string): Promise<((argv: string[]) => Promise<void>) | undefined> {
  if (cmd === "gender") return (await import("./gender.js")).cmdGender;
  if (cmd === "lfw") return (await import("./lfw.js")).cmdLfw;
  return undefined;
}

function invokedDirectly(): boolean {
  try {
    return !!process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
}
if (invokedDirectly()) main(process.argv.slice(2)).then((code) => process.exit(code));
