/**
 * dlib's `chinese_whispers` graph clustering (dlib/clustering/chinese_whispers.h, dlib 19.24), driven by the
 * same dlib::rand sequence so labels are identical to dlib's, and the descriptor clustering of
 * dnn_face_recognition_ex.cpp built on it.
 */
import { DlibRand } from "./rand.js";
import { faceDistance } from "./distance.js";

/** An edge [index1, index2] or [index1, index2, weight]; dlib's default weight (its `distance()`) is 1. */
export type Edge = readonly [number, number] | readonly [number, number, number];

export interface ChineseWhispersOptions {
  /** dlib's num_iterations (default 100): the loop runs numNodes·iterations times. */
  iterations?: number;
  /** Generator to draw node indices from (default: a fresh default-seeded DlibRand, as dlib). */
  rng?: DlibRand;
  /**
   * false (default): edges are dlib `sample_pair`s (unordered; each is used in both directions, a self-edge
   * once). true: edges are `ordered_sample_pair`s used as given (one-way), and must already be sorted by
   * (index1, index2) as dlib requires.
   */
  ordered?: boolean;
}

export interface ClusterResult {
  /** labels[i] = cluster of node i, 0..numClusters-1 numbered by first appearance; length = highest index + 1. */
  labels: number[];
  numClusters: number;
}

function checkIndex(v: number, numNodes: number | undefined, i: number): void {
  if (!Number.isInteger(v) || v < 0) throw new RangeError(`edge ${i}: bad node index ${v}`);
  if (numNodes !== undefined && v >= numNodes) throw new RangeError(`edge ${i}: node ${v} >= numNodes ${numNodes}`);
}

/**
 * dlib `chinese_whispers(edges, labels, num_iterations, rnd)`. Requires: non-negative integer node indices
 * (below `numNodes` when given; numNodes only validates — as in dlib, nodes above the highest index used by an
 * edge get no label). Guarantees: dlib's labels and cluster count for the same edges and generator state; the
 * generator advances by exactly 2·(highest index + 1)·iterations words.
 *
 * Algorithm (as dlib): edges become ordered pairs sorted by (index1, index2); labels start as node indices;
 * (highest index + 1)·iterations times a node is drawn (64-bit draw modulo the node count), the weights of
 * its edges are summed per neighbour label (double, edge order), and it takes the label with the largest sum
 * (strictly larger wins while scanning labels in increasing order, so ties go to the smallest label; a node
 * without edges keeps its label). Labels are finally renumbered by first appearance.
 */
export function chineseWhispers(edges: readonly Edge[], numNodes?: number, opts: ChineseWhispersOptions = {}): ClusterResult {
  const iterations = opts.iterations ?? 100;
  if (!(Number.isInteger(iterations) && iterations >= 0)) throw new RangeError(`bad iterations ${iterations}`);
  const rng = opts.rng ?? new DlibRand();
  if (edges.length === 0) return { labels: [], numClusters: 0 };

  // ordered pairs (src, dst, weight)
  let src: number[] = [];
  let dst: number[] = [];
  let w: number[] = [];
  edges.forEach((e, i) => {
    const a = e[0];
    const b = e[1];
    const wt = e.length > 2 ? (e[2] as number) : 1;
    checkIndex(a, numNodes, i);
    checkIndex(b, numNodes, i);
    if (opts.ordered) {
      src.push(a); dst.push(b); w.push(wt);
    } else {
      const lo = Math.min(a, b);
      const hi = Math.max(a, b);
      src.push(lo); dst.push(hi); w.push(wt);
      if (lo !== hi) { src.push(hi); dst.push(lo); w.push(wt); }
    }
  });
  if (opts.ordered) {
    for (let i = 1; i < src.length; ++i) {
      if (src[i]! < src[i - 1]! || (src[i] === src[i - 1] && dst[i]! < dst[i - 1]!)) {
        throw new RangeError(`ordered edges must be sorted by (index1, index2); edge ${i} is out of order`);
      }
    }
  } else {
    const order = src.map((_, i) => i);
    order.sort((x, y) => src[x]! - src[y]! || dst[x]! - dst[y]! || x - y);
    src = order.map((i) => src[i]!);
    dst = order.map((i) => dst[i]!);
    w = order.map((i) => w[i]!);
  }

  let maxIdx = 0;
  for (let i = 0; i < src.length; ++i) maxIdx = Math.max(maxIdx, src[i]!, dst[i]!);
  const n = maxIdx + 1;
  const begin = new Int32Array(n);
  const end = new Int32Array(n);
  for (let i = 0; i < src.length; ) {
    const s = src[i]!;
    let j = i;
    while (j < src.length && src[j] === s) ++j;
    begin[s] = i;
    end[s] = j;
    i = j;
  }
  const labels = new Array<number>(n);
  for (let i = 0; i < n; ++i) labels[i] = i;

  // per-label vote sums (dlib: a std::map<label, double> starting at 0.0, summed in edge order)
  const sums = new Float64Array(n);
  const stamp = new Float64Array(n).fill(-1);
  const touched = new Int32Array(n);
  const total = n * iterations;
  for (let it = 0; it < total; ++it) {
    const idx = rng.getRandom64bitNumberMod(n);
    let nt = 0;
    for (let e = begin[idx]!; e < end[idx]!; ++e) {
      const l = labels[dst[e]!]!;
      if (stamp[l] !== it) {
        stamp[l] = it;
        sums[l] = 0;
        touched[nt++] = l;
      }
      sums[l] = sums[l]! + w[e]!;
    }
    // largest sum wins; scanning labels in increasing order with a strict '>', ties go to the smallest label
    let bestScore = -Infinity;
    let bestLabel = labels[idx]!;
    for (let k = 0; k < nt; ++k) {
      const l = touched[k]!;
      const sc = sums[l]!;
      if (sc > bestScore || (sc === bestScore && sc !== -Infinity && l < bestLabel)) {
        bestScore = sc;
        bestLabel = l;
      }
    }
    labels[idx] = bestLabel;
  }

  const remap = new Map<number, number>();
  for (let i = 0; i < n; ++i) {
    if (!remap.has(labels[i]!)) remap.set(labels[i]!, remap.size);
    labels[i] = remap.get(labels[i]!)!;
  }
  return { labels, numClusters: remap.size };
}

/**
 * The edges of dnn_face_recognition_ex.cpp: for i, for j >= i (self-edges included), an unweighted edge
 * [i, j] when dlib's float32 `length(d_i - d_j)` < threshold.
 */
export function descriptorEdges(descriptors: readonly ArrayLike<number>[], threshold = 0.6): [number, number][] {
  const edges: [number, number][] = [];
  for (let i = 0; i < descriptors.length; ++i) {
    for (let j = i; j < descriptors.length; ++j) {
      if (faceDistance(descriptors[i]!, descriptors[j]!) < threshold) edges.push([i, j]);
    }
  }
  return edges;
}

/**
 * Clusters face descriptors exactly like dnn_face_recognition_ex.cpp: descriptorEdges(threshold) then
 * chinese_whispers with 100 iterations and a default-seeded dlib::rand. Guarantees labels.length ===
 * descriptors.length (every node has its self-edge).
 */
export function clusterDescriptors(descriptors: readonly ArrayLike<number>[], threshold = 0.6, opts: Omit<ChineseWhispersOptions, "ordered"> = {}): ClusterResult {
  return chineseWhispers(descriptorEdges(descriptors, threshold), descriptors.length, opts);
}
