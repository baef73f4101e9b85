/**
 * Face descriptor distances the way dlib computes them (`length(a - b)` of two `matrix<float,0,1>`: float32
 * differences, float32 squares, summed in float32 in index order, float32 sqrt), comparison helpers, and a
 * small brute-force nearest-neighbour index for identifying faces.
 */

const fround = Math.fround;

/**
 * dlib `length(a - b)` for float descriptors. Requires: a.length === b.length. Guarantees: the float32 value
 * dlib computes (as a JS number). Note 0.6 is not a float32, so `d < 0.6` and `d <= 0.6` never differ.
 */
export function faceDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  if (b.length !== n) throw new RangeError(`descriptor lengths differ: ${n} vs ${b.length}`);
  let acc = 0;
  for (let i = 0; i < n; ++i) {
    const d = fround(a[i]! - b[i]!);
    acc = fround(acc + fround(d * d));
  }
  return fround(Math.sqrt(acc));
}

/** The matrix of faceDistance over all pairs (symmetric, zero diagonal), row-major n×n. */
export function distanceMatrix(descriptors: readonly ArrayLike<number>[]): Float64Array {
  const n = descriptors.length;
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; ++i) {
    for (let j = i + 1; j < n; ++j) {
      const d = faceDistance(descriptors[i]!, descriptors[j]!);
      out[i * n + j] = d;
      out[j * n + i] = d;
    }
  }
  return out;
}

/**
 * For each known descriptor, whether it is the same person as `candidate`: faceDistance < tolerance
 * (dlib's dnn_face_recognition_ex.cpp rule with 0.6; face_recognition's compare_faces uses <=, identical
 * for float32 distances and the default 0.6).
 */
export function compareFaces(known: readonly ArrayLike<number>[], candidate: ArrayLike<number>, tolerance = 0.6): boolean[] {
  return known.map((k) => faceDistance(k, candidate) < tolerance);
}

/** One neighbour found by FaceIndex.query. */
export interface FaceMatch {
  /** Insertion index in the FaceIndex. */
  index: number;
  label: string;
  /** faceDistance to the query. */
  distance: number;
}

/** Result of FaceIndex.identify. */
export interface Identification {
  /** The identified label, or null when no neighbour is within the threshold. */
  label: string | null;
  /** Distance to the nearest neighbour carrying `label` (Infinity when label is null and the index is empty). */
  distance: number;
  /** Number of the k nearest (within threshold) that voted for `label`. */
  votes: number;
  /** The k nearest neighbours considered (all of them, also those beyond the threshold). */
  neighbors: FaceMatch[];
}

/**
 * Labelled descriptors (all of one dimension, e.g. 128) searched by brute force with dlib's float32 distance.
 * Identification is by nearest neighbour (k = 1) or by majority among the k nearest within the threshold —
 * never by a mean distance.
 */
export class FaceIndex {
  private data = new Float32Array(0);
  private labels: string[] = [];
  private dim = 0;

  /** Number of stored descriptors. */
  get size(): number {
    return this.labels.length;
  }

  /** Descriptor dimension (0 while empty). */
  get dimension(): number {
    return this.dim;
  }

  /** Adds one descriptor (copied, as float32) with its label; returns its index. */
  add(descriptor: ArrayLike<number>, label: string): number {
    if (this.labels.length === 0 && this.dim === 0) {
      if (descriptor.length === 0) throw new RangeError("empty descriptor");
      this.dim = descriptor.length;
    }
    if (descriptor.length !== this.dim) throw new RangeError(`descriptor has ${descriptor.length} values, index holds ${this.dim}`);
    const n = this.labels.length;
    if ((n + 1) * this.dim > this.data.length) {
      const grown = new Float32Array(Math.max(16 * this.dim, this.data.length * 2));
      grown.set(this.data);
      this.data = grown;
    }
    for (let i = 0; i < this.dim; ++i) this.data[n * this.dim + i] = descriptor[i]!;
    this.labels.push(label);
    return n;
  }

  /** Label of entry `index`. */
  label(index: number): string {
    const l = this.labels[index];
    if (l === undefined) throw new RangeError(`no entry ${index}`);
    return l;
  }

  /** Copy of descriptor `index`. */
  descriptor(index: number): Float32Array {
    if (!(index >= 0 && index < this.labels.length)) throw new RangeError(`no entry ${index}`);
    return this.data.slice(index * this.dim, (index + 1) * this.dim);
  }

  /** The k nearest stored descriptors, by increasing distance (ties: lower index first). */
  query(descriptor: ArrayLike<number>, k = 1): FaceMatch[] {
    const n = this.labels.length;
    if (n === 0) return [];
    if (descriptor.length !== this.dim) throw new RangeError(`descriptor has ${descriptor.length} values, index holds ${this.dim}`);
    const kk = Math.max(0, Math.min(k | 0, n));
    const best: FaceMatch[] = [];
    const q = this.dim;
    const data = this.data;
    for (let i = 0; i < n; ++i) {
      // faceDistance(entry i, descriptor), inlined over the flat storage
      let acc = 0;
      for (let j = 0, o = i * q; j < q; ++j, ++o) {
        const dd = fround(data[o]! - descriptor[j]!);
        acc = fround(acc + fround(dd * dd));
      }
      const d = fround(Math.sqrt(acc));
      if (best.length === kk && !(d < best[kk - 1]!.distance)) continue;
      let pos = best.length;
      while (pos > 0 && d < best[pos - 1]!.distance) pos--;
      best.splice(pos, 0, { index: i, label: this.labels[i]!, distance: d });
      if (best.length > kk) best.pop();
    }
    return best;
  }

  /**
   * Who is this? Among the k nearest neighbours (default k = 1), those with distance < threshold (default
   * 0.6) vote; the label with most votes wins, ties going to the label whose closest voter is nearest.
   * `label` is null when no neighbour is within the threshold.
   */
  identify(descriptor: ArrayLike<number>, opts: { threshold?: number; k?: number } = {}): Identification {
    const threshold = opts.threshold ?? 0.6;
    const neighbors = this.query(descriptor, opts.k ?? 1);
    const votes = new Map<string, { votes: number; nearest: number }>();
    for (const m of neighbors) {
      if (!(m.distance < threshold)) continue;
      const v = votes.get(m.label);
      if (v) v.votes++;
      else votes.set(m.label, { votes: 1, nearest: m.distance });
    }
    let label: string | null = null;
    let best = { votes: 0, nearest: Infinity };
    for (const [l, v] of votes) {
      if (v.votes > best.votes || (v.votes === best.votes && v.nearest < best.nearest)) {
        label = l;
        best = v;
      }
    }
    const distance = label !== null ? best.nearest : neighbors.length ? neighbors[0]!.distance : Infinity;
    return { label, distance, votes: best.votes, neighbors };
  }
}
