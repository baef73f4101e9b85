// Element-wise kernels. Every fast kernel has a scalar `_ref` twin used as the oracle in tests.
// All pointers are byte offsets of f32 data in the exported memory; tensors are NCHW
// (n samples, k channels, nr rows, nc cols) exactly as dlib lays them out.

// ---------------------------------------------------------------------------------------------
// relu

/** relu as dlib (lowerbound(x, 0)): out[i] = x[i] >= 0 ? x[i] : 0, so NaN gives 0 and -0 stays -0. `out` may equal `x`. */
export function relu(x: usize, len: i32, out: usize): void {
  let i = 0;
  const z = f32x4.splat(0);
  for (; i + 4 <= len; i += 4) {
    const o = <usize>i << 2;
    const v = v128.load(x + o);
    v128.store(out + o, v128.and(v, f32x4.ge(v, z)));
  }
  for (; i < len; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o);
    store<f32>(out + o, v >= 0 ? v : 0);
  }
}

export function relu_ref(x: usize, len: i32, out: usize): void {
  for (let i = 0; i < len; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o);
    store<f32>(out + o, v >= 0 ? v : 0);
  }
}

// ---------------------------------------------------------------------------------------------
// multiply (dlib multiply_ layer, also dropout_ at inference)

/** out[i] = x[i] * val for i < len. `out` may equal `x`. */
export function multiply(x: usize, len: i32, val: f32, out: usize): void {
  let i = 0;
  const v4 = f32x4.splat(val);
  for (; i + 4 <= len; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.mul(v128.load(x + o), v4));
  }
  for (; i < len; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(x + o) * val);
  }
}

export function multiply_ref(x: usize, len: i32, val: f32, out: usize): void {
  for (let i = 0; i < len; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(x + o) * val);
  }
}

// ---------------------------------------------------------------------------------------------
// affine (dlib affine_ layer): y = gamma*x + beta

/**
 * Conv-mode affine: out[n][c][p] = gamma[c]*x[n][c][p] + beta[c], p < plane (= nr*nc).
 * gamma/beta hold `k` floats. `out` may equal `x`.
 */
export function affine_conv(x: usize, n: i32, k: i32, plane: i32, gamma: usize, beta: usize, out: usize): void {
  let off: usize = 0;
  for (let s = 0; s < n; s++) {
    for (let c = 0; c < k; c++) {
      const g = load<f32>(gamma + (<usize>c << 2));
      const b = load<f32>(beta + (<usize>c << 2));
      const g4 = f32x4.splat(g);
      const b4 = f32x4.splat(b);
      let i = 0;
      for (; i + 4 <= plane; i += 4) {
        const o = off + (<usize>i << 2);
        v128.store(out + o, f32x4.add(f32x4.mul(g4, v128.load(x + o)), b4));
      }
      for (; i < plane; i++) {
        const o = off + (<usize>i << 2);
        store<f32>(out + o, g * load<f32>(x + o) + b);
      }
      off += <usize>plane << 2;
    }
  }
}

/** affine_conv followed by relu (as `relu`) in the same pass. `out` may equal `x`. */
export function affine_conv_relu(x: usize, n: i32, k: i32, plane: i32, gamma: usize, beta: usize, out: usize): void {
  let off: usize = 0;
  const z = f32x4.splat(0);
  for (let s = 0; s < n; s++) {
    for (let c = 0; c < k; c++) {
      const g = load<f32>(gamma + (<usize>c << 2));
      const b = load<f32>(beta + (<usize>c << 2));
      const g4 = f32x4.splat(g);
      const b4 = f32x4.splat(b);
      let i = 0;
      for (; i + 4 <= plane; i += 4) {
        const o = off + (<usize>i << 2);
        const v = f32x4.add(f32x4.mul(g4, v128.load(x + o)), b4);
        v128.store(out + o, v128.and(v, f32x4.ge(v, z)));
      }
      for (; i < plane; i++) {
        const o = off + (<usize>i << 2);
        const v = g * load<f32>(x + o) + b;
        store<f32>(out + o, v >= 0 ? v : 0);
      }
      off += <usize>plane << 2;
    }
  }
}

export function affine_conv_relu_ref(x: usize, n: i32, k: i32, plane: i32, gamma: usize, beta: usize, out: usize): void {
  affine_conv_ref(x, n, k, plane, gamma, beta, out);
  relu_ref(out, n * k * plane, out);
}

