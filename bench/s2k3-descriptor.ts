// Whole face descriptor CPU time with convOptions.winogradS2k3 off vs on (two networks, same process).
import { readFileSync } from "node:fs";
import { loadNetwork, type Network } from "../src/nn/network.ts";
import { convOptions } from "../src/nn/runtime.ts";
import { readSource } from "../src/dlib/source.ts";
import { readPngRgb } from "../test/fixtures.ts";

const bytes = (await readSource(new URL("../../shared/fixtures/models/resnet_v1_faceapi_q8_affine.dat.bz2", import.meta.url).pathname)).bytes;
const chip = await readPngRgb(new URL("../../shared/fixtures/golden/chips/bald_guys_0.png", import.meta.url).pathname);
void readFileSync;
async function make(on: boolean): Promise<Network> {
  const was = convOptions.winogradS2k3;
  convOptions.winogradS2k3 = on;
  try {
    const net = await loadNetwork(bytes, { type: "dlib_face_recognition_resnet_model_v1" });
    net.forwardSync([chip]);
    return net;
  } finally {
    convOptions.winogradS2k3 = was;
  }
}
const nets = { off: await make(false), on: await make(true) };
for (const net of Object.values(nets)) for (let i = 0; i < 50; i++) net.forwardSync([chip]);
const res: Record<string, number[]> = { off: [], on: [] };
for (let b = 0; b < 15; b++) {
  for (const key of ["off", "on"] as const) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < 20; i++) nets[key].forwardSync([chip]);
    const c = process.cpuUsage(c0);
    res[key].push((c.user + c.system) / 1000 / 20);
  }
}
for (const key of ["off", "on"] as const) {
  const t = res[key].sort((a, b) => a - b);
  console.log(`winogradS2k3 ${key}: best ${t[0].toFixed(3)} ms, median ${t[7].toFixed(3)} ms per descriptor (CPU)`);
}

if (process.env.S2K3_PROFILE) {
  // per-step CPU time (mean of 200 runs each), the steps that differ most between the two plans
  type P = { plan(n: number, nr: number, nc: number, keepAll: boolean): { profile(reps: number, cpu: () => number): { step: { index: number; type: string; desc: string }; cpuMs: number }[] } };
  const cpuNow = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
  const prof = (net: Network) => (net as unknown as P).plan(1, 150, 150, false).profile(200, cpuNow);
  const a = prof(nets.off), b = prof(nets.on);
  const rows = a.map((p, i) => ({ i: p.step.index, t: p.step.type, off: p.cpuMs, on: b[i].cpuMs, d: b[i].cpuMs - p.cpuMs, desc: p.step.desc }));
  console.log("total off", rows.reduce((s, r) => s + r.off, 0).toFixed(3), "on", rows.reduce((s, r) => s + r.on, 0).toFixed(3));
  for (const r of [...rows].sort((x, y) => Math.abs(y.d) - Math.abs(x.d)).slice(0, 12)) {
    console.log(`layer<${r.i}> ${r.t} off ${r.off.toFixed(4)} on ${r.on.toFixed(4)} Δ ${r.d.toFixed(4)} ${r.desc.slice(0, 60)}`);
  }
}
