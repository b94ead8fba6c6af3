#!/usr/bin/env node
/*
 * The clinic dashboard in a real browser: headless Chromium from the system
 * (/usr/bin/chromium, or BW_CHROMIUM) driven by playwright-core, against the
 * real bookwelld (test clock) on a fresh database seeded with a known set of
 * leads: three missed calls, two patients who wrote back, one held slot.
 * Signs in as the clinic's owner (a user made through the operator API),
 * reads the funnel on the page and compares it with GET
 * /metrics/conversion-funnel, checks the session cookie's flags, that a
 * wrong password and a form without its CSRF token are refused, and signs
 * out. Screenshots are kept under the build directory (dashboard*.png).
 *
 *   BW_BUILDDIR=build BW_TEST_PG="host=... user=... dbname=postgres" node dashboard.test.js
 *
 * Prints "ok"/"not ok" lines and closes with "N passed, M failed".
 */
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');

const builddir = path.resolve(process.env.BW_BUILDDIR || 'build');
const pg = process.env.BW_TEST_PG;
const chromiumPath = process.env.BW_CHROMIUM || '/usr/bin/chromium';
const ADMIN = 'browser-admin-token-0123456789';
const EMAIL = 'owner@glow.example';
const PASSWORD = 'correct horse battery';
let passed = 0, failed = 0;

function check(cond, what) {
  if (cond) { passed++; console.log('ok - ' + what); } else { failed++; console.log('not ok - ' + what); }
  return cond;
}

function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }

function request(port, method, p, body, headers) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: p, headers: headers || {} }, (res) => {
      let data = '';
      res.on('data', (c) => { data += c; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: data }));
    });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

function conninfoFor(db) { return pg.replace(/dbname=\S+/, '') + ' dbname=' + db; }

function psql(sql, db) {
  execFileSync('psql', [db ? conninfoFor(db) : pg, '-v', 'ON_ERROR_STOP=1', '-qAtc', sql], { stdio: 'pipe' });
}

/* Three leads on 2026-11-20 (Los Angeles): all missed calls texted back;
 * two wrote back; one of those has a held slot. */
const SEED = `
INSERT INTO contacts (tenant_id, id, channel, address, phone, created_at) VALUES
 ('glow', 501, 'sms', '+14155550501', '+14155550501', '2026-11-20T18:00:00Z'),
 ('glow', 502, 'sms', '+14155550502', '+14155550502', '2026-11-20T19:00:00Z'),
 ('glow', 503, 'sms', '+14155550503', '+14155550503', '2026-11-20T20:00:00Z');
INSERT INTO conversations (tenant_id, id, contact_id, binding, created_at, updated_at)
 SELECT tenant_id, id, id, 'channel.twilio', created_at, created_at FROM contacts WHERE id BETWEEN 501 AND 503;
INSERT INTO calls (tenant_id, id, contact_id, binding, provider_id, outcome, at)
 SELECT tenant_id, id, id, 'channel.twilio', 'CA' || id, 'missed', created_at FROM contacts WHERE id BETWEEN 501 AND 503;
INSERT INTO messages (tenant_id, conversation_id, contact_id, direction, kind, binding, body, status,
                      caused_by, created_at, sent_at)
 SELECT tenant_id, id, id, 'out', 'textback', 'channel.twilio', 'hi', 'delivered', id, created_at,
        created_at + interval '1 second' FROM contacts WHERE id BETWEEN 501 AND 503;
INSERT INTO messages (tenant_id, conversation_id, contact_id, direction, kind, binding, body, status, created_at)
 SELECT tenant_id, id, id, 'in', 'message', 'channel.twilio', 'hello', 'received', created_at + interval '1 minute'
 FROM contacts WHERE id IN (501, 502);
INSERT INTO holds (tenant_id, provider_id, service_id, start_at, end_at, block_start, block_end, expires_at,
                   state, contact_id, created_at, updated_at) VALUES
 ('glow', 'dr-smith', 'botox', '2026-11-27T23:00:00Z', '2026-11-27T23:30:00Z', '2026-11-27T23:00:00Z',
  '2026-11-27T23:30:00Z', '2026-11-20T18:32:00Z', 'expired', 501, '2026-11-20T18:02:00Z', '2026-11-20T18:32:00Z');
`;

