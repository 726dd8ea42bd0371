import { describe, expect, it } from 'vitest';
import { isMbox, splitMbox } from './ingest-files.js';

describe('splitMbox', () => {
  it('splits on From_ lines and undoes mboxrd escaping', () => {
    const mbox = Buffer.from(
      'From a@x Mon Nov 23 10:00:00 2026\nSubject: one\n\n>From here\n>>From there\n\nFrom b@x Mon Nov 23 10:01:00 2026\nSubject: two\n\nbody\n\n',
      'latin1',
    );
    expect(isMbox(mbox)).toBe(true);
    expect(splitMbox(mbox).map((b) => b.toString('latin1'))).toEqual(['Subject: one\n\nFrom here\n>From there\n', 'Subject: two\n\nbody\n']);
  });

  it('keeps 8-bit bytes unchanged', () => {
    const body = Buffer.from([0x53, 0x3a, 0x20, 0xe9, 0x0a, 0x0a, 0xff, 0x0a]);
    const mbox = Buffer.concat([Buffer.from('From x Mon Nov 23 10:00:00 2026\n'), body, Buffer.from('\n')]);
    expect(splitMbox(mbox)[0]!.equals(body)).toBe(true);
  });

  it('an .eml is not an mbox', () => {
    expect(isMbox(Buffer.from('From: a@x\nSubject: s\n\nhi'))).toBe(false);
  });
});
