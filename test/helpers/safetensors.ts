// The independent safetensors reference (safetensors_reference.py: Python's standard library and
// NumPy, written from the format's specification) as the tests call it.
import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import path from 'path';

const REFERENCE = path.join(__dirname, 'safetensors_reference.py');

/** What `reference('read', file)` prints. */
export interface ReferenceRead {
  metadata: Record<string, string>;
  /** Whether NumPy did the reading (else Python's struct module). */
  numpy: boolean;
  tensors: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number]; bits?: string[] }>;
}

/** Runs the Python reference with these arguments; its stdout. */
export function reference(...args: string[]): string {
  return execFileSync('python3', [REFERENCE, ...args], { encoding: 'utf8', maxBuffer: 1 << 30 });
}

/** The reference's reading of `file`. */
export function referenceRead(file: string): ReferenceRead {
  return JSON.parse(reference('read', file)) as ReferenceRead;
}

/** What `reference('summary', file)` prints: per tensor the SHA-256 of its values instead of the values. */
export interface ReferenceSummary {
  metadata: Record<string, string>;
  numpy: boolean;
  tensors: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number]; sha256: string }>;
}

/** The reference's summary of `file` (for large files). */
export function referenceSummary(file: string): ReferenceSummary {
  return JSON.parse(reference('summary', file)) as ReferenceSummary;
}

/** The SHA-256 of float32 values as little-endian bytes, as the reference's summary computes it. */
export function sha256Of(a: Float32Array): string {
  return createHash('sha256').update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest('hex');
}

/** Whether NumPy is there for the reference's `forward`. */
export function referenceHasNumpy(): boolean {
  try {
    execFileSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Each float32 as the hex of its bits, as the reference prints them (NaN, -0, infinities exact). */
export function bitsOf(a: Float32Array): string[] {
  return [...new Uint32Array(a.buffer, a.byteOffset, a.length)].map((b) => b.toString(16).padStart(8, '0'));
}
