// Drives the GraphiQL page of a running clientele server in headless
// Chromium, as a person would, with every request to another host blocked
// and recorded: a page that tried to load anything from elsewhere fails.
//
//   GRAPHIQL_URL=http://127.0.0.1:PORT/ GRAPHIQL_TOKEN=... \
//   SCREENSHOT_DIR=/tmp/x node graphiql.test.mjs
//
// Optional: CHROMIUM (default /usr/bin/chromium). Exits non-zero on any
// failure; the last line is "graphiql: N passed, N failed".
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const BASE = process.env.GRAPHIQL_URL;
const TOKEN = process.env.GRAPHIQL_TOKEN;
const SHOTS = process.env.SCREENSHOT_DIR || tmpdir();
const EXE = process.env.CHROMIUM || '/usr/bin/chromium';
const STEP_TIMEOUT = 15_000;
const TOTAL_TIMEOUT = 120_000;

if (!BASE || !TOKEN) {
  console.error('set GRAPHIQL_URL and GRAPHIQL_TOKEN');
  process.exit(2);
}
const origin = new URL(BASE);

let passed = 0;
let failed = 0;
const screenshots = [];
function ok(name) {
  passed++;
  console.log(`ok - ${name}`);
}
function fail(name, detail) {
  failed++;
  console.log(`not ok - ${name}${detail ? `\n    ${String(detail).split('\n').join('\n    ')}` : ''}`);
}
async function check(name, fn) {
  try {
    const detail = await fn();
    ok(detail ? `${name} (${detail})` : name);
    return true;
  } catch (err) {
    fail(name, err?.message ?? err);
    return false;
  }
}
function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

// Bounded whatever happens.
const watchdog = setTimeout(() => {
  console.log(`not ok - the test did not finish within ${TOTAL_TIMEOUT / 1000}s`);
  process.exit(1);
}, TOTAL_TIMEOUT);
watchdog.unref();

const profile = mkdtempSync(join(tmpdir(), 'graphiql-chromium-'));
let context;
// Everything the page did, to check afterwards.
const foreign = []; // requests to another host (aborted)
const wsURLs = [];
const wsInits = []; // connection_init payloads sent
const gqlRequests = []; // POST /graphql: { body, authorization, status, response }
const cspViolations = [];
const pageErrors = [];
const consoleErrors = [];

const isLocal = (u) => {
  try {
    const url = new URL(u);
    return url.hostname === origin.hostname && url.port === origin.port;
  } catch {
    return false;
  }
};

