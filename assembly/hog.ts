// dlib HOG detector kernels (fHOG, separable / full float filtering, bilinear pyramid resize), bit-exact
// with dlib 19.24 compiled with SSE4.1/AVX and without FMA contraction. The TypeScript reference
// implementations are in src/face/fhog.ts, src/face/hog.ts and src/image/pyramid.ts; every rounding step
// below mirrors them (and dlib): float32 for dlib's float/simd ops, float64 where dlib uses double.
// All pointers are byte offsets into memory; images are row-major.

// i8x16.swizzle mask spreading bytes 0..11 (4 rgb pixels) to 4 u32 lanes r | g << 8 | b << 16 (0x80: zero byte)
const HOG_RGB4_MASK: usize = memory.data<u8>([0, 1, 2, 0x80, 3, 4, 5, 0x80, 6, 7, 8, 0x80, 9, 10, 11, 0x80]);
// dlib's 9 orientation unit vectors (float32)
const HOG_DIRS_X: usize = memory.data<f32>([1.0, 0.9397, 0.766, 0.5, 0.1736, -0.1736, -0.5, -0.766, -0.9397]);
const HOG_DIRS_Y: usize = memory.data<f32>([0.0, 0.342, 0.6428, 0.866, 0.9848, 0.9848, 0.866, 0.6428, 0.342]);

// @ts-ignore: decorator
@inline
function hogBestOrientation(gx: f32, gy: f32): i32 {
  let bestDot: f32 = 0;
  let bestO: i32 = 0;
  for (let o = 0; o < 9; o++) {
    const dot: f32 = gx * load<f32>(HOG_DIRS_X + (<usize>o << 2)) + gy * load<f32>(HOG_DIRS_Y + (<usize>o << 2));
    if (dot > bestDot) {
      bestDot = dot;
      bestO = o;
    } else if (-dot > bestDot) {
      bestDot = -dot;
      bestO = o + 9;
    }
  }
  return bestO;
}

// @ts-ignore: decorator
@inline
function histAdd(hist: usize, idx: i32, v: f32): void {
  const p = hist + (<usize>idx << 2);
  store<f32>(p, load<f32>(p) + v);
}

// bytes 0..3 of v zero-extended to u32 lanes (4 grey pixels)
// @ts-ignore: decorator
@inline
function hogGray4(v: v128): v128 {
  return i8x16.shuffle(v, i32x4.splat(0), 0, 16, 16, 16, 1, 16, 16, 16, 2, 16, 16, 16, 3, 16, 16, 16);
}

// the four bilinear votes of one pixel of dlib's SIMD path, in dlib's order
// @ts-ignore: decorator
@inline
function hogVote(hist: usize, rowA: i32, rowB: i32, ixp: i32, o: i32, v11: f32, v01: f32, v10: f32, v00: f32): void {
  const a = (rowA + ixp) * 18 + o, b = (rowB + ixp) * 18 + o;
  histAdd(hist, a, v11);
  histAdd(hist, b, v01);
  histAdd(hist, a + 18, v10);
  histAdd(hist, b + 18, v00);
}

/**
 * Fills otab (511*511 bytes) with dlib's fhog orientation bin (0..17) of every integer gradient: byte
 * (gy + 255) * 511 + (gx + 255) for gx, gy in -255..255 (what hog_fhog looks up instead of comparing 9 dot products).
 */
export function hog_orientation_table(otab: usize): void {
  for (let gy = -255; gy <= 255; gy++) {
    const row = otab + <usize>((gy + 255) * 511 + 255);
    for (let gx = -255; gx <= 255; gx++) store<u8>(row + <isize>gx, <u8>hogBestOrientation(<f32>gx, <f32>gy));
  }
}

/**
 * dlib extract_fhog_features (cell_size > 1) of an 8-bit rgb (isRgb=1, 3 bytes/pixel) or grey image.
 * cellsNr/cellsNc = (int)((float)H/cell + 0.5) etc. (computed by the caller, both >= 3).
 * hist: (cellsNr+2)*(cellsNc+2)*18 floats scratch; norm: max(cellsNr*cellsNc, 3*(W+16)) floats scratch;
 * out: 31 planes of outR x outC floats, outR = cellsNr-2+rowsPad-1, outC = cellsNc-2+colsPad-1 (zeroed here).
 * otab: the orientation table filled by hog_orientation_table.
 * The histogram is laid out [cell row][orientation][cell column], so that the two horizontally adjacent cells
 * a pixel votes into are adjacent floats; every bin still receives its votes in dlib's order.
 */
