/** A `.wasm` file imported as a module: workerd/wrangler (CompiledWasm) and bundlers give a compiled module. */
declare module "*.wasm" {
  const mod: WebAssembly.Module;
  export default mod;
}
