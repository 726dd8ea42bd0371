import { readFile } from 'node:fs/promises';
import { withCrlfLineEnds } from '../mail/parse.js';

/*
 * Reading the messages in a file (.eml or mbox) as `intake parse` and `intake ingest` take them. Kept apart from
 * storing and queuing, so `intake parse` loads no queue code.
 */

/** A UTF-8 byte-order mark, which some editors and Windows tools put before the first header. */
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

function withoutBom(data: Buffer): Buffer {
  return data.subarray(0, 3).equals(UTF8_BOM) ? data.subarray(3) : data;
}

/** True when the bytes start with an mbox `From ` separator line (after a byte-order mark, if any). */
export function isMbox(data: Buffer): boolean {
  return withoutBom(data).subarray(0, 5).toString('latin1') === 'From ';
}

/** A separator line after the first: `From <sender> <asctime date>`, e.g. `From ann@x Mon Nov 23 10:00:00 2026`. */
const ENVELOPE_LINE = /^From \S{1,500} {1,4}[^\r\n]{0,120}\b\d{1,2}:\d{2}/;
const LINE = /^From [^\r\n]*(?:\r\n|\n|\r)/gm;
const ENDS_WITH_BLANK_LINE = /(?:\r\n|\n|\r)(?:\r\n|\n|\r)$/;

/**
 * Splits an mbox into raw messages. A separator is the first line, or a later line that starts with `From `, follows
 * an empty line and carries the envelope's date (mboxo/mboxrd: the writer ends each message with an empty line, and
 * escapes body lines starting `From ` as `>From `). So a single message saved with its envelope line, whose body has
 * an unescaped "From here on …" line, stays one message. mboxrd escaping is undone (`>From ` -> `From `,
 * `>>From ` -> `>From `). Bytes go through latin1, which maps every byte to one char and back unchanged.
 */
export function splitMbox(data: Buffer): Buffer[] {
  const text = withoutBom(data).toString('latin1');
  // A line ends with LF, CRLF or a bare CR (classic Mac OS mailboxes).
  const starts: { at: number; end: number }[] = [];
  for (const m of text.matchAll(LINE)) {
    const at = m.index;
    const isFirst = at === 0;
    if (!isFirst && !(ENDS_WITH_BLANK_LINE.test(text.slice(Math.max(0, at - 4), at)) && ENVELOPE_LINE.test(m[0])))
      continue;
    starts.push({ at, end: at + m[0].length });
  }
  const out: Buffer[] = [];
  starts.forEach((s, i) => {
    const part = text.slice(s.end, starts[i + 1]?.at ?? text.length);
    // The writer ends each message with one empty line before the next separator.
    const body = part.replace(/(?:\r\n|\n|\r)$/, '').replace(/^>(>*From )/gm, '$1');
    if (body.trim() !== '') out.push(Buffer.from(body, 'latin1'));
  });
  return out;
}

/**
 * The raw messages in a file: one for an .eml, each message for an mbox. A file that starts like an mbox but holds
 * no message (its From_ line cut off, say) is one message as it is, so its bytes are stored and the worker reports
 * it as failed, instead of nothing being stored.
 */
export async function readMessageFile(path: string): Promise<Buffer[]> {
  const data = await readFile(path);
  if (!isMbox(data)) return [normalisedMessage(data)];
  const messages = splitMbox(data);
  return messages.length > 0 ? messages.map(normalisedMessage) : [data];
}

/**
 * A message from a file as a mail server would hand it over: no byte-order mark before the header, and CRLF line
 * ends when the file has bare-CR ones. The stored bytes are then what every later step (de-duplication by
 * Message-ID, the worker's parse) reads correctly.
 */
function normalisedMessage(raw: Buffer): Buffer {
  return withCrlfLineEnds(withoutBom(raw));
}
