#!/usr/bin/env node
/*
 * The staff inbox in a real browser: headless Chromium from the system
 * (/usr/bin/chromium, or BW_CHROMIUM) driven by playwright-core, against the
 * real bookwelld (test clock) with the channel.twilio plugin talking to the
 * Twilio simulator (tests/sim/twilio_sim.py). A patient texts the clinic
 * through the simulator (a signed webhook); a staff alert about the
 * conversation is seeded. Signs in as the clinic's owner, sees the alert in
 * the inbox, opens the conversation with the keyboard, takes over, sends a
 * staff reply and checks that it reached the simulator's Messages API for
 * the patient, hands back, and finds the transcript read in the access log.
 * Screenshots are kept under the build directory (inbox*.png).
 *
 *   BW_BUILDDIR=build BW_SRCDIR=. BW_TEST_PG="host=... user=... dbname=postgres" node inbox.test.js
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
const srcdir = path.resolve(process.env.BW_SRCDIR || path.join(__dirname, '..', '..'));
const pg = process.env.BW_TEST_PG;
const chromiumPath = process.env.BW_CHROMIUM || '/usr/bin/chromium';
const ADMIN = 'browser-admin-token-0123456789';
const EMAIL = 'owner@glow.example';
const PASSWORD = 'correct horse battery';
const ACCOUNT = 'AC0123456789abcdef0123456789abcdef';
const TOKEN = 'simulated-auth-token-0123456789';
const CLINIC = '+14155550100';
const PATIENT = '+14155550123';
const PUBLIC = 'https://clinic.example.com';
const STAFF_TEXT = 'Hi, this is Maria at the front desk. We can see you Friday.';
let passed = 0, failed = 0;

function check(cond, what) {
  if (cond) { passed++; console.log('ok - ' + what); } else { failed++; console.log('not ok - ' + what); }
  return cond;
}

function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }

function request(port, method, p, body, headers) {
  return new Promise((resolve, reject) => {
    const h = Object.assign({}, headers || {});
    if (body) h['Content-Length'] = Buffer.byteLength(body);
    const req = http.request({ host: '127.0.0.1', port, method, path: p, headers: h }, (res) => {
      let data = '';
      res.on('data', (c) => { data += c; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: data }));
    });
    req.on('error', (e) => reject(new Error(method + ' ' + p + ' on port ' + port + ': ' + e.message)));
    if (body) req.write(body);
    req.end();
  });
}

function conninfoFor(db) { return pg.replace(/dbname=\S+/, '') + ' dbname=' + db; }

function psql(sql, db) {
  return execFileSync('psql', [db ? conninfoFor(db) : pg, '-v', 'ON_ERROR_STOP=1', '-qAtc', sql], { stdio: 'pipe' })
    .toString().trim();
}

async function waitReady(file, child, logFile, what) {
  for (let i = 0; i < 200; i++) {
    if (fs.existsSync(file)) {
      try { return JSON.parse(fs.readFileSync(file, 'utf8')); } catch (e) { /* being written */ }
    }
    if (child.exitCode !== null) break;
    await sleep(100);
  }
  throw new Error(what + ' was not ready:\n' + fs.readFileSync(logFile, 'utf8'));
}

async function startSim(dir) {
  const ready = path.join(dir, 'sim-ready.json'), logFile = path.join(dir, 'sim.log');
  const log = fs.openSync(logFile, 'w');
  const child = spawn('python3', [path.join(srcdir, 'tests', 'sim', 'twilio_sim.py'), '--port', '0',
    '--ready-file', ready], { stdio: ['ignore', log, log] });
  const r = await waitReady(ready, child, logFile, 'the Twilio simulator');
  return { child, port: r.port, url: 'http://127.0.0.1:' + r.port };
}

