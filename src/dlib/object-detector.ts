/**
 * Reader for dlib's serialized `object_detector<scan_fhog_pyramid<pyramid_down<N>>>` (SERIALIZATION.md §7.2),
 * e.g. `serialize(get_frontal_face_detector())` = models/frontal_face_detector.dat.
 *
 * Layout: int object_detector version (1 or 2); scan_fhog_pyramid: int version 1, the (empty) default fhog
 * feature extractor, array<array<array2d<float>>> cached features, unsigned long cell_size, padding,
 * window_width, window_height, max_pyramid_levels, min_pyramid_layer_width, min_pyramid_layer_height,
 * double nuclear_norm_regularization_strength, unsigned long num_dimensions; then (version 2)
 * test_box_overlap (double iou_thresh, double percent_covered_thresh), size_t number of weight vectors and each
 * matrix<double,0,1> w (num_dimensions + 1 values). Version 1 has a single w followed by the test_box_overlap.
 */
import { DlibFormatError } from "../errors.js";
import { DlibReader } from "./serialize.js";

/** dlib `test_box_overlap`. */
export interface BoxOverlapTester {
  iouThresh: number;
  percentCoveredThresh: number;
}

/** The scanner configuration of `scan_fhog_pyramid` (pyramid type is not stored in the file). */
export interface FhogScannerConfig {
  cellSize: number;
  padding: number;
  windowWidth: number;
  windowHeight: number;
  maxPyramidLevels: number;
  minPyramidLayerWidth: number;
  minPyramidLayerHeight: number;
  nuclearNormRegularizationStrength: number;
  /** fhog filter width/height in cells: window mapped to fhog space, grown by padding. */
  filterWidth: number;
  filterHeight: number;
  /** filterWidth * filterHeight * 31 */
  numDimensions: number;
}

/** A deserialized HOG object detector: configuration, overlap tester and the weight vectors (doubles). */
export interface FhogObjectDetectorModel {
  scanner: FhogScannerConfig;
  boxesOverlap: BoxOverlapTester;
  /** One Float64Array per detector, length numDimensions + 1; the last value is the detection threshold. */
  weights: Float64Array[];
}

/** dlib's fhog window size in cells for a window_width×window_height detection window (compute_fhog_window_size). */
export function fhogWindowSize(windowWidth: number, windowHeight: number, cellSize: number, padding: number): { width: number; height: number } {
  // centered_rect(point(0,0), w, h)
  const left = -Math.trunc(windowWidth / 2);
  const top = -Math.trunc(windowHeight / 2);
  const right = left + windowWidth - 1;
  const bottom = top + windowHeight - 1;
  // image_to_fhog with paddings 1: p -= (1,1); p / cell_size (C++ integer division truncates) - (1,1)
  const toF = (v: number) => Math.trunc((v - 1) / cellSize) - 1;
  const l = toF(left) - padding, t = toF(top) - padding, r = toF(right) + padding, b = toF(bottom) + padding;
  return { width: Math.max(0, r - l + 1), height: Math.max(0, b - t + 1) };
}

const MAX_DIM = 1 << 20;

/**
 * Parses the bytes of a serialized HOG object_detector. Throws `DlibFormatError` (with the byte offset) for
 * truncated files, unknown versions, inconsistent dimensions or trailing bytes.
 */
