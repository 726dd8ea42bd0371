/**
 * Signature delimiters and the footers mobile and webmail clients append, in their languages (sources in
 * `fixtures/replies/README.md`). Everything from such a line down to the quoted history is signature. Each
 * pattern is anchored and runs on one trimmed line of at most MAX_FOOTER_LINE_LENGTH characters.
 */

/** A footer is one short line; a longer line that starts the same way is prose ("Sent from my phone because …"). */
export const MAX_FOOTER_LINE_LENGTH = 100;

/**
 * What follows "Sent from" in a footer: a possessive ("my", "mon", "meinem", …) or a device, app or service.
 * Asking for one keeps prose such as "Sent by courier yesterday." in the reply.
 */
const DEVICE =
  "(?:my|mon|ma|mi|mio|mia|meu|minha|meinem|mijn|min|mitt|mój|mojego|моего|моём|iPhone|iPad|iPod|Android|Samsung|Galaxy|Outlook|Yahoo|Mail|Gmail|AOL|BlackBerry|Huawei|Xiaomi|Redmi|OnePlus|Pixel|Nokia|Motorola|Proton\\w*|Spark|Airmail|BlueMail|K-9|Windows|mobile|smartphone|the|Apple|iOS|Telefon|teléfono|telefone|telefono|телефона?|iPhone'a|Outlook'a)(?=[\\s.,!)]|$)";

function footer(verbs: string, preps: string): RegExp {
  return new RegExp(`^[(<]*(?:${verbs}) (?:${preps}) ${DEVICE}.*$`, 'iu');
}

const FOOTERS: readonly RegExp[] = [
  footer('Sent', 'from|via|with|using|on'), // en: "Sent from my iPhone", "Sent from Mail for Windows", "Sent via Spark"
  /^(?:Get|Download) Outlook for (?:iOS|Android)\b.*$/i,
  /^Von meinem \S.{0,60} gesendet\.?$/i, // de: "Von meinem iPhone gesendet"
  footer('Gesendet', 'von|mit|vom|via'),
  /^Diese Nachricht wurde von \S.{0,60} gesendet\.?$/i,
  footer('Envoyé|Envoye', 'de|depuis|à partir de|avec|via'), // fr: "Envoyé de mon iPhone"
  /^(?:Télécharger|Obtenir) Outlook pour (?:iOS|Android)\b.*$/i,
  footer('Enviado|Enviada', 'desde|do|dal|com|con|a partir do|a partir de|de|via'), // es, pt
  /^(?:Obtener|Obtenha|Baixe o|Baixar o) Outlook (?:para|pro) (?:iOS|Android)\b.*$/i,
  footer('Inviato', 'da|dal|con|tramite|via'), // it: "Inviato da iPhone"
  /^Scarica Outlook per (?:iOS|Android)\b.*$/i,
  footer('Verzonden|Verstuurd', 'vanaf|met|van|via'), // nl
  /^Outlook voor (?:iOS|Android) downloaden\b.*$/i,
  footer('Skickat|Skickad', 'från|med|via'), // sv
  footer('Sendt', 'fra|med|via'), // da, nb
  /^(?:Hent|Skaffa|Få) Outlook (?:til|för|for) (?:iOS|Android)\b.*$/i,
  /^Lähetetty (?:iPhonesta|iPadista|Android-laitteesta|Outlook for (?:iOS|Android)ista|laitteesta \S.{0,40}|\S{1,30}(?:sta|stä))$/i, // fi
  footer('Отправлено', 'с|из|через'), // ru: "Отправлено с iPhone"
  footer('Надіслано', 'з|із'), // uk
  footer('Wysłane|Wysłano', 'z|ze|przez'), // pl: "Wysłane z iPhone'a"
  footer('Odesláno', 'z|ze'), // cs
  /^\S.{0,40}から送信$/, // ja: "iPhoneから送信"
  /^(?:从我的|從我的|發自我的|发自我的)\s?\S.{0,40}$/, // zh: "从我的iPhone发送", "發自我的 iPhone"
  /^내 \S.{0,40}에서 보냄$/, // ko
];

/** The RFC 3676 delimiter "-- " (often trimmed to "--"), or a client footer line. */
export function isSignatureStart(raw: string): boolean {
  if (raw === '-- ' || raw === '--') return true;
  const line = raw.trim();
  if (!line || line.length > MAX_FOOTER_LINE_LENGTH) return false;
  return FOOTERS.some((re) => re.test(line));
}
