// Where PyTorch is: the Python interpreter that imports torch (WSR_PYTHON when set; otherwise each
// python3 on PATH, then /usr/bin/python3, which Debian's python3-torch belongs to), and the harness
// script that times the PyTorch side (bench/gpu/torch_bench.py --serve).
import { spawnSync } from 'child_process';
import fs from 'fs';
import path from 'path';

/** How to get PyTorch, for the message when none is found. */
export const TORCH_HINT =
  "on Debian or Ubuntu, apt-get install python3-torch libopenblas0-pthread (for /usr/bin/python3; without " +
  'libopenblas0-pthread torch falls back to the slow reference BLAS); elsewhere pip install torch; or set ' +
  'WSR_PYTHON to an interpreter that imports torch';

/** Thrown when `--torch` cannot run: no interpreter with torch, or no harness script. */
export class TorchUnavailable extends Error {}

/** Whether `python` can import torch: null when it can, else why not (one line). */
function probe(python: string): string | null {
  // find_spec, not import: importing torch takes seconds, the harness does it once.
  const r = spawnSync(python, ['-c', 'import importlib.util, sys; sys.exit(0 if importlib.util.find_spec("torch") else 3)'], {
    encoding: 'utf8',
    timeout: 30000,
  });
  if (r.error) return (r.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : r.error.message;
  if (r.status === 0) return null;
  if (r.status === 3) return 'no module torch';
  const last = `${r.stderr ?? ''}`.trim().split('\n').pop();
  return `exit ${r.status ?? r.signal}${last ? `: ${last}` : ''}`;
}

/** Every python3 on PATH, then /usr/bin/python3: the candidates, first one first, each once. */
export function pythonCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  const found: string[] = [];
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, 'python3');
    try {
      fs.accessSync(file, fs.constants.X_OK);
      found.push(file);
    } catch {
      // not here
    }
  }
  found.push('/usr/bin/python3');
  const seen = new Set<string>();
  return found.filter((file) => {
    let real = file;
    try {
      real = fs.realpathSync(file);
    } catch {
      // a candidate that does not exist is probed and reported as such
    }
    // pyenv's shims are scripts that pick an interpreter themselves: keep them by name.
    const key = file.includes(`${path.sep}shims${path.sep}`) ? file : real;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The interpreter that imports torch; throws {@link TorchUnavailable} saying what was tried and how to install it. */
export function findTorchPython(env: NodeJS.ProcessEnv = process.env): string {
  const chosen = env.WSR_PYTHON?.trim();
  if (chosen) {
    const why = probe(chosen);
    if (why === null) return chosen;
    throw new TorchUnavailable(`bench --torch: WSR_PYTHON=${chosen} cannot import torch (${why}); ${TORCH_HINT}`);
  }
  const tried: string[] = [];
  for (const python of pythonCandidates(env)) {
    const why = probe(python);
    if (why === null) return python;
    tried.push(`${python}: ${why}`);
  }
  throw new TorchUnavailable(`bench --torch: no Python here imports torch (tried ${tried.join('; ')}); ${TORCH_HINT}`);
}

/** bench/gpu/torch_bench.py of this checkout (the same path from src/bench/torch and dist/bench/torch). */
export function torchBenchScript(): string {
  const script = path.resolve(__dirname, '..', '..', '..', 'bench', 'gpu', 'torch_bench.py');
  if (!fs.existsSync(script)) {
    throw new TorchUnavailable(
      `bench --torch: its harness ${script} is missing: bench/gpu/torch_bench.py comes with the repository, not with the npm package`,
    );
  }
  return script;
}
