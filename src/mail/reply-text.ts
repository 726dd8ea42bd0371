/**
 * The new part of a reply: what the sender wrote above the quoted history, without the signature.
 * Line-based heuristics for the shapes the common clients produce; the full text is always kept
 * beside it, so a wrong cut loses nothing.
 */

/** Longest text we look at line by line; beyond that the reply is surely above. */
export const MAX_REPLY_SCAN_LENGTH = 200_000;

/** A line that starts quoted history, on its own ("On <date>, <who> wrote:" and its translations). */
const ATTRIBUTION = [
  /^On\b.{0,300}\bwrote:?$/i, // Gmail, Apple Mail, Thunderbird
  /^Am\b.{0,300}\bschrieb\b.{0,300}:$/i, // German
  /^Le\b.{0,300}\ba écrit\s?:$/i, // French
  /^Op\b.{0,300}\bschreef\b.{0,300}:$/i, // Dutch
  /^El\b.{0,300}\bescribió:?$/i, // Spanish
  // No '@' inside either half: with it, '<a@a@a@…' is tried at every '@' and the line is scanned quadratically.
  /^.{0,300}<[^<>\s@]+@[^<>\s@]+>\s+(wrote|schrieb|a écrit|schreef):?$/i,
];

/**
 * Longer lines are body text: no attribution or separator is this long (the patterns above allow about 620
 * characters), and the patterns' cost grows with the line, so they never see such a line.
 */
const MAX_MARKER_LINE_LENGTH = 1_000;

/** Separators clients put above quoted or forwarded mail. */
const SEPARATOR = [
  /^-{2,}\s*(Original Message|Ursprüngliche Nachricht|Message d'origine|Oorspronkelijk bericht|Mensaje original|Messaggio originale)\s*-{2,}$/i,
  /^-{2,}\s*(Forwarded message|Weitergeleitete Nachricht|Message transféré|Doorgestuurd bericht)\s*-{0,}$/i,
  /^(Begin forwarded message|Anfang der weitergeleiteten Nachricht|Début du message réexpédié)\s*:$/i, // Apple Mail
  /^_{10,}$/, // Outlook on the web draws a rule above its From:/Sent: block
];

/** Outlook's header block: "From:" followed within a few lines by "Sent:"/"Date:" (and translations). */
const BLOCK_FROM = /^\*?(From|Von|De|Van|Da)\s?:\*?\s/i;
const BLOCK_SENT = /^\*?(Sent|Date|Gesendet|Datum|Envoyé|Verzonden|Inviato|Enviado)\s?:\*?\s/i;

/** Signature delimiters and mobile footers; everything below them is signature. */
const SIGNATURE = [
  /^-- ?$/, // RFC 3676 "-- " (often trimmed to "--")
  /^(Sent from my (iPhone|iPad|iPod|Android|BlackBerry|Samsung|Galaxy|mobile)\b.*)$/i,
  /^(Sent from (Mail|Outlook) for (Windows|iOS|Android|Mac)\b.*|Get Outlook for (iOS|Android)\b.*|Sent from Yahoo Mail\b.*)$/i,
  /^(Von meinem (iPhone|iPad|Android|Smartphone|Samsung).*gesendet\.?|Gesendet von meinem (iPhone|iPad).*)$/i,
  /^(Envoyé de mon (iPhone|iPad|Android|Samsung)\b.*)$/i,
  /^(Verstuurd vanaf mijn (iPhone|iPad|Android|Samsung)\b.*|Verzonden vanaf mijn (iPhone|iPad)\b.*)$/i,
];

export interface ReplyParts {
  /** The new text. */
  reply: string;
  /** The signature that followed it, if one was recognised. */
  signature: string;
  /** The quoted history (attribution line included). */
  quoted: string;
}

function historyStart(lines: string[]): number {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line || line.length > MAX_MARKER_LINE_LENGTH) continue;
    if (SEPARATOR.some((re) => re.test(line))) return i;
    if (ATTRIBUTION.some((re) => re.test(line))) return i;
    // Attribution wrapped over two lines: "On Mon, 2 Nov 2026 at 10:00, Ann Smith <" / "ann@example.com> wrote:"
    const next = lines[i + 1]?.trim();
    if (
      next &&
      next.length <= MAX_MARKER_LINE_LENGTH &&
      /^(On|Am|Le|Op|El)\b/i.test(line) &&
      ATTRIBUTION.some((re) => re.test(`${line} ${next}`))
    )
      return i;
    if (BLOCK_FROM.test(line)) {
      for (let j = i + 1; j < Math.min(lines.length, i + 5); j++) {
        if (BLOCK_SENT.test(lines[j]!.trim())) return i;
      }
    }
  }
  return lines.length;
}

/** Trailing '>' lines (and blank lines between them) belong to the quote; inline answers between quotes stay. */
function trailingQuoteStart(lines: string[], end: number): number {
  let start = end;
  let sawQuote = false;
  for (let i = end - 1; i >= 0; i--) {
    const line = lines[i]!.trim();
    if (line.startsWith('>')) {
      sawQuote = true;
      start = i;
    } else if (line === '') {
      if (sawQuote) start = i;
    } else break;
  }
  return sawQuote ? start : end;
}

function signatureStart(lines: string[], end: number): number {
  for (let i = 0; i < end; i++) {
    const raw = lines[i]!;
    if (raw === '-- ' || raw === '--' || SIGNATURE.slice(1).some((re) => re.test(raw.trim()))) return i;
  }
  return end;
}

/** Splits a plain-text reply into the new text, its signature and the quoted history. */
export function splitReply(text: string): ReplyParts {
  const scanned = text.length > MAX_REPLY_SCAN_LENGTH ? text.slice(0, MAX_REPLY_SCAN_LENGTH) : text;
  const lines = scanned.replace(/\r\n?/g, '\n').split('\n');
  let end = historyStart(lines);
  end = trailingQuoteStart(lines, end);
  const sig = signatureStart(lines, end);
  const reply = lines
    .slice(0, sig)
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  const signature = lines.slice(sig, end).join('\n').trim();
  const quoted = (
    lines.slice(end).join('\n') + (scanned.length < text.length ? text.slice(scanned.length) : '')
  ).trim();
  return { reply, signature, quoted };
}

/**
 * The new part of a reply. When nothing is left after cutting (a forward without a comment, a reply
 * that is all quote) the whole text is returned: an empty note would hide what arrived.
 */
export function extractReplyText(text: string): string {
  const { reply } = splitReply(text);
  return reply || text.trim();
}

/** A reply or forward: it refers to earlier mail, or its subject says so. Fresh mail keeps its full text. */
export function looksLikeReply(m: {
  inReplyTo: string | null;
  references: readonly string[];
  subject: string;
}): boolean {
  // The blanks after the counter belong to it: two \s* around an optional counter are quadratic on 'Re' + spaces.
  return (
    m.inReplyTo !== null ||
    m.references.length > 0 ||
    /^\s*(re|aw|sv|vs|antw|fw|fwd|wg|tr|doorst|rif|r)\s*((\[\d+\]|\(\d+\))\s*)?[:：]/i.test(m.subject)
  );
}
