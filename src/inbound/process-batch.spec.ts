import { describe, expect, it } from 'vitest';
import { DEFAULT_ORDER_REF_PATTERN } from '../config.js';
import { parseMessage } from '../mail/parse.js';
import { batchable } from './process-batch.js';

const options = {
  caseNumberPrefixes: ['CS-'],
  replyAddress: 'support@example.com',
  ownAddresses: [],
  orderRefPattern: DEFAULT_ORDER_REF_PATTERN,
};
const raw = (headers: string[]) =>
  Buffer.from(
    [...headers, 'From: Ann <ann@customer.example>', 'Date: Mon, 23 Nov 2026 10:00:00 +0000', '', 'Hello', ''].join(
      '\r\n',
    ),
  );

describe('batchable', () => {
  it('takes new mail and mail that only refers to messages by id (the batch looks those up)', async () => {
    expect(
      batchable(await parseMessage(raw(['To: support@example.com', 'Subject: Help', 'Message-ID: <a@x>']), options)),
    ).toBe(true);
    const reply = raw([
      'To: support@example.com',
      'Subject: Re: Help',
      'Message-ID: <b@x>',
      'In-Reply-To: <a@x>',
      'References: <a@x>',
    ]);
    expect(batchable(await parseMessage(reply, options))).toBe(true);
  });

  it('leaves reply tokens, case numbers in the subject and bounces to the single-message path', async () => {
    expect(
      batchable(
        await parseMessage(
          raw(['To: support+abcdef123456@example.com', 'Subject: Help', 'Message-ID: <c@x>']),
          options,
        ),
      ),
    ).toBe(false);
    expect(
      batchable(
        await parseMessage(raw(['To: support@example.com', 'Subject: About [CS-1042]', 'Message-ID: <d@x>']), options),
      ),
    ).toBe(false);
    const bounce = raw([
      'To: support@example.com',
      'Subject: Undelivered Mail Returned to Sender',
      'Message-ID: <e@x>',
      'Return-Path: <>',
      'Auto-Submitted: auto-replied',
    ]);
    const parsed = await parseMessage(
      Buffer.from(bounce.toString().replace('From: Ann <ann@customer.example>', 'From: MAILER-DAEMON@mx.example')),
      options,
    );
    expect(parsed.classification).toBe('bounce');
    expect(batchable(parsed)).toBe(false);
  });
});
