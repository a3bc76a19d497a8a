// Hosts real Pyodide (npm `pyodide`, pinned in ../package.json) inside real workerd and runs
// Python Workers in it the way workerd's own Python loader does, so that a Python Worker's
// `from js import WebSocketPair` reaches workerd's real classes.
//
// The generated main module (see ../harness.py, `main_module_text`) imports this file, the
// Pyodide files, the SDK wheel and every Worker's Python source, and exports one JavaScript
// class per Python entrypoint: a WorkerEntrypoint shell per Worker (served on its own socket)
// and a DurableObject shell per Durable Object class. Each shell forwards to Python exactly as
// workerd's `src/pyodide/python-entrypoint-helper.ts` does (cited at each step below).
//
// What workerd normally provides and this file stands in for (each part cites its source):
//   - the Emscripten/Pyodide start-up (`src/pyodide/internal/pool/emscriptenSetup.ts`,
//     `src/pyodide/internal/pool/builtin_wrappers.ts`), done here through npm Pyodide's
//     `loadPyodide` with a replaced `instantiateWasm` and the same feature-detection shims;
//   - the two modules the SDK imports, `_pyodide_entrypoint_helper` and
//     `_cloudflare_compat_flags` (`python-entrypoint-helper.ts`, `setupPatches`);
//   - the SDK itself: the `workers-runtime-sdk` wheel unpacked into site-packages (workerd
//     injects its in-tree copy, or `pywrangler sync` vendors this same wheel from 2026-04-21);
//   - the call path of `makeEntrypointClass` / `makeEntrypointProxyHandler` and the Python side
//     of `src/pyodide/internal/introspection.py` (our ./bridge.py).

import { savedProcess } from "./hide-process.mjs";
import { DurableObject, WorkerEntrypoint } from "cloudflare:workers";
import * as cloudflareWorkersModule from "cloudflare:workers";
import * as cloudflareSocketsModule from "cloudflare:sockets";
import { loadPyodide } from "./pyodide.mjs";
import createPyodideModule from "./pyodide.asm.mjs";
import pyodideWasm from "./pyodide.asm.wasm";
import pythonStdlib from "./python_stdlib.zip";
import pyodideLock from "./pyodide-lock.json";
import sdkWheel from "./sdk.whl";
import bridgeSource from "./bridge.py";

// Put back the global `process` that ./hide-process.mjs hid from Pyodide's modules.
function restoreProcess() {
  if (savedProcess.had) globalThis.process = savedProcess.value;
  else delete globalThis.process;
}
restoreProcess();

// A URL that can never be fetched: every file Pyodide asks for is served from the bundle.
const INDEX_URL = "https://pyodide.invalid/";
// workerd mounts a Worker's files here and puts the folder on sys.path
// (`src/pyodide/internal/setupPackages.ts`, `mountWorkerFiles`; `setup_python_search_path.py`).
const WORKER_FILES = "/session/metadata";

const sources = new Map(); // Python module name -> source text
const files = new Map(); // a Worker's local modules: path under WORKER_FILES -> source text
let pyodidePromise = null;
let loadInfo = null;
const modulePromises = new Map();

export function registerSources(table) {
  for (const [name, text] of Object.entries(table)) sources.set(name, text);
}

export function registerFiles(table) {
  for (const [path, text] of Object.entries(table)) files.set(path, text);
}

// ---------------------------------------------------------------- loading Pyodide

// workerd's `getInstantiateWasm` (`emscriptenSetup.ts`): instantiate the module compiled when the
// Worker loaded (a `wasm` module in the config, so nothing is compiled at run time) and provide
// the two error-sentinel imports Pyodide >= 314 expects in `env`.
function createModuleWithShims(settings) {
  const sentinel = Symbol("pyodide error sentinel");
  settings.instantiateWasm = (imports, success) => {
    imports.env.Jsv_GetError_import = () => sentinel;
    imports.env.JsvError_Check = (value) => value === sentinel;
    WebAssembly.instantiate(pyodideWasm, imports).then(
      (instance) => success(instance, pyodideWasm),
      (error) => console.error("wsguide host: wasm instantiation failed", error),
    );
    return {};
  };
  // workerd's `featureDetectionMonkeyPatchesContextManager` (`emscriptenSetup.ts`): Emscripten
  // must believe it runs on a browser's main thread, only while the module is being created.
  const g = globalThis;
  g.window = { sessionStorage: {} };
  g.document = { createElement() {} };
  g.sessionStorage = {};
  g.importScripts = 1;
  g.process = undefined;
  try {
    return createPyodideModule(settings);
  } finally {
    restoreProcess();
    delete g.window;
    delete g.document;
    delete g.sessionStorage;
    delete g.importScripts;
  }
}

