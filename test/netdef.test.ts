/**
 * Network-definition parser: every shipped definition (models/*.txt) and every reconstructed tiny fixture
 * network (test/nets/*.txt) must expand to exactly the layer list of its golden trace (dlib's layer<i>
 * index, printed type and parameters), plus error cases and C++ features.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { needFixture, readJson, repoRoot } from "./fixtures.js";
import { NetDefinitionError, enumerateLayers, layerSequence, parseNetDefinition } from "../src/dlib/netdef.ts";
import { KNOWN_NETS, getKnownNet, parseKnownNet } from "../src/dlib/known-nets.ts";
import type { InputNode, LayerNode, LossNode, NetNode } from "../src/dlib/nettype.ts";

interface TraceLayer {
  index: number;
  type: string;
  desc: string;
  shape: number[];
}
interface Trace {
  num_layers: number;
  input: { shape: number[] };
  layers: TraceLayer[];
}

interface Case {
  def: string; // path relative to the repo
  name?: string;
  trace: string;
  loss: LossNode["type"];
  input: InputNode["type"];
  inputParams?: Record<string, number>;
}

const CASES: Case[] = [
  { def: "models/dlib_face_recognition_resnet_model_v1.txt", trace: "resnet_v1_faceapi_q8", loss: "loss_metric", input: "input_rgb_image_sized", inputParams: { nr: 150, nc: 150 } },
  { def: "models/taguchi_gender_resnet34.txt", trace: "gender_resnet34_random", loss: "loss_multiclass_log", input: "input_rgb_image_sized", inputParams: { nr: 150, nc: 150 } },
  { def: "models/dnn_gender_classifier_v1.txt", trace: "dnn_gender_classifier_v1", loss: "loss_multiclass_log", input: "input_rgb_image_sized", inputParams: { nr: 32, nc: 32 } },
  { def: "models/mmod_human_face_detector.txt", trace: "mmod_human_face_detector", loss: "loss_mmod", input: "input_rgb_image_pyramid", inputParams: { pyramid: 6 } },
  { def: "models/face_recognition_densenet_model_v1.txt", trace: "face_recognition_densenet_model_v1", loss: "loss_metric", input: "input_rgb_image" },
  { def: "test/nets/tiny_resnet_metric.txt", trace: "tiny_resnet_metric_bn", loss: "loss_metric", input: "input_rgb_image_sized", inputParams: { nr: 150, nc: 150 } },
  { def: "test/nets/tiny_resnet_metric.txt", trace: "tiny_resnet_metric_affine", loss: "loss_metric", input: "input_rgb_image_sized" },
  { def: "test/nets/tiny_resnet_metric.txt", name: "net_type_bn_con", trace: "tiny_resnet_metric_bn__as_bn_con", loss: "loss_metric", input: "input_rgb_image_sized" },
  { def: "test/nets/tiny_classifier_dropout.txt", trace: "tiny_classifier_dropout", loss: "loss_multiclass_log", input: "input_rgb_image_sized" },
  { def: "test/nets/tiny_densenet_metric.txt", trace: "tiny_densenet_metric_bn", loss: "loss_metric", input: "input_rgb_image" },
  { def: "test/nets/tiny_mmod.txt", trace: "tiny_mmod_bn", loss: "loss_mmod", input: "input_rgb_image_pyramid", inputParams: { pyramid: 6 } },
  { def: "test/nets/tiny_old_mmod_v2_v3.txt", trace: "tiny_old_v19_6_mmod", loss: "loss_mmod", input: "input_rgb_image_pyramid", inputParams: { pyramid: 6 } },
  { def: "test/nets/tiny_old_mmod_v2_v3.txt", trace: "tiny_old_v19_15_mmod", loss: "loss_mmod", input: "input_rgb_image_pyramid" },
  { def: "test/nets/tiny_old_v19_1_input.txt", trace: "tiny_old_v19_1_input", loss: "loss_multiclass_log", input: "input_rgb_image_sized" },
  { def: "test/nets/tiny_old_v19_1_tag.txt", trace: "tiny_old_v19_1_tag", loss: "loss_multiclass_log", input: "input_rgb_image_sized" },
  { def: "test/nets/tiny_old_v19_21.txt", trace: "tiny_old_v19_21", loss: "loss_multiclass_log", input: "input_rgb_image_sized" },
  { def: "test/nets/tiny_softmax_uncleaned.txt", trace: "tiny_softmax_uncleaned", loss: "loss_multiclass_log", input: "input_rgb_image_sized" },
];

const read = (rel: string): string => readFileSync(join(repoRoot, rel), "utf8");

/** `key=value` integer pairs inside the first (...) of a dlib layer printout. */
function descParams(desc: string): Record<string, number> {
  const m = /\(([^)]*)\)/.exec(desc);
  const out: Record<string, number> = {};
  if (!m) return out;
  for (const kv of m[1]!.split(",")) {
    const [k, v] = kv.split("=").map((s) => s.trim());
    if (k && v !== undefined && /^-?\d+$/.test(v)) out[k] = Number(v);
  }
  return out;
}