export function hog_fhog(
  img: usize, W: i32, H: i32, isRgb: i32, cellSize: i32, rowsPad: i32, colsPad: i32,
  cellsNr: i32, cellsNc: i32, hist: usize, norm: usize, out: usize, otab: usize,
): void {
  const hW = cellsNc + 2;
  const oStride = <usize>hW << 2; // bytes between orientations of one cell row
  const rStride: usize = <usize>18 * oStride; // bytes between cell rows
  memory.fill(hist, 0, <usize>(cellsNr + 2) * rStride);
  const visibleNr = min(cellsNr * cellSize, H) - 1;
  const visibleNc = min(cellsNc * cellSize, W) - 1;
  const cs = <f32>cellSize;
  const csd = <f64>cellSize;
  const ch = isRgb ? 3 : 1;
  const rowStride = W * ch;
  // per-column values of dlib's SIMD path (they do not depend on the row): ixp*4, vx0, vx1 for x < visibleNc + 8
  const colTab = norm; // norm is free until the energy pass; caller sizes it >= 3 * (W + 16) floats
  const colTabStride = <usize>(visibleNc + 16) << 2;
  for (let x = 0; x < visibleNc + 16; x++) {
    const xp: f32 = (<f32>x + <f32>0.5) / cs + <f32>0.5;
    const ixp = <i32>xp;
    const vx0: f32 = xp - <f32>ixp;
    store<i32>(colTab + (<usize>x << 2), ixp << 2);
    store<f32>(colTab + colTabStride + (<usize>x << 2), vx0);
    store<f32>(colTab + 2 * colTabStride + (<usize>x << 2), <f32>1 - vx0);
  }
  const z = f32x4.splat(0);
  // the rgb spreading mask read from memory once (a constant shuffle mask is rebuilt by V8 at every use)
  const rgbMask = v128.load(HOG_RGB4_MASK);
  for (let y = 1; y < visibleNr; y++) {
    const yp = <f32>((<f64>y + 0.5) / csd - 0.5);
    const iyp = <i32>Math.floor(<f64>yp);
    const vy0: f32 = yp - <f32>iyp;
    const vy1: f32 = <f32>1.0 - vy0;
    const histA = hist + <usize>(iyp + 1) * rStride;
    const histB = histA + rStride;
    const base = img + <usize>(y * rowStride);
    let x = 1;
    const vy0v = f32x4.splat(vy0), vy1v = f32x4.splat(vy1);
    for (; x < visibleNc - 7; x += 8) {
      // dlib's 8-lane block as two independent 4-lane halves (lanes never interact)
      for (let g = 0; g < 8; g += 4) {
        const xg = x + g;
        let gxi: v128, gyi: v128, leni: v128;
        if (isRgb) {
          const p = base + <usize>(xg * 3);
          // 4 pixels per vector, one per u32 lane (r | g << 8 | b << 16): one byte shuffle per neighbour
          const Lb = i8x16.swizzle(v128.load(p - 3), rgbMask), Rb = i8x16.swizzle(v128.load(p + 3), rgbMask);
          const Tb = i8x16.swizzle(v128.load(p - rowStride), rgbMask), Bb = i8x16.swizzle(v128.load(p + rowStride), rgbMask);
          const ff = i32x4.splat(255);
          const rgx = i32x4.sub(v128.and(Rb, ff), v128.and(Lb, ff)), rgy = i32x4.sub(v128.and(Bb, ff), v128.and(Tb, ff));
          const ggx = i32x4.sub(v128.and(i32x4.shr_u(Rb, 8), ff), v128.and(i32x4.shr_u(Lb, 8), ff));
          const ggy = i32x4.sub(v128.and(i32x4.shr_u(Bb, 8), ff), v128.and(i32x4.shr_u(Tb, 8), ff));
          const bgx = i32x4.sub(i32x4.shr_u(Rb, 16), i32x4.shr_u(Lb, 16)), bgy = i32x4.sub(i32x4.shr_u(Bb, 16), i32x4.shr_u(Tb, 16));
          const rl = i32x4.add(i32x4.mul(rgx, rgx), i32x4.mul(rgy, rgy));
          const gl = i32x4.add(i32x4.mul(ggx, ggx), i32x4.mul(ggy, ggy));
          const bl = i32x4.add(i32x4.mul(bgx, bgx), i32x4.mul(bgy, bgy));
          // dlib's SIMD selection: red only if strictly larger than green, then blue unless strictly smaller
          let cmp = i32x4.gt_s(rl, gl);
          const tgx = v128.bitselect(rgx, ggx, cmp), tgy = v128.bitselect(rgy, ggy, cmp), tl = i32x4.max_s(rl, gl);
          cmp = i32x4.gt_s(tl, bl);
          gxi = v128.bitselect(tgx, bgx, cmp);
          gyi = v128.bitselect(tgy, bgy, cmp);
          leni = i32x4.max_s(tl, bl); // = the selected squared length
        } else {
          const p = base + <usize>xg;
          gxi = i32x4.sub(hogGray4(v128.load(p + 1)), hogGray4(v128.load(p - 1)));
          gyi = i32x4.sub(hogGray4(v128.load(p + W)), hogGray4(v128.load(p - W)));
          leni = i32x4.add(i32x4.mul(gxi, gxi), i32x4.mul(gyi, gyi));
        }
        const co = colTab + (<usize>xg << 2);
        const vx0 = v128.load(co + colTabStride);
        const vx1 = v128.load(co + 2 * colTabStride);
        const v = f32x4.sqrt(f32x4.convert_i32x4_s(leni));
        // orientation bin from the table of hogBestOrientation over all integer gradients, as a byte offset
        // into the histogram row, plus the pixel's column offset
        const oi = i32x4.add(i32x4.add(i32x4.mul(gyi, i32x4.splat(511)), gxi), i32x4.splat(255 * 511 + 255));
        const off0 = <usize>load<u8>(otab + <usize>i32x4.extract_lane(oi, 0)) * oStride + <usize>load<i32>(co);
        const off1 = <usize>load<u8>(otab + <usize>i32x4.extract_lane(oi, 1)) * oStride + <usize>load<i32>(co + 4);
        const off2 = <usize>load<u8>(otab + <usize>i32x4.extract_lane(oi, 2)) * oStride + <usize>load<i32>(co + 8);
        const off3 = <usize>load<u8>(otab + <usize>i32x4.extract_lane(oi, 3)) * oStride + <usize>load<i32>(co + 12);
        const wx1 = f32x4.mul(vx1, v), wx0 = f32x4.mul(vx0, v);
        const v11 = f32x4.mul(vy1v, wx1), v01 = f32x4.mul(vy0v, wx1);
        const v10 = f32x4.mul(vy1v, wx0), v00 = f32x4.mul(vy0v, wx0);
        // per pixel the pair (cell ixp, cell ixp+1) of row A and of row B, pixels in dlib's order
        const a01 = i32x4.shuffle(v11, v10, 0, 4, 1, 5), a23 = i32x4.shuffle(v11, v10, 2, 6, 3, 7);
        const b01 = i32x4.shuffle(v01, v00, 0, 4, 1, 5), b23 = i32x4.shuffle(v01, v00, 2, 6, 3, 7);
        let pa = histA + off0, pb = histB + off0;
        v128.store64_lane(pa, f32x4.add(v128.load64_zero(pa), a01), 0);
        v128.store64_lane(pb, f32x4.add(v128.load64_zero(pb), b01), 0);
        pa = histA + off1; pb = histB + off1;
        v128.store64_lane(pa, f32x4.add(v128.load64_lane(pa, z, 1), a01), 1);
        v128.store64_lane(pb, f32x4.add(v128.load64_lane(pb, z, 1), b01), 1);
        pa = histA + off2; pb = histB + off2;
        v128.store64_lane(pa, f32x4.add(v128.load64_zero(pa), a23), 0);
        v128.store64_lane(pb, f32x4.add(v128.load64_zero(pb), b23), 0);
        pa = histA + off3; pb = histB + off3;
        v128.store64_lane(pa, f32x4.add(v128.load64_lane(pa, z, 1), a23), 1);
        v128.store64_lane(pb, f32x4.add(v128.load64_lane(pb, z, 1), b23), 1);
      }
    }
    for (; x < visibleNc; x++) {
      let gx: i32, gy: i32, len: i32;
      if (isRgb) {
        const p = base + <usize>(x * 3);
        gx = <i32>load<u8>(p + 3) - <i32>load<u8>(p - 3);
        gy = <i32>load<u8>(p + rowStride) - <i32>load<u8>(p - rowStride);
        len = gx * gx + gy * gy;
        const ggx = <i32>load<u8>(p + 4) - <i32>load<u8>(p - 2);
        const ggy = <i32>load<u8>(p + 1 + rowStride) - <i32>load<u8>(p + 1 - rowStride);
        const gl = ggx * ggx + ggy * ggy;
        const bgx = <i32>load<u8>(p + 5) - <i32>load<u8>(p - 1);
        const bgy = <i32>load<u8>(p + 2 + rowStride) - <i32>load<u8>(p + 2 - rowStride);
        const bl = bgx * bgx + bgy * bgy;
        // dlib's scalar selection: start with red, switch only on strictly larger
        if (gl > len) { len = gl; gx = ggx; gy = ggy; }
        if (bl > len) { len = bl; gx = bgx; gy = bgy; }
      } else {
        const p = base + <usize>x;
        gx = <i32>load<u8>(p + 1) - <i32>load<u8>(p - 1);
        gy = <i32>load<u8>(p + W) - <i32>load<u8>(p - W);
        len = gx * gx + gy * gy;
      }
      const o = <usize>load<u8>(otab + <usize>(gy * 511 + gx + (255 * 511 + 255)));
      const v: f32 = Mathf.sqrt(<f32>len);
      const xp = <f32>((<f64>x + 0.5) / csd - 0.5);
      const ixp = <i32>Math.floor(<f64>xp);
      const vx0: f32 = xp - <f32>ixp;
      const vx1: f32 = <f32>1.0 - vx0;
      const off = o * oStride + (<usize>(ixp + 1) << 2);
      const pa = histA + off, pb = histB + off;
      store<f32>(pa, load<f32>(pa) + vy1 * vx1 * v);
      store<f32>(pb, load<f32>(pb) + vy0 * vx1 * v);
      store<f32>(pa + 4, load<f32>(pa + 4) + vy1 * vx0 * v);
      store<f32>(pb + 4, load<f32>(pb + 4) + vy0 * vx0 * v);
    }
  }

  // energy per cell: sum over o of (h[o] + h[o+9])^2, 4 cells at a time (each lane in dlib's order)
  for (let r = 0; r < cellsNr; r++) {
    const hr = hist + <usize>(r + 1) * rStride + 4;
    const nrow = norm + (<usize>(r * cellsNc) << 2);
    let c = 0;
    for (; c + 4 <= cellsNc; c += 4) {
      const hb = hr + (<usize>c << 2);
      let acc = z;
      for (let o = 0; o < 9; o++) {
        const s = f32x4.add(v128.load(hb + <usize>o * oStride), v128.load(hb + <usize>(o + 9) * oStride));
        acc = f32x4.add(acc, f32x4.mul(s, s));
      }
      v128.store(nrow + (<usize>c << 2), acc);
    }
    for (; c < cellsNc; c++) {
      const hb = hr + (<usize>c << 2);
      let acc: f32 = 0;
      for (let o = 0; o < 9; o++) {
        const s: f32 = load<f32>(hb + <usize>o * oStride) + load<f32>(hb + <usize>(o + 9) * oStride);
        acc = acc + s * s;
      }
      store<f32>(nrow + (<usize>c << 2), acc);
    }
  }

  const hogNr = cellsNr - 2, hogNc = cellsNc - 2;
  const outR = hogNr + rowsPad - 1, outC = hogNc + colsPad - 1;
  const plane = outR * outC;
  const pS = <usize>plane << 2;
  memory.fill(out, 0, <usize>(31 * plane) << 2);
  const padR = (rowsPad - 1) >> 1, padC = (colsPad - 1) >> 1;
  const eps: f32 = 0.0001;
  const c02 = f32x4.splat(<f32>0.2);
  const c01 = f32x4.splat(<f32>0.1);
  const cT = f32x4.splat(<f32>(2 * 0.2357));
  const epsv = f32x4.splat(eps);
  const nS = <usize>cellsNc << 2;
  for (let y = 0; y < hogNr; y++) {
    const yy = y + padR;
    const nr0 = norm + (<usize>(y * cellsNc) << 2);
    const nr1 = nr0 + nS;
    const nr2 = nr1 + nS;
    const hr = hist + <usize>(y + 2) * rStride + 8;
    const orow = out + (<usize>(yy * outC + padC) << 2);
    let x = 0;
    // 4 cells at a time: lane k of every vector below is cell x + k, computed exactly as the per-cell code
    for (; x + 4 <= hogNc; x += 4) {
      const xo = <usize>x << 2;
      const N00 = v128.load(nr0 + xo), N01 = v128.load(nr0 + xo + 4), N02 = v128.load(nr0 + xo + 8);
      const N10 = v128.load(nr1 + xo), N11 = v128.load(nr1 + xo + 4), N12 = v128.load(nr1 + xo + 8);
      const N20 = v128.load(nr2 + xo), N21 = v128.load(nr2 + xo + 4), N22 = v128.load(nr2 + xo + 8);
      // dlib's four block energies (its lanes 0..3 of z1 + z2 + z3 + z4 + eps)
      const Z0 = f32x4.add(f32x4.add(f32x4.add(f32x4.add(N11, N12), N21), N22), epsv);
      const Z1 = f32x4.add(f32x4.add(f32x4.add(f32x4.add(N01, N02), N11), N12), epsv);
      const Z2 = f32x4.add(f32x4.add(f32x4.add(f32x4.add(N10, N11), N20), N21), epsv);
      const Z3 = f32x4.add(f32x4.add(f32x4.add(f32x4.add(N00, N01), N10), N11), epsv);
      const nn0 = f32x4.mul(c02, f32x4.sqrt(Z0)), nn1 = f32x4.mul(c02, f32x4.sqrt(Z1));
      const nn2 = f32x4.mul(c02, f32x4.sqrt(Z2)), nn3 = f32x4.mul(c02, f32x4.sqrt(Z3));
      const n0 = f32x4.div(c01, nn0), n1 = f32x4.div(c01, nn1), n2 = f32x4.div(c01, nn2), n3 = f32x4.div(c01, nn3);
      let t0 = z, t1 = z, t2 = z, t3 = z;
      const hb = hr + xo;
      const ob = orow + xo;
      for (let o = 0; o < 18; o += 3) {
        const ha = v128.load(hb + <usize>o * oStride);
        const hc = v128.load(hb + <usize>(o + 1) * oStride);
        const hd = v128.load(hb + <usize>(o + 2) * oStride);
        const a0 = f32x4.mul(f32x4.pmin(nn0, ha), n0), a1 = f32x4.mul(f32x4.pmin(nn1, ha), n1);
        const a2 = f32x4.mul(f32x4.pmin(nn2, ha), n2), a3 = f32x4.mul(f32x4.pmin(nn3, ha), n3);
        const c0 = f32x4.mul(f32x4.pmin(nn0, hc), n0), c1 = f32x4.mul(f32x4.pmin(nn1, hc), n1);
        const c2 = f32x4.mul(f32x4.pmin(nn2, hc), n2), c3 = f32x4.mul(f32x4.pmin(nn3, hc), n3);
        const d0 = f32x4.mul(f32x4.pmin(nn0, hd), n0), d1 = f32x4.mul(f32x4.pmin(nn1, hd), n1);
        const d2 = f32x4.mul(f32x4.pmin(nn2, hd), n2), d3 = f32x4.mul(f32x4.pmin(nn3, hd), n3);
        v128.store(ob + <usize>o * pS, f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)));
        v128.store(ob + <usize>(o + 1) * pS, f32x4.add(f32x4.add(c0, c1), f32x4.add(c2, c3)));
        v128.store(ob + <usize>(o + 2) * pS, f32x4.add(f32x4.add(d0, d1), f32x4.add(d2, d3)));
        t0 = f32x4.add(t0, f32x4.add(f32x4.add(a0, c0), d0));
        t1 = f32x4.add(t1, f32x4.add(f32x4.add(a1, c1), d1));
        t2 = f32x4.add(t2, f32x4.add(f32x4.add(a2, c2), d2));
        t3 = f32x4.add(t3, f32x4.add(f32x4.add(a3, c3), d3));
      }
      for (let o = 0; o < 9; o++) {
        const s = f32x4.add(v128.load(hb + <usize>o * oStride), v128.load(hb + <usize>(o + 9) * oStride));
        const a0 = f32x4.mul(f32x4.pmin(nn0, s), n0), a1 = f32x4.mul(f32x4.pmin(nn1, s), n1);
        const a2 = f32x4.mul(f32x4.pmin(nn2, s), n2), a3 = f32x4.mul(f32x4.pmin(nn3, s), n3);
        v128.store(ob + <usize>(o + 18) * pS, f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)));
      }
      v128.store(ob + 27 * pS, f32x4.mul(t0, cT));
      v128.store(ob + 28 * pS, f32x4.mul(t1, cT));
      v128.store(ob + 29 * pS, f32x4.mul(t2, cT));
      v128.store(ob + 30 * pS, f32x4.mul(t3, cT));
    }
    for (; x < hogNc; x++) {
      const xo = <usize>x << 2;
      const n00 = load<f32>(nr0 + xo), n01 = load<f32>(nr0 + xo + 4), n02 = load<f32>(nr0 + xo + 8);
      const n10 = load<f32>(nr1 + xo), n11 = load<f32>(nr1 + xo + 4), n12 = load<f32>(nr1 + xo + 8);
      const n20 = load<f32>(nr2 + xo), n21 = load<f32>(nr2 + xo + 4), n22 = load<f32>(nr2 + xo + 8);
      // lanes as dlib: z1 = (n11,n01,n10,n00) z2 = (n12,n02,n11,n01) z3 = (n21,n11,n20,n10) z4 = (n22,n12,n21,n11)
      let z1 = f32x4(n11, n01, n10, n00);
      const z2 = f32x4(n12, n02, n11, n01);
      const z3 = f32x4(n21, n11, n20, n10);
      const z4 = f32x4(n22, n12, n21, n11);
      z1 = f32x4.add(f32x4.add(f32x4.add(f32x4.add(z1, z2), z3), z4), epsv);
      const nn = f32x4.mul(c02, f32x4.sqrt(z1));
      const n = f32x4.div(c01, nn);
      let t = z;
      const hb = hr + xo;
      const ob = orow + xo;
      for (let o = 0; o < 18; o += 3) {
        const h0 = hogClampMul(load<f32>(hb + <usize>o * oStride), nn, n);
        const h1 = hogClampMul(load<f32>(hb + <usize>(o + 1) * oStride), nn, n);
        const h2 = hogClampMul(load<f32>(hb + <usize>(o + 2) * oStride), nn, n);
        store<f32>(ob + <usize>o * pS, hogHsum(h0));
        store<f32>(ob + <usize>(o + 1) * pS, hogHsum(h1));
        store<f32>(ob + <usize>(o + 2) * pS, hogHsum(h2));
        t = f32x4.add(t, f32x4.add(f32x4.add(h0, h1), h2));
      }
      for (let o = 0; o < 9; o++) {
        const a: f32 = load<f32>(hb + <usize>o * oStride) + load<f32>(hb + <usize>(o + 9) * oStride);
        store<f32>(ob + <usize>(o + 18) * pS, hogHsum(hogClampMul(a, nn, n)));
      }
      t = f32x4.mul(t, cT);
      store<f32>(ob + 27 * pS, f32x4.extract_lane(t, 0));
      store<f32>(ob + 28 * pS, f32x4.extract_lane(t, 1));
      store<f32>(ob + 29 * pS, f32x4.extract_lane(t, 2));
      store<f32>(ob + 30 * pS, f32x4.extract_lane(t, 3));
    }
  }
}

