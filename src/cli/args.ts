/** Small argument helpers for the CLI (node:util parseArgs with typed errors). */
import { parseArgs, type ParseArgsConfig } from "node:util";

export class UsageError extends Error {
  override name = "UsageError";
}

export function parse(argv: string[], options: NonNullable<ParseArgsConfig["options"]>): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    return parseArgs({ args: argv, options: { ...options, json: { type: "boolean" }, debug: { type: "boolean" }, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export function num(v: unknown, name: string, def: number, opts: { int?: boolean; min?: number; max?: number } = {}): number {
  if (v === undefined) return def;
  const x = Number(v);
  if (!Number.isFinite(x) || (opts.int && !Number.isInteger(x)) || (opts.min !== undefined && x < opts.min) || (opts.max !== undefined && x > opts.max)) {
    throw new UsageError(`--${name} must be ${opts.int ? "an integer" : "a number"}${opts.min !== undefined ? ` >= ${opts.min}` : ""}${opts.max !== undefined ? ` <= ${opts.max}` : ""}, got '${v}'`);
  }
  return x;
}

/** A progress bar on stderr, only when stderr is a TTY. */
export function progress(total: number, label: string) {
  const tty = !!process.stderr.isTTY && total > 1;
  let done = 0;
  return {
    tick(what = "") {
      done++;
      if (!tty) return;
      const w = 30;
      const f = Math.round((done / total) * w);
      process.stderr.write(`\r${label} [${"#".repeat(f)}${" ".repeat(w - f)}] ${done}/${total} ${what.slice(-40).padEnd(40)}`);
      if (done === total) process.stderr.write("\n");
    },
  };
}
