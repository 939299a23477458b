// A real OpenID provider for the tests (panva's oidc-provider), on loopback only.
//
//   node provider.js   with   OIDC_PORT, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_REDIRECT_URI,
//                             OIDC_ADMIN_KEY, OIDC_ACCOUNTS (JSON: {"<sub>": {"email", "password"}})
//
// Besides the provider's own endpoints (discovery, JWKS, authorize, token, userinfo) it serves
// a plain login form at /interaction/<uid> (the person types their provider password), and
// POST /admin/accounts/<sub>/disable|enable (with the header x-admin-key) so a test can remove
// someone at the provider while they hold a session downstream. A disabled account is not
// found: its sign-in is refused here and its refresh tokens answer invalid_grant.
import http from 'node:http';
import crypto from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_PORT);
const issuer = `http://127.0.0.1:${port}`;
const adminKey = process.env.OIDC_ADMIN_KEY;
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS || '{}');
const disabled = new Set();

function enabledAccount(sub) {
  const account = accounts[sub];
  if (!account || disabled.has(sub)) return undefined;
  return {
    accountId: sub,
    async claims() {
      return { sub, email: account.email, email_verified: account.email_verified !== false };
    },
  };
}

const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.OIDC_CLIENT_ID,
    client_secret: process.env.OIDC_CLIENT_SECRET,
    redirect_uris: [process.env.OIDC_REDIRECT_URI],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
  }],
  claims: { openid: ['sub'], email: ['email', 'email_verified'] },
  cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
  features: { devInteractions: { enabled: false } },
  pkce: { required: () => true },
  // Like most directories (Keycloak, Entra ID with offline_access): a refresh token with every
  // code, so the downstream application can ask again later whether the person is still here.
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  // A disabled account still names itself to the authorization endpoint of a browser that
  // holds a session here, so a code is issued; the token endpoint then refuses that code
  // (invalid_grant), which is the downstream application's "next sign-in" to handle.
  findAccount: async (ctx, sub) => {
    const route = ctx?.oidc?.route;
    if (disabled.has(sub) && accounts[sub] && (route === 'authorization' || route === 'resume')) {
      return { accountId: sub, async claims() { return { sub }; } };
    }
    return enabledAccount(sub);
  },
  renderError: async (ctx, out) => {
    ctx.type = 'text/plain';
    ctx.body = `${out.error}: ${out.error_description || ''}`;
  },
});

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function loginForm(uid, message) {
  return `<!doctype html><html><head><title>Test provider</title></head><body>
<h1>Test directory sign-in</h1>${message ? `<p role="alert">${escape(message)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
<label>Directory login <input name="login" autocomplete="username"></label>
<label>Directory password <input name="password" type="password"></label>
<button type="submit">Continue</button></form></body></html>`;
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return Object.fromEntries(new URLSearchParams(body));
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('interaction mismatch');
  if (!action) {
    res.writeHead(200, { 'content-type': 'text/html' }).end(loginForm(uid));
    return;
  }
  const form = await readForm(req);
  const account = enabledAccount(form.login);
  if (!account || accounts[form.login].password !== form.password) {
    res.writeHead(200, { 'content-type': 'text/html' }).end(loginForm(uid, 'Unknown login or password'));
    return;
  }
  const grant = new provider.Grant({ accountId: form.login, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, {
    login: { accountId: form.login, amr: ['pwd'] },
    consent: { grantId },
  }, { mergeWithLastSubmission: false });
}

const callback = provider.callback();
http.createServer(async (req, res) => {
  try {
    const path = new URL(req.url, issuer).pathname;
    const admin = path.match(/^\/admin\/accounts\/([^/]+)\/(disable|enable)$/);
    if (admin && req.method === 'POST') {
      if (req.headers['x-admin-key'] !== adminKey) {
        res.writeHead(403).end('forbidden');
        return;
      }
      const sub = decodeURIComponent(admin[1]);
      if (admin[2] === 'disable') disabled.add(sub); else disabled.delete(sub);
      res.writeHead(204).end();
      return;
    }
    const step = path.match(/^\/interaction\/([^/]+)(\/login)?$/);
    if (step) {
      await interaction(req, res, step[1], step[2] && req.method === 'POST');
      return;
    }
    callback(req, res);
  } catch (error) {
    res.writeHead(400, { 'content-type': 'text/plain' }).end(String(error));
  }
}).listen(port, '127.0.0.1', () => console.log(`listening ${issuer}`));
