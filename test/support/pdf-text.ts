// Reads what a PDF printed by Chromium (Skia) says, without poppler: the pages, and the text of each page from its
// content streams (Tj / TJ show strings) through the fonts' ToUnicode maps. Enough to check that a report's words are
// really in the PDF — not a general PDF reader (no encryption, object streams or cross-reference streams; Skia writes
// none of them).
import { inflateSync } from 'node:zlib';

interface PdfObject {
  dict: string;
  stream: Buffer | null;
}

function parseObjects(pdf: Buffer): Map<number, PdfObject> {
  const text = pdf.toString('latin1');
  const objects = new Map<number, PdfObject>();
  const head = /(\d+) 0 obj\s*/g;
  let m: RegExpExecArray | null;
  while ((m = head.exec(text))) {
    const start = m.index + m[0].length;
    const end = text.indexOf('endobj', start);
    if (end < 0) break;
    const body = text.slice(start, end);
    const s = body.indexOf('stream');
    let stream: Buffer | null = null;
    let dict = body;
    if (s >= 0 && /^\s*<</.test(body)) {
      dict = body.slice(0, s);
      let dataStart = start + s + 'stream'.length;
      if (text[dataStart] === '\r') dataStart++;
      if (text[dataStart] === '\n') dataStart++;
      const length = /\/Length (\d+)(?!\s+\d+\s+R)/.exec(dict);
      const dataEnd = length ? dataStart + Number(length[1]) : text.indexOf('endstream', dataStart);
      const raw = pdf.subarray(dataStart, dataEnd);
      stream = /\/FlateDecode/.test(dict) ? inflateSync(raw) : raw;
    }
    objects.set(Number(m[1]), { dict, stream });
    head.lastIndex = end;
  }
  return objects;
}

const ref = (dict: string, key: string): number | null => {
  const m = new RegExp(`/${key}\\s+(\\d+)\\s+0\\s+R`).exec(dict);
  return m ? Number(m[1]) : null;
};

function hexToUtf16(hex: string): string {
  let out = '';
  for (let i = 0; i + 4 <= hex.length; i += 4) out += String.fromCharCode(parseInt(hex.slice(i, i + 4), 16));
  return out;
}

/** A ToUnicode CMap: source code (hex, upper case) → text. */
function parseCMap(cmap: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const block of cmap.matchAll(/beginbfchar([\s\S]*?)endbfchar/g)) {
    for (const m of block[1]!.matchAll(/<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>/g)) {
      map.set(m[1]!.toUpperCase(), hexToUtf16(m[2]!));
    }
  }
  for (const block of cmap.matchAll(/beginbfrange([\s\S]*?)endbfrange/g)) {
    for (const m of block[1]!.matchAll(/<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*(<[0-9A-Fa-f]+>|\[[^\]]*\])/g)) {
      const width = m[1]!.length;
      const lo = parseInt(m[1]!, 16);
      const hi = parseInt(m[2]!, 16);
      const targets = m[3]!.startsWith('[') ? [...m[3]!.matchAll(/<([0-9A-Fa-f]+)>/g)].map((x) => x[1]!) : null;
      for (let code = lo; code <= hi; code++) {
        const key = code.toString(16).toUpperCase().padStart(width, '0');
        if (targets) map.set(key, hexToUtf16(targets[code - lo] ?? ''));
        else {
          const base = m[3]!.slice(1, -1);
          const first = parseInt(base.slice(-4), 16) + (code - lo);
          map.set(key, hexToUtf16(base.slice(0, -4) + first.toString(16).padStart(4, '0')));
        }
      }
    }
  }
  return map;
}

interface Font {
  bytes: number;
  toUnicode: Map<string, string> | null;
}

function decodeString(hexOrLiteral: string, font: Font | undefined): string {
  let hex: string;
  if (hexOrLiteral.startsWith('<')) hex = hexOrLiteral.slice(1, -1).toUpperCase();
  else {
    const literal = hexOrLiteral
      .slice(1, -1)
      .replace(/\\([nrtbf()\\]|[0-7]{1,3})/g, (_, e: string) =>
        /^[0-7]+$/.test(e)
          ? String.fromCharCode(parseInt(e, 8))
          : ({ n: '\n', r: '\r', t: '\t', b: '\b', f: '\f' }[e] ?? e),
      );
    hex = Buffer.from(literal, 'latin1').toString('hex').toUpperCase();
  }
  const width = (font?.bytes ?? 1) * 2;
  let out = '';
  for (let i = 0; i + width <= hex.length; i += width) {
    const code = hex.slice(i, i + width);
    out += font?.toUnicode?.get(code) ?? (width === 2 ? String.fromCharCode(parseInt(code, 16)) : '');
  }
  return out;
}

export interface PdfText {
  pages: number;
  /** The text of each page: show strings concatenated, a line break between text objects, NFKC-normalised. */
  text: string[];
}

export function pdfText(pdf: Buffer): PdfText {
  if (pdf.subarray(0, 5).toString('latin1') !== '%PDF-') throw new Error('not a PDF');
  const objects = parseObjects(pdf);
  const pages = [...objects.values()].filter((o) => /\/Type\s*\/Page(?![s\w])/.test(o.dict));
  const text = pages.map((page) => {
    const fonts = new Map<string, Font>();
    const fontDict = /\/Font\s*<<([\s\S]*?)>>/.exec(page.dict)?.[1] ?? '';
    for (const m of fontDict.matchAll(/\/(\w+)\s+(\d+)\s+0\s+R/g)) {
      const font = objects.get(Number(m[2]));
      if (!font) continue;
      const cmapId = ref(font.dict, 'ToUnicode');
      const cmap = cmapId === null ? null : objects.get(cmapId)?.stream?.toString('latin1');
      fonts.set(m[1]!, { bytes: /\/Type0/.test(font.dict) ? 2 : 1, toUnicode: cmap ? parseCMap(cmap) : null });
    }
    const contentIds = /\/Contents\s*\[([^\]]*)\]/.exec(page.dict)?.[1]
      ? [.../\/Contents\s*\[([^\]]*)\]/.exec(page.dict)![1]!.matchAll(/(\d+)\s+0\s+R/g)].map((x) => Number(x[1]))
      : [ref(page.dict, 'Contents')].filter((x): x is number => x !== null);
    const content = contentIds.map((id) => objects.get(id)?.stream?.toString('latin1') ?? '').join('\n');
    let font: Font | undefined;
    let out = '';
    const token =
      /\/(\w+)\s+[-\d.]+\s+Tf|(<[0-9A-Fa-f\s]*>|\((?:\\.|[^\\)])*\))\s*Tj|\[((?:[^\]\\]|\\.)*)\]\s*TJ|\bET\b/g;
    for (const m of content.matchAll(token)) {
      if (m[1]) font = fonts.get(m[1]);
      else if (m[2]) out += decodeString(m[2].replace(/\s/g, ''), font);
      else if (m[3] !== undefined) {
        for (const s of m[3].matchAll(/<[0-9A-Fa-f\s]*>|\((?:\\.|[^\\)])*\)/g))
          out += decodeString(s[0].replace(/\s/g, ''), font);
      } else out += '\n';
    }
    // CJK fonts map shared glyphs to Kangxi radicals (⽉ U+2F49 for 月): NFKC gives the ideographs back.
    return out.normalize('NFKC');
  });
  return { pages: pages.length, text };
}
