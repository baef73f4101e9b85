/**
 * dlib::rand (dlib/rand/rand_kernel_1.h, dlib 19.24) reproduced bit for bit: an MT19937 generator
 * (std::mt19937-compatible) that discards 10,000 words after every seeding, with dlib's derived draws
 * (doubles from 48 bits, floats from 24 bits, polar Box–Muller Gaussians with a one-value cache,
 * rejection-sampled integer ranges). Every value equals what dlib 19.24 built with g++ (no FMA
 * contraction) returns for the same seed and call sequence.
 */

const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;
const DEFAULT_SEED = 5489;
const DISCARD = 10000;

/** dlib's divisor of get_random_double: 0xFFFFFF·2^24 + 0xFFFFFF + 0.05, evaluated in doubles. */
const MAX_VAL = (() => {
  let v = 0xffffff;
  v *= 0x1000000;
  v += 0xffffff;
  v += 0.05;
  return v;
})();
const ONE_MINUS_DBL_EPS = 1 - 2 ** -52;
const ONE_MINUS_FLT_EPS = Math.fround(1 - 2 ** -23);
const FLT_SCALE = Math.fround(1 / 0x1000000);
const U32_MAX = 4294967295;
const U64_MAX = (1n << 64n) - 1n;

// ---- correctly rounded natural logarithm (glibc's log, used by dlib's Gaussians, is correctly rounded
// on every value the goldens pin; V8's Math.log is not: it is off by one ulp on some of them) ----

function twoSum(a: number, b: number): [number, number] {
  const s = a + b;
  const bb = s - a;
  return [s, a - (s - bb) + (b - bb)];
}
const SPLITTER = 134217729; // 2^27 + 1
function twoProd(a: number, b: number): [number, number] {
  const p = a * b;
  let t = SPLITTER * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b);
  const bl = b - bh;
  return [p, ah * bh - p + ah * bl + al * bh + al * bl];
}
function ddAdd(ah: number, al: number, bh: number, bl: number): [number, number] {
  const [s, e] = twoSum(ah, bh);
  const [t, f] = twoSum(al, bl);
  let [h, l] = twoSum(s, e + t);
  [h, l] = twoSum(h, l + f);
  return [h, l];
}
function ddMul(ah: number, al: number, bh: number, bl: number): [number, number] {
  const [p, e] = twoProd(ah, bh);
  return twoSum(p, e + (ah * bl + al * bh));
}
function ddDiv(ah: number, al: number, bh: number, bl: number): [number, number] {
  const q1 = ah / bh;
  let [rh, rl] = ddMul(q1, 0, bh, bl);
  [rh, rl] = ddAdd(ah, al, -rh, -rl);
  const q2 = rh / bh;
  [rh, rl] = ddAdd(rh, rl, ...(ddMul(q2, 0, bh, bl).map((v) => -v) as [number, number]));
  const q3 = rh / bh;
  const [h, l] = twoSum(q1, q2);
  return ddAdd(h, l, q3, 0);
}
const LN2_HI = 0.6931471805599453;
const LN2_LO = 2.3190468138462996e-17;
const SERIES_TERMS = 24;
const INV_ODD: [number, number][] = Array.from({ length: SERIES_TERMS + 1 }, (_, i) => {
  const d = 2 * i + 1;
  const q = 1 / d;
  const [p, e] = twoProd(q, d);
  return twoSum(q, (1 - p - e) / d);
});
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/**
 * ln(x) rounded correctly to the nearest double (double-double evaluation of 2·atanh((m−1)/(m+1)) + k·ln 2,
 * about 100 bits). Used where dlib calls std::log so that results equal glibc's bit for bit.
 */
export function crLog(x: number): number {
  if (!(x > 0) || x === Infinity) return Math.log(x);
  let k = 0;
  if (x < 2 ** -1000) {
    x *= 2 ** 64;
    k = -64;
  }
  f64[0] = x;
  const hiWord = u32[1]!;
  k += ((hiWord >>> 20) & 0x7ff) - 1023;
  u32[1] = (hiWord & 0x800fffff) | 0x3ff00000; // mantissa in [1, 2)
  let m = f64[0]!;
  if (m > Math.SQRT2) {
    m /= 2;
    k += 1;
  }
  if (m === 1) return k === 0 ? 0 : ddAdd(...twoProd(k, LN2_HI), k * LN2_LO, 0).reduce((a, b) => a + b);
  const num = m - 1; // exact (Sterbenz)
  const [dh, dl] = twoSum(m, 1);
  const [sh, sl] = ddDiv(num, 0, dh, dl);
  const [s2h, s2l] = ddMul(sh, sl, sh, sl);
  let [th, tl] = INV_ODD[SERIES_TERMS]!;
  for (let i = SERIES_TERMS - 1; i >= 0; --i) {
    [th, tl] = ddMul(th, tl, s2h, s2l);
    [th, tl] = ddAdd(th, tl, INV_ODD[i]![0], INV_ODD[i]![1]);
  }
  let [lh, ll] = ddMul(th, tl, 2 * sh, 2 * sl);
  if (k !== 0) {
    const [kh, kl] = twoProd(k, LN2_HI);
    const [ah, al] = ddAdd(kh, kl, k * LN2_LO, 0);
    [lh, ll] = ddAdd(ah, al, lh, ll);
  }
  return lh + ll;
}

