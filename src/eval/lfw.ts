/**
 * LFW face verification protocol (Labeled Faces in the Wild, `pairs.txt`) and the numbers dlib's LFW test tool
 * prints (`dlib_face_recognition_resnet_model_v1_lfw_test`), as pure functions of the pair distances:
 * accuracy at a distance threshold (same pairs right when distance < threshold, different pairs when distance >
 * threshold), per-fold accuracy, mean and
 * sample standard deviation over folds (dlib's running_stats), the equal-error-rate threshold (dlib's
 * equal_error_rate) and its accuracy; plus ROC AUC, TAR at FAR 1e-3 and the share of pairs near the threshold.
 */

/** One image of the LFW layout: `name/name_000i.jpg`. */
export interface LfwImageRef {
  name: string;
  /** 1-based image number */
  index: number;
}

export interface LfwPair {
  /** 0-based fold */
  fold: number;
  /** true for the matched pairs (`name i j`), false for the mismatched ones (`name1 i name2 j`) */
  same: boolean;
  a: LfwImageRef;
  b: LfwImageRef;
}

export interface LfwPairs {
  folds: number;
  pairsPerFold: number;
  pairs: LfwPair[];
}

export class LfwFormatError extends Error {
  override name = "LfwFormatError";
}

/**
 * Parse LFW's `pairs.txt`: a first line `folds pairsPerFold` (or a single count N = one fold, as pairsDevTest.txt),
 * then per fold `pairsPerFold` matched lines `name i j` followed by `pairsPerFold` mismatched lines
 * `name1 i name2 j` (whitespace-separated, image numbers 1-based). Throws LfwFormatError (with the line number) on
 * any other content or a wrong count.
 */
export function parseLfwPairs(text: string): LfwPairs {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  if (lines.length === 0) throw new LfwFormatError("pairs file is empty");
  const head = lines[0].split(/\s+/).map(Number);
  if (head.length < 1 || head.length > 2 || head.some((x) => !Number.isInteger(x) || x <= 0)) {
    throw new LfwFormatError(`line 1: expected 'folds pairs-per-fold', got '${lines[0]}'`);
  }
  const [folds, perFold] = head.length === 2 ? head : [1, head[0]];
  const expected = folds * perFold * 2;
  if (lines.length - 1 !== expected) throw new LfwFormatError(`expected ${folds} folds x ${perFold} x 2 = ${expected} pair lines, found ${lines.length - 1}`);
  const pairs: LfwPair[] = [];
  const idx = (s: string, ln: number) => {
    const v = Number(s);
    if (!Number.isInteger(v) || v <= 0) throw new LfwFormatError(`line ${ln}: bad image number '${s}'`);
    return v;
  };
  for (let i = 0; i < expected; i++) {
    const ln = i + 2;
    const fold = Math.floor(i / (2 * perFold));
    const same = i % (2 * perFold) < perFold;
    const t = lines[i + 1].split(/\s+/);
    if (same) {
      if (t.length !== 3) throw new LfwFormatError(`line ${ln}: expected a matched pair 'name i j', got '${lines[i + 1]}'`);
      pairs.push({ fold, same, a: { name: t[0], index: idx(t[1], ln) }, b: { name: t[0], index: idx(t[2], ln) } });
    } else {
      if (t.length !== 4) throw new LfwFormatError(`line ${ln}: expected a mismatched pair 'name1 i name2 j', got '${lines[i + 1]}'`);
      pairs.push({ fold, same, a: { name: t[0], index: idx(t[1], ln) }, b: { name: t[2], index: idx(t[3], ln) } });
    }
  }
  return { folds, pairsPerFold: perFold, pairs };
}

/** `name/name_000i` (no extension): the LFW file stem of an image. */
export function lfwImageStem(r: LfwImageRef): string {
  return `${r.name}/${r.name}_${String(r.index).padStart(4, "0")}`;
}

/** dlib's running_stats<double>: mean = sum/n, variance = (1/(n−1))·(Σx² − (Σx)²/n) (clamped at 0). */
export class RunningStats {
  n = 0;
  sum = 0;
  sumSqr = 0;
  add(x: number): void {
    this.sum += x;
    this.sumSqr += x * x;
    this.n++;
  }
  mean(): number {
    return this.n !== 0 ? this.sum / this.n : 0;
  }
  /** Sample variance; NaN with fewer than 2 values (dlib asserts). */
  variance(): number {
    if (this.n < 2) return NaN;
    let t = 1 / (this.n - 1);
    t = t * (this.sumSqr - (this.sum * this.sum) / this.n);
    return t >= 0 ? t : 0;
  }
  stddev(): number {
    return Math.sqrt(this.variance());
  }
}

