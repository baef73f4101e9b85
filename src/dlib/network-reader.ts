/**
 * Reads a serialized dlib network (SERIALIZATION.md §3–6) driven by its C++ type (a `NetNode` tree), since
 * dlib files carry no container tags. Parameters are copied once, straight from the file bytes into the
 * kernel arena. Load-time conversions as dlib 19.24 does them: bn_con2/bn_fc2 read into an `affine` layer
 * (g = gamma/sqrt(var + (float)eps), b = beta - g*mean in float32), dropout_ read into `multiply` (1 - rate);
 * cached tensors of un-clean()ed files are skipped. Newer strings (con_6, relu_2) are accepted too.
 */
import { DlibReader } from "./serialize.js";
import type { InputNode, LayerNode, LossNode, NetNode } from "./nettype.js";
import type { InputModel, LayerDetails, LayerModel, LossModel, MmodOptions, ModelNode, ParamRef } from "./model.js";

/** Where parameters go: the kernel arena (or anything with the same two methods). */
export interface ParamSink {
  allocF32(n: number): number;
  f32(ptr: number, n: number): Float32Array;
  /**
   * Optional in-place mode, when `bytes` itself lives in the kernel memory: return where the `byteLength`
   * parameter bytes at file offset `offset` now are (the sink may move them towards the start of the file,
   * never past `offset`, so nothing unread is overwritten). Calls come in increasing `offset` order.
   */
  place?(offset: number, byteLength: number): number;
}

/**
 * Read a whole network file. Throws DlibFormatError on any mismatch with the type or malformed data.
 * With `sink` null the file is only checked against the type (nothing is copied; ParamRefs have ptr 0):
 * that is how a file's type is detected without allocating.
 */
export function readNetwork(bytes: Uint8Array, root: NetNode, sink: ParamSink | null, file = "<bytes>"): LossModel {
  const r: DlibReader = new DlibReader(bytes, file);
  if (root.kind !== "loss") r.fail(`network type must start with a loss layer, got ${root.kind}`);
  const ctx = new ReadContext(r, sink);
  r.context = "add_loss_layer";
  r.version("add_loss_layer version", [1]);
  const loss = readLoss(r, root);
  const subnet = ctx.node(root.subnet, 1);
  if (!r.atEnd) {
    r.context = "";
    r.fail(`${r.remaining} unexpected bytes after the network (is the network type right?)`);
  }
  loss.subnet = subnet;
  return loss;
}

class ReadContext {
  constructor(readonly r: DlibReader, readonly sink: ParamSink | null) {}

