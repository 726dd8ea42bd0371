import { describe, expect, it } from 'vitest';
import { extractReplyText, looksLikeReply, replyTextOf, splitReply } from './reply-text.js';

describe('reply text', () => {
  it('cuts a Gmail attribution wrapped over two lines and the quote below it', () => {
    const text =
      'Thanks!\n\nOn Mon, 2 Nov 2026 at 11:04, Example Support <support@example.com>\nwrote:\n\n> Hello\n> there';
    const parts = splitReply(text);
    expect(parts.reply).toBe('Thanks!');
    expect(parts.quoted).toMatch(/^On Mon/);
  });

  it.each([
    ['German', 'Danke.\n\nAm 02.11.2026 um 11:04 schrieb Example Support <support@example.com>:\n> Hallo'],
    ['French', 'Merci.\n\nLe lun. 2 nov. 2026 à 11:04, Example Support <support@example.com> a écrit :\n> Bonjour'],
    ['Dutch', 'Bedankt.\n\nOp ma 2 nov. 2026 om 11:04 schreef Example Support <support@example.com>:\n> Hallo'],
    [
      'Outlook separator',
      'Done.\n\n-----Original Message-----\nFrom: Example Support\nSent: Monday\nSubject: x\n\nold',
    ],
    [
      'German Outlook separator',
      'Erledigt.\n\n-----Ursprüngliche Nachricht-----\nVon: Example Support\nGesendet: Montag\n\nalt',
    ],
    [
      'Outlook From/Sent block',
      'Done.\n\n________________________________\nFrom: Example Support <support@example.com>\nSent: Monday, November 9, 2026 4:40 PM\nTo: Ann\nSubject: x\n\nold',
    ],
    [
      'bare From/Sent block',
      'Done.\n\nFrom: Example Support <support@example.com>\nSent: Monday, November 9, 2026 4:40 PM\nTo: Ann\n\nold',
    ],
    [
      'French Outlook block',
      'Fait.\n\nDe : Example Support <support@example.com>\nEnvoyé : lundi 9 novembre 2026 16:40\nÀ : Ann\n\nancien',
    ],
    ['Apple Mail forward', 'FYI.\n\nBegin forwarded message:\n\nFrom: Shop\nSubject: x'],
    ['Gmail forward', 'FYI.\n\n---------- Forwarded message ---------\nFrom: Shop\n'],
  ])('cuts quoted history (%s)', (_name, text) => {
    expect(extractReplyText(text)).toMatch(/^(Danke|Merci|Bedankt|Done|Erledigt|Fait|FYI)\.$/);
  });

  it('cuts a trailing > quote but keeps inline answers between quotes', () => {
    expect(extractReplyText('Yes.\n\n> old line\n>\n> more\n')).toBe('Yes.');
    const inline = '> Which size?\n38\n> Which colour?\nBlue\n\n> thanks\n';
    expect(extractReplyText(inline)).toBe('> Which size?\n38\n> Which colour?\nBlue');
  });

  it.each([
    ['-- \nAnn Example\nCEO'],
    ['--\nAnn'],
    ['Sent from my iPhone'],
    ['Get Outlook for iOS'],
    ['Von meinem iPhone gesendet'],
    ['Envoyé de mon iPhone'],
    ['Verstuurd vanaf mijn iPhone'],
  ])('separates the signature %j', (sig) => {
    const parts = splitReply(`New text here.\n\n${sig}\n\n> quoted`);
    expect(parts.reply).toBe('New text here.');
    expect(parts.signature).toBe(sig.trim());
  });

  it('does not mistake a line that merely mentions From: for a header block', () => {
    const text = 'From: my side everything is fine.\nThe parcel came.';
    expect(extractReplyText(text)).toBe(text);
  });

  it('returns the whole text when nothing new is left', () => {
    expect(extractReplyText('> only a quote\n> here')).toBe('> only a quote\n> here');
    expect(extractReplyText('---------- Forwarded message ---------\nFrom: Shop\n\nbody')).toMatch(/^-{10} Forwarded/);
  });

  it('tells replies from fresh mail', () => {
    expect(looksLikeReply({ inReplyTo: 'a@b', references: [], subject: 'x' })).toBe(true);
    expect(looksLikeReply({ inReplyTo: null, references: ['a@b'], subject: 'x' })).toBe(true);
    expect(looksLikeReply({ inReplyTo: null, references: [], subject: 'AW: x' })).toBe(true);
    expect(looksLikeReply({ inReplyTo: null, references: [], subject: 'Refund' })).toBe(false);
  });

  it('takes linear time on hostile lines and still cuts real attributions', () => {
    // Seconds to minutes before the fix: the test timeout catches a return; no time is asserted.
    // Compared with ===: a failing toBe would print the whole 200 KB.
    const atRun = `${'x'.repeat(300)}<${'a@'.repeat(90_000)}`;
    expect(extractReplyText(atRun) === atRun).toBe(true);
    const spaces = `Thanks\nOn ${' '.repeat(190_000)}wrote`;
    expect(extractReplyText(spaces) === spaces).toBe(true);
    const lines = `${'x'.repeat(300)}<${'a@'.repeat(350)}\n`.repeat(190);
    expect(extractReplyText(lines) === lines.trim()).toBe(true);
    expect(looksLikeReply({ inReplyTo: null, references: [], subject: `Re${' '.repeat(100_000)}x` })).toBe(false);
    expect(looksLikeReply({ inReplyTo: null, references: [], subject: 'Re [2] : x' })).toBe(true);
    expect(extractReplyText('Fine.\n\nAnn Smith <ann@example.net> wrote:\n> old')).toBe('Fine.');
  });

  it.each([
    ['Swedish Gmail', 'Den mån 2 nov. 2026 kl 11:04 skrev Anna Svensson <anna@example.net>:'],
    ['Finnish Gmail', 'ma 2. marrask. 2026 klo 11.04 Anna Virtanen (anna@example.net) kirjoitti:'],
    ['Russian Gmail, no verb', 'пн, 2 нояб. 2026 г. в 11:04, Анна Иванова <anna@example.net>:'],
    ['Japanese Gmail, no verb', '2026年11月2日(月) 11:04 山田花子 <hanako@example.net>:'],
    ['Chinese Gmail', '王芳 <fang@example.net> 于2026年11月2日周一 11:04写道：'],
    ['Polish Gmail', 'pon., 2 lis 2026 o 11:04 Anna Kowalska <anna@example.net> napisał(a):'],
    ['Italian Gmail', 'Il giorno lun 2 nov 2026 alle ore 11:04 Anna Rossi <anna@example.net> ha scritto:'],
    ['Portuguese Gmail', 'Em seg., 2 de nov. de 2026 às 11:04, Ana Souza <ana@example.net> escreveu:'],
  ])('cuts a %s attribution', (_name, attribution) => {
    expect(extractReplyText(`Thanks.\n\n${attribution}\n\n> Hello`)).toBe('Thanks.');
  });

  it.each([
    ['Finnish', 'Lähettäjä: Support <s@example.com>\nLähetetty: maanantai 2. marraskuuta 2026 11.04\nAihe: x'],
    ['Russian', 'От: Support <s@example.com>\nОтправлено: 2 ноября 2026 г. 11:04\nТема: x'],
    ['Japanese, empty From', '差出人:\n送信日時: 2026年11月2日 11:04\n件名: RE: x'],
    ['Chinese', '发件人: Support <s@example.com>\n发送时间: 2026年11月2日 11:04\n主题: x'],
    ['Polish', 'Od: Support <s@example.com>\nWysłano: poniedziałek, 2 listopada 2026 11:04\nTemat: x'],
    [
      'Swedish, From wrapped',
      'Från: Example Support Team\n<s@example.com>\nSkickat: den 2 november 2026 11:04\nÄmne: x',
    ],
  ])('cuts an Outlook header block (%s)', (_name, block) => {
    expect(extractReplyText(`Thanks.\n\n${block}\n\nold text`)).toBe('Thanks.');
  });

  it.each([
    'Enviado desde mi iPhone',
    'Inviato da iPhone',
    'Skickat från min iPhone',
    'Sendt fra min iPhone',
    'Отправлено с iPhone',
    'iPhoneから送信',
    '从我的iPhone发送',
    "Wysłane z iPhone'a",
    'Lähetetty iPhonesta',
    'Sent from my Galaxy',
  ])('separates the mobile footer %j', (footer) => {
    expect(splitReply(`New text.\n\n${footer}\n\n> quoted`)).toMatchObject({ reply: 'New text.', signature: footer });
  });

  it('keeps prose that starts like a footer or an attribution', () => {
    const prose = 'Sent by courier yesterday, the box is missing.\nLast week I wrote:\nthe address is wrong.';
    expect(extractReplyText(prose)).toBe(prose);
  });

  it('keeps the new text of a reply written below the quote', () => {
    const text =
      'On Mon, Nov 2, 2026 at 11:04 AM Support <s@example.com> wrote:\n> Photo please?\n\nPhoto attached.\n\n-- \nAnn';
    expect(splitReply(text)).toMatchObject({ reply: 'Photo attached.', signature: '-- \nAnn'.trim() });
    expect(extractReplyText('> Photo please?\n\nPhoto attached.')).toBe('Photo attached.');
  });

  it('stays linear on hostile lines aimed at the multilingual patterns', () => {
    const verbs = ['schrieb ', 'skrev ', 'schreef ', 'kirjoitti '];
    for (const verb of verbs) {
      const line = `Am 1 ${verb.repeat(10_000)}:`;
      expect(extractReplyText(line) === line).toBe(true);
      // Lines just under the marker-line limit, where every pattern runs.
      const many = `x ${verb.repeat(Math.floor(990 / verb.length))}.\n`.repeat(200);
      expect(extractReplyText(many) === many.trim()).toBe(true);
    }
    const wrapped = `On 1\n${'x@'.repeat(300)}\n${'y '.repeat(400)}wrote:\n`.repeat(100);
    expect(typeof extractReplyText(wrapped)).toBe('string');
    const footers = `Sent from ${'my '.repeat(30_000)}\n`;
    expect(typeof extractReplyText(footers)).toBe('string');
  });

  it('cuts an Outlook reply that has no In-Reply-To, References or known prefix; fresh mail keeps its text', () => {
    const outlook =
      'Done.\n\nVon: Support <s@example.com>\nGesendet: Montag, 2. November 2026 11:04\nBetreff: x\n\nold';
    expect(replyTextOf(outlook, false)).toBe('Done.');
    const fresh = 'Hello,\nmy parcel is late.\n\n-- \nAnn';
    expect(replyTextOf(fresh, false)).toBe(fresh);
    expect(replyTextOf(fresh, true)).toBe('Hello,\nmy parcel is late.');
  });

  it.each(['Odp: x', 'RES: x', 'RV: x', 'Ответ: x', '回复：x', '答复: x', '返信: x', 'VL: x'])(
    'counts the localized prefix %j as a reply',
    (subject) => {
      expect(looksLikeReply({ inReplyTo: null, references: [], subject })).toBe(true);
    },
  );
});