async function bootPyodide() {
  const started = Date.now();
  const realFetch = globalThis.fetch;
  const realAddEventListener = globalThis.addEventListener;
  const hadLocation = Object.getOwnPropertyDescriptor(globalThis, "location");
  // workerd's `builtin_wrappers.ts` exports `location = undefined` and a no-op
  // `addEventListener` to the Emscripten module: Emscripten's setImmediate polyfill registers a
  // capture listener, which workerd refuses ("useCapture must be false").
  globalThis.location = undefined;
  globalThis.addEventListener = () => {};
  // npm Pyodide fetches the standard library by URL; serve it from the bundle.
  globalThis.fetch = async (url) => {
    if (String(url) === INDEX_URL + "python_stdlib.zip") return new Response(pythonStdlib);
    throw new Error("wsguide host: no fetch while Pyodide loads: " + url);
  };
  let pyodide;
  try {
    pyodide = await loadPyodide({
      indexURL: INDEX_URL,
      packageBaseUrl: INDEX_URL,
      lockFileContents: pyodideLock,
      createPyodideModule: createModuleWithShims,
      // The environment workerd gives Python (`getEmscriptenSettings` in `emscriptenSetup.ts`).
      env: { HOME: "/session", PYTHONHASHSEED: "111" },
      enableRunUntilComplete: true,
      // workerd never sets Python's streams, so they are Emscripten's defaults: stdout lines
      // go to console.log, stderr lines to console.error (`out` / `err` in pyodide.asm.mjs).
      stdout: (line) => console.log(line),
      stderr: (line) => console.error(line),
    });
  } finally {
    globalThis.fetch = realFetch;
    globalThis.addEventListener = realAddEventListener;
    if (hadLocation) Object.defineProperty(globalThis, "location", hadLocation);
    else delete globalThis.location;
  }
  const loaded = Date.now();
  await setupPatches(pyodide);
  pyodide.FS.mkdirTree(WORKER_FILES);
  for (const [name, text] of sources) pyodide.FS.writeFile(`${WORKER_FILES}/${name}.py`, text);
  for (const [path, text] of files) {
    const folder = path.split("/").slice(0, -1).join("/");
    if (folder) pyodide.FS.mkdirTree(`${WORKER_FILES}/${folder}`);
    pyodide.FS.writeFile(`${WORKER_FILES}/${path}`, text);
  }
  pyodide.runPython(`import sys\nif ${JSON.stringify(WORKER_FILES)} not in sys.path: sys.path.insert(0, ${JSON.stringify(WORKER_FILES)})`);
  const bridge = loadBridge(pyodide);
  loadInfo = {
    pyodideVersion: pyodide.version,
    pythonVersion: pyodide.runPython("import sys; sys.version.split()[0]"),
    sdkVersion: pyodide.runPython("from importlib.metadata import version; version('workers-runtime-sdk')"),
    jspi: typeof WebAssembly.Suspending === "function",
    loadMs: loaded - started,
    setupMs: Date.now() - loaded,
  };
  return { pyodide, bridge };
}

function getPython() {
  if (!pyodidePromise) pyodidePromise = bootPyodide();
  return pyodidePromise;
}

// `patchWaitUntil` of `python-entrypoint-helper.ts`: lets Python hand a Future to waitUntil.
const waitUntilPatched = new WeakSet();
function patchWaitUntil(ctx) {
  let tag;
  try {
    tag = Object.prototype.toString.call(ctx);
  } catch (_e) {}
  if (tag !== "[object ExecutionContext]" || waitUntilPatched.has(ctx)) return;
  const original = ctx.waitUntil.bind(ctx);
  ctx.waitUntil = (p) => {
    original((async () => {
      if ("copy" in p) p = p.copy();
      await p;
      if ("destroy" in p) p.destroy();
    })());
  };
  waitUntilPatched.add(ctx);
}

async function doAnImport(name) {
  // workerd wraps the module in `createImportProxy` (for snapshots only); the module itself
  // is what Python sees.
  return await import(name);
}

// `setupPatches` of `python-entrypoint-helper.ts`.
async function setupPatches(pyodide) {
  pyodide.loadPackage = () => {
    throw new Error("pyodide.loadPackage is disabled");
  };
  pyodide.registerJsModule("_pyodide_entrypoint_helper", {
    doAnImport,
    cloudflareWorkersModule,
    cloudflareSocketsModule,
    workerEntrypoint: WorkerEntrypoint,
    patchWaitUntil,
  });
  // workerd registers every compatibility flag known to the runtime, by its enable-flag name
  // (`PyodideMetadataReader::getCompatibilityFlags`, `src/workerd/api/pyodide/pyodide.c++`);
  // the public `Cloudflare.compatibilityFlags` is the same table without experimental flags.
  pyodide.registerJsModule("_cloudflare_compat_flags", { ...globalThis.Cloudflare.compatibilityFlags });
  // The SDK: `injectWorkersApi` writes workerd's copy into site-packages; here it is the wheel.
  pyodide.unpackArchive(sdkWheel, "wheel", { extractDir: pyodide.runPython("import site; site.getsitepackages()[0]") });
}

function loadBridge(pyodide) {
  pyodide.FS.mkdirTree("/wsguide_host");
  pyodide.FS.writeFile("/wsguide_host/_wsguide_bridge.py", bridgeSource);
  pyodide.runPython("import sys\nsys.path.append('/wsguide_host')");
  return pyodide.pyimport("_wsguide_bridge");
}

