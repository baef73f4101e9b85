import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { chineseWhispers, clusterDescriptors, descriptorEdges, bottomUpCluster, clusterDescriptorsBottomUp, type Edge } from "../src/face/cluster.js";
import { DlibRand } from "../src/face/rand.js";
import { FaceIndex, compareFaces, distanceMatrix, faceDistance } from "../src/face/distance.js";
import { fixture, needFixture, readJson, repoRoot } from "./fixtures.js";

test("chinese_whispers: every graph of chinese_whispers.json (default and iter10_seed_x)", (t) => {
  const p = needFixture(t, "golden", "random", "chinese_whispers.json");
  if (!p) return;
  const d = readJson(p);
  assert.ok(d.graphs.length >= 5);
  for (const g of d.graphs) {
    const ordered = g.edge_type === "ordered_sample_pair";
    assert.ok(ordered || g.edge_type === "sample_pair");
    const edges = g.edges as Edge[];
    const numNodes = Number(g.num_nodes_declared);

    const r1 = new DlibRand();
    const a = chineseWhispers(edges, numNodes, { ordered, rng: r1 });
    assert.deepEqual(a.labels, g.default.labels, `${g.name} default labels`);
    assert.equal(a.numClusters, g.default.num_clusters, `${g.name} default num_clusters`);
    assert.equal(r1.wordsDrawn, g.default.words_drawn, `${g.name} default words`);
    // default generator when none is given
    assert.deepEqual(chineseWhispers(edges, numNodes, { ordered }).labels, g.default.labels);

    const r2 = new DlibRand();
    r2.setSeed("x");
    const b = chineseWhispers(edges, numNodes, { ordered, iterations: 10, rng: r2 });
    assert.deepEqual(b.labels, g.iter10_seed_x.labels, `${g.name} iter10 labels`);
    assert.equal(b.numClusters, g.iter10_seed_x.num_clusters, `${g.name} iter10 num_clusters`);
    assert.equal(r2.wordsDrawn, g.iter10_seed_x.words_drawn, `${g.name} iter10 words`);
  }
});

function goldenImages(): string[] {
  return readdirSync(fixture("golden")).filter((f) => f.endsWith(".json") && !f.startsWith("_")).map((f) => f.slice(0, -5));
}

test("face clusters of every golden image (clusters, clusters_upsample1)", (t) => {
  if (!needFixture(t, "golden", "bald_guys.json")) return;
  let checked = 0;
  let faces = 0;
  let maxDistDiff = 0;
  for (const name of goldenImages()) {
    const g = readJson(fixture("golden", `${name}.json`));
    for (const [ck, fk] of [["clusters", "faces"], ["clusters_upsample1", "faces_upsample1"]] as const) {
      const c = g[ck];
      if (!c) continue;
      const threshold = Number(c.threshold);
      const dist: number[][] = typeof c.distances === "string" ? JSON.parse(c.distances) : c.distances;
      const labels: number[] = typeof c.labels === "string" ? JSON.parse(c.labels) : c.labels;
      const n = dist.length;
      // edges from the golden distance matrix, as dnn_face_recognition_ex.cpp
      const edges: [number, number][] = [];
      for (let i = 0; i < n; ++i) for (let j = i; j < n; ++j) if (dist[i]![j]! < threshold) edges.push([i, j]);
      const r = chineseWhispers(edges, n);
      assert.deepEqual(r.labels, labels, `${name} ${ck}`);
      assert.equal(r.numClusters, Number(c.num_clusters), `${name} ${ck}`);
      // and from the descriptors themselves, with dlib's float32 distance
      const descs = (g[fk] as any[]).map((f) => Float32Array.from(f.descriptor_resnet_q8 as number[]));
      assert.equal(descs.length, n);
      assert.deepEqual(descriptorEdges(descs, threshold), edges, `${name} ${ck} edges`);
      assert.deepEqual(clusterDescriptors(descs, threshold).labels, labels);
      const dm = distanceMatrix(descs);
      for (let i = 0; i < n; ++i) for (let j = 0; j < n; ++j) maxDistDiff = Math.max(maxDistDiff, Math.abs(dm[i * n + j]! - dist[i]![j]!));
      checked++;
      faces += n;
    }
  }
  t.diagnostic(`${checked} clusterings, ${faces} faces; max |distance - golden| ${maxDistDiff.toExponential(2)}`);
  assert.ok(checked >= 10);
  assert.ok(maxDistDiff < 1e-6);
  // the dlib example result on bald_guys: 4 clusters of 6
  const bg = readJson(fixture("golden", "bald_guys.json"));
  assert.equal(Number(bg.clusters.num_clusters), 4);
});

