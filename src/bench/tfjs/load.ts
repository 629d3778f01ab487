// TensorFlow.js, the baselines: loaded only when installed (they are devDependencies, absent from
// a plain `npm install wsr-native`), with the cpu and wasm backends; kernels are looked up at run
// time, never assumed.
import type * as TfCore from '@tensorflow/tfjs-core';

export type Tf = typeof TfCore;
export type TfBackend = 'cpu' | 'wasm';

export interface Tfjs {
  tf: Tf;
  version: string;
  /** Backends that initialised. */
  backends: TfBackend[];
  /** Threads the wasm backend uses (1 unless it found Web workers). */
  wasmThreads: number;
  /** Whether gradients are registered (./gradients.ts), or why not. */
  gradients: true | string;
}

export const TFJS_PACKAGES = ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-wasm'];

/** How to get the baselines, for the line printed when they are missing. */
export const TFJS_HINT = `npm install --no-save ${TFJS_PACKAGES.map((p) => `${p}@4.22`).join(' ')}`;

let loaded: Promise<Tfjs> | null = null;

async function load(): Promise<Tfjs> {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const tf = require('@tensorflow/tfjs-core') as Tf;
  require('@tensorflow/tfjs-backend-cpu');
  const wasm = require('@tensorflow/tfjs-backend-wasm') as { getThreadsCount(): number };
  /* eslint-enable @typescript-eslint/no-require-imports */
  // Production mode: no per-op correctness checks (the baselines at their fastest), and no
  // console banner from the cpu backend.
  tf.enableProdMode();
  const backends: TfBackend[] = [];
  for (const name of ['cpu', 'wasm'] as const) {
    if (await tf.setBackend(name)) backends.push(name);
  }
  if (backends.length === 0) throw new Error('neither the cpu nor the wasm backend initialised');
  const wasmThreads = backends.includes('wasm') ? wasm.getThreadsCount() : 0;
  return { tf, version: tf.version_core, backends, wasmThreads, gradients: 'not loaded' };
}

/** The loaded baselines, or an Error saying why they are not available. */
export async function loadTfjs(): Promise<Tfjs | Error> {
  loaded ??= load();
  try {
    return await loaded;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

/** Makes `backend` current (a no-op when it already is). */
export async function useBackend(t: Tfjs, backend: TfBackend): Promise<void> {
  if (t.tf.getBackend() !== backend && !(await t.tf.setBackend(backend))) {
    throw new Error(`tfjs backend '${backend}' failed to initialise`);
  }
}

/** Whether `backend` registers a kernel called `name` (e.g. 'Conv2DBackpropFilter'). */
export function hasKernel(t: Tfjs, name: string, backend: TfBackend): boolean {
  return t.tf.getKernel(name, backend) !== undefined;
}
