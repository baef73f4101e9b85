/**
 * dlib-face-wasm: dlib's face pipeline and network runtime, reading dlib's own model files.
 * One entry for every runtime; where a file system is needed (model paths, the built-in HOG model file)
 * Node is used when present, and bytes / URLs / streams work everywhere.
 */
export { loadNetwork, Network, detectNetType, resolveNetType, softmaxF32 } from "./nn/network.js";
export type { LoadNetworkOptions, ForwardResult, TraceEntry } from "./nn/network.js";
export { createKernels, defaultKernels, setKernelModule, setKernelModuleSource, Kernels, Arena, WasmOutOfMemoryError } from "./nn/wasm.js";
export type { KernelOptions } from "./nn/wasm.js";

export { parseNetDefinition, layerSequence, enumerateLayers } from "./dlib/netdef.js";
export { KNOWN_NETS, getKnownNet, parseKnownNet } from "./dlib/known-nets.js";
export type { NetType, NetNode } from "./dlib/nettype.js";
export { readSource, isBzip2 } from "./dlib/source.js";
export type { ModelSource } from "./dlib/source.js";
export { bunzip2 } from "./dlib/bzip2.js";

export { decodeImage, imageInfo, encodePng } from "./image/decode.js";
export type { RgbImage, GrayImage, Rect, Point } from "./image/types.js";
export { chipDetails, chipDims, getFaceChipDetails, extractImageChip, extractImageChips } from "./image/chip.js";
export type { ChipDetails, ChipDims } from "./image/chip.js";
export { resizeImage, pyramidUp, flipImageLeftRight } from "./image/resample.js";
export { PyramidDown } from "./image/pyramid.js";

export { detectFaces, faceLandmarks, faceChips, faceChipDetails, faceDescriptors, clusterFaces } from "./face/pipeline.js";
export type { Face, DetectOptions, DescriptorOptions, ChipOptions, DetectorKind } from "./face/pipeline.js";
export { detectFacesHog, loadHogDetector, getFrontalFaceDetector } from "./face/hog.js";
export type { HogDetector, HogDetection } from "./face/hog.js";
export { ShapePredictor, loadShapePredictor, readShapePredictor, describeShapePredictor } from "./face/shape-predictor.js";
export type { FullObjectDetection } from "./face/shape-predictor.js";
export { chineseWhispers, clusterDescriptors, descriptorEdges, bottomUpCluster, clusterDescriptorsBottomUp } from "./face/cluster.js";
export { faceDistance, compareFaces, FaceIndex, distanceMatrix } from "./face/distance.js";
export { DlibRand } from "./face/rand.js";
export { jitterImage, applyRandomColorOffset } from "./face/augment.js";
export { REGISTRY, registryEntry, resolveModel, fetchModel, gitBlobSha1, verifyModelBytes, ModelNotFoundError, ModelIntegrityError } from "./face/models.js";
export type { RegistryEntry, RegistryOptions } from "./face/models.js";

export { DlibFormatError, ImageDecodeError, DecompressError, NetDefinitionError, WrongNetworkError, LimitError } from "./errors.js";

export { detectFacesCnn, runMmod } from "./face/mmod.js";
export type { MmodDetection } from "./face/mmod.js";
export { classifyGender, classifyGenderSync, classifyGenderV1, classifyGenderV1Chips, genderV1Chips, GENDER_LABELS } from "./face/gender.js";
export type { GenderResult, GenderLabel, ClassifyGenderOptions, GenderV1Face } from "./face/gender.js";
export { parseLfwPairs, accuracyAt, foldAccuracies, RunningStats, equalErrorRate, rocAuc, tarAtFar, marginShare, summarizeLfw } from "./eval/lfw.js";