async function startDaemon(dir, db) {
  fs.mkdirSync(path.join(dir, 'tenants'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'bookwelld.conf'),
    'listen = { public = "127.0.0.1:0"; admin = "127.0.0.1:0"; };\n' +
    'database = { url = "env:BOOKWELL_DATABASE_URL"; pool_size = 4; };\n' +
    'admin = { token = "env:BOOKWELL_ADMIN_TOKEN"; };\n' +
    'log = { level = "info"; };\n');
  fs.writeFileSync(path.join(dir, 'tenants', 'glow.conf'),
    'tenant = { id = "glow"; name = "Glow Aesthetics"; timezone = "America/Los_Angeles"; country = "US"; };\n');
  const ready = path.join(dir, 'ready.json');
  const log = fs.openSync(path.join(dir, 'bookwelld.log'), 'w');
  const child = spawn(path.join(builddir, 'bookwelld'),
    ['--config', dir, '--ready-file', ready, '--test-clock=2026-11-24T20:00:00Z'], {
      stdio: ['ignore', log, log],
      env: Object.assign({}, process.env, { BOOKWELL_DATABASE_URL: conninfoFor(db), BOOKWELL_ADMIN_TOKEN: ADMIN })
    });
  for (let i = 0; i < 200; i++) {
    if (fs.existsSync(ready)) {
      try {
        const r = JSON.parse(fs.readFileSync(ready, 'utf8'));
        if (r.public_port && r.admin_port) return { child, public: r.public_port, admin: r.admin_port };
      } catch (e) { /* being written */ }
    }
    if (child.exitCode !== null) break;
    await sleep(100);
  }
  throw new Error('bookwelld was not ready:\n' + fs.readFileSync(path.join(dir, 'bookwelld.log'), 'utf8'));
}

async function stageCounts(page) {
  const out = {};
  for (const cell of await page.locator('td[data-stage]').all())
    out[await cell.getAttribute('data-stage')] = Number(await cell.textContent());
  return out;
}

