import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { codeFromPaste, consentUrl, pkcePair } from './authorize.js';

describe('consent URL and PKCE', () => {
  it('the challenge is the S256 of the verifier (RFC 7636 appendix B)', () => {
    const random = Buffer.from([
      116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77, 105, 214, 191, 240,
      91, 88, 5, 88, 83, 132, 141, 121,
    ]);
    const { verifier, challenge } = pkcePair(random);
    expect(verifier).toBe('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk');
    expect(challenge).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
    expect(createHash('sha256').update(verifier).digest('base64url')).toBe(challenge);
  });

  it("Google's: offline access, forced consent, PKCE, the loopback redirect", () => {
    const url = new URL(
      consentUrl({
        authorizationUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
        clientId: 'id.apps.googleusercontent.com',
        redirectUri: 'http://127.0.0.1:5000/callback',
        scope: 'https://mail.google.com/',
        state: 'st',
        codeChallenge: 'ch',
        extra: { access_type: 'offline' },
      }),
    );
    expect(url.origin + url.pathname).toBe('https://accounts.google.com/o/oauth2/v2/auth');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: 'id.apps.googleusercontent.com',
      redirect_uri: 'http://127.0.0.1:5000/callback',
      scope: 'https://mail.google.com/',
      state: 'st',
      code_challenge: 'ch',
      code_challenge_method: 'S256',
      prompt: 'consent',
      access_type: 'offline',
    });
  });

  it('takes a pasted code or the whole redirect URL, and refuses a foreign state or a refusal', () => {
    expect(codeFromPaste('  4/0Abc  ', 'st')).toBe('4/0Abc');
    expect(codeFromPaste('http://127.0.0.1:5000/callback?state=st&code=4%2F0Abc&scope=x', 'st')).toBe('4/0Abc');
    expect(() => codeFromPaste('http://127.0.0.1:5000/callback?state=other&code=c', 'st')).toThrow(/another state/);
    expect(() =>
      codeFromPaste('http://127.0.0.1:5000/callback?state=st&error=access_denied&error_description=User+said+no', 'st'),
    ).toThrow('consent refused: access_denied: User said no');
  });
});
