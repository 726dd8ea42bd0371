import { describe, expect, it } from 'vitest';
import { extractReplyText, looksLikeReply, splitReply } from './reply-text.js';

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
});