// min(a, nn) * n per lane, with _mm_min_ps semantics (a < nn ? a : nn)
// @ts-ignore: decorator
@inline
function hogClampMul(a: f32, nn: v128, n: v128): v128 {
  const av = f32x4.splat(a);
  return f32x4.mul(f32x4.pmin(nn, av), n); // av < nn ? av : nn (x86 minps)
}

// SSE4.1 dpps horizontal sum: (l0 + l1) + (l2 + l3)
// @ts-ignore: decorator
@inline
function hogHsum(h: v128): f32 {
  return (f32x4.extract_lane(h, 0) + f32x4.extract_lane(h, 1)) + (f32x4.extract_lane(h, 2) + f32x4.extract_lane(h, 3));
}

// ---------------------------------------------------------------------------------------------
// spatial filtering

function hogZeroBorder(img: usize, nr: i32, nc: i32, l: i32, t: i32, r: i32, b: i32): void {
  for (let y = 0; y < nr; y++) {
    const row = img + (<usize>(y * nc) << 2);
    if (y < t || y > b) {
      memory.fill(row, 0, <usize>nc << 2);
    } else {
      for (let x = 0; x < nc; x++) if (x < l || x > r) store<f32>(row + (<usize>x << 2), 0);
    }
  }
}

// floats 1..4, 2..5, 3..6 of the 8 floats a:b (one vpalignr each)
// @ts-ignore: decorator
@inline
function hogShift4(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19);
}
// @ts-ignore: decorator
@inline
function hogShift8(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23);
}
// @ts-ignore: decorator
@inline
function hogShift12(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27);
}

