/** The README's library example is real: extract the js block and run it against the built package. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync, rmSync, existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { hasFixtures, repoRoot, inCI } from "./fixtures.ts";

test("README example runs and prints dlib's clusters", (t) => {
  if (!hasFixtures()) return void t.skip("fixtures absent");
  if (!existsSync("/usr/share/dlib/shape_predictor_68_face_landmarks.dat")) {
    if (inCI) throw new Error("libdlib-data missing under CI");
    return void t.skip("68-point model not installed");
  }
  if (!existsSync(join(repoRoot, "dist", "index.js"))) {
    if (inCI) throw new Error("dist/ not built under CI");
    return void t.skip("dist/ not built (npm run build)");
  }
  const md = readFileSync(join(repoRoot, "README.md"), "utf8");
  const m = md.match(/```js\n([\s\S]*?)```/);
  assert.ok(m, "README has a js example");
  const file = join(repoRoot, `.readme-example-${process.pid}.mjs`);
  writeFileSync(file, m![1]);
  try {
    const r = spawnSync(process.execPath, [file], { cwd: repoRoot, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "24 faces, 4 people: 0 1 0 2 1 2 3 2 0 3 1 0 1 2 3 2 2 3 1 3 0 0 1 3\n128\n");
  } finally {
    rmSync(file, { force: true });
  }
});
