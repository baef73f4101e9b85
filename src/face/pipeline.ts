/**
 * dlib's face recognition flow (dnn_face_recognition_ex.cpp, and Python face_recognition's API):
 * detect → landmarks → aligned chips (get_face_chip_details(shape, 150, 0.25) + extract_image_chips) →
 * descriptors (ResNet, optionally jittered as dlib does) → clusters (Chinese whispers, distance < 0.6).
 * Every step gives dlib's numbers; see the golden tests.
 */
import type { Point, Rect, RgbImage } from "../image/types.js";
import { detectFacesHog, type HogDetector } from "./hog.js";
import type { ShapePredictor, FullObjectDetection } from "./shape-predictor.js";
import { chipDims, extractImageChip, getFaceChipDetails, type ChipDetails } from "../image/chip.js";
import { jitterImage } from "./augment.js";
import { DlibRand } from "./rand.js";
import { clusterDescriptors } from "./cluster.js";
import type { Network } from "../nn/network.js";
import { WrongNetworkError } from "../errors.js";

export type DetectorKind = "hog" | "cnn";

/** A detected face: dlib rectangle (inclusive), confidence, which detector found it. */
export interface Face extends Rect {
  confidence: number;
  detector: DetectorKind;
  /** HOG: which of the 5 filters fired (front, left, right, front rotated left/right); CNN: -1 */
  weightIndex: number;
}

export interface DetectOptions {
  /** "hog" (default, dlib's get_frontal_face_detector) or "cnn" (MMOD network given as `cnn`) */
  detector?: DetectorKind;
  /** pyramid_up steps before detecting (default 0, as dlib's example) */
  upsample?: number;
  /** dlib's adjust_threshold (default 0): higher finds fewer faces */
  threshold?: number;
  /** HOG detector (default: the built-in frontal face detector) */
  hog?: HogDetector;
  /** MMOD network (required for detector "cnn") */
  cnn?: Network;
}

/**
 * Faces in `img`, in dlib's order (by decreasing confidence after non-max suppression).
 * Rects are in `img`'s pixel coordinates and may extend past its borders (as dlib's).
 */
export async function detectFaces(img: RgbImage, opts: DetectOptions = {}): Promise<Face[]> {
  const kind = opts.detector ?? "hog";
  const upsample = opts.upsample ?? 0;
  if (!Number.isInteger(upsample) || upsample < 0 || upsample > 4) throw new RangeError(`upsample must be an integer 0..4, got ${upsample}`);
  if (kind === "hog") {
    return detectFacesHog(img, { upsample: upsample as 0 | 1 | 2, adjustThreshold: opts.threshold ?? 0, detector: opts.hog }).map((d) => ({
      ...d.rect, confidence: d.confidence, detector: "hog" as const, weightIndex: d.weightIndex,
    }));
  }
  if (!opts.cnn) throw new WrongNetworkError("detector 'cnn' needs the MMOD network (mmod_human_face_detector) in opts.cnn");
  const { detectFacesCnn } = await import("./mmod.js");
  const dets = detectFacesCnn(opts.cnn, img, { adjustThreshold: opts.threshold ?? 0, upsample });
  return dets.map((d: { rect: Rect; confidence: number }) => ({ ...d.rect, confidence: d.confidence, detector: "cnn" as const, weightIndex: -1 }));
}

/** Landmarks of each face with a dlib shape_predictor (5 or 68 points). */
export function faceLandmarks(img: RgbImage, faces: readonly Rect[], predictor: ShapePredictor): FullObjectDetection[] {
  return faces.map((f) => predictor.predict(img, { left: f.left, top: f.top, right: f.right, bottom: f.bottom }));
}

export interface ChipOptions {
  /** chip side in pixels (default 150, the ResNet's input) */
  size?: number;
  /** padding around the face as a fraction (default 0.25, as dnn_face_recognition_ex) */
  padding?: number;
}

/** dlib's get_face_chip_details for each shape (integer landmarks, as dlib passes full_object_detection). */
export function faceChipDetails(shapes: readonly (FullObjectDetection | readonly Point[])[], opts: ChipOptions = {}): ChipDetails[] {
  return shapes.map((s) => getFaceChipDetails("parts" in s ? s.parts : s, opts.size ?? 150, opts.padding ?? 0.25));
}

/**
 * Aligned face chips, one `extract_image_chip` per face as dnn_face_recognition_ex does (and as Python's
 * compute_face_descriptor does for one face). Note dlib's batched `extract_image_chips` builds its
 * pyramid_down<2> levels over the union of all chips, so for large faces it can differ from per-face
 * extraction; use `extractImageChips` directly for that behaviour.
 */
export function faceChips(img: RgbImage, shapes: readonly (FullObjectDetection | readonly Point[])[], opts: ChipOptions = {}): RgbImage[] {
  return faceChipDetails(shapes, opts).map((d) => extractImageChip(img, d));
}

export interface DescriptorOptions {
  /**
   * Jittered descriptors as dlib: the mean of the network output over N jitter_image copies of each chip
   * (N <= 1: no jitter). Default 0.
   */
  numJitters?: number;
  /**
   * The dlib::rand the jitters draw from. Default: a new default-seeded generator per call, which for one
   * face per call equals dlib Python's compute_face_descriptor on a freshly loaded model.
   */
  rng?: DlibRand;
  /** batch size for the network (default 16) */
  batchSize?: number;
}

/**
 * 128-d descriptors of aligned 150x150 chips with a loss_metric network (dlib's or Taguchi's ResNet).
 * Without jitter: the network output per chip. With jitter: float32 mean as dlib computes it (outputs
 * summed in order from zero, times float32(1/N)).
 */
export async function faceDescriptors(net: Network, chips: readonly RgbImage[], opts: DescriptorOptions = {}): Promise<Float32Array[]> {
  if (net.lossType !== "loss_metric") throw new WrongNetworkError(`${net.name} is a ${net.lossType} network, not a face descriptor network (loss_metric)`);
  const bs = Math.max(1, opts.batchSize ?? 16);
  const n = opts.numJitters ?? 0;
  const run = (imgs: RgbImage[]) => {
    const outs: Float32Array[] = [];
    for (let i = 0; i < imgs.length; i += bs) outs.push(...net.forwardSync(imgs.slice(i, i + bs)).outputs);
    return outs;
  };
  if (n <= 1) return run([...chips]);
  const rng = opts.rng ?? new DlibRand();
  const inv = Math.fround(1 / n);
  return chips.map((chip) => {
    const crops: RgbImage[] = [];
    for (let j = 0; j < n; j++) crops.push(jitterImage(chip, rng));
    const outs = run(crops);
    const acc = new Float32Array(outs[0].length);
    for (const o of outs) for (let i = 0; i < acc.length; i++) acc[i] = Math.fround(acc[i] + o[i]);
    for (let i = 0; i < acc.length; i++) acc[i] = Math.fround(acc[i] * inv);
    return acc;
  });
}

/** Chinese whispers over edges where distance < threshold (default 0.6), exactly as dlib's example. */
export function clusterFaces(descriptors: readonly ArrayLike<number>[], opts: { threshold?: number; iterations?: number; rng?: DlibRand } = {}) {
  return clusterDescriptors(descriptors, opts.threshold ?? 0.6, { iterations: opts.iterations, rng: opts.rng });
}

export { chipDims };
