/**
 * The LFW evaluation as one self-contained HTML page (no scripts, no external files): the summary numbers, the ROC
 * curve as inline SVG (linear and log false-accept axes) and the aligned chips of the worst false matches and false
 * non-matches.
 */
import { imageDataUrl } from "../cli/report.js";
import type { RgbImage } from "../image/types.js";
import { rocPoints, type LfwSummary } from "./lfw.js";
import { formatG6 } from "../face/gender.js";

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export interface ReportPair {
  fold: number;
  same: boolean;
  a: string;
  b: string;
  distance: number;
  chipA?: RgbImage;
  chipB?: RgbImage;
}

/** Inline SVG of the ROC curve (TAR against FAR), linear axes or log10 FAR axis from 1e-4. */
export function rocSvg(same: readonly number[], diff: readonly number[], opts: { log?: boolean; width?: number; height?: number; mark?: { far: number; tar: number; label: string }[] } = {}): string {
  const W = opts.width ?? 420, H = opts.height ?? 320, L = 50, R = 15, T = 15, B = 40;
  const pw = W - L - R, ph = H - T - B;
  const minLog = -4;
  const fx = (far: number) => {
    if (!opts.log) return L + far * pw;
    const v = Math.max(minLog, Math.log10(Math.max(far, 10 ** minLog)));
    return L + ((v - minLog) / -minLog) * pw;
  };
  const fy = (tar: number) => T + (1 - tar) * ph;
  const pts = rocPoints(same, diff);
  let d = "";
  let prev: { far: number; tar: number } | null = null;
  for (const p of pts) {
    // staircase: horizontal then vertical
    if (prev) d += ` L${fx(p.far).toFixed(2)},${fy(prev.tar).toFixed(2)} L${fx(p.far).toFixed(2)},${fy(p.tar).toFixed(2)}`;
    else d += `M${fx(p.far).toFixed(2)},${fy(p.tar).toFixed(2)}`;
    prev = p;
  }
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`);
  parts.push(`<rect x="${L}" y="${T}" width="${pw}" height="${ph}" fill="#fff" stroke="#888"/>`);
  const xt = opts.log ? [-4, -3, -2, -1, 0].map((e) => ({ v: 10 ** e, s: e === 0 ? "1" : `1e${e}` })) : [0, 0.2, 0.4, 0.6, 0.8, 1].map((v) => ({ v, s: String(v) }));
  for (const t of xt) {
    const x = fx(t.v);
    parts.push(`<line x1="${x}" y1="${T}" x2="${x}" y2="${T + ph}" stroke="#eee"/><text x="${x}" y="${T + ph + 14}" text-anchor="middle">${t.s}</text>`);
  }
  for (const v of [0, 0.2, 0.4, 0.6, 0.8, 1]) {
    const y = fy(v);
    parts.push(`<line x1="${L}" y1="${y}" x2="${L + pw}" y2="${y}" stroke="#eee"/><text x="${L - 5}" y="${y + 4}" text-anchor="end">${v}</text>`);
  }
  parts.push(`<path d="${d}" fill="none" stroke="#1565c0" stroke-width="2"/>`);
  (opts.mark ?? []).forEach((m, i) => {
    const color = i === 0 ? "#c62828" : "#2e7d32";
    // labels stacked below the point (marks often coincide)
    parts.push(`<circle cx="${fx(m.far).toFixed(2)}" cy="${fy(m.tar).toFixed(2)}" r="4" fill="${color}"/><text x="${(fx(m.far) + 6).toFixed(2)}" y="${(fy(m.tar) + 14 + 13 * i).toFixed(2)}" fill="${color}">${esc(m.label)}</text>`);
  });
  parts.push(`<text x="${L + pw / 2}" y="${H - 6}" text-anchor="middle">false accept rate${opts.log ? " (log)" : ""}</text>`);
  parts.push(`<text x="12" y="${T + ph / 2}" text-anchor="middle" transform="rotate(-90 12 ${T + ph / 2})">true accept rate</text>`);
  parts.push(`</svg>`);
  return parts.join("");
}

/** The report page. `worst` lists the pairs to show with their chips (false matches and false non-matches). */
export function lfwReportHtml(
  s: LfwSummary,
  pairs: readonly ReportPair[],
  worst: { falseMatches: ReportPair[]; falseNonMatches: ReportPair[] },
  meta: { model: string; landmarks: string; images: number; noFace: number; jitter: number; pairsFile: string },
): string {
  const same = pairs.filter((p) => p.same).map((p) => p.distance);
  const diff = pairs.filter((p) => !p.same).map((p) => p.distance);
  const at = (t: number) => ({ far: diff.length ? diff.filter((d) => d < t).length / diff.length : 0, tar: same.length ? same.filter((d) => d < t).length / same.length : 0 });
  const marks = [{ ...at(s.threshold), label: `t=${s.threshold}` }, { ...at(s.eerThreshold), label: `EER t=${formatG6(s.eerThreshold)}` }];
  const row = (k: string, v: string) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`;
  const chip = (img: RgbImage | undefined, title: string) => (img ? `<img src="${imageDataUrl(img)}" title="${esc(title)}" width="120" height="120">` : `<span class="nochip">no chip</span>`);
  const wrong = (p: ReportPair) => (p.same ? p.distance >= s.threshold : p.distance <= s.threshold);
  const pairBlock = (p: ReportPair) => `<div class="pair${wrong(p) ? " wrong" : ""}"><div>${chip(p.chipA, p.a)}${chip(p.chipB, p.b)}</div><div class="cap">d = ${p.distance.toFixed(4)} (fold ${p.fold + 1}) ${wrong(p) ? "<b>wrong</b>" : "right"}<br>${esc(p.a)}<br>${esc(p.b)}</div></div>`;
  const parts: string[] = [];
  parts.push(`<!doctype html><html><head><meta charset="utf-8"><title>dlib-face LFW evaluation</title><style>
body{font-family:system-ui,sans-serif;margin:1.5em;background:#fafafa;color:#222;max-width:1100px}
table{border-collapse:collapse}th,td{padding:2px 10px;text-align:left;border-bottom:1px solid #ddd}th{font-weight:600}
.rocs{display:flex;gap:16px;flex-wrap:wrap}.pairs{display:flex;flex-wrap:wrap;gap:12px}
.pair{background:#fff;border:1px solid #ccc;border-radius:4px;padding:6px}.pair.wrong{border:2px solid #c62828}.pair img{margin-right:4px}
.cap{font-size:12px;max-width:250px;word-break:break-all}.nochip{display:inline-block;width:120px;height:120px;background:#eee;font-size:12px}
</style></head><body>`);
  parts.push(`<h1>LFW face verification</h1>`);
  parts.push(`<p>${pairs.length} pairs (${same.length} same, ${diff.length} different) from ${esc(meta.pairsFile)}, ${meta.images} images, model ${esc(meta.model)}, landmarks ${esc(meta.landmarks)}${meta.jitter ? `, ${meta.jitter} jitters` : ""}. A pair is called the same person when the Euclidean distance of the descriptors is below the threshold.</p>`);
  parts.push(`<table>`);
  parts.push(row("distance threshold", String(s.threshold)));
  parts.push(row("overall accuracy", formatG6(s.accuracy)));
  parts.push(row("same-pair accuracy (pos)", formatG6(s.posAccuracy)));
  parts.push(row("different-pair accuracy (neg)", formatG6(s.negAccuracy)));
  parts.push(row("fold accuracies", s.foldAccuracies.map(formatG6).join(", ")));
  parts.push(row("mean ± stddev over folds", `${formatG6(s.mean)} ± ${formatG6(s.stddev)}`));
  parts.push(row("equal error rate threshold", formatG6(s.eerThreshold)));
  parts.push(row("accuracy at EER (1 − EER)", formatG6(s.eerAccuracy)));
  parts.push(row("ROC AUC", formatG6(s.auc)));
  parts.push(row("TAR at FAR 1e-3", formatG6(s.tarAtFar1e3)));
  parts.push(row(`pairs within ±${s.margin} of the threshold`, formatG6(s.marginShare)));
  parts.push(row("images without a detected face (centred fallback box)", String(meta.noFace)));
  parts.push(`</table>`);
  parts.push(`<h2>ROC</h2><div class="rocs">${rocSvg(same, diff, { mark: marks })}${rocSvg(same, diff, { log: true, mark: marks })}</div>`);
  parts.push(`<h2>Hardest different-person pairs (smallest distances; at or below the threshold = false match, red)</h2><div class="pairs">${worst.falseMatches.map(pairBlock).join("") || "none"}</div>`);
  parts.push(`<h2>Hardest same-person pairs (largest distances; at or above the threshold = false non-match, red)</h2><div class="pairs">${worst.falseNonMatches.map(pairBlock).join("") || "none"}</div>`);
  parts.push(`</body></html>`);
  return parts.join("\n");
}