/** Checks one layer's parameters against dlib's printout of it. */
function checkParams(node: NetNode, t: TraceLayer, where: string): void {
  if (node.kind !== "layer") return;
  const d = descParams(t.desc);
  const p = (node as LayerNode).params;
  switch (node.type) {
    case "con":
      for (const k of ["num_filters", "nr", "nc", "stride_y", "stride_x", "padding_y", "padding_x"]) assert.equal(p[k], d[k], `${where}: con ${k}`);
      break;
    case "max_pool":
    case "avg_pool":
      for (const k of ["nr", "nc", "stride_y", "stride_x", "padding_y", "padding_x"]) assert.equal(p[k], d[k], `${where}: ${node.type} ${k}`);
      break;
    case "fc":
      assert.equal(p.num_outputs, d.num_outputs, `${where}: fc num_outputs`);
      break;
    case "concat": {
      const m = /\(([\d,\s]+)\)/.exec(t.desc);
      assert.ok(m, `${where}: concat desc ${t.desc}`);
      assert.deepEqual(node.tags, m![1]!.split(",").map((s) => Number(s.trim())), `${where}: concat tags`);
      break;
    }
    case "add_prev":
      assert.equal(t.type, `add_prev${p.tag}`, `${where}: add_prev tag`);
      break;
  }
}

for (const c of CASES) {
  test(`${c.def}${c.name ? ` (${c.name})` : ""} expands to the layers of trace ${c.trace}`, (t) => {
    const tracePath = needFixture(t, "golden", "traces", `${c.trace}.json`);
    if (!tracePath) return;
    const trace = readJson<Trace>(tracePath);
    const net = parseNetDefinition(read(c.def), { source: c.def, ...(c.name ? { name: c.name } : {}) });
    const entries = enumerateLayers(net);
    // dlib's num_layers counts the loss (index 0) and the input (last index).
    assert.equal(entries.length, trace.num_layers, "num_layers");
    entries.forEach((e, i) => assert.equal(e.index, i));
    const loss = entries[0]!.node;
    assert.equal(loss.kind, "loss");
    assert.equal((loss as LossNode).type, c.loss);
    const input = entries[entries.length - 1]!.node;
    assert.equal(input.kind, "input");
    assert.equal((input as InputNode).type, c.input);
    if (c.inputParams) assert.deepEqual((input as InputNode).params, c.inputParams);
    if (c.input === "input_rgb_image_sized") {
      const ip = (input as InputNode).params;
      assert.deepEqual([ip.nr, ip.nc], trace.input.shape.slice(2), "sized input = trace input tensor size");
    }
    // Every traced layer i (input -> output) is entry i with the same printed type and parameters.
    assert.equal(trace.layers.length, trace.num_layers - 2);
    for (const tl of trace.layers) {
      const e = entries[tl.index];
      assert.ok(e, `layer index ${tl.index} exists`);
      assert.equal(e.name, tl.type, `layer<${tl.index}> type`);
      checkParams(e.node, tl, `layer<${tl.index}>`);
    }
    assert.deepEqual(layerSequence(net), trace.layers.map((l) => l.type));
    assert.deepEqual(layerSequence(net.root), layerSequence(net));
  });
}