  /** Read one node; `index` is dlib's layer<index> of this node (for messages). */
  node(n: NetNode, index: number): ModelNode {
    const r = this.r;
    switch (n.kind) {
      case "layer": {
        const onInput = n.subnet.kind === "input" || n.subnet.kind === "repeat_input";
        r.context = `add_layer (layer<${index}> ${n.type})`;
        if (onInput) {
          const v = r.version("add_layer<INPUT> version", [2, 3]);
          const input = n.subnet.kind === "input" ? readInput(r, n.subnet) : ({ kind: "repeat_input" } as const);
          const layer = this.details(n, index);
          r.bool("this_layer_setup_called");
          r.bool("gradient_input_is_stale");
          r.bool("get_output_and_gradient_input_disabled");
          r.tensor("x_grad");
          r.tensor("cached_output");
          r.tensor("grad_final");
          if (v === 3) r.int("_sample_expansion_factor");
          return { ...layer, subnet: input };
        }
        const v = r.version("add_layer version", [1, 2]);
        const sub = this.node(n.subnet, index + 1);
        r.context = `add_layer (layer<${index}> ${n.type})`;
        const layer = this.details(n, index);
        r.bool("this_layer_setup_called");
        r.bool("gradient_input_is_stale");
        r.bool("get_output_and_gradient_input_disabled");
        r.tensor("x_grad");
        r.tensor("cached_output");
        if (v === 2) r.tensor("params_grad");
        return { ...layer, subnet: sub };
      }
      case "tag": {
        r.context = `add_tag_layer (layer<${index}> tag${n.id})`;
        if (n.subnet.kind === "input" || n.subnet.kind === "repeat_input") {
          const v = r.version("add_tag_layer<INPUT> version", [1, 2]);
          const input = n.subnet.kind === "input" ? readInput(r, n.subnet) : ({ kind: "repeat_input" } as const);
          r.tensor("cached_output");
          r.tensor("grad_final");
          r.bool("gradient_input_is_stale");
          if (v === 2) r.int("_sample_expansion_factor");
          return { kind: "tag", id: n.id, subnet: input };
        }
        r.version("add_tag_layer version", [1]);
        return { kind: "tag", id: n.id, subnet: this.node(n.subnet, index + 1) };
      }
      case "skip": {
        r.context = `add_skip_layer (layer<${index}> skip${n.id})`;
        r.version("add_skip_layer version", [1]);
        return { kind: "skip", id: n.id, subnet: this.node(n.subnet, index + 1) };
      }
      case "repeat": {
        r.context = `repeat (layer<${index}>)`;
        r.version("repeat version", [1]);
        const at = r.pos;
        const count = r.uint("repeat count");
        if (count !== n.count) r.fail(`repeat has ${count} copies in the file but the network type says ${n.count}`, at);
        const per = countLayers(n.block);
        const blocks: ModelNode[] = [];
        for (let i = 0; i < count; i++) blocks.push(this.node(n.block, index + i * per));
        const sub = this.node(n.subnet, index + count * per);
        return { kind: "repeat", blocks, subnet: sub };
      }
      case "input":
        return readInput(r, n);
      case "repeat_input":
        return { kind: "repeat_input" };
      case "loss":
        return r.fail("a loss layer can only be the outermost layer");
    }
  }

  private param(hdrOffset: number, count: number): ParamRef {
    if (!this.sink) return { ptr: 0, length: count };
    const r = this.r;
    if (hdrOffset + count * 4 > r.bytes.length) r.floatsAt(hdrOffset, count, new Float32Array(0)); // throws "past end of file"
    if (this.sink.place) return { ptr: this.sink.place(hdrOffset, count * 4), length: count };
    const ptr = this.sink.allocF32(count);
    const dst = this.sink.f32(ptr, count);
    // dlib stores the floats little-endian, as wasm memory: one byte copy, whatever the file offset's
    // alignment (most tensors in dlib files are not 4-byte aligned, and a per-float read was 80% of the load)
    new Uint8Array(dst.buffer, dst.byteOffset, count * 4).set(r.bytes.subarray(hdrOffset, hdrOffset + count * 4));
    return { ptr, length: count };
  }