/** dlib's string-seed hash: h = h·37 + (signed char) byte over the UTF-8 bytes, uint32 wrap-around. */
export function dlibSeedHash(seed: string): number {
  const bytes = new TextEncoder().encode(seed);
  let s = 0;
  for (const b of bytes) {
    const signed = b >= 0x80 ? b - 256 : b;
    s = (Math.imul(s, 37) + signed) >>> 0;
  }
  return s;
}

/**
 * dlib::rand. `new DlibRand()` = dlib's default construction (seed 5489, 10,000 words discarded);
 * `new DlibRand("abc")` = `dlib::rand("abc")`; `new DlibRand(12345)` = `dlib::rand(12345)` (dlib turns the
 * integer into its decimal string and calls set_seed). `wordsDrawn` counts the 32-bit words drawn since the
 * last seeding (the 10,000 discarded words are not counted).
 */
export class DlibRand {
  private readonly mt = new Uint32Array(N);
  private mti = N;
  private seed = "";
  private hasGaussian = false;
  private nextGaussian = 0;
  /** 32-bit Mersenne Twister words consumed since the last (re)seeding. */
  wordsDrawn = 0;

  constructor(seed?: string | number) {
    if (seed === undefined) this.setSeed("");
    else this.setSeed(typeof seed === "number" ? String(seed) : seed);
  }

  /** The seed string last given to setSeed ("" for the default seed). */
  getSeed(): string {
    return this.seed;
  }

  /**
   * dlib `set_seed(value)`: "" restores the default seed 5489; otherwise the seed is dlibSeedHash(value).
   * Then 10,000 words are discarded, the Gaussian cache is cleared and wordsDrawn is reset to 0.
   */
  setSeed(value: string): void {
    this.seed = value;
    this.seedMt(value.length === 0 ? DEFAULT_SEED : dlibSeedHash(value));
    for (let i = 0; i < DISCARD; ++i) this.nextWord();
    this.hasGaussian = false;
    this.nextGaussian = 0;
    this.wordsDrawn = 0;
  }

  /** dlib `clear()`: same as setSeed(""). */
  clear(): void {
    this.setSeed("");
  }

  private seedMt(s: number): void {
    const mt = this.mt;
    mt[0] = s >>> 0;
    for (let i = 1; i < N; ++i) {
      const prev = mt[i - 1]!;
      mt[i] = (Math.imul(1812433253, prev ^ (prev >>> 30)) + i) >>> 0;
    }
    this.mti = N;
  }