export interface ScoredPair {
  fold: number;
  same: boolean;
  distance: number;
}

/**
 * Accuracy at `threshold` as dlib's LFW tool counts it: a same pair is right when distance < threshold, a different
 * pair when distance > threshold (a distance exactly at the threshold is wrong either way). Means of 0/1 values.
 */
export function accuracyAt(pairs: readonly ScoredPair[], threshold: number): { accuracy: number; pos: number; neg: number } {
  const all = new RunningStats(), pos = new RunningStats(), neg = new RunningStats();
  for (const p of pairs) {
    const ok = p.same ? p.distance < threshold : p.distance > threshold;
    all.add(ok ? 1 : 0);
    (p.same ? pos : neg).add(ok ? 1 : 0);
  }
  return { accuracy: all.mean(), pos: pos.mean(), neg: neg.mean() };
}

/** Accuracy at `threshold` of each fold 0..folds−1 (a fold without pairs gives 0). */
export function foldAccuracies(pairs: readonly ScoredPair[], threshold: number, folds: number): number[] {
  return Array.from({ length: folds }, (_, f) => accuracyAt(pairs.filter((p) => p.fold === f), threshold).accuracy);
}

export interface RocPoint {
  truePositiveRate: number;
  falsePositiveRate: number;
  threshold: number;
}

/**
 * dlib's compute_roc_curve(true_detections, false_detections): scores sorted in decreasing order (ties: the false
 * ones first), one point per score with the rates of everything at or above it. Requires both lists non-empty.
 */
export function computeRocCurve(trueScores: readonly number[], falseScores: readonly number[]): RocPoint[] {
  if (!trueScores.length || !falseScores.length) throw new RangeError("compute_roc_curve needs true and false scores");
  const t: [number, number][] = [];
  for (const s of trueScores) t.push([s, -1]);
  for (const s of falseScores) t.push([s, +1]);
  // std::sort(rbegin, rend) of (score, label) pairs: decreasing score, for equal scores decreasing label (+1 first)
  t.sort((x, y) => (y[0] - x[0]) || (y[1] - x[1]));
  let nt = 0, nf = 0;
  return t.map(([s, l]) => {
    if (l === -1) nt++;
    else nf++;
    return { truePositiveRate: nt / trueScores.length, falsePositiveRate: nf / falseScores.length, threshold: s };
  });
}

/**
 * dlib's equal_error_rate(low_vals, high_vals): the threshold T (one of the values) where the share of low values
 * >= T is closest to the share of high values < T; returns the larger of the two error rates there and T.
 * For LFW distances: low = same pairs, high = different pairs.
 */
export function equalErrorRate(lowVals: readonly number[], highVals: readonly number[]): { error: number; threshold: number } {
  if (!lowVals.length && !highVals.length) return { error: 0, threshold: 0 };
  if (!lowVals.length) return { error: 0, threshold: Math.min(...highVals) };
  if (!highVals.length) return { error: 0, threshold: Math.max(...lowVals) + 1 };
  let bestThresh = 0, bestError = 0, bestDelta = Infinity;
  for (const pt of computeRocCurve(highVals, lowVals)) {
    const fnr = 1 - pt.truePositiveRate;
    const delta = Math.abs(fnr - pt.falsePositiveRate);
    if (delta < bestDelta) {
      bestDelta = delta;
      bestError = Math.max(fnr, pt.falsePositiveRate);
      bestThresh = pt.threshold;
    }
  }
  return { error: bestError, threshold: bestThresh };
}

/**
 * Area under the ROC curve of "distance < t means same": the probability that a random different pair is farther
 * apart than a random same pair, ties counting 1/2 (Mann–Whitney). NaN if either class is empty.
 */
export function rocAuc(sameDistances: readonly number[], diffDistances: readonly number[]): number {
  const n1 = sameDistances.length, n0 = diffDistances.length;
  if (!n1 || !n0) return NaN;
  const all = [...sameDistances.map((d) => [d, 1] as const), ...diffDistances.map((d) => [d, 0] as const)].sort((a, b) => a[0] - b[0]);
  // rank sum of the different pairs (average ranks for ties)
  let rankSumDiff = 0;
  for (let i = 0; i < all.length;) {
    let j = i;
    while (j < all.length && all[j][0] === all[i][0]) j++;
    const avgRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (all[k][1] === 0) rankSumDiff += avgRank;
    i = j;
  }
  return (rankSumDiff - (n0 * (n0 + 1)) / 2) / (n0 * n1);
}

