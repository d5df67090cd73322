/**
 * The fonts an invoice document embeds: DejaVu Sans (Latin, Greek, Cyrillic
 * and more), so a customer's name in any of those scripts prints; PDF's 14
 * standard fonts cover Latin-1 only. `npm run build` copies them beside the
 * bundle (`fonts/`); from source they are read from node_modules.
 */
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The package's folder of TrueType files, under node_modules. */
export const fontPackageDir = 'dejavu-fonts-ttf/ttf';

/** Each face's file in that folder, and in the bundle's `fonts/`. */
export const invoiceFontFiles = { regular: 'DejaVuSans.ttf', bold: 'DejaVuSans-Bold.ttf' } as const;

export type InvoiceFonts = Record<keyof typeof invoiceFontFiles, string>;

/** Where `npm run build` puts the fonts, relative to the bundle (`dist/functions/invoice-document/fonts/`). */
const bundledDir = new URL('./fonts/', import.meta.url);

/** The path of each face; throws at start-up when a file is missing, rather than on the first request. */
export function invoiceFonts(): InvoiceFonts {
  const bundled = Object.values(invoiceFontFiles).every((file) => readable(fileURLToPath(new URL(file, bundledDir))));
  const path = (file: string) =>
    bundled ? fileURLToPath(new URL(file, bundledDir)) : createRequire(import.meta.url).resolve(`${fontPackageDir}/${file}`);
  const fonts = { regular: path(invoiceFontFiles.regular), bold: path(invoiceFontFiles.bold) };
  for (const file of Object.values(fonts)) accessSync(file, constants.R_OK);
  return fonts;
}

function readable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}