async function startDaemon(dir, db, sim) {
  fs.mkdirSync(path.join(dir, 'tenants'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'twilio_token'), TOKEN, { mode: 0o600 });
  fs.writeFileSync(path.join(dir, 'bookwelld.conf'),
    'listen = { public = "127.0.0.1:0"; admin = "127.0.0.1:0"; };\n' +
    'database = { url = "env:BOOKWELL_DATABASE_URL"; pool_size = 4; };\n' +
    'admin = { token = "env:BOOKWELL_ADMIN_TOKEN"; };\n' +
    'log = { level = "info"; };\n' +
    'plugins = { dir = "' + path.join(builddir, 'plugins') + '"; };\n');
  fs.writeFileSync(path.join(dir, 'tenants', 'glow.conf'),
    'tenant = { id = "glow"; name = "Glow Aesthetics"; timezone = "America/Los_Angeles"; country = "US"; };\n' +
    'messaging = { phone = "' + CLINIC + '"; };\n' +
    'plugins = ( { plugin = "channel.twilio"; base_url = "' + sim.url + '"; config = {\n' +
    '  account_sid = "' + ACCOUNT + '"; auth_token = "file:' + path.join(dir, 'twilio_token') + '";\n' +
    '  numbers = [ "' + CLINIC + '" ]; forward_number = "+14155559999";\n' +
    '  public_base_url = "' + PUBLIC + '"; send_rate = 100; send_burst = 100; }; } );\n');
  const ready = path.join(dir, 'ready.json'), logFile = path.join(dir, 'bookwelld.log');
  const log = fs.openSync(logFile, 'w');
  /* 12:00 in Los Angeles: inside the clinic's sending hours. */
  const child = spawn(path.join(builddir, 'bookwelld'),
    ['--config', dir, '--ready-file', ready, '--test-clock=2026-11-24T20:00:00Z'], {
      stdio: ['ignore', log, log],
      env: Object.assign({}, process.env, { BOOKWELL_DATABASE_URL: conninfoFor(db), BOOKWELL_ADMIN_TOKEN: ADMIN })
    });
  for (let i = 0; i < 200; i++) {
    const r = fs.existsSync(ready) ? (() => { try { return JSON.parse(fs.readFileSync(ready, 'utf8')); } catch (e) { return null; } })() : null;
    if (r && r.public_port && r.admin_port) return { child, public: r.public_port, admin: r.admin_port, log: logFile };
    if (child.exitCode !== null) break;
    await sleep(100);
  }
  throw new Error('bookwelld was not ready:\n' + fs.readFileSync(logFile, 'utf8'));
}

async function simMessages(sim) {
  return JSON.parse((await request(sim.port, 'GET', '/_sim/messages')).body).messages;
}