  private twist(): void {
    const mt = this.mt;
    let kk = 0;
    for (; kk < N - M; ++kk) {
      const y = (mt[kk]! & UPPER_MASK) | (mt[kk + 1]! & LOWER_MASK);
      mt[kk] = mt[kk + M]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    for (; kk < N - 1; ++kk) {
      const y = (mt[kk]! & UPPER_MASK) | (mt[kk + 1]! & LOWER_MASK);
      mt[kk] = mt[kk + (M - N)]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    const y = (mt[N - 1]! & UPPER_MASK) | (mt[0]! & LOWER_MASK);
    mt[N - 1] = mt[M - 1]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    this.mti = 0;
  }

  private nextWord(): number {
    if (this.mti >= N) this.twist();
    let y = this.mt[this.mti++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** One MT19937 word, an integer in [0, 2^32). */
  getRandom32bitNumber(): number {
    this.wordsDrawn++;
    return this.nextWord();
  }

  /** Low 8 bits of one word, in [0, 255]. */
  getRandom8bitNumber(): number {
    return this.getRandom32bitNumber() & 0xff;
  }

  /** Low 16 bits of one word, in [0, 65535]. */
  getRandom16bitNumber(): number {
    return this.getRandom32bitNumber() & 0xffff;
  }

  /** (first word << 32) | second word, as a bigint in [0, 2^64). */
  getRandom64bitNumber(): bigint {
    const a = this.getRandom32bitNumber();
    const b = this.getRandom32bitNumber();
    return (BigInt(a) << 32n) | BigInt(b);
  }

  /**
   * `get_random_64bit_number() % n` for 1 <= n < 2^21, without bigints (two words drawn, as dlib does). The
   * result is exact: (hi·2^32 + lo) mod n computed from residues that stay below 2^53.
   */
  getRandom64bitNumberMod(n: number): number {
    if (!(Number.isInteger(n) && n >= 1 && n < 2 ** 21)) {
      return Number(this.getRandom64bitNumber() % BigInt(n));
    }
    const hi = this.getRandom32bitNumber();
    const lo = this.getRandom32bitNumber();
    const p32 = 4294967296 % n;
    return (((hi % n) * p32) % n + (lo % n)) % n;
  }

  /** dlib `get_random_double()`: 48 random bits / (2^48 − 1 + 0.05), in [0, 1). Two words. */
  getRandomDouble(): number {
    let val = (this.getRandom32bitNumber() & 0xffffff) * 0x1000000;
    val += this.getRandom32bitNumber() & 0xffffff;
    val /= MAX_VAL;
    return val < 1 ? val : ONE_MINUS_DBL_EPS;
  }

  /** dlib `get_random_float()`: float32(w & 0xFFFFFF)·2^-24, in [0, 1). One word; returns a float32 value. */
  getRandomFloat(): number {
    const val = Math.fround((this.getRandom32bitNumber() & 0xffffff) * FLT_SCALE);
    return val < 1 ? val : ONE_MINUS_FLT_EPS;
  }

  /** dlib `get_random_complex_gaussian()`: one polar Box–Muller pair [re, im] (draws 2 words per attempt). */
  getRandomComplexGaussian(): [number, number] {
    let x1: number;
    let x2: number;
    let w: number;
    do {
      const r1 = this.getRandom32bitNumber() / U32_MAX;
      const r2 = this.getRandom32bitNumber() / U32_MAX;
      x1 = 2.0 * r1 - 1.0;
      x2 = 2.0 * r2 - 1.0;
      w = x1 * x1 + x2 * x2;
    } while (w >= 1.0);
    w = Math.sqrt((-2.0 * crLog(w)) / w);
    return [x1 * w, x2 * w];
  }

  /** dlib `get_random_gaussian()`: N(0,1); every second call returns the cached second value of the pair. */
  getRandomGaussian(): number {
    if (this.hasGaussian) {
      this.hasGaussian = false;
      return this.nextGaussian;
    }
    const [re, im] = this.getRandomComplexGaussian();
    this.nextGaussian = im;
    this.hasGaussian = true;
    return re;
  }

  /** dlib `get_double_in_range(begin, end)` = begin + get_random_double()·(end − begin) (no fused multiply-add). */
  getDoubleInRange(begin: number, end: number): number {
    if (!(begin <= end)) throw new RangeError(`getDoubleInRange: begin ${begin} > end ${end}`);
    return begin + this.getRandomDouble() * (end - begin);
  }

  /**
   * dlib `get_integer_in_range(begin, end)`: an integer in [begin, end) (begin when begin == end), from 64-bit
   * draws rejected while r >= floor((2^64−1)/range)·range, then begin + r mod range. Accepts safe integers
   * (returns a number) or bigints in the int64 range (returns a bigint).
   */
  getIntegerInRange(begin: number, end: number): number;
  getIntegerInRange(begin: bigint, end: bigint): bigint;
  getIntegerInRange(begin: number | bigint, end: number | bigint): number | bigint {
    const asBig = typeof begin === "bigint";
    const b = BigInt(begin);
    const e = BigInt(end);
    if (b > e) throw new RangeError(`getIntegerInRange: begin ${b} > end ${e}`);
    if (b === e) return begin;
    const range = BigInt.asUintN(64, e - b);
    const bound = (U64_MAX / range) * range;
    let r = this.getRandom64bitNumber();
    while (r >= bound) r = this.getRandom64bitNumber();
    const out = BigInt.asIntN(64, b + (r % range));
    return asBig ? out : Number(out);
  }

  /** dlib `get_integer(end)` = getIntegerInRange(0, end). */
  getInteger(end: number): number {
    return this.getIntegerInRange(0, end);
  }
}
