#!/usr/bin/env node
/**
 * `npm prepare`: run `npm run build` unless every build output is newer than every build input.
 *
 * npm runs `prepare` after `npm ci`, and again the first time `npx dlib-face` is used in a checkout (npm
 * installs the project's own package into its npx cache, which runs `prepare` in the checkout). The second
 * full build took ~17 s and changed nothing. Requires: run from anywhere (paths are relative to this file).
 * Guarantees: builds when any output is missing or older than any input (sources, configs, the lockfile);
 * `DLIB_FACE_FORCE_BUILD=1` always builds.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const inputs = ["assembly", "src", "asconfig.json", "tsconfig.json", "package.json", "package-lock.json"];
const outputs = ["dist/kernels.wasm", "dist/kernels-relaxed.wasm", "dist/cli/main.js", "dist/entry/node.bundle.js", "dist/entry/web.bundle.js"];

/** Newest modification time (ms) of a file or of the files under a folder; 0 when absent. */
function newest(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let t = 0;
  for (const e of readdirSync(path)) t = Math.max(t, newest(join(path, e)));
  return t;
}

const newestInput = Math.max(...inputs.map((p) => newest(join(root, p))));
const oldestOutput = Math.min(...outputs.map((p) => (existsSync(join(root, p)) ? statSync(join(root, p)).mtimeMs : 0)));
if (!process.env.DLIB_FACE_FORCE_BUILD && oldestOutput > 0 && oldestOutput >= newestInput) {
  console.log("dlib-face-wasm: dist/ is up to date, not rebuilding (DLIB_FACE_FORCE_BUILD=1 rebuilds)");
} else {
  const r = spawnSync("npm", ["run", "build"], { cwd: root, stdio: "inherit", shell: process.platform === "win32" });
  process.exit(r.status ?? 1);
}
