/**
 * Helpers for test/runtimes.test.ts and the example tests: pack the package and install the tarball into an
 * empty folder, run a script in Node/Deno/Bun, run a worker in workerd via miniflare, drive headless Chromium.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync, copyFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { dirname, extname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const HERE = dirname(fileURLToPath(import.meta.url));

/** Runs a command; resolves with exit code, stdout, stderr and wall time; kills it after `timeoutMs`. */
/** The npm CLI that started this process (npm_execpath), else the first `npm` on PATH outside node_modules. */
export function realNpm(args: string[]): [string, string[]] {
  let cli = process.env.npm_execpath;
  if (cli && /npx-cli\.js$/.test(cli)) cli = cli.replace(/npx-cli\.js$/, "npm-cli.js");
  if (cli && existsSync(cli) && !cli.startsWith(join(ROOT, "node_modules"))) return [process.execPath, [cli, ...args]];
  for (const dir of (process.env.PATH ?? "").split(":")) {
    if (!dir || dir.includes("node_modules")) continue;
    const p = join(dir, "npm");
    if (existsSync(p)) return [p, args];
  }
  return ["npm", args];
}

export function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {}): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  return new Promise((resolveP, reject) => {
    const t0 = performance.now();
    // "npm" means the npm running us: under `npm test`, PATH starts with node_modules/.bin, where a
    // dependency of as-pect (npm-install-peers) puts an old npm 6 that cannot pack this project.
    if (cmd === "npm") [cmd, args] = realNpm(args);
    const child = spawn(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 180_000);
    child.on("error", (e) => { clearTimeout(timer); reject(e); });
    child.on("close", (code) => { clearTimeout(timer); resolveP({ code, stdout, stderr, ms: performance.now() - t0 }); });
    child.stdin.end(opts.input ?? "");
  });
}

/** Path of a runtime binary installed as an npm devDependency (deno, bun, chromium is the system one). */
export function binary(name: "deno" | "bun"): string {
  const candidates = name === "deno"
    ? [join(ROOT, "node_modules/@deno/linux-x64-glibc/deno"), join(ROOT, "node_modules/.bin/deno")]
    : [join(ROOT, "node_modules/@oven/bun-linux-x64/bin/bun"), join(ROOT, "node_modules/bun/bin/bun.exe"), join(ROOT, "node_modules/.bin/bun")];
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new Error(`${name} is not installed (npm devDependency ${name})`);
  return found;
}

/** The system Chromium (Debian package `chromium`), or null. */
export function chromiumPath(): string | null {
  for (const p of [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"]) if (p && existsSync(p)) return p;
  return null;
}

export interface Consumer { dir: string; tarball: string; packedBytes: number; unpackedBytes: number; files: number }

/**
 * `npm pack` the checkout (dist must be built) into `tmp`, then `npm install` the tarball into the empty
 * folder `tmp/consumer` (a fresh project with "type": "module").
 */
export async function packAndInstall(tmp: string): Promise<Consumer> {
  const pack = await run("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", tmp], { cwd: ROOT, timeoutMs: 120_000 });
  if (pack.code !== 0) throw new Error(`npm pack failed: ${pack.stderr}`);
  const info = JSON.parse(pack.stdout.slice(pack.stdout.indexOf("[")))[0] as { filename: string; size: number; unpackedSize: number; entryCount: number };
  const tarball = join(tmp, info.filename);
  const dir = join(tmp, "consumer");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }, null, 2));
  const inst = await run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", tarball], { cwd: dir, timeoutMs: 240_000 });
  if (inst.code !== 0) throw new Error(`npm install of the tarball failed: ${inst.stderr}`);
  return { dir, tarball, packedBytes: info.size, unpackedBytes: info.unpackedSize, files: info.entryCount };
}

/** Packages in `node_modules` (recursively) with install scripts or native `.node` files. */
export function installScriptsAndNative(nodeModules: string): { scripts: string[]; native: string[] } {
  const scripts: string[] = [], native: string[] = [];
  const walk = (d: string, depth: number) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) { if (depth < 12) walk(p, depth + 1); continue; }
      if (e.name.endsWith(".node")) native.push(p);
      if (e.name === "package.json" && /node_modules\/(@[^/]+\/)?[^/]+\/package\.json$/.test(p)) {
        try {
          const s = (JSON.parse(readFileSync(p, "utf8")) as { scripts?: Record<string, string> }).scripts ?? {};
          for (const k of ["preinstall", "install", "postinstall"]) if (s[k]) scripts.push(`${p}: ${k}`);
        } catch { /* not a package manifest */ }
      }
    }
  };
  walk(nodeModules, 0);
  return { scripts, native };
}