/**
 * True accept rate at a false accept rate of at most `far`: with the different-pair distances sorted, k =
 * floor(far·n_diff) false accepts are allowed, the threshold t is the (k+1)-th smallest different-pair distance (or
 * +∞ when k >= n_diff), and TAR = share of same pairs with distance < t. Returns {tar, threshold}.
 */
export function tarAtFar(sameDistances: readonly number[], diffDistances: readonly number[], far = 1e-3): { tar: number; threshold: number } {
  if (!sameDistances.length) return { tar: NaN, threshold: NaN };
  const neg = [...diffDistances].sort((a, b) => a - b);
  const k = Math.floor(far * neg.length + 1e-9);
  const threshold = k >= neg.length ? Infinity : neg[k];
  let acc = 0;
  for (const d of sameDistances) if (d < threshold) acc++;
  return { tar: acc / sameDistances.length, threshold };
}

/** Share of pairs whose distance lies within ±margin of the threshold (|d − threshold| <= margin). */
export function marginShare(pairs: readonly ScoredPair[], threshold: number, margin: number): number {
  if (!pairs.length) return 0;
  let n = 0;
  for (const p of pairs) if (Math.abs(p.distance - threshold) <= margin) n++;
  return n / pairs.length;
}

export interface LfwSummary {
  threshold: number;
  margin: number;
  marginShare: number;
  accuracy: number;
  posAccuracy: number;
  negAccuracy: number;
  foldAccuracies: number[];
  mean: number;
  stddev: number;
  eerThreshold: number;
  eerAccuracy: number;
  auc: number;
  tarAtFar1e3: number;
}

/**
 * Every number of the LFW report from the scored pairs: accuracy at `threshold` (overall, same, different), per-fold
 * accuracy, their mean and sample stddev (running_stats), EER threshold and accuracy (1 − EER, dlib's
 * equal_error_rate with same-pair distances as the low values), ROC AUC, TAR at FAR 1e-3, margin share.
 */
export function summarizeLfw(pairs: readonly ScoredPair[], opts: { threshold?: number; margin?: number; folds?: number } = {}): LfwSummary {
  const threshold = opts.threshold ?? 0.6, margin = opts.margin ?? 0.04;
  const folds = opts.folds ?? (pairs.length ? Math.max(...pairs.map((p) => p.fold)) + 1 : 0);
  const a = accuracyAt(pairs, threshold);
  const fa = foldAccuracies(pairs, threshold, folds);
  const rscv = new RunningStats();
  for (const x of fa) rscv.add(x);
  const same = pairs.filter((p) => p.same).map((p) => p.distance);
  const diff = pairs.filter((p) => !p.same).map((p) => p.distance);
  const eer = equalErrorRate(same, diff);
  return {
    threshold, margin, marginShare: marginShare(pairs, threshold, margin),
    accuracy: a.accuracy, posAccuracy: a.pos, negAccuracy: a.neg,
    foldAccuracies: fa, mean: rscv.mean(), stddev: rscv.stddev(),
    eerThreshold: eer.threshold, eerAccuracy: 1 - eer.error,
    auc: rocAuc(same, diff), tarAtFar1e3: tarAtFar(same, diff, 1e-3).tar,
  };
}

/** ROC points (false accept rate, true accept rate) for "distance < t" over all distinct thresholds, from (0,0) to (1,1). */
export function rocPoints(sameDistances: readonly number[], diffDistances: readonly number[]): { far: number; tar: number; threshold: number }[] {
  const all = [...sameDistances.map((d) => [d, 1] as const), ...diffDistances.map((d) => [d, 0] as const)].sort((a, b) => a[0] - b[0]);
  const out = [{ far: 0, tar: 0, threshold: all.length ? all[0][0] : 0 }];
  let s = 0, f = 0;
  for (let i = 0; i < all.length;) {
    let j = i;
    while (j < all.length && all[j][0] === all[i][0]) {
      if (all[j][1]) s++;
      else f++;
      j++;
    }
    const next = j < all.length ? all[j][0] : Infinity;
    out.push({ far: diffDistances.length ? f / diffDistances.length : 0, tar: sameDistances.length ? s / sameDistances.length : 0, threshold: next });
    i = j;
  }
  return out;
}
