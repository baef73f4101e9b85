/**
 * Decode speed of the JPEG / PNG decoders on the fixture images (tinybench).
 * Run: node --import tsx bench/decode.bench.ts   (needs the shared fixtures; DLIB_FACE_FIXTURES overrides the path)
 * Besides tinybench's wall-clock latency it prints the process CPU time per decode, which is less distorted when
 * other jobs share the machine.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Bench } from "tinybench";
import { decodeImage } from "../src/image/decode.js";

const here = fileURLToPath(new URL(".", import.meta.url));
const fixtures = resolve(process.env.DLIB_FACE_FIXTURES ?? join(here, "..", "..", "shared", "fixtures"));
const names = ["bald_guys.jpg", "JapaneseBaldActor.jpg", "dogs.jpg", "2007_007763.jpg", "HiranoShow.png"];

const bench = new Bench({ time: 2000, warmupTime: 500 });
for (const n of names) {
  const p = join(fixtures, "images", n);
  if (!existsSync(p)) {
    console.warn(`skipping ${n}: not found under ${fixtures}`);
    continue;
  }
  const bytes = new Uint8Array(readFileSync(p));
  const { width, height } = decodeImage(bytes, { file: n });
  bench.add(`${n} (${width}x${height})`, () => {
    decodeImage(bytes, { file: n });
  });
}
await bench.run();
const cpuMs: Record<string, number> = {};
for (const n of names) {
  const p = join(fixtures, "images", n);
  if (!existsSync(p)) continue;
  const bytes = new Uint8Array(readFileSync(p));
  const reps = 10;
  const u0 = process.cpuUsage();
  for (let i = 0; i < reps; i++) decodeImage(bytes, { file: n });
  const u = process.cpuUsage(u0);
  cpuMs[n] = (u.user + u.system) / 1000 / reps;
}
console.table(
  bench.tasks.map((t) => {
    const r = t.result as unknown as { latency?: { mean: number; p50?: number }; mean?: number };
    const mean = r?.latency?.mean ?? r?.mean ?? NaN;
    const cpu = cpuMs[t.name.split(" ")[0]!] ?? NaN;
    return {
      task: t.name,
      "mean ms": Number(mean.toFixed(2)),
      "p50 ms": Number((r?.latency?.p50 ?? NaN).toFixed(2)),
      "cpu ms/decode": Number(cpu.toFixed(2)),
    };
  }),
);
