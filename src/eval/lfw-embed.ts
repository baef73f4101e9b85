/**
 * One descriptor per LFW image: HOG (or CNN) detection, the face nearest the image centre, landmarks, the aligned
 * 150×150 chip (get_face_chip_details(shape, 150, 0.25)) and the network's descriptor (optionally jittered as dlib).
 * When no face is found the fallback is a centred square box (FALLBACK_BOX_SCALE of the shorter side: dlib's LFW
 * tool's 100×100 box on 250×250 images) given to the shape predictor as if it had been detected; such images are
 * counted (`noFace`). (dlib's LFW tool instead takes the detection overlapping a given face box best, with the
 * detector's adjust_threshold at −0.9; `detectThreshold` allows the same threshold here.)
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Point, Rect, RgbImage } from "../image/types.js";
import { decodeImage } from "../image/decode.js";
import type { Network } from "../nn/network.js";
import type { ShapePredictor } from "../face/shape-predictor.js";
import type { HogDetector } from "../face/hog.js";
import { detectFaces, faceChips, faceDescriptors, faceLandmarks, type DetectorKind } from "../face/pipeline.js";
import { lfwImageStem, type LfwImageRef } from "./lfw.js";

/**
 * Side of the fallback box as a fraction of min(width, height): 0.4 gives the 100×100 box of dlib's LFW test tool
 * (`centered_rect(get_rect(img), 100, 100)`) on LFW's 250×250 images, which are centred on the face.
 */
export const FALLBACK_BOX_SCALE = 0.4;

/**
 * The fallback box for an image without a detection: dlib's centered_rect(get_rect(img), s, s) with
 * s = round(0.4·min(width, height)): centre ((w−1+1)/2, (h−1+1)/2) in integer division, left = cx − s/2.
 */
export function fallbackFaceRect(width: number, height: number): Rect {
  const side = Math.max(1, Math.round(Math.min(width, height) * FALLBACK_BOX_SCALE));
  const cx = Math.floor(width / 2), cy = Math.floor(height / 2);
  const left = cx - Math.floor(side / 2), top = cy - Math.floor(side / 2);
  return { left, top, right: left + side - 1, bottom: top + side - 1 };
}

/**
 * Index of the rect whose centre ((left+right)/2, (top+bottom)/2) is nearest the image centre ((w−1)/2, (h−1)/2)
 * (Euclidean; ties: the earlier one, i.e. the more confident detection), or −1 for none.
 */
export function nearestToCentre(rects: readonly Rect[], width: number, height: number): number {
  let best = -1, bestD = Infinity;
  const cx = (width - 1) / 2, cy = (height - 1) / 2;
  rects.forEach((r, i) => {
    const d = ((r.left + r.right) / 2 - cx) ** 2 + ((r.top + r.bottom) / 2 - cy) ** 2;
    if (d < bestD) {
      bestD = d;
      best = i;
    }
  });
  return best;
}

/** Resolve an LFW image to its file: `dir/name/name_000i.jpg`, or `.jpeg`/`.png` where that is what exists. */
export function lfwImagePath(dir: string, r: LfwImageRef): string {
  const stem = join(dir, lfwImageStem(r));
  for (const ext of [".jpg", ".jpeg", ".png", ".JPG", ".PNG"]) if (existsSync(stem + ext)) return stem + ext;
  throw new Error(`LFW image not found: ${stem}.jpg (or .png)`);
}

export interface LfwEmbedOptions {
  net: Network;
  sp: ShapePredictor;
  detector?: DetectorKind;
  upsample?: number;
  hog?: HogDetector;
  cnn?: Network;
  /** detector adjust_threshold (default 0; dlib's LFW tool uses −0.9) */
  detectThreshold?: number;
  /** dlib jitter count (default 0: none) */
  jitter?: number;
}

export interface LfwEmbedding {
  descriptor: Float32Array;
  /** the face used (detection or fallback box) */
  rect: Rect;
  /** landmarks (integer, as dlib) */
  shape: Point[];
  /** number of detections in the image */
  detections: number;
  /** true when no face was detected and the fallback box was used */
  noFace: boolean;
}

/** The descriptor of one decoded image (see the module comment). */
export async function embedLfwImage(img: RgbImage, o: LfwEmbedOptions): Promise<LfwEmbedding> {
  const faces = await detectFaces(img, { detector: o.detector, upsample: o.upsample, hog: o.hog, cnn: o.cnn, threshold: o.detectThreshold ?? 0 });
  const i = nearestToCentre(faces, img.width, img.height);
  const rect = i >= 0 ? { left: faces[i].left, top: faces[i].top, right: faces[i].right, bottom: faces[i].bottom } : fallbackFaceRect(img.width, img.height);
  const [shape] = faceLandmarks(img, [rect], o.sp);
  const chips = faceChips(img, [shape]);
  const [descriptor] = await faceDescriptors(o.net, chips, { numJitters: o.jitter ?? 0 });
  return { descriptor, rect, shape: shape.parts, detections: faces.length, noFace: i < 0 };
}

/** Read, decode and embed one image file. */
export async function embedLfwFile(path: string, o: LfwEmbedOptions): Promise<LfwEmbedding> {
  const img = decodeImage(new Uint8Array(await readFile(path)), { file: path });
  return embedLfwImage(img, o);
}
