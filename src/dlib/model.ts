/**
 * A loaded dlib network: the network type's tree with every layer's details as read from the file.
 * Parameters live in wasm memory (the kernel arena): a `ParamRef` is a float32 block there.
 * Nodes mirror `NetNode` of `nettype.ts` one to one (outermost first), so tag/skip ids come from the type.
 */
import type { LossType } from "./nettype.js";

/** `length` float32 values at byte offset `ptr` of the kernel arena. */
export interface ParamRef {
  ptr: number;
  length: number;
}

export type ModelNode = LossModel | LayerModel | TagModel | SkipModel | RepeatModel | InputModel | RepeatInputModel;

export interface MmodWindow {
  width: number;
  height: number;
  label: string;
}

export interface MmodOptions {
  version: number;
  detectorWindows: MmodWindow[];
  lossPerFalseAlarm: number;
  lossPerMissedTarget: number;
  truthMatchIouThreshold: number;
  overlapsNms: { iouThresh: number; percentCoveredThresh: number };
  overlapsIgnore: { iouThresh: number; percentCoveredThresh: number };
  assumeImagePyramid: boolean;
  useBoundingBoxRegression: boolean;
  bbrLambda: number;
}

export interface LossModel {
  kind: "loss";
  type: LossType;
  /** the version string found in the file */
  version: string;
  /** loss_metric: margin and distance_threshold */
  margin?: number;
  distanceThreshold?: number;
  mmod?: MmodOptions;
  subnet: ModelNode;
}

export type LayerDetails =
  | { type: "con"; numFilters: number; nr: number; nc: number; k: number; strideY: number; strideX: number; paddingY: number; paddingX: number; filters: ParamRef; biases: ParamRef | null; useRelu: boolean; multipliers: number[] }
  | { type: "fc"; numOutputs: number; numInputs: number; hasBias: boolean; weights: ParamRef; biases: ParamRef | null; multipliers: number[] }
  | { type: "relu"; disabled: boolean }
  | { type: "max_pool" | "avg_pool"; nr: number; nc: number; strideY: number; strideX: number; paddingY: number; paddingX: number }
  | { type: "affine"; mode: 0 | 1; gamma: ParamRef; beta: ParamRef; disabled: boolean }
  | { type: "bn_con" | "bn_fc"; gamma: ParamRef; beta: ParamRef; runningMeans: ParamRef; runningVariances: ParamRef; eps: number; runningStatsWindowSize: number; multipliers: number[] }
  | { type: "multiply"; val: number }
  | { type: "add_prev"; tag: number }
  | { type: "concat"; tags: number[] }
  | { type: "softmax" };

export interface LayerModel {
  kind: "layer";
  /** version string found in the file (e.g. "con_5", "bn_con2" read as affine) */
  version: string;
  details: LayerDetails;
  subnet: ModelNode;
}

export interface TagModel {
  kind: "tag";
  id: number;
  subnet: ModelNode;
}

export interface SkipModel {
  kind: "skip";
  id: number;
  subnet: ModelNode;
}

export interface RepeatModel {
  kind: "repeat";
  /** `blocks[0]` is the copy nearest the output, as dlib stores them */
  blocks: ModelNode[];
  subnet: ModelNode;
}

export interface RepeatInputModel {
  kind: "repeat_input";
}

export interface InputModel {
  kind: "input";
  type: "input_rgb_image" | "input_rgb_image_sized" | "input_rgb_image_pyramid";
  version: string;
  /** per-channel means subtracted before dividing by 256 */
  avgRed: number;
  avgGreen: number;
  avgBlue: number;
  /** input_rgb_image_sized: required rows/cols */
  nr?: number;
  nc?: number;
  /** input_rgb_image_pyramid: pyramid_down<N> factor, padding and outer padding */
  pyramidFactor?: number;
  pyramidPadding?: number;
  pyramidOuterPadding?: number;
}
