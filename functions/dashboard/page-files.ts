/**
 * The page's files and their compressed forms: `npm run build` writes them
 * beside the dashboard bundle, and the function reads them back (or, from
 * source, compresses what it built in memory).
 */
import { writeFile } from 'node:fs/promises';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';

/** The page's files by name (`index.html`, `app-<hash>.js`, …). */
export type PageFiles = Map<string, Uint8Array>;

/** A file's compressed forms, only where they are smaller; on disk as `<name>.br` and `<name>.gz`. */
export interface CompressedForms {
  readonly br?: Buffer;
  readonly gzip?: Buffer;
}

/** The suffix of each compressed form's file. */
export const compressedFiles = { br: '.br', gzip: '.gz' } as const;

/** Brotli at its best quality and gzip -9, each kept only when smaller than the file. */
export function compress(body: Buffer): CompressedForms {
  const br = brotliCompressSync(body, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: body.length } });
  const gzip = gzipSync(body, { level: 9 });
  return { ...(br.length < body.length && { br }), ...(gzip.length < body.length && { gzip }) };
}

/** Writes `contents` and its compressed forms into `dir` as `name`, `name.br` and `name.gz`; `npm run build` does. */
export async function writePageFile(dir: string, name: string, contents: Buffer): Promise<void> {
  const { br, gzip } = compress(contents);
  await Promise.all([
    writeFile(`${dir}/${name}`, contents),
    br && writeFile(`${dir}/${name}${compressedFiles.br}`, br),
    gzip && writeFile(`${dir}/${name}${compressedFiles.gzip}`, gzip),
  ]);
}
