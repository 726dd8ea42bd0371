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