// hog_filter_separable specialised for 10-tap filters (dlib's frontal face detector): taps kept in registers,
// loops unrolled; the summation order is the generic one (accumulators over taps 0,3,6,9 / 1,4,7 / 2,5,8).
function hogSep10(
  inp: usize, nr: i32, nc: i32, rowF: usize, colF: usize, scratch: usize, out: usize, addTo: i32,
  firstCol: i32, firstRow: i32, lastCol: i32, lastRow: i32, simdEnd: i32,
): void {
  hogSep10Rows(inp, nr, nc, rowF, scratch, firstCol, lastCol, simdEnd);
  hogSep10Cols(nc, colF, scratch, out, addTo, firstCol, firstRow, lastCol, lastRow, simdEnd);
}

// the row pass of hogSep10: scratch[r][c] for all rows r, columns firstCol..lastCol-1
function hogSep10Rows(inp: usize, nr: i32, nc: i32, rowF: usize, scratch: usize, firstCol: i32, lastCol: i32, simdEnd: i32): void {
  const r0 = v128.load32_splat(rowF), r1 = v128.load32_splat(rowF + 4), r2 = v128.load32_splat(rowF + 8);
  const r3 = v128.load32_splat(rowF + 12), r4 = v128.load32_splat(rowF + 16), r5 = v128.load32_splat(rowF + 20);
  const r6 = v128.load32_splat(rowF + 24), r7 = v128.load32_splat(rowF + 28), r8 = v128.load32_splat(rowF + 32);
  const r9 = v128.load32_splat(rowF + 36);
  for (let r = 0; r < nr; r++) {
    const rowIn = inp + (<usize>(r * nc - firstCol) << 2);
    const rowS = scratch + (<usize>(r * nc) << 2);
    let c = firstCol;
    for (; c < simdEnd; c += 4) {
      const p = rowIn + (<usize>c << 2);
      // taps 1..3 shifted out of the loads for taps 0 and 4 (fewer loads per output vector)
      const a0 = v128.load(p), a4 = v128.load(p + 16);
      let t1 = f32x4.mul(a0, r0);
      let t2 = f32x4.mul(hogShift4(a0, a4), r1);
      let t3 = f32x4.mul(hogShift8(a0, a4), r2);
      t1 = f32x4.add(t1, f32x4.mul(hogShift12(a0, a4), r3));
      t2 = f32x4.add(t2, f32x4.mul(a4, r4));
      const a8 = v128.load(p + 32);
      t3 = f32x4.add(t3, f32x4.mul(hogShift4(a4, a8), r5));
      t1 = f32x4.add(t1, f32x4.mul(hogShift8(a4, a8), r6));
      t2 = f32x4.add(t2, f32x4.mul(hogShift12(a4, a8), r7));
      t3 = f32x4.add(t3, f32x4.mul(a8, r8));
      t1 = f32x4.add(t1, f32x4.mul(v128.load(p + 36), r9));
      v128.store(rowS + (<usize>c << 2), f32x4.add(t1, f32x4.add(t2, t3)));
    }
    // dlib's scalar tail (sequential sums), 4 columns per vector; the last partial vector is computed at
    // lastCol - 4 (the lanes left of the tail are recomputed identically and not stored)
    for (; c < lastCol; c += 4) {
      const cc = min(c, lastCol - 4);
      const p = rowIn + (<usize>cc << 2);
      let t = f32x4.add(f32x4.splat(0), f32x4.mul(v128.load(p), r0));
      t = f32x4.add(t, f32x4.mul(v128.load(p + 4), r1));
      t = f32x4.add(t, f32x4.mul(v128.load(p + 8), r2));
      t = f32x4.add(t, f32x4.mul(v128.load(p + 12), r3));
      t = f32x4.add(t, f32x4.mul(v128.load(p + 16), r4));
      t = f32x4.add(t, f32x4.mul(v128.load(p + 20), r5));
      t = f32x4.add(t, f32x4.mul(v128.load(p + 24), r6));
      t = f32x4.add(t, f32x4.mul(v128.load(p + 28), r7));
      t = f32x4.add(t, f32x4.mul(v128.load(p + 32), r8));
      t = f32x4.add(t, f32x4.mul(v128.load(p + 36), r9));
      hogStoreFrom(rowS + (<usize>cc << 2), t, c - cc, v128.load(rowS + (<usize>cc << 2)));
    }
  }
}

