/**
 * `dlib-face gender`: gender of the people in images.
 *  - Taguchi's ResNet-34 (default model `taguchi_model_gender_classifier`, 150×150 input): his
 *    GenderModelClassifier procedure on each whole image (16 random crops, one dlib::rand for the run, files in
 *    sorted order), printing his program's line `file:PATH P: LABEL`.
 *  - dlib's `dnn_gender_classifier_v1` (32×32 input): faces found by the HOG (or CNN) detector, 5-point landmarks
 *    (as dnn_gender_classifier_v1_ex.cpp), one line per face.
 */
import { readFile, readdir, stat } from "node:fs/promises";
import { extname, join } from "node:path";
import { parse, num, progress, UsageError } from "./args.js";
import { decodeImage } from "../image/decode.js";
import type { RgbImage } from "../image/types.js";
import { loadNetwork, type Network } from "../nn/network.js";
import { DescriptorPool } from "../nn/pool.js";
import { resolveModel } from "../face/models.js";
import { ShapePredictor } from "../face/shape-predictor.js";
import { DlibRand } from "../face/rand.js";
import { classifyGender, classifyGenderV1, genderLine, formatG6, type GenderLabel } from "../face/gender.js";
import { detectFaces, faceLandmarks, type DetectorKind } from "../face/pipeline.js";
import { loadHogDetector, type HogDetector } from "../face/hog.js";

export const GENDER_USAGE = `dlib-face gender PATH... [options]     gender of each image (Taguchi's ResNet-34) or each face (dlib's v1)

  PATH                       image files or folders (folders: their .jpg/.jpeg/.png files in sorted order)
  --model NAME|FILE          taguchi_model_gender_classifier (default; 150x150, whole image, 16 random crops)
                             or dnn_gender_classifier_v1 (32x32 aligned face chips, per face)
  --crops N                  crops per image for the ResNet-34 (default 16; deterministic: even, 2..16)
  --seed S                   seed of the dlib::rand shared by all files (dlib's set_seed(S); default: dlib's default)
  --deterministic            fixed crop set (8 rects, each plain and mirrored), no randomness
  --workers N                ResNet-34: run each image's crops on N worker threads (default 1: this thread);
                             same crops and same numbers, about N times faster on N free cores
  --test-folders FEMALE_DIR MALE_DIR   classify two labelled folders, print counts and accuracy
  --landmarks NAME|FILE      v1 only: shape predictor (default shape_predictor_5_face_landmarks)
  --detector hog|cnn, --detector-model NAME|FILE, --upsample N     v1 only: face detection
  --json                     [{"file","label","probability","probabilities":{"female","male"}}] (v1 adds "face")
Text output: ResNet-34: 'file:PATH P: LABEL' per image (GenderModelClassifier); v1: 'face#I - detected gender:
LABEL [P%]' per face (dnn_gender_classifier_v1_ex; 'PATH: ' in front when several files are given).`;

/**
 * `x` as C++ prints it with std::fixed and setprecision(1): the exact binary value rounded to one decimal, exact
 * ties to even (glibc printf).
 */
export function formatFixed1(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? "nan" : x > 0 ? "inf" : "-inf";
  const exact = Math.abs(x).toFixed(60); // exact decimal expansion for |x| < 1e21
  const dot = exact.indexOf(".");
  const rest = exact.slice(dot + 2);
  if (/^50*$/.test(rest)) {
    const intPart = exact.slice(0, dot), d = Number(exact[dot + 1]);
    let tenths = BigInt(intPart) * 10n + BigInt(d);
    if (d % 2 === 1) tenths += 1n; // tie: to even
    const sgn = x < 0 ? "-" : "";
    return `${sgn}${tenths / 10n}.${tenths % 10n}`;
  }
  return x.toFixed(1);
}

const IMAGE_EXT = new Set([".jpg", ".jpeg", ".png"]);

/** Files of `paths`: folders expanded to their image files in sorted order, files kept as given. */
export async function expandImagePaths(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    const s = await stat(p).catch(() => null);
    if (!s) throw new UsageError(`no such file or folder: ${p}`);
    if (s.isDirectory()) {
      const names = (await readdir(p)).filter((n) => IMAGE_EXT.has(extname(n).toLowerCase())).sort();
      out.push(...names.map((n) => join(p, n)));
    } else out.push(p);
  }
  return out;
}

async function loadImage(path: string): Promise<RgbImage> {
  return decodeImage(new Uint8Array(await readFile(path)), { file: path });
}

