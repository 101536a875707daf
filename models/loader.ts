// 模型加载 model loader: reads the COCO CenterNet graph model (目标检测模型) from the npm package named in manifest.json
// and picks the TensorFlow.js backend — tfjs-node when it is installed, else WebAssembly. Nothing is fetched over the
// network: topology and weights are files inside node_modules.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import manifestJson from './manifest.json' with { type: 'json' };

export interface ModelManifest {
  id: string;
  name: string;
  source: { package: string; version: string; topology: string; weights: string; weightsBytes: number };
  input: { name: string; width: number; height: number; channels: number };
  output: { name: string; shape: number[]; layout: string[] };
  scoreThreshold: number;
  nmsIou: number;
  maxDetections: number;
  /** COCO class names in the model's class-index order (index 0 = person). */
  classes: string[];
}

export const manifest: ModelManifest = manifestJson;

export class ModelLoadError extends Error {
  override name = 'ModelLoadError';
}

const require = createRequire(import.meta.url);

/** The installed package's root: resolved through Node, so hoisting or a workspace layout does not matter. */
function packageRoot(name: string): string {
  // @vladmandic/human exports only its entry point (no ./package.json), so walk up from it to its package.json.
  let dir = path.dirname(require.resolve(name));
  while (dir !== path.dirname(dir)) {
    try {
      const pkg = require(path.join(dir, 'package.json')) as { name?: string };
      if (pkg.name === name) return dir;
    } catch {
      // no package.json at this level: keep walking
    }
    dir = path.dirname(dir);
  }
  throw new ModelLoadError(`cannot find the root of the installed package ${name}`);
}

export interface BackendInfo {
  /** `tensorflow` (tfjs-node) or `wasm`. */
  name: string;
  simd: boolean;
  /** WebAssembly threads: Node has no cross-origin isolation, so this is false there; the worker pool is our parallelism. */
  threads: boolean;
}

let backendReady: Promise<BackendInfo> | undefined;

/** Initialises the backend once per thread (each pool worker has its own). */
export function initBackend(): Promise<BackendInfo> {
  backendReady ??= selectBackend();
  return backendReady;
}

async function selectBackend(): Promise<BackendInfo> {
  // tfjs-node cannot be installed on every box (it needs a native libtensorflow); when it is there it is several times
  // faster than WebAssembly. A variable specifier keeps TypeScript from requiring it at build time.
  const nodeBackend = '@tensorflow/tfjs-node';
  try {
    await import(nodeBackend);
    if (await tf.setBackend('tensorflow')) {
      await tf.ready();
      return { name: 'tensorflow', simd: false, threads: true };
    }
  } catch {
    // not installed: fall through to WebAssembly
  }
  // In Node the wasm backend reads its .wasm files from the file system; the prefix must end with a separator.
  setWasmPaths(path.join(packageRoot('@tensorflow/tfjs-backend-wasm'), 'dist') + path.sep);
  // One thread per worker: the pool runs one worker per core, and more threads per worker would only contend.
  setThreadsCount(1);
  if (!(await tf.setBackend('wasm'))) throw new ModelLoadError('the TensorFlow.js WebAssembly backend failed to start');
  await tf.ready();
  return {
    name: 'wasm',
    simd: Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')),
    threads: Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')),
  };
}

export interface LoadedModel {
  model: tf.GraphModel;
  manifest: ModelManifest;
  backend: BackendInfo;
  loadMs: number;
}

interface GraphModelFile {
  format?: string;
  modelTopology?: object;
  weightsManifest?: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
}

/** Loads the manifest's graph model (backend first). Throws ModelLoadError when the files are missing or malformed. */
export async function loadModel(m: ModelManifest = manifest): Promise<LoadedModel> {
  const startMs = performance.now();
  const backend = await initBackend();
  const root = packageRoot(m.source.package);
  const topologyFile = path.join(root, m.source.topology);
  let file: GraphModelFile;
  try {
    file = JSON.parse(await readFile(topologyFile, 'utf8')) as GraphModelFile;
  } catch (err) {
    throw new ModelLoadError(`cannot read the model topology ${topologyFile}: ${(err as Error).message}`);
  }
  if (file.format !== 'graph-model' || !file.modelTopology || !file.weightsManifest?.length) {
    throw new ModelLoadError(
      `${topologyFile} is not a TensorFlow.js graph model (format, modelTopology, weightsManifest)`,
    );
  }
  // The weights manifest lists shards in order; their bytes are concatenated in that order.
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const shards: Buffer[] = [];
  const dir = path.dirname(topologyFile);
  for (const group of file.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const shard of group.paths) shards.push(await readFile(path.join(dir, shard)));
  }
  const bytes = Buffer.concat(shards);
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const model = await tf.loadGraphModel(
    tf.io.fromMemory({ modelTopology: file.modelTopology, weightSpecs, weightData }),
  );
  const input = model.inputs[0]?.shape;
  if (input && (input[1] !== m.input.height || input[2] !== m.input.width)) {
    throw new ModelLoadError(`model input is ${input.join('×')}, the manifest says ${m.input.height}×${m.input.width}`);
  }
  return { model, manifest: m, backend, loadMs: performance.now() - startMs };
}