try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: EXE,
    headless: true,
    chromiumSandbox: false,
    timeout: 30_000,
    viewport: { width: 1400, height: 860 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
  context.setDefaultTimeout(STEP_TIMEOUT);

  // The network is "cut off": only the server under test answers.
  await context.route('**/*', (route) => {
    const u = route.request().url();
    if (isLocal(u)) return route.continue();
    foreign.push(u);
    return route.abort('blockedbyclient');
  });
  await context.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber}`);
    });
  });

  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => pageErrors.push(String(e?.message ?? e)));
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });
  page.on('websocket', (ws) => {
    wsURLs.push(ws.url());
    ws.on('framesent', (f) => {
      try {
        const msg = JSON.parse(typeof f.payload === 'string' ? f.payload : f.payload.toString());
        if (msg.type === 'connection_init') wsInits.push(msg.payload ?? null);
      } catch {
        // not JSON
      }
    });
  });
  page.on('requestfinished', async (req) => {
    if (!(req.method() === 'POST' && new URL(req.url()).pathname === '/graphql')) return;
    const entry = { body: req.postData() ?? '', authorization: (await req.allHeaders())['authorization'] ?? null };
    try {
      const resp = await req.response();
      entry.status = resp?.status();
      entry.response = await resp?.text();
    } catch {
      // page gone
    }
    gqlRequests.push(entry);
  });

  const editor = (sel) => `.graphiql-${sel} .CodeMirror`;
  const editorValue = (sel) =>
    page.evaluate((s) => document.querySelector(s)?.CodeMirror?.getValue() ?? null, editor(sel));
  const responseText = () => page.locator('.graphiql-response').innerText();
  const run = () => page.locator('.graphiql-execute-button').click();
  // GraphiQL parses the editor's text a moment after a change; running
  // before that would use the previous operation's type.
  async function setQuery(text) {
    await page.evaluate(([s, t]) => document.querySelector(s).CodeMirror.setValue(t), [editor('query-editor'), text]);
    await page.waitForTimeout(600);
  }
  // The request log fills in asynchronously: poll it.
  async function eventually(fn, what) {
    const deadline = Date.now() + STEP_TIMEOUT;
    for (;;) {
      const v = fn();
      if (v) return v;
      if (Date.now() > deadline) throw new Error(what);
      await page.waitForTimeout(100);
    }
  }
  async function waitForResponse(pred, what) {
    const deadline = Date.now() + STEP_TIMEOUT;
    let last = '';
    while (Date.now() < deadline) {
      last = await responseText().catch(() => '');
      if (pred(last)) return last;
      await page.waitForTimeout(150);
    }
    throw new Error(`the result pane never showed ${what}; it shows:\n${last.slice(0, 600)}`);
  }
  const introspections = () => gqlRequests.filter((r) => r.body.includes('IntrospectionQuery'));

  // 1. The page, without a token.
  let resp;
  await check('GET / serves the page with a strict Content-Security-Policy', async () => {
    resp = await page.goto(BASE, { waitUntil: 'load' });
    assert(resp && resp.status() === 200, `status ${resp?.status()}`);
    const csp = (await resp.allHeaders())['content-security-policy'] ?? '';
    assert(/default-src 'none'/.test(csp) && /script-src 'self'(;|$)/.test(csp), `CSP: ${csp}`);
    await page.locator('.graphiql-container').waitFor({ state: 'visible' });
    await page.locator(editor('query-editor')).waitFor({ state: 'visible' });
  });

  await check('without a token the page says to paste one', async () => {
    const hint = page.locator('.cg-hint');
    await hint.waitFor({ state: 'visible' });
    const text = await hint.innerText();
    assert(/paste/i.test(text) && /token/i.test(text), `hint: ${text}`);
    await page.waitForFunction(() => document.querySelector('.cg-state')?.dataset.state === 'error');
    const first = await eventually(() => introspections()[0], 'no introspection request was made');
    assert(first.authorization === null, `sent Authorization without a token: ${first.authorization}`);
    assert(/UNAUTHENTICATED/.test(first.response ?? ''), `introspection answer: ${first.response?.slice(0, 200)}`);
    const file = join(SHOTS, 'graphiql-no-token.png');
    await page.screenshot({ path: file });
    screenshots.push(file);
    return 'introspection answered UNAUTHENTICATED';
  });

  // 2. Paste the token: the schema loads without a reload.
  await check('pasting the token loads the schema (introspection carries Authorization)', async () => {
    const before = introspections().length;
    await page.locator('#cg-token').fill(TOKEN);
    await page.waitForFunction(() => document.querySelector('.cg-state')?.dataset.state === 'ok');
    await eventually(
      () => introspections().slice(before).find((r) => r.authorization === `Bearer ${TOKEN}` && r.status === 200 && r.response?.includes('__schema')),
      `no successful introspection with the token among ${introspections().length - before} requests`,
    );
    assert((await page.locator('.cg-hint').count()) === 0, 'the hint is still shown');
    assert((await page.evaluate(() => localStorage.getItem('clientele:token'))) === TOKEN, 'token not kept in localStorage');
  });

  await check('the Docs explorer shows the schema', async () => {
    await page.locator('button[aria-label="Show Documentation Explorer"]').click();
    const docs = page.locator('.graphiql-doc-explorer');
    await docs.waitFor({ state: 'visible' });
    await docs.getByText('Query', { exact: true }).first().waitFor({ state: 'visible' });
    await docs.getByText('Mutation', { exact: true }).first().waitFor({ state: 'visible' });
    await docs.getByText('Subscription', { exact: true }).first().waitFor({ state: 'visible' });
  });

  // Dialogs insert <style> elements (hence style-src 'unsafe-inline'):
  // open one so that the CSP check below covers them.
  await check('the settings dialog opens', async () => {
    await page.locator('button[aria-label="Open settings dialog"]').click();
    await page.locator('[role=dialog]').waitFor({ state: 'visible' });
    await page.keyboard.press('Escape');
    await page.locator('[role=dialog]').waitFor({ state: 'detached' });
  });

  // 3. A mutation, so that the query and the subscription have data.
  await check('a mutation runs', async () => {
    const email = `graphiql-${Date.now()}@example.com`;
    await setQuery(`mutation { createCustomer(input: { email: "${email}" }) { customer { id email } userErrors { message } } }`);
    await run();
    const text = await waitForResponse((t) => t.includes(email) || t.includes('"errors"') || t.includes('"message"'), 'the new customer');
    assert(text.includes(email) && !text.includes('"errors"'), text.slice(0, 600));
  });

  // 4. The query, typed as a person would.
  const QUERY = '{ customers(first: 1) { totalCount } }';
  await check('a typed query runs and its result is shown', async () => {
    const cm = page.locator(editor('query-editor'));
    await cm.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await page.keyboard.type(QUERY, { delay: 10 });
    await page.keyboard.press('Escape'); // close an autocomplete list, if open
    await page.waitForTimeout(600);
    let typed = (await editorValue('query-editor')) ?? '';
    let note = 'typed';
    if (typed.replace(/\s+/g, ' ').trim() !== QUERY) {
      // Editor helpers (bracket closing, hints) changed the keystrokes:
      // still run the intended query, and say so.
      note = `typed text became ${JSON.stringify(typed)}; set directly`;
      await setQuery(QUERY);
      typed = await editorValue('query-editor');
    }
    const sent = gqlRequests.length;
    await run();
    const text = await waitForResponse((t) => t.includes('totalCount'), '"totalCount"');
    assert(!text.includes('"errors"'), text.slice(0, 600));
    const m = text.match(/"totalCount":\s*(\d+)/);
    assert(m && Number(m[1]) >= 1, `totalCount: ${m?.[1]}`);
    const req = await eventually(() => gqlRequests.slice(sent).find((r) => r.body.includes('totalCount')), 'the query was not seen');
    assert(req.authorization === `Bearer ${TOKEN}`, 'the query was sent without the token');
    const file = join(SHOTS, 'graphiql-query.png');
    await page.screenshot({ path: file });
    screenshots.push(file);
    return `${note}; totalCount ${m[1]}`;
  });

  // 5. A subscription over graphql-ws on the same origin.
  await check('a subscription runs over WebSocket (graphql-transport-ws, token in connection_init)', async () => {
    await setQuery('subscription { events(afterSequence: 0) { sequence name resourceType } }');
    await run();
    const text = await waitForResponse((t) => t.includes('customers.create') || t.includes('"errors"') || /Socket closed/.test(t), 'an event');
    assert(text.includes('customers.create'), text.slice(0, 600));
    assert(wsURLs.length > 0, 'no WebSocket was opened');
    assert(!gqlRequests.some((r) => /"query":"subscription\b/.test(r.body)), 'the subscription was sent over HTTP');
    for (const u of wsURLs) {
      const url = new URL(u);
      assert(url.protocol === 'ws:' && isLocal(u.replace(/^ws/, 'http')) && url.pathname === '/graphql', `WebSocket to ${u}`);
    }
    const init = wsInits.at(-1);
    assert(init && init.Authorization === `Bearer ${TOKEN}`, `connection_init payload: ${JSON.stringify(init)}`);
    const file = join(SHOTS, 'graphiql-subscription.png');
    await page.screenshot({ path: file });
    screenshots.push(file);
    // Stop it (the execute button turns into a stop button).
    await run();
  });

  // 6. The token is pasted once: after a reload the schema loads by itself.
  await check('after a reload the kept token loads the schema again', async () => {
    await page.reload({ waitUntil: 'load' });
    await page.waitForFunction(() => document.querySelector('.cg-state')?.dataset.state === 'ok');
    assert((await page.locator('#cg-token').inputValue()) === TOKEN, 'the token field is empty after a reload');
  });

  // 7. Nothing elsewhere, nothing blocked, no errors.
  await check('the page loaded nothing from another host', async () => {
    assert(foreign.length === 0, `blocked requests:\n${foreign.join('\n')}`);
    const wsForeign = wsURLs.filter((u) => !isLocal(u.replace(/^ws/, 'http')));
    assert(wsForeign.length === 0, `WebSockets elsewhere: ${wsForeign.join(', ')}`);
  });
  await check('no Content-Security-Policy violation', async () => {
    const inPage = await page.evaluate(() => window.__csp ?? []);
    const all = [...cspViolations, ...inPage];
    assert(all.length === 0, all.join('\n'));
  });
  await check('no uncaught page error', async () => {
    assert(pageErrors.length === 0, pageErrors.join('\n'));
  });
  // Expected console errors: none but failed resources; print them.
  const unexpected = consoleErrors.filter((t) => !/Failed to load resource/.test(t));
  if (consoleErrors.length) console.log(`# console errors:\n#   ${consoleErrors.join('\n#   ')}`);
  await check('no console error but failed resources', async () => {
    assert(unexpected.length === 0, unexpected.join('\n'));
  });
} catch (err) {
  fail('the browser test ran to the end', err?.stack ?? err);
} finally {
  await context?.close().catch(() => {});
  rmSync(profile, { recursive: true, force: true });
}

for (const s of screenshots) console.log(`screenshot: ${s}`);
console.log(`graphiql: ${passed} passed, ${failed} failed`);
process.exit(failed || passed === 0 ? 1 : 0);