// the column pass of hogSep10: out[r][c] (+)= column filter of scratch, rows firstRow..lastRow-1
function hogSep10Cols(
  nc: i32, colF: usize, scratch: usize, out: usize, addTo: i32, firstCol: i32, firstRow: i32, lastCol: i32, lastRow: i32, simdEnd: i32,
): void {
  const c0 = v128.load32_splat(colF), c1 = v128.load32_splat(colF + 4), c2 = v128.load32_splat(colF + 8);
  const c3 = v128.load32_splat(colF + 12), c4 = v128.load32_splat(colF + 16), c5 = v128.load32_splat(colF + 20);
  const c6 = v128.load32_splat(colF + 24), c7 = v128.load32_splat(colF + 28), c8 = v128.load32_splat(colF + 32);
  const c9 = v128.load32_splat(colF + 36);
  const S = <usize>nc << 2;
  for (let r = firstRow; r < lastRow; r++) {
    const top = scratch + (<usize>((r - firstRow) * nc) << 2);
    const rowO = out + (<usize>(r * nc) << 2);
    let c = firstCol;
    for (; c < simdEnd; c += 4) {
      const p = top + (<usize>c << 2);
      let t1 = f32x4.mul(v128.load(p), c0);
      let t2 = f32x4.mul(v128.load(p + S), c1);
      let t3 = f32x4.mul(v128.load(p + 2 * S), c2);
      t1 = f32x4.add(t1, f32x4.mul(v128.load(p + 3 * S), c3));
      t2 = f32x4.add(t2, f32x4.mul(v128.load(p + 4 * S), c4));
      t3 = f32x4.add(t3, f32x4.mul(v128.load(p + 5 * S), c5));
      t1 = f32x4.add(t1, f32x4.mul(v128.load(p + 6 * S), c6));
      t2 = f32x4.add(t2, f32x4.mul(v128.load(p + 7 * S), c7));
      t3 = f32x4.add(t3, f32x4.mul(v128.load(p + 8 * S), c8));
      t1 = f32x4.add(t1, f32x4.mul(v128.load(p + 9 * S), c9));
      let v = f32x4.add(t1, f32x4.add(t2, t3));
      const o = rowO + (<usize>c << 2);
      if (addTo) v = f32x4.add(v, v128.load(o));
      v128.store(o, v);
    }
    for (; c < lastCol; c += 4) {
      const cc = min(c, lastCol - 4);
      const p = top + (<usize>cc << 2);
      let t = f32x4.add(f32x4.splat(0), f32x4.mul(v128.load(p), c0));
      t = f32x4.add(t, f32x4.mul(v128.load(p + S), c1));
      t = f32x4.add(t, f32x4.mul(v128.load(p + 2 * S), c2));
      t = f32x4.add(t, f32x4.mul(v128.load(p + 3 * S), c3));
      t = f32x4.add(t, f32x4.mul(v128.load(p + 4 * S), c4));
      t = f32x4.add(t, f32x4.mul(v128.load(p + 5 * S), c5));
      t = f32x4.add(t, f32x4.mul(v128.load(p + 6 * S), c6));
      t = f32x4.add(t, f32x4.mul(v128.load(p + 7 * S), c7));
      t = f32x4.add(t, f32x4.mul(v128.load(p + 8 * S), c8));
      t = f32x4.add(t, f32x4.mul(v128.load(p + 9 * S), c9));
      const o = rowO + (<usize>cc << 2);
      const prev = v128.load(o);
      hogStoreFrom(o, addTo ? f32x4.add(prev, t) : t, c - cc, prev);
    }
  }
}

// stores lanes first..3 of v at p (lanes below first keep keep's value; keep = what p holds)
// @ts-ignore: decorator
@inline
function hogStoreFrom(p: usize, v: v128, first: i32, keep: v128): void {
  if (first == 0) {
    v128.store(p, v);
  } else {
    const m = i32x4.gt_s(i32x4(0, 1, 2, 3), i32x4.splat(first - 1)); // lanes >= first
    v128.store(p, v128.bitselect(v, keep, m));
  }
}

// 4x4 transpose of the rows a, b, c, d stored as 4 vectors at q, q + S, q + 2S, q + 3S
// @ts-ignore: decorator
@inline
function hogStoreTransposed(q: usize, S: usize, a: v128, b: v128, c: v128, d: v128): void {
  const t0 = i32x4.shuffle(a, b, 0, 4, 1, 5), t1 = i32x4.shuffle(a, b, 2, 6, 3, 7);
  const t2 = i32x4.shuffle(c, d, 0, 4, 1, 5), t3 = i32x4.shuffle(c, d, 2, 6, 3, 7);
  v128.store(q, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
  v128.store(q + S, i32x4.shuffle(t0, t2, 2, 3, 6, 7));
  v128.store(q + 2 * S, i32x4.shuffle(t1, t3, 0, 1, 4, 5));
  v128.store(q + 3 * S, i32x4.shuffle(t1, t3, 2, 3, 6, 7));
}

// dst[j][i] = src[i][j] for i < rows, j < cols (row strides in floats)
function hogTranspose(src: usize, srcStride: i32, rows: i32, cols: i32, dst: usize, dstStride: i32): void {
  const S = <usize>srcStride << 2, D = <usize>dstStride << 2;
  let i = 0;
  for (; i + 4 <= rows; i += 4) {
    const s0 = src + <usize>i * S;
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const p = s0 + (<usize>j << 2);
      hogStoreTransposed(dst + <usize>j * D + (<usize>i << 2), D, v128.load(p), v128.load(p + S), v128.load(p + 2 * S), v128.load(p + 3 * S));
    }
    for (; j < cols; j++) {
      for (let k = 0; k < 4; k++) store<f32>(dst + <usize>j * D + (<usize>(i + k) << 2), load<f32>(s0 + <usize>k * S + (<usize>j << 2)));
    }
  }
  for (; i < rows; i++) {
    for (let j = 0; j < cols; j++) store<f32>(dst + <usize>j * D + (<usize>i << 2), load<f32>(src + <usize>i * S + (<usize>j << 2)));
  }
}

// the column pass of hogSep10 on transposed data: row j of scratchT (stride nrP floats) is scratch column
// firstCol + j; row j of accT (stride nOutP floats) gets the outputs of rows firstRow.. of that column, 4 rows
// per vector (lanes past nOut are padding). Columns j < simdW use dlib's 3-accumulator order, the others its
// sequential order, exactly as hogSep10Cols.
function hogSep10ColsT(scratchT: usize, nrP: i32, W: i32, nOut: i32, colF: usize, accT: usize, nOutP: i32, simdW: i32, addTo: i32): void {
  const c0 = v128.load32_splat(colF), c1 = v128.load32_splat(colF + 4), c2 = v128.load32_splat(colF + 8);
  const c3 = v128.load32_splat(colF + 12), c4 = v128.load32_splat(colF + 16), c5 = v128.load32_splat(colF + 20);
  const c6 = v128.load32_splat(colF + 24), c7 = v128.load32_splat(colF + 28), c8 = v128.load32_splat(colF + 32);
  const c9 = v128.load32_splat(colF + 36);
  for (let j = 0; j < W; j++) {
    const T = scratchT + (<usize>(j * nrP) << 2);
    const O = accT + (<usize>(j * nOutP) << 2);
    if (j < simdW) {
      for (let i = 0; i < nOut; i += 4) {
        const p = T + (<usize>i << 2);
        const a0 = v128.load(p), a4 = v128.load(p + 16), a8 = v128.load(p + 32);
        let t1 = f32x4.mul(a0, c0);
        let t2 = f32x4.mul(hogShift4(a0, a4), c1);
        let t3 = f32x4.mul(hogShift8(a0, a4), c2);
        t1 = f32x4.add(t1, f32x4.mul(hogShift12(a0, a4), c3));
        t2 = f32x4.add(t2, f32x4.mul(a4, c4));
        t3 = f32x4.add(t3, f32x4.mul(hogShift4(a4, a8), c5));
        t1 = f32x4.add(t1, f32x4.mul(hogShift8(a4, a8), c6));
        t2 = f32x4.add(t2, f32x4.mul(hogShift12(a4, a8), c7));
        t3 = f32x4.add(t3, f32x4.mul(a8, c8));
        t1 = f32x4.add(t1, f32x4.mul(v128.load(p + 36), c9));
        let v = f32x4.add(t1, f32x4.add(t2, t3));
        const o = O + (<usize>i << 2);
        if (addTo) v = f32x4.add(v, v128.load(o));
        v128.store(o, v);
      }
    } else {
      for (let i = 0; i < nOut; i += 4) {
        const p = T + (<usize>i << 2);
        const a0 = v128.load(p), a4 = v128.load(p + 16), a8 = v128.load(p + 32);
        let t = f32x4.add(f32x4.splat(0), f32x4.mul(a0, c0));
        t = f32x4.add(t, f32x4.mul(hogShift4(a0, a4), c1));
        t = f32x4.add(t, f32x4.mul(hogShift8(a0, a4), c2));
        t = f32x4.add(t, f32x4.mul(hogShift12(a0, a4), c3));
        t = f32x4.add(t, f32x4.mul(a4, c4));
        t = f32x4.add(t, f32x4.mul(hogShift4(a4, a8), c5));
        t = f32x4.add(t, f32x4.mul(hogShift8(a4, a8), c6));
        t = f32x4.add(t, f32x4.mul(hogShift12(a4, a8), c7));
        t = f32x4.add(t, f32x4.mul(a8, c8));
        t = f32x4.add(t, f32x4.mul(v128.load(p + 36), c9));
        const o = O + (<usize>i << 2);
        v128.store(o, addTo ? f32x4.add(v128.load(o), t) : t);
      }
    }
  }
}

