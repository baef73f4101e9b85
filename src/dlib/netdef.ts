/**
 * A small parser for dlib network definitions written as C++ type aliases, e.g.
 *
 * ```c++
 * template <int N, template <typename> class BN, int stride, typename SUBNET>
 * using block = BN<con<N,3,3,1,1,relu<BN<con<N,3,3,stride,stride,SUBNET>>>>>;
 * ...
 * using net_type = loss_metric<fc_no_bias<128, avg_pool_everything< ... input_rgb_image_sized<150> >>>;
 * ```
 *
 * dlib model files carry no container type tags, so the C++ type is what tells the reader and the runtime
 * how the layers nest (and which tag/skip ids are used). Users give it as the C++ text they already have.
 *
 * Supported C++ subset: alias templates (`template <...> using X = ...;`) with integer, type and
 * template-template parameters (any signature, defaults allowed), plain aliases and `typedef`s,
 * `namespace` blocks and `using namespace`, struct/class templates whose members are alias templates
 * (as in Cydral's BAREL `densenet::def<relu, affine, 16>::backbone<...>`), integral constants
 * (`const long N = 3;`), integer constant expressions in template arguments (`+ - * / % ?: == != && || !`,
 * parentheses), `dlib::`/`std::` prefixes, `X::subnet_type`, comments and preprocessor lines. Any other
 * top-level statement (functions, variables, enums, ...) is skipped, so whole example programs can be
 * given. Expansion happens only for the selected network, so unsupported templates elsewhere are harmless.
 */
import { NetDefinitionError } from "../errors.js";
import type {
  InputNode,
  LayerNode,
  LayerType,
  LossNode,
  LossType,
  NetNode,
  NetType,
  RepeatNode,
  SkipNode,
  TagNode,
} from "./nettype.js";

export { NetDefinitionError };

// ------------------------------------------------------------------------------------------------
// Tokens

interface Pos {
  line: number;
  col: number;
}

type TokKind = "id" | "num" | "punct" | "str" | "eof";

interface Tok extends Pos {
  k: TokKind;
  v: string;
}

const PUNCT3 = ["..."];
const PUNCT2 = ["::", "==", "!=", "&&", "||", "->"];

class Ctx {
  constructor(
    readonly source: string,
    readonly text: string,
  ) {}
  fail(msg: string, at?: Pos): never {
    throw new NetDefinitionError(msg, this.source, at ? at.line : -1, at ? at.col : -1);
  }
}

function tokenize(text: string, ctx: Ctx): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  let line = 1;
  let col = 1;
  let lineStart = true; // only whitespace seen since the start of the line
  const n = text.length;
  const adv = (k: number): void => {
    for (let j = 0; j < k; j++) {
      if (text[i] === "\n") {
        line++;
        col = 1;
        lineStart = true;
      } else col++;
      i++;
    }
  };
  while (i < n) {
    const c = text[i]!;
    if (c === " " || c === "\t" || c === "\r" || c === "\n" || c === "\f" || c === "\v") {
      adv(1);
      continue;
    }
    if (c === "/" && text[i + 1] === "/") {
      while (i < n && text[i] !== "\n") adv(1);
      continue;
    }
    if (c === "/" && text[i + 1] === "*") {
      const at = { line, col };
      const end = text.indexOf("*/", i + 2);
      if (end < 0) ctx.fail("unterminated /* comment", at);
      adv(end + 2 - i);
      continue;
    }
    if (c === "#" && lineStart) {
      // preprocessor line, with backslash continuations
      while (i < n && text[i] !== "\n") {
        if (text[i] === "\\" && text[i + 1] === "\n") adv(2);
        else if (text[i] === "\\" && text[i + 1] === "\r" && text[i + 2] === "\n") adv(3);
        else adv(1);
      }
      continue;
    }
    lineStart = false;
    const at = { line, col };
    if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_]/.test(text[j]!)) j++;
      const v = text.slice(i, j);
      // raw string literal R"delim( ... )delim"
      if ((v === "R" || v === "u8R" || v === "LR" || v === "uR" || v === "UR") && text[j] === '"') {
        const open = text.indexOf("(", j);
        const delim = open < 0 ? "" : text.slice(j + 1, open);
        const close = open < 0 ? -1 : text.indexOf(")" + delim + '"', open);
        if (close < 0) ctx.fail("unterminated raw string literal", at);
        const end = close + delim.length + 2;
        toks.push({ k: "str", v: text.slice(i, end), ...at });
        adv(end - i);
        continue;
      }
      toks.push({ k: "id", v, ...at });
      adv(j - i);
      continue;
    }
    if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(text[i + 1] ?? ""))) {
      let j = i + 1;
      while (j < n) {
        const d = text[j]!;
        if (/[0-9A-Za-z_.]/.test(d)) j++;
        else if ((d === "+" || d === "-") && /[eEpP]/.test(text[j - 1]!) && !/^0[xX]/.test(text.slice(i, j))) j++;
        else if (d === "'" && /[0-9A-Fa-f]/.test(text[j + 1] ?? "")) j++;
        else break;
      }
      toks.push({ k: "num", v: text.slice(i, j), ...at });
      adv(j - i);
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < n && text[j] !== c) {
        if (text[j] === "\\") j++;
        if (text[j] === "\n") break;
        j++;
      }
      if (j >= n || text[j] !== c) ctx.fail(`unterminated ${c === '"' ? "string" : "character"} literal`, at);
      toks.push({ k: "str", v: text.slice(i, j + 1), ...at });
      adv(j + 1 - i);
      continue;
    }
    const three = text.slice(i, i + 3);
    const two = text.slice(i, i + 2);
    const p = PUNCT3.includes(three) ? three : PUNCT2.includes(two) ? two : c;
    toks.push({ k: "punct", v: p, ...at });
    adv(p.length);
  }
  toks.push({ k: "eof", v: "", line, col });
  return toks;
}