export function affine_conv_ref(x: usize, n: i32, k: i32, plane: i32, gamma: usize, beta: usize, out: usize): void {
  for (let s = 0; s < n; s++) {
    for (let c = 0; c < k; c++) {
      const g = load<f32>(gamma + (<usize>c << 2));
      const b = load<f32>(beta + (<usize>c << 2));
      for (let i = 0; i < plane; i++) {
        const o = ((<usize>(s * k + c) * <usize>plane) + <usize>i) << 2;
        store<f32>(out + o, g * load<f32>(x + o) + b);
      }
    }
  }
}

/**
 * FC-mode affine: out[n][j] = gamma[j]*x[n][j] + beta[j] for j < size (= k*nr*nc).
 * gamma/beta hold `size` floats. `out` may equal `x`.
 */
export function affine_fc(x: usize, n: i32, size: i32, gamma: usize, beta: usize, out: usize): void {
  for (let s = 0; s < n; s++) {
    const base = <usize>s * <usize>size << 2;
    let j = 0;
    for (; j + 4 <= size; j += 4) {
      const o = <usize>j << 2;
      v128.store(out + base + o, f32x4.add(f32x4.mul(v128.load(gamma + o), v128.load(x + base + o)), v128.load(beta + o)));
    }
    for (; j < size; j++) {
      const o = <usize>j << 2;
      store<f32>(out + base + o, load<f32>(gamma + o) * load<f32>(x + base + o) + load<f32>(beta + o));
    }
  }
}

