/**
 * Gender classification with dlib networks:
 *
 *  - Taguchi's ResNet-34 (`taguchi_model_gender_classifier.dnn`, type `taguchi_gender_resnet34`, 150×150 input,
 *    labels 0 = female, 1 = male) used as his GenderModelClassifier.cpp does: no face detector, 16 random square
 *    crops of the whole image drawn from one dlib::rand, each mirrored at random and given a random colour
 *    offset, softmax averaged over the crops. `classifyGender` reproduces every draw in dlib's order (as g++
 *    compiles it: the two position words are evaluated right to left, so x comes from the second word), so with
 *    a default-seeded generator shared over the files in the same order the crops equal dlib's pixel for pixel.
 *  - dlib's `dnn_gender_classifier_v1.dat` (type `dnn_gender_classifier_v1`, 32×32 input): one aligned chip per
 *    face, `get_face_chip_details(shape, 32)` (padding 0.2), softmax [female, male] (`classifyGenderV1`).
 */
import type { Rect, RgbImage, Point } from "../image/types.js";
import { chipDetails, chipDims, extractImageChip, extractImageChips, getFaceChipDetails, type ChipDetails } from "../image/chip.js";
import { flipImageLeftRightInPlace } from "../image/resample.js";
import { applyRandomColorOffset } from "./augment.js";
import { DlibRand } from "./rand.js";
import { softmaxF32, type Network } from "../nn/network.js";
import type { DescriptorPool } from "../nn/pool.js";
import { WrongNetworkError } from "../errors.js";

export type GenderLabel = "female" | "male";
/** Class names by label index, as both models (and Taguchi's program) use them. */
export const GENDER_LABELS: readonly GenderLabel[] = ["female", "male"];

/** The smallest and largest crop side, as a fraction of min(rows, cols) (Taguchi's constants). */
export const TAGUCHI_MIN_SCALE = 0.466666666;
export const TAGUCHI_MAX_SCALE = 0.875;

/** The dlib::rand draws the Taguchi procedure needs (DlibRand satisfies it). */
export interface GenderRng {
  getRandomDouble(): number;
  getRandom32bitNumber(): number;
  getRandomGaussian(): number;
}

/** What one crop of the procedure drew and produced. */
export interface GenderCropInfo {
  index: number;
  /** Crop rectangle in the image (inclusive). */
  rect: Rect;
  side: number;
  /** get_random_double() behind the scale (null in deterministic mode). */
  scaleDraw: number | null;
  /** The two get_random_32bit_number() words in draw order; x = second % (cols − side), y = first % (rows − side). */
  positionWords: [number, number] | null;
  /** get_random_double() behind the flip (null in deterministic mode). */
  flipDraw: number | null;
  flipped: boolean;
  /** The three Gaussians of apply_random_color_offset in draw order (null in deterministic mode). */
  colorGaussians: [number, number, number] | null;
  /** Integer offsets added to R, G, B (0,0,0 in deterministic mode). */
  colorOffsets: [number, number, number];
  /** Softmax [female, male] of this crop (float32). */
  softmax: Float32Array;
  /** The 150×150 crop as extracted (before flip and colour offset), when `keepCrops`. */
  extracted?: RgbImage;
  /** The crop as fed to the network (after flip and colour offset), when `keepCrops`. */
  input?: RgbImage;
}

export interface GenderResult {
  /** argmax of `p` (ties: the lower index), 0 = female, 1 = male. */
  label: 0 | 1;
  labelName: GenderLabel;
  /** p[label]. */
  probability: number;
  /** Mean softmax over the crops, float32 [female, male]. */
  p: Float32Array;
  probabilities: { female: number; male: number };
  crops: GenderCropInfo[];
}

export interface ClassifyGenderOptions {
  /** A loss_multiclass_log network with 2 classes and a 150×150 input (Taguchi's ResNet-34). */
  model?: Network;
  /**
   * Instead of `model` (`classifyGender` only): a worker pool running that network. The crops are split into
   * one batch per worker (ceil(crops / pool.size) each, or `batchSize`), run in parallel; same draws and crops.
   */
  pool?: DescriptorPool;
  /** Number of crops (default 16). In deterministic mode an even number from 2 to 16. */
  crops?: number;
  /**
   * The dlib::rand to draw from (default: a new default-seeded generator). Taguchi's program shares ONE
   * generator over all files: pass the same instance for every image to reproduce it.
   */
  rng?: GenderRng;
  /** Fixed crop set (DETERMINISTIC_CROPS, each with and without mirroring), no randomness, no colour offset. */
  deterministic?: boolean;
  /** Crops per network batch (default: all crops in one batch). */
  batchSize?: number;
  /** Keep the crop images in the result (default false). */
  keepCrops?: boolean;
}

