// Options objects from JavaScript callers: TypeScript checks them at compile time, plain JavaScript
// does not, so a misspelt option ({ stirde: 2 }) or a value where the object goes (Tensor.zeros(s,
// 'cuda')) would otherwise be ignored silently. Both are errors naming the op and the bad value.

function describe(value: unknown): string {
  if (typeof value === 'string') return `the string '${value}'`;
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return typeof value === 'object' ? `a ${value.constructor?.name ?? 'null-prototype'} object` : `${typeof value} ${String(value)}`;
}

/**
 * Returns `options` (or `{}` when undefined) after checking that it is a plain object whose own keys
 * are all among `known`; throws a TypeError naming `op` otherwise.
 */
export function checkOptions<T extends object>(options: T | undefined, known: readonly (keyof T & string)[], op: string): T {
  if (options === undefined) return {} as T;
  const proto: unknown = typeof options === 'object' && options !== null ? Object.getPrototypeOf(options) : undefined;
  if (proto !== Object.prototype && proto !== null) {
    throw new TypeError(`${op}: options must be an object like { ${known.join(', ')} }, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!(known as readonly string[]).includes(key)) {
      throw new TypeError(`${op}: unknown option '${key}' (known: ${known.join(', ')})`);
    }
  }
  return options;
}