  private details(n: LayerNode, index: number): Omit<LayerModel, "subnet"> {
    const r = this.r;
    const at = r.pos;
    const version = r.string("layer version string", 64);
    r.context = `${version} (layer<${index}>, expected ${n.type})`;
    function mismatch(): never {
      return r.fail(`found layer '${version}' where the network type has '${n.type}' (wrong network type for this file?)`, at);
    }
    const mult = (k: number) => Array.from({ length: k }, (_, i) => r.double(`multiplier ${i}`));
    let d: LayerDetails;
    switch (n.type) {
      case "con": {
        if (version !== "con_4" && version !== "con_5" && version !== "con_6") mismatch();
        const p = r.tensor("params");
        const numFilters = r.int("num_filters");
        const nr = r.int("nr");
        const nc = r.int("nc");
        const strideY = r.int("stride_y");
        const strideX = r.int("stride_x");
        const paddingY = r.int("padding_y");
        const paddingX = r.int("padding_x");
        const f = r.aliasTensor("filters");
        const b = r.aliasTensor("biases");
        const multipliers = mult(4);
        const useBias = version === "con_4" ? true : r.bool("use_bias");
        const useRelu = version === "con_6" ? r.bool("use_relu") : false;
        const tp = n.params;
        if (numFilters !== tp.num_filters || nr !== tp.nr || nc !== tp.nc || strideY !== tp.stride_y || strideX !== tp.stride_x) {
          r.fail(`con in file is ${numFilters} filters ${nr}x${nc} stride ${strideY},${strideX}; the network type says ${tp.num_filters} filters ${tp.nr}x${tp.nc} stride ${tp.stride_y},${tp.stride_x}`, at);
        }
        if (tp.padding_y !== undefined && (paddingY !== tp.padding_y || paddingX !== tp.padding_x)) {
          r.fail(`con padding in file is ${paddingY},${paddingX}; the network type says ${tp.padding_y},${tp.padding_x}`, at);
        }
        if (f.n !== numFilters || f.nr !== nr || f.nc !== nc || strideY < 1 || strideX < 1 || paddingY < 0 || paddingX < 0 || nr < 1 || nc < 1) {
          r.fail(`con: inconsistent filter shape [${f.n},${f.k},${f.nr},${f.nc}]`, at);
        }
        const nW = f.size;
        const hasBias = useBias && b.size > 0;
        if (p.size !== nW + (hasBias ? numFilters : 0)) r.fail(`con: params has ${p.size} values, expected ${nW + (hasBias ? numFilters : 0)}`, at);
        d = {
          type: "con", numFilters, nr, nc, k: f.k, strideY, strideX, paddingY, paddingX,
          filters: this.param(p.dataOffset, nW),
          biases: hasBias ? this.param(p.dataOffset + nW * 4, numFilters) : null,
          useRelu, multipliers,
        };
        break;
      }
      case "fc": {
        if (version !== "fc_2" && version !== "fc_3") mismatch();
        const numOutputs = r.uint("num_outputs");
        const numInputs = r.uint("num_inputs");
        const p = r.tensor("params");
        r.aliasTensor("weights");
        r.aliasTensor("biases");
        const mode = r.int("bias_mode");
        const multipliers = mult(4);
        const useBias = version === "fc_3" ? r.bool("use_bias") : true;
        const hasBias = mode === 0 && useBias;
        if (mode !== 0 && mode !== 1) r.fail(`fc: bad bias_mode ${mode}`, at);
        if (numOutputs !== n.params.num_outputs) r.fail(`fc has ${numOutputs} outputs in the file; the network type says ${n.params.num_outputs}`, at);
        if ((mode === 0) !== (n.params.bias === 1)) r.fail(`fc bias mode in file is ${mode === 0 ? "fc" : "fc_no_bias"}, the network type says ${n.params.bias === 1 ? "fc" : "fc_no_bias"}`, at);
        const expect = (numInputs + (mode === 0 ? 1 : 0)) * numOutputs;
        if (p.size !== expect) r.fail(`fc: params has ${p.size} values, expected ${expect}`, at);
        d = {
          type: "fc", numOutputs, numInputs, hasBias,
          weights: this.param(p.dataOffset, numInputs * numOutputs),
          biases: hasBias ? this.param(p.dataOffset + numInputs * numOutputs * 4, numOutputs) : null,
          multipliers,
        };
        break;
      }
      case "relu": {
        if (version === "relu_") d = { type: "relu", disabled: false };
        else if (version === "relu_2") d = { type: "relu", disabled: r.bool("disabled") };
        else mismatch();
        break;
      }
      case "max_pool":
      case "avg_pool": {
        if (version !== `${n.type}_2`) mismatch();
        const nr = r.int("nr"), nc = r.int("nc");
        const strideY = r.int("stride_y"), strideX = r.int("stride_x");
        const paddingY = r.int("padding_y"), paddingX = r.int("padding_x");
        const tp = n.params;
        if (nr !== tp.nr || nc !== tp.nc || strideY !== tp.stride_y || strideX !== tp.stride_x) {
          r.fail(`${n.type} in file is ${nr}x${nc} stride ${strideY},${strideX}; the network type says ${tp.nr}x${tp.nc} stride ${tp.stride_y},${tp.stride_x}`, at);
        }
        if (tp.padding_y !== undefined && (paddingY !== tp.padding_y || paddingX !== tp.padding_x)) {
          r.fail(`${n.type} padding in file is ${paddingY},${paddingX}; the network type says ${tp.padding_y},${tp.padding_x}`, at);
        }
        if (nr < 0 || nc < 0 || strideY < 1 || strideX < 1 || paddingY < 0 || paddingX < 0) r.fail(`${n.type}: bad geometry`, at);
        d = { type: n.type, nr, nc, strideY, strideX, paddingY, paddingX };
        break;
      }
      case "bn_con":
      case "bn_fc":
      case "affine": {
        if (version === "bn_con2" || version === "bn_fc2") {
          const bn = this.readBn(version, at);
          const mode = version === "bn_con2" ? 0 : 1;
          if (n.type === "affine") {
            d = this.bnToAffine(bn, mode);
          } else {
            if ((n.type === "bn_con") !== (mode === 0)) mismatch();
            d = { type: n.type, ...bn };
          }
        } else if (version === "affine_" || version === "affine_2") {
          if (n.type !== "affine") mismatch();
          const p = r.tensor("params");
          const g = r.aliasTensor("gamma");
          const b = r.aliasTensor("beta");
          const mode = r.int("mode");
          const disabled = version === "affine_2" ? r.bool("disabled") : false;
          if (mode !== 0 && mode !== 1) r.fail(`affine: bad mode ${mode}`, at);
          if (g.size !== b.size || p.size !== g.size + b.size) r.fail(`affine: params has ${p.size} values, gamma ${g.size}, beta ${b.size}`, at);
          d = {
            type: "affine", mode: mode as 0 | 1, disabled,
            gamma: this.param(p.dataOffset, g.size),
            beta: this.param(p.dataOffset + g.size * 4, b.size),
          };
        } else mismatch();
        break;
      }
      case "dropout":
      case "multiply": {
        if (version === "multiply_") d = { type: "multiply", val: r.float("val") };
        else if (version === "dropout_") {
          const rate = r.float("drop_rate");
          r.tensor("mask");
          d = { type: "multiply", val: Math.fround(1 - rate) };
        } else mismatch();
        break;
      }
      case "add_prev":
        if (version !== "add_prev_") mismatch();
        d = { type: "add_prev", tag: n.params.tag };
        break;
      case "concat": {
        if (version !== "concat_") mismatch();
        const cnt = r.uint("number of concatenated tags");
        const tags = n.tags ?? [];
        if (cnt !== tags.length) r.fail(`concat_ joins ${cnt} tags in the file; the network type has ${tags.length}`, at);
        d = { type: "concat", tags };
        break;
      }
      case "softmax":
        if (version !== "softmax_") mismatch();
        d = { type: "softmax" };
        break;
      default:
        return r.fail(`layer type '${(n as LayerNode).type}' is not supported`, at);
    }
    return { kind: "layer", version, details: d };
  }