async function main() {
  if (!pg) throw new Error('BW_TEST_PG is not set');
  const db = 'bw_t_' + process.pid + '_inbox'; /* scripts/test drops leftovers */
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bw-inbox-'));
  let daemon, sim, browser;
  psql('CREATE DATABASE ' + db);
  try {
    sim = await startSim(dir);
    daemon = await startDaemon(dir, db, sim);
    const json = { 'Content-Type': 'application/json' };
    await request(sim.port, 'POST', '/_sim/config', JSON.stringify({
      callback_base: 'http://127.0.0.1:' + daemon.public, public_base: PUBLIC, callback_delay_ms: 20 }), json);
    const admin = { Authorization: 'Bearer ' + ADMIN, 'Content-Type': 'application/json' };
    const user = await request(daemon.admin, 'POST', '/admin/tenants/glow/users',
      JSON.stringify({ email: EMAIL, password: PASSWORD }), admin);
    check(user.status === 201, 'the operator makes an owner for the clinic (' + user.status + ')');

    /* The patient texts the clinic: a signed webhook from the simulator. */
    const sms = JSON.parse((await request(sim.port, 'POST', '/_sim/sms', JSON.stringify({
      from: PATIENT, to: CLINIC, body: 'Can someone call me about my appointment?' }), json)).body);
    check(sms.status === 200, 'the patient\'s text is taken (' + sms.status + ')');
    let conv = '';
    for (let i = 0; i < 100 && !conv; i++) {
      conv = psql("SELECT id FROM conversations WHERE tenant_id = 'glow'", db);
      if (!conv) await sleep(100);
    }
    check(conv !== '', 'the conversation is stored');
    psql("INSERT INTO staff_alerts (tenant_id, kind, subject, text, created_at) VALUES ('glow', " +
         "'conversation.asked_for_person', 'conversation:" + conv + ":message:1', " +
         "'Conversation " + conv + " asks for a person.', now())", db);
    const before = (await simMessages(sim)).length;

    browser = await chromium.launch({ executablePath: chromiumPath, headless: true,
                                      args: ['--no-sandbox', '--disable-gpu'] });
    const context = await browser.newContext({ viewport: { width: 1024, height: 900 } });
    const page = await context.newPage();
    const base = 'http://127.0.0.1:' + daemon.public;

    await page.goto(base + '/dashboard/inbox');
    await page.getByLabel('Clinic id').fill('glow');
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByLabel('Password').press('Enter');
    await page.getByRole('heading', { name: 'Conversion funnel' }).waitFor({ timeout: 20000 });
    await page.getByRole('link', { name: 'Inbox' }).click();
    await page.getByRole('heading', { name: 'Needs attention (1)' }).waitFor();
    check(await page.getByText('Conversation ' + conv + ' asks for a person.').count() === 1,
      'the open staff alert shows in the inbox');
    await page.screenshot({ path: path.join(builddir, 'inbox.png'), fullPage: true });

    /* Open the conversation with the keyboard. */
    const link = page.getByRole('link', { name: PATIENT });
    await link.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Transcript' }).waitFor();
    check(await page.getByText('Can someone call me about my appointment?').count() === 1,
      'the transcript shows the patient\'s message');

    await page.getByRole('button', { name: 'Take over' }).click();
    await page.getByRole('button', { name: 'Hand back' }).waitFor();
    check(psql("SELECT status FROM conversations WHERE id = " + conv, db) === 'handoff',
      'taking over hands the conversation to staff');

    await page.getByLabel('Message to the patient').fill(STAFF_TEXT);
    await page.getByRole('button', { name: 'Send reply' }).click();
    await page.getByText('Your reply is queued to the patient.').waitFor();
    let reached = null;
    for (let i = 0; i < 100 && !reached; i++) {
      reached = (await simMessages(sim)).slice(before).find((m) => m.body === STAFF_TEXT);
      if (!reached) await sleep(100);
    }
    check(reached && reached.to === PATIENT && reached.from === CLINIC,
      'the staff reply reached the Twilio simulator for the patient');
    await page.reload();
    check(await page.getByText(STAFF_TEXT).count() === 1, 'the staff reply is in the transcript');
    await page.screenshot({ path: path.join(builddir, 'inbox-conversation.png'), fullPage: true });

    await page.getByRole('button', { name: 'Hand back' }).click();
    await page.getByRole('button', { name: 'Take over' }).waitFor();
    check(psql("SELECT status FROM conversations WHERE id = " + conv, db) === 'open',
      'handing back returns the conversation to the assistant');
    check(psql("SELECT count(*) FROM staff_alerts WHERE resolved_at IS NULL", db) === '0',
      'handing back resolves the conversation\'s alert');

    await page.setViewportSize({ width: 375, height: 700 });
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    check(wide <= 380, 'no sideways scrolling on a phone (' + wide + 'px)');
    await page.screenshot({ path: path.join(builddir, 'inbox-phone.png'), fullPage: true });
    await page.setViewportSize({ width: 1024, height: 900 });

    await page.getByRole('link', { name: 'Access log' }).click();
    await page.getByRole('heading', { name: 'Access log' }).waitFor();
    check(await page.getByRole('cell', { name: 'conversation:' + conv, exact: true }).count() >= 1 &&
          await page.getByRole('cell', { name: 'user:' + EMAIL }).count() >= 1,
      'the access log names the owner and the conversation read');
    await page.screenshot({ path: path.join(builddir, 'inbox-audit.png'), fullPage: true });
  } finally {
    if (browser) await browser.close();
    for (const p of [daemon, sim]) {
      if (p) {
        p.child.kill('SIGTERM');
        await new Promise((r) => (p.child.exitCode !== null ? r() : p.child.on('exit', r)));
      }
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
