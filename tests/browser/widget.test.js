#!/usr/bin/env node
/*
 * The web chat widget in a real browser: headless Chromium from the system
 * (/usr/bin/chromium, or BW_CHROMIUM) driven by playwright-core. Starts the
 * real bookwelld (test clock, echo engine, channel.webchat from the build)
 * on a fresh database, and a tiny static server for the clinic's page, on
 * another origin than the daemon so CORS is exercised. Opens the widget,
 * sends a message with the keyboard, waits for the reply, closes with
 * Escape, reloads and sees the conversation again, and keeps screenshots
 * under the build directory (webchat-widget*.png).
 *
 *   BW_BUILDDIR=build BW_TEST_PG="host=... user=... dbname=postgres" node widget.test.js
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
const KEY = 'glow-widget';
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

function psql(sql) {
  execFileSync('psql', [pg, '-v', 'ON_ERROR_STOP=1', '-qAtc', sql], { stdio: 'pipe' });
}

function conninfoFor(db) { return pg.replace(/dbname=\S+/, '') + ' dbname=' + db; }

/* The clinic's page; it names the daemon's port once that is known. */
let daemonPort = 0;
async function startPage() {
  const page = () => '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    '<title>Glow Aesthetics</title>' +
    /* The site's own CSS must not reach the widget. */
    '<style>button,div,textarea{background:red !important;color:lime !important;font-size:40px !important}</style>' +
    '</head><body><h1>Glow Aesthetics</h1><p>Botox, fillers and facials in San Francisco.</p>' +
    '<script src="http://127.0.0.1:' + daemonPort + '/webhooks/webchat/widget.js?key=' + KEY + '"></script>' +
    '</body></html>';
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(page());
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

async function startDaemon(dir, db, origin) {
  const plugins = path.join(dir, 'plugins');
  fs.mkdirSync(path.join(dir, 'tenants'), { recursive: true });
  fs.mkdirSync(plugins);
  fs.copyFileSync(path.join(builddir, 'plugins', 'channel.webchat-1.0.0.so'),
                  path.join(plugins, 'channel.webchat-1.0.0.so'));
  fs.writeFileSync(path.join(dir, 'bookwelld.conf'),
    'listen = { public = "127.0.0.1:0"; admin = "127.0.0.1:0"; };\n' +
    'database = { url = "env:BOOKWELL_DATABASE_URL"; pool_size = 4; };\n' +
    'admin = { token = "env:BOOKWELL_ADMIN_TOKEN"; };\n' +
    'log = { level = "info"; };\n' +
    'plugins = { dir = "' + plugins + '"; };\n');
  fs.writeFileSync(path.join(dir, 'tenants', 'glow.conf'),
    'tenant = { id = "glow"; name = "Glow Aesthetics"; timezone = "America/Los_Angeles"; country = "US"; };\n' +
    'messaging = { phone = "+14155550100"; };\n' +
    'plugins = ( { plugin = "channel.webchat"; config = { widget_key = "' + KEY + '";' +
    ' token_secret = "env:WC_SECRET"; clinic_name = "Glow Aesthetics"; colour = "#aa3366";' +
    ' allowed_origins = [ "' + origin + '" ]; retry = "300ms"; }; } );\n');
  const ready = path.join(dir, 'ready.json');
  const log = fs.openSync(path.join(dir, 'bookwelld.log'), 'w');
  const child = spawn(path.join(builddir, 'bookwelld'),
    ['--config', dir, '--ready-file', ready, '--test-clock=2026-11-24T20:00:00Z'], {
      stdio: ['ignore', log, log],
      env: Object.assign({}, process.env, {
        BOOKWELL_DATABASE_URL: conninfoFor(db), BOOKWELL_ADMIN_TOKEN: ADMIN,
        WC_SECRET: 'browser-token-secret-0123456789'
      })
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

async function main() {
  if (!pg) throw new Error('BW_TEST_PG is not set');
  const db = 'bw_t_' + process.pid + '_browser'; /* scripts/test drops leftovers */
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bw-browser-'));
  let server, daemon, browser;
  psql('CREATE DATABASE ' + db);
  try {
    server = await startPage();
    const origin = 'http://127.0.0.1:' + server.address().port;
    daemon = await startDaemon(dir, db, origin);
    daemonPort = daemon.public;
    const eng = await request(daemon.admin, 'POST', '/admin/test/engine', '{"engine":"echo"}',
      { Authorization: 'Bearer ' + ADMIN, 'Content-Type': 'application/json' });
    check(eng.status === 200, 'echo engine registered');

    browser = await chromium.launch({ executablePath: chromiumPath, headless: true,
                                      args: ['--no-sandbox', '--disable-gpu'] });
    const context = await browser.newContext({ viewport: { width: 1024, height: 768 } });
    const page = await context.newPage();
    const problems = [];
    page.on('pageerror', (e) => problems.push(String(e)));
    await page.goto(origin + '/');

    const bubble = page.getByRole('button', { name: 'Open chat' });
    await bubble.waitFor();
    check(await page.locator('.title').textContent() === 'Glow Aesthetics', 'clinic name from the tenant config');
    const bg = await bubble.evaluate((el) => getComputedStyle(el).backgroundColor);
    check(bg === 'rgb(170, 51, 102)', 'clinic colour, untouched by the site CSS (' + bg + ')');

    /* Keyboard: focus the bubble, open with Enter, type, send with Enter. */
    await bubble.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Chat with Glow Aesthetics' });
    await dialog.waitFor({ state: 'visible' });
    const focused = await page.evaluate(() => {
      const h = document.querySelector('bookwell-webchat');
      return h && h.shadowRoot.activeElement ? h.shadowRoot.activeElement.className : '';
    });
    check(focused === 'input', 'opening moves focus to the message box (' + focused + ')');
    await page.keyboard.type('Do you have Botox appointments on Saturday?');
    await page.keyboard.press('Enter');
    const reply = page.locator('.msg.clinic', { hasText: 'echo: Do you have Botox appointments on Saturday?' });
    await reply.waitFor({ timeout: 20000 });
    check(true, 'the reply arrives on the event stream');
    const size = await reply.evaluate((el) => getComputedStyle(el).fontSize);
    check(size === '15px', 'the site CSS does not reach the panel (font-size ' + size + ')');
    check(await page.locator('.msg.visitor').count() === 1, 'the visitor message is shown once');
    await page.screenshot({ path: path.join(builddir, 'webchat-widget.png') });

    /* Escape closes and gives focus back to the bubble. */
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    const back = await page.evaluate(() => document.querySelector('bookwell-webchat').shadowRoot.activeElement.className);
    check(back === 'bubble', 'Escape closes the panel and focus returns to the bubble');

    /* A reload resumes the same visitor and shows the conversation again. */
    await page.reload();
    await page.getByRole('button', { name: 'Open chat' }).click();
    await page.locator('.msg.clinic', { hasText: 'echo: Do you have Botox' }).waitFor({ timeout: 20000 });
    check(await page.locator('.msg.visitor', { hasText: 'Botox appointments on Saturday' }).count() === 1 &&
          await page.locator('.msg.clinic').count() === 1, 'after a reload the conversation is there, once');

    /* A second message after the reload on the same conversation. */
    await page.locator('.input').fill('And on Sunday?');
    await page.keyboard.press('Enter');
    await page.locator('.msg.clinic', { hasText: 'echo: And on Sunday?' }).waitFor({ timeout: 20000 });
    check(true, 'a message after the reload is answered');

    /* On a phone-sized screen the panel fills the screen. */
    await page.setViewportSize({ width: 375, height: 700 });
    const box = await dialog.boundingBox();
    check(box && box.width >= 370 && box.height >= 690, 'full-screen panel on a phone');
    await page.screenshot({ path: path.join(builddir, 'webchat-widget-phone.png') });

    const state = await request(daemon.admin, 'GET', '/admin/test/state?tenant=glow', null,
      { Authorization: 'Bearer ' + ADMIN });
    const contacts = JSON.parse(state.body).contacts || [];
    const ins = contacts.flatMap((c) => (c.messages || []).filter((m) => m.direction === 'in'));
    check(contacts.length === 1 && ins.length === 2, 'the daemon stored one contact and two inbound messages');
    check(problems.length === 0, 'no page errors ' + problems.join('; '));
  } finally {
    if (browser) await browser.close();
    if (server) server.close();
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
