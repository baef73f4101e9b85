// Shape predictor (dlib shape_predictor) leaf accumulation: current_shape += leaf vector of each tree, in
// tree order, in float32 — the same additions as dlib's `current_shape += forests[iter][i](...)`, four lanes
// at a time (each lane is an independent element, so the result is bit-identical to the scalar loop).

/**
 * For t < ntrees: shape[j] += leaves[idx[t]*dim + j] for j < dim (f32 adds in order of t).
 * `shape`: dim f32; `leaves`: the cascade's leaf vectors, dim f32 each; `idx`: ntrees i32 leaf indices.
 */
export function sp_accumulate(shape: usize, leaves: usize, idx: usize, ntrees: i32, dim: i32): void {
  const dim4 = dim & ~3;
  const rowBytes = <usize>dim << 2;
  for (let t = 0; t < ntrees; t++) {
    const leaf = leaves + <usize>load<i32>(idx + (<usize>t << 2)) * rowBytes;
    let j = 0;
    for (; j < dim4; j += 4) {
      const o = <usize>j << 2;
      v128.store(shape + o, f32x4.add(v128.load(shape + o), v128.load(leaf + o)));
    }
    for (; j < dim; j++) {
      const o = <usize>j << 2;
      store<f32>(shape + o, load<f32>(shape + o) + load<f32>(leaf + o));
    }
  }
}

export function sp_accumulate_ref(shape: usize, leaves: usize, idx: usize, ntrees: i32, dim: i32): void {
  for (let t = 0; t < ntrees; t++) {
    const leaf = leaves + <usize>load<i32>(idx + (<usize>t << 2)) * (<usize>dim << 2);
    for (let j = 0; j < dim; j++) {
      const o = <usize>j << 2;
      store<f32>(shape + o, load<f32>(shape + o) + load<f32>(leaf + o));
    }
  }
}

/**
 * One cascade level after its feature pixels are known: for each tree t < ntrees walk from the root, going to
 * the left child (2i+1) when feats[idx1[s]] − feats[idx2[s]] > thresh[s] (f32) and to the right child (2i+2)
 * otherwise, until past the tree's splits; the leaf is leafOff[t] + (node − nsplits) (u32, in units of dim
 * f32) and is written to idxOut[t]. Then all leaves are added to `shape` in tree order (sp_accumulate).
 * Tree t's splits are s in [splitOff[t], splitOff[t+1]) (u32). Bit-identical to the scalar traversal +
 * sp_accumulate. (Walking every tree first keeps the leaf loads back to back, which is faster than
 * interleaving walks and adds.)
 */
export function sp_cascade(
  feats: usize, idx1: usize, idx2: usize, thresh: usize, splitOff: usize, leafOff: usize, ntrees: i32,
  leaves: usize, shape: usize, dim: i32, idxOut: usize,
): void {
  for (let t = 0; t < ntrees; t++) {
    const base = load<u32>(splitOff + (<usize>t << 2));
    const ns = load<u32>(splitOff + (<usize>(t + 1) << 2)) - base;
    let n: u32 = 0;
    while (n < ns) {
      const k = <usize>(base + n) << 2;
      const a = load<f32>(feats + (<usize>load<u32>(idx1 + k) << 2));
      const b = load<f32>(feats + (<usize>load<u32>(idx2 + k) << 2));
      n = 2 * n + 2 - <u32>(a - b > load<f32>(thresh + k));
    }
    store<u32>(idxOut + (<usize>t << 2), load<u32>(leafOff + (<usize>t << 2)) + n - ns);
  }
  sp_accumulate(shape, leaves, idxOut, ntrees, dim);
}
