/**
 * Self-contained HTML reports (no external files, no scripts): the cluster report shows each image with its
 * face boxes coloured by cluster, and one row of aligned chips per cluster — what dlib's example shows in windows.
 */
import { encodePng } from "../image/decode.js";
import type { Rect, RgbImage } from "../image/types.js";

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function b64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** A data: URL for the image's original file bytes (JPEG/PNG), or a PNG encoding of `img`. */
export function imageDataUrl(img: RgbImage, original?: Uint8Array): string {
  if (original && original[0] === 0xff && original[1] === 0xd8) return `data:image/jpeg;base64,${b64(original)}`;
  if (original && original[0] === 0x89) return `data:image/png;base64,${b64(original)}`;
  return `data:image/png;base64,${b64(encodePng(img))}`;
}

/** Distinct colours for cluster labels. */
export function clusterColor(i: number): string {
  const h = (i * 137.508) % 360;
  return `hsl(${h.toFixed(0)}, 85%, 50%)`;
}

export function clusterReportHtml(
  images: { file: string; img: RgbImage; bytes?: Uint8Array }[],
  faces: { file: string; rect: Rect; chip: RgbImage; cluster: number }[],
  numClusters: number,
  meta: { threshold: number; model: string; method?: "chinese-whispers" | "bottom-up" },
): string {
  const parts: string[] = [];
  parts.push(`<!doctype html><html><head><meta charset="utf-8"><title>dlib-face clusters</title><style>
body{font-family:system-ui,sans-serif;margin:1.5em;background:#fafafa;color:#222}
.img{margin:1em 0}.img svg{max-width:100%;height:auto;border:1px solid #ccc;background:#fff}
.row{display:flex;align-items:center;gap:6px;margin:6px 0;flex-wrap:wrap}.row .lab{width:7em;font-weight:600}
.row img{width:96px;height:96px;border:4px solid;border-radius:4px}
</style></head><body>`);
  parts.push(`<h1>${numClusters} ${numClusters === 1 ? "person" : "people"} in ${faces.length} faces</h1>`);
  const how = meta.method === "bottom-up"
    ? `Bottom-up (complete-linkage) clustering: every two faces of a group at most ${meta.threshold} apart`
    : `Chinese whispers over faces closer than ${meta.threshold}`;
  parts.push(`<p>${how} (Euclidean distance of descriptors), model ${esc(meta.model)}.</p>`);
  parts.push(`<h2>Clusters</h2>`);
  for (let c = 0; c < numClusters; c++) {
    const members = faces.filter((f) => f.cluster === c);
    parts.push(`<div class="row"><span class="lab" style="color:${clusterColor(c)}">person ${c} (${members.length})</span>`);
    for (const m of members) parts.push(`<img style="border-color:${clusterColor(c)}" title="${esc(m.file)}" src="${imageDataUrl(m.chip)}">`);
    parts.push(`</div>`);
  }
  parts.push(`<h2>Images</h2>`);
  for (const im of images) {
    const { width: w, height: h } = im.img;
    const sw = Math.max(2, Math.round(Math.max(w, h) / 300));
    parts.push(`<div class="img"><div>${esc(im.file)} (${w}x${h})</div><svg viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" xmlns="http://www.w3.org/2000/svg">`);
    parts.push(`<image href="${imageDataUrl(im.img, im.bytes)}" width="${w}" height="${h}"/>`);
    for (const f of faces.filter((x) => x.file === im.file)) {
      const r = f.rect;
      parts.push(`<rect x="${r.left}" y="${r.top}" width="${r.right - r.left + 1}" height="${r.bottom - r.top + 1}" fill="none" stroke="${clusterColor(f.cluster)}" stroke-width="${sw}"/>`);
      parts.push(`<text x="${r.left}" y="${Math.max(r.top - sw * 2, sw * 8)}" font-size="${sw * 8}" fill="${clusterColor(f.cluster)}">${f.cluster}</text>`);
    }
    parts.push(`</svg></div>`);
  }
  parts.push(`</body></html>`);
  return parts.join("\n");
}