// The main module is imported once, on first use (workerd imports it at start-up: see the
// harness notes for why it cannot be done at global scope here).
async function getModule(name) {
  const { pyodide, bridge } = await getPython();
  if (!modulePromises.has(name)) {
    modulePromises.set(name, (async () => {
      if (!sources.has(name)) throw new Error(`wsguide host: no Python module ${name}`);
      return pyodide.pyimport(name);
    })());
  }
  return { module: await modulePromises.get(name), bridge };
}

// `doPyCallHelper` of `python-entrypoint-helper.ts`. workerd passes `promising: true` (JSPI),
// which this workerd build cannot do; without it the call is the same minus stack switching.
async function doPyCall(relaxed, pyfunc, args) {
  if (relaxed) return await pyfunc.callRelaxed(...args);
  return await pyfunc(...args);
}

// `initPyInstance`: the Python class called with the arguments workerd gave the JS class.
async function initPyInstance(moduleName, className, args) {
  const { module } = await getModule(moduleName);
  const cls = module[className];
  if (typeof cls !== "function") {
    throw new TypeError(`There is no '${className}' class defined in the Python Worker's main module`);
  }
  return await doPyCall(false, cls, args);
}

// `SPECIAL_HANDLER_NAMES` and `SPECIAL_DO_HANDLER_NAMES` of `python-entrypoint-helper.ts`.
const SPECIAL_HANDLER_NAMES = ["fetch", "connect"];
const SPECIAL_DO_HANDLER_NAMES = ["alarm", "webSocketMessage", "webSocketClose", "webSocketError"];

// `makeEntrypointProxyHandler` (without the legacy `on_` handlers, off since 2025-08-14).
function entrypointProxyHandler(pyInstancePromise, moduleName, isDurableObject) {
  return {
    get(target, prop, receiver) {
      if (typeof prop !== "string") return Reflect.get(target, prop, receiver);
      const isKnownHandler = SPECIAL_HANDLER_NAMES.includes(prop);
      const isKnownDoHandler = isDurableObject && SPECIAL_DO_HANDLER_NAMES.includes(prop);
      const isFetch = prop === "fetch";
      return async function (...args) {
        const pyInstance = await pyInstancePromise;
        if (typeof pyInstance[prop] !== "function") {
          throw new TypeError(`Method ${prop} does not exist`);
        }
        if ((isKnownHandler || isKnownDoHandler) && !isFetch) {
          return await doPyCall(true, pyInstance[prop], args);
        }
        const { bridge } = await getModule(moduleName);
        return await doPyCall(false, bridge.wrapper_func, [isFetch || prop === "test", pyInstance, prop, ...args]);
      };
    },
  };
}

// The `env` one Worker sees: its own bindings under the names it gave them. (All Workers of
// one compatibility group share one JS Worker; the config names each binding `<module>__<NAME>`.)
function envFor(env, moduleName) {
  const prefix = moduleName + "__";
  const view = {};
  for (const key of Object.keys(env)) {
    if (key.startsWith(prefix)) view[key.slice(prefix.length)] = env[key];
  }
  return view;
}

// `makeEntrypointClass`: a JS class whose instances forward every method to one Python instance,
// built with the arguments workerd gave the JS constructor (ctx, env). As in workerd, the
// prototype gets an empty method per public Python method (the runtime's validation looks for
// them; the Proxy answers every call).
function makeEntrypointClass(base, moduleName, className, methodNames) {
  const isDurableObject = base === DurableObject;
  const result = class EntrypointWrapper extends base {
    constructor(ctx, env) {
      super(ctx, env);
      const pyInstancePromise = initPyInstance(moduleName, className, [ctx, envFor(env, moduleName)]);
      pyInstancePromise.catch(() => {}); // reported by the method call that awaits it
      return new Proxy(this, entrypointProxyHandler(pyInstancePromise, moduleName, isDurableObject));
    }
  };
  for (const method of methodNames) result.prototype[method] = function () {};
  return result;
}

export function pythonEntrypoint(moduleName, className, methodNames) {
  return makeEntrypointClass(WorkerEntrypoint, moduleName, className, methodNames);
}

export function pythonDurableObject(moduleName, className, methodNames) {
  return makeEntrypointClass(DurableObject, moduleName, className, methodNames);
}

// ---------------------------------------------------------------- the harness's own door

// Not part of any Worker: the harness asks here whether a module imports, what it defines,
// and puts markers in the log so it knows everything printed before them has been written.
export class HostControl extends WorkerEntrypoint {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/flush") {
      const token = url.searchParams.get("token");
      console.log(`@@wsguide-flush ${token}@@`);
      return new Response("ok");
    }
    if (url.pathname === "/load") {
      const name = url.searchParams.get("module");
      try {
        const { module, bridge } = await getModule(name);
        const classes = bridge.describe_module(module);
        return new Response(classes, { headers: { "content-type": "application/json" } });
      } catch (error) {
        return Response.json({ error: String(error && error.message || error) }, { status: 500 });
      }
    }
    if (url.pathname === "/info") {
      await getPython();
      return Response.json(loadInfo);
    }
    return new Response("not found", { status: 404 });
  }
}