/**
 * The saliency image of one filter bank with 10x10 filters on one fhog level: the sum, in order, of
 * hog_filter_separable(plane, rowF, colF) over nParts parts (i32 triples at parts: plane index, rowF pointer,
 * colF pointer; the first part assigns, the others add), bit for bit. sal: nr*nc floats, zero outside the
 * valid area. The column passes run on transposed data (scratchT, accT: nc*(ceil4(nr)+4) floats each; scratch:
 * nr*nc floats). Returns 0 (and does nothing) when the plane is too small for this path (fewer than 10 rows or
 * 8 valid columns); use hog_filter_separable then.
 */
export function hog_saliency_sep10(
  feat: usize, nr: i32, nc: i32, parts: usize, nParts: i32, scratch: usize, scratchT: usize, accT: usize, sal: usize,
): i32 {
  const firstRow = 5, firstCol = 5, lastRow = nr - 4, lastCol = nc - 4;
  let simdEnd = firstCol;
  while (simdEnd < lastCol - 7) simdEnd += 8;
  if (nParts < 1 || simdEnd == firstCol || lastRow <= firstRow) return 0;
  const W = lastCol - firstCol, nOut = lastRow - firstRow;
  const nOutP = (nOut + 3) & ~3;
  const nrP = ((nr + 3) & ~3) + 4;
  // padding of the transposed rows: read by the last vectors of the column pass, whose extra lanes are dropped
  for (let j = 0; j < W; j++) memory.fill(scratchT + (<usize>(j * nrP + nr) << 2), 0, <usize>(nrP - nr) << 2);
  const plane = <usize>(nr * nc) << 2;
  for (let k = 0; k < nParts; k++) {
    const e = parts + <usize>k * 12;
    hogSep10Rows(feat + <usize>load<i32>(e) * plane, nr, nc, <usize>load<i32>(e + 4), scratch, firstCol, lastCol, simdEnd);
    hogTranspose(scratch + (<usize>firstCol << 2), nc, nr, W, scratchT, nrP);
    hogSep10ColsT(scratchT, nrP, W, nOut, <usize>load<i32>(e + 8), accT, nOutP, simdEnd - firstCol, k);
  }
  hogZeroBorder(sal, nr, nc, firstCol, firstRow, lastCol - 1, lastRow - 1);
  hogTranspose(accT, nOutP, W, nOut, sal + (<usize>(firstRow * nc + firstCol) << 2), nc);
  return 1;
}

/**
 * Row-major positions r*nc + c (r in top..bottom, c in left..right) of the saliency values >= t (each float
 * compared as a double), written to out (at most maxOut i32); returns how many there are in all.
 */
export function hog_scan_threshold(sal: usize, nc: i32, left: i32, top: i32, right: i32, bottom: i32, t: f64, out: usize, maxOut: i32): i32 {
  let n = 0;
  for (let r = top; r <= bottom; r++) {
    const row = sal + (<usize>(r * nc) << 2);
    for (let c = left; c <= right; c++) {
      if (<f64>load<f32>(row + (<usize>c << 2)) >= t) {
        if (n < maxOut) store<i32>(out + (<usize>n << 2), r * nc + c);
        n++;
      }
    }
  }
  return n;
}

/**
 * dlib float_spatially_filter_image_separable on one float plane (nr x nc): row filter (L taps), column filter
 * (M taps), scratch nr*nc floats, out nr*nc floats (added to when addTo != 0). dlib's 8-wide SIMD columns
 * (c = first_col, +8, ... while c < last_col-7) use its 3-accumulator order, the rest the sequential order.
 */
export function hog_filter_separable(
  inp: usize, nr: i32, nc: i32, rowF: usize, L: i32, colF: usize, M: i32, scratch: usize, out: usize, addTo: i32,
): void {
  const firstRow = M >> 1, firstCol = L >> 1;
  const lastRow = nr - ((M - 1) >> 1), lastCol = nc - ((L - 1) >> 1);
  if (!addTo) hogZeroBorder(out, nr, nc, firstCol, firstRow, lastCol - 1, lastRow - 1);
  let simdEnd = firstCol;
  while (simdEnd < lastCol - 7) simdEnd += 8;
  const nT = L >= 3 ? ((L - 3) / 3 + 1) * 3 : 0;
  const mT = M >= 3 ? ((M - 3) / 3 + 1) * 3 : 0;
  const z = f32x4.splat(0);
  if (L == 10 && M == 10 && simdEnd > firstCol) {
    hogSep10(inp, nr, nc, rowF, colF, scratch, out, addTo, firstCol, firstRow, lastCol, lastRow, simdEnd);
    return;
  }
  // row filter
  for (let r = 0; r < nr; r++) {
    const rowIn = inp + (<usize>(r * nc - firstCol) << 2);
    const rowS = scratch + (<usize>(r * nc) << 2);
    let c = firstCol;
    for (; c < simdEnd; c += 4) {
      const p = rowIn + (<usize>c << 2);
      let t1 = z, t2 = z, t3 = z;
      let n = 0;
      for (; n < nT; n += 3) {
        const q = p + (<usize>n << 2);
        const f = rowF + (<usize>n << 2);
        t1 = f32x4.add(t1, f32x4.mul(v128.load(q), v128.load32_splat(f)));
        t2 = f32x4.add(t2, f32x4.mul(v128.load(q + 4), v128.load32_splat(f + 4)));
        t3 = f32x4.add(t3, f32x4.mul(v128.load(q + 8), v128.load32_splat(f + 8)));
      }
      for (; n < L; n++) t1 = f32x4.add(t1, f32x4.mul(v128.load(p + (<usize>n << 2)), v128.load32_splat(rowF + (<usize>n << 2))));
      v128.store(rowS + (<usize>c << 2), f32x4.add(t1, f32x4.add(t2, t3)));
    }
    for (; c < lastCol; c++) {
      const p = rowIn + (<usize>c << 2);
      let t: f32 = 0;
      for (let n = 0; n < L; n++) t = t + load<f32>(p + (<usize>n << 2)) * load<f32>(rowF + (<usize>n << 2));
      store<f32>(rowS + (<usize>c << 2), t);
    }
  }
  // column filter
  const stride = <usize>nc << 2;
  for (let r = firstRow; r < lastRow; r++) {
    const top = scratch + (<usize>((r - firstRow) * nc) << 2);
    const rowO = out + (<usize>(r * nc) << 2);
    let c = firstCol;
    for (; c < simdEnd; c += 4) {
      const p = top + (<usize>c << 2);
      let t1 = z, t2 = z, t3 = z;
      let m = 0;
      for (; m < mT; m += 3) {
        const q = p + <usize>m * stride;
        const f = colF + (<usize>m << 2);
        t1 = f32x4.add(t1, f32x4.mul(v128.load(q), v128.load32_splat(f)));
        t2 = f32x4.add(t2, f32x4.mul(v128.load(q + stride), v128.load32_splat(f + 4)));
        t3 = f32x4.add(t3, f32x4.mul(v128.load(q + 2 * stride), v128.load32_splat(f + 8)));
      }
      for (; m < M; m++) t1 = f32x4.add(t1, f32x4.mul(v128.load(p + <usize>m * stride), v128.load32_splat(colF + (<usize>m << 2))));
      let v = f32x4.add(t1, f32x4.add(t2, t3));
      const o = rowO + (<usize>c << 2);
      if (addTo) v = f32x4.add(v, v128.load(o));
      v128.store(o, v);
    }
    for (; c < lastCol; c++) {
      const p = top + (<usize>c << 2);
      let t: f32 = 0;
      for (let m = 0; m < M; m++) t = t + load<f32>(p + <usize>m * stride) * load<f32>(colF + (<usize>m << 2));
      const o = rowO + (<usize>c << 2);
      store<f32>(o, addTo ? load<f32>(o) + t : t);
    }
  }
}

