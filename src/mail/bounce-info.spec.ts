import { describe, expect, it } from 'vitest';
import { parseBounceInfo, parseDeliveryStatus } from './bounce-info.js';

const noHeaders = new Map<string, string[]>();

describe('bounce info', () => {
  it('reads recipients, status and action from a delivery-status part, skipping delivered ones', () => {
    const dsn = [
      'Reporting-MTA: dns; mx.example.com',
      '',
      'Final-Recipient: rfc822; Gone@Example.net',
      'Action: failed',
      'Status: 5.1.1 (user unknown)',
      '',
      'Final-Recipient: rfc822;ok@example.net',
      'Action: delivered',
      'Status: 2.0.0',
      '',
      'Original-Recipient: rfc822;slow@example.org',
      'Action: delayed',
      'Status: 4.4.1',
    ].join('\r\n');
    expect(parseDeliveryStatus(dsn)).toEqual([
      { email: 'gone@example.net', status: '5.1.1', action: 'failed' },
      { email: 'slow@example.org', status: '4.4.1', action: 'delayed' },
    ]);
  });

  it('is permanent only when a recipient has a 5.x.x status', () => {
    const temp = parseBounceInfo({
      parts: [
        {
          contentType: 'message/delivery-status',
          content: Buffer.from('Final-Recipient: rfc822; a@example.net\nAction: delayed\nStatus: 4.2.2\n'),
        },
      ],
      text: '',
      headers: noHeaders,
    });
    expect(temp.permanent).toBe(false);
    const perm = parseBounceInfo({
      parts: [
        {
          contentType: 'message/delivery-status',
          content: Buffer.from('Final-Recipient: rfc822; a@example.net\nAction: failed\nStatus: 5.2.2\n'),
        },
      ],
      text: '',
      headers: noHeaders,
    });
    expect(perm.permanent).toBe(true);
  });

  it('finds the original Message-ID in an attached message/rfc822 part', () => {
    const info = parseBounceInfo({
      parts: [
        {
          contentType: 'message/rfc822',
          content: Buffer.from('From: a@example.com\r\nMessage-ID: <orig-1@example.com>\r\n\r\nbody'),
        },
      ],
      text: '',
      headers: noHeaders,
    });
    expect(info.originalMessageId).toBe('orig-1@example.com');
  });

  it('reads X-Failed-Recipients (Exim) when there is no DSN part', () => {
    const headers = new Map([['x-failed-recipients', ['Gone@example.org']]]);
    const info = parseBounceInfo({
      parts: [],
      text: 'SMTP error from remote mail server after RCPT TO:<gone@example.org>:\n550 5.1.1 User unknown',
      headers,
    });
    expect(info.recipients).toEqual([{ email: 'gone@example.org', status: '5.1.1', action: 'failed' }]);
    expect(info.permanent).toBe(true);
  });

  it('gives an empty report instead of failing on a bounce it cannot read', () => {
    expect(parseBounceInfo({ parts: [], text: 'something went wrong', headers: noHeaders })).toEqual({
      originalMessageId: null,
      recipients: [],
      permanent: false,
    });
  });

  it('reads at most 100 recipients, in linear time, from reports that list 10,000', () => {
    // Seconds to minutes before the fix: the test timeout catches a return; no time is asserted.
    const dsn = Array.from(
      { length: 10_000 },
      (_, i) => `Final-Recipient: rfc822; r${i}@example.org\nAction: failed\nStatus: 5.1.1\n`,
    ).join('\n');
    const fromDsn = parseBounceInfo({
      parts: [{ contentType: 'message/delivery-status', content: Buffer.from(dsn) }],
      text: '',
      headers: noHeaders,
    });
    expect(fromDsn.recipients).toHaveLength(100);
    expect(fromDsn.recipients[99]).toEqual({ email: 'r99@example.org', status: '5.1.1', action: 'failed' });
    const headers = new Map([
      ['x-failed-recipients', [Array.from({ length: 10_000 }, (_, i) => `r${i}@example.org`).join(', ')]],
    ]);
    const fromHeader = parseBounceInfo({ parts: [], text: '550 5.1.1 unknown', headers });
    expect(fromHeader.recipients).toHaveLength(100);
    expect(fromHeader.permanent).toBe(true);
  });

  it('takes linear time on hostile bounce texts', () => {
    // Seconds to minutes before the fix: the test timeout catches a return; no time is asserted.
    expect(
      parseBounceInfo({ parts: [], text: `<a@b.example>:\n<${'a@'.repeat(50_000)}\n`, headers: noHeaders }).recipients,
    ).toEqual([{ email: 'a@b.example', status: null, action: 'failed' }]);
    expect(parseBounceInfo({ parts: [], text: '\n'.repeat(200_000), headers: noHeaders }).originalMessageId).toBeNull();
    expect(parseDeliveryStatus(`Final-Recipient: rfc822; ${'a'.repeat(500_000)}`)).toEqual([]);
  });
});
