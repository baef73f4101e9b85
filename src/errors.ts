/**
 * Typed errors. Every bad input is reported with one of these, naming the file (or source), the byte offset
 * or layer, and what was expected.
 */

/** A model file that is truncated, corrupt, of an unknown version, or not of the expected network type. */
export class DlibFormatError extends Error {
  override name = "DlibFormatError";
  /** File name or source description ("<bytes>" when unknown). */
  readonly file: string;
  /** Byte offset in the (decompressed) file where the problem was found, or -1. */
  readonly offset: number;
  /** The layer (dlib's printout, e.g. "con_5 #12") being read, or "". */
  readonly layer: string;
  constructor(message: string, opts: { file?: string; offset?: number; layer?: string } = {}) {
    const file = opts.file ?? "<bytes>";
    const offset = opts.offset ?? -1;
    const layer = opts.layer ?? "";
    super(`${file}${offset >= 0 ? ` @ byte ${offset}` : ""}${layer ? ` (${layer})` : ""}: ${message}`);
    this.file = file;
    this.offset = offset;
    this.layer = layer;
  }
}

/** An image that cannot be decoded, or exceeds the configured limits. */
export class ImageDecodeError extends Error {
  override name = "ImageDecodeError";
  readonly file: string;
  constructor(message: string, file = "<bytes>") {
    super(`${file}: ${message}`);
    this.file = file;
  }
}

/** A decompressed stream (bzip2, zlib) that is corrupt or larger than allowed. */
export class DecompressError extends Error {
  override name = "DecompressError";
  readonly file: string;
  readonly offset: number;
  constructor(message: string, file = "<bytes>", offset = -1) {
    super(`${file}${offset >= 0 ? ` @ byte ${offset}` : ""}: ${message}`);
    this.file = file;
    this.offset = offset;
  }
}

/** A network definition (C++ type text) that does not parse or uses an unknown template. */
export class NetDefinitionError extends Error {
  override name = "NetDefinitionError";
  constructor(message: string, readonly source = "<definition>", readonly line = -1, readonly column = -1) {
    super(`${source}${line >= 0 ? `:${line}:${column}` : ""}: ${message}`);
  }
}

/** A network used for a task it cannot do (e.g. a classifier given as a face descriptor model). */
export class WrongNetworkError extends Error {
  override name = "WrongNetworkError";
}

/** A limit (pixels, bytes, memory) was exceeded. */
export class LimitError extends Error {
  override name = "LimitError";
}
