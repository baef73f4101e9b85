/**
 * A dlib network type as a tree, outermost (loss) first, exactly as the C++ template nests it.
 * Produced by the definition parser (`netdef.ts`) from dlib's own `using net_type = ...;` text; consumed by
 * the model reader (which needs the nesting, since dlib files carry no container type tags) and by the
 * runtime (which needs the tag/skip ids, which files do not store).
 *
 * Every `subnet` points towards the input. Layer parameters are the template arguments as dlib names them.
 */
export type NetNode = LossNode | LayerNode | TagNode | SkipNode | RepeatNode | InputNode | RepeatInputNode;

export type LossType = "loss_metric" | "loss_multiclass_log" | "loss_mmod" | "loss_binary_log" | "loss_mean_squared" | "loss_multiclass_log_per_pixel";

export interface LossNode {
  kind: "loss";
  type: LossType;
  subnet: NetNode;
}

/**
 * A computational layer (`add_layer<LAYER_, SUBNET>`). `type` is dlib's layer class without the trailing
 * underscore. Parameters by type (all integers):
 * - con: num_filters, nr, nc, stride_y, stride_x, padding_y, padding_x (padding defaults as dlib's con_:
 *   nr/2 resp. nc/2 when the stride is 1, else 0)
 * - fc: num_outputs, bias (1 = fc, 0 = fc_no_bias)
 * - max_pool / avg_pool: nr, nc, stride_y, stride_x, padding_y, padding_x (nr = nc = 0: the whole input,
 *   i.e. avg_pool_everything / max_pool_everything; padding defaults as dlib: nr/2 when stride 1 and
 *   nr != 0, else 0)
 * - bn_con / bn_fc / affine (mode: 0 CONV_MODE, 1 FC_MODE; for affine the mode comes from the file)
 * - relu, softmax, multiply (no parameters; multiply's value comes from the file), dropout
 * - add_prev: tag (the tag id, 1..10, or for `add_prev<tagN>` etc. the id of that tag)
 * - concat: tags (list of tag ids, via `tags`), see below
 */
export interface LayerNode {
  kind: "layer";
  type: LayerType;
  params: Record<string, number>;
  /** For concat: the tag ids in order (concat2<tag1,tag2,...> or concat_<tag...>). */
  tags?: number[];
  subnet: NetNode;
}

export type LayerType =
  | "con" | "fc" | "relu" | "max_pool" | "avg_pool" | "bn_con" | "bn_fc" | "affine"
  | "dropout" | "multiply" | "add_prev" | "concat" | "softmax";

/** `add_tag_layer<ID, SUBNET>` (tag1..tag10): remembers its input under `id`. */
export interface TagNode {
  kind: "tag";
  id: number;
  subnet: NetNode;
}

/** `add_skip_layer<TAG, SUBNET>` (skip1..skip10): outputs what tag `id` below it remembered. */
export interface SkipNode {
  kind: "skip";
  id: number;
  subnet: NetNode;
}

/**
 * `repeat<count, BLOCK, SUBNET>`: `count` copies of BLOCK stacked on SUBNET. `block` is BLOCK applied to a
 * `repeat_input` leaf (which stands for the output of the copy below it, or of `subnet` for the first).
 */
export interface RepeatNode {
  kind: "repeat";
  count: number;
  block: NetNode;
  subnet: NetNode;
}

export interface RepeatInputNode {
  kind: "repeat_input";
}

/**
 * Input layer. `input_rgb_image_sized` has nr/nc; `input_rgb_image_pyramid` has `pyramid` = the
 * pyramid_down<N> factor N (6 for dlib's MMOD detector).
 */
export interface InputNode {
  kind: "input";
  type: "input_rgb_image" | "input_rgb_image_sized" | "input_rgb_image_pyramid";
  params: Record<string, number>;
}

/** A parsed definition: the network tree plus the name it was given. */
export interface NetType {
  name: string;
  /** Definition source text (for error messages and `info`). */
  source: string;
  root: NetNode;
}
