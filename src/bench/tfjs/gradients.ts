// tfjs-core's CommonJS build registers no gradients (the @tensorflow/tfjs union package does, from
// tfjs-core's ES-module files). The training-step baselines need them, so this imports those
// files, which use extensionless relative specifiers, through a small resolve hook. Gradients and
// the engine live in globals shared by both builds, so the CommonJS tf sees them. Slow (seconds),
// hence only when a tfjs training step is to be timed.
import { register } from 'module';
import { pathToFileURL } from 'url';

const RESOLVE_HOOK = `
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (error) {
    const code = error && error.code;
    const relative = specifier.startsWith('./') || specifier.startsWith('../');
    if (!relative || specifier.endsWith('.js') || (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'ERR_UNSUPPORTED_DIR_IMPORT')) throw error;
    try {
      return await next(specifier + '.js', context);
    } catch {
      return next(specifier + '/index.js', context);
    }
  }
}`;

// A real import(): TypeScript's CommonJS output would turn `import()` into require().
const esmImport = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

let registered: Promise<void> | null = null;

/** Registers tfjs' gradient functions (once); rejects when they cannot be loaded. */
export function registerTfjsGradients(): Promise<void> {
  registered ??= (async () => {
    register(`data:text/javascript,${encodeURIComponent(RESOLVE_HOOK)}`);
    const file = require.resolve('@tensorflow/tfjs-core/dist/register_all_gradients.js');
    await esmImport(pathToFileURL(file).href);
  })();
  return registered;
}