test("every test/nets definition is covered by a trace case", () => {
  const files = readdirSync(join(repoRoot, "test", "nets")).filter((f) => f.endsWith(".txt"));
  for (const f of files) assert.ok(CASES.some((c) => c.def === `test/nets/${f}`), f);
});

test("KNOWN_NETS texts are identical to models/*.txt and parse", () => {
  // every definition file in models/ (license texts aside) is shipped in KNOWN_NETS, and vice versa
  const files = readdirSync(join(repoRoot, "models")).filter((f) => f.endsWith(".txt") && !/^LICENSE/i.test(f)).sort();
  assert.deepEqual(KNOWN_NETS.map((n) => `${n.id}.txt`).sort(), files);
  for (const n of KNOWN_NETS) {
    assert.equal(n.text, read(`models/${n.id}.txt`), n.id);
    assert.ok(n.tasks.length > 0);
    const net = parseKnownNet(n.id);
    assert.equal(net.root.kind, "loss");
    assert.equal(getKnownNet(n.id), n);
  }
  assert.equal(getKnownNet("nope"), undefined);
  assert.throws(() => parseKnownNet("nope"), /unknown network id/);
  assert.equal(parseKnownNet("face_recognition_densenet_model_v1").name, "model::feats_std");
  assert.equal(parseKnownNet("dnn_gender_classifier_v1").name, "agender_type_inference");
});

test("known-nets-parsed.ts holds exactly what parsing each shipped definition gives (UPDATE_KNOWN_NETS=1 rewrites it)", async () => {
  const file = join(repoRoot, "src", "dlib", "known-nets-parsed.ts");
  const fresh = KNOWN_NETS.map((k) => [k.id, JSON.stringify(parseNetDefinition(k.text, { source: `models/${k.id}.txt` }))] as const);
  if (process.env.UPDATE_KNOWN_NETS) {
    const head = readFileSync(file, "utf8").split("export const")[0];
    const body = fresh.map(([id, j]) => `  ${JSON.stringify(id)}: ${JSON.stringify(j)},`).join("\n");
    writeFileSync(file, `${head}export const KNOWN_NET_TYPES_JSON: Readonly<Record<string, string>> = {\n${body}\n};\n`);
  }
  const { KNOWN_NET_TYPES_JSON } = await import("../src/dlib/known-nets-parsed.ts");
  assert.deepEqual(Object.keys(KNOWN_NET_TYPES_JSON), KNOWN_NETS.map((k) => k.id));
  for (const [id, j] of fresh) {
    assert.equal(KNOWN_NET_TYPES_JSON[id], j, `${id}: stale, run UPDATE_KNOWN_NETS=1 node --import tsx --test test/netdef.test.ts`);
    assert.equal(JSON.stringify(parseKnownNet(id)), j, `${id}: parseKnownNet`);
  }
});

