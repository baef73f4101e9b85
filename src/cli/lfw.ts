/**
 * `dlib-face lfw`: the LFW face-verification test of dlib's face recognition models, printing the fields of dlib's
 * LFW test tool (dist thresh, margin, overall/pos/neg accuracy, ten fold means, rscv.mean(), rscv.stddev(),
 * ERR accuracy, ERR thresh) plus ROC AUC and TAR at FAR 1e-3, with an optional HTML report.
 */
import { readFile, writeFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { extname, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { parse, num, progress, UsageError } from "./args.js";
import { parseLfwPairs, summarizeLfw, lfwImageStem, type LfwImageRef, type LfwSummary } from "../eval/lfw.js";
import { lfwImagePath, embedLfwFile, type LfwEmbedding } from "../eval/lfw-embed.js";
import { loadLfwModels, resolveLfwModels, type LfwWorkerConfig } from "../eval/lfw-worker.js";
import { lfwReportHtml, type ReportPair } from "../eval/lfw-report.js";
import { formatG6 } from "../face/gender.js";
import { faceDistance } from "../face/distance.js";
import { decodeImage } from "../image/decode.js";
import { extractImageChip, getFaceChipDetails } from "../image/chip.js";
import type { RgbImage } from "../image/types.js";

export const LFW_USAGE = `dlib-face lfw --pairs pairs.txt --images DIR [options]     LFW face verification (dlib's LFW test)

  --pairs FILE               LFW pairs.txt (first line: folds pairs-per-fold; then per fold the matched
                             'name i j' and mismatched 'name1 i name2 j' lines)
  --images DIR               LFW image folder: DIR/name/name_000i.jpg (.png accepted)
  --model NAME|FILE          descriptor network (default dlib_face_recognition_resnet_model_v1)
  --landmarks NAME|FILE      shape predictor (default shape_predictor_5_face_landmarks; dlib's LFW tool used
                             shape_predictor_68_face_landmarks)
  --jitter N                 jittered descriptors (dlib's jitter_image, N copies; default 0; dlib's published
                             0.993833 used 100 random crops per image, 0.988667 without)
  --threshold T              distance threshold (default 0.6): same pairs count as right when distance < T,
                             different pairs when distance > T (as dlib's LFW tool)
  --margin M                 printed as 'margin: M' like dlib's tool, followed by the share of pairs whose
                             distance lies within ±M of the threshold (default 0.04)
  --detector hog|cnn, --detector-model NAME|FILE, --upsample N    face detection (default hog, 0)
  --detect-threshold T       detector adjust_threshold (default 0; dlib's LFW tool uses -0.9)
  --threads N                worker threads (default: number of CPUs, at most 8)
  --report FILE              HTML page: ROC curve and the chips of the hardest pairs
  --json                     {"threshold","margin","accuracy","pos_accuracy","neg_accuracy","fold_accuracies",
                              "mean","stddev","eer_threshold","eer_accuracy","auc","tar_at_far_1e3","no_face",
                              "pairs":[{"fold","same","a","b","distance"}]}
One face per image: the detection nearest the image centre; with no detection, a centred square box of 0.4 of
the shorter side (100x100 on LFW's 250x250 images, dlib's tool's box) is given to the shape predictor instead
(counted as no_face). Folds are pairs.txt's folds. Each image is embedded once.`;

/** The text lines dlib's LFW tool prints, in its order, then our additions. */
export function lfwTextLines(s: LfwSummary, noFace: number, images: number): string[] {
  const g = formatG6;
  return [
    `dist thresh: ${g(s.threshold)}`,
    `margin: ${g(s.margin)}`,
    `margin share (pairs within ±${g(s.margin)} of the threshold): ${g(s.marginShare)}`,
    `overall lfw accuracy: ${g(s.accuracy)}`,
    `pos lfw accuracy: ${g(s.posAccuracy)}`,
    `neg lfw accuracy: ${g(s.negAccuracy)}`,
    ...s.foldAccuracies.map((a) => `fold mean: ${g(a)}`),
    `rscv.mean(): ${g(s.mean)}`,
    `rscv.stddev(): ${g(s.stddev)}`,
    `ERR accuracy: ${g(s.eerAccuracy)}`,
    `ERR thresh: ${g(s.eerThreshold)}`,
    `ROC AUC: ${g(s.auc)}`,
    `TAR@FAR=1e-3: ${g(s.tarAtFar1e3)}`,
    `images without a face: ${noFace} of ${images}`,
  ];
}

/**
 * A worker running `url`. From the TypeScript sources (under tsx) Node 20 cannot start a .ts worker directly (its
 * loader hooks are not active for the worker's entry), so a small bootstrap registers tsx first.
 */
function newWorker(url: URL, workerData: unknown): Worker {
  if (!url.pathname.endsWith(".ts")) return new Worker(url, { workerData });
  const api = import.meta.resolve("tsx/esm/api");
  const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(code, { eval: true, workerData });
}

/** Embed `files` with `threads` worker threads (in-process for 1), calling `tick` per finished file. */
async function embedAll(files: string[], config: LfwWorkerConfig, threads: number, tick: (f: string) => void): Promise<LfwEmbedding[]> {
  const out: LfwEmbedding[] = new Array(files.length);
  if (threads <= 1 || files.length < 2) {
    const o = await loadLfwModels(config);
    for (let i = 0; i < files.length; i++) {
      out[i] = await embedLfwFile(files[i], o);
      tick(files[i]);
    }
    return out;
  }
  const here = fileURLToPath(import.meta.url);
  const workerUrl = new URL(`../eval/lfw-worker${extname(here)}`, import.meta.url);
  const n = Math.min(threads, files.length);
  // read and decompress the models once; the workers get copies of the bytes
  config = await resolveLfwModels(config);
  let next = 0;
  const workers: Worker[] = [];
  try {
    await Promise.all(Array.from({ length: n }, () => new Promise<void>((resolve, reject) => {
      const w = newWorker(workerUrl, { lfwWorker: true, config });
      workers.push(w);
      const send = () => {
        if (next >= files.length) {
          resolve();
          return;
        }
        const id = next++;
        w.postMessage({ id, path: files[id] });
      };
      w.on("message", (m: { id: number; ok: boolean; embedding?: LfwEmbedding; error?: string }) => {
        if (!m.ok) {
          reject(new Error(`${files[m.id]}: ${m.error}`));
          return;
        }
        const e = m.embedding!;
        out[m.id] = { ...e, descriptor: new Float32Array(e.descriptor) };
        tick(files[m.id]);
        send();
      });
      w.on("error", reject);
      w.on("exit", (code) => { if (code !== 0) reject(new Error(`LFW worker exited with code ${code}`)); });
      send();
    })));
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return out;
}

export interface LfwRunOptions {
  pairsFile: string;
  imagesDir: string;
  config: LfwWorkerConfig;
  threshold?: number;
  margin?: number;
  threads?: number;
  onProgress?: (done: number, total: number, file: string) => void;
}

export interface LfwRun {
  summary: LfwSummary;
  noFace: number;
  files: string[];
  embeddings: LfwEmbedding[];
  pairs: { fold: number; same: boolean; a: string; b: string; distance: number; ia: number; ib: number }[];
}

/** Read pairs.txt, embed each distinct image once, score all pairs and summarize. */
export async function runLfw(o: LfwRunOptions): Promise<LfwRun> {
  const parsed = parseLfwPairs(await readFile(o.pairsFile, "utf8"));
  const index = new Map<string, number>();
  const files: string[] = [];
  const refOf = (r: LfwImageRef) => {
    const k = lfwImageStem(r);
    let i = index.get(k);
    if (i === undefined) {
      i = files.length;
      index.set(k, i);
      files.push(lfwImagePath(o.imagesDir, r));
    }
    return i;
  };
  const ids = parsed.pairs.map((p) => [refOf(p.a), refOf(p.b)] as const);
  let done = 0;
  const embeddings = await embedAll(files, o.config, o.threads ?? 1, (f) => o.onProgress?.(++done, files.length, f));
  const rel = (f: string) => relative(o.imagesDir, f).split("\\").join("/");
  const pairs = parsed.pairs.map((p, k) => {
    const [ia, ib] = ids[k];
    return { fold: p.fold, same: p.same, a: rel(files[ia]), b: rel(files[ib]), distance: faceDistance(embeddings[ia].descriptor, embeddings[ib].descriptor), ia, ib };
  });
  const summary = summarizeLfw(pairs, { threshold: o.threshold, margin: o.margin, folds: parsed.folds });
  return { summary, noFace: embeddings.filter((e) => e.noFace).length, files, embeddings, pairs };
}

async function chipOf(file: string, e: LfwEmbedding): Promise<RgbImage> {
  const img = decodeImage(new Uint8Array(await readFile(file)), { file });
  return extractImageChip(img, getFaceChipDetails(e.shape, 150, 0.25));
}

/** `dlib-face lfw ...` (see LFW_USAGE). */
export async function cmdLfw(argv: string[]): Promise<void> {
  const { values: v, positionals } = parse(argv, {
    pairs: { type: "string" }, images: { type: "string" }, model: { type: "string" }, landmarks: { type: "string" },
    jitter: { type: "string" }, threshold: { type: "string" }, margin: { type: "string" }, report: { type: "string" },
    detector: { type: "string" }, "detector-model": { type: "string" }, upsample: { type: "string" }, threads: { type: "string" },
    "detect-threshold": { type: "string" },
    worst: { type: "string" },
  });
  if (v.help) {
    console.log(LFW_USAGE);
    return;
  }
  if (positionals.length) throw new UsageError(`lfw takes no positional arguments (got '${positionals[0]}'); use --pairs and --images`);
  if (!v.pairs || !v.images) throw new UsageError("lfw needs --pairs pairs.txt and --images DIR");
  const detector = (v.detector ?? "hog") as string;
  if (detector !== "hog" && detector !== "cnn") throw new UsageError(`--detector must be hog or cnn, got '${detector}'`);
  const config: LfwWorkerConfig = {
    model: (v.model as string) ?? "dlib_face_recognition_resnet_model_v1",
    landmarks: (v.landmarks as string) ?? "shape_predictor_5_face_landmarks",
    detector, detectorModel: v["detector-model"] as string | undefined,
    upsample: num(v.upsample, "upsample", 0, { int: true, min: 0, max: 4 }),
    detectThreshold: num(v["detect-threshold"], "detect-threshold", 0),
    jitter: num(v.jitter, "jitter", 0, { int: true, min: 0, max: 1000 }),
  };
  const threshold = num(v.threshold, "threshold", 0.6, { min: 0 });
  const margin = num(v.margin, "margin", 0.04, { min: 0 });
  const threads = num(v.threads, "threads", Math.min(8, availableParallelism()), { int: true, min: 1, max: 64 });
  const worstN = num(v.worst, "worst", 8, { int: true, min: 0, max: 100 });
  let bar: ReturnType<typeof progress> | null = null;
  const run = await runLfw({
    pairsFile: v.pairs as string, imagesDir: v.images as string, config, threshold, margin, threads,
    onProgress: (done, total, f) => { bar ??= progress(total, "lfw"); bar.tick(f); },
  });
  const s = run.summary;
  if (v.json) {
    console.log(JSON.stringify({
      threshold: s.threshold, margin: s.margin, margin_share: s.marginShare, accuracy: s.accuracy, pos_accuracy: s.posAccuracy,
      neg_accuracy: s.negAccuracy, fold_accuracies: s.foldAccuracies, mean: s.mean, stddev: s.stddev,
      eer_threshold: s.eerThreshold, eer_accuracy: s.eerAccuracy, auc: s.auc, tar_at_far_1e3: s.tarAtFar1e3,
      no_face: run.noFace, images: run.files.length,
      pairs: run.pairs.map((p) => ({ fold: p.fold, same: p.same, a: p.a, b: p.b, distance: p.distance })),
    }));
  } else {
    for (const l of lfwTextLines(s, run.noFace, run.files.length)) console.log(l);
  }
  if (v.report) {
    const diff = run.pairs.filter((p) => !p.same).sort((a, b) => a.distance - b.distance).slice(0, worstN);
    const same = run.pairs.filter((p) => p.same).sort((a, b) => b.distance - a.distance).slice(0, worstN);
    const chips = new Map<number, RgbImage>();
    for (const p of [...diff, ...same]) {
      for (const i of [p.ia, p.ib]) if (!chips.has(i)) chips.set(i, await chipOf(run.files[i], run.embeddings[i]));
    }
    const withChips = (p: (typeof run.pairs)[number]): ReportPair => ({ ...p, chipA: chips.get(p.ia), chipB: chips.get(p.ib) });
    const html = lfwReportHtml(s, run.pairs, { falseMatches: diff.map(withChips), falseNonMatches: same.map(withChips) }, {
      model: config.model, landmarks: config.landmarks, images: run.files.length, noFace: run.noFace, jitter: config.jitter, pairsFile: v.pairs as string,
    });
    await writeFile(v.report as string, html);
    if (!v.json) console.log(`Report written to ${v.report}`);
  }
}
