/**
 * The lines mail clients put above quoted history, in the languages they ship. Where each phrasing comes from
 * (the test fixtures and pattern lists of public reply and forward parsers, and real client output) is listed in
 * `fixtures/replies/README.md`. Every pattern here runs on one line of at most MAX_MARKER_LINE_LENGTH characters
 * (or two or three such lines joined) and is linear: each `.{0,n}` is bounded and follows a literal word, so a
 * long line is never rescanned from every position.
 */

/**
 * Longer lines are body text: no attribution or separator is this long, and the patterns' cost grows with the
 * line, so they never see such a line.
 */
export const MAX_MARKER_LINE_LENGTH = 1_000;

/** Longest attribution we accept once wrapped lines are joined; a paragraph of prose is longer. */
export const MAX_ATTRIBUTION_LENGTH = 400;

/**
 * How an attribution line ends: "wrote" in the clients' languages, optionally a colon (ASCII or full-width).
 * Some languages put the date after the verb ("Ann <a@x> schrieb am Fr., 28. Apr. 2017 um 11:53 Uhr:",
 * "Ann <a@x> kirjoitti 1.1.2026 klo 10.00:", "Ann <a@x> skrev følgende den 1. jan. 2026:").
 */
const WROTE_END = new RegExp(
  '(?:' +
    [
      '\\bwrote', // en: Gmail, Apple Mail, Thunderbird, Outlook
      '\\bwrites',
      '\\bschrieb(?:en Sie)?(?: .{1,200}[:：])?', // de: "Am … schrieb Ann <a@x>:", "Ann <a@x> schrieb am …:"
      '\\bgeschrieben', // de, nl
      'a [ée]crit', // fr
      'nous a dit', // fr
      '\\bescribi[óo]', // es
      '\\bha scritto', // it
      '\\bescreveu', // pt
      '\\bschreef(?: .{1,200}[:：])?', // nl ("Op … schreef Ann <a@x>:")
      '\\bskrev(?: .{1,200}[:：])?', // sv, da, nb ("Den … skrev Ann <a@x>:", "Ann <a@x> skrev følgende den …:")
      '\\bkirjoitti(?: .{1,100})?', // fi
      'написал(?:\\(а\\)|а)?', // ru
      'пише', // uk
      '\\bnapisa[łl](?:\\(a\\)|a)?', // pl, cs
      '\\bpisze', // pl
      'のメッセージ', // ja (Gmail)
      '写道', // zh-CN
      '寫道', // zh-TW
      '작성', // ko
    ].join('|') +
    ')\\s?[:：]?\\s*$',
  'i',
);

/**
 * How an attribution starts: the lead word of "On <date>, <who> wrote:" in each language, or a date
 * ("2026/11/02 11:04 …のメッセージ:", "ср, 30 апр. 2025 г. в 15:19, …:", "pe 20. lokakuuta 2017 klo 17.50 …").
 */
const ATTRIBUTION_LEAD =
  /^(?:[>\s*-]{0,8})(?:On|At|In message|Le|Am|El|Il(?: giorno)?|Em|Op|Den|D\.|På|W dniu|Dnia|Dne|在|\d|[\p{L}]{1,4}\.?,? \d)/iu;

/** A date or time: "11:04", "17.50", "2026", "2026年", "30 апр.". */
const DATE_LIKE = /\d{1,2}[:.]\d{2}|\b(?:19|20)\d{2}\b|\d{4}年|\d{1,2}月/;

/**
 * An e-mail address as written in attributions: `<ann@x.com>`, `(ann@x.com)`, `[ann@x.com]`, `"ann@x.com"` or bare.
 * The match starts only at a token boundary and the token class excludes every boundary character, so each token
 * is scanned once whatever the input (`a@a@a@…`, long runs of letters).
 */