test("repeat: block tree, counts and tag on repeat's input (densenet)", () => {
  const net = parseKnownNet("face_recognition_densenet_model_v1");
  const counts: number[] = [];
  let n: NetNode = net.root;
  for (;;) {
    if (n.kind === "repeat") {
      counts.push(n.count);
      // the block ends in repeat_input, with tag1 directly on it
      let b: NetNode = n.block;
      while (b.kind !== "tag" || b.subnet.kind !== "repeat_input") {
        assert.ok("subnet" in b, "block reaches repeat_input");
        b = (b as { subnet: NetNode }).subnet;
      }
      assert.equal(b.id, 1);
    }
    if (n.kind === "input" || n.kind === "repeat_input") break;
    n = (n as { subnet: NetNode }).subnet;
  }
  assert.deepEqual(counts, [8, 12, 6, 3]);
  const entries = enumerateLayers(net);
  // group 0 of the outermost repeat comes right after loss, fc_no_bias, avg_pool, relu, affine
  assert.deepEqual(entries.slice(0, 6).map((e) => e.name), ["loss_metric", "fc_no_bias", "avg_pool", "relu", "affine", "concat"]);
  assert.equal(entries[5]!.repeats.length, 1);
  assert.equal(entries[5]!.repeats[0]!.group, 0);
  assert.equal(entries[5 + 9]!.repeats[0]!.group, 1);
  assert.equal(entries[13]!.name, "tag1");
});

// ---- C++ features

const RES = (body: string): string => `using namespace dlib;\n${body}`;

test("defaults: con_ and pool padding, input NC = NR, fc bias, bn modes", () => {
  const net = parseNetDefinition(`
    using net_type = loss_multiclass_log<fc_no_bias<3, fc<5, bn_fc<avg_pool<3,3,1,1, max_pool<2,2,2,2,
      add_layer<con_<4,5,3,1,2>, bn_con<con<2,7,5,1,1, input_rgb_image_sized<64>>>>>>>>>>;`);
  const e = enumerateLayers(net);
  const p = (i: number): Record<string, number> => (e[i]!.node as LayerNode).params;
  assert.deepEqual(e.map((x) => x.name), ["loss_multiclass_log", "fc_no_bias", "fc", "bn_fc", "avg_pool", "max_pool", "con", "bn_con", "con", "input_rgb_image_sized"]);
  assert.deepEqual(p(8), { num_filters: 2, nr: 7, nc: 5, stride_y: 1, stride_x: 1, padding_y: 3, padding_x: 2 });
  assert.deepEqual(p(6), { num_filters: 4, nr: 5, nc: 3, stride_y: 1, stride_x: 2, padding_y: 2, padding_x: 0 });
  assert.deepEqual(p(5), { nr: 2, nc: 2, stride_y: 2, stride_x: 2, padding_y: 0, padding_x: 0 });
  assert.deepEqual(p(4), { nr: 3, nc: 3, stride_y: 1, stride_x: 1, padding_y: 1, padding_x: 1 });
  assert.deepEqual(p(1), { num_outputs: 3, bias: 0 });
  assert.deepEqual(p(2), { num_outputs: 5, bias: 1 });
  assert.deepEqual(p(3), { mode: 1 });
  assert.deepEqual(p(7), { mode: 0 });
  assert.deepEqual((e[9]!.node as InputNode).params, { nr: 64, nc: 64 });
});

test("expressions, dlib:: prefixes, typedef, constants, namespaces, subnet_type, explicit containers", () => {
  const net = parseNetDefinition(
    RES(`
    /* a block comment
       spanning lines */
    #include <dlib/dnn.h>
    #define X 3
    const long base = 4;                 // an integral constant
    static constexpr unsigned long twice = base * 2;
    namespace my { namespace deep {
      template <int N, typename SUBNET> using c3 = dlib::con<N, 3, 3, 1, 1, SUBNET>;
    } }
    using namespace my::deep;
    template <long N, template <typename> class BN = dlib::affine, typename SUBNET = input_rgb_image>
    using unit = dlib::relu<BN<c3<N*2 + (N != 0 ? 1 : 0) - 1, SUBNET>>>;
    typedef loss_metric<fc<twice % 5, dlib::add_prev<tag3, add_layer<relu_, add_skip_layer<tag3, concat3<tag1, tag2, tag3,
        add_tag_layer<3, unit<base, bn_con, tag2<add_layer<multiply_, tag1<unit<(10 - 4) / 4>>>>>>>>>>>> my_net;
    using sub = my_net::subnet_type;
    using net_type = loss_metric<sub::subnet_type>;
  `),
  );
  assert.equal(net.name, "net_type");
  assert.deepEqual(layerSequence(net), ["con", "affine", "relu", "tag1", "multiply", "tag2", "con", "bn_con", "relu", "tag3", "concat", "skip3", "relu", "add_prev3"]);
  const e = enumerateLayers(net);
  // (10-4)/4 = 1 -> N*2 + 1 - 1 = 2 filters; base 4 -> 8 filters
  const cons = e.filter((x) => x.name === "con").map((x) => (x.node as LayerNode).params.num_filters);
  assert.deepEqual(cons, [8, 2]);
  const concat = e.find((x) => x.name === "concat")!.node as LayerNode;
  assert.deepEqual(concat.tags, [1, 2, 3]);
  assert.equal(e.find((x) => x.name === "tag3")!.node.kind, "tag");
  assert.equal(net.root.kind, "loss");
});

