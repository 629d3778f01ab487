// The PyTorch side of `bench --torch`: one long-lived Python process (bench/gpu/torch_bench.py
// --serve) that sets cases up and times single runs on request, so the bench can alternate them
// with ours round by round. JSON requests, one a line, on its stdin; one JSON answer a line on its
// stdout; its stderr is passed on as progress.
import { ChildProcessWithoutNullStreams, spawn } from 'child_process';
import readline from 'readline';

/** What the harness says about itself (torch_bench.py's Server.hello). */
export interface TorchInfo {
  torch: string;
  python: string;
  python_version: string;
  config: string;
  parallel_info: string;
  parallel_backend: string | null;
  cpu_capability: string | null;
  mkldnn_enabled: boolean;
  onednn: OnednnInfo;
  blas: BlasInfo | null;
  /** torch.get_num_threads() before the harness set it (torch's default: its count of physical cores). */
  default_threads: number;
  threads: number;
  blas_threads: number | null;
  lc_check_max_abs_error: number;
  lc: string;
}

export interface BlasInfo {
  /** 'OpenBLAS (pthread)', 'MKL', 'BLIS', 'ATLAS', 'reference', 'unknown', … */
  kind: string;
  /** The reference (netlib) BLAS: correct, and many times slower. */
  reference: boolean;
  /** The BLAS shared libraries mapped into the process (/proc/self/maps). */
  libraries: string[];
  /** The library whose sgemm_ torch calls (dlsym from libtorch_cpu's handle, then dladdr); null when not found. */
  sgemm_from: string | null;
  /** OpenBLAS only: openblas_get_config(), openblas_get_corename(). */
  config?: string;
  corename?: string;
}

/** oneDNN's compute primitives (not its layout reorders) seen in one traced run. */
export interface OnednnTrace {
  primitives: { primitive: string; prop_kind: string; impl: string; count: number }[];
  /** The first convolution line oneDNN printed, whole. */
  convolution_line: string | null;
  /** ATen's convolution kernels in that run, from torch's profiler: 'aten::mkldnn_convolution', 'aten::_slow_conv2d_forward', … */
  aten?: string[];
}

export interface OnednnInfo extends OnednnTrace {
  /** From torch.__config__.show(): '2.6.3'. */
  version: string | null;
  /** oneDNN's own info lines: 'oneDNN v2.6.3 (commit N/A)', the CPU ISA it dispatches to, its threading runtime. */
  banner?: string;
  isa?: string;
  runtime?: string;
  /** Whether oneDNN's verbose mode could be switched on (torch.backends.mkldnn.verbose). */
  traced: boolean;
}

export interface SgemmShape {
  /** What the shape is: '2048³', 'cifar.conv2 conv_forward b128', … */
  label: string;
  m: number;
  n: number;
  k: number;
}

export interface SgemmRow extends SgemmShape {
  ms: number;
  gflops: number;
  repeats: number;
}

interface Reply {
  id: number;
  error?: string;
  unsupported?: boolean;
  [key: string]: unknown;
}

/** An error answer: `unsupported` when the harness has no workload for the request. */
export class HarnessError extends Error {
  constructor(
    message: string,
    readonly unsupported: boolean,
  ) {
    super(message);
  }
}

const STDERR_TAIL = 20;

export class TorchHarness {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(r: Reply): void; reject(e: Error): void }>();
  private readonly stderrTail: string[] = [];
  private exited: Error | null = null;
  private readonly exit: Promise<void>;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    readonly python: string,
    log: (line: string) => void,
  ) {
    readline.createInterface({ input: child.stdout }).on('line', (line) => this.answer(line));
    readline.createInterface({ input: child.stderr }).on('line', (line) => {
      this.stderrTail.push(line);
      if (this.stderrTail.length > STDERR_TAIL) this.stderrTail.shift();
      log(`torch: ${line}`);
    });
    this.exit = new Promise((resolve) => {
      const done = (why: string) => {
        this.exited ??= new Error(`the PyTorch harness (${python}) ${why}${this.tail()}`);
        for (const p of this.pending.values()) p.reject(this.exited);
        this.pending.clear();
        resolve();
      };
      child.on('error', (error) => done(`failed: ${error.message}`));
      child.on('close', (code, signal) => done(`exited (${signal ?? `code ${code}`})`));
    });
    // A broken pipe is reported through the pending requests, not as an unhandled error.
    child.stdin.on('error', () => undefined);
  }

  /** Starts the harness and waits for its hello (torch imported, BLAS and oneDNN inspected). */
  static async start(python: string, script: string, threads: number, log: (line: string) => void): Promise<{ harness: TorchHarness; info: TorchInfo }> {
    const child = spawn(python, ['-u', script, '--serve', '--device', 'cpu'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, PYTHONUNBUFFERED: '1' },
    });
    const harness = new TorchHarness(child, python, log);
    try {
      const info = (await harness.request({ cmd: 'hello', threads })) as unknown as TorchInfo;
      return { harness, info };
    } catch (error) {
      await harness.close();
      throw error;
    }
  }

  private tail(): string {
    const lines = this.stderrTail.filter((l) => l.trim() !== '').slice(-5);
    return lines.length > 0 ? `; its last words: ${lines.join(' | ')}` : '';
  }

  private answer(line: string): void {
    let reply: Reply;
    try {
      reply = JSON.parse(line) as Reply;
    } catch {
      this.stderrTail.push(`(not JSON on stdout) ${line}`);
      return;
    }
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    if (reply.error !== undefined) p.reject(new HarnessError(`torch: ${reply.error}`, reply.unsupported === true));
    else p.resolve(reply);
  }

  /** Sends one request; resolves with its answer, rejects with a {@link HarnessError} or the harness's end. */
  request(message: Record<string, unknown>): Promise<Reply> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextId++;
    return new Promise<Reply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.stdin.write(`${JSON.stringify({ ...message, id })}\n`);
    });
  }

  /** A request whose answer nobody waits for (freeing a case). */
  send(message: Record<string, unknown>): void {
    this.request(message).catch(() => undefined);
  }

  /** Asks the harness to quit and waits for it (killing it after 5 s). */
  async close(): Promise<void> {
    if (!this.exited) {
      this.send({ cmd: 'quit' });
      this.child.stdin.end();
    }
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await this.exit;
    clearTimeout(timer);
  }
}
