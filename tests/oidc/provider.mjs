// A real OpenID provider for GovSkills' black-box tests: the OpenID-certified `oidc-provider`
// with one confidential client and the accounts the test gives. Started by
// tests/tests/api/oidc.rs; prints "listening <port>" once it accepts connections.
//
// Environment:
//   PORT           the loopback port to listen on (the issuer is http://127.0.0.1:PORT)
//   CLIENT_SECRET  the client secret of the client `govskills`
//   REDIRECT_URIS  JSON array of the client's redirect URIs
//   ACCOUNTS       JSON object: login -> claims (email, email_verified, name, department, ...)
//   CLOCK_BEHIND_SECONDS  optional: the provider's clock runs this far behind, so the ID tokens
//                  it issues are already expired (its cookies last long enough to finish)
//   WRONG_NONCE    optional: the provider puts another nonce into its ID tokens than the one
//                  the relying party asked for
//
// A new RSA signing key (with a new `kid`) is generated at each start, so a restart on the same
// port is a key rotation as a relying party sees it.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import Provider from 'oidc-provider';

const behind = Number(process.env.CLOCK_BEHIND_SECONDS || 0) * 1000;
if (behind) {
  const realNow = Date.now;
  Date.now = () => realNow() - behind;
}

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const accounts = JSON.parse(process.env.ACCOUNTS || '{}');

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), use: 'sig', alg: 'RS256' };

const provider = new Provider(issuer, {
  jwks: { keys: [signingKey] },
  clients: [
    {
      client_id: 'govskills',
      client_secret: process.env.CLIENT_SECRET,
      redirect_uris: JSON.parse(process.env.REDIRECT_URIS),
      grant_types: ['authorization_code'],
      response_types: ['code'],
    },
  ],
  pkce: { required: () => true },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
    department: ['department', 'job_title'],
  },
  // The claims of the scopes asked for go into the ID token itself.
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: true } },
  // Long enough that cookies outlive a clock set behind.
  ttl: { Interaction: 86400, Session: 86400, Grant: 86400 },
  async findAccount(ctx, id) {
    const claims = accounts[id];
    if (!claims) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...claims }; } };
  },
});
provider.proxy = false;
if (process.env.WRONG_NONCE) {
  provider.use(async (ctx, next) => {
    if (ctx.path === '/auth' && ctx.query.nonce) {
      const params = new URLSearchParams(ctx.querystring);
      params.set('nonce', 'not-the-nonce-that-was-asked-for');
      ctx.querystring = params.toString();
    }
    await next();
  });
}
provider.on('server_error', (ctx, err) => console.error('server_error', err));

const server = provider.listen(port, '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