test("whole example programs: functions, strings, classes and lambdas are skipped; name selection", () => {
  const prog = `
    #include <iostream>
    using namespace std;
    using namespace dlib;
    const char* VERSION = "1.0; }";
    template <typename SUBNET> using lvl = relu<affine<con<8,3,3,1,1,SUBNET>>>;
    struct info { enum label_ lbl; string name = "x{"; };
    class bar {
    public:
        bar(std::ostream& os, size_t w) : os{ os }, w{ w - 2 } { if (w > 3) { cout << '}'; } }
        void write(size_t i, size_t n);
    private:
        std::ostream& os; size_t w;
    };
    template <typename T> void resize_inplace(matrix<T>& img, long size = 150) { if (size) {} }
    using anet_type = loss_multiclass_log<fc<2, lvl<input_rgb_image_sized<32>>>>;
    int main(int argc, char** argv) try {
        auto f = [&](int x) { return x; };
        softmax<anet_type::subnet_type> snet;
        using other = int;
        return 0;
    } catch (std::exception& e) { cout << e.what() << endl; }
    using second = loss_metric<fc_no_bias<4, lvl<input_rgb_image>>>;
  `;
  const a = parseNetDefinition(prog);
  assert.equal(a.name, "second"); // last non-template alias (no net_type)
  assert.deepEqual(layerSequence(a), ["con", "affine", "relu", "fc_no_bias"]);
  const b = parseNetDefinition(prog, { name: "anet_type" });
  assert.deepEqual(layerSequence(b), ["con", "affine", "relu", "fc"]);
  assert.equal((enumerateLayers(b).at(-1)!.node as InputNode).params.nr, 32);
});

test("softmax of a classifier's subnet and a non-loss root", () => {
  const net = parseNetDefinition(`
    using anet_type = loss_multiclass_log<fc<2, relu<con<4,3,3,2,2,input_rgb_image_sized<20,30>>>>>;
    using snet_type = softmax<anet_type::subnet_type>;`);
  assert.equal(net.root.kind, "layer");
  assert.deepEqual(enumerateLayers(net).map((e) => e.name), ["softmax", "fc", "relu", "con", "input_rgb_image_sized"]);
  assert.deepEqual((enumerateLayers(net).at(-1)!.node as InputNode).params, { nr: 20, nc: 30 });
});

// ---- errors

function expectError(text: string, re: RegExp, line: number, col: number, opts: { name?: string } = {}): void {
  let err: unknown;
  try {
    parseNetDefinition(text, { source: "t.txt", ...opts });
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof NetDefinitionError, `expected NetDefinitionError, got ${String(err)}`);
  assert.match(err.message, re);
  assert.equal(err.line, line, `line in: ${err.message}`);
  assert.equal(err.column, col, `column in: ${err.message}`);
  assert.ok(err.message.startsWith(line >= 0 ? `t.txt:${line}:${col}: ` : "t.txt: "), err.message);
}

