/**
 * dlib's `chinese_whispers` graph clustering (dlib/clustering/chinese_whispers.h, dlib 19.24), driven by the
 * same dlib::rand sequence so labels are identical to dlib's, and the descriptor clustering of
 * dnn_face_recognition_ex.cpp built on it; dlib's `bottom_up_cluster` (dlib/clustering/bottom_up_cluster.h).
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

/**
 * The min-priority queue of dlib's bottom_up_cluster: `std::priority_queue` of sample_pairs (index1 < index2,
 * distance) with the comparison "a.distance > b.distance", over a binary heap maintained exactly as libstdc++'s
 * push_heap / pop_heap do, so that pairs at equal distances come out in the order dlib's do. Stored as parallel
 * typed arrays (16 bytes a pair: n = 2000 faces make 2 million pairs).
 */
class PairQueue {
  private d: Float64Array;
  private i1: Int32Array;
  private i2: Int32Array;
  private n = 0;
  constructor(capacity: number) {
    this.d = new Float64Array(Math.max(4, capacity));
    this.i1 = new Int32Array(this.d.length);
    this.i2 = new Int32Array(this.d.length);
  }
  get topD(): number { return this.d[0]!; }
  get topI1(): number { return this.i1[0]!; }
  get topI2(): number { return this.i2[0]!; }
  /** Adds the pair {a, b} (in either order) at distance `dist`. */
  push(a: number, b: number, dist: number): void {
    if (this.n === this.d.length) this.grow();
    this.siftUp(this.n++, a < b ? a : b, a < b ? b : a, dist);
  }
  pop(): void {
    const last = --this.n;
    if (last === 0) return;
    const d = this.d, i1 = this.i1, i2 = this.i2;
    const vd = d[last]!, v1 = i1[last]!, v2 = i2[last]!;
    // the hole left at the root moves down along the smaller child (on ties the right one: libstdc++ steps back
    // to the left child only when the right one compares "less", i.e. is strictly farther), then the last
    // element is pushed up from there
    const len = last;
    let hole = 0;
    let child = 0;
    while (child < ((len - 1) >> 1)) {
      child = 2 * (child + 1);
      if (d[child]! > d[child - 1]!) child--;
      this.move(child, hole);
      hole = child;
    }
    if ((len & 1) === 0 && child === ((len - 2) >> 1)) {
      child = 2 * (child + 1);
      this.move(child - 1, hole);
      hole = child - 1;
    }
    this.siftUp(hole, v1, v2, vd);
  }
  private move(from: number, to: number): void {
    this.d[to] = this.d[from]!;
    this.i1[to] = this.i1[from]!;
    this.i2[to] = this.i2[from]!;
  }
  private siftUp(hole: number, v1: number, v2: number, vd: number): void {
    let parent = (hole - 1) >> 1;
    while (hole > 0 && this.d[parent]! > vd) {
      this.move(parent, hole);
      hole = parent;
      parent = (hole - 1) >> 1;
    }
    this.d[hole] = vd;
    this.i1[hole] = v1;
    this.i2[hole] = v2;
  }
  private grow(): void {
    const d = new Float64Array(this.d.length * 2), i1 = new Int32Array(d.length), i2 = new Int32Array(d.length);
    d.set(this.d); i1.set(this.i1); i2.set(this.i2);
    this.d = d; this.i1 = i1; this.i2 = i2;
  }
}

/**
 * dlib `bottom_up_cluster(dists, labels, min_num_clusters, max_dist)`: agglomerative clustering with complete
 * linkage. Requires: `dists` an n x n matrix (rows of n numbers; dlib takes the initial pairs from the upper
 * triangle and then keeps both halves in step, so give a symmetric one), `minNumClusters` an integer >= 1,
 * `maxDist` a number (default Infinity). Guarantees: dlib's labels and cluster count for the same input (doubles, its
 * merge order, its tie-breaking): starting from singletons, the two clusters at the smallest distance (the
 * largest distance between their members) are merged while more than `minNumClusters` clusters remain and that
 * distance is at most `maxDist`; labels are numbered 0..numClusters-1 by first appearance.
 */
