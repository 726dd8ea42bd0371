import { describe, expect, it } from 'vitest';
import { addressesInHeader, extractReplyTokens, isOwnAddress, normaliseEmail, participantAddresses, toMailAddresses, withoutSubAddress } from './addresses.js';

describe('addresses', () => {
  it('normalises addresses to lower case without brackets', () => {
    expect(normaliseEmail(' <Ann@Example.COM> ')).toBe('ann@example.com');
    expect(normaliseEmail('mailto:Bob@example.org')).toBe('bob@example.org');
  });

  it('flattens groups, drops garbage and duplicates', () => {
    const list = toMailAddresses({
      value: [
        { name: 'Ann', address: 'ANN@example.com' },
        { name: 'Team', group: [{ name: 'Bob', address: 'bob@example.org' }, { name: '', address: 'ann@example.com' }] },
        { name: 'broken', address: 'not an address' },
        { name: 'undisclosed-recipients', group: [] },
      ],
      html: '',
      text: '',
    });
    expect(list).toEqual([
      { name: 'Ann', email: 'ann@example.com' },
      { name: 'Bob', email: 'bob@example.org' },
    ]);
    expect(toMailAddresses(undefined)).toEqual([]);
  });

  it('reads bare addresses out of envelope headers', () => {
    expect(addressesInHeader('<Support+Abc@example.com>, other@example.net')).toEqual(['support+abc@example.com', 'other@example.net']);
  });

  it('extracts reply tokens from support+<token>@ addresses, lower-cased', () => {
    const recipients = ['Support+K7F3Q9X2@Example.com', 'support@example.com', 'support+k7f3q9x2@example.com', 'support+zz9@example.net', 'other+abc@example.com'];
    expect(extractReplyTokens(recipients, 'support@example.com')).toEqual(['k7f3q9x2']);
  });

  it('rejects tokens with characters intake never generates', () => {
    expect(extractReplyTokens(['support+a.b@example.com', 'support+"x"@example.com', 'support+@example.com'], 'support@example.com')).toEqual([]);
  });

  it('recognises own addresses with or without a sub-address', () => {
    expect(withoutSubAddress('support+abc@example.com')).toBe('support@example.com');
    expect(isOwnAddress('Support+abc@Example.com', ['support@example.com'])).toBe(true);
    expect(isOwnAddress('ann@example.com', ['support@example.com'])).toBe(false);
  });

  it('lists To and Cc as participants without the sender and intake itself', () => {
    const m = {
      from: { name: 'Lisa', email: 'lisa@example.org' },
      to: [{ name: 'Support', email: 'support@example.com' }, { name: 'Tom', email: 'tom@example.org' }],
      cc: [{ name: '', email: 'support+abc@example.com' }, { name: '', email: 'tom@example.org' }, { name: 'Lisa', email: 'lisa@example.org' }, { name: 'Sam', email: 'sam@example.net' }],
    };
    expect(participantAddresses(m, ['support@example.com', 'noreply@example.com'])).toEqual([
      { name: 'Tom', email: 'tom@example.org' },
      { name: 'Sam', email: 'sam@example.net' },
    ]);
  });
});
