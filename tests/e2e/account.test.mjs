// Strong authentication in a real browser: a real (non-demo) account enrols its TOTP second
// factor by keyboard (QR code rendered by the server and allowed by the CSP, key written out),
// gets its recovery codes, logs in again with a fresh code, and « Mon compte » is accessible.
// Run: node --test tests/e2e/
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { startServer, launchBrowser, newPage, axeViolations, BIN, ARTIFACTS } from './vigie.mjs';

const T = { timeout: 60_000 };
const LOGIN = 'c.martin';
const PASSPHRASE = 'cerf-volant rouge au-dessus du canal';
let server;
let browser;

/** `vigie user add` in the server's directory, the password on stdin. */
function addUser() {
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, ['user', 'add', '--login', LOGIN, '--name', 'Claire Martin', '--role', 'agent'], {
      cwd: server.dir,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (s) => (err += s));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`user add: ${code} ${err}`))));
    child.stdin.end(`${PASSPHRASE}\n`);
  });
}

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  server = await startServer({ dossiers: 20 });
  browser = await launchBrowser();
  await addUser();
});

after(async () => {
  await Promise.allSettled([browser?.close(), server?.stop()]);
});

/** RFC 4648 base32 → bytes. */
function base32(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of s.replace(/[\s=]/g, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

/** RFC 6238 TOTP (SHA-1, 6 digits, 30 s) at `ms`. */
function totp(secret, ms = Date.now()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(ms / 1000 / 30)));
  const h = createHmac('sha1', base32(secret)).update(counter).digest();
  const o = h[h.length - 1] & 0xf;
  const n = ((h[o] & 0x7f) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3];
  return String(n % 1_000_000).padStart(6, '0');
}

async function passwordStep(page) {
  await page.goto('/connexion');
  await page.getByLabel('Identifiant').fill(LOGIN);
  await page.getByLabel('Mot de passe').fill(PASSPHRASE);
  await page.keyboard.press('Enter');
  await page.waitForURL((u) => u.pathname !== '/connexion');
}

test('a real account enrols TOTP by keyboard, keeps its recovery codes, logs in again with a fresh code', T, async () => {
  const { context, page } = await newPage(browser, server.url);
  const cspErrors = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
  });
  try {
    await passwordStep(page);
    // No way around the second factor: any page leads to the enrolment.
    assert.equal(new URL(page.url()).pathname, '/compte/second-facteur');
    await page.goto('/dossiers');
    assert.equal(new URL(page.url()).pathname, '/compte/second-facteur');

    const img = page.getByRole('img', { name: /Code QR/ });
    await img.waitFor();
    await page.waitForFunction(() => document.querySelector('img[src$="qr.svg"]')?.naturalWidth > 0);
    const secret = (await page.locator('code.secret').textContent()).replace(/\s/g, '');
    assert.match(secret, /^[A-Z2-7]{32}$/);
    assert.deepEqual(await axeViolations(page), [], 'enrolment page');
    await page.screenshot({ path: path.join(ARTIFACTS, 'second-facteur-activation.png'), fullPage: true });

    // A wrong code first: the error is announced and the field marked.
    await page.getByLabel('Code à 6 chiffres').focus();
    await page.keyboard.type('000000');
    await page.keyboard.press('Enter');
    await page.getByRole('alert').waitFor();
    assert.equal(await page.getByLabel('Code à 6 chiffres').getAttribute('aria-invalid'), 'true');

    await page.getByLabel('Code à 6 chiffres').fill('');
    await page.getByLabel('Code à 6 chiffres').focus();
    await page.keyboard.type(totp(secret));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Vos codes de secours' }).waitFor();
    const codes = await page.locator('ul.codes code').allTextContents();
    assert.equal(codes.length, 10);
    assert.deepEqual(await axeViolations(page), [], 'recovery codes page');
    await page.getByRole('link', { name: /continuer/ }).click();
    await page.getByRole('heading', { name: 'Accueil' }).waitFor();

    // « Mon compte »: second factor on, 10 codes left; accessible.
    await page.goto('/compte');
    await page.getByText('Codes de secours restants').waitFor();
    assert.match(await page.locator('main').textContent(), /restants : 10/);
    assert.deepEqual(await axeViolations(page), [], 'account page');

    // Log out, log in again: the second-factor page, then a fresh code (the next time step,
    // since the enrolment used this one).
    await page.getByRole('button', { name: 'Se déconnecter', exact: true }).click();
    await passwordStep(page);
    assert.equal(new URL(page.url()).pathname, '/connexion/second-facteur');
    assert.deepEqual(await axeViolations(page), [], 'second-factor page');
    await page.getByLabel('Code').focus();
    await page.keyboard.type(totp(secret, Date.now() + 30_000));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Accueil' }).waitFor();
    assert.deepEqual(cspErrors, [], 'no CSP violation');
  } finally {
    await context.close();
  }
});
