// Evaluated before Pyodide's own modules (host.mjs imports it first): Pyodide decides at module
// evaluation whether it runs in Node (`typeof process.versions.node == "string"`), and workerd
// has a global `process` at recent compatibility dates. workerd's own loader hides it the same
// way while Emscripten starts (`featureDetectionMonkeyPatchesContextManager` in
// `src/pyodide/internal/pool/emscriptenSetup.ts`); host.mjs puts it back right after.
export const savedProcess = { had: "process" in globalThis, value: globalThis.process };
globalThis.process = undefined;