const ADDRESS = /(?:^|[\s<([":;,])[^\s<>()[\]":;,@]{1,64}@[^\s<>()[\]":;,@]{1,255}/;

/** Lines that start quoted or forwarded history on their own. */
const SEPARATORS: readonly RegExp[] = [
  // Outlook "-----Original Message-----", Thunderbird "-------- Original Message --------", Gmail and Yahoo
  // "---------- Forwarded message ---------" and their translations.
  new RegExp(
    '^[>*\\s]{0,4}-{2,}\\s?(?:' +
      [
        'Original Message',
        'Reply Message',
        'Forwarded Message',
        'Ursprüngliche Nachricht',
        'Antwort Nachricht',
        'Weitergeleitete Nachricht',
        "Message d'origine",
        'Message transféré',
        'Message transmis',
        'Oorspronkelijk bericht',
        'Doorgestuurd bericht',
        'Mensaje original',
        'Mensaje reenviado',
        'Messaggio originale',
        'Messaggio inoltrato',
        'Mensagem original',
        'Mensagem encaminhada',
        'Mensagem reencaminhada',
        'Originalmeddelande',
        'Ursprungligt meddelande',
        'Vidarebefordrat meddelande',
        'Oprindelig meddelelse',
        'Oprindelig besked',
        'Videresendt meddelelse',
        'Opprinnelig melding',
        'Videresendt melding',
        'Alkuperäinen viesti',
        'Edelleenlähetetty viesti',
        'Välitetty viesti(?: / Fwd\\.Msg)?',
        'Исходное сообщение',
        'Пересылаемое сообщение',
        'Перенаправленное сообщение',
        'Oryginalna wiadomość',
        'Wiadomość oryginalna',
        'Przekazana wiadomość',
        'Treść przekazanej wiadomości',
        '原始邮件',
        '原始郵件',
        '转发的邮件',
      ].join('|') +
      ')\\s?-{0,}\\*?$',
    'i',
  ),
  // Apple Mail's forward line, in its languages.
  new RegExp(
    '^[>\\s]{0,4}(?:' +
      [
        'Begin forwarded message',
        'Anfang der weitergeleiteten Nachricht',
        'Début du message réexpédié',
        'Début du message transféré',
        'Inicio del mensaje reenviado',
        'Inizio messaggio inoltrato',
        'Início da mensagem (?:re)?encaminhada',
        'Begin doorgestuurd bericht',
        'Vidarebefordrat mejl',
        'Start på videresendt besked',
        'Videresendt melding',
        'Välitetty viesti alkaa',
        'Начало переадресованного сообщения',
        'Początek przekazywanej wiadomości',
      ].join('|') +
      ')\\s?[:：]$',
    'i',
  ),
  /^_{10,}$/, // Outlook on the web draws a rule above its From:/Sent: block
];

/** The first field of Outlook's (and other clients') quoted header block: "From:" in the clients' languages. */
export const BLOCK_FROM =
  /^[>\s]{0,4}\*?(?:From|Von|De|Van|Da|Fra|Från|Lähettäjä|От|Od|Expéditeur|Mittente|Nadawca|Feladó|差出人|发件人|寄件者|送信者)\s?\*?[:：]/i;

/** A date field of that block: "Sent:"/"Date:" in the clients' languages. */
export const BLOCK_DATE =
  /^[>\s]{0,4}\*?(?:Sent|Date|Gesendet|Datum|Envoyé|Verzonden|Inviato|Enviado(?: el)?|Enviada(?: em)?|Fecha|Data|Sendt|Dato|Skickat|Lähetetty|Päivämäärä|Päiväys|Отправлено|Дата|Wysłano|Wysłane|送信日時|日付|发送时间|日期|寄件日期)\s?\*?[:：]/i;

/** How many lines after "From:" its date field may come (To, Cc and a wrapped address come between). */
export const BLOCK_SPAN = 6;

export function isSeparator(line: string): boolean {
  return SEPARATORS.some((re) => re.test(line));
}

function hasAddress(s: string): boolean {
  return s.includes('@') && ADDRESS.test(s);
}

/**
 * Whether `text` (one line, or two or three wrapped lines joined with a space) is an attribution.
 * `quoteFollows` says the next non-blank line is `>`-quoted, which makes a bare "Ann wrote:" enough.
 */
export function isAttribution(text: string, quoteFollows: boolean): boolean {
  if (text.length > MAX_ATTRIBUTION_LENGTH) return false;
  const lead = ATTRIBUTION_LEAD.test(text);
  if (WROTE_END.test(text)) {
    // "I wrote:" in prose is not an attribution: ask for a date, an address, the lead word or a quote below.
    return quoteFollows || lead || DATE_LIKE.test(text) || hasAddress(text);
  }
  // A date and an address with no "wrote": "ср, 30 апр. 2025 г. в 15:19, John Doe <doe@example.com>:",
  // "2026年11月2日(月) 11:04 Ann <ann@example.net>:", "On 2 Nov 2026, at 11:04, Ann <ann@example.net>".
  const last = text.trimEnd().slice(-1);
  if (!hasAddress(text) || !DATE_LIKE.test(text)) return false;
  if (last === ':' || last === '：') return lead || quoteFollows;
  if (last === '>' || last === ')' || last === ']') return lead && quoteFollows;
  return false;
}

/**
 * Whether an attribution may start on this line, so that the wrapped lines below it are joined to it: it opens
 * like one ("On …", a date), or it opens a paragraph and is a short line that does not end a sentence (a name that
 * Gmail wrapped before its address: "王芳" / "<fang@example.net> 于2026年11月2日周一 11:04写道：").
 */
export function mayStartAttribution(line: string, opensParagraph: boolean): boolean {
  if (ATTRIBUTION_LEAD.test(line)) return true;
  return opensParagraph && line.length <= 120 && !/[.!?。！？]$/.test(line);
}

/** Whether an attribution may end on this line: the verb, or an address closed by ':' / '>'. */
export function mayEndAttribution(line: string): boolean {
  if (WROTE_END.test(line)) return true;
  const last = line.slice(-1);
  return (last === ':' || last === '：' || last === '>' || last === ')') && line.includes('@');
}
