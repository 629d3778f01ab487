// The host side of the quadrant swap augmentation: the training images followed by a swapped copy
// of each, which the training split uploads once so that the epoch's order can pick an image's
// copy instead of the image (augmentBatch.ts).

/**
 * The images followed by their swapped copies ([2·count] images of shape [c, h, w]): the copy of an
 * image has its top-right and bottom-left floor(h/2)×floor(w/2) quarters exchanged, exactly as the
 * quadrantSwap op does.
 */
export function swappedCopies(images: Uint8Array, count: number, [c, h, w]: readonly [number, number, number]): Uint8Array {
  const bytes = c * h * w;
  const out = new Uint8Array(2 * count * bytes);
  out.set(images.subarray(0, count * bytes));
  const copy = out.subarray(count * bytes);
  copy.set(images.subarray(0, count * bytes));
  const qh = Math.floor(h / 2);
  const qw = Math.floor(w / 2);
  for (let plane = 0; plane < count * c; plane++) {
    const base = plane * h * w;
    for (let i = 0; i < qh; i++) {
      const top = base + i * w + (w - qw); // the top-right quarter's row i
      const bottom = base + (i + h - qh) * w; // the bottom-left quarter's row i
      copy.set(images.subarray(bottom, bottom + qw), top);
      copy.set(images.subarray(top, top + qw), bottom);
    }
  }
  return out;
}
