/**
 * dlib's CNN face detector: `loss_mmod_` networks with an `input_rgb_image_pyramid` input layer
 * (mmod_human_face_detector.dat, dnn_mmod_face_detection_ex.cpp), exactly as dlib 19.24 runs `net(img)`:
 *  1. the input layer builds the tiled image pyramid tensor (../nn/pyramid-input.ts);
 *  2. the network's last layer gives one score map per detector window (plus 4 regression maps per window
 *     when bounding-box regression is on, mmod_options version 4);
 *  3. `loss_mmod_::to_label`: every output location with score > adjust_threshold becomes a detection: the
 *     location is mapped back through the layers (`output_tensor_to_input_tensor`), the window's box centred
 *     there (`centered_drect`), mapped to image space (`tiled_pyramid_to_image`) and rounded to a dlib
 *     rectangle; with regression the unrounded box is shifted/scaled by (dx, dy, exp(dw), exp(dh));
 *     detections are sorted by decreasing score with libstdc++'s (unstable) `std::sort`, reproduced here so
 *     that equal scores come out in dlib's order; then greedy non-max suppression with
 *     `mmod_options::overlaps_nms` (test_box_overlap on the rounded rectangles, all labels together).
 */
import type { DRect, Rect, RgbImage } from "../image/types.js";
import { PyramidDown, roundRect } from "../image/pyramid.js";
import { pyramidUp } from "../image/resample.js";
import type { MmodOptions, ModelNode } from "../dlib/model.js";
import type { Network, ForwardResult } from "../nn/network.js";
import { fillTiledPyramidTensor, pyramidInputLayout, tiledPyramidToImage, type TiledPyramidLayout } from "../nn/pyramid-input.js";
import { LimitError, WrongNetworkError } from "../errors.js";

/** One detection as dlib's `mmod_rect`: inclusive integer rect, detection_confidence, detector window label. */
export interface MmodDetection {
  rect: Rect;
  confidence: number;
  label: string;
}

export interface DetectFacesCnnOptions {
  /** dlib's adjust_threshold: locations scoring > this become detections (default 0). */
  adjustThreshold?: number;
  /**
   * pyramid_up (bilinear ~2x, pyramid_down<2>) steps applied to the image first, as dlib's Python
   * `cnn_face_detection_model_v1(img, upsample)`; rects are mapped back with pyramid_down<2>::rect_down
   * (rounded). Default 0.
   */
  upsample?: number;
}

// ---------------------------------------------------------------------------------------------------------
// output -> input tensor mapping