test("chinese_whispers edge cases", () => {
  assert.deepEqual(chineseWhispers([]), { labels: [], numClusters: 0 });
  // node without edges below the highest index keeps its own label; weights and direction
  const r = chineseWhispers([[0, 0], [2, 2]]);
  assert.deepEqual(r, { labels: [0, 1, 2], numClusters: 3 });
  assert.throws(() => chineseWhispers([[0, 5]], 3), RangeError);
  assert.throws(() => chineseWhispers([[1, 0, 1], [0, 1, 1]], undefined, { ordered: true }), RangeError);
  assert.throws(() => chineseWhispers([[-1, 0]]), RangeError);
  // a clear two-cluster graph
  const e: Edge[] = [];
  for (let i = 0; i < 10; ++i) for (let j = i; j < 10; ++j) if ((i < 5) === (j < 5)) e.push([i, j]);
  const two = chineseWhispers(e);
  assert.equal(two.numClusters, 2);
  assert.deepEqual(two.labels, [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
});

test("faceDistance is dlib's float32 length; compareFaces; FaceIndex", () => {
  const a = new Float32Array([0.1, 0.2, 0.3]);
  const b = new Float32Array([0.4, -0.2, 0.3]);
  const f = Math.fround;
  let acc = 0;
  for (let i = 0; i < 3; ++i) { const d = f(a[i]! - b[i]!); acc = f(acc + f(d * d)); }
  assert.equal(faceDistance(a, b), f(Math.sqrt(acc)));
  assert.ok(Math.abs(faceDistance(a, b) - 0.5) < 1e-7);
  assert.equal(faceDistance(a, a), 0);
  assert.throws(() => faceDistance(a, new Float32Array(2)), RangeError);
  assert.deepEqual(compareFaces([a, b], new Float32Array([0.1, 0.2, 0.8])), [true, false]);

  const idx = new FaceIndex();
  const pts: [number[], string][] = [
    [[0, 0], "ann"], [[0.1, 0], "ann"], [[0, 0.15], "ann"],
    [[1, 1], "bob"], [[1.05, 1], "bob"],
    [[0.3, 0], "bob"],
  ];
  for (const [v, l] of pts) idx.add(v, l);
  assert.equal(idx.size, 6);
  assert.equal(idx.dimension, 2);
  const q = idx.query([0.02, 0], 3);
  assert.deepEqual(q.map((m) => m.index), [0, 1, 2]);
  assert.ok(q[0]!.distance <= q[1]!.distance && q[1]!.distance <= q[2]!.distance);
  assert.equal(idx.query([0, 0], 100).length, 6);
  // nearest neighbour
  assert.equal(idx.identify([0.28, 0]).label, "bob");
  // majority of the 3 nearest within the threshold
  const maj = idx.identify([0.28, 0], { k: 3 });
  assert.equal(maj.label, "ann");
  assert.equal(maj.votes, 2);
  // nothing within the threshold
  const none = idx.identify([5, 5], { threshold: 0.6 });
  assert.equal(none.label, null);
  assert.ok(none.distance > 4);
  assert.throws(() => idx.add([1, 2, 3], "x"), RangeError);
  assert.deepEqual([...idx.descriptor(3)], [1, 1]);
  assert.equal(new FaceIndex().identify([1]).label, null);
});

test("FaceIndex.query distances equal faceDistance exactly (128-d)", () => {
  const r = new DlibRand("index");
  const idx = new FaceIndex();
  const descs: Float32Array[] = [];
  for (let i = 0; i < 200; ++i) {
    const d = Float32Array.from({ length: 128 }, () => r.getRandomGaussian() * 0.1);
    descs.push(d);
    idx.add(d, `p${i % 17}`);
  }
  const q = Float32Array.from({ length: 128 }, () => r.getRandomGaussian() * 0.1);
  const all = idx.query(q, 200);
  const want = descs.map((d, i) => ({ i, d: faceDistance(d, q) })).sort((a, b) => a.d - b.d || a.i - b.i);
  assert.deepEqual(all.map((m) => [m.index, m.distance]), want.map((w) => [w.i, w.d]));
  assert.deepEqual(idx.query(q, 5), all.slice(0, 5));
});

test("bottom_up_cluster: dlib's labels on 66 cases (ties, asymmetric matrices, min/max limits, bald_guys' face distances)", (t) => {
  // bottom_up_cluster.golden.json: real dlib's output (test/data/cluster/make-bottom-up-goldens.mjs)
  const g = JSON.parse(readFileSync(join(repoRoot, "test", "data", "cluster", "bottom_up_cluster.golden.json"), "utf8"));
  const faces = needFixture(t, "golden", "bald_guys.json");
  const baldDists: number[][] | null = faces ? readJson(faces).clusters.distances : null;
  let checked = 0, tiesDecided = 0;
  for (const [i, c] of (g.cases as any[]).entries()) {
    const dists: number[][] | null = c.kind === "bald_guys" ? baldDists : c.dists;
    if (!dists) continue;
    const r = bottomUpCluster(dists, c.minNumClusters, c.maxDist ?? Infinity);
    assert.deepEqual(r.labels, c.labels, `case ${i} (${c.kind}, n ${c.n}, min ${c.minNumClusters}, max ${c.maxDist})`);
    assert.equal(r.numClusters, c.numClusters, `case ${i}`);
    checked++;
    if (c.kind === "ties" && c.n > 8) tiesDecided++;
  }
  assert.ok(checked >= (baldDists ? 66 : 60), `${checked} cases checked`);
  assert.ok(tiesDecided >= 10);
});

test("bottom_up_cluster: complete linkage and limits, without dlib", () => {
  // a chain 0-1-2 with steps of 0.5: single linkage would join all three at 0.5; complete linkage sees 0-2 at 1.0
  const chain = [[0, 0.5, 1.0], [0.5, 0, 0.5], [1.0, 0.5, 0]];
  assert.deepEqual(bottomUpCluster(chain, 1, 0.6), { labels: [0, 0, 1], numClusters: 2 });
  assert.deepEqual(bottomUpCluster(chain, 1), { labels: [0, 0, 0], numClusters: 1 });
  assert.deepEqual(bottomUpCluster(chain, 3), { labels: [0, 1, 2], numClusters: 3 });
  assert.deepEqual(bottomUpCluster(chain, 5), { labels: [0, 1, 2], numClusters: 3 }); // more than n: no merge
  assert.deepEqual(bottomUpCluster(chain, 1, 0.5), { labels: [0, 0, 1], numClusters: 2 }); // at max_dist: merged
  assert.deepEqual(bottomUpCluster([], 1), { labels: [], numClusters: 0 });
  assert.deepEqual(bottomUpCluster([[0]], 1), { labels: [0], numClusters: 1 });
  assert.throws(() => bottomUpCluster(chain, 0), RangeError);
  assert.throws(() => bottomUpCluster(chain, 1.5), RangeError);
  assert.throws(() => bottomUpCluster(chain, 1, NaN), RangeError);
  assert.throws(() => bottomUpCluster([[0, 1], [1]], 1), /row 1 has 1 values/);
  assert.throws(() => bottomUpCluster([[0, NaN], [NaN, 0]], 1), /dists\[0\]\[1\] is not a number/);
  // descriptors: two tight pairs far apart
  const v = (x: number) => Float32Array.from({ length: 128 }, (_, i) => (i === 0 ? x : 0));
  assert.deepEqual(clusterDescriptorsBottomUp([v(0), v(0.1), v(2), v(2.1)]), { labels: [0, 0, 1, 1], numClusters: 2 });
  assert.deepEqual(clusterDescriptorsBottomUp([v(0), v(0.1), v(2), v(2.1)], 0.6, 3).numClusters, 3);
  assert.deepEqual(clusterDescriptorsBottomUp([]), { labels: [], numClusters: 0 });
  assert.throws(() => clusterDescriptorsBottomUp([v(0)], 0.6, 0), RangeError);
  assert.throws(() => clusterDescriptorsBottomUp([v(0)], NaN), RangeError);
});

test("bottom-up clustering of every golden image's descriptors equals it on the golden distances", (t) => {
  if (!needFixture(t, "golden", "bald_guys.json")) return;
  let checked = 0;
  for (const name of goldenImages()) {
    const g = readJson(fixture("golden", `${name}.json`));
    if (!g.clusters) continue;
    const dist: number[][] = typeof g.clusters.distances === "string" ? JSON.parse(g.clusters.distances) : g.clusters.distances;
    const descs = (g.faces as any[]).map((f) => Float32Array.from(f.descriptor_resnet_q8 as number[]));
    if (descs.length < 2) continue;
    assert.deepEqual(clusterDescriptorsBottomUp(descs, 0.6).labels, bottomUpCluster(dist, 1, 0.6).labels, name);
    checked++;
  }
  assert.ok(checked >= 3, `${checked} images`);
});
