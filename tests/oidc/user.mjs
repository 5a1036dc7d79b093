// user.mjs: the person at the browser in a device flow, as HTTP requests
// to the provider's own pages (provider.mjs): opens the verification URI,
// enters the user code, confirms (or aborts), signs in.
//
//   node user.mjs VERIFICATION_URI USER_CODE LOGIN [PASSWORD] [abort]
//
// Prints the last page's text; exits 0 when the provider said the device
// is signed in, 1 otherwise.
const [uri, code, login, password = 'pw', abort] = process.argv.slice(2);
const jar = new Map();

function cookies() {
  return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
}

async function go(url, method = 'GET', body = null) {
  for (let i = 0; i < 10; i++) {
    const res = await fetch(url, {
      method,
      redirect: 'manual',
      headers: { cookie: cookies(),
        ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body,
    });
    // Node 18's fetch may lack getSetCookie(): split the joined header.
    const set = res.headers.getSetCookie ? res.headers.getSetCookie()
      : (res.headers.get('set-cookie') || '').split(/, (?=[^;,= ]+=)/).filter(Boolean);
    for (const c of set) {
      const [kv] = c.split(';');
      const eq = kv.indexOf('=');
      jar.set(kv.slice(0, eq), kv.slice(eq + 1));
    }
    if (res.status >= 300 && res.status < 400) {
      url = new URL(res.headers.get('location'), url).href;
      method = 'GET';
      body = null;
      continue;
    }
    return { url, status: res.status, html: await res.text() };
  }
  throw new Error('too many redirects');
}

// The page's first form: its action and its fields.
function formOf(page) {
  const f = page.html.match(/<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/i);
  if (!f) return null;
  const fields = new URLSearchParams();
  for (const m of f[2].matchAll(/<input[^>]*>/gi)) {
    const name = m[0].match(/name="([^"]*)"/);
    const value = m[0].match(/value="([^"]*)"/);
    if (name && !/type="submit"/.test(m[0])) fields.set(name[1], value ? value[1] : '');
  }
  return { action: new URL(f[1], page.url).href, fields };
}

let page = await go(uri);
for (let step = 0; step < 8; step++) {
  const f = formOf(page);
  if (!f) break;
  if (f.fields.has('confirm')) {
    // "Continue" confirms; the page's other button aborts.
    if (abort) {
      f.fields.delete('confirm');
      f.fields.set('abort', 'yes');
    }
  } else if (f.fields.has('user_code')) {
    f.fields.set('user_code', code);
  } else if (f.fields.has('login')) {
    f.fields.set('login', login);
    f.fields.set('password', password);
  }
  page = await go(f.action, 'POST', f.fields.toString());
}
const text = page.html.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
process.stdout.write(`${page.status} ${text}\n`);
process.exit(/Sign-in Success|signed in|success/i.test(text) && page.status < 400 ? 0 : 1);