  private readBn(version: string, at: number) {
    const r = this.r;
    const p = r.tensor("params");
    const g = r.aliasTensor("gamma");
    const b = r.aliasTensor("beta");
    r.tensor("means");
    r.tensor("invstds");
    const rm = r.tensor("running_means");
    const rv = r.tensor("running_variances");
    r.uint("num_updates");
    const runningStatsWindowSize = r.uint("running_stats_window_size");
    const multipliers = [r.double("m0"), r.double("m1"), r.double("m2"), r.double("m3")];
    const eps = r.double("eps");
    const k = g.size;
    if (b.size !== k || p.size !== 2 * k || rm.size !== k || rv.size !== k) {
      r.fail(`${version}: inconsistent sizes (params ${p.size}, gamma ${k}, beta ${b.size}, running means ${rm.size}, variances ${rv.size})`, at);
    }
    return {
      gamma: this.param(p.dataOffset, k),
      beta: this.param(p.dataOffset + 4 * k, k),
      runningMeans: this.param(rm.dataOffset, k),
      runningVariances: this.param(rv.dataOffset, k),
      eps, runningStatsWindowSize, multipliers,
    };
  }

  /** dlib's affine_(const bn_&) constructor, float32 arithmetic. Reuses the bn's gamma/beta blocks. */
  private bnToAffine(bn: ReturnType<ReadContext["readBn"]>, mode: 0 | 1): LayerDetails {
    if (!this.sink) return { type: "affine", mode, gamma: bn.gamma, beta: bn.beta, disabled: false };
    const k = bn.gamma.length;
    const g = this.sink.f32(bn.gamma.ptr, k);
    const b = this.sink.f32(bn.beta.ptr, k);
    const m = this.sink.f32(bn.runningMeans.ptr, k);
    const v = this.sink.f32(bn.runningVariances.ptr, k);
    const eps = Math.fround(bn.eps);
    for (let i = 0; i < k; i++) {
      const gi = Math.fround(g[i] / Math.fround(Math.sqrt(Math.fround(v[i] + eps))));
      g[i] = gi;
      b[i] = Math.fround(b[i] - Math.fround(gi * m[i]));
    }
    const release = (this.sink as unknown as { release?: (p: number) => void }).release;
    if (release) {
      release.call(this.sink, bn.runningVariances.ptr);
      release.call(this.sink, bn.runningMeans.ptr);
    }
    return { type: "affine", mode, gamma: bn.gamma, beta: bn.beta, disabled: false };
  }
}