async function main() {
  if (!pg) throw new Error('BW_TEST_PG is not set');
  const db = 'bw_t_' + process.pid + '_dashboard'; /* scripts/test drops leftovers */
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bw-dashboard-'));
  let daemon, browser;
  psql('CREATE DATABASE ' + db);
  try {
    daemon = await startDaemon(dir, db);
    psql(SEED, db);
    const admin = { Authorization: 'Bearer ' + ADMIN, 'Content-Type': 'application/json' };
    const user = await request(daemon.admin, 'POST', '/admin/tenants/glow/users',
      JSON.stringify({ email: EMAIL, password: PASSWORD }), admin);
    check(user.status === 201, 'the operator makes an owner for the clinic (' + user.status + ')');
    const stored = execFileSync('psql', [conninfoFor(db), '-qAtc', 'SELECT password_hash FROM dashboard_users'])
      .toString().trim();
    check(/^pbkdf2_sha256\$\d+\$[0-9a-f]{32}\$[0-9a-f]{64}$/.test(stored) && !stored.includes(PASSWORD),
      'the password is kept only as a PBKDF2 hash');
    const key = JSON.parse((await request(daemon.admin, 'POST', '/admin/tenants/glow/api-keys', '{}', admin)).body).api_key;
    const api = await request(daemon.public, 'GET', '/metrics/conversion-funnel', null,
      { Authorization: 'Bearer ' + key });
    const apiCounts = {};
    for (const s of JSON.parse(api.body).all.stages) apiCounts[s.stage] = s.count;
    check(apiCounts.lead === 3 && apiCounts.responded === 2 && apiCounts.held === 1 && apiCounts.paid === 0,
      'the API counts the seeded leads ' + JSON.stringify(apiCounts));

    browser = await chromium.launch({ executablePath: chromiumPath, headless: true,
                                      args: ['--no-sandbox', '--disable-gpu'] });
    const context = await browser.newContext({ viewport: { width: 1024, height: 900 } });
    const page = await context.newPage();
    const base = 'http://127.0.0.1:' + daemon.public;

    /* Without a session the dashboard asks to sign in; a wrong password is refused. */
    await page.goto(base + '/dashboard');
    await page.getByLabel('Clinic id').fill('glow');
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    check(/wrong/.test(await page.getByRole('alert').textContent()), 'a wrong password is refused');

    /* Signing in with the keyboard. */
    await page.getByLabel('Clinic id').fill('glow');
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByLabel('Password').press('Enter');
    await page.getByRole('heading', { name: 'Conversion funnel' }).waitFor({ timeout: 20000 });
    check(true, 'signed in, the owner view is shown');
    const cookie = (await context.cookies()).find((c) => c.name === 'bw_session');
    check(cookie && cookie.httpOnly && cookie.secure && cookie.sameSite === 'Strict' && cookie.path === '/dashboard',
      'the session cookie is HttpOnly, Secure, SameSite=Strict, scoped to /dashboard');
    const shown = await stageCounts(page);
    check(JSON.stringify(shown) === JSON.stringify(apiCounts),
      'the page shows the funnel the API returns ' + JSON.stringify(shown));
    check(await page.locator('svg[role=img]').count() >= 2, 'the funnel and the weekly trend are SVG charts');
    check(Number(await page.locator('[data-metric=missed_calls]').textContent()) === 3, 'three missed calls shown');
    check(await page.getByRole('heading', { name: 'No-shows' }).count() === 1,
      'the no-show rate has its section (by month and by provider)');
    const weeks = await page.locator('td[data-week-leads]').allTextContents();
    check(weeks.length === 8 && weeks.slice(0, 7).every((n) => n === '0') && weeks[7] === '3',
      'the weekly trend puts the three leads in the last week ' + JSON.stringify(weeks));
    await page.screenshot({ path: path.join(builddir, 'dashboard.png'), fullPage: true });
    await page.setViewportSize({ width: 375, height: 700 });
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    check(wide <= 380, 'no sideways scrolling on a phone (' + wide + 'px)');
    await page.screenshot({ path: path.join(builddir, 'dashboard-phone.png'), fullPage: true });

    /* A sign-out posted without the form's CSRF token is refused. */
    const forged = await request(daemon.public, 'POST', '/dashboard/logout', 'csrf=guess',
      { Cookie: 'bw_session=' + cookie.value, 'Content-Type': 'application/x-www-form-urlencoded' });
    check(forged.status === 403, 'a form without its CSRF token is refused (' + forged.status + ')');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Signed out' }).waitFor();
    await page.goto(base + '/dashboard');
    check(await page.getByRole('button', { name: 'Sign in' }).count() === 1, 'after signing out the dashboard asks to sign in');
    const stale = await request(daemon.public, 'GET', '/dashboard', null, { Cookie: 'bw_session=' + cookie.value });
    check(!stale.body.includes('data-stage'), 'the old session cookie no longer opens the dashboard');
  } finally {
    if (browser) await browser.close();
    if (daemon) {
      daemon.child.kill('SIGTERM');
      await new Promise((r) => (daemon.child.exitCode !== null ? r() : daemon.child.on('exit', r)));
    }
    try { psql('DROP DATABASE IF EXISTS ' + db + ' WITH (FORCE)'); } catch (e) { /* left for pg_drop_test_dbs */ }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then(() => {
  console.log(passed + ' passed, ' + failed + ' failed');
  process.exit(failed ? 1 : 0);
}, (e) => {
  console.log('not ok - ' + (e && e.stack ? e.stack : e));
  failed++;
  console.log(passed + ' passed, ' + failed + ' failed');
  process.exit(1);
});
