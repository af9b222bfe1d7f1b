// A real OpenID provider for the tests: the certified `oidc-provider` package on loopback, set up like
// ID-porten (authorization code + PKCE, `pid`, `acr` and `sid` in the id_token, RP-initiated and
// front-channel logout) with a "TestID"-style login page where a test person types their national
// identity number.
//
// NEVER used in production. Started by the pytest fixture in tests/oidc_provider/fixtures.py:
//   PORT=8127 OIDC_PROVIDER_CONFIG=/tmp/config.json node tests/oidc_provider/server.js
// The config file holds the clients (ours, with the redirect URIs the test run uses); without one
// there is a single client for trying the login by hand. The test accounts come from accounts.json. The provider prints "ready <issuer>" when it
// listens.

import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import Provider, { errors } from 'oidc-provider';

const HERE = dirname(fileURLToPath(import.meta.url));
const HOST = '127.0.0.1';
const PORT = Number(process.env.PORT);
if (!Number.isInteger(PORT) || PORT <= 0) {
  console.error('PORT must be set to a free TCP port');
  process.exit(2);
}
const ISSUER = `http://${HOST}:${PORT}`;

// Without a config file: one client for trying the login by hand against `make run` (docs/operations.md).
const portal = (process.env.PORTAL_BASE_URL || 'http://127.0.0.1:8000').replace(/\/$/, '');
const config = process.env.OIDC_PROVIDER_CONFIG
  ? JSON.parse(readFileSync(process.env.OIDC_PROVIDER_CONFIG, 'utf8'))
  : {
    clients: [{
      client_id: 'systembruker-dev',
      client_secret: 'dev-only-secret-for-the-loopback-test-provider',
      redirect_uris: [`${portal}/login/oidc/callback/`],
      post_logout_redirect_uris: [`${portal}/login/oidc/logged-out/`],
      frontchannel_logout_uri: `${portal}/login/oidc/frontchannel-logout/`,
      grant_types: ['authorization_code'],
      response_types: ['code'],
    }, {
      // A vendor's program, for trying the client-delegation API by hand (docs/clients-api.md): nothing
      // listens at its redirect URI; the code is read from the browser's address bar.
      client_id: 'vendor-program-dev',
      client_secret: 'dev-only-secret-for-the-loopback-test-provider',
      redirect_uris: ['http://127.0.0.1:8999/callback'],
      grant_types: ['authorization_code'],
      response_types: ['code'],
    }],
  };
const accounts = JSON.parse(readFileSync(join(HERE, 'accounts.json'), 'utf8'));
const accountsByPid = new Map(accounts.map((a) => [a.pid, a]));

// ID-porten's `sub` is a pseudonym, not the national identity number: so is ours, so that the portal
// is seen to match on the `pid` claim.
const subFor = (pid) => createHash('sha256').update(`testid:${pid}`).digest('base64url').slice(0, 32);
const accountsBySub = new Map(accounts.map((a) => [subFor(a.pid), a]));

// A fresh signing key per run; published at the JWKS endpoint the portal reads.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingJwk = { ...privateKey.export({ format: 'jwk' }), kid: randomBytes(8).toString('hex'), alg: 'RS256', use: 'sig' };

// Like ID-porten for an API behind it (RFC 8707 resource indicators): a client that asks for this
// resource gets a JWT access token with the person's `pid`, `acr` and the Altinn client-delegation
// scopes it asked for — what a vendor's program exchanges at /authentication/api/v1/exchange/id-porten.
// Clients that ask for no resource keep getting the opaque userinfo token, as before.
const API_RESOURCE = process.env.OIDC_PROVIDER_API_RESOURCE || 'https://platform.systembruker.test/';
const API_SCOPES = 'altinn:clientdelegations.read altinn:clientdelegations.write';

const esc = (value) => String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title, body, lang = 'nb') {
  return `<!doctype html>
<html lang="${esc(lang)}">
<head><meta charset="utf-8"><title>${esc(title)} – TestID</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem}
label,input,button{display:block;margin:.5rem 0;font-size:1rem}.error{color:#a00}</style></head>
<body><main>${body}</main></body></html>`;
}

function loginPage(uid, params, error) {
  const lang = String(params.ui_locales || 'nb').split(' ')[0];
  return page('Logg inn', `
<h1>TestID – innlogging (kun for test)</h1>
<p>Innlogging til <strong>${esc(params.client_id)}</strong>. Ønsket sikkerhetsnivå: <span data-testid="acr-values">${esc(params.acr_values || '')}</span>.
Språk: <span data-testid="ui-locales">${esc(params.ui_locales || '')}</span>.</p>
${error ? `<p class="error" role="alert">${esc(error)}</p>` : ''}
<form method="post" action="/interaction/${esc(uid)}/login">
  <label for="pid">Fødselsnummer</label>
  <input id="pid" name="pid" inputmode="numeric" autocomplete="off" required>
  <button type="submit">Logg inn</button>
</form>
<form method="post" action="/interaction/${esc(uid)}/abort">
  <button type="submit">Avbryt</button>
</form>`, lang);
}

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

async function frontChannelFrames(ctx) {
  const { session } = ctx.oidc;
  const frames = [];
  for (const clientId of Object.keys(session?.authorizations || {})) {
    const client = await ctx.oidc.provider.Client.find(clientId);
    const uri = client?.metadata().frontchannel_logout_uri;
    if (!uri) continue;
    const url = new URL(uri);
    url.searchParams.set('iss', ISSUER);
    url.searchParams.set('sid', session.sidFor(clientId));
    frames.push(`<iframe hidden title="frontchannel ${esc(clientId)}" src="${esc(url.href)}"></iframe>`);
  }
  return frames.join('\n');
}

