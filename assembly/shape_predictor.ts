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
