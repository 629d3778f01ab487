// Reading a CIFAR release archive (cifar-10-binary.tar.gz, cifar-100-binary.tar.gz, or the
// uncompressed .tar) without unpacking it to disk: each wanted member is validated as the folder
// reader would (cifar.ts), and the archive's own damage is an error naming it.
import fs from 'fs';
import path from 'path';
import { readTar, TarEntry, TarFormatError } from './archive';
import {
  CifarDataset,
  CifarFile,
  CifarRelease,
  MAX_META_BYTES,
  READ_OPTION_KEYS,
  ReadOptions,
  ReadPlan,
  checkSize,
  classNamesOf,
  parseRecords,
  readPlan,
  recordBytes,
} from './cifar';
import { DatasetError } from './images';
import { checkOptions } from '../util/options';

const fmt = (n: number): string => n.toLocaleString('en-US');

/**
 * Reads a release archive (default CIFAR-10's) without unpacking it to disk: its members under
 * the release's folder (cifar-10-batches-bin/, cifar-100-binary/) are validated as
 * {@link readCifarFolder} would. Throws {@link DatasetError} (BAD_ARCHIVE for a damaged or foreign
 * archive, MISSING with the members present, or the member's own problem).
 */
export async function readCifarArchive(archive: string, options: ReadOptions = {}): Promise<CifarDataset> {
  options = checkOptions(options, READ_OPTION_KEYS, 'readCifarArchive');
  const plan = readPlan(options);
  const { release } = plan;
  const file = path.resolve(archive);
  const files = new Map<string, CifarFile>();
  const meta = new Map<string, { text: string; label: string }>();
  const entries = await scanCifarArchive(file, plan, (member, data, parsed, base) => {
    if (parsed) files.set(base, parsed);
    else meta.set(base, { text: data.toString('utf8'), label: member });
  });
  const missing = [...release.trainFiles, ...(plan.requireTest ? [release.testFile] : [])].filter((n) => !files.has(n));
  if (missing.length) throw missingMembers(file, missing, entries, release);
  return {
    source: file,
    classNames: classNamesOf(plan, (metaFile) => meta.get(metaFile) ?? null),
    train: release.trainFiles.map((n) => files.get(n)!),
    test: files.get(release.testFile) ?? null,
  };
}

/** The error for members missing from an archive, listing what it holds. @internal */
export function missingMembers(archive: string, missing: string[], entries: TarEntry[], release: CifarRelease): DatasetError {
  const names = entries.map((e) => e.name);
  const shown = names.slice(0, 12).join(', ');
  return new DatasetError(
    'MISSING',
    archive,
    `missing ${missing.map((m) => `${release.folder}/${m}`).join(', ')}; ` +
      (names.length ? `the archive holds: ${shown}${names.length > 12 ? `, … (${names.length} members)` : ''}` : 'the archive holds no files'),
  );
}

const escaped = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The members of `release` the readers want: its folder's data and class-name files. */
function memberPattern(release: CifarRelease): RegExp {
  const names = [...release.trainFiles, release.testFile, ...release.labelBytes.map((b) => b.metaFile)];
  return new RegExp(`^${escaped(release.folder)}/(${names.map(escaped).join('|')})$`);
}

/**
 * Streams through a release archive, validating each wanted member and handing it to `onMember`
 * (`parsed` is null for a class-name file; `base` is the member's name in the release). Resolves
 * to every member seen. Internal to the reader and the downloader.
 * @internal
 */
export async function scanCifarArchive(
  file: string,
  plan: ReadPlan,
  onMember: (member: string, data: Buffer, parsed: CifarFile | null, base: string) => void | Promise<void>,
): Promise<TarEntry[]> {
  const { release } = plan;
  const wanted = memberPattern(release);
  const metaFiles = new Set(release.labelBytes.map((b) => b.metaFile));
  const baseOf = (name: string): string => name.slice(release.folder.length + 1);
  const maxData = (base: string): number => {
    const records = plan.records(base);
    return records === null ? 2 ** 31 - 1 : records * recordBytes(release);
  };
  const label = (name: string): string => `${file} (member ${name})`;
  if (!fs.existsSync(file)) throw new DatasetError('NOT_FOUND', file, 'no such file');
  if (fs.statSync(file).size === 0) throw new DatasetError('EMPTY', file, 'empty file (0 bytes)');
  try {
    return await readTar(
      file,
      (entry) => (wanted.test(entry.name) ? { maxBytes: metaFiles.has(baseOf(entry.name)) ? MAX_META_BYTES : maxData(baseOf(entry.name)) } : false),
      async (entry, data) => {
        const base = baseOf(entry.name);
        const parsed = metaFiles.has(base) ? null : parseRecords(data, label(entry.name), base, plan);
        await onMember(label(entry.name), data, parsed, base);
      },
      (entry) => {
        const base = baseOf(entry.name);
        if (metaFiles.has(base)) throw new DatasetError('BAD_META', label(entry.name), `${fmt(entry.size)} bytes is too large for a class-name list`);
        checkSize(entry.size, label(entry.name), plan.records(base), release, base);
        throw new DatasetError('OVERSIZED', label(entry.name), `${fmt(entry.size)} bytes is too large`);
      },
    );
  } catch (error) {
    if (error instanceof TarFormatError) {
      throw new DatasetError('BAD_ARCHIVE', file, `${error.message}; expected the ${release.title} binary release (${release.archive})`);
    }
    if (error instanceof DatasetError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code) throw new DatasetError('BAD_ARCHIVE', file, `cannot be read (${code})`);
    throw error;
  }
}