/** Integer value of a C++ integer literal, or NaN if it is not one (e.g. a floating literal). */
function parseIntLiteral(s: string): number {
  const t = s.replace(/'/g, "").replace(/(?:[uU](?:ll|LL|l|L|z|Z)?|(?:ll|LL|l|L|z|Z)[uU]?)$/, "");
  if (/^0[xX][0-9A-Fa-f]+$/.test(t)) return parseInt(t.slice(2), 16);
  if (/^0[bB][01]+$/.test(t)) return parseInt(t.slice(2), 2);
  if (/^0[0-7]*$/.test(t)) return parseInt(t, 8);
  if (/^[1-9][0-9]*$/.test(t)) return parseInt(t, 10);
  return NaN;
}

// ------------------------------------------------------------------------------------------------
// Syntax tree

interface Seg {
  name: string;
  args: Expr[] | null;
  at: Pos;
}

type Expr =
  | { t: "num"; n: number; raw: string; at: Pos }
  | { t: "name"; segs: Seg[]; at: Pos }
  | { t: "bin"; op: string; a: Expr; b: Expr; at: Pos }
  | { t: "un"; op: string; a: Expr; at: Pos }
  | { t: "cond"; c: Expr; a: Expr; b: Expr; at: Pos };

type ParamKind = "int" | "type" | "template";

interface ParamDecl {
  kind: ParamKind;
  name: string | null;
  def: Expr | null;
  variadic: boolean;
  at: Pos;
}

type Decl =
  | { d: "alias"; name: string; body: Expr; at: Pos }
  | { d: "aliasTemplate"; name: string; params: ParamDecl[]; body: Expr; at: Pos }
  | { d: "structTemplate"; name: string; params: ParamDecl[]; members: Decl[]; at: Pos }
  | { d: "scope"; name: string | null; members: Decl[]; at: Pos; isNamespace: boolean }
  | { d: "const"; name: string; body: Expr; at: Pos }
  | { d: "usingNamespace"; path: string[]; at: Pos };

/** Words that may make up the type of a non-type template parameter or of an integral constant. */
const INTEGRAL_WORDS = new Set([
  "int", "long", "short", "unsigned", "signed", "char", "bool", "size_t", "ssize_t", "std", "dlib",
  "int8_t", "int16_t", "int32_t", "int64_t", "uint8_t", "uint16_t", "uint32_t", "uint64_t", "uint",
  "ptrdiff_t", "fc_bias_mode", "layer_mode", "auto",
]);
const BUILTIN_TYPE_WORDS = new Set(["unsigned", "signed", "long", "short", "int", "char", "float", "double", "bool", "const", "volatile"]);

class Parser {
  private p = 0;
  constructor(
    private readonly toks: Tok[],
    private readonly ctx: Ctx,
  ) {}

  private peek(o = 0): Tok {
    return this.toks[Math.min(this.p + o, this.toks.length - 1)]!;
  }
  private next(): Tok {
    const t = this.peek();
    if (t.k !== "eof") this.p++;
    return t;
  }
  private isP(v: string, o = 0): boolean {
    const t = this.peek(o);
    return t.k === "punct" && t.v === v;
  }
  private isId(v?: string, o = 0): boolean {
    const t = this.peek(o);
    return t.k === "id" && (v === undefined || t.v === v);
  }
  private describe(t: Tok): string {
    return t.k === "eof" ? "end of input" : `'${t.v}'`;
  }
  private expectP(v: string, what: string): Tok {
    const t = this.peek();
    if (t.k !== "punct" || t.v !== v) this.ctx.fail(`expected '${v}' ${what}, found ${this.describe(t)}`, t);
    return this.next();
  }
  private expectId(what: string): Tok {
    const t = this.peek();
    if (t.k !== "id") this.ctx.fail(`expected ${what}, found ${this.describe(t)}`, t);
    return this.next();
  }

  parseFile(): Decl[] {
    const decls = this.parseDecls(false);
    return decls;
  }

  /** Declarations up to end of input, or up to (not including) the closing '}' when `inBraces`. */
  private parseDecls(inBraces: boolean): Decl[] {
    const out: Decl[] = [];
    for (;;) {
      const t = this.peek();
      if (t.k === "eof") {
        if (inBraces) this.ctx.fail("expected '}' before end of input", t);
        return out;
      }
      if (inBraces && t.k === "punct" && t.v === "}") return out;
      this.parseDecl(out);
    }
  }

  private parseDecl(out: Decl[]): void {
    const t = this.peek();
    if (t.k === "punct" && t.v === ";") {
      this.next();
      return;
    }
    if (t.k === "id") {
      switch (t.v) {
        case "using":
          this.parseUsing(out, null);
          return;
        case "typedef":
          this.parseTypedef(out);
          return;
        case "template":
          this.parseTemplate(out);
          return;
        case "namespace":
          this.parseNamespace(out);
          return;
        case "struct":
        case "class":
          this.parseClass(out, null);
          return;
        case "public":
        case "private":
        case "protected":
          if (this.isP(":", 1)) {
            this.next();
            this.next();
            return;
          }
          break;
        case "inline":
        case "export":
          if (this.isId("namespace", 1)) {
            this.next();
            this.parseNamespace(out);
            return;
          }
          break;
        default:
          if (this.tryConst(out)) return;
      }
    }
    this.skipStatement();
  }

  /** Skips one statement: up to ';' at depth 0, or up to and including a '{...}' block at depth 0. */
  private skipStatement(): void {
    let depth = 0;
    const start = this.peek();
    for (;;) {
      const t = this.next();
      if (t.k === "eof") {
        if (depth > 0) this.ctx.fail("unbalanced brackets: reached end of input inside a block", start);
        return;
      }
      if (t.k !== "punct") continue;
      if (t.v === "{" || t.v === "(" || t.v === "[") depth++;
      else if (t.v === "}" || t.v === ")" || t.v === "]") {
        depth--;
        if (depth < 0) this.ctx.fail(`unexpected '${t.v}'`, t);
        if (depth === 0 && t.v === "}") return;
      } else if (t.v === ";" && depth === 0) return;
    }
  }

  private parseUsing(out: Decl[], params: ParamDecl[] | null): void {
    const kw = this.next(); // using
    if (this.isId("namespace")) {
      this.next();
      const path = this.parseQualPath();
      this.expectP(";", "after 'using namespace'");
      if (params) this.ctx.fail("'using namespace' cannot be a template", kw);
      out.push({ d: "usingNamespace", path, at: kw });
      return;
    }
    const nameTok = this.expectId("an alias name after 'using'");
    if (!this.isP("=")) {
      // using-declaration (`using std::cout;`): nothing to define
      if (params) this.ctx.fail(`expected '=' after 'using ${nameTok.v}'`, this.peek());
      this.skipStatement();
      return;
    }
    this.next();
    const body = this.parseExpr();
    this.expectP(";", `at the end of 'using ${nameTok.v} = ...'`);
    if (params) out.push({ d: "aliasTemplate", name: nameTok.v, params, body, at: nameTok });
    else out.push({ d: "alias", name: nameTok.v, body, at: nameTok });
  }

  private parseTypedef(out: Decl[]): void {
    this.next(); // typedef
    const body = this.parseExpr();
    const nameTok = this.expectId("a type name at the end of 'typedef'");
    this.expectP(";", "after the typedef");
    out.push({ d: "alias", name: nameTok.v, body, at: nameTok });
  }

  private parseQualPath(): string[] {
    const path: string[] = [];
    if (this.isP("::")) this.next();
    path.push(this.expectId("a namespace name").v);
    while (this.isP("::")) {
      this.next();
      path.push(this.expectId("a name after '::'").v);
    }
    return path;
  }

  private parseNamespace(out: Decl[]): void {
    const kw = this.next(); // namespace
    let name: string | null = null;
    if (this.isId()) {
      const path = this.parseQualPath();
      if (this.isP("=")) {
        this.skipStatement(); // namespace alias
        return;
      }
      if (path.length > 1) {
        // namespace a::b { ... }
        this.expectP("{", "after the namespace name");
        const members = this.parseDecls(true);
        this.expectP("}", "to close the namespace");
        let inner: Decl = { d: "scope", name: path[path.length - 1]!, members, at: kw, isNamespace: true };
        for (let i = path.length - 2; i >= 0; i--) inner = { d: "scope", name: path[i]!, members: [inner], at: kw, isNamespace: true };
        out.push(inner);
        return;
      }
      name = path[0]!;
    }
    this.expectP("{", "after the namespace name");
    const members = this.parseDecls(true);
    this.expectP("}", "to close the namespace");
    out.push({ d: "scope", name, members, at: kw, isNamespace: true });
  }

  /** struct/class: only aliases (and nested declarations) inside are kept; anything else is skipped. */
  private parseClass(out: Decl[], params: ParamDecl[] | null): void {
    const save = this.p;
    this.next(); // struct | class
    if (this.isId()) {
      const nameTok = this.next();
      // optional 'final', base list
      if (this.isId("final")) this.next();
      if (this.isP(":")) {
        while (!this.isP("{") && !this.isP(";") && this.peek().k !== "eof") this.next();
      }
      if (this.isP("{")) {
        this.next();
        const members = this.parseDecls(true);
        this.expectP("}", `to close '${nameTok.v}'`);
        if (this.isP(";")) this.next();
        else this.skipStatement(); // `struct X {...} var;`
        if (params) out.push({ d: "structTemplate", name: nameTok.v, params, members, at: nameTok });
        else out.push({ d: "scope", name: nameTok.v, members, at: nameTok, isNamespace: false });
        return;
      }
    }
    this.p = save;
    this.skipStatement();
  }

  private parseTemplate(out: Decl[]): void {
    this.next(); // template
    if (!this.isP("<")) {
      // explicit instantiation `template class X<...>;`
      this.skipStatement();
      return;
    }
    const params = this.parseParamList();
    if (this.isId("using")) {
      this.parseUsing(out, params);
      return;
    }
    if (this.isId("struct") || this.isId("class")) {
      this.parseClass(out, params);
      return;
    }
    // function templates, variable templates, ...: skipped
    this.skipStatement();
  }

  /** `< param, ... >` of a template head. */
  private parseParamList(): ParamDecl[] {
    this.expectP("<", "to open the template parameter list");
    const params: ParamDecl[] = [];
    if (this.isP(">")) {
      this.next();
      return params;
    }
    for (;;) {
      params.push(this.parseParam());
      if (this.isP(",")) {
        this.next();
        continue;
      }
      this.expectP(">", "to close the template parameter list");
      return params;
    }
  }

  private parseParam(): ParamDecl {
    const at = this.peek();
    let kind: ParamKind;
    if (this.isId("template")) {
      this.next();
      this.parseParamList(); // the template-template parameter's own signature (not checked)
      if (!this.isId("class") && !this.isId("typename"))
        this.ctx.fail(`expected 'class' or 'typename' in a template template parameter, found ${this.describe(this.peek())}`, this.peek());
      this.next();
      kind = "template";
    } else if (this.isId("typename") || this.isId("class")) {
      this.next();
      kind = "type";
    } else {
      // non-type parameter: a sequence of type words (int, unsigned long, std::size_t, ...) then the name
      const words: Tok[] = [];
      while (this.isId() || this.isP("::")) {
        const t = this.next();
        if (t.k === "id") words.push(t);
      }
      if (words.length === 0) this.ctx.fail(`expected a template parameter, found ${this.describe(this.peek())}`, this.peek());
      // `int N`, `unsigned long N`, `std::size_t N`; in a signature (`template <int, ...>`) there is no name
      const last = words[words.length - 1]!;
      const name = INTEGRAL_WORDS.has(last.v) ? null : last.v;
      let variadic = false;
      if (this.isP("...")) {
        this.next();
        variadic = true;
      }
      let def: Expr | null = null;
      if (this.isP("=")) {
        this.next();
        def = this.parseExpr();
      }
      return { kind: "int", name, def, variadic, at };
    }
    let variadic = false;
    if (this.isP("...")) {
      this.next();
      variadic = true;
    }
    let name: string | null = null;
    if (this.isId()) name = this.next().v;
    let def: Expr | null = null;
    if (this.isP("=")) {
      this.next();
      def = this.parseExpr();
    }
    return { kind, name, def, variadic, at };
  }

  /** `[static|constexpr|const|inline]... integral-type NAME = expr;` — an integral constant. */
  private tryConst(out: Decl[]): boolean {
    const save = this.p;
    let sawQualifier = false;
    while (this.isId()) {
      const v = this.peek().v;
      if (v === "static" || v === "constexpr" || v === "const" || v === "inline") {
        sawQualifier = true;
        this.next();
      } else break;
    }
    const typeWords: string[] = [];
    while (this.isId() || this.isP("::")) {
      const t = this.peek();
      if (t.k === "id" && !INTEGRAL_WORDS.has(t.v)) break;
      this.next();
      if (t.k === "id") typeWords.push(t.v);
    }
    if (sawQualifier && typeWords.length > 0 && this.isId() && this.isP("=", 1)) {
      const nameTok = this.next();
      this.next(); // =
      // Only simple integer expressions are kept; anything else (a string, a call) is skipped.
      const start = this.p;
      try {
        const body = this.parseExpr();
        if (this.isP(";")) {
          this.next();
          out.push({ d: "const", name: nameTok.v, body, at: nameTok });
          return true;
        }
      } catch (e) {
        if (!(e instanceof NetDefinitionError)) throw e;
      }
      this.p = start;
      this.skipStatement();
      return true;
    }
    this.p = save;
    return false;
  }

  // ---- expressions (template arguments and alias bodies)

  parseExpr(): Expr {
    const c = this.parseBinary(0);
    if (this.isP("?")) {
      const q = this.next();
      const a = this.parseExpr();
      this.expectP(":", "in the conditional expression");
      const b = this.parseExpr();
      return { t: "cond", c, a, b, at: q };
    }
    return c;
  }

  private static readonly PREC: Record<string, number> = {
    "||": 1,
    "&&": 2,
    "==": 3,
    "!=": 3,
    "+": 4,
    "-": 4,
    "*": 5,
    "/": 5,
    "%": 5,
  };

  private parseBinary(minPrec: number): Expr {
    let a = this.parseUnary();
    for (;;) {
      const t = this.peek();
      const prec = t.k === "punct" ? Parser.PREC[t.v] : undefined;
      if (prec === undefined || prec < minPrec) break;
      this.next();
      const b = this.parseBinary(prec + 1);
      a = { t: "bin", op: t.v, a, b, at: t };
    }
    return a;
  }

  private parseUnary(): Expr {
    const t = this.peek();
    if (t.k === "punct" && (t.v === "-" || t.v === "+" || t.v === "!")) {
      this.next();
      return { t: "un", op: t.v, a: this.parseUnary(), at: t };
    }
    return this.parsePrimary();
  }

  private parsePrimary(): Expr {
    const t = this.peek();
    if (t.k === "num") {
      this.next();
      return { t: "num", n: parseIntLiteral(t.v), raw: t.v, at: t };
    }
    if (t.k === "punct" && t.v === "(") {
      this.next();
      const e = this.parseExpr();
      this.expectP(")", "to close the parenthesis");
      return e;
    }
    if (t.k === "id" && (t.v === "true" || t.v === "false")) {
      this.next();
      return { t: "num", n: t.v === "true" ? 1 : 0, raw: t.v, at: t };
    }
    if (t.k === "id" && BUILTIN_TYPE_WORDS.has(t.v)) {
      // `unsigned char`, `float`, `const T` ...: a fundamental type, kept as one name
      const words: string[] = [];
      while (this.isId() && BUILTIN_TYPE_WORDS.has(this.peek().v)) words.push(this.next().v);
      const rest = words.filter((w) => w !== "const" && w !== "volatile");
      if (rest.length === 0) return this.parsePrimary();
      return { t: "name", segs: [{ name: rest.join(" "), args: null, at: t }], at: t };
    }
    if ((t.k === "id") || (t.k === "punct" && t.v === "::")) {
      if (this.isId("typename")) this.next();
      const start = this.peek();
      if (this.isP("::")) this.next();
      const segs: Seg[] = [];
      for (;;) {
        if (this.isId("template") && segs.length > 0) this.next(); // X::template Y<...>
        const nameTok = this.expectId("a name");
        let args: Expr[] | null = null;
        if (this.isP("<")) args = this.parseArgs(nameTok.v);
        segs.push({ name: nameTok.v, args, at: nameTok });
        if (this.isP("::")) {
          this.next();
          continue;
        }
        break;
      }
      return { t: "name", segs, at: start };
    }
    this.ctx.fail(`expected a type or a constant expression, found ${this.describe(t)}`, t);
  }

  private parseArgs(of: string): Expr[] {
    const open = this.next(); // <
    const args: Expr[] = [];
    if (this.isP(">")) {
      this.next();
      return args;
    }
    for (;;) {
      if (this.peek().k === "eof") this.ctx.fail(`unterminated template argument list of '${of}' (opened at ${open.line}:${open.col}): expected '>', found end of input`, this.peek());
      args.push(this.parseExpr());
      if (this.isP(",")) {
        this.next();
        continue;
      }
      if (this.isP(">")) {
        this.next();
        return args;
      }
      const t = this.peek();
      if (t.k === "eof" || (t.k === "punct" && (t.v === ";" || t.v === "}" || t.v === "{")))
        this.ctx.fail(`unterminated template argument list of '${of}' (opened at ${open.line}:${open.col}): expected ',' or '>', found ${this.describe(t)}`, t);
      this.ctx.fail(`expected ',' or '>' in the template argument list of '${of}', found ${this.describe(t)}`, t);
    }
  }
}

// ------------------------------------------------------------------------------------------------
// Semantics: scopes, values, builtins

interface Scope {
  label: string;
  parent: Scope | null;
  names: Map<string, Entity>;
  usings: { path: string[]; at: Pos }[];
}

type Entity =
  | { e: "alias"; name: string; body: Expr; scope: Scope; at: Pos; cache?: Value; busy?: boolean }
  | { e: "aliasTemplate"; name: string; params: ParamDecl[]; body: Expr; scope: Scope; at: Pos }
  | { e: "structTemplate"; name: string; params: ParamDecl[]; members: Decl[]; scope: Scope; at: Pos }
  | { e: "scope"; name: string; scope: Scope; isNamespace: boolean }
  | { e: "const"; name: string; body: Expr; scope: Scope; at: Pos; cache?: Value; busy?: boolean }
  | { e: "value"; name: string; value: Value };

type TemplateRef =
  | { k: "alias"; ent: Extract<Entity, { e: "aliasTemplate" }> }
  | { k: "struct"; ent: Extract<Entity, { e: "structTemplate" }> }
  | { k: "builtin"; b: Builtin };

interface LayerDetails {
  v: "layer";
  name: string;
  type: LayerType;
  params: Record<string, number>;
  tags?: number[];
}

type Value =
  | { v: "int"; n: number }
  | { v: "net"; node: NetNode }
  | { v: "loss"; node: LossNode }
  | LayerDetails
  | { v: "lossd"; name: string; type: LossType }
  | { v: "pyramid"; n: number }
  | { v: "other"; name: string }
  | { v: "template"; name: string; t: TemplateRef }
  | { v: "scope"; name: string; scope: Scope };

interface BParam {
  kind: ParamKind;
  name: string;
  /** Default computed from the arguments before it. */
  def?: (args: Value[]) => Value;
}

interface Builtin {
  name: string;
  /** Template parameters; undefined for a non-template name (a type or constant). */
  params?: BParam[];
  /** Any number (>= 1) of template-template arguments (concat_). */
  variadicTemplates?: boolean;
  /** Non-template builtins: their value. */
  value?: () => Value;
  make?: (args: Value[], ats: Pos[], at: Pos, ev: Evaluator) => Value;
  /** A dlib name this implementation does not support: the reason. */
  unsupported?: string;
}

function describe(v: Value): string {
  switch (v.v) {
    case "int":
      return `the integer ${v.n}`;
    case "net":
      return v.node.kind === "repeat_input" ? "repeat's input" : `a network (${nodeName(v.node)} ...)`;
    case "loss":
      return `a network with a loss layer (${v.node.type})`;
    case "layer":
      return `the layer details '${v.name}'`;
    case "lossd":
      return `the loss details '${v.name}'`;
    case "pyramid":
      return `pyramid_down<${v.n}>`;
    case "other":
      return `the type '${v.name}'`;
    case "template":
      return `the template '${v.name}' (used without template arguments)`;
    case "scope":
      return `the namespace/struct '${v.name}'`;
  }
}

function nodeName(n: NetNode): string {
  switch (n.kind) {
    case "loss":
      return n.type;
    case "layer":
      return layerName(n);
    case "tag":
      return `tag${n.id}`;
    case "skip":
      return `skip${n.id}`;
    case "repeat":
      return `repeat<${n.count}>`;
    case "input":
      return n.type;
    case "repeat_input":
      return "repeat_input";
  }
}

function layerName(n: LayerNode): string {
  if (n.type === "fc") return n.params.bias === 0 ? "fc_no_bias" : "fc";
  if (n.type === "add_prev") return `add_prev${n.params.tag}`;
  return n.type;
}

const P = (kind: ParamKind, name: string, def?: (a: Value[]) => Value): BParam => ({ kind, name, def });
const int = (n: number): Value => ({ v: "int", n });
const ival = (v: Value): number => (v as { n: number }).n;

const MAX_DEPTH = 4000;

class Evaluator {
  private depth = 0;
  constructor(
    readonly ctx: Ctx,
    readonly builtins: Map<string, Builtin>,
  ) {}

  fail(msg: string, at?: Pos): never {
    this.ctx.fail(msg, at);
  }

  // ---- lookup

  private lookupIn(scope: Scope, name: string, seen: Set<Scope>): Entity | undefined {
    if (seen.has(scope)) return undefined;
    seen.add(scope);
    const e = scope.names.get(name);
    if (e) return e;
    for (const u of scope.usings) {
      const target = this.resolveNamespace(u.path, scope);
      if (target) {
        const f = this.lookupIn(target, name, seen);
        if (f) return f;
      }
    }
    return undefined;
  }

  /** Unqualified lookup: scope chain (with using-directives), then dlib's names. */
  lookup(name: string, scope: Scope): Entity | Builtin | undefined {
    for (let s: Scope | null = scope; s; s = s.parent) {
      const e = this.lookupIn(s, name, new Set());
      if (e) return e;
    }
    return this.builtins.get(name);
  }

  private resolveNamespace(path: string[], from: Scope): Scope | undefined {
    let cur: Scope | undefined;
    for (let s: Scope | null = from; s && !cur; s = s.parent) {
      const e = s.names.get(path[0]!);
      if (e && e.e === "scope") cur = e.scope;
    }
    for (let i = 1; cur && i < path.length; i++) {
      const e = cur.names.get(path[i]!);
      cur = e && e.e === "scope" ? e.scope : undefined;
    }
    return cur;
  }

  // ---- evaluation

  evalExpr(e: Expr, scope: Scope): Value {
    switch (e.t) {
      case "num":
        if (!Number.isFinite(e.n)) this.fail(`'${e.raw}' is not an integer literal`, e.at);
        return int(e.n);
      case "un": {
        const a = this.evalInt(e.a, scope, `operand of '${e.op}'`);
        return int(e.op === "-" ? -a : e.op === "+" ? a : a === 0 ? 1 : 0);
      }
      case "bin": {
        const a = this.evalInt(e.a, scope, `left operand of '${e.op}'`);
        const b = this.evalInt(e.b, scope, `right operand of '${e.op}'`);
        switch (e.op) {
          case "+":
            return int(a + b);
          case "-":
            return int(a - b);
          case "*":
            return int(a * b);
          case "/":
            if (b === 0) this.fail("division by zero", e.at);
            return int(Math.trunc(a / b));
          case "%":
            if (b === 0) this.fail("division by zero", e.at);
            return int(a % b);
          case "==":
            return int(a === b ? 1 : 0);
          case "!=":
            return int(a !== b ? 1 : 0);
          case "&&":
            return int(a !== 0 && b !== 0 ? 1 : 0);
          case "||":
            return int(a !== 0 || b !== 0 ? 1 : 0);
        }
        return this.fail(`unsupported operator '${e.op}'`, e.at);
      }
      case "cond": {
        const c = this.evalInt(e.c, scope, "condition of '?:'");
        return c !== 0 ? this.evalExpr(e.a, scope) : this.evalExpr(e.b, scope);
      }
      case "name":
        return this.evalName(e, scope);
    }
  }

  private evalInt(e: Expr, scope: Scope, what: string): number {
    const v = this.evalExpr(e, scope);
    if (v.v !== "int") this.fail(`expected an integer as ${what}, got ${describe(v)}`, e.at);
    return v.n;
  }

  private evalName(e: Extract<Expr, { t: "name" }>, scope: Scope): Value {
    const segs = e.segs;
    let i = 0;
    let cur: Value;
    const first = segs[0]!;
    if ((first.name === "dlib" || first.name === "std") && segs.length > 1 && first.args === null && !this.lookupUser(first.name, scope)) {
      // dlib::X / std::X: dlib's own names
      const seg = segs[1]!;
      const b = this.builtins.get(seg.name);
      if (!b) this.unknown(seg, `${first.name}::`);
      cur = this.applyEntity(b, seg, scope);
      i = 2;
    } else {
      const ent = this.lookup(first.name, scope);
      if (!ent) this.unknown(first, "");
      cur = this.applyEntity(ent, first, scope);
      i = 1;
    }
    for (; i < segs.length; i++) {
      const seg = segs[i]!;
      if (cur.v === "scope") {
        const ent = this.lookupIn(cur.scope, seg.name, new Set());
        if (!ent) this.fail(`'${cur.name}' has no member named '${seg.name}'`, seg.at);
        cur = this.applyEntity(ent, seg, scope);
      } else if ((cur.v === "net" || cur.v === "loss") && seg.name === "subnet_type" && seg.args === null) {
        const node = cur.node;
        if (node.kind === "loss" || node.kind === "layer" || node.kind === "tag" || node.kind === "skip" || node.kind === "repeat") cur = { v: "net", node: node.subnet };
        else this.fail(`${nodeName(node)} has no subnet_type`, seg.at);
      } else {
        this.fail(`cannot look up '${seg.name}' in ${describe(cur)}`, seg.at);
      }
    }
    return cur;
  }

  private lookupUser(name: string, scope: Scope): Entity | undefined {
    for (let s: Scope | null = scope; s; s = s.parent) {
      const e = this.lookupIn(s, name, new Set());
      if (e) return e;
    }
    return undefined;
  }

  private unknown(seg: Seg, prefix: string): never {
    this.fail(`unknown name '${prefix}${seg.name}'${seg.args ? " (template)" : ""}: not declared in the definition and not a dlib layer, loss or input this parser knows`, seg.at);
  }

  private enter(at: Pos): void {
    if (++this.depth > MAX_DEPTH) this.fail("template expansion too deep (recursive alias?)", at);
  }
  private leave(): void {
    this.depth--;
  }

  /** Value of a name reference `seg` (with or without template arguments) that resolved to `ent`. */
  private applyEntity(ent: Entity | Builtin, seg: Seg, scope: Scope): Value {
    const evalArgs = (): { vals: Value[]; ats: Pos[] } => ({
      vals: (seg.args ?? []).map((a) => this.evalExpr(a, scope)),
      ats: (seg.args ?? []).map((a) => a.at),
    });
    if (!("e" in ent)) {
      const b = ent;
      if (b.unsupported) this.fail(`'${b.name}' is not supported: ${b.unsupported}`, seg.at);
      if (!b.params && !b.variadicTemplates) {
        if (seg.args) this.fail(`'${b.name}' is not a template, but template arguments were given`, seg.at);
        return b.value!();
      }
      const t: Value = { v: "template", name: b.name, t: { k: "builtin", b } };
      if (!seg.args) return t;
      const { vals, ats } = evalArgs();
      return this.instantiate(t, vals, ats, seg.at);
    }
    switch (ent.e) {
      case "alias":
      case "const": {
        if (seg.args) this.fail(`'${ent.name}' is not a template, but template arguments were given`, seg.at);
        if (ent.cache) return ent.cache;
        if (ent.busy) this.fail(`'${ent.name}' is defined in terms of itself`, seg.at);
        ent.busy = true;
        this.enter(seg.at);
        try {
          const v = this.evalExpr(ent.body, ent.scope);
          if (ent.e === "const" && v.v !== "int") this.fail(`constant '${ent.name}' is not an integer`, ent.at);
          ent.cache = v;
          return v;
        } finally {
          ent.busy = false;
          this.leave();
        }
      }
      case "scope":
        if (seg.args) this.fail(`'${ent.name}' is not a template, but template arguments were given`, seg.at);
        return { v: "scope", name: ent.name, scope: ent.scope };
      case "value": {
        if (!seg.args) return ent.value;
        if (ent.value.v !== "template") this.fail(`template parameter '${ent.name}' is ${describe(ent.value)}, not a template, but template arguments were given`, seg.at);
        const { vals, ats } = evalArgs();
        return this.instantiate(ent.value, vals, ats, seg.at);
      }
      case "aliasTemplate":
      case "structTemplate": {
        const t: Value =
          ent.e === "aliasTemplate"
            ? { v: "template", name: ent.name, t: { k: "alias", ent } }
            : { v: "template", name: ent.name, t: { k: "struct", ent } };
        if (!seg.args) return t;
        const { vals, ats } = evalArgs();
        return this.instantiate(t, vals, ats, seg.at);
      }
    }
  }

  private checkKind(kind: ParamKind, v: Value, pname: string, tname: string, at: Pos): void {
    const ok =
      kind === "int" ? v.v === "int" : kind === "template" ? v.v === "template" : v.v !== "int" && v.v !== "template" && v.v !== "scope";
    if (!ok) {
      const want = kind === "int" ? "an integer" : kind === "template" ? "a template name (e.g. relu, affine, tag1)" : "a type";
      this.fail(`template argument '${pname}' of '${tname}' must be ${want}, got ${describe(v)}`, at);
    }
  }

  /** Instantiates template value `t` with already evaluated arguments. */
  instantiate(t: Extract<Value, { v: "template" }>, args: Value[], ats: Pos[], at: Pos): Value {
    this.enter(at);
    try {
      const ref = t.t;
      if (ref.k === "builtin") {
        const b = ref.b;
        if (b.variadicTemplates) {
          if (args.length === 0) this.fail(`'${b.name}' needs at least one tag template argument`, at);
          args.forEach((a, i) => this.checkKind("template", a, `#${i + 1}`, b.name, ats[i]!));
          return b.make!(args, ats, at, this);
        }
        const params = b.params!;
        const required = params.filter((p) => !p.def).length;
        if (args.length > params.length || args.length < required)
          this.fail(
            `wrong number of template arguments for '${b.name}': expected ${required === params.length ? params.length : `${required} to ${params.length}`} (${params.map((p) => p.name).join(", ")}), got ${args.length}`,
            at,
          );
        const full = args.slice();
        const fullAts = ats.slice();
        for (let i = 0; i < params.length; i++) {
          if (i >= full.length) {
            full.push(params[i]!.def!(full));
            fullAts.push(at);
          }
          this.checkKind(params[i]!.kind, full[i]!, params[i]!.name, b.name, fullAts[i]!);
        }
        return b.make!(full, fullAts, at, this);
      }
      const ent = ref.ent;
      const params = ent.params;
      const variadic = params.some((p) => p.variadic);
      const required = params.filter((p) => !p.def && !p.variadic).length;
      if ((!variadic && args.length > params.length) || args.length < required)
        this.fail(
          `wrong number of template arguments for '${ent.name}' (declared at ${ent.at.line}:${ent.at.col}): expected ${required === params.length ? params.length : `at least ${required}`}, got ${args.length}`,
          at,
        );
      if (variadic) this.fail(`variadic template '${ent.name}' is not supported`, at);
      const scope: Scope = { label: `${ent.name}<...>`, parent: ent.scope, names: new Map(), usings: [] };
      for (let i = 0; i < params.length; i++) {
        const p = params[i]!;
        let v: Value;
        let vat: Pos;
        if (i < args.length) {
          v = args[i]!;
          vat = ats[i]!;
        } else {
          v = this.evalExpr(p.def!, scope);
          vat = p.def!.at;
        }
        this.checkKind(p.kind, v, p.name ?? `#${i + 1}`, ent.name, vat);
        if (p.name) scope.names.set(p.name, { e: "value", name: p.name, value: v });
      }
      if (ent.e === "aliasTemplate") return this.evalExpr(ent.body, scope);
      bindDecls(ent.members, scope, null, "");
      return { v: "scope", name: `${ent.name}<...>`, scope };
    } finally {
      this.leave();
    }
  }

  /** The tag id of a tag template (tag1..tag10, add_tag_layer<ID>-based aliases). */
  tagId(t: Value, at: Pos, what: string): number {
    if (t.v !== "template") this.fail(`${what} must be a tag template (tag1 ... tag10), got ${describe(t)}`, at);
    const probe: Value = { v: "net", node: { kind: "repeat_input" } };
    let r: Value;
    try {
      r = this.instantiate(t, [probe], [at], at);
    } catch (e) {
      if (e instanceof NetDefinitionError) this.fail(`${what} must be a tag template (tag1 ... tag10), got '${t.name}'`, at);
      throw e;
    }
    if (r.v !== "net" || r.node.kind !== "tag") this.fail(`${what} must be a tag template (tag1 ... tag10), got '${t.name}'`, at);
    return r.node.id;
  }

  /** Requires a (non-loss) network value for a SUBNET argument. */
  subnet(v: Value, at: Pos, of: string): NetNode {
    if (v.v === "net") return v.node;
    if (v.v === "loss") this.fail(`the SUBNET of '${of}' cannot be a network with a loss layer (${v.node.type})`, at);
    this.fail(`the SUBNET of '${of}' must be a network or an input layer, got ${describe(v)}`, at);
  }
}

// ------------------------------------------------------------------------------------------------
// dlib's names

function padDefault(sizeIdx: number, strideIdx: number): (a: Value[]) => Value {
  return (a) => int(ival(a[strideIdx]!) !== 1 ? 0 : Math.trunc(ival(a[sizeIdx]!) / 2));
}

function makeBuiltins(): Map<string, Builtin> {
  const m = new Map<string, Builtin>();
  const add = (b: Builtin): void => {
    m.set(b.name, b);
  };
  const SUB = P("type", "SUBNET");

  const layer = (name: string, type: LayerType, params: Record<string, number> = {}, tags?: number[]): LayerDetails => {
    const d: LayerDetails = { v: "layer", name, type, params };
    if (tags) d.tags = tags;
    return d;
  };
  const mkLayer = (d: LayerDetails, sub: NetNode): Value => {
    const node: LayerNode = { kind: "layer", type: d.type, params: { ...d.params }, subnet: sub };
    if (d.tags) node.tags = d.tags.slice();
    return { v: "net", node };
  };

  // ---- layer details (X_) and validation as dlib's static_asserts
  const conDetails = (a: Value[], ats: Pos[], at: Pos, ev: Evaluator, name: string): LayerDetails => {
    const [nf, nr, nc, sy, sx, py, px] = a.map(ival) as [number, number, number, number, number, number, number];
    const pos = (i: number): Pos => ats[i] ?? at;
    if (nf <= 0) return ev.fail(`${name}: the number of filters must be > 0 (got ${nf})`, pos(0));
    if (nr < 0 || nc < 0) return ev.fail(`${name}: the filter size must be >= 0 (got ${nr}x${nc})`, pos(1));
    if (sy <= 0 || sx <= 0) return ev.fail(`${name}: the stride must be > 0 (got ${sy},${sx})`, pos(3));
    checkPadding(name, nr, nc, py, px, pos(5), pos(6), ev);
    return layer(name, "con", { num_filters: nf, nr, nc, stride_y: sy, stride_x: sx, padding_y: py, padding_x: px });
  };
  const poolDetails = (type: "max_pool" | "avg_pool", a: Value[], ats: Pos[], at: Pos, ev: Evaluator, name: string): LayerDetails => {
    const [nr, nc, sy, sx, py, px] = a.map(ival) as [number, number, number, number, number, number];
    const pos = (i: number): Pos => ats[i] ?? at;
    if (nr < 0 || nc < 0) return ev.fail(`${name}: the window size must be >= 0 (got ${nr}x${nc})`, pos(0));
    if (sy <= 0 || sx <= 0) return ev.fail(`${name}: the stride must be > 0 (got ${sy},${sx})`, pos(2));
    checkPadding(name, nr, nc, py, px, pos(4), pos(5), ev);
    return layer(name, type, { nr, nc, stride_y: sy, stride_x: sx, padding_y: py, padding_x: px });
  };
  /** dlib's static_asserts: 0 <= padding < size, and padding 0 when the size is 0. */
  function checkPadding(name: string, nr: number, nc: number, py: number, px: number, atY: Pos, atX: Pos, ev: Evaluator): void {
    const okY = nr === 0 ? py === 0 : py >= 0 && py < nr;
    const okX = nc === 0 ? px === 0 : px >= 0 && px < nc;
    if (!okY) return ev.fail(`${name}: padding_y ${py} must be >= 0 and smaller than the filter size ${nr} (0 when the size is 0)`, atY);
    if (!okX) return ev.fail(`${name}: padding_x ${px} must be >= 0 and smaller than the filter size ${nc} (0 when the size is 0)`, atX);
  }

  add({
    name: "con_",
    params: [P("int", "num_filters"), P("int", "nr"), P("int", "nc"), P("int", "stride_y"), P("int", "stride_x"), P("int", "padding_y", padDefault(1, 3)), P("int", "padding_x", padDefault(2, 4))],
    make: (a, ats, at, ev) => conDetails(a, ats, at, ev, "con_"),
  });
  for (const type of ["max_pool", "avg_pool"] as const) {
    add({
      name: `${type}_`,
      params: [P("int", "nr"), P("int", "nc"), P("int", "stride_y"), P("int", "stride_x"), P("int", "padding_y", padDefault(0, 2)), P("int", "padding_x", padDefault(1, 3))],
      make: (a, ats, at, ev) => poolDetails(type, a, ats, at, ev, `${type}_`),
    });
  }
  add({
    name: "fc_",
    params: [P("int", "num_outputs"), P("int", "bias_mode")],
    make: (a, ats, at, ev) => {
      const n = ival(a[0]!);
      const mode = ival(a[1]!);
      if (n <= 0) return ev.fail(`fc_: the number of outputs must be > 0 (got ${n})`, ats[0] ?? at);
      if (mode !== 0 && mode !== 1) return ev.fail(`fc_: bias_mode must be FC_HAS_BIAS (0) or FC_NO_BIAS (1), got ${mode}`, ats[1] ?? at);
      return layer("fc_", "fc", { num_outputs: n, bias: mode === 0 ? 1 : 0 });
    },
  });
  add({
    name: "bn_",
    params: [P("int", "mode")],
    make: (a, ats, at, ev) => {
      const mode = ival(a[0]!);
      if (mode !== 0 && mode !== 1) return ev.fail(`bn_: mode must be CONV_MODE (0) or FC_MODE (1), got ${mode}`, ats[0] ?? at);
      return layer("bn_", mode === 0 ? "bn_con" : "bn_fc", { mode });
    },
  });
  for (const t of ["relu", "affine", "dropout", "multiply", "softmax"] as const) add({ name: `${t}_`, value: () => layer(`${t}_`, t) });
  add({
    name: "add_prev_",
    params: [P("template", "tag")],
    make: (a, ats, at, ev) => layer("add_prev_", "add_prev", { tag: ev.tagId(a[0]!, ats[0] ?? at, "the tag of add_prev_") }),
  });
  add({
    name: "concat_",
    variadicTemplates: true,
    make: (a, ats, at, ev) =>
      layer("concat_", "concat", {}, a.map((t, i) => ev.tagId(t, ats[i] ?? at, `tag #${i + 1} of concat_`))),
  });
  for (const [n, v] of [["FC_HAS_BIAS", 0], ["FC_NO_BIAS", 1], ["CONV_MODE", 0], ["FC_MODE", 1]] as const) add({ name: n, value: () => int(v) });

  // ---- containers
  add({
    name: "add_layer",
    params: [P("type", "LAYER_DETAILS"), SUB],
    make: (a, ats, at, ev) => {
      const d = a[0]!;
      if (d.v !== "layer") return ev.fail(`the first argument of add_layer must be layer details such as con_<...> or relu_, got ${describe(d)}`, ats[0] ?? at);
      return mkLayer(d, ev.subnet(a[1]!, ats[1] ?? at, "add_layer"));
    },
  });
  add({
    name: "add_loss_layer",
    params: [P("type", "LOSS_DETAILS"), SUB],
    make: (a, ats, at, ev) => {
      const d = a[0]!;
      if (d.v !== "lossd") return ev.fail(`the first argument of add_loss_layer must be loss details such as loss_metric_, got ${describe(d)}`, ats[0] ?? at);
      const node: LossNode = { kind: "loss", type: d.type, subnet: ev.subnet(a[1]!, ats[1] ?? at, "add_loss_layer") };
      return { v: "loss", node };
    },
  });
  add({
    name: "add_tag_layer",
    params: [P("int", "ID"), SUB],
    make: (a, ats, at, ev) => {
      const node: TagNode = { kind: "tag", id: ival(a[0]!), subnet: ev.subnet(a[1]!, ats[1] ?? at, "add_tag_layer") };
      return { v: "net", node };
    },
  });
  add({
    name: "add_skip_layer",
    params: [P("template", "TAG_TYPE"), SUB],
    make: (a, ats, at, ev) => {
      const node: SkipNode = { kind: "skip", id: ev.tagId(a[0]!, ats[0] ?? at, "the tag of add_skip_layer"), subnet: ev.subnet(a[1]!, ats[1] ?? at, "add_skip_layer") };
      return { v: "net", node };
    },
  });
  add({
    name: "repeat",
    params: [P("int", "num"), P("template", "REPEATED_LAYER"), SUB],
    make: (a, ats, at, ev) => {
      const count = ival(a[0]!);
      if (count <= 0) return ev.fail(`repeat: the number of repetitions must be > 0 (got ${count})`, ats[0] ?? at);
      const t = a[1] as Extract<Value, { v: "template" }>;
      const blk = ev.instantiate(t, [{ v: "net", node: { kind: "repeat_input" } }], [ats[1] ?? at], ats[1] ?? at);
      if (blk.v !== "net") return ev.fail(`repeat: '${t.name}' applied to a network must give a network, got ${describe(blk)}`, ats[1] ?? at);
      if (blk.node.kind === "repeat_input") return ev.fail(`repeat: '${t.name}' adds no layers`, ats[1] ?? at);
      const node: RepeatNode = { kind: "repeat", count, block: blk.node, subnet: ev.subnet(a[2]!, ats[2] ?? at, "repeat") };
      return { v: "net", node };
    },
  });

  // ---- layer aliases
  const alias1 = (name: string, details: () => LayerDetails): void =>
    add({ name, params: [SUB], make: (a, ats, at, ev) => mkLayer(details(), ev.subnet(a[0]!, ats[0] ?? at, name)) });
  for (const t of ["relu", "affine", "dropout", "multiply", "softmax"] as const) alias1(t, () => layer(`${t}_`, t));
  alias1("bn_con", () => layer("bn_", "bn_con", { mode: 0 }));
  alias1("bn_fc", () => layer("bn_", "bn_fc", { mode: 1 }));
  add({
    name: "con",
    params: [P("int", "num_filters"), P("int", "nr"), P("int", "nc"), P("int", "stride_y"), P("int", "stride_x"), SUB],
    make: (a, ats, at, ev) => {
      const full = [...a.slice(0, 5), padDefault(1, 3)(a), padDefault(2, 4)(a)];
      return mkLayer(conDetails(full, ats.slice(0, 5), at, ev, "con"), ev.subnet(a[5]!, ats[5] ?? at, "con"));
    },
  });
  for (const [name, bias] of [["fc", 1], ["fc_no_bias", 0]] as const) {
    add({
      name,
      params: [P("int", "num_outputs"), SUB],
      make: (a, ats, at, ev) => {
        const n = ival(a[0]!);
        if (n <= 0) return ev.fail(`${name}: the number of outputs must be > 0 (got ${n})`, ats[0] ?? at);
        return mkLayer(layer("fc_", "fc", { num_outputs: n, bias }), ev.subnet(a[1]!, ats[1] ?? at, name));
      },
    });
  }
  for (const type of ["max_pool", "avg_pool"] as const) {
    add({
      name: type,
      params: [P("int", "nr"), P("int", "nc"), P("int", "stride_y"), P("int", "stride_x"), SUB],
      make: (a, ats, at, ev) => {
        const full = [...a.slice(0, 4), padDefault(0, 2)(a), padDefault(1, 3)(a)];
        return mkLayer(poolDetails(type, full, ats.slice(0, 4), at, ev, type), ev.subnet(a[4]!, ats[4] ?? at, type));
      },
    });
    add({
      name: `${type}_everything`,
      params: [SUB],
      make: (a, ats, at, ev) =>
        mkLayer(layer(`${type}_`, type, { nr: 0, nc: 0, stride_y: 1, stride_x: 1, padding_y: 0, padding_x: 0 }), ev.subnet(a[0]!, ats[0] ?? at, `${type}_everything`)),
    });
  }
  add({
    name: "add_prev",
    params: [P("template", "tag"), SUB],
    make: (a, ats, at, ev) => mkLayer(layer("add_prev_", "add_prev", { tag: ev.tagId(a[0]!, ats[0] ?? at, "the tag of add_prev") }), ev.subnet(a[1]!, ats[1] ?? at, "add_prev")),
  });
  for (let i = 1; i <= 10; i++) {
    add({ name: `tag${i}`, params: [SUB], make: (a, ats, at, ev) => ({ v: "net", node: { kind: "tag", id: i, subnet: ev.subnet(a[0]!, ats[0] ?? at, `tag${i}`) } }) });
    add({ name: `skip${i}`, params: [SUB], make: (a, ats, at, ev) => ({ v: "net", node: { kind: "skip", id: i, subnet: ev.subnet(a[0]!, ats[0] ?? at, `skip${i}`) } }) });
    alias1(`add_prev${i}`, () => layer("add_prev_", "add_prev", { tag: i }));
    add({ name: `add_prev${i}_`, value: () => layer("add_prev_", "add_prev", { tag: i }) });
  }
  for (let n = 2; n <= 5; n++) {
    const params: BParam[] = [];
    for (let i = 1; i <= n; i++) params.push(P("template", `TAG${i}`));
    params.push(SUB);
    add({
      name: `concat${n}`,
      params,
      make: (a, ats, at, ev) =>
        mkLayer(
          layer("concat_", "concat", {}, a.slice(0, n).map((t, i) => ev.tagId(t, ats[i] ?? at, `tag #${i + 1} of concat${n}`))),
          ev.subnet(a[n]!, ats[n] ?? at, `concat${n}`),
        ),
    });
  }

  // ---- losses
  const losses: LossType[] = ["loss_metric", "loss_multiclass_log", "loss_mmod", "loss_binary_log", "loss_mean_squared", "loss_multiclass_log_per_pixel"];
  for (const l of losses) {
    add({ name: `${l}_`, value: () => ({ v: "lossd", name: `${l}_`, type: l }) });
    add({
      name: l,
      params: [SUB],
      make: (a, ats, at, ev) => ({ v: "loss", node: { kind: "loss", type: l, subnet: ev.subnet(a[0]!, ats[0] ?? at, l) } }),
    });
  }

  // ---- inputs
  add({ name: "input_rgb_image", value: () => ({ v: "net", node: { kind: "input", type: "input_rgb_image", params: {} } as InputNode }) });
  add({
    name: "input_rgb_image_sized",
    params: [P("int", "NR"), P("int", "NC", (a) => a[0]!)],
    make: (a, ats, at, ev) => {
      const nr = ival(a[0]!);
      const nc = ival(a[1]!);
      if (nr <= 0 || nc <= 0) return ev.fail(`input_rgb_image_sized: the input image can't be empty (got ${nr}x${nc})`, ats[0] ?? at);
      return { v: "net", node: { kind: "input", type: "input_rgb_image_sized", params: { nr, nc } } };
    },
  });
  add({
    name: "input_rgb_image_pyramid",
    params: [P("type", "PYRAMID_TYPE")],
    make: (a, ats, at, ev) => {
      const p = a[0]!;
      if (p.v !== "pyramid") return ev.fail(`input_rgb_image_pyramid needs pyramid_down<N>, got ${describe(p)}`, ats[0] ?? at);
      return { v: "net", node: { kind: "input", type: "input_rgb_image_pyramid", params: { pyramid: p.n } } };
    },
  });
  add({
    name: "pyramid_down",
    params: [P("int", "N")],
    make: (a, ats, at, ev) => {
      const n = ival(a[0]!);
      if (n <= 0) return ev.fail(`pyramid_down<N> needs N > 0 (got ${n})`, ats[0] ?? at);
      return { v: "pyramid", n };
    },
  });
  for (const t of ["rgb_pixel", "bgr_pixel", "rgb_alpha_pixel", "matrix", "array2d", "float", "double", "unsigned char"]) {
    if (t === "matrix" || t === "array2d") add({ name: t, params: [P("type", "T"), P("int", "NR", () => int(0)), P("int", "NC", () => int(0)), P("type", "MM", () => ({ v: "other", name: "MM" })), P("type", "L", () => ({ v: "other", name: "L" }))], make: () => ({ v: "other", name: t }) });
    else add({ name: t, value: () => ({ v: "other", name: t }) });
  }

  // ---- dlib names that exist but are not implemented here
  const unsupportedLayers = [
    "prelu", "leaky_relu", "sig", "htan", "mish", "gelu", "elu", "clipped_relu", "smelu", "silu", "softmax_all",
    "cont", "upsample", "resize_to", "layer_norm", "l2normalize", "extract", "reorg", "mult_prev", "scale", "scale_prev",
    "resize_prev_to_tagged", "positional_encodings", "embeddings", "rms_norm", "tril", "transpose", "linear",
  ];
  const why = "this layer type is not implemented by dlib-face-wasm (supported: con, fc, fc_no_bias, relu, bn_con, bn_fc, affine, dropout, multiply, softmax, max_pool, avg_pool, add_prev, concat, tag, skip, repeat)";
  for (const l of unsupportedLayers) {
    if (!m.has(l)) add({ name: l, unsupported: why });
    if (!m.has(`${l}_`)) add({ name: `${l}_`, unsupported: why });
  }
  for (let i = 1; i <= 10; i++) for (const l of ["mult_prev", "scale", "scale_prev"]) add({ name: `${l}${i}`, unsupported: why });
  for (const l of ["inception2", "inception3", "inception4", "inception5"]) add({ name: l, unsupported: "inception blocks use itag/iskip ids >= 1000; write them out with add_tag_layer/add_skip_layer/concat_ instead" });
  const whyIn = "only input_rgb_image, input_rgb_image_sized<NR,NC> and input_rgb_image_pyramid<pyramid_down<N>> inputs are supported";
  for (const l of ["input", "input_grayscale_image_pyramid", "input_rgb_image_pair", "input_tensor"]) add({ name: l, unsupported: whyIn });
  const whyLoss = "this loss is not implemented by dlib-face-wasm (supported: loss_metric, loss_multiclass_log, loss_mmod, loss_binary_log, loss_mean_squared, loss_multiclass_log_per_pixel)";
  for (const l of [
    "loss_binary_hinge", "loss_multiclass_log_weighted", "loss_multimulticlass_log", "loss_multibinary_log", "loss_ranking",
    "loss_epsilon_insensitive", "loss_mean_squared_multioutput", "loss_binary_log_per_pixel", "loss_multiclass_log_per_pixel_weighted",
    "loss_mean_squared_per_pixel", "loss_mean_squared_per_channel_and_pixel", "loss_dot", "loss_yolo", "loss_barlow_twins",
  ]) {
    add({ name: l, unsupported: whyLoss });
    add({ name: `${l}_`, unsupported: whyLoss });
  }
  return m;
}

let BUILTINS: Map<string, Builtin> | null = null;

// ------------------------------------------------------------------------------------------------
// Binding declarations to scopes

interface AliasRecord {
  qname: string;
  ent: Extract<Entity, { e: "alias" }>;
}

function bindDecls(decls: Decl[], scope: Scope, record: AliasRecord[] | null, prefix: string): void {
  for (const d of decls) {
    switch (d.d) {
      case "alias": {
        const ent: Extract<Entity, { e: "alias" }> = { e: "alias", name: d.name, body: d.body, scope, at: d.at };
        scope.names.set(d.name, ent);
        record?.push({ qname: prefix + d.name, ent });
        break;
      }
      case "aliasTemplate":
        scope.names.set(d.name, { e: "aliasTemplate", name: d.name, params: d.params, body: d.body, scope, at: d.at });
        break;
      case "structTemplate":
        scope.names.set(d.name, { e: "structTemplate", name: d.name, params: d.params, members: d.members, scope, at: d.at });
        break;
      case "const":
        scope.names.set(d.name, { e: "const", name: d.name, body: d.body, scope, at: d.at });
        break;
      case "usingNamespace":
        scope.usings.push({ path: d.path, at: d.at });
        break;
      case "scope": {
        if (d.name === null) {
          // anonymous namespace: its names belong to the enclosing scope
          bindDecls(d.members, scope, record, prefix);
          break;
        }
        let ent = scope.names.get(d.name);
        if (!ent || ent.e !== "scope") {
          ent = { e: "scope", name: d.name, scope: { label: d.name, parent: scope, names: new Map(), usings: [] }, isNamespace: d.isNamespace };
          scope.names.set(d.name, ent);
        }
        bindDecls(d.members, ent.scope, d.isNamespace ? record : null, `${prefix}${d.name}::`);
        break;
      }
    }
  }
}

// ------------------------------------------------------------------------------------------------
// Public API

export interface ParseNetOptions {
  /** Name of the alias to expand (`net_type`, `anet_type`, `model::feats_std`, ...). Default: `net_type` if
   *  declared at file scope, else the last non-template alias declared (outside class bodies). */
  name?: string;
  /** What the text is (file name), used in error messages. Default "<definition>". */
  source?: string;
}

/**
 * Parses dlib network-definition C++ text and expands the selected alias into a {@link NetType} tree
 * (outermost/loss first). Requires: `text` contains the alias declarations; Guarantees: every node is one of
 * nettype.ts's kinds with dlib's parameter defaults filled in (con_/pool padding, input NC = NR), tag ids
 * resolved for tag/skip/add_prev/concat, repeat blocks as a tree ending in a `repeat_input` leaf.
 * Throws {@link NetDefinitionError} (with line:column) on syntax errors, unknown or unsupported names,
 * wrong template argument counts or kinds, and dlib's own static_assert conditions.
 */
export function parseNetDefinition(text: string, opts: ParseNetOptions = {}): NetType {
  const ctx: Ctx = new Ctx(opts.source ?? "<definition>", text);
  const toks = tokenize(text, ctx);
  const decls = new Parser(toks, ctx).parseFile();
  const global: Scope = { label: "<global>", parent: null, names: new Map(), usings: [] };
  const record: AliasRecord[] = [];
  bindDecls(decls, global, record, "");
  BUILTINS ??= makeBuiltins();
  const ev = new Evaluator(ctx, BUILTINS);

  let chosen: { qname: string; expr: Expr } | null = null;
  if (opts.name !== undefined) {
    const segs = opts.name.split("::").map((s) => s.trim()).filter((s) => s.length > 0);
    if (segs.length === 0 || segs.some((s) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(s))) ctx.fail(`invalid network name '${opts.name}'`);
    let found = segs.length === 1 ? global.names.get(segs[0]!) : undefined;
    if (segs.length === 1 && !found) {
      const matches = record.filter((r) => r.ent.name === segs[0]);
      if (matches.length > 1) ctx.fail(`network name '${opts.name}' is ambiguous: ${matches.map((r) => r.qname).join(", ")}`);
      if (matches.length === 1) {
        chosen = { qname: matches[0]!.qname, expr: nameExpr(matches[0]!.qname.split("::")) };
        found = matches[0]!.ent;
      }
    }
    if (!chosen) {
      if (segs.length === 1 && !found) ctx.fail(`no alias named '${opts.name}' in the definition (declared: ${record.map((r) => r.qname).join(", ") || "none"})`);
      chosen = { qname: segs.join("::"), expr: nameExpr(segs) };
    }
  } else {
    const nt = global.names.get("net_type");
    if (nt && nt.e === "alias") chosen = { qname: "net_type", expr: nameExpr(["net_type"]) };
    else if (record.length > 0) {
      const last = record[record.length - 1]!;
      chosen = { qname: last.qname, expr: nameExpr(last.qname.split("::")) };
    } else ctx.fail("no network type found: expected 'using net_type = ...;' or another 'using NAME = ...;' alias");
  }
  const v = ev.evalExpr(chosen.expr, global);
  if (v.v !== "loss" && v.v !== "net") ctx.fail(`'${chosen.qname}' is not a network: it is ${describe(v)}`);
  if (v.node.kind === "repeat_input") ctx.fail(`'${chosen.qname}' is not a network`);
  return { name: chosen.qname, source: text, root: v.node };
}

function nameExpr(segs: string[]): Expr {
  const at = { line: -1, col: -1 };
  return { t: "name", segs: segs.map((name) => ({ name, args: null, at })), at };
}

// ------------------------------------------------------------------------------------------------
// Layer enumeration

/** One of dlib's layers, as `layer<index>(net)` sees it. */
export interface LayerEntry {
  /** dlib's layer index: 0 = the outermost layer (the loss, if any), counting towards the input. */
  index: number;
  /** dlib's printed type name: con, fc, fc_no_bias, relu, affine, bn_con, bn_fc, max_pool, avg_pool, dropout,
   *  multiply, softmax, add_prev1..., concat, tag1..., skip1..., the input's class name, or the loss alias name. */
  name: string;
  node: NetNode;
  /** For layers inside repeat blocks: the enclosing repeats (outermost first) and the group index in each
   *  (0 = the group nearest the output, as dlib numbers them). */
  repeats: { repeat: RepeatNode; group: number }[];
}

/**
 * All layers in dlib's index order (output to input), with repeat groups expanded. Rule (dlib core.h):
 * the loss layer, every add_layer, every tag and skip layer and the input layer each take one index; a
 * repeat takes none itself and contributes count × (layers of one block) indices, group 0 first; so
 * `num_layers` = entries.length and the input is the last entry.
 */
export function enumerateLayers(root: NetNode | NetType): LayerEntry[] {
  const out: LayerEntry[] = [];
  const walk = (node: NetNode, repeats: { repeat: RepeatNode; group: number }[]): void => {
    for (let n: NetNode | null = node; n; ) {
      switch (n.kind) {
        case "loss":
        case "layer":
        case "tag":
        case "skip":
          out.push({ index: out.length, name: nodeName(n), node: n, repeats });
          n = n.subnet;
          break;
        case "repeat":
          for (let g = 0; g < n.count; g++) walk(n.block, [...repeats, { repeat: n, group: g }]);
          n = n.subnet;
          break;
        case "input":
          out.push({ index: out.length, name: n.type, node: n, repeats });
          n = null;
          break;
        case "repeat_input":
          n = null;
          break;
      }
    }
  };
  walk("root" in root ? root.root : root, []);
  return out;
}

/**
 * The layers between the input and the loss, in input-to-output order, repeats expanded, each as dlib
 * prints its type (con, relu, affine, tag1, skip1, add_prev2, concat, fc_no_bias, ...). Neither the input
 * layer nor the loss layer is included (this is exactly the `type` column of the golden traces).
 */
export function layerSequence(root: NetNode | NetType): string[] {
  return enumerateLayers(root)
    .filter((e) => e.node.kind !== "loss" && e.node.kind !== "input")
    .map((e) => e.name)
    .reverse();
}

/** dlib's type name of one node (as in {@link LayerEntry.name}). */
export function netNodeName(node: NetNode): string {
  return nodeName(node);
}