test("errors: unknown template names the name and position", () => {
  expectError("using net_type = loss_metric<fc<4,\n   relux<input_rgb_image>>>;", /unknown name 'relux'/, 2, 4);
  expectError("template <typename S> using b = relu<S>;\nusing net_type = loss_metric<b<bogus<3>>>;", /unknown name 'bogus' \(template\)/, 2, 32);
});

test("errors: wrong number of template arguments", () => {
  expectError("using net_type = loss_metric<con<4,3,3,1,input_rgb_image>>;", /wrong number of template arguments for 'con': expected 6 .*got 5/, 1, 30);
  expectError("template <int N, typename S> using b = relu<con<N,3,3,1,1,S>>;\nusing net_type = loss_metric<b<input_rgb_image>>;", /wrong number of template arguments for 'b' \(declared at 1:36\)/, 2, 30);
});

test("errors: wrong kind of template argument", () => {
  expectError("using net_type = loss_metric<fc<input_rgb_image, input_rgb_image>>;", /'num_outputs' of 'fc' must be an integer, got a network/, 1, 33);
  expectError("using net_type = loss_metric<relu<5>>;", /'SUBNET' of 'relu' must be a type, got the integer 5/, 1, 35);
  expectError("using net_type = loss_metric<add_prev<tag1<input_rgb_image>, input_rgb_image>>;", /'tag' of 'add_prev' must be a template name/, 1, 39);
  expectError("using net_type = loss_metric<add_prev<relu, input_rgb_image>>;", /must be a tag template/, 1, 39);
  expectError("using net_type = loss_metric<loss_metric<input_rgb_image>>;", /cannot be a network with a loss layer/, 1, 30);
});

test("errors: unterminated input", () => {
  expectError("using net_type = loss_metric<fc<4,\n  input_rgb_image>;", /unterminated template argument list of 'loss_metric' \(opened at 1:29\): expected ',' or '>', found ';'/, 2, 19);
  expectError("/* never closed\nusing net_type = x;", /unterminated \/\* comment/, 1, 1);
  expectError("using net_type = loss_metric<input_rgb_image>", /expected ';' at the end of 'using net_type = \.\.\.', found end of input/, 1, 46);
  expectError("namespace a {\n using net_type = loss_metric<input_rgb_image>;\n", /expected '}' before end of input/, 3, 1);
});

test("errors: unsupported dlib names and dlib's static_asserts", () => {
  expectError("using net_type = loss_metric<prelu<input_rgb_image>>;", /'prelu' is not supported/, 1, 30);
  expectError("using net_type = loss_metric<fc<2,input<matrix<rgb_pixel>>>>;", /'input' is not supported: only input_rgb_image/, 1, 35);
  expectError("using net_type = loss_barlow_twins<input_rgb_image>;", /'loss_barlow_twins' is not supported/, 1, 18);
  expectError("using net_type = loss_metric<add_layer<con_<4,3,3,1,1,3,1>, input_rgb_image>>;", /padding_y 3 must be >= 0 and smaller than the filter size 3/, 1, 55);
  expectError("using net_type = loss_metric<repeat<0, relu, input_rgb_image>>;", /number of repetitions must be > 0/, 1, 37);
  expectError("using net_type = loss_metric<con<4,3,3,1,1,input_rgb_image_sized<0>>>;", /can't be empty/, 1, 66);
});

test("errors: no network / bad name / recursion / not a network", () => {
  expectError("template <typename S> using r = relu<S>;", /no network type found/, -1, -1);
  expectError("using a = loss_metric<input_rgb_image>;", /no alias named 'b'/, -1, -1, { name: "b" });
  expectError("using a = relu<a>;", /'a' is defined in terms of itself/, 1, 16);
  expectError("const int k = 3;\nusing net_type = relu;", /'net_type' is not a network: it is the template 'relu'/, -1, -1);
  expectError("using net_type = loss_metric<fc<7/0, input_rgb_image>>;", /division by zero/, 1, 34);
});
