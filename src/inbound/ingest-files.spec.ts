import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isMbox, readMessageFile, splitMbox } from './ingest-files.js';

describe('splitMbox', () => {
  it('splits on From_ lines and undoes mboxrd escaping', () => {
    const mbox = Buffer.from(
      'From a@x Mon Nov 23 10:00:00 2026\nSubject: one\n\n>From here\n>>From there\n\nFrom b@x Mon Nov 23 10:01:00 2026\nSubject: two\n\nbody\n\n',
      'latin1',
    );
    expect(isMbox(mbox)).toBe(true);
    expect(splitMbox(mbox).map((b) => b.toString('latin1'))).toEqual([
      'Subject: one\n\nFrom here\n>From there\n',
      'Subject: two\n\nbody\n',
    ]);
  });

  it('keeps 8-bit bytes unchanged', () => {
    const body = Buffer.from([0x53, 0x3a, 0x20, 0xe9, 0x0a, 0x0a, 0xff, 0x0a]);
    const mbox = Buffer.concat([Buffer.from('From x Mon Nov 23 10:00:00 2026\n'), body, Buffer.from('\n')]);
    expect(splitMbox(mbox)[0]!.equals(body)).toBe(true);
  });

  it('an .eml is not an mbox', () => {
    expect(isMbox(Buffer.from('From: a@x\nSubject: s\n\nhi'))).toBe(false);
  });

  it('splits an mbox with bare-CR line ends (classic Mac OS) instead of finding no message in it', () => {
    const mbox = Buffer.from(
      'From a@x Mon Nov 23 10:00:00 2026\rSubject: one\r\rhi\r\rFrom b@x Mon Nov 23 10:01:00 2026\rSubject: two\r\rbody\r',
      'latin1',
    );
    expect(splitMbox(mbox).map((b) => b.toString('latin1'))).toEqual(['Subject: one\r\rhi\r', 'Subject: two\r\rbody']);
  });

  it('a file that starts like an mbox but holds no message is kept as one message, not dropped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'intake-mbox-'));
    try {
      const cut = Buffer.from('From webdev-admin@linux.ie  Thu Aug 2', 'latin1');
      writeFileSync(join(dir, 'cut.mbox'), cut);
      const messages = await readMessageFile(join(dir, 'cut.mbox'));
      expect(messages).toHaveLength(1);
      expect(messages[0]!.equals(cut)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('readMessageFile on single messages saved with an envelope line', () => {
  const withFile = async (name: string, data: Buffer, check: (messages: Buffer[]) => void) => {
    const dir = mkdtempSync(join(tmpdir(), 'intake-eml-'));
    try {
      writeFileSync(join(dir, name), data);
      check(await readMessageFile(join(dir, name)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('keeps a single .eml whole when body lines start with "From " (no blank line or date before them)', async () => {
    const eml =
      'From - Mon Nov 23 10:00:00 2026\nFrom: ann@x\nSubject: s\n\nHello,\nFrom here on the box was open.\n\nFrom what I saw, it fell.\n';
    await withFile('one.eml', Buffer.from(eml, 'latin1'), (messages) => {
      expect(messages.map((b) => b.toString('latin1'))).toEqual([
        'From: ann@x\nSubject: s\n\nHello,\nFrom here on the box was open.\n\nFrom what I saw, it fell.',
      ]);
    });
  });

  it('still splits a real mbox at separators that follow an empty line and carry a date', async () => {
    const mbox =
      'From a@x Mon Nov 23 10:00:00 2026\r\nSubject: one\r\n\r\nFrom now on\r\n\r\nFrom b@x  Mon Nov 23 10:01:00 2026\r\nSubject: two\r\n\r\nbody\r\n';
    await withFile('box.mbox', Buffer.from(mbox, 'latin1'), (messages) => {
      expect(messages.map((b) => b.toString('latin1'))).toEqual([
        'Subject: one\r\n\r\nFrom now on\r\n',
        'Subject: two\r\n\r\nbody',
      ]);
    });
  });

  it('reads an mbox or .eml that starts with a UTF-8 byte-order mark', async () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    await withFile(
      'bom.mbox',
      Buffer.concat([bom, Buffer.from('From a@x Mon Nov 23 10:00:00 2026\nSubject: one\n\nhi\n')]),
      (m) => {
        expect(m.map((b) => b.toString('latin1'))).toEqual(['Subject: one\n\nhi']);
      },
    );
    const eml = Buffer.concat([bom, Buffer.from('Subject: one\n\nhi\n')]);
    await withFile('bom.eml', eml, (m) => expect(m.map((b) => b.toString('latin1'))).toEqual(['Subject: one\n\nhi\n']));
  });

  it('gives a message with bare-CR line ends CRLF ones, so it is stored and read as the mail it is', async () => {
    await withFile('mac.eml', Buffer.from('Subject: one\rFrom: a@x\r\rhi\r'), (m) => {
      expect(m.map((b) => b.toString('latin1'))).toEqual(['Subject: one\r\nFrom: a@x\r\n\r\nhi\r\n']);
    });
  });
});