/** Copies the runtime-neutral harness files into the consumer folder. */
export function copyHarness(dir: string): void {
  for (const f of ["pipeline.mjs", "run-cli.mjs", "worker.mjs", "browser.mjs"]) copyFileSync(join(HERE, f), join(dir, f));
}

/** Parses the `RESULT {json}` line a harness prints. */
export function parseResult(stdout: string): any {
  const line = stdout.split("\n").find((l) => l.startsWith("RESULT "));
  if (!line) throw new Error(`no RESULT line in output:\n${stdout.slice(-2000)}`);
  return JSON.parse(line.slice(7));
}

/** esbuild bundle of `entry` for workerd or the browser (package export conditions of that platform). */
export async function bundle(entry: string, outfile: string, target: "workerd" | "browser"): Promise<void> {
  const esbuild = await import("esbuild");
  await esbuild.build({
    entryPoints: [entry], outfile, bundle: true, format: "esm", logLevel: "error",
    platform: target === "browser" ? "browser" : "neutral",
    conditions: target === "workerd" ? ["workerd", "worker", "browser"] : ["browser"],
    mainFields: ["browser", "module", "main"],
    // the kernels stay a separate wasm module (workerd cannot compile from bytes); node: built-ins are only
    // reached on code paths for file paths, which these runtimes do not take
    external: ["*.wasm", "node:*"],
  });
}

/** A static file server on 127.0.0.1 (COOP/COEP set, .wasm as application/wasm); `routes` map URL paths to files. */
export async function serve(root: string, routes: Record<string, string> = {}): Promise<{ url: string; server: Server }> {
  const types: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm", ".json": "application/json", ".png": "image/png", ".jpg": "image/jpeg", ".css": "text/css" };
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    let file = routes[path] ?? join(root, path === "/" ? "index.html" : path);
    if (!file.startsWith(root) && !routes[path]) { res.writeHead(403).end(); return; }
    if (!existsSync(file) || !statSync(file).isFile()) { res.writeHead(404).end("not found"); return; }
    res.writeHead(200, {
      "content-type": types[extname(file)] ?? "application/octet-stream",
      "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp",
    });
    res.end(readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const addr = server.address() as { port: number };
  return { url: `http://127.0.0.1:${addr.port}`, server };
}

/** Launches the system Chromium headless with the flags that work on this machine class. */
export async function launchChromium() {
  const exe = chromiumPath();
  if (!exe) throw new Error("chromium not found (apt-get install -y chromium)");
  const { chromium } = await import("playwright-core");
  return chromium.launch({
    executablePath: exe,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic"],
  });
}

export { spawnSync };

/** A free TCP port on 127.0.0.1 (bound and released; good enough for a test). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/**
 * Starts a long-running command in its own process group; `stop()` signals that group only.
 * `waitFor(url)` polls until the URL answers (any HTTP status) or the process exits.
 */
export function startServer(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const child = spawn(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let log = "";
  child.stdout!.on("data", (d) => (log += d));
  child.stderr!.on("data", (d) => (log += d));
  let exited = false;
  child.on("exit", () => (exited = true));
  return {
    log: () => log,
    async waitFor(url: string, timeoutMs = 60_000): Promise<void> {
      const t0 = Date.now();
      for (;;) {
        if (exited) throw new Error(`${cmd} exited before serving:\n${log.slice(-3000)}`);
        try { await fetch(url); return; } catch { /* not up yet */ }
        if (Date.now() - t0 > timeoutMs) throw new Error(`${cmd} did not serve ${url} within ${timeoutMs} ms:\n${log.slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    async stop(): Promise<void> {
      if (exited || child.pid === undefined) return;
      const done = new Promise<void>((r) => child.once("exit", () => r()));
      try { process.kill(-child.pid, "SIGTERM"); } catch { /* gone */ }
      const timer = setTimeout(() => { try { process.kill(-child.pid!, "SIGKILL"); } catch { /* gone */ } }, 5000);
      await done;
      clearTimeout(timer);
    },
  };
}

/** Copies an example folder (without node_modules/dist/models/.wrangler) into `dest`. */
export function copyExample(name: string, dest: string): string {
  const src = join(ROOT, "examples", name);
  const skip = new Set(["node_modules", "dist", "models", ".wrangler", "out"]);
  const walk = (from: string, to: string) => {
    mkdirSync(to, { recursive: true });
    for (const e of readdirSync(from, { withFileTypes: true })) {
      if (skip.has(e.name)) continue;
      if (e.isDirectory()) walk(join(from, e.name), join(to, e.name));
      else copyFileSync(join(from, e.name), join(to, e.name));
    }
  };
  walk(src, dest);
  return dest;
}