function readLoss(r: DlibReader, n: LossNode): LossModel {
  const at = r.pos;
  const version = r.string("loss version string", 64);
  r.context = `${version} (loss, expected ${n.type})`;
  function mismatch(): never {
    return r.fail(`found loss '${version}' where the network type has '${n.type}'`, at);
  }
  const loss: LossModel = { kind: "loss", type: n.type, version, subnet: null as unknown as ModelNode };
  switch (n.type) {
    case "loss_metric":
      if (version === "loss_metric_2") {
        loss.margin = r.float("margin");
        loss.distanceThreshold = r.float("dist_thresh");
      } else if (version === "loss_metric_") {
        loss.margin = 0.1;
        loss.distanceThreshold = 0.75;
      } else mismatch();
      break;
    case "loss_multiclass_log":
      if (version !== "loss_multiclass_log_") mismatch();
      break;
    case "loss_binary_log":
      if (version !== "loss_binary_log_") mismatch();
      break;
    case "loss_mmod":
      if (version !== "loss_mmod_") mismatch();
      loss.mmod = readMmodOptions(r);
      break;
    default:
      mismatch();
  }
  return loss;
}

function readMmodOptions(r: DlibReader): MmodOptions {
  r.context = "mmod_options";
  const version = r.version("mmod_options version", [1, 2, 3, 4]);
  const windows: MmodOptions["detectorWindows"] = [];
  if (version === 1) {
    const width = r.uint("width");
    const height = r.uint("height");
    windows.push({ width, height, label: "" });
  } else {
    const at = r.pos;
    const count = r.uint("number of detector windows");
    if (count * 6 > r.remaining) r.fail(`${count} detector windows cannot fit in the ${r.remaining} bytes left`, at);
    for (let i = 0; i < count; i++) {
      const wv = r.version("detector window version", [1, 2]);
      const width = r.uint("width");
      const height = r.uint("height");
      const label = wv === 2 ? r.string("label", 4096) : "";
      windows.push({ width, height, label });
    }
  }
  const lossPerFalseAlarm = r.double("loss_per_false_alarm");
  const lossPerMissedTarget = r.double("loss_per_missed_target");
  const unit = (what: string) => {
    // dlib's test_box_overlap asserts thresholds in [0, 1]; out of range (e.g. NMS at 6.4) nothing is ever
    // suppressed and detection goes quadratic in the number of windows
    const at = r.pos;
    const v = r.double(what);
    if (!(v >= 0 && v <= 1)) r.fail(`${what} = ${v} is outside [0, 1]`, at);
    return v;
  };
  const truthMatchIouThreshold = r.double("truth_match_iou_threshold");
  const overlapsNms = { iouThresh: unit("overlaps_nms.iou_thresh"), percentCoveredThresh: unit("overlaps_nms.percent_covered_thresh") };
  const overlapsIgnore = { iouThresh: unit("overlaps_ignore.iou_thresh"), percentCoveredThresh: unit("overlaps_ignore.percent_covered_thresh") };
  let assumeImagePyramid = true;
  if (version >= 3) {
    const b = r.byte("assume_image_pyramid");
    if (b > 1) r.fail(`assume_image_pyramid must be 0 or 1, got ${b}`, r.pos - 1);
    assumeImagePyramid = b === 1;
  }
  let useBoundingBoxRegression = false;
  let bbrLambda = 100;
  if (version >= 4) {
    useBoundingBoxRegression = r.bool("use_bounding_box_regression");
    bbrLambda = r.double("bbr_lambda");
  }
  return { version, detectorWindows: windows, lossPerFalseAlarm, lossPerMissedTarget, truthMatchIouThreshold, overlapsNms, overlapsIgnore, assumeImagePyramid, useBoundingBoxRegression, bbrLambda };
}

