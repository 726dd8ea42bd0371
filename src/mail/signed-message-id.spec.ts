import { describe, expect, it } from 'vitest';
import { findOwnMessageId, newOwnMessageId, verifyOwnMessageId } from './signed-message-id.js';

const keys = { messageIdSecret: 's3cret', messageIdDomain: 'example.com' };
const caseId = '0b8e3c1e-5d1c-4f5e-9a3b-2f1d4c6e7a8b';

describe('own Message-IDs', () => {
  it('a new id verifies and names its case, with or without brackets and in any case', () => {
    const id = newOwnMessageId(keys, caseId);
    expect(id).toMatch(/^intake\.[0-9a-f-]{36}\.[0-9a-f]{16}\.[0-9a-f]{32}@example\.com$/);
    expect(verifyOwnMessageId(keys, id)).toEqual({ caseId });
    expect(verifyOwnMessageId(keys, `<${id}>`)).toEqual({ caseId });
    expect(verifyOwnMessageId(keys, id.toUpperCase())).toEqual({ caseId });
  });

  it('two ids for one case differ', () => {
    expect(newOwnMessageId(keys, caseId)).not.toBe(newOwnMessageId(keys, caseId));
  });

  it('an id pointed at another case, or signed with another secret, does not verify', () => {
    const id = newOwnMessageId(keys, caseId);
    const other = '11111111-2222-4333-8444-555555555555';
    expect(verifyOwnMessageId(keys, id.replace(caseId, other))).toBeNull();
    expect(verifyOwnMessageId({ messageIdSecret: 'other' }, id)).toBeNull();
    expect(verifyOwnMessageId(keys, 'CAF=abc@mail.gmail.com')).toBeNull();
    expect(verifyOwnMessageId(keys, null)).toBeNull();
  });

  it('after a rotation an id signed with a secret in MESSAGE_ID_OLD_SECRETS still verifies; a dropped one does not', () => {
    const old = newOwnMessageId({ ...keys, messageIdSecret: 'old-1' }, caseId);
    const rotated = { ...keys, messageIdSecret: 'new', messageIdOldSecrets: ['old-2', 'old-1'] };
    expect(verifyOwnMessageId(rotated, old)).toEqual({ caseId });
    expect(verifyOwnMessageId({ ...rotated, messageIdOldSecrets: ['old-2'] }, old)).toBeNull();
    // New ids are signed with the current secret only.
    expect(verifyOwnMessageId({ messageIdSecret: 'new' }, newOwnMessageId(rotated, caseId))).toEqual({ caseId });
  });

  it('findOwnMessageId picks the newest of ours in a References list', () => {
    const a = newOwnMessageId(keys, caseId);
    const b = newOwnMessageId(keys, caseId);
    expect(findOwnMessageId(keys, ['x@y', a, b, 'z@w'])).toEqual({ caseId, messageId: b });
    expect(findOwnMessageId(keys, ['x@y'])).toBeNull();
  });
});
