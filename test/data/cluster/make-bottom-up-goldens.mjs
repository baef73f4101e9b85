// Regenerates bottom_up_cluster.golden.json: builds bottom_up_cluster_dlib.cpp against the system dlib
// (apt-get install -y libdlib-dev) and runs it on seeded distance matrices and on the golden face distances of
// bald_guys.jpg from ../shared/fixtures. Usage: node test/data/cluster/make-bottom-up-goldens.mjs
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { join, dirname, resolve } from "node:path";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = resolve(process.env.DLIB_FACE_FIXTURES ?? join(here, "..", "..", "..", "..", "shared", "fixtures"));
const bin = join(mkdtempSync(join(tmpdir(), "buc-")), "buc");
execFileSync("g++", ["-O2", "-o", bin, join(here, "bottom_up_cluster_dlib.cpp"), "-ldlib"]);
const dlibVersion = execFileSync("sh", ["-c", "dpkg-query -W -f='${Version}' libdlib-dev 2>/dev/null || true"], { encoding: "utf8" });

let s = 20261128;
const rnd = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 4294967296; };
const cases = [];
const add = (kind, dists, min, max) => cases.push({ kind, n: dists.length, minNumClusters: min, maxDist: max, dists });
for (let t = 0; t < 60; t++) {
  const n = t < 4 ? t : 2 + Math.floor(rnd() * 30);
  const ties = t % 3 === 0; // few distinct values: many equal distances, so the heap's tie order decides
  const asym = t % 10 === 9; // dlib reads both halves after the first merge
  const d = Array.from({ length: n }, () => new Array(n).fill(0));
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) {
    const v = ties ? Math.floor(rnd() * 4) : Math.round(rnd() * 1e6) / 1e6;
    d[i][j] = v; d[j][i] = asym ? (ties ? Math.floor(rnd() * 4) : Math.round(rnd() * 1e6) / 1e6) : v;
  }
  const min = 1 + Math.floor(rnd() * Math.max(1, n / 3));
  const max = t % 4 === 0 ? "inf" : ties ? Math.floor(rnd() * 4) : Math.round(rnd() * 1e3) / 1e3;
  add(ties ? "ties" : asym ? "asymmetric" : "random", d, min, max);
}
const bald = JSON.parse(readFileSync(join(fixtures, "golden", "bald_guys.json"), "utf8")).clusters.distances;
for (const [min, max] of [[1, 0.6], [1, 0.5], [1, 0.7], [4, "inf"], [10, 0.6], [1, "inf"]]) add("bald_guys", bald, min, max);

const input = cases.map((c) => `${c.n} ${c.minNumClusters} ${c.maxDist}\n${c.dists.map((r) => r.join(" ")).join("\n")}\n`).join("");
const out = execFileSync(bin, { input, encoding: "utf8" }).trim().split("\n");
if (out.length !== cases.length) throw new Error(`dlib program printed ${out.length} lines for ${cases.length} cases`);
const golden = cases.map((c, i) => {
  const [k, ...labels] = out[i].split(" ").map(Number);
  const { dists, ...rest } = c;
  // the face distances are not copied here: the test reads them from the fixture, as this script did
  return { ...rest, maxDist: rest.maxDist === "inf" ? null : rest.maxDist, ...(c.kind === "bald_guys" ? {} : { dists }), numClusters: k, labels };
});
writeFileSync(join(here, "bottom_up_cluster.golden.json"), JSON.stringify({
  about: `dlib::bottom_up_cluster (dlib ${dlibVersion || "19.24"}) on these inputs, by make-bottom-up-goldens.mjs; maxDist null = infinity; bald_guys cases use clusters.distances of ../shared/fixtures/golden/bald_guys.json`,
  cases: golden,
}));
console.log(`${golden.length} cases written`);
