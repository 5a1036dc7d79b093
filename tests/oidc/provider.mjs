// provider.mjs: a real OpenID Provider for the SSO tests (npm oidc-provider
// 8.x), on loopback, with the device authorization grant (RFC 8628).
//
//   node provider.mjs PORT [MODE]
//
// Issuer http://127.0.0.1:PORT.  Clients: "jit-ssh" (public: no secret),
// "jit-ssh-secret" (client_secret_basic, secret "s3cret-for-tests"),
// "other" (another relying party).  Accounts (password "pw"): alice
// (groups dev), bob (groups leads; amr mfa), carol (no groups), keyuser
// (a name the CA's policy gives a key), and
// "evil\u0007" (a control character in its name).  The login page is
// ours (plain HTML forms a script can post): login as USER; the consent
// is granted without asking (a first-party client).  MODE (tests of bad
// tokens): "normal"; the provider's test routes under /test/ say how
// tokens are changed and rotate keys.
import crypto from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.argv[2]);
const issuer = `http://127.0.0.1:${port}`;

const accounts = {
  alice: { groups: ['dev'], amr: ['pwd'] },
  bob: { groups: ['leads'], amr: ['pwd', 'mfa'] },
  carol: { groups: [], amr: ['pwd'] },
  keyuser: { groups: ['dev'], amr: ['pwd'] },
  'evil\u0007': { groups: ['dev'], amr: ['pwd'] },
};

function rsaJwk(kid) {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
}

const configuration = {
  clients: [
    { client_id: 'jit-ssh', token_endpoint_auth_method: 'none',
      grant_types: ['urn:ietf:params:oauth:grant-type:device_code'],
      response_types: [], redirect_uris: [] },
    { client_id: 'jit-ssh-secret', client_secret: 's3cret-for-tests',
      grant_types: ['urn:ietf:params:oauth:grant-type:device_code'],
      response_types: [], redirect_uris: [] },
    { client_id: 'other', token_endpoint_auth_method: 'none',
      grant_types: ['urn:ietf:params:oauth:grant-type:device_code'],
      response_types: [], redirect_uris: [] },
  ],
  jwks: { keys: [rsaJwk('k1')] },
  features: {
    devInteractions: { enabled: false },
    deviceFlow: { enabled: true },
  },
  scopes: ['openid', 'profile', 'groups'],
  claims: {
    openid: ['sub', 'amr'],
    profile: ['preferred_username', 'name'],
    groups: ['groups'],
  },
  conformIdTokenClaims: false,
  ttl: { DeviceCode: Number(process.env.DEVICE_TTL || 600), IdToken: 3600,
    AccessToken: 3600, Grant: 3600, Interaction: 600, Session: 3600 },
  async findAccount(ctx, id) {
    if (!accounts[id]) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: `sub-${id}`, preferred_username: id, name: id,
          groups: accounts[id].groups };
      },
    };
  },
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid profile groups');
    grant.addOIDCClaims(['preferred_username', 'groups', 'amr']);
    await grant.save();
    return grant;
  },
  interactions: {
    url(ctx, interaction) { return `/interaction/${interaction.uid}`; },
  },
  pkce: { required: () => false },
  renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = `<p id="error">${out.error}: ${out.error_description || ''}</p>`;
  },
};

const provider = new Provider(issuer, configuration);
provider.proxy = false;

function form(body) {
  return new Promise((resolve) => {
    let s = '';
    body.on('data', (c) => { s += c; });
    body.on('end', () => resolve(new URLSearchParams(s)));
  });
}

// Our login page: a form with the user's name and password.
provider.use(async (ctx, next) => {
  const m = ctx.path.match(/^\/interaction\/([^/]+)(\/login)?$/);
  if (!m) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (ctx.method === 'GET') {
    ctx.type = 'html';
    ctx.body = `<form method="post" action="/interaction/${details.uid}/login">`
      + '<input name="login"/><input name="password" type="password"/>'
      + '<button type="submit">Sign in</button></form>';
    return undefined;
  }
  const f = await form(ctx.req);
  const who = f.get('login');
  if (!accounts[who] || f.get('password') !== 'pw') {
    ctx.status = 403;
    ctx.type = 'html';
    ctx.body = '<p id="error">wrong user or password</p>';
    return undefined;
  }
  const result = { login: { accountId: who, amr: accounts[who].amr } };
  return provider.interactionFinished(ctx.req, ctx.res, result,
    { mergeWithLastSubmission: false });
});

provider.listen(port, '127.0.0.1', () => {
  process.stdout.write(`listening ${issuer}\n`);
});
