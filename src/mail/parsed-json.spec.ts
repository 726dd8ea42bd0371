import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseMessage } from './parse.js';
import { toParsedMessageJson } from './parsed-json.js';

describe('toParsedMessageJson', () => {
  it('gives the contract field names, with the decision and without attachment bytes', async () => {
    const raw = readFileSync(new URL('../../fixtures/inline-image.eml', import.meta.url));
    const parsed = await parseMessage(raw, {
      orderRefPattern: '#(\\d{3,})',
      replyAddress: 'support@example.com',
      ownAddresses: [],
    });
    const json = toParsedMessageJson(parsed, {
      action: 'new-case',
      caseId: null,
      caseNumber: null,
      reason: 'no reply token, references or case number',
    });
    expect(Object.keys(json).sort()).toEqual(
      [
        'Attachments',
        'Cc',
        'CaseRefs',
        'Classification',
        'Date',
        'Decision',
        'From',
        'Html',
        'InReplyTo',
        'MessageId',
        'OrderRefs',
        'References',
        'ReplyText',
        'ReplyTo',
        'Subject',
        'Text',
        'To',
      ].sort(),
    );
    expect(json.From).toEqual({ Name: 'Lena Example', Email: 'lena@example.net' });
    expect(json.Date).toBe('2026-11-17T14:45:00.000Z');
    expect(json.Attachments).toEqual([
      {
        FileName: 'scratch.png',
        ContentType: 'image/png',
        Size: 70,
        ContentId: 'scratch.png@01DB1234.ABCD5678',
        Inline: true,
      },
    ]);
    expect(json.Decision).toEqual({
      Action: 'new-case',
      CaseNumber: null,
      Reason: 'no reply token, references or case number',
    });
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });
});
