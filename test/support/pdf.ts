/**
 * Reads back what a PDF made by pdfkit says, for tests: its info dictionary,
 * its pages, and its text. pdfkit writes text in an embedded font as codes of
 * the font's subset, in deflated content streams; each font's ToUnicode CMap
 * says which characters the codes stand for. This reads just that much of
 * PDF (pdfkit's own output), not PDF in general.
 */
import { inflateSync } from 'node:zlib';

export interface PdfContents {
  /** The info dictionary's strings: Title, Author, Subject, Creator, … */
  info: Record<string, string>;
  pages: number;
  /** Each page's text runs (one per `TJ`, about a line of one cell), in the order they are drawn. */
  text: string[][];
}

interface PdfObject {
  dictionary: string;
  stream?: Buffer;
}

export function readPdf(pdf: Buffer): PdfContents {
  const objects = parseObjects(pdf);
  const trailer = pdf.toString('latin1', pdf.lastIndexOf('trailer'));
  const infoRef = /\/Info (\d+) 0 R/.exec(trailer)?.[1];
  const info: Record<string, string> = {};
  // Each entry's value is a literal string, or (as pdfkit writes them) an object that is one.
  for (const [, key, literal, ref] of (infoRef ? objects.get(Number(infoRef))!.dictionary : '').matchAll(/\/(\w+) (?:\(((?:\\[\s\S]|[^\\)])*)\)|(\d+) 0 R)/g)) {
    const value = literal ?? /^\(((?:\\[\s\S]|[^\\)])*)\)$/.exec(objects.get(Number(ref))!.dictionary.trim())?.[1];
    if (value !== undefined) info[key!] = decodeString(value);
  }

  // /F1 … name a font in every page's resources alike: pdfkit numbers fonts per document.
  const fontByName = new Map<string, Map<number, string>>();
  for (const object of objects.values()) {
    for (const [, name, ref] of object.dictionary.matchAll(/\/(F\d+) (\d+) 0 R/g)) {
      const toUnicode = /\/ToUnicode (\d+) 0 R/.exec(objects.get(Number(ref))?.dictionary ?? '')?.[1];
      if (toUnicode) fontByName.set(name!, parseCMap(objects.get(Number(toUnicode))!.stream!.toString('latin1')));
    }
  }

  const pageObjects = [...objects.values()].filter((object) => /\/Type \/Page\b/.test(object.dictionary));
  const text = pageObjects.map((page) => {
    const contents = /\/Contents (\d+) 0 R/.exec(page.dictionary)![1];
    return textRuns(objects.get(Number(contents))!.stream!.toString('latin1'), fontByName);
  });
  return { info, pages: pageObjects.length, text };
}

function parseObjects(pdf: Buffer): Map<number, PdfObject> {
  const objects = new Map<number, PdfObject>();
  const source = pdf.toString('latin1');
  const start = /(\d+) 0 obj\n/g;
  for (let match = start.exec(source); match; match = start.exec(source)) {
    const bodyStart = match.index + match[0].length;
    const streamAt = source.indexOf('\nstream\n', bodyStart);
    const endAt = source.indexOf('\nendobj', bodyStart);
    if (streamAt !== -1 && streamAt < endAt) {
      const dictionary = source.slice(bodyStart, streamAt);
      const length = Number(/\/Length (\d+)/.exec(dictionary)![1]);
      const dataStart = streamAt + '\nstream\n'.length;
      const data = pdf.subarray(dataStart, dataStart + length);
      objects.set(Number(match[1]), { dictionary, stream: /\/FlateDecode/.test(dictionary) ? inflateSync(data) : data });
      start.lastIndex = source.indexOf('\nendobj', dataStart + length);
    } else {
      objects.set(Number(match[1]), { dictionary: source.slice(bodyStart, endAt) });
    }
  }
  return objects;
}

/** A literal string's contents (between its parentheses): escapes undone, UTF-16 (with a byte order mark) decoded. */
function decodeString(literal: string): string {
  const bytes = Buffer.from(literal.replace(/\\([nrtbf()\\]|[0-7]{1,3})/g, (_, escape: string) => unescape(escape)), 'latin1');
  return bytes[0] === 0xfe && bytes[1] === 0xff ? Buffer.from(bytes.subarray(2)).swap16().toString('utf16le') : bytes.toString('latin1');
}

function unescape(escape: string): string {
  if (/^[0-7]+$/.test(escape)) return String.fromCharCode(parseInt(escape, 8));
  return ({ n: '\n', r: '\r', t: '\t', b: '\b', f: '\f' } as Record<string, string>)[escape] ?? escape;
}

/** A ToUnicode CMap as pdfkit writes it: `<first> <last> [<utf16> …]` ranges. */
function parseCMap(cmap: string): Map<number, string> {
  const codes = new Map<number, string>();
  for (const [, first, entries] of cmap.matchAll(/<([0-9a-f]+)> <[0-9a-f]+> \[([^\]]*)\]/gi)) {
    [...entries!.matchAll(/<([0-9a-f ]+)>/gi)].forEach(([, units], index) => {
      codes.set(parseInt(first!, 16) + index, String.fromCharCode(...units!.split(' ').map((unit) => parseInt(unit, 16))));
    });
  }
  return codes;
}

/** The text of each `TJ` in a content stream, in the font its `Tf` chose. */
function textRuns(content: string, fonts: Map<string, Map<number, string>>): string[] {
  const runs: string[] = [];
  let font: Map<number, string> | undefined;
  for (const [, name, array] of content.matchAll(/\/(F\d+) [\d.]+ Tf|\[([^\]]*)\] TJ/g)) {
    if (name) font = fonts.get(name);
    else runs.push([...array!.matchAll(/<([0-9a-f]+)>/gi)].map(([, hex]) => hex!.match(/.{4}/g)!.map((code) => font?.get(parseInt(code, 16)) ?? '�').join('')).join(''));
  }
  return runs;
}