interface Entry {
  file: string;
  label: GenderLabel;
  probability: number;
  probabilities: { female: number; male: number };
  face?: { left: number; top: number; right: number; bottom: number };
}

type Classifier = (file: string) => Promise<{ entries: Entry[]; lines: string[] }>;

async function makeClassifier(v: Record<string, unknown>, preloaded?: Network, multi = true): Promise<{ classify: Classifier; kind: "resnet34" | "v1"; net: Network; close: () => Promise<void> }> {
  let net: Network;
  let model: Awaited<ReturnType<typeof resolveModel>> | null = null;
  const workers = num(v.workers, "workers", 1, { int: true, min: 1, max: 256 });
  if (preloaded) {
    if (workers > 1) throw new UsageError("--workers needs --model (a file or name the workers can load)");
    net = preloaded;
  } else {
    model = await resolveModel((v.model as string) ?? "taguchi_model_gender_classifier");
    net = await loadNetwork(model.bytes, { name: model.name, type: model.entry?.type });
  }
  const m = { name: net.name };
  if (net.lossType !== "loss_multiclass_log") throw new UsageError(`${m.name} is a ${net.lossType} network, not a gender classifier`);
  const size = net.inputSize?.nr;
  if (size === 150) {
    const deterministic = !!v.deterministic;
    const crops = num(v.crops, "crops", 16, { int: true, min: deterministic ? 2 : 1, max: deterministic ? 16 : 1024 });
    if (deterministic && crops % 2) throw new UsageError(`--crops must be even with --deterministic, got ${crops}`);
    if (deterministic && v.seed !== undefined) throw new UsageError("--seed has no effect with --deterministic");
    const rng = v.seed !== undefined ? new DlibRand(String(v.seed)) : new DlibRand();
    const pool = workers > 1 && model ? await DescriptorPool.create(model.bytes, { size: workers, taskSize: Math.ceil(crops / workers), name: model.name, type: model.entry?.type ?? "taguchi_gender_resnet34" }) : null;
    const classify: Classifier = async (file) => {
      const img = await loadImage(file);
      const r = await classifyGender(img, pool ? { pool, crops, rng, deterministic } : { model: net, crops, rng, deterministic });
      return { entries: [{ file, label: r.labelName, probability: r.probability, probabilities: r.probabilities }], lines: [genderLine(file, r)] };
    };
    return { classify, kind: "resnet34", net, close: async () => { await pool?.close(); } };
  }
  if (workers > 1) throw new UsageError("--workers applies to the ResNet-34 model only");
  if (size === 32) {
    if (v.deterministic || v.crops !== undefined || v.seed !== undefined) throw new UsageError("--crops, --seed and --deterministic apply to the ResNet-34 model only (v1 is deterministic)");
    const spm = await resolveModel((v.landmarks as string) ?? "shape_predictor_5_face_landmarks");
    const sp = ShapePredictor.fromBytes(spm.bytes, spm.name);
    const detector = ((v.detector as string) ?? "hog") as DetectorKind;
    if (detector !== "hog" && detector !== "cnn") throw new UsageError(`--detector must be hog or cnn, got '${detector}'`);
    const upsample = num(v.upsample, "upsample", 0, { int: true, min: 0, max: 4 });
    let cnn: Network | undefined, hog: HogDetector | undefined;
    if (detector === "cnn") {
      const dm = await resolveModel((v["detector-model"] as string) ?? "mmod_human_face_detector");
      cnn = await loadNetwork(dm.bytes, { name: dm.name, type: "mmod_human_face_detector" });
    } else if (v["detector-model"]) {
      const dm = await resolveModel(v["detector-model"] as string);
      hog = loadHogDetector(dm.bytes, dm.name);
    }
    const prefix = (file: string) => (multi ? `${file}: ` : "");
    const classify: Classifier = async (file) => {
      const img = await loadImage(file);
      const faces = await detectFaces(img, { detector, upsample, cnn, hog });
      const res = classifyGenderV1(net, img, faceLandmarks(img, faces, sp));
      const entries: Entry[] = res.map((r, i) => ({
        file, label: r.labelName, probability: r.probability, probabilities: r.probabilities,
        face: { left: faces[i].left, top: faces[i].top, right: faces[i].right, bottom: faces[i].bottom },
      }));
      // dnn_gender_classifier_v1_ex's line; the path is put in front when several files are given
      const lines = res.map((r, i) => `${prefix(file)}face#${i} - detected gender: ${r.labelName} [${formatFixed1(Math.fround(r.probability * 100))}%]`);
      return { entries, lines };
    };
    return { classify, kind: "v1", net, close: async () => {} };
  }
  throw new UsageError(`${m.name}: not a known gender classifier (input ${net.inputSize ? `${net.inputSize.nc}x${net.inputSize.nr}` : "of any size"}; expected 150x150 ResNet-34 or 32x32 v1)`);
}

