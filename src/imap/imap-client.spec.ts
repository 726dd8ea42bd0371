import { describe, expect, it } from 'vitest';
import { isLoginRefused, loginRefusedText } from './imap-client.js';

describe('refused logins', () => {
  it("says the server's words and the OAuth2 status, without the IMAP tag", () => {
    const err = Object.assign(new Error('Command failed'), {
      authenticationFailed: true,
      response: '2 NO [AUTHENTICATIONFAILED] Authentication failed.',
      serverResponseCode: 'AUTHENTICATIONFAILED',
      oauthError: { status: 'invalid_token' },
    });
    expect(isLoginRefused(err)).toBe(true);
    expect(loginRefusedText(err)).toBe('[AUTHENTICATIONFAILED] Authentication failed. (invalid_token)');
    expect(isLoginRefused(new Error('ECONNREFUSED'))).toBe(false);
  });
});