/**
 * The deterministic crop set: square crops given as (scale of min(rows, cols), x fraction, y fraction of the free
 * range cols − side / rows − side). Rect: side = trunc(scale·min(rows, cols)), left = trunc(fx·(cols − side)),
 * top = trunc(fy·(rows − side)). The first 8 are used plain, then mirrored (16 crops); with `crops` = 2k < 16 the
 * first k rects, plain and mirrored. Scales span Taguchi's range: max, mid, min.
 */
export const DETERMINISTIC_CROPS: readonly { scale: number; fx: number; fy: number }[] = [
  { scale: 0.6708333, fx: 0.5, fy: 0.5 },
  { scale: TAGUCHI_MAX_SCALE, fx: 0.5, fy: 0.5 },
  { scale: TAGUCHI_MIN_SCALE, fx: 0.5, fy: 0.5 },
  { scale: 0.6708333, fx: 0.25, fy: 0.25 },
  { scale: 0.6708333, fx: 0.75, fy: 0.25 },
  { scale: 0.6708333, fx: 0.25, fy: 0.75 },
  { scale: 0.6708333, fx: 0.75, fy: 0.75 },
  { scale: TAGUCHI_MIN_SCALE, fx: 0.5, fy: 0.25 },
];

/**
 * Taguchi's crop rectangles: for each crop one get_random_double() for the scale (side = trunc((0.466666666 +
 * d·(0.875 − 0.466666666))·min(rows, cols))) and two get_random_32bit_number() words w1, w2 (in that order) for
 * the position x = w2 mod (cols − side), y = w1 mod (rows − side). Requires min(rows, cols) >= 3.
 */
export function taguchiCropRects(width: number, height: number, n: number, rng: GenderRng): Pick<GenderCropInfo, "rect" | "side" | "scaleDraw" | "positionWords">[] {
  const m = Math.min(width, height);
  if (!(m >= 3)) throw new RangeError(`gender: image too small for crops (${width}x${height}; need at least 3x3)`);
  const out = [];
  for (let i = 0; i < n; i++) {
    const d = rng.getRandomDouble();
    const scale = TAGUCHI_MIN_SCALE + d * (TAGUCHI_MAX_SCALE - TAGUCHI_MIN_SCALE);
    const side = Math.trunc(scale * m);
    // point(w() % (cols - side), w() % (rows - side)): g++ evaluates the second argument first
    const w1 = rng.getRandom32bitNumber();
    const w2 = rng.getRandom32bitNumber();
    const x = w2 % (width - side), y = w1 % (height - side);
    out.push({ rect: { left: x, top: y, right: x + side - 1, bottom: y + side - 1 }, side, scaleDraw: d, positionWords: [w1, w2] as [number, number] });
  }
  return out;
}

/** The deterministic crop rectangles (see DETERMINISTIC_CROPS) for an image; k rects. Requires min side >= 3. */
export function deterministicCropRects(width: number, height: number, k = DETERMINISTIC_CROPS.length): Rect[] {
  const m = Math.min(width, height);
  if (!(m >= 3)) throw new RangeError(`gender: image too small for crops (${width}x${height}; need at least 3x3)`);
  return DETERMINISTIC_CROPS.slice(0, k).map(({ scale, fx, fy }) => {
    const side = Math.max(1, Math.trunc(scale * m));
    const x = Math.trunc(fx * (width - side)), y = Math.trunc(fy * (height - side));
    return { left: x, top: y, right: x + side - 1, bottom: y + side - 1 };
  });
}

function copyImage(img: RgbImage): RgbImage {
  return { width: img.width, height: img.height, data: img.data.slice() };
}

function checkClassifier(net: Pick<Network, "name" | "lossType" | "inputSize">, size: number, what: string): void {
  if (net.lossType !== "loss_multiclass_log") throw new WrongNetworkError(`${net.name} is a ${net.lossType} network, not a classifier (loss_multiclass_log)`);
  const s = net.inputSize;
  if (!s || s.nr !== size || s.nc !== size) throw new WrongNetworkError(`${net.name}: ${what} needs a network with a ${size}x${size} input (input_rgb_image_sized<${size}>)`);
}

/** Softmax of each image through `net`, in batches of `bs`. */
function softmaxBatches(net: Network, images: RgbImage[], bs: number): Float32Array[] {
  const outs: Float32Array[] = [];
  for (let i = 0; i < images.length; i += bs) outs.push(...net.forwardSync(images.slice(i, i + bs)).outputs);
  return twoClassSoftmax(net.name, outs);
}

function twoClassSoftmax(name: string, outputs: Float32Array[]): Float32Array[] {
  return outputs.map((o) => {
    if (o.length !== 2) throw new WrongNetworkError(`${name}: expected 2 classes (female, male), the network has ${o.length}`);
    return softmaxF32(o);
  });
}

