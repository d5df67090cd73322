/**
 * The fonts an invoice document embeds: DejaVu Sans (Latin, Greek, Cyrillic
 * and more), so a customer's name in any of those scripts prints; PDF's 14
 * standard fonts cover Latin-1 only.
 */
import { type PackageFiles, packageFilePaths } from '../../shared/runtime/package-files.js';

/** Each face's TrueType file; `npm run build` copies them into the bundle's `fonts/`. */
export const invoiceFontFiles = {
  packageDir: 'dejavu-fonts-ttf/ttf',
  bundleDir: 'fonts',
  files: { regular: 'DejaVuSans.ttf', bold: 'DejaVuSans-Bold.ttf' },
} as const satisfies PackageFiles<string>;

export type InvoiceFonts = Record<keyof typeof invoiceFontFiles.files, string>;

/** The path of each face; throws at start-up when a file is missing, rather than on the first request. */
export function invoiceFonts(): InvoiceFonts {
  return packageFilePaths(invoiceFontFiles, import.meta.url);
}
