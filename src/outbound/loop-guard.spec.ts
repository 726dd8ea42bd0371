import { describe, expect, it } from 'vitest';
import { ackRateKey, checkRecipientStatic, isNoReplyAddress, isOwnAddress } from './loop-guard.js';

const own = ['support@example.com', 'help@example.com'];

describe('loop guard (no database)', () => {
  it('addresses that do not read mail are recognised', () => {
    for (const a of [
      'noreply@x.com',
      'no-reply@x.com',
      'do-not-reply@x.com',
      'donotreply@x.com',
      'MAILER-DAEMON@x.com',
      'postmaster@x.com',
      'bounces+123@x.com',
      'no_reply.shop@x.com',
      'list-request@x.com',
      'owner-list@x.com',
    ]) {
      expect(isNoReplyAddress(a), a).toBe(true);
    }
    for (const a of ['anna@x.com', 'noreen@x.com', 'postman@x.com', 'replies@x.com'])
      expect(isNoReplyAddress(a), a).toBe(false);
  });

  it('own addresses and their plus-variants are recognised', () => {
    expect(isOwnAddress('Support@example.com', own)).toBe(true);
    expect(isOwnAddress('support+abc@example.com', own)).toBe(true);
    expect(isOwnAddress('support@other.com', own)).toBe(false);
  });

  it('auto-replies, bounces and lists get nothing, whatever the address', () => {
    expect(checkRecipientStatic('anna@x.com', { classification: 'auto-reply', ownAddresses: own })?.reason).toBe(
      'sender-auto-reply',
    );
    expect(checkRecipientStatic('anna@x.com', { classification: 'bounce', ownAddresses: own })?.reason).toBe(
      'sender-bounce',
    );
    expect(checkRecipientStatic('anna@x.com', { classification: 'list', ownAddresses: own })?.reason).toBe(
      'sender-list',
    );
    expect(checkRecipientStatic('anna@x.com', { classification: 'normal', ownAddresses: own })).toBeNull();
    expect(checkRecipientStatic('not-an-address', { ownAddresses: own })?.reason).toBe('invalid-address');
    expect(checkRecipientStatic('help@example.com', { ownAddresses: own })?.reason).toBe('own-address');
  });

  it('a sender the trust policy does not believe gets nothing', () => {
    const v = checkRecipientStatic('anna@x.com', { ownAddresses: own, senderDistrust: 'From names 2 addresses' });
    expect(v).toEqual({
      reason: 'sender-unauthenticated',
      detail: 'the sender is not believed: From names 2 addresses',
    });
  });

  it('ackRateKey counts an address without its +tag, and Gmail without dots, under one key', () => {
    expect(ackRateKey('Victim+a@Example.com')).toEqual({ key: 'victim@example.com', domain: 'example.com' });
    expect(ackRateKey('victim+b@example.com').key).toBe('victim@example.com');
    expect(ackRateKey('v.i.c.t.i.m+x@googlemail.com')).toEqual({ key: 'victim@gmail.com', domain: 'gmail.com' });
    // Elsewhere dots are part of the address.
    expect(ackRateKey('v.ictim@example.com').key).toBe('v.ictim@example.com');
    expect(ackRateKey('+only@example.com').key).toBe('+only@example.com');
  });
});
