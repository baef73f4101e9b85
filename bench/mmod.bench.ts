/**
 * MMOD CNN face detector speed (mmod_human_face_detector): per image, the phases of dlib's `net(img)`:
 * the tiled pyramid input tensor, the network forward pass, loss_mmod's to_label (scan + sort + NMS), and the
 * whole detectFacesCnn call. Reports the best per-call process CPU time over a few runs (robust when other
 * processes share the cores; one thread) and the median wall time, plus the multiply-adds of the convolutions.
 * Run: node --import tsx bench/mmod.bench.ts [--quick]
 * (needs the shared fixtures; DLIB_FACE_FIXTURES overrides their path). dlib 19.24 natively: 2.9 s for the
 * 640x498 bald_guys input (the fixture README's build).
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { decode } from "fast-png";
import { loadNetwork } from "../src/nn/network.js";
import { detectFacesCnn, forwardPyramid, mmodToLabel } from "../src/face/mmod.js";
import { fillTiledPyramidTensor, pyramidInputLayout } from "../src/nn/pyramid-input.js";
import type { ModelNode } from "../src/dlib/model.js";
import type { RgbImage } from "../src/image/types.js";

const here = fileURLToPath(new URL(".", import.meta.url));
const fixtures = resolve(process.env.DLIB_FACE_FIXTURES ?? join(here, "..", "..", "shared", "fixtures"));
const quick = process.argv.includes("--quick");
const runs = quick ? 2 : 5;

function readPng(path: string): RgbImage {
  const png = decode(readFileSync(path));
  const n = png.width * png.height, ch = png.channels;
  const src = png.data as Uint8Array;
  const data = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) data[3 * i + c] = src[ch * i + (ch >= 3 ? c : 0)];
  return { width: png.width, height: png.height, data };
}

/** best process-CPU ms and median wall ms of `f` over `runs` calls */
function measure(f: () => void): { cpu: number; wall: number } {
  const cpu: number[] = [], wall: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    f();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  wall.sort((a, b) => a - b);
  return { cpu: Math.min(...cpu), wall: wall[Math.floor(wall.length / 2)] };
}

/** multiply-adds of the con layers for an input tensor of nr × nc (shapes as dlib computes them) */
function convMacs(root: ModelNode, nr: number, nc: number): number {
  const layers: { nr: number; nc: number; sy: number; sx: number; py: number; px: number; nf: number }[] = [];
  let node: ModelNode = root.kind === "loss" ? root.subnet : root;
  while (node.kind !== "input") {
    if (node.kind === "layer" && node.details.type === "con") {
      const d = node.details;
      layers.push({ nr: d.nr, nc: d.nc, sy: d.strideY, sx: d.strideX, py: d.paddingY, px: d.paddingX, nf: d.numFilters });
    }
    if (node.kind === "repeat_input") break;
    node = (node as { subnet: ModelNode }).subnet;
  }
  let k = 3, macs = 0;
  for (const l of layers.reverse()) {
    nr = Math.floor((nr + 2 * l.py - l.nr) / l.sy) + 1;
    nc = Math.floor((nc + 2 * l.px - l.nc) / l.sx) + 1;
    macs += nr * nc * l.nf * k * l.nr * l.nc;
    k = l.nf;
  }
  return macs;
}

const net = await loadNetwork(join(fixtures, "models", "mmod_human_face_detector.dat.bz2"));
const images: [string, string][] = [
  ["NakagawaTaishi 274x264", join(fixtures, "images", "NakagawaTaishi.png")],
  ["2009_004587 400x500", join(fixtures, "golden", "decoded", "2009_004587.png")],
  ["bald_guys 640x498 (mmod input)", join(fixtures, "golden", "mmod_inputs", "bald_guys.png")],
  ["dogs 629x640 (mmod input)", join(fixtures, "golden", "mmod_inputs", "dogs.png")],
];

console.log(`MMOD face detector, best CPU ms of ${runs} runs (median wall ms)`);
console.log("image                           tensor       pyramid          pyramid+forward    to_label         detectFacesCnn     GMAC  GMAC/s");
for (const [label, path] of images) {
  const img = readPng(path);
  detectFacesCnn(net, img); // warm-up: compiles the plan for this size
  const layout = pyramidInputLayout(net.input, img.width, img.height);
  const dst = new Float32Array(3 * layout.nr * layout.nc);
  const pyr = measure(() => fillTiledPyramidTensor(dst, net.input, [img], layout));
  let last = forwardPyramid(net, img);
  const fwd = measure(() => { last = forwardPyramid(net, img); });
  const [, k, nr, nc] = last.result.shape;
  const lab = measure(() => mmodToLabel(net.model.mmod!, net.model, last.layout, last.result.outputs[0], { k, nr, nc }));
  const all = measure(() => detectFacesCnn(net, img));
  const macs = convMacs(net.model, layout.nr, layout.nc) / 1e9;
  const f = (m: { cpu: number; wall: number }) => `${m.cpu.toFixed(1).padStart(7)} (${m.wall.toFixed(0).padStart(5)})`;
  console.log(
    `${label.padEnd(31)} ${`${layout.nc}x${layout.nr}`.padEnd(12)} ${f(pyr)} ${f(fwd)} ${f(lab)} ${f(all)} ${macs.toFixed(2).padStart(6)} ${(macs / (fwd.cpu / 1000)).toFixed(1).padStart(6)}`,
  );
}
net.dispose();
