// The N-API boundary must never crash: runs the fuzzer (test/fuzz/fuzz_exports.js) in a child
// process and asserts the child was not killed by a signal (segfault, abort), exited 0 (no bad
// message, no wrong answer with shared memory, no broken invariant) and made enough calls to
// every export and tensor member. The seed is random per run and printed by the fuzzer; set
// WSR_FUZZ_SEED to replay one (WSR_FUZZ_CALLS and WSR_FUZZ_TIME_MS also pass through).
import { spawnSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { nativeAddon } from '../src/native';

const script = path.join(__dirname, 'fuzz', 'fuzz_exports.js');
const MIN_CALLS = 1000;  // per export and per tensor member; the fuzzer aims at 2000 within 20 s
// Under an address-space limit an enormous allocation fails at once on any overcommit setting,
// so nothing the fuzzer does can make the machine swap.
const ADDRESS_LIMIT_KIB = 8 * 1024 * 1024;

interface FuzzResult {
  seed: number;
  elapsed: number;
  total: number;
  exports: string[];
  unplanned: string[];
  problems: number;
  counts: Record<string, { calls: number; ok: number; threw: number }>;
}

function command(): [string, string[]] {
  if (process.platform === 'linux' && fs.existsSync('/bin/sh')) {
    const probe = spawnSync('/bin/sh', ['-c', `ulimit -v ${ADDRESS_LIMIT_KIB} && exec "$0" -e 0`, process.execPath]);
    if (probe.status === 0) return ['/bin/sh', ['-c', `ulimit -v ${ADDRESS_LIMIT_KIB} && exec "$0" "$1"`, process.execPath, script]];
  }
  return [process.execPath, [script]];
}

test('every native export and tensor member survives thousands of random and spoiled calls', () => {
  const [file, args] = command();
  const traceFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'wsr-fuzz-')), 'last-call.txt');
  const env = { WSR_FUZZ_CALLS: '2000', WSR_FUZZ_TIME_MS: '20000', ...process.env, WSR_FUZZ_TRACE: traceFile };
  const r = spawnSync(file, args, { env, encoding: 'utf8', timeout: 50_000, maxBuffer: 64 * 1024 * 1024 });
  const lastCall = fs.existsSync(traceFile) ? fs.readFileSync(traceFile, 'utf8').trimEnd() : '(none)';
  fs.rmSync(path.dirname(traceFile), { recursive: true, force: true });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  const lines = output.split('\n');
  const context = () =>
    `fuzzer exit status ${r.status}, signal ${r.signal}${r.error ? `, ${r.error.message}` : ''}; ` +
    `last call made: ${lastCall}\nlast output:\n${lines.filter((l) => !l.startsWith('FUZZ_RESULT')).slice(-40).join('\n')}`;
  if (r.signal !== null || r.status !== 0 || r.error) throw new Error(context());

  const line = lines.find((l) => l.startsWith('FUZZ_RESULT '));
  if (!line) throw new Error(`no FUZZ_RESULT line; ${context()}`);
  const result = JSON.parse(line.slice('FUZZ_RESULT '.length)) as FuzzResult;
  expect(result.problems).toBe(0);

  // Every export of the addon was fuzzed (the fuzzer finds them with Object.keys).
  const exported = Object.keys(nativeAddon()).filter((k) => k !== 'NativeTensor');
  expect([...result.exports].sort()).toEqual(exported.sort());
  const targets = [...result.exports, ...['read', 'write', 'copyFrom', 'to', 'reshape', 'sharesMemory', 'dispose',
    'shape', 'dtype', 'device', 'disposed'].map((m) => `tensor.${m}`), 'NativeTensor.constructor'];
  const short = targets.filter((t) => !(result.counts[t]?.calls >= MIN_CALLS)).map((t) => `${t}: ${result.counts[t]?.calls ?? 0}`);
  if (short.length) throw new Error(`fewer than ${MIN_CALLS} calls for ${short.join(', ')}; ${context()}`);
  if (result.unplanned.length) console.warn(`fuzzed with random arguments only (no plausible calls): ${result.unplanned.join(', ')}`);
}, 60_000);
