import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { errors, type Adapter, type AdapterPayload, type ClientMetadata } from 'oidc-provider';

/**
 * A real OAuth2 authorization server for the tests: oidc-provider (panva's certified OpenID Connect / OAuth 2.0
 * server), in-process on a free 127.0.0.1 port. It issues opaque access tokens by client credentials (and by
 * authorization code with PKCE and refresh tokens, for the consent helper), and answers RFC 7662 introspection, which
 * is how Dovecot and the test SMTP server check the tokens they are given.
 *
 * Which mailbox a client may open is the server's decision, as Exchange's Add-MailboxPermission is for an Entra app:
 * every token of a client carries the claim `mailbox_user` with the user name granted to that client, and Dovecot
 * accepts the token only for that user. Clients are kept in a map the test changes while the server runs
 * (removeClient, setClient): a removed client gets the provider's own `invalid_client` at the token endpoint.
 */
export interface TestOAuth2Server {
  issuer: string;
  tokenUrl: string;
  authorizationUrl: string;
  /** The introspection endpoint with the introspecting client's id and secret in it (Dovecot's introspection_url). */
  introspectionUrlWithCredentials: string;
  /** A client that may get tokens for `mailboxUser` (client credentials; authorization code when redirectUris set). */
  setClient(client: TestOAuth2Client): void;
  removeClient(clientId: string): void;
  /** Access tokens issued to a client so far. */
  tokensIssued(clientId: string): number;
  /** Token endpoint requests that named this client (HTTP Basic or client_id in the body), answered or refused. */
  tokenRequests(clientId: string): number;
  /** Asks the introspection endpoint about a token, as a resource server does. */
  introspect(token: string): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

export interface TestOAuth2Client {
  clientId: string;
  /** The client's secret; none when it signs in with `certificate`. */
  clientSecret?: string;
  /**
   * PEM of the client's X.509 certificate, as uploaded to an Entra app: the client authenticates with a JWT signed
   * by its private key (private_key_jwt), which names the certificate by `x5t` and has the token endpoint as `aud`.
   */
  certificate?: string;
  mailboxUser: string;
  /** Loopback redirect URIs for the authorization code flow; none: client credentials only. */
  redirectUris?: string[];
  /** How the client authenticates at the token endpoint. Default client_secret_basic. */
  tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post';
}

const INTROSPECTOR_ID = 'resource-server';

export async function startOAuth2Server(options: { accessTokenTtlSeconds?: number } = {}): Promise<TestOAuth2Server> {
  const ttl = options.accessTokenTtlSeconds ?? 3600;
  const clients = new Map<string, ClientMetadata>();
  const mailboxOf = new Map<string, string>();
  const issued = new Map<string, number>();
  /** The thumbprints of a certificate client's certificate (x5t, x5t#S256). */
  const thumbprintOf = new Map<string, string>();
  const x5tS256Of = new Map<string, string>();
  const introspectorSecret = randomBytes(16).toString('hex');
  clients.set(INTROSPECTOR_ID, {
    client_id: INTROSPECTOR_ID,
    client_secret: introspectorSecret,
    grant_types: [],
    response_types: [],
    redirect_uris: [],
  });

  const stores = new Map<string, Map<string, { payload: AdapterPayload; expiresAt: number }>>();
  /** Storage of oidc-provider's models: clients from the map above, everything else in memory with its expiry. */
  class TestAdapter implements Adapter {
    readonly #name: string;
    readonly #store: Map<string, { payload: AdapterPayload; expiresAt: number }>;
    constructor(name: string) {
      this.#name = name;
      if (!stores.has(name)) stores.set(name, new Map());
      this.#store = stores.get(name)!;
    }
    async upsert(id: string, payload: AdapterPayload, expiresIn?: number) {
      if (this.#name === 'ClientCredentials' || this.#name === 'AccessToken') {
        const client = payload.clientId ?? '';
        issued.set(client, (issued.get(client) ?? 0) + 1);
      }
      this.#store.set(id, { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : Infinity });
    }
    async find(id: string) {
      if (this.#name === 'Client') return clients.get(id) as AdapterPayload | undefined;
      const e = this.#store.get(id);
      if (!e || e.expiresAt < Date.now()) return undefined;
      return e.payload;
    }
    async findByUid(uid: string) {
      for (const e of this.#store.values()) if (e.payload.uid === uid && e.expiresAt >= Date.now()) return e.payload;
      return undefined;
    }
    async findByUserCode(code: string) {
      for (const e of this.#store.values()) if (e.payload.userCode === code) return e.payload;
      return undefined;
    }
    async consume(id: string) {
      const e = this.#store.get(id);
      if (e) e.payload.consumed = Math.floor(Date.now() / 1000);
    }
    async destroy(id: string) {
      this.#store.delete(id);
    }
    async revokeByGrantId(grantId: string) {
      for (const store of stores.values())
        for (const [id, e] of store) if (e.payload.grantId === grantId) store.delete(id);
    }
  }

  const server: Server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    adapter: TestAdapter,
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
    // As Entra checks a certificate credential: the header names a certificate of this client by its thumbprint, and
    // the audience is the token endpoint itself (oidc-provider also takes the issuer).
    assertJwtClientAuthClaimsAndHeader: async (_ctx, claims, header, client) => {
      const id = client.clientId;
      if (header.x5t !== thumbprintOf.get(id) && header['x5t#S256'] !== x5tS256Of.get(id))
        throw new errors.InvalidClientAuth('the header names no certificate of this client (x5t, x5t#S256)');
      if (claims.aud !== `${issuer}/token`) throw new errors.InvalidClientAuth('aud must be the token endpoint');
    },
    scopes: ['openid', 'offline_access', 'mail'],
    features: {
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      devInteractions: { enabled: true },
    },
    // Dev interactions accept any login; its account id is the mailbox the client was granted.
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
    extraTokenClaims: async (_ctx, token) => {
      const clientId = (token as { clientId?: string }).clientId;
      return clientId && mailboxOf.has(clientId) ? { mailbox_user: mailboxOf.get(clientId) } : undefined;
    },
    ttl: {
      ClientCredentials: ttl,
      AccessToken: ttl,
      RefreshToken: 24 * 3600,
      AuthorizationCode: 60,
      Grant: 24 * 3600,
      Interaction: 600,
      Session: 3600,
    },
    // The consent helper asks for offline access with prompt=consent, as Google's does with access_type=offline.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    pkce: { required: () => true },
  });
  const requests = new Map<string, number>();
  server.on('request', (req) => {
    if (req.method !== 'POST' || !req.url?.startsWith('/token') || req.url.startsWith('/token/')) return;
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    // Only HTTP Basic clients are counted (the body is the provider's to read).
    const id = basic ? decodeURIComponent(Buffer.from(basic, 'base64').toString().split(':')[0]!) : '';
    requests.set(id, (requests.get(id) ?? 0) + 1);
  });
  server.on('request', provider.callback());

  const basic = `Basic ${Buffer.from(`${INTROSPECTOR_ID}:${introspectorSecret}`).toString('base64')}`;
  return {
    issuer,
    tokenUrl: `${issuer}/token`,
    authorizationUrl: `${issuer}/auth`,
    introspectionUrlWithCredentials: `http://${INTROSPECTOR_ID}:${introspectorSecret}@127.0.0.1:${port}/token/introspection`,
    setClient(c) {
      const flows = c.redirectUris?.length
        ? ['authorization_code', 'refresh_token', 'client_credentials']
        : ['client_credentials'];
      const x509 = c.certificate ? new X509Certificate(c.certificate) : undefined;
      clients.set(c.clientId, {
        client_id: c.clientId,
        ...(x509
          ? {
              token_endpoint_auth_method: 'private_key_jwt',
              jwks: { keys: [{ ...x509.publicKey.export({ format: 'jwk' }), use: 'sig' }] },
            }
          : {
              client_secret: c.clientSecret,
              token_endpoint_auth_method: c.tokenEndpointAuthMethod ?? 'client_secret_basic',
            }),
        grant_types: flows,
        response_types: c.redirectUris?.length ? ['code'] : [],
        redirect_uris: c.redirectUris ?? [],
        scope: 'openid offline_access mail',
      });
      if (x509) {
        thumbprintOf.set(c.clientId, createHash('sha1').update(x509.raw).digest('base64url'));
        x5tS256Of.set(c.clientId, createHash('sha256').update(x509.raw).digest('base64url'));
      }
      mailboxOf.set(c.clientId, c.mailboxUser);
    },
    removeClient(clientId) {
      clients.delete(clientId);
    },
    tokensIssued: (clientId) => issued.get(clientId) ?? 0,
    tokenRequests: (clientId) => requests.get(clientId) ?? 0,
    async introspect(token) {
      const res = await fetch(`${issuer}/token/introspection`, {
        method: 'POST',
        headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token }),
      });
      return (await res.json()) as Record<string, unknown>;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}
