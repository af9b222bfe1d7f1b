// The peer of bench/token.py: node-oidc-provider (the copy the login tests install under
// tests/oidc_provider) doing the grant closest to ours, in one Node process, in memory:
//   client_credentials, client authentication private_key_jwt (RS256), the assertion's jti checked
//   for replay, an RS256-signed JWT access token (RFC 9068 via a resource indicator).
//
// NEVER used in production; started and stopped by bench/token.py:
//   PORT=18191 PEER_CONFIG=/tmp/peer.json node bench/token_peer.mjs
// PEER_CONFIG: {"clients": [{"client_id": ..., "jwk": {kty, n, e, kid}}], "scope": ..., "resource": ...}.
// Prints "ready <issuer>" when it listens.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { default: Provider } = await import(
  pathToFileURL(join(ROOT, 'tests/oidc_provider/node_modules/oidc-provider/lib/index.js')).href
);

const HOST = '127.0.0.1';
const PORT = Number(process.env.PORT);
const ISSUER = `http://${HOST}:${PORT}`;
const config = JSON.parse(readFileSync(process.env.PEER_CONFIG, 'utf8'));

// The default in-memory adapter is an LRU of 1,000 entries, which would forget a spent jti after 1,000
// others: a Map that drops an entry only when it expires is the honest replay check.
const stores = new Map();
class MemoryAdapter {
  constructor(name) {
    if (!stores.has(name)) stores.set(name, new Map());
    this.store = stores.get(name);
  }

  async upsert(id, payload, expiresIn) {
    this.store.set(id, { payload, expiresAt: Date.now() + expiresIn * 1000 });
  }

  async find(id) {
    const entry = this.store.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt < Date.now()) {
      this.store.delete(id);
      return undefined;
    }
    return entry.payload;
  }

  async consume(id) {
    const entry = this.store.get(id);
    if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) { this.store.delete(id); }

  async findByUid() { return undefined; }

  async findByUserCode() { return undefined; }

  async revokeByGrantId() {}
}
setInterval(() => {
  const now = Date.now();
  for (const store of stores.values()) {
    for (const [id, entry] of store) if (entry.expiresAt < now) store.delete(id);
  }
}, 5000).unref();

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingJwk = { ...privateKey.export({ format: 'jwk' }), kid: randomBytes(8).toString('hex'), alg: 'RS256', use: 'sig' };

const provider = new Provider(ISSUER, {
  adapter: MemoryAdapter,
  clients: config.clients.map((c) => ({
    client_id: c.client_id,
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'RS256',
    jwks: { keys: [{ ...c.jwk, alg: 'RS256', use: 'sig' }] },
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    scope: config.scope,
  })),
  jwks: { keys: [signingJwk] },
  scopes: [config.scope],
  cookies: { keys: [randomBytes(32).toString('hex')] },
  ttl: { ClientCredentials: 120 },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => config.resource,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: config.scope,
        audience: config.resource,
        accessTokenTTL: 120,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
});

provider.listen(PORT, HOST, () => console.log(`ready ${ISSUER}`));