/** float32 mean of the rows as dlib's `sum_rows(m)/n` (rows added in order, then times float32(1/n)). */
function meanRowsF32(rows: Float32Array[]): Float32Array {
  const k = rows[0].length;
  const acc = new Float32Array(k);
  for (const r of rows) for (let j = 0; j < k; j++) acc[j] = Math.fround(acc[j] + r[j]);
  const inv = Math.fround(1 / rows.length);
  for (let j = 0; j < k; j++) acc[j] = Math.fround(acc[j] * inv);
  return acc;
}

function resultOf(p: Float32Array, crops: GenderCropInfo[]): GenderResult {
  const label = p[1] > p[0] ? 1 : 0;
  return { label, labelName: GENDER_LABELS[label], probability: p[label], p, probabilities: { female: p[0], male: p[1] }, crops };
}

/**
 * Taguchi's GenderModelClassifier procedure on one whole image (no face detection). Random mode, per image:
 * `crops` rects from `taguchiCropRects` (1 double + 2 words each), all extracted to 150×150 with
 * extract_image_chips(chip_details(rect, 150×150)), then per crop in order: get_random_double() > 0.5 mirrors it,
 * apply_random_color_offset (3 Gaussians); the crops run through the network (one batch by default); p = float32
 * mean of the per-crop softmax rows; label = argmax. Deterministic mode: the fixed crop set, no draws.
 * Requires a 2-class loss_multiclass_log network with 150×150 input and an image of at least 3×3 pixels.
 */
export async function classifyGender(img: RgbImage, opts: ClassifyGenderOptions): Promise<GenderResult> {
  const pool = opts.pool;
  if (!pool) return classifyGenderSync(img, opts);
  if (opts.model) throw new RangeError("gender: pass either model or pool, not both");
  checkClassifier(pool.network, 150, "the Taguchi gender procedure");
  const c = taguchiCrops(img, opts);
  const bs = opts.batchSize ?? Math.ceil(c.inputs.length / pool.size);
  const sm = twoClassSoftmax(pool.network.name, await pool.forward(c.inputs, { taskSize: Math.max(1, bs) }));
  return finishGender(c, sm, opts);
}

/** `classifyGender` on the calling thread (`model` required). */
export function classifyGenderSync(img: RgbImage, opts: ClassifyGenderOptions): GenderResult {
  const net = opts.model;
  if (!net) throw new RangeError(opts.pool ? "gender: a pool runs through classifyGender (async), not classifyGenderSync" : "gender: no model given");
  checkClassifier(net, 150, "the Taguchi gender procedure");
  const c = taguchiCrops(img, opts);
  return finishGender(c, softmaxBatches(net, c.inputs, Math.max(1, opts.batchSize ?? c.inputs.length)), opts);
}

interface TaguchiCrops { infos: Omit<GenderCropInfo, "softmax">[]; inputs: RgbImage[]; extracted: RgbImage[] }

function finishGender(c: TaguchiCrops, sm: Float32Array[], opts: ClassifyGenderOptions): GenderResult {
  const crops: GenderCropInfo[] = c.infos.map((info, i) => ({ ...info, softmax: sm[i], ...(opts.keepCrops ? { extracted: c.extracted[i], input: c.inputs[i] } : {}) }));
  return resultOf(meanRowsF32(sm), crops);
}

/** The crops of the procedure (draws, rects, chips, flips, colour offsets), in order. */
function taguchiCrops(img: RgbImage, opts: ClassifyGenderOptions): TaguchiCrops {
  const n = opts.crops ?? 16;
  const dims = chipDims(150, 150);
  let infos: Omit<GenderCropInfo, "softmax">[];
  let inputs: RgbImage[];
  let extracted: RgbImage[];
  if (opts.deterministic) {
    if (!Number.isInteger(n) || n < 2 || n > 16 || n % 2) throw new RangeError(`gender: deterministic mode takes an even number of crops from 2 to 16, got ${n}`);
    const rects = deterministicCropRects(img.width, img.height, n / 2);
    const chips = extractImageChips(img, rects.map((r) => chipDetails(r, dims)));
    extracted = [...chips, ...chips];
    inputs = [...chips, ...chips.map((c) => { const m = copyImage(c); flipImageLeftRightInPlace(m); return m; })];
    infos = inputs.map((_, i) => {
      const r = rects[i % rects.length];
      return { index: i, rect: r, side: r.right - r.left + 1, scaleDraw: null, positionWords: null, flipDraw: null, flipped: i >= rects.length, colorGaussians: null, colorOffsets: [0, 0, 0] as [number, number, number] };
    });
  } else {
    if (!Number.isInteger(n) || n < 1 || n > 1024) throw new RangeError(`gender: crops must be an integer from 1 to 1024, got ${n}`);
    const rng = opts.rng ?? new DlibRand();
    const rects = taguchiCropRects(img.width, img.height, n, rng);
    extracted = extractImageChips(img, rects.map((r) => chipDetails(r.rect, dims)));
    inputs = [];
    infos = [];
    for (let i = 0; i < n; i++) {
      const crop = opts.keepCrops ? copyImage(extracted[i]) : extracted[i];
      const flipDraw = rng.getRandomDouble();
      const flipped = flipDraw > 0.5;
      if (flipped) flipImageLeftRightInPlace(crop);
      const gs: number[] = [];
      const rec = { getRandomGaussian: () => { const g = rng.getRandomGaussian(); gs.push(g); return g; } };
      const off = applyRandomColorOffset(crop, rec);
      inputs.push(crop);
      infos.push({ index: i, ...rects[i], flipDraw, flipped, colorGaussians: gs as [number, number, number], colorOffsets: off });
    }
  }
  return { infos, inputs, extracted };
}

