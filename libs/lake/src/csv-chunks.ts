import { createReadStream } from 'node:fs';
import Papa from 'papaparse';

/**
 * The rows of a CSV file, a read chunk at a time (papaparse's parser on each chunk, the cut last row
 * carried over): the caller handles a chunk's rows, may wait, and asks for the next — so nothing is read
 * ahead of what it wrote. Blank lines are skipped; a byte order mark is dropped.
 */
export async function* csvChunks(path: string): AsyncGenerator<string[][]> {
  const decoder = new TextDecoder();
  let text = '';
  let newline: '\n' | '\r\n' | undefined;
  const rows = (last: boolean): string[][] => {
    if (!newline) {
      const eol = text.indexOf('\n');
      if (eol < 0 && !last) return [];
      newline = eol > 0 && text[eol - 1] === '\r' ? '\r\n' : '\n';
    }
    const { data, meta } = new Papa.Parser({ delimiter: ',', newline, skipEmptyLines: true }).parse(text, 0, !last) as Papa.ParseResult<string[]>;
    text = last ? '' : text.slice(meta.cursor);
    return data.filter((row) => row.length > 1 || row[0] !== '');
  };
  for await (const chunk of createReadStream(path)) {
    text += decoder.decode(chunk as Buffer, { stream: true });
    yield rows(false);
  }
  text += decoder.decode();
  yield rows(true);
}