export function affine_fc_ref(x: usize, n: i32, size: i32, gamma: usize, beta: usize, out: usize): void {
  for (let s = 0; s < n; s++) {
    for (let j = 0; j < size; j++) {
      const o = (<usize>s * <usize>size + <usize>j) << 2;
      const p = <usize>j << 2;
      store<f32>(out + o, load<f32>(gamma + p) * load<f32>(x + o) + load<f32>(beta + p));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// batch normalization, inference mode (running statistics), dlib cpu order of operations

/**
 * Conv-mode bn inference: per channel c, invstd = f32(1 / sqrt(f64(var[c]) + eps)) (dlib does this
 * in double because eps is a double), then out = gamma*(x - mean)*invstd + beta evaluated in f32
 * left to right. gamma/beta/mean/var hold `k` floats. `out` may equal `x`.
 */
export function bn_inference_conv(
  x: usize, n: i32, k: i32, plane: i32,
  gamma: usize, beta: usize, mean: usize, variance: usize, eps: f64, out: usize,
): void {
  let off: usize = 0;
  for (let s = 0; s < n; s++) {
    for (let c = 0; c < k; c++) {
      const co = <usize>c << 2;
      const g = load<f32>(gamma + co);
      const b = load<f32>(beta + co);
      const m = load<f32>(mean + co);
      const invstd = <f32>(1.0 / Math.sqrt(<f64>load<f32>(variance + co) + eps));
      const g4 = f32x4.splat(g), b4 = f32x4.splat(b), m4 = f32x4.splat(m), i4 = f32x4.splat(invstd);
      let i = 0;
      for (; i + 4 <= plane; i += 4) {
        const o = off + (<usize>i << 2);
        v128.store(out + o, f32x4.add(f32x4.mul(f32x4.mul(g4, f32x4.sub(v128.load(x + o), m4)), i4), b4));
      }
      for (; i < plane; i++) {
        const o = off + (<usize>i << 2);
        store<f32>(out + o, g * (load<f32>(x + o) - m) * invstd + b);
      }
      off += <usize>plane << 2;
    }
  }
}

export function bn_inference_conv_ref(
  x: usize, n: i32, k: i32, plane: i32,
  gamma: usize, beta: usize, mean: usize, variance: usize, eps: f64, out: usize,
): void {
  for (let s = 0; s < n; s++) {
    for (let c = 0; c < k; c++) {
      const co = <usize>c << 2;
      const invstd = <f32>(1.0 / Math.sqrt(<f64>load<f32>(variance + co) + eps));
      for (let i = 0; i < plane; i++) {
        const o = ((<usize>(s * k + c) * <usize>plane) + <usize>i) << 2;
        const y: f32 = load<f32>(gamma + co) * (load<f32>(x + o) - load<f32>(mean + co)) * invstd + load<f32>(beta + co);
        store<f32>(out + o, y);
      }
    }
  }
}

/**
 * FC-mode bn inference, per element j < size: out = f32( f64(gamma*(x - mean)) / sqrt(f64(var) + eps) + f64(beta) )
 * (the product is f32, the division, sqrt and add are double, as in dlib's cpu code).
 * gamma/beta/mean/var hold `size` floats. `out` may equal `x`.
 */
export function bn_inference_fc(
  x: usize, n: i32, size: i32,
  gamma: usize, beta: usize, mean: usize, variance: usize, eps: f64, out: usize,
): void {
  // No SIMD: the double-precision division dominates and the layer is tiny where it is used.
  for (let s = 0; s < n; s++) {
    const base = <usize>s * <usize>size << 2;
    for (let j = 0; j < size; j++) {
      const p = <usize>j << 2;
      const o = base + p;
      const num: f32 = load<f32>(gamma + p) * (load<f32>(x + o) - load<f32>(mean + p));
      const y = <f64>num / Math.sqrt(<f64>load<f32>(variance + p) + eps) + <f64>load<f32>(beta + p);
      store<f32>(out + o, <f32>y);
    }
  }
}

export function bn_inference_fc_ref(
  x: usize, n: i32, size: i32,
  gamma: usize, beta: usize, mean: usize, variance: usize, eps: f64, out: usize,
): void {
  for (let s = 0; s < n; s++) {
    for (let j = 0; j < size; j++) {
      const p = <usize>j << 2;
      const o = (<usize>s * <usize>size << 2) + p;
      const num: f32 = load<f32>(gamma + p) * (load<f32>(x + o) - load<f32>(mean + p));
      store<f32>(out + o, <f32>(<f64>num / Math.sqrt(<f64>load<f32>(variance + p) + eps) + <f64>load<f32>(beta + p)));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// softmax over channels at each (r, c) of each sample (dlib softmax_ layer)

/**
 * For each sample and each location p < plane: m = max_c x[c][p]; e[c] = exp(x[c][p] - m);
 * out[c][p] = e[c] / sum_c e[c] (sum accumulated in f32 in channel order, as dlib).
 * `out` may equal `x`.
 */
export function softmax(x: usize, n: i32, k: i32, plane: i32, out: usize): void {
  const cs = <usize>plane << 2; // channel stride in bytes
  for (let s = 0; s < n; s++) {
    const base = <usize>s * <usize>k * cs;
    let p = 0;
    // four locations at once: max and the divide are SIMD, exp is scalar (Mathf.exp)
    for (; p + 4 <= plane; p += 4) {
      const pp = base + (<usize>p << 2);
      let mx = f32x4.splat(-Infinity);
      for (let c = 0; c < k; c++) mx = f32x4.max(mx, v128.load(x + pp + <usize>c * cs));
      const m0 = f32x4.extract_lane(mx, 0), m1 = f32x4.extract_lane(mx, 1);
      const m2 = f32x4.extract_lane(mx, 2), m3 = f32x4.extract_lane(mx, 3);
      let sum = f32x4.splat(0);
      for (let c = 0; c < k; c++) {
        const a = x + pp + <usize>c * cs;
        const d = out + pp + <usize>c * cs;
        const e0 = Mathf.exp(load<f32>(a) - m0);
        const e1 = Mathf.exp(load<f32>(a, 4) - m1);
        const e2 = Mathf.exp(load<f32>(a, 8) - m2);
        const e3 = Mathf.exp(load<f32>(a, 12) - m3);
        store<f32>(d, e0); store<f32>(d, e1, 4); store<f32>(d, e2, 8); store<f32>(d, e3, 12);
        sum = f32x4.add(sum, v128.load(d));
      }
      for (let c = 0; c < k; c++) {
        const d = out + pp + <usize>c * cs;
        v128.store(d, f32x4.div(v128.load(d), sum));
      }
    }
    for (; p < plane; p++) softmax_one(x, out, base + (<usize>p << 2), k, cs);
  }
}

@inline function softmax_one(x: usize, out: usize, off: usize, k: i32, cs: usize): void {
  let m: f32 = -Infinity;
  for (let c = 0; c < k; c++) m = max(m, load<f32>(x + off + <usize>c * cs));
  for (let c = 0; c < k; c++) store<f32>(out + off + <usize>c * cs, Mathf.exp(load<f32>(x + off + <usize>c * cs) - m));
  let sum: f32 = 0;
  for (let c = 0; c < k; c++) sum += load<f32>(out + off + <usize>c * cs);
  for (let c = 0; c < k; c++) {
    const a = out + off + <usize>c * cs;
    store<f32>(a, load<f32>(a) / sum);
  }
}

export function softmax_ref(x: usize, n: i32, k: i32, plane: i32, out: usize): void {
  const cs = <usize>plane << 2;
  for (let s = 0; s < n; s++) {
    for (let p = 0; p < plane; p++) softmax_one(x, out, <usize>s * <usize>k * cs + (<usize>p << 2), k, cs);
  }
}

// ---------------------------------------------------------------------------------------------
// add_prev: dlib tt::add(dest, src1, src2)

/**
 * out = a + b where a is [an][ak][anr][anc] and b is [bn][bk][bnr][bnc]; out has shape
 * [max(an,bn)][max(ak,bk)][max(anr,bnr)][max(anc,bnc)]. Both inputs are aligned at index 0 in every
 * dimension; entries outside an input count as 0. `out` may equal `a` or `b` only when all three
 * shapes are identical.
 */
export function add_prev(
  a: usize, an: i32, ak: i32, anr: i32, anc: i32,
  b: usize, bn: i32, bk: i32, bnr: i32, bnc: i32,
  out: usize,
): void {
  add_prev_into(a, an, ak, anr, anc, b, bn, bk, bnr, bnc, out, false);
}

/**
 * relu(add_prev(a, b)) (the end of a residual block): with equal shapes in one pass, each output (a + b) if >= 0,
 * else +0, exactly `add_prev` then `relu` (NaN -> +0); other shapes: `add_prev`, then `relu` over the output.
 * `out` may equal `a` or `b` when all three shapes are identical.
 */
export function add_prev_relu(
  a: usize, an: i32, ak: i32, anr: i32, anc: i32,
  b: usize, bn: i32, bk: i32, bnr: i32, bnc: i32,
  out: usize,
): void {
  add_prev_into(a, an, ak, anr, anc, b, bn, bk, bnr, bnc, out, true);
}

@inline function add_prev_into(
  a: usize, an: i32, ak: i32, anr: i32, anc: i32,
  b: usize, bn: i32, bk: i32, bnr: i32, bnc: i32,
  out: usize, doRelu: bool,
): void {
  if (an == bn && ak == bk && anr == bnr && anc == bnc) {
    const len = an * ak * anr * anc;
    const z = f32x4.splat(0);
    let i = 0;
    for (; i + 4 <= len; i += 4) {
      const o = <usize>i << 2;
      const v = f32x4.add(v128.load(a + o), v128.load(b + o));
      v128.store(out + o, doRelu ? v128.and(v, f32x4.ge(v, z)) : v);
    }
    for (; i < len; i++) {
      const o = <usize>i << 2;
      const v = load<f32>(a + o) + load<f32>(b + o);
      store<f32>(out + o, doRelu ? (v >= 0 ? v : 0) : v);
    }
    return;
  }
  // different shapes: row by row; a missing row/column contributes +0 (so -0 from the other input
  // becomes +0 exactly as dlib's v1 + v2 with v1 = 0 does)
  const on = max(an, bn), ok = max(ak, bk), onr = max(anr, bnr), onc = max(anc, bnc);
  const z = f32x4.splat(0);
  let d = out;
  for (let n = 0; n < on; n++) {
    for (let k = 0; k < ok; k++) {
      for (let r = 0; r < onr; r++) {
        const wa = n < an && k < ak && r < anr ? anc : 0;
        const wb = n < bn && k < bk && r < bnr ? bnc : 0;
        const pa = a + (<usize>(((n * ak + k) * anr + r) * anc) << 2);
        const pb = b + (<usize>(((n * bk + k) * bnr + r) * bnc) << 2);
        const both = min(wa, wb);
        let c = 0;
        for (; c + 4 <= both; c += 4) {
          const o = <usize>c << 2;
          v128.store(d + o, f32x4.add(v128.load(pa + o), v128.load(pb + o)));
        }
        for (; c < both; c++) {
          const o = <usize>c << 2;
          store<f32>(d + o, load<f32>(pa + o) + load<f32>(pb + o));
        }
        if (wa > wb) {
          for (; c + 4 <= wa; c += 4) v128.store(d + (<usize>c << 2), f32x4.add(z, v128.load(pa + (<usize>c << 2))));
          for (; c < wa; c++) store<f32>(d + (<usize>c << 2), <f32>0 + load<f32>(pa + (<usize>c << 2)));
        } else {
          for (; c + 4 <= wb; c += 4) v128.store(d + (<usize>c << 2), f32x4.add(z, v128.load(pb + (<usize>c << 2))));
          for (; c < wb; c++) store<f32>(d + (<usize>c << 2), <f32>0 + load<f32>(pb + (<usize>c << 2)));
        }
        for (; c < onc; c++) store<f32>(d + (<usize>c << 2), 0);
        d += <usize>onc << 2;
      }
    }
  }
  if (doRelu) relu(out, on * ok * onr * onc, out);
}

export function add_prev_ref(
  a: usize, an: i32, ak: i32, anr: i32, anc: i32,
  b: usize, bn: i32, bk: i32, bnr: i32, bnc: i32,
  out: usize,
): void {
  const on = max(an, bn), ok = max(ak, bk), onr = max(anr, bnr), onc = max(anc, bnc);
  let d = out;
  for (let n = 0; n < on; n++) {
    for (let k = 0; k < ok; k++) {
      for (let r = 0; r < onr; r++) {
        for (let c = 0; c < onc; c++) {
          let v1: f32 = 0, v2: f32 = 0;
          if (n < an && k < ak && r < anr && c < anc) v1 = load<f32>(a + ((<usize>(((n * ak + k) * anr + r) * anc + c)) << 2));
          if (n < bn && k < bk && r < bnr && c < bnc) v2 = load<f32>(b + ((<usize>(((n * bk + k) * bnr + r) * bnc + c)) << 2));
          store<f32>(d, v1 + v2);
          d += 4;
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// copies

/** Copy `len` floats from src to dst (regions may overlap). */
export function copy(src: usize, len: i32, dst: usize): void {
  memory.copy(dst, src, <usize>len << 2);
}

export function copy_ref(src: usize, len: i32, dst: usize): void {
  for (let i = 0; i < len; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>i << 2)));
}

/**
 * concat helper: for each of n samples, copy all sk channels of src [n][sk][plane] into
 * dst [n][dk][plane] starting at channel dk_offset (requires dk_offset + sk <= dk).
 */
export function concat_channels(src: usize, n: i32, sk: i32, plane: i32, dst: usize, dk: i32, dk_offset: i32): void {
  const block = <usize>sk * <usize>plane << 2;
  for (let s = 0; s < n; s++) {
    memory.copy(
      dst + ((<usize>s * <usize>dk + <usize>dk_offset) * <usize>plane << 2),
      src + <usize>s * block,
      block,
    );
  }
}

export function concat_channels_ref(src: usize, n: i32, sk: i32, plane: i32, dst: usize, dk: i32, dk_offset: i32): void {
  for (let s = 0; s < n; s++) {
    for (let c = 0; c < sk; c++) {
      for (let p = 0; p < plane; p++) {
        const v = load<f32>(src + ((<usize>((s * sk + c) * plane + p)) << 2));
        store<f32>(dst + ((<usize>((s * dk + dk_offset + c) * plane + p)) << 2), v);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// input_rgb_image(_sized): RGB bytes -> the input tensor

/**
 * One sample of dlib's input_rgb_image: dst[c][i] = (float(rgb[3 i + c]) - avg[c]) / 256 for the `pixels`
 * pixels, channels R, G, B (f32 arithmetic: the subtraction rounds once, the division is exact).
 * In place: `rgb` may sit at dst + 9 * pixels bytes (the last quarter of the sample's 12 * pixels bytes);
 * each pixel's bytes are read before anything at or after them is written.
 */
export function rgb_input(rgb: usize, pixels: i32, avg_r: f32, avg_g: f32, avg_b: f32, dst: usize): void {
  const plane = <usize>pixels << 2;
  const s: f32 = 1.0 / 256.0;
  for (let i = 0; i < pixels; i++) {
    const p = rgb + <usize>(3 * i);
    const r = <f32>load<u8>(p), g = <f32>load<u8>(p, 1), b = <f32>load<u8>(p, 2);
    const o = dst + (<usize>i << 2);
    store<f32>(o, (r - avg_r) * s);
    store<f32>(o + plane, (g - avg_g) * s);
    store<f32>(o + 2 * plane, (b - avg_b) * s);
  }
}

// ---------------------------------------------------------------------------------------------
// strided gather

/**
 * dst[j] = src[j * stride] for j < n (f32). May run in place with dst <= src (each value is read before
 * anything at or after it is written): picks one tap of every filter of a con layer (its 1x1-plane slice).
 */
export function gather_stride(src: usize, n: i32, stride: i32, dst: usize): void {
  const step = <usize>stride << 2;
  let s = src;
  for (let j = 0; j < n; j++) {
    store<f32>(dst + (<usize>j << 2), load<f32>(s));
    s += step;
  }
}