export function readFhogObjectDetector(bytes: Uint8Array, file = "<bytes>"): FhogObjectDetectorModel {
  const rd = new DlibReader(bytes, file);
  rd.context = "object_detector";
  const version = rd.version("object_detector version", [1, 2]);
  rd.context = "scan_fhog_pyramid";
  rd.version("scan_fhog_pyramid version", [1]);
  // cached feature pyramid: array<array<array2d<float>>>
  const outerMax = rd.uint("feature pyramid max_size");
  const outerSize = rd.uint("feature pyramid size");
  if (outerSize > outerMax) rd.fail(`feature pyramid size ${outerSize} exceeds its max_size ${outerMax}`);
  for (let i = 0; i < outerSize; i++) {
    const innerMax = rd.uint("feature level max_size");
    const innerSize = rd.uint("feature level size");
    if (innerSize > innerMax) rd.fail(`feature level size ${innerSize} exceeds its max_size ${innerMax}`);
    for (let j = 0; j < innerSize; j++) rd.matrix("cached fhog plane", "float");
  }
  const cellSize = rd.uint("cell_size", MAX_DIM);
  const padding = rd.uint("padding", MAX_DIM);
  const windowWidth = rd.uint("window_width", MAX_DIM);
  const windowHeight = rd.uint("window_height", MAX_DIM);
  const maxPyramidLevels = rd.uint("max_pyramid_levels");
  const minPyramidLayerWidth = rd.uint("min_pyramid_layer_width");
  const minPyramidLayerHeight = rd.uint("min_pyramid_layer_height");
  const nuclear = rd.double("nuclear_norm_regularization_strength");
  const dimsAt = rd.pos;
  const numDimensions = rd.int("num_dimensions");
  if (cellSize === 0) rd.fail("cell_size must be > 0", dimsAt);
  if (windowWidth === 0 || windowHeight === 0) rd.fail("detection window size must be > 0", dimsAt);
  const fw = fhogWindowSize(windowWidth, windowHeight, cellSize, padding);
  const expectDims = fw.width * fw.height * 31;
  if (numDimensions !== expectDims) {
    rd.fail(`num_dimensions ${numDimensions} does not match the window (${fw.width}x${fw.height} cells x 31 = ${expectDims})`, dimsAt);
  }
  const scanner: FhogScannerConfig = {
    cellSize, padding, windowWidth, windowHeight, maxPyramidLevels, minPyramidLayerWidth, minPyramidLayerHeight,
    nuclearNormRegularizationStrength: nuclear, filterWidth: fw.width, filterHeight: fw.height, numDimensions,
  };
  const readW = (what: string): Float64Array => {
    const at = rd.pos;
    const m = rd.matrix(what, "double", numDimensions + 1);
    if (m.nc !== 1 || m.nr !== numDimensions + 1) {
      rd.fail(`${what}: expected a ${numDimensions + 1}x1 column vector, got ${m.nr}x${m.nc}`, at);
    }
    return m.data;
  };
  const readOverlap = (): BoxOverlapTester => {
    rd.context = "test_box_overlap";
    const at = rd.pos;
    const iouThresh = rd.double("iou_thresh");
    const percentCoveredThresh = rd.double("percent_covered_thresh");
    if (!(iouThresh >= 0 && iouThresh <= 1 && percentCoveredThresh >= 0 && percentCoveredThresh <= 1)) {
      rd.fail(`test_box_overlap thresholds out of [0,1]: ${iouThresh}, ${percentCoveredThresh}`, at);
    }
    return { iouThresh, percentCoveredThresh };
  };
  let boxesOverlap: BoxOverlapTester;
  const weights: Float64Array[] = [];
  if (version === 1) {
    rd.context = "weight vector";
    weights.push(readW("w"));
    boxesOverlap = readOverlap();
  } else {
    boxesOverlap = readOverlap();
    rd.context = "weight vectors";
    const at = rd.pos;
    const n = rd.uint("number of weight vectors");
    // each vector takes at least (numDimensions+1)*4 bytes
    if (n === 0) rd.fail("no weight vectors", at);
    if (n * (numDimensions + 1) * 4 > rd.remaining) {
      rd.fail(`${n} weight vectors of ${numDimensions + 1} values cannot fit in the ${rd.remaining} bytes left (truncated file?)`, at);
    }
    for (let i = 0; i < n; i++) {
      rd.context = `weight vector ${i}`;
      weights.push(readW(`w[${i}]`));
    }
  }
  if (!rd.atEnd) {
    throw new DlibFormatError(`${rd.remaining} unexpected trailing bytes after the object_detector`, { file, offset: rd.pos });
  }
  return { scanner, boxesOverlap, weights };
}
