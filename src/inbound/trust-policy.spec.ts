import { describe, expect, it } from 'vitest';
import { newOwnMessageId } from '../mail/signed-message-id.js';
import { distrustReason, isTrustedMember, senderTrust, signedCaseId, trustOptionsFor } from './trust-policy.js';

const options = trustOptionsFor({
  trustedAuthservIds: ['mx.shop.example'],
  messageIdSecret: 'now',
  messageIdOldSecrets: ['then'],
});
const kase = {
  caseNumber: 'CS-1001',
  customerEmail: 'ann@customer.example',
  participantEmails: ['dave@partner.example'],
};
const from = (email: string) => ({ name: '', email });

describe('trust policy', () => {
  it("the case's customer and participants are trusted by their single From address, case-insensitively", () => {
    expect(isTrustedMember(kase, senderTrust({ from: from('ann@customer.example') }, options))).toBe(true);
    expect(isTrustedMember(kase, senderTrust({ from: from('Dave@Partner.example') }, options))).toBe(true);
    const eve = senderTrust({ from: from('eve@evil.example') }, options);
    expect(isTrustedMember(kase, eve)).toBe(false);
    expect(distrustReason(kase, eve)).toBe('eve@evil.example is neither its customer nor a participant');
  });

  it('a From with several addresses, or none, is nobody', () => {
    const two = senderTrust(
      { from: from('ann@customer.example'), senderHeaders: { fromAddresses: 2, authenticationResults: [] } },
      options,
    );
    expect(two).toMatchObject({ address: null, distrust: 'From names 2 addresses' });
    expect(isTrustedMember(kase, two)).toBe(false);
    expect(distrustReason(kase, two)).toBe('From names 2 addresses, so ann@customer.example is not trusted on CS-1001');
    expect(senderTrust({ from: null }, options)).toMatchObject({ address: null, distrust: 'From names no address' });
  });

  it('DMARC fail counts only from a trusted authserv-id', () => {
    const failing = (ar: string) =>
      senderTrust(
        { from: from('ann@customer.example'), senderHeaders: { fromAddresses: 1, authenticationResults: [ar] } },
        options,
      );
    expect(isTrustedMember(kase, failing('mx.shop.example; dmarc=fail header.from=customer.example'))).toBe(false);
    expect(isTrustedMember(kase, failing('other.example; dmarc=fail header.from=customer.example'))).toBe(true);
    expect(isTrustedMember(kase, failing('mx.shop.example; dmarc=pass'))).toBe(true);
  });

  it('signedCaseId verifies under the current and the old secrets only', () => {
    const caseId = '0b8e3c1e-5d1c-4f5e-9a3b-2f1d4c6e7a8b';
    const sign = (secret: string) => newOwnMessageId({ messageIdSecret: secret, messageIdDomain: 'x.example' }, caseId);
    expect(signedCaseId(sign('now'), options)).toBe(caseId);
    expect(signedCaseId(sign('then'), options)).toBe(caseId);
    expect(signedCaseId(sign('guess'), options)).toBeNull();
    expect(signedCaseId('CAF=abc@mail.gmail.com', options)).toBeNull();
  });
});