/**
 * `dlib-face gender ...` (see GENDER_USAGE). `deps.net`: an already loaded gender network to use instead of
 * `--model` (for tests and embedding).
 */
export async function cmdGender(argv: string[], deps: { net?: Network } = {}): Promise<void> {
  const { values: v, positionals } = parse(argv, {
    model: { type: "string" }, crops: { type: "string" }, seed: { type: "string" }, deterministic: { type: "boolean" },
    "test-folders": { type: "boolean" }, landmarks: { type: "string" }, detector: { type: "string" },
    "detector-model": { type: "string" }, upsample: { type: "string" }, workers: { type: "string" },
  });
  if (v.help) {
    console.log(GENDER_USAGE);
    return;
  }
  if (v["test-folders"]) {
    if (positionals.length !== 2) throw new UsageError("--test-folders takes two folders: FEMALE_DIR MALE_DIR");
    const [femaleFiles, maleFiles] = [await expandImagePaths([positionals[0]]), await expandImagePaths([positionals[1]])];
    const { classify, kind, close } = await makeClassifier(v, deps.net);
    try {
      await testFolders(v, femaleFiles, maleFiles, classify, kind);
    } finally {
      await close();
    }
    return;
  }
  const files = await expandImagePaths(positionals);
  if (files.length === 0) throw new UsageError("gender needs at least one image or folder");
  const { classify, close } = await makeClassifier(v, deps.net, files.length > 1);
  try {
    const bar = progress(files.length, "gender");
    const all: Entry[] = [];
    for (const f of files) {
      const r = await classify(f);
      all.push(...r.entries);
      if (!v.json) for (const l of r.lines) console.log(l);
      bar.tick(f);
    }
    if (v.json) console.log(JSON.stringify(all));
  } finally {
    await close();
  }
}

async function testFolders(v: Record<string, unknown>, femaleFiles: string[], maleFiles: string[], classify: Classifier, kind: "resnet34" | "v1"): Promise<void> {
  const bar = progress(femaleFiles.length + maleFiles.length, "gender");
  const stats = { female: { total: 0, correct: 0 }, male: { total: 0, correct: 0 } };
  let noFace = 0;
  const entries: (Entry & { truth: GenderLabel })[] = [];
  for (const [truth, files] of [["female", femaleFiles], ["male", maleFiles]] as const) {
    for (const f of files) {
      const r = await classify(f);
      if (r.entries.length === 0) noFace++;
      for (const e of r.entries) {
        stats[truth].total++;
        if (e.label === truth) stats[truth].correct++;
        entries.push({ ...e, truth });
      }
      bar.tick(f);
    }
  }
  const acc = (c: number, n: number) => (n ? c / n : 0);
  const total = stats.female.total + stats.male.total, correct = stats.female.correct + stats.male.correct;
  if (v.json) {
    console.log(JSON.stringify({
      female_examples: femaleFiles.length, male_examples: maleFiles.length,
      female: { ...stats.female, accuracy: acc(stats.female.correct, stats.female.total) },
      male: { ...stats.male, accuracy: acc(stats.male.correct, stats.male.total) },
      num_right: correct, num_wrong: total - correct, accuracy: acc(correct, total), no_face: noFace, results: entries,
    }));
  } else {
    // dnn_gender_classifier_v1_ex --test-folders prints these lines (its progress bars go to stderr here)
    console.log(`female examples: ${femaleFiles.length}`);
    console.log(`male examples: ${maleFiles.length}`);
    console.log("");
    console.log(`testing num_right: ${correct}`);
    console.log(`testing num_wrong: ${total - correct}`);
    console.log(`testing accuracy:  ${formatG6(correct / (total || NaN))}`);
    for (const k of ["female", "male"] as const) console.log(`${k}: ${stats[k].correct} of ${stats[k].total} right (${formatG6(acc(stats[k].correct, stats[k].total))})`);
    if (kind === "v1") console.log(`images without a face: ${noFace}`);
  }
}