/** A number as C++ iostream prints a float by default (`%g`, 6 significant digits). */
export function formatG6(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? "nan" : x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0" : "0";
  let s = x.toExponential(5); // d.ddddde±x, correctly rounded to 6 significant digits
  const exp = Number(s.slice(s.indexOf("e") + 1));
  if (exp < -4 || exp >= 6) {
    let [mant, ex] = s.split("e");
    if (mant.includes(".")) mant = mant.replace(/0+$/, "").replace(/\.$/, "");
    const en = Number(ex);
    return `${mant}e${en < 0 ? "-" : "+"}${String(Math.abs(en)).padStart(2, "0")}`;
  }
  s = x.toFixed(Math.max(0, 5 - exp));
  if (s.includes(".")) s = s.replace(/0+$/, "").replace(/\.$/, "");
  return s;
}

/** The line Taguchi's program prints for a file: `file:PATH P: LABEL` (P = p[label], 6 significant digits). */
export function genderLine(file: string, r: Pick<GenderResult, "probability" | "labelName">): string {
  return `file:${file} ${formatG6(r.probability)}: ${r.labelName}`;
}

/** One face's result from dlib's gender classifier v1. */
export interface GenderV1Face {
  label: 0 | 1;
  labelName: GenderLabel;
  probability: number;
  /** softmax [female, male], float32 */
  p: Float32Array;
  probabilities: { female: number; male: number };
  /** The 32×32 chip's details (get_face_chip_details(shape, 32, 0.2)). */
  chip: ChipDetails;
}

/**
 * dlib's dnn_gender_classifier_v1 on aligned 32×32 chips (as made by `genderV1Chips`): softmax [female, male]
 * per chip (float32), label = argmax. Requires a 2-class loss_multiclass_log network with a 32×32 input.
 */
export function classifyGenderV1Chips(net: Network, chips: readonly RgbImage[], opts: { batchSize?: number } = {}): Omit<GenderV1Face, "chip">[] {
  checkClassifier(net, 32, "dlib's gender classifier v1");
  if (chips.length === 0) return [];
  return softmaxBatches(net, [...chips], Math.max(1, opts.batchSize ?? 64)).map((p) => {
    const r = resultOf(p, []);
    return { label: r.label, labelName: r.labelName, probability: r.probability, p, probabilities: r.probabilities };
  });
}

/**
 * The 32×32 chips dlib's gender v1 example feeds its network: get_face_chip_details(shape, 32) (padding 0.2),
 * each extracted on its own with extract_image_chip (as the example does: with extract_image_chips over all faces
 * at once, the shared pyramid_down pre-shrinking would give slightly different pixels).
 */
export function genderV1Chips(img: RgbImage, shapes: readonly (readonly Point[] | { parts: readonly Point[] })[]): { chips: RgbImage[]; details: ChipDetails[] } {
  const details = shapes.map((s) => getFaceChipDetails("parts" in s ? s.parts : s, 32, 0.2));
  return { chips: details.map((d) => extractImageChip(img, d)), details };
}

/**
 * dlib's gender classifier v1 for the faces of `img` given their landmarks (5- or 68-point shapes, integer points
 * as dlib's full_object_detection): one chip per face, softmax [female, male] and label per face.
 */
export function classifyGenderV1(net: Network, img: RgbImage, shapes: readonly (readonly Point[] | { parts: readonly Point[] })[]): GenderV1Face[] {
  const { chips, details } = genderV1Chips(img, shapes);
  return classifyGenderV1Chips(net, chips).map((r, i) => ({ ...r, chip: details[i] }));
}
