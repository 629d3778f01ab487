// The native addon without its declared types, for tests that call an export with wrong arguments on
// purpose (too few, wrong types) to see the binding's error. Everything else calls nativeAddon(),
// typed by src/native.ts.
import { nativeAddon } from '../../src/native';

type AnyExport = (...args: unknown[]) => unknown;

export function untypedAddon(): Record<string, AnyExport> {
  return nativeAddon() as unknown as Record<string, AnyExport>;
}
