import { describe, expect, it } from 'vitest';
import { describeTokenError, parseTokenResponse, tokenRequestInit } from './oauth2.js';
import { tokenRequestFor } from './credentials.js';

describe('token requests', () => {
  it('client credentials with HTTP Basic: id and secret form-encoded, then base64', () => {
    const { headers, body } = tokenRequestInit({
      tokenUrl: 'https://idp.example/token',
      clientId: 'app 1',
      clientSecret: 's:e/c',
      clientAuth: 'basic',
      grant: { type: 'client_credentials', scope: 'mail' },
    });
    expect(Buffer.from(headers.authorization!.slice(6), 'base64').toString()).toBe('app+1:s%3Ae%2Fc');
    expect(body.toString()).toBe('grant_type=client_credentials&scope=mail');
  });

  it('refresh token with the client in the body', () => {
    const { headers, body } = tokenRequestInit({
      tokenUrl: 'https://idp.example/token',
      clientId: 'app',
      clientSecret: 'secret',
      clientAuth: 'body',
      grant: { type: 'refresh_token', refreshToken: 'rt' },
    });
    expect(headers.authorization).toBeUndefined();
    expect(Object.fromEntries(body)).toEqual({
      grant_type: 'refresh_token',
      refresh_token: 'rt',
      client_id: 'app',
      client_secret: 'secret',
    });
  });

  it('Microsoft 365: the tenant token URL, the Exchange scope, client in the body', () => {
    const req = tokenRequestFor({
      type: 'microsoft365',
      tenantId: 'contoso.onmicrosoft.com',
      clientId: 'a',
      clientSecret: 'b',
    });
    expect(req.tokenUrl).toBe('https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token');
    expect(req.grant).toEqual({ type: 'client_credentials', scope: 'https://outlook.office365.com/.default' });
    expect(req.clientAuth).toBe('body');
  });

  it('Google: refresh grant at oauth2.googleapis.com, the rotated refresh token when given', () => {
    const req = tokenRequestFor({ type: 'google', clientId: 'a', clientSecret: 'b', refreshToken: 'old' }, 'new');
    expect(req.tokenUrl).toBe('https://oauth2.googleapis.com/token');
    expect(req.grant).toEqual({ type: 'refresh_token', refreshToken: 'new' });
  });
});

describe('token endpoint answers', () => {
  it("keeps Microsoft's error and description (AADSTS code) on one line", () => {
    const text = JSON.stringify({
      error: 'unauthorized_client',
      error_description:
        "AADSTS700016: Application with identifier 'x' was not found in the directory 'contoso'.\r\nTrace ID: 1\r\nCorrelation ID: 2",
      error_codes: [700016],
    });
    const d = describeTokenError(400, text);
    expect(d.providerError).toBe('unauthorized_client');
    expect(d.message).toBe(
      "token endpoint refused (HTTP 400): unauthorized_client: AADSTS700016: Application with identifier 'x' was not found in the directory 'contoso'. Trace ID: 1 Correlation ID: 2",
    );
  });

  it('says the status and the start of a body that is not OAuth2 JSON', () => {
    expect(describeTokenError(502, '<html>Bad gateway</html>').message).toBe(
      'token endpoint answered HTTP 502: <html>Bad gateway</html>',
    );
  });

  it('reads expires_in and a rotated refresh token', () => {
    expect(parseTokenResponse('{"access_token":"at","expires_in":3599,"refresh_token":"rt2"}')).toEqual({
      accessToken: 'at',
      expiresInMs: 3_599_000,
      refreshToken: 'rt2',
      scope: undefined,
    });
    expect(() => parseTokenResponse('{"token_type":"Bearer"}')).toThrow(/without an access_token/);
  });
});