/** dlib spatially_filter_image (float image, float fr x fc filter, scale 1, no abs), addTo as above. */
export function hog_filter_full(inp: usize, nr: i32, nc: i32, filt: usize, fr: i32, fc: i32, out: usize, addTo: i32): void {
  const firstRow = fr >> 1, firstCol = fc >> 1;
  const lastRow = nr - ((fr - 1) >> 1), lastCol = nc - ((fc - 1) >> 1);
  if (!addTo) hogZeroBorder(out, nr, nc, firstCol, firstRow, lastCol - 1, lastRow - 1);
  let simdEnd = firstCol;
  while (simdEnd < lastCol - 7) simdEnd += 8;
  const nT = fc >= 3 ? ((fc - 3) / 3 + 1) * 3 : 0;
  const z = f32x4.splat(0);
  for (let r = firstRow; r < lastRow; r++) {
    const rowO = out + (<usize>(r * nc) << 2);
    let c = firstCol;
    for (; c < simdEnd; c += 4) {
      let t1 = z, t2 = z, t3 = z;
      for (let m = 0; m < fr; m++) {
        const p = inp + (<usize>((r - firstRow + m) * nc + c - firstCol) << 2);
        const fb = filt + (<usize>(m * fc) << 2);
        let n = 0;
        for (; n < nT; n += 3) {
          const q = p + (<usize>n << 2);
          const f = fb + (<usize>n << 2);
          t1 = f32x4.add(t1, f32x4.mul(v128.load(q), v128.load32_splat(f)));
          t2 = f32x4.add(t2, f32x4.mul(v128.load(q + 4), v128.load32_splat(f + 4)));
          t3 = f32x4.add(t3, f32x4.mul(v128.load(q + 8), v128.load32_splat(f + 8)));
        }
        for (; n < fc; n++) t1 = f32x4.add(t1, f32x4.mul(v128.load(p + (<usize>n << 2)), v128.load32_splat(fb + (<usize>n << 2))));
      }
      let v = f32x4.add(t1, f32x4.add(t2, t3));
      const o = rowO + (<usize>c << 2);
      if (addTo) v = f32x4.add(v, v128.load(o));
      v128.store(o, v);
    }
    for (; c < lastCol; c++) {
      let t: f32 = 0;
      for (let m = 0; m < fr; m++) {
        const p = inp + (<usize>((r - firstRow + m) * nc + c - firstCol) << 2);
        const fb = filt + (<usize>(m * fc) << 2);
        for (let n = 0; n < fc; n++) t = t + load<f32>(p + (<usize>n << 2)) * load<f32>(fb + (<usize>n << 2));
      }
      const o = rowO + (<usize>c << 2);
      store<f32>(o, addTo ? load<f32>(o) + t : t);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// dlib resize_image(in, out) with bilinear interpolation for rgb (ch = 3) and grey uint8 (ch = 1) images

// one rgb output pixel of dlib's SSE resize loop (the 3 channels in lanes 0..2, each channel computed exactly
// like one of dlib's lanes); writes 4 bytes (the 4th is rewritten by the next pixel, or lands in padding)
// @ts-ignore: decorator
@inline
function hogResizePx(topRow: usize, botRow: usize, po: usize, off: i32, tlf: v128, trf: v128, blf: v128, brf: v128): void {
  const t8 = v128.load64_zero(topRow + <usize>off);
  const b8 = v128.load64_zero(botRow + <usize>off);
  const z = i32x4.splat(0);
  const tl = f32x4.convert_i32x4_s(i8x16.shuffle(t8, z, 0, 16, 16, 16, 1, 16, 16, 16, 2, 16, 16, 16, 16, 16, 16, 16));
  const tr = f32x4.convert_i32x4_s(i8x16.shuffle(t8, z, 3, 16, 16, 16, 4, 16, 16, 16, 5, 16, 16, 16, 16, 16, 16, 16));
  const bl = f32x4.convert_i32x4_s(i8x16.shuffle(b8, z, 0, 16, 16, 16, 1, 16, 16, 16, 2, 16, 16, 16, 16, 16, 16, 16));
  const br = f32x4.convert_i32x4_s(i8x16.shuffle(b8, z, 3, 16, 16, 16, 4, 16, 16, 16, 5, 16, 16, 16, 16, 16, 16, 16));
  const v = f32x4.add(f32x4.add(f32x4.add(f32x4.mul(tlf, tl), f32x4.mul(trf, tr)), f32x4.mul(blf, bl)), f32x4.mul(brf, br));
  const iv = i32x4.trunc_sat_f32x4_s(v);
  const b = i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_s(iv, iv), z);
  v128.store32_lane(po, b, 0);
}

// 4 lanes of the grouped rgb resize: bytes idx of the top/bottom loads at the left (t0, b0) and right (t3, b3)
// neighbours, weights like dlib's SSE lanes, truncated to i32
// @ts-ignore: decorator
@inline
function hogResizeLanes(t0: v128, t3: v128, b0: v128, b3: v128, idx: v128, lr: v128, il: v128, itbv: v128, tbv: v128): v128 {
  const tl = f32x4.convert_i32x4_s(i8x16.swizzle(t0, idx)), tr = f32x4.convert_i32x4_s(i8x16.swizzle(t3, idx));
  const bl = f32x4.convert_i32x4_s(i8x16.swizzle(b0, idx)), br = f32x4.convert_i32x4_s(i8x16.swizzle(b3, idx));
  const TL = f32x4.mul(itbv, il), TR = f32x4.mul(itbv, lr), BL = f32x4.mul(tbv, il), BR = f32x4.mul(tbv, lr);
  const v = f32x4.add(f32x4.add(f32x4.add(f32x4.mul(TL, tl), f32x4.mul(TR, tr)), f32x4.mul(BL, bl)), f32x4.mul(BR, br));
  // v is in [0, 256): truncated, plus 2^23, its low 8 bits are (int)v (cheaper than trunc_sat in V8)
  return v128.and(f32x4.add(f32x4.trunc(v), f32x4.splat(8388608.0)), i32x4.splat(255));
}

/**
 * Same arithmetic as src/image/pyramid.ts resizeImageBilinear (dlib's SSE main loop + scalar tail).
 * tab: scratch of 13*(oW+8) floats (used for rgb). dst must have 4 bytes of slack after the image; src is read
 * up to 20 bytes past the start of the last pixel used on a row (callers keep 32 bytes of slack).
 */
export function hog_resize_bilinear_u8(src: usize, inW: i32, inH: i32, dst: usize, oW: i32, oH: i32, ch: i32, tab: usize): void {
  if (oW <= 0 || oH <= 0 || inW <= 0 || inH <= 0) return;
  const xScale: f64 = <f64>(inW - 1) / <f64>max(oW - 1, 1);
  const yScale: f64 = <f64>(inH - 1) / <f64>max(oH - 1, 1);
  const xs4 = <f32>(4 * xScale);
  // rgb: the SIMD columns' x positions are the same on every row: tabulate byte offset, lr, 1-lr once
  const S = <usize>(oW + 8) << 2;
  let cEnd = 0;
  // grouped rgb path: per 4 output pixels (12 bytes: lanes r0 g0 b0 r1 | g1 b1 r2 g2 | b2 r3 g3 b3) the byte
  // offset of pixel 0's left neighbour, 3 byte-gather index vectors and the lane weights lr, 1-lr
  const G = <usize>(oW + 8) >> 2; // room for groups
  const gOff = tab + 3 * S; // i32 per group
  const gIdx = gOff + (G << 2); // 48 bytes per group
  const gLr = gIdx + G * 48;
  const gIl = gLr + G * 48;
  let grouped = ch == 3;
  if (ch == 3) {
    const x0: f64 = -4 * xScale;
    let l0 = <f32>x0, l1 = <f32>(x0 + xScale), l2 = <f32>(x0 + 2 * xScale), l3 = <f32>(x0 + 3 * xScale);
    for (;; cEnd += 4) {
      l0 += xs4; l1 += xs4; l2 += xs4; l3 += xs4;
      if (<i32>l3 + 1 >= inW) break;
      for (let q = 0; q < 4; q++) {
        const lx: f32 = q == 0 ? l0 : q == 1 ? l1 : q == 2 ? l2 : l3;
        const left = <i32>lx;
        const lr: f32 = lx - <f32>left;
        const o = tab + (<usize>(cEnd + q) << 2);
        store<i32>(o, left * 3);
        store<f32>(o + S, lr);
        store<f32>(o + 2 * S, <f32>1 - lr);
      }
      const g = <usize>(cEnd >> 2);
      const off0 = load<i32>(tab + (<usize>cEnd << 2));
      if (load<i32>(tab + (<usize>(cEnd + 3) << 2)) - off0 > 12) grouped = false;
      store<i32>(gOff + (g << 2), off0);
      for (let k = 0; k < 12; k++) {
        const q = k / 3, c = k % 3;
        const o = tab + (<usize>(cEnd + q) << 2);
        // lane k of the group: channel c of pixel q, bytes (left - left0)*3 + c of the loads at pixel 0
        const lane = gIdx + g * 48 + (<usize>(k >> 2) << 4) + (<usize>(k & 3) << 2);
        store<u8>(lane, <u8>(load<i32>(o) - off0 + c));
        store<u8>(lane + 1, 0x80);
        store<u8>(lane + 2, 0x80);
        store<u8>(lane + 3, 0x80);
        store<f32>(gLr + g * 48 + (<usize>k << 2), load<f32>(o + S));
        store<f32>(gIl + g * 48 + (<usize>k << 2), load<f32>(o + 2 * S));
      }
    }
  }
  let y: f64 = -yScale;
  for (let r = 0; r < oH; r++) {
    y += yScale;
    const top = <i32>Math.floor(y);
    const bottom = min(top + 1, inH - 1);
    const tbFrac: f64 = y - <f64>top;
    const topRow = src + <usize>(top * inW * ch);
    const botRow = src + <usize>(bottom * inW * ch);
    const x0: f64 = -4 * xScale;
    const tbF = <f32>tbFrac, invTbF = <f32>(1 - tbFrac);
    let l0 = <f32>x0, l1 = <f32>(x0 + xScale), l2 = <f32>(x0 + 2 * xScale), l3 = <f32>(x0 + 3 * xScale);
    let c = 0;
    const oRow = dst + <usize>(r * oW * ch);
    if (grouped) {
      const tbv = f32x4.splat(tbF), itbv = f32x4.splat(invTbF);
      for (; c < cEnd; c += 4) {
        const g = <usize>(c >> 2);
        const off = <usize>load<i32>(gOff + (g << 2));
        const t0 = v128.load(topRow + off), t3 = v128.load(topRow + off + 3);
        const b0 = v128.load(botRow + off), b3 = v128.load(botRow + off + 3);
        const gi = gIdx + g * 48, gl = gLr + g * 48, gr = gIl + g * 48;
        const v0 = hogResizeLanes(t0, t3, b0, b3, v128.load(gi), v128.load(gl), v128.load(gr), itbv, tbv);
        const v1 = hogResizeLanes(t0, t3, b0, b3, v128.load(gi + 16), v128.load(gl + 16), v128.load(gr + 16), itbv, tbv);
        const v2 = hogResizeLanes(t0, t3, b0, b3, v128.load(gi + 32), v128.load(gl + 32), v128.load(gr + 32), itbv, tbv);
        const b = i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_s(v0, v1), i16x8.narrow_i32x4_s(v2, v2));
        const po = oRow + <usize>(c * 3);
        v128.store64_lane(po, b, 0);
        v128.store32_lane(po + 8, b, 2);
      }
    } else if (ch == 3) {
      const tbv = f32x4.splat(tbF), itbv = f32x4.splat(invTbF);
      for (; c < cEnd; c += 4) {
        const o = tab + (<usize>c << 2);
        const lr4 = v128.load(o + S), il4 = v128.load(o + 2 * S);
        const TL = f32x4.mul(itbv, il4), TR = f32x4.mul(itbv, lr4), BL = f32x4.mul(tbv, il4), BR = f32x4.mul(tbv, lr4);
        const po = oRow + <usize>(c * 3);
        hogResizePx(topRow, botRow, po, load<i32>(o),
          i32x4.shuffle(TL, TL, 0, 0, 0, 0), i32x4.shuffle(TR, TR, 0, 0, 0, 0), i32x4.shuffle(BL, BL, 0, 0, 0, 0), i32x4.shuffle(BR, BR, 0, 0, 0, 0));
        hogResizePx(topRow, botRow, po + 3, load<i32>(o + 4),
          i32x4.shuffle(TL, TL, 1, 1, 1, 1), i32x4.shuffle(TR, TR, 1, 1, 1, 1), i32x4.shuffle(BL, BL, 1, 1, 1, 1), i32x4.shuffle(BR, BR, 1, 1, 1, 1));
        hogResizePx(topRow, botRow, po + 6, load<i32>(o + 8),
          i32x4.shuffle(TL, TL, 2, 2, 2, 2), i32x4.shuffle(TR, TR, 2, 2, 2, 2), i32x4.shuffle(BL, BL, 2, 2, 2, 2), i32x4.shuffle(BR, BR, 2, 2, 2, 2));
        hogResizePx(topRow, botRow, po + 9, load<i32>(o + 12),
          i32x4.shuffle(TL, TL, 3, 3, 3, 3), i32x4.shuffle(TR, TR, 3, 3, 3, 3), i32x4.shuffle(BL, BL, 3, 3, 3, 3), i32x4.shuffle(BR, BR, 3, 3, 3, 3));
      }
    }
    if (ch == 1) for (;; c += 4) {
      l0 += xs4; l1 += xs4; l2 += xs4; l3 += xs4;
      if (<i32>l3 + 1 >= inW) break;
      for (let q = 0; q < 4; q++) {
        const lx: f32 = q == 0 ? l0 : q == 1 ? l1 : q == 2 ? l2 : l3;
        const left = <i32>lx;
        const lr: f32 = lx - <f32>left;
        const invLr: f32 = <f32>1 - lr;
        const tlf: f32 = invTbF * invLr, trf: f32 = invTbF * lr, blf: f32 = tbF * invLr, brf: f32 = tbF * lr;
        const pt = topRow + <usize>left, pb = botRow + <usize>left;
        const v: f32 = tlf * <f32>load<u8>(pt) + trf * <f32>load<u8>(pt + 1) + blf * <f32>load<u8>(pb) + brf * <f32>load<u8>(pb + 1);
        store<u8>(oRow + <usize>(c + q), <u8>(<i32>(<f64>v + 0.5)));
      }
    }
    let x: f64 = -xScale + <f64>c * xScale;
    for (; c < oW; c++) {
      x += xScale;
      const left = <i32>Math.floor(x);
      const right = min(left + 1, inW - 1);
      const pTl = topRow + <usize>(left * ch), pTr = topRow + <usize>(right * ch);
      const pBl = botRow + <usize>(left * ch), pBr = botRow + <usize>(right * ch);
      const po = oRow + <usize>(c * ch);
      if (ch == 3) {
        const lr: f64 = x - <f64>left;
        for (let k = 0; k < 3; k++) {
          const v: f64 = (1 - tbFrac) * ((1 - lr) * <f64>load<u8>(pTl + k) + lr * <f64>load<u8>(pTr + k)) +
            tbFrac * ((1 - lr) * <f64>load<u8>(pBl + k) + lr * <f64>load<u8>(pBr + k));
          store<u8>(po + k, <u8>(<i32>v));
        }
      } else {
        const lr = <f32>(x - <f64>left);
        const invLr: f32 = <f32>1 - lr;
        const a: f32 = invLr * <f32>load<u8>(pTl) + lr * <f32>load<u8>(pTr);
        const b: f32 = invLr * <f32>load<u8>(pBl) + lr * <f32>load<u8>(pBr);
        const v = <f32>((1 - tbFrac) * <f64>a + tbFrac * <f64>b);
        store<u8>(po, v <= 0 ? 0 : v >= 255 ? 255 : <u8>(<i32>v));
      }
    }
  }
}