const provider = new Provider(ISSUER, {
  clients: config.clients,
  // Front-channel logout (OpenID Connect Front-Channel Logout 1.0) as ID-porten does it; see logoutSource.
  extraClientMetadata: { properties: ['frontchannel_logout_uri'] },
  jwks: { keys: [signingJwk] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  acrValues: ['idporten-loa-low', 'idporten-loa-substantial', 'idporten-loa-high'],
  claims: {
    acr: null,
    sid: null,
    auth_time: null,
    iss: null,
    openid: ['sub', 'pid'],
    profile: ['name', 'given_name', 'family_name'],
  },
  // As ID-porten: the person's claims travel in the id_token itself.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  responseTypes: ['code'],
  ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
  features: {
    devInteractions: { enabled: false },
    resourceIndicators: {
      enabled: true,
      defaultResource: async (ctx, client, oneOf) => oneOf,
      useGrantedResource: async () => true,
      async getResourceServerInfo(ctx, resourceIndicator) {
        if (resourceIndicator !== API_RESOURCE) throw new errors.InvalidTarget();
        return {
          scope: API_SCOPES,
          audience: API_RESOURCE,
          accessTokenTTL: 120, // ID-porten's default lifetime of an access token
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
    rpInitiatedLogout: {
      enabled: true,
      // ID-porten asks no question on a logout with a valid id_token_hint: submit at once. Like
      // ID-porten, first load every logged-in client's `frontchannel_logout_uri` (with `iss` and the
      // client's `sid`) in a hidden iframe: front-channel logout, which oidc-provider itself lacks.
      async logoutSource(ctx, form) {
        const frames = await frontChannelFrames(ctx);
        ctx.body = page('Logg ut', `<h1>Logger ut …</h1>${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes">Logg ut</button>
${frames}
<script>
const loaded = [...document.querySelectorAll('iframe')].map((frame) => new Promise((done) => {
  frame.addEventListener('load', done);
  setTimeout(done, 5000);
}));
Promise.all(loaded).then(() => document.querySelector('button[name=logout]').click());
</script>`);
      },
      async postLogoutSuccessSource(ctx) {
        ctx.body = page('Logget ut', '<h1>Du er logget ut av TestID</h1>');
      },
    },
  },
  async renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page('Feil', `<h1>Feil hos TestID</h1><pre>${esc(JSON.stringify(out, null, 2))}</pre>`);
  },
  async findAccount(ctx, sub) {
    const account = accountsBySub.get(sub);
    if (!account) return undefined;
    return {
      accountId: sub,
      async claims() {
        const claims = { sub, pid: account.pid };
        if (account.name) claims.name = account.name;
        if (account.given_name) claims.given_name = account.given_name;
        if (account.family_name) claims.family_name = account.family_name;
        return claims;
      },
    };
  },
  // ID-porten's access token names the person by `pid` and carries the login's level (`acr`).
  async extraTokenClaims(ctx, token) {
    if (!token.resourceServer) return undefined;
    const account = accountsBySub.get(token.accountId);
    const code = ctx.oidc.entities.AuthorizationCode;
    return { pid: account?.pid, acr: code?.acr };
  },
  // Our client is first-party: no consent screen, the requested scopes are granted at once.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) {
      const existing = await ctx.oidc.provider.Grant.find(grantId);
      if (existing) return existing;
    }
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope(ctx.oidc.params.scope || 'openid');
    for (const resource of Object.keys(ctx.oidc.resourceServers || {})) {
      grant.addResourceScope(resource, ctx.oidc.params.scope || '');
    }
    await grant.save();
    return grant;
  },
});
provider.proxy = false;
// ID-porten puts the session id `sid` in every id_token; oidc-provider only does so for back-channel
// logout clients.
provider.Client.prototype.includeSid = () => true;

// The login interaction (what ID-porten's TestID does): type a test person's national identity number.
provider.use(async (ctx, next) => {
  const match = ctx.path.match(/^\/interaction\/([\w-]+)(?:\/(login|abort))?$/);
  if (!match) return next();
  const [, uid, action] = match;
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (details.uid !== uid) ctx.throw(400, 'interaction mismatch');
  ctx.set('Cache-Control', 'no-store');
  if (!action && ctx.method === 'GET') {
    ctx.type = 'html';
    ctx.body = loginPage(uid, details.params);
    return undefined;
  }
  if (ctx.method !== 'POST') ctx.throw(405);
  ctx.respond = false;
  if (action === 'abort') {
    return provider.interactionFinished(ctx.req, ctx.res, {
      error: 'access_denied',
      error_description: 'End-User aborted interaction',
    }, { mergeWithLastSubmission: false });
  }
  const form = await readForm(ctx.req);
  const account = accountsByPid.get((form.get('pid') || '').trim());
  if (!account) {
    ctx.respond = true;
    ctx.status = 200;
    ctx.type = 'html';
    ctx.body = loginPage(uid, details.params, 'Ukjent testperson. Bruk et fødselsnummer fra testbrukerlista.');
    return undefined;
  }
  return provider.interactionFinished(ctx.req, ctx.res, {
    login: { accountId: subFor(account.pid), acr: account.acr || 'idporten-loa-substantial', amr: ['TestID'] },
  }, { mergeWithLastSubmission: false });
});

const server = provider.listen(PORT, HOST, () => {
  console.log(`ready ${ISSUER}`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