/** dlib `output_tensor_to_input_tensor(net, p)`: a point of the last layer's output mapped to the input tensor. */
export function outputTensorToInputTensor(root: ModelNode, x: number, y: number): { x: number; y: number } {
  let px = x, py = y;
  let node: ModelNode = root.kind === "loss" ? root.subnet : root;
  for (;;) {
    switch (node.kind) {
      case "input":
        return { x: px, y: py };
      case "tag":
        node = node.subnet;
        break;
      case "skip": {
        // layer<TAG>(net): the first tag with that id below
        let t: ModelNode = node.subnet;
        while (!(t.kind === "tag" && t.id === node.id)) {
          if (t.kind === "input" || t.kind === "repeat_input") throw new WrongNetworkError(`skip${node.id} without a matching tag below it`);
          t = t.subnet;
        }
        node = t;
        break;
      }
      case "layer": {
        const d = node.details;
        switch (d.type) {
          case "con":
          case "max_pool":
          case "avg_pool":
            // p*stride - padding + filter_size/2 (integer division of the size)
            px = px * d.strideX - d.paddingX + Math.trunc(d.nc / 2);
            py = py * d.strideY - d.paddingY + Math.trunc(d.nr / 2);
            break;
          case "relu": case "affine": case "bn_con": case "bn_fc": case "multiply": case "add_prev": case "concat":
            break;
          default:
            throw new WrongNetworkError(`a ${d.type} layer has no output-to-input point mapping (dlib's loss_mmod needs one)`);
        }
        node = node.subnet;
        break;
      }
      default:
        throw new WrongNetworkError(`${node.kind} nodes are not supported in an MMOD network's point mapping`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// libstdc++ std::sort (GCC 12), so that ties come out in dlib's order

/**
 * In-place `std::sort(first, last, less)` exactly as libstdc++ does it (introsort: median-of-three pivot,
 * unguarded Hoare partition, heapsort fallback at depth 2·floor(log2 n), final insertion sort with threshold
 * 16). Only the order of elements that compare equal depends on this.
 */
export function stdSort<T>(a: T[], less: (x: T, y: T) => boolean): void {
  const n = a.length;
  if (n === 0) return;
  introsortLoop(a, 0, n, 2 * Math.floor(Math.log2(n)), less);
  finalInsertionSort(a, 0, n, less);
}

const THRESHOLD = 16;

function introsortLoop<T>(a: T[], first: number, last: number, depth: number, less: (x: T, y: T) => boolean): void {
  while (last - first > THRESHOLD) {
    if (depth === 0) {
      heapSort(a, first, last, less);
      return;
    }
    depth--;
    const cut = partitionPivot(a, first, last, less);
    introsortLoop(a, cut, last, depth, less);
    last = cut;
  }
}

function swap<T>(a: T[], i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}

function partitionPivot<T>(a: T[], first: number, last: number, less: (x: T, y: T) => boolean): number {
  const mid = first + Math.trunc((last - first) / 2);
  // median of a[first+1], a[mid], a[last-1] moved to a[first]
  const x = first + 1, y = mid, z = last - 1;
  if (less(a[x], a[y])) {
    if (less(a[y], a[z])) swap(a, first, y);
    else if (less(a[x], a[z])) swap(a, first, z);
    else swap(a, first, x);
  } else if (less(a[x], a[z])) swap(a, first, x);
  else if (less(a[y], a[z])) swap(a, first, z);
  else swap(a, first, y);
  // unguarded partition of [first+1, last) around a[first]
  let lo = first + 1, hi = last;
  const pivot = first;
  for (;;) {
    while (less(a[lo], a[pivot])) lo++;
    hi--;
    while (less(a[pivot], a[hi])) hi--;
    if (!(lo < hi)) return lo;
    swap(a, lo, hi);
    lo++;
  }
}

function unguardedLinearInsert<T>(a: T[], last: number, less: (x: T, y: T) => boolean): void {
  const val = a[last];
  let next = last - 1;
  while (less(val, a[next])) {
    a[last] = a[next];
    last = next;
    next--;
  }
  a[last] = val;
}

function insertionSort<T>(a: T[], first: number, last: number, less: (x: T, y: T) => boolean): void {
  if (first === last) return;
  for (let i = first + 1; i !== last; i++) {
    if (less(a[i], a[first])) {
      const val = a[i];
      for (let j = i; j > first; j--) a[j] = a[j - 1];
      a[first] = val;
    } else {
      unguardedLinearInsert(a, i, less);
    }
  }
}

function finalInsertionSort<T>(a: T[], first: number, last: number, less: (x: T, y: T) => boolean): void {
  if (last - first > THRESHOLD) {
    insertionSort(a, first, first + THRESHOLD, less);
    for (let i = first + THRESHOLD; i !== last; i++) unguardedLinearInsert(a, i, less);
  } else {
    insertionSort(a, first, last, less);
  }
}

function pushHeap<T>(a: T[], first: number, hole: number, top: number, value: T, less: (x: T, y: T) => boolean): void {
  let parent = Math.trunc((hole - 1) / 2);
  while (hole > top && less(a[first + parent], value)) {
    a[first + hole] = a[first + parent];
    hole = parent;
    parent = Math.trunc((hole - 1) / 2);
  }
  a[first + hole] = value;
}

function adjustHeap<T>(a: T[], first: number, hole: number, len: number, value: T, less: (x: T, y: T) => boolean): void {
  const top = hole;
  let child = hole;
  while (child < Math.trunc((len - 1) / 2)) {
    child = 2 * (child + 1);
    if (less(a[first + child], a[first + child - 1])) child--;
    a[first + hole] = a[first + child];
    hole = child;
  }
  if ((len & 1) === 0 && child === Math.trunc((len - 2) / 2)) {
    child = 2 * (child + 1);
    a[first + hole] = a[first + child - 1];
    hole = child - 1;
  }
  pushHeap(a, first, hole, top, value, less);
}

/**
 * In-place `std::partial_sort(first, last, last, less)` as libstdc++ does it (make_heap then sort_heap): the
 * fallback std::sort uses when its recursion gets too deep. Exported for tests.
 */
export function stdPartialSort<T>(a: T[], less: (x: T, y: T) => boolean): void {
  heapSort(a, 0, a.length, less);
}

/** __partial_sort(first, last, last): make_heap then sort_heap. */
function heapSort<T>(a: T[], first: number, last: number, less: (x: T, y: T) => boolean): void {
  const len = last - first;
  if (len >= 2) {
    let parent = Math.trunc((len - 2) / 2);
    for (;;) {
      adjustHeap(a, first, parent, len, a[first + parent], less);
      if (parent === 0) break;
      parent--;
    }
  }
  while (last - first > 1) {
    last--;
    const value = a[last];
    a[last] = a[first];
    adjustHeap(a, first, 0, last - first, value, less);
  }
}

// ---------------------------------------------------------------------------------------------------------
// loss_mmod_::to_label

/** dlib `test_box_overlap(iou, covered)(a, b)` on integer rectangles. */
export function testBoxOverlap(opts: { iouThresh: number; percentCoveredThresh: number }, a: Rect, b: Rect): boolean {
  const il = Math.max(a.left, b.left), it = Math.max(a.top, b.top), ir = Math.min(a.right, b.right), ib = Math.min(a.bottom, b.bottom);
  const inner = il > ir || it > ib ? 0 : (ir - il + 1) * (ib - it + 1);
  if (inner === 0) return false;
  const area = (r: Rect) => (r.left > r.right || r.top > r.bottom ? 0 : (r.right - r.left + 1) * (r.bottom - r.top + 1));
  const ul = Math.min(a.left, b.left), ut = Math.min(a.top, b.top), ur = Math.max(a.right, b.right), ub = Math.max(a.bottom, b.bottom);
  const outer = (ur - ul + 1) * (ub - ut + 1);
  return inner / outer > opts.iouThresh || inner / area(a) > opts.percentCoveredThresh || inner / area(b) > opts.percentCoveredThresh;
}

/** dlib centered_drect(p, width, height). */
function centeredDrect(cx: number, cy: number, width: number, height: number): DRect {
  const w = width - 1, h = height - 1;
  return { left: cx - w / 2, top: cy - h / 2, right: cx + w / 2, bottom: cy + h / 2 };
}

interface Candidate {
  confidence: number;
  channel: number;
  /** rect_bbr: the box NMS and the output use (the rounded window box without regression) */
  box: DRect;
}

/**
 * dlib `loss_mmod_::to_label` for one sample: `out` is the last layer's output [k, nr, nc] (k = number of
 * windows, or 5× that with bounding-box regression), `layout` the tiled pyramid the input tensor was built
 * with, `root` the network (for the output→input point mapping). Returns dlib's detections in its order.
 */
export function mmodToLabel(
  options: MmodOptions, root: ModelNode, layout: TiledPyramidLayout, out: Float32Array, shape: { k: number; nr: number; nc: number }, adjustThreshold = 0,
): MmodDetection[] {
  const windows = options.detectorWindows;
  const bbr = options.useBoundingBoxRegression;
  const wantK = bbr ? windows.length * 5 : windows.length;
  if (shape.k !== wantK) throw new WrongNetworkError(`loss_mmod: the last layer has ${shape.k} channels, the options need ${wantK}`);
  const { nr, nc } = shape;
  // the mapping is affine per axis: compute it once per row / column
  const colX = new Float64Array(nc), rowY = new Float64Array(nr);
  for (let c = 0; c < nc; c++) colX[c] = outputTensorToInputTensor(root, c, 0).x;
  for (let r = 0; r < nr; r++) rowY[r] = outputTensorToInputTensor(root, 0, r).y;

  const dets: Candidate[] = [];
  for (let k = 0; k < windows.length; k++) {
    const win = windows[k];
    for (let r = 0; r < nr; r++) {
      for (let c = 0; c < nc; c++) {
        const score = out[(k * nr + r) * nc + c];
        if (!(score > adjustThreshold)) continue;
        const drect = tiledPyramidToImage(layout, centeredDrect(colX[c], rowY[r], win.width, win.height));
        let box: DRect = roundRect(drect);
        if (bbr) {
          const off = windows.length + k * 4;
          const at = (ch: number) => out[(ch * nr + r) * nc + c];
          const dx = at(off), dy = at(off + 1);
          const dw = Math.exp(at(off + 2)), dh = Math.exp(at(off + 3));
          const w = drect.right - drect.left + 1 - 1;
          const h = drect.bottom - drect.top + 1 - 1;
          const moved = { left: drect.left + dx * w, top: drect.top + dy * h, right: drect.right + dx * w, bottom: drect.bottom + dy * h };
          box = centeredDrect((moved.left + moved.right) / 2, (moved.top + moved.bottom) / 2, w * dw + 1, h * dh + 1);
        }
        dets.push({ confidence: score, channel: k, box });
      }
    }
  }
  // std::sort(dets.rbegin(), dets.rend()) by confidence: ascending over the reversed sequence
  dets.reverse();
  stdSort(dets, (a, b) => a.confidence < b.confidence);
  dets.reverse();

  const final: MmodDetection[] = [];
  for (const d of dets) {
    const rect = roundRect(d.box);
    if (final.some((f) => testBoxOverlap(options.overlapsNms, f.rect, rect))) continue;
    final.push({ rect, confidence: d.confidence, label: windows[d.channel].label });
  }
  return final;
}

// ---------------------------------------------------------------------------------------------------------
// running the network

function requireMmod(net: Network): MmodOptions {
  if (net.model.type !== "loss_mmod" || !net.model.mmod) throw new WrongNetworkError(`${net.name} is a ${net.model.type} network, not an MMOD detector (loss_mmod)`);
  if (net.input.type !== "input_rgb_image_pyramid") throw new WrongNetworkError(`${net.name}: MMOD detection needs an input_rgb_image_pyramid input layer, this one is ${net.input.type}`);
  return net.model.mmod;
}

/**
 * Run a pyramid-input network on one image as dlib's input layer would feed it: returns the tiled layout and
 * the engine's result (last layer's output; with `trace`, every layer as in dlib's golden traces).
 */
export function forwardPyramid(net: Network, img: RgbImage, opts: { trace?: boolean } = {}): { layout: TiledPyramidLayout; result: ForwardResult } {
  if (net.input.type !== "input_rgb_image_pyramid") throw new WrongNetworkError(`${net.name}: not a pyramid-input network (${net.input.type})`);
  if (img.data.length !== img.width * img.height * 3) throw new RangeError(`image data must be RGB (${img.width * img.height * 3} bytes), got ${img.data.length}`);
  const layout = pyramidInputLayout(net.input, img.width, img.height);
  if (layout.rects.length === 0) throw new RangeError(`image ${img.width}x${img.height} is empty`);
  // the model's pyramid_padding / pyramid_outer_padding (file fields) size the tensor: absurd values are a limit
  const bytes = layout.nr * layout.nc * 3 * 4;
  if (!(layout.nr >= 1 && layout.nc >= 1 && Number.isSafeInteger(bytes) && bytes <= net.kernels.arena.maxBytes)) {
    throw new LimitError(`${net.name}: the tiled pyramid of a ${img.width}x${img.height} image would be ${layout.nc}x${layout.nr} (pyramid_padding ${net.input.pyramidPadding}, outer_padding ${net.input.pyramidOuterPadding}), beyond the wasm memory limit of ${net.kernels.arena.maxBytes} bytes`);
  }
  // dlib would write outside its tensor for the degenerate layouts of very small images: refuse them
  for (const r of layout.rects) {
    if (r.left < 0 || r.top < 0 || r.right >= layout.nc || r.bottom >= layout.nr) {
      throw new RangeError(`image ${img.width}x${img.height} is too small for the tiled pyramid (level outside the ${layout.nc}x${layout.nr} tensor)`);
    }
  }
  const result = net.forwardTensor(1, layout.nr, layout.nc, (dst) => fillTiledPyramidTensor(dst, net.input, [img], layout), opts);
  return { layout, result };
}

/**
 * dlib `net(img)` for an MMOD network (mmod_human_face_detector or any loss_mmod net with a pyramid input):
 * detections in `img`'s coordinates, in dlib's order (decreasing confidence after non-max suppression).
 * Rects may extend past the image borders, as dlib's do.
 */
export function runMmod(net: Network, img: RgbImage, adjustThreshold = 0): MmodDetection[] {
  const options = requireMmod(net);
  const { layout, result } = forwardPyramid(net, img);
  const [, k, nr, nc] = result.shape;
  return mmodToLabel(options, net.model, layout, result.outputs[0], { k, nr, nc }, adjustThreshold);
}

/**
 * dlib's CNN face detector on an RGB image, as Python's `cnn_face_detection_model_v1(img, upsample)`:
 * `upsample` (integer ≥ 0, default 0) pyramid_up steps first, then `net(img)`, then each rect mapped back with
 * pyramid_down<2>::rect_down and rounded. `net` must be a loss_mmod network with an input_rgb_image_pyramid
 * input (e.g. mmod_human_face_detector.dat). Synchronous; runs on the calling thread.
 */
export function detectFacesCnn(net: Network, img: RgbImage, opts: DetectFacesCnnOptions = {}): MmodDetection[] {
  requireMmod(net);
  const up = opts.upsample ?? 0;
  if (!Number.isInteger(up) || up < 0) throw new RangeError(`upsample must be an integer >= 0, got ${up}`);
  let work = img;
  for (let i = 0; i < up; i++) work = pyramidUp(work);
  const dets = runMmod(net, work, opts.adjustThreshold ?? 0);
  if (up === 0) return dets;
  const p2 = new PyramidDown(2);
  return dets.map((d) => ({ ...d, rect: roundRect(p2.rectDown(d.rect, up)) }));
}
