// Bundles app.js with the package's `browser` entry into dist/app.js and copies what the page loads at run
// time: dist/kernels.wasm and models/frontal_face_detector.dat (shipped in the package).
import { build } from "esbuild";
import { copyFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const pkgDir = dirname(createRequire(import.meta.url).resolve("dlib-face-wasm/package.json"));
mkdirSync(join(here, "dist"), { recursive: true });
mkdirSync(join(here, "models"), { recursive: true });
await build({
  entryPoints: [join(here, "app.js")], outfile: join(here, "dist/app.js"), bundle: true, format: "esm",
  platform: "browser", conditions: ["browser"], minify: true, logLevel: "warning",
  // node: built-ins are only used for file paths, which the page never passes
  external: ["node:*"],
});
copyFileSync(join(pkgDir, "dist/kernels.wasm"), join(here, "dist/kernels.wasm"));
copyFileSync(join(pkgDir, "models/frontal_face_detector.dat"), join(here, "models/frontal_face_detector.dat"));
console.log("built dist/app.js, dist/kernels.wasm, models/frontal_face_detector.dat");