export function bottomUpCluster(dists: readonly ArrayLike<number>[], minNumClusters = 1, maxDist = Infinity): ClusterResult {
  const n = dists.length;
  checkBottomUpArgs("bottomUpCluster", minNumClusters, maxDist);
  const d = new Float64Array(n * n);
  for (let r = 0; r < n; r++) {
    const row = dists[r]!;
    if (!row || row.length !== n) throw new RangeError(`bottomUpCluster: dists must be ${n}x${n}; row ${r} has ${row?.length} values`);
    for (let c = 0; c < n; c++) {
      const v = Number(row[c]);
      if (Number.isNaN(v)) throw new RangeError(`bottomUpCluster: dists[${r}][${c}] is not a number`);
      d[r * n + c] = v;
    }
  }
  return bottomUpClusterInPlace(d, n, minNumClusters, maxDist);
}

/** RangeError (naming `fn`) unless minNumClusters is an integer >= 1 and maxDist a number. */
function checkBottomUpArgs(fn: string, minNumClusters: number, maxDist: number): void {
  if (!Number.isInteger(minNumClusters) || minNumClusters < 1) throw new RangeError(`${fn}: minNumClusters must be an integer >= 1, got ${minNumClusters}`);
  if (typeof maxDist !== "number" || Number.isNaN(maxDist)) throw new RangeError(`${fn}: maxDist must be a number, got ${maxDist}`);
}

/** bottomUpCluster over a row-major n x n matrix `d` of doubles, which it overwrites (arguments already checked). */
function bottomUpClusterInPlace(d: Float64Array, n: number, minNumClusters: number, maxDist: number): ClusterResult {
  if (n === 0) return { labels: [], numClusters: 0 };

  // disjoint sets with union by rank and path compression, as dlib::disjoint_subsets
  const parent = Int32Array.from({ length: n }, (_, i) => i);
  const rank = new Int32Array(n);
  const find = (x: number): number => {
    let root = x;
    while (parent[root] !== root) root = parent[root]!;
    while (parent[x] !== x) { const next = parent[x]!; parent[x] = root; x = next; }
    return root;
  };

  const que = new PairQueue((n * (n - 1)) / 2 + n);
  for (let r = 0; r < n; r++) for (let c = r + 1; c < n; c++) que.push(r, c, d[r * n + c]!);

  for (let iter = minNumClusters; iter < n; ++iter) {
    let best = que.topD;
    let a = find(que.topI1);
    let b = find(que.topI2);
    que.pop();
    // stale entries (already merged, or the clusters grew farther apart since) go back with the current distance
    while (a === b || best < d[a * n + b]!) {
      if (a !== b) que.push(a, b, d[a * n + b]!);
      best = que.topD;
      a = find(que.topI1);
      b = find(que.topI2);
      que.pop();
    }
    if (best > maxDist) break;
    let merged: number, old: number;
    if (rank[a]! > rank[b]!) { parent[b] = a; merged = a; old = b; }
    else { parent[a] = b; if (rank[a] === rank[b]) rank[b]!++; merged = b; old = a; }
    // complete linkage: the merged cluster's distance to every other one is the larger of the two
    for (let r = 0; r < n; r++) {
      const v = Math.max(d[r * n + merged]!, d[r * n + old]!);
      d[merged * n + r] = v;
      d[r * n + merged] = v;
    }
  }

  const relabel = new Map<number, number>();
  const labels = new Array<number>(n);
  for (let r = 0; r < n; r++) {
    const l = find(r);
    let k = relabel.get(l);
    if (k === undefined) { k = relabel.size; relabel.set(l, k); }
    labels[r] = k;
  }
  return { labels, numClusters: relabel.size };
}

/**
 * Face descriptors clustered by `bottomUpCluster` over dlib's float32 `length(d_i - d_j)`: groups in which every
 * two faces are at most `maxDist` apart (complete linkage; default 0.6, dlib's same-person threshold), and at
 * least `minNumClusters` groups. Unlike chinese whispers, no random draws and no chaining through intermediate
 * faces: the result depends only on the distances. O(n^2) time per merge pass and O(n^2) memory, as dlib.
 */
export function clusterDescriptorsBottomUp(descriptors: readonly ArrayLike<number>[], maxDist = 0.6, minNumClusters = 1): ClusterResult {
  checkBottomUpArgs("clusterDescriptorsBottomUp", minNumClusters, maxDist);
  const n = descriptors.length;
  const d = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) d[i * n + j] = d[j * n + i] = faceDistance(descriptors[i]!, descriptors[j]!);
  return bottomUpClusterInPlace(d, n, minNumClusters, maxDist);
}