function readInput(r: DlibReader, n: InputNode): InputModel {
  const at = r.pos;
  const version = r.string("input layer version string", 64);
  r.context = `${version} (input layer, expected ${n.type})`;
  function mismatch(): never {
    return r.fail(`found input layer '${version}' where the network type has '${n.type}'`, at);
  }
  const m: InputModel = { kind: "input", type: n.type, version, avgRed: 0, avgGreen: 0, avgBlue: 0 };
  switch (n.type) {
    case "input_rgb_image":
      if (version !== "input_rgb_image" && version !== "input_rgb_image_sized" && version !== "input_rgb_image_pair") mismatch();
      m.avgRed = r.float("avg_red");
      m.avgGreen = r.float("avg_green");
      m.avgBlue = r.float("avg_blue");
      if (version === "input_rgb_image_sized") {
        r.uint("nr");
        r.uint("nc");
      }
      break;
    case "input_rgb_image_sized": {
      if (version !== "input_rgb_image_sized") mismatch();
      m.avgRed = r.float("avg_red");
      m.avgGreen = r.float("avg_green");
      m.avgBlue = r.float("avg_blue");
      const p = r.pos;
      m.nr = r.uint("NR");
      m.nc = r.uint("NC");
      if (m.nr !== n.params.nr || m.nc !== n.params.nc) r.fail(`input size in file is ${m.nr}x${m.nc}; the network type says ${n.params.nr}x${n.params.nc}`, p);
      break;
    }
    case "input_rgb_image_pyramid":
      if (version !== "input_rgb_image_pyramid" && version !== "input_rgb_image_pyramid2") mismatch();
      m.avgRed = r.float("avg_red");
      m.avgGreen = r.float("avg_green");
      m.avgBlue = r.float("avg_blue");
      m.pyramidFactor = n.params.pyramid ?? 6;
      if (version === "input_rgb_image_pyramid2") {
        m.pyramidPadding = r.uint("pyramid_padding");
        m.pyramidOuterPadding = r.uint("pyramid_outer_padding");
      } else {
        m.pyramidPadding = 10;
        m.pyramidOuterPadding = 11;
      }
      break;
  }
  return m;
}

/** Number of dlib layer indices a node chain occupies (every add_layer, tag, skip and input counts one). */
export function countLayers(n: NetNode): number {
  let c = 0;
  let cur: NetNode | null = n;
  while (cur) {
    switch (cur.kind) {
      case "loss": cur = cur.subnet; break;
      case "layer": case "tag": case "skip": c++; cur = cur.subnet; break;
      case "repeat": c += cur.count * countLayers(cur.block); cur = cur.subnet; break;
      case "input": c++; cur = null; break;
      case "repeat_input": cur = null; break;
    }
  }
  return c;
}
