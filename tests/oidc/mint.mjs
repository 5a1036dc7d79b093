// mint.mjs: ID tokens signed by Node's own crypto (not ours), good and bad,
// for jit-ssh's verifier (tests/tools/jit-testjwt).  Prints one JSON
// object: {issuer, client_id, now, skew, jwks, cases: [{name, token,
// want}]}, want "ok" or a piece of the error the verifier must give.
import crypto from 'node:crypto';

const issuer = 'https://idp.example.test';
const client = 'jit-ssh';
const now = Math.floor(Date.now() / 1000);
const b64 = (b) => Buffer.from(b).toString('base64url');
const keys = {};
const jwks = { keys: [] };

function addKey(kid, type, opts, alg) {
  const { privateKey, publicKey } = crypto.generateKeyPairSync(type, opts);
  keys[kid] = { privateKey, alg };
  jwks.keys.push({ ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg });
  return publicKey;
}

const rsaPub = addKey('rsa', 'rsa', { modulusLength: 2048 }, 'RS256');
addKey('pss', 'rsa', { modulusLength: 2048 }, 'PS256');
addKey('p256', 'ec', { namedCurve: 'P-256' }, 'ES256');
addKey('p384', 'ec', { namedCurve: 'P-384' }, 'ES384');
addKey('ed', 'ed25519', {}, 'EdDSA');
// A key jit-ssh must skip: too small an RSA modulus.
addKey('small', 'rsa', { modulusLength: 1024 }, 'RS256');

function sign(alg, kid, input) {
  const k = keys[kid].privateKey;
  switch (alg) {
    case 'RS256': return crypto.sign('sha256', input, k);
    case 'PS256': return crypto.sign('sha256', input, { key: k,
      padding: crypto.constants.RSA_PKCS1_PSS_PADDING,
      saltLength: crypto.constants.RSA_PSS_SALTLEN_DIGEST });
    case 'ES256': return crypto.sign('sha256', input, { key: k, dsaEncoding: 'ieee-p1363' });
    case 'ES384': return crypto.sign('sha384', input, { key: k, dsaEncoding: 'ieee-p1363' });
    case 'EdDSA': return crypto.sign(null, input, k);
    default: throw new Error(alg);
  }
}

function token(claims, { alg = 'RS256', kid = 'rsa', header = {}, sig } = {}) {
  const h = b64(JSON.stringify({ alg, kid, typ: 'JWT', ...header }));
  const p = b64(JSON.stringify(claims));
  const input = `${h}.${p}`;
  const s = sig !== undefined ? sig : b64(sign(alg, kid, Buffer.from(input)));
  return `${input}.${s}`;
}

const base = () => ({ iss: issuer, aud: client, sub: 'sub-alice',
  preferred_username: 'alice', groups: ['dev'], iat: now - 10, exp: now + 300 });
const cases = [];
const add = (name, t, want) => cases.push({ name, token: t, want });

for (const [alg, kid] of [['RS256', 'rsa'], ['PS256', 'pss'], ['ES256', 'p256'],
  ['ES384', 'p384'], ['EdDSA', 'ed']]) {
  add(`${alg} good`, token(base(), { alg, kid }), 'ok');
}
add('aud as a list with azp', token({ ...base(), aud: [client, 'other'], azp: client }), 'ok');
add('within the skew', token({ ...base(), exp: now - 30 }), 'ok');
add('wrong audience', token({ ...base(), aud: 'other' }), 'audience');
add('another client (azp)', token({ ...base(), aud: [client, 'other'], azp: 'other' }), 'azp');
add('several audiences, no azp', token({ ...base(), aud: [client, 'other'] }), 'azp');
add('wrong issuer', token({ ...base(), iss: 'https://evil.example.test' }), 'issuer');
add('issuer with a trailing slash', token({ ...base(), iss: `${issuer}/` }), 'issuer');
add('expired', token({ ...base(), exp: now - 120 }), 'expired');
add('iat in the future', token({ ...base(), iat: now + 600 }), 'future');
add('nbf in the future', token({ ...base(), nbf: now + 600 }), 'not valid yet');
add('no exp', token({ ...base(), exp: undefined }), 'exp');
add('no subject', token({ ...base(), sub: '' }), 'subject');
add('alg none', token(base(), { alg: 'none', sig: '' }), 'refused');
{
  // HS256 keyed with the RSA public key: the classic confusion attack.
  const h = b64(JSON.stringify({ alg: 'HS256', kid: 'rsa', typ: 'JWT' }));
  const p = b64(JSON.stringify(base()));
  const pem = rsaPub.export({ type: 'spki', format: 'pem' });
  const s = crypto.createHmac('sha256', pem).update(`${h}.${p}`).digest('base64url');
  add('HS256 with the public key as secret', `${h}.${p}.${s}`, 'refused');
}
{
  const t = token(base());
  const parts = t.split('.');
  const claims = JSON.parse(Buffer.from(parts[1], 'base64url'));
  claims.groups = ['admins'];
  add('claims changed after signing', `${parts[0]}.${b64(JSON.stringify(claims))}.${parts[2]}`, 'signature');
  const sig = Buffer.from(parts[2], 'base64url');
  sig[10] ^= 1;
  add('one bit of the signature', `${parts[0]}.${parts[1]}.${b64(sig)}`, 'signature');
}
add('unknown kid', token(base(), { kid: 'nope', sig: 'AAAA' }), 'no RS256 key');
add('key too small (skipped)', token(base(), { kid: 'small' }), 'no RS256 key');
add('RS256 header, EC key id', token(base(), { alg: 'RS256', kid: 'p256', sig: 'AAAA' }), 'no RS256 key');
add('crit header', token(base(), { header: { crit: ['exp'] } }), 'refused');
add('two parts', token(base()).split('.').slice(0, 2).join('.'), 'three parts');
add('header not base64url', '@@@.e30.e30', 'header');
add('too long', token({ ...base(), pad: 'x'.repeat(20000) }), 'longer than');
add('claims not an object', token([1, 2, 3]), 'claims');

process.stdout.write(JSON.stringify({ issuer, client_id: client, now, skew: 60, jwks, cases }));
