// The two-person rule in a real browser: an administrator creates an agent account, which
// cannot log in (« Votre compte attend la confirmation d'un responsable CRIP. ») until the
// responsable CRIP confirms it on « Comptes en attente », by keyboard only; axe-core on the
// page before and after. Run: node --test tests/e2e/admin_pending_accounts.test.mjs
// (after cargo build, or with VIGIE_BIN pointing at the binary).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, newPage, login, axeViolations, PASSWORD } from './vigie.mjs';

const T = { timeout: 90_000 };
const LOGIN = 'c.attente';
const WAITING = "Votre compte attend la confirmation d'un responsable CRIP.";
let server;
let browser;

before(async () => {
  server = await startServer({ dossiers: 20 });
  browser = await launchBrowser();
});

after(async () => {
  await Promise.allSettled([browser?.close(), server?.stop()]);
});

async function withPage(options, fn) {
  const { context, page } = await newPage(browser, server.url, options);
  try {
    return await fn(page);
  } finally {
    await context.close();
  }
}

/** Presses Tab until the focused element's accessible text matches `name` (at most 80 times). */
async function tabTo(page, name) {
  for (let i = 0; i < 80; i += 1) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const e = document.activeElement;
      return e ? (e.getAttribute('aria-label') || e.textContent || '').trim() : '';
    });
    if (focused === name) return;
  }
  throw new Error(`« ${name} » never got the focus`);
}

test('an account created by the administrator waits until a responsable confirms it by keyboard', T, async () => {
  // The administrator creates an agent account (after re-authenticating) and gets its password.
  const password = await withPage({ javaScriptEnabled: false }, async (page) => {
    await login(page, 'admin');
    await page.goto('/admin/utilisateurs/nouveau');
    await page.getByLabel('Mot de passe').fill(PASSWORD);
    await Promise.all([page.waitForURL((u) => u.pathname === '/admin/utilisateurs/nouveau'), page.getByRole('button', { name: 'Confirmer' }).click()]);
    await page.getByLabel('Identifiant').fill(LOGIN);
    await page.getByLabel('Nom affiché').fill('Camille Attente');
    await page.getByLabel('Rôle').selectOption('agent');
    await page.getByRole('button', { name: 'Créer le compte' }).click();
    await page.getByText('en attente de confirmation').first().waitFor();
    const pw = (await page.locator('output.secret code').textContent()).trim();
    await page.goto('/admin/utilisateurs');
    const row = page.locator('tr', { has: page.getByRole('link', { name: LOGIN, exact: true }) });
    assert.match(await row.textContent(), /en attente de confirmation/);
    return pw;
  });

  // The right password: no session, a clear message.
  await withPage({}, async (page) => {
    await page.goto('/connexion');
    await page.getByLabel('Identifiant').fill(LOGIN);
    await page.getByLabel('Mot de passe').fill(password);
    await page.keyboard.press('Enter');
    await page.getByRole('alert').filter({ hasText: WAITING }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/connexion');
    assert.equal((await page.getByRole('alert').textContent()).trim(), WAITING);
    assert.equal((await page.context().cookies()).filter((c) => c.name === 'vigie_session').length, 0);
  });

  // The responsable confirms, keyboard only.
  await withPage({}, async (page) => {
    await page.goto('/connexion');
    await page.locator('#login:focus').waitFor(); // autofocus
    await page.keyboard.type('responsable');
    await page.keyboard.press('Tab');
    await page.keyboard.type(PASSWORD);
    await Promise.all([page.waitForURL((u) => u.pathname === '/'), page.keyboard.press('Enter')]);
    await tabTo(page, 'Comptes en attente');
    await Promise.all([page.waitForURL((u) => u.pathname === '/reauthentification'), page.keyboard.press('Enter')]);
    await page.locator('#password:focus').waitFor(); // autofocus
    await page.keyboard.type(PASSWORD);
    await Promise.all([page.waitForURL((u) => u.pathname === '/comptes-en-attente'), page.keyboard.press('Enter')]);
    assert.equal(await page.locator('h1').textContent(), 'Comptes en attente de confirmation');
    const row = page.locator('tbody tr', { hasText: LOGIN });
    const text = await row.textContent();
    assert.match(text, /Camille Attente/);
    assert.match(text, /Agent CRIP/);
    assert.match(text, /\(admin\)/);
    assert.match(text, /création du compte/);
    assert.deepEqual(await axeViolations(page), [], 'pending accounts page');

    await tabTo(page, `Confirmer le compte ${LOGIN}`);
    await Promise.all([page.waitForURL((u) => u.search.startsWith('?confirme=')), page.keyboard.press('Enter')]);
    await page.getByText(`Compte ${LOGIN} confirmé : il peut désormais se connecter.`).waitFor();
    assert.equal(await page.locator('tbody tr', { hasText: LOGIN }).count(), 0);
    assert.deepEqual(await axeViolations(page), [], 'after the confirmation');
  });

  // Now the same password leads to the second factor.
  await withPage({}, async (page) => {
    await page.goto('/connexion');
    await page.getByLabel('Identifiant').fill(LOGIN);
    await page.getByLabel('Mot de passe').fill(password);
    await Promise.all([page.waitForURL((u) => u.pathname !== '/connexion'), page.keyboard.press('Enter')]);
    assert.match(new URL(page.url()).pathname, /second-facteur/);
  });
});
