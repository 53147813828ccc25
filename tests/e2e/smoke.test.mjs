// Vigie in a real browser: login, list, search, dossier, scope, roles, logout, accessibility.
// One demo server (60 dossiers, its own temporary directory) and one headless Chromium for the
// whole file; each test has its own browser context (own cookies). Run: node --test tests/e2e/
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, newPage, login, listRows, axeViolations, PASSWORD } from './vigie.mjs';

const T = { timeout: 30_000 };
let server;
let browser;

before(async () => {
  server = await startServer({ dossiers: 60 });
  browser = await launchBrowser();
});

after(async () => {
  // Both always run, even if the other fails.
  await Promise.allSettled([browser?.close(), server?.stop()]);
});

/** Runs fn with a fresh page; the context is closed whatever happens. */
async function withPage(fn) {
  const { context, page } = await newPage(browser, server.url);
  try {
    return await fn(page);
  } finally {
    await context.close();
  }
}

/** "30/10/2026 05:18" -> sortable "2026-10-30 05:18". */
function sortableDate(s) {
  const m = /^(\d{2})\/(\d{2})\/(\d{4})(?: (\d{2}:\d{2}))?/.exec(s);
  assert.ok(m, `unexpected date format: ${s}`);
  return `${m[3]}-${m[2]}-${m[1]} ${m[4] ?? ''}`;
}

async function allRows(page) {
  const rows = await listRows(page);
  const next = page.getByRole('link', { name: 'Page suivante' });
  if ((await next.count()) > 0) {
    await next.click();
    await page.waitForLoadState();
    rows.push(...(await allRows(page)));
  }
  return rows;
}

test('login page in French, demo banner, wrong password, keyboard-only login, paginated list', T, async () => {
  await withPage(async (page) => {
    const resp = await page.goto('/connexion');
    assert.equal(resp.status(), 200);
    assert.equal(await page.locator('html').getAttribute('lang'), 'fr');
    await assert.doesNotReject(page.getByText('Données fictives', { exact: true }).waitFor());
    assert.equal(await page.locator('h1').textContent(), 'Connexion');

    // Wrong password: the same page again with the error, announced (role=alert).
    await page.getByLabel('Identifiant').fill('agent');
    await page.getByLabel('Mot de passe').fill('pas le bon mot de passe');
    await page.getByRole('button', { name: 'Se connecter' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.equal((await alert.textContent()).trim(), 'Identifiant ou mot de passe incorrect.');
    assert.equal(new URL(page.url()).pathname, '/connexion');

    // Keyboard only, from a fresh load: autofocus puts the caret in "Identifiant".
    await page.goto('/connexion');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'login');
    await page.keyboard.type('agent');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'password');
    await page.keyboard.type(PASSWORD);
    // The home page first (échéances, links), then the list.
    await Promise.all([page.waitForURL((u) => u.pathname === '/'), page.keyboard.press('Enter')]);
    assert.equal(new URL(page.url()).pathname, '/');
    await page.goto('/dossiers');

    const first = await listRows(page);
    assert.equal(first.length, 50);
    assert.equal(await page.locator('table.list tbody tr').count(), 50);
    const dates = first.map((r) => sortableDate(r.received));
    assert.deepEqual(dates, [...dates].sort().reverse(), 'newest first');

    const next = page.getByRole('link', { name: 'Page suivante' });
    assert.equal(await next.count(), 1);
    await Promise.all([page.waitForURL((u) => u.search.includes('apres=')), next.click()]);
    const second = await listRows(page);
    assert.equal(second.length, 10, '60 dossiers: 50 + 10');
    const seen = new Set(first.map((r) => r.href));
    for (const r of second) assert.ok(!seen.has(r.href), `${r.number} on both pages`);
    assert.ok(sortableDate(second[0].received) <= dates.at(-1), 'page 2 is older than page 1');
    assert.equal(await page.getByRole('link', { name: 'Page suivante' }).count(), 0, 'last page');
  });
});

test('search by surname is sent by POST and finds the dossier', T, async () => {
  await withPage(async (page) => {
    await login(page, 'agent');
    await page.goto('/dossiers');
    const [row] = await listRows(page);
    // "Mohamed BARON, Arthur BARON": the surname is the upper-case part of the first child.
    const surname = row.children
      .split(',')[0]
      .split(/\s+/)
      .filter((w) => w.length > 1 && w === w.toLocaleUpperCase('fr') && /\p{L}/u.test(w))
      .join(' ');
    assert.ok(surname, `no surname in "${row.children}"`);

    await page.getByLabel(/^Rechercher/).click();
    await page.keyboard.type(surname);
    const [request] = await Promise.all([
      page.waitForRequest((r) => r.isNavigationRequest() && r.url().includes('/recherche')),
      page.keyboard.press('Enter'),
    ]);
    await page.waitForLoadState();
    assert.equal(request.method(), 'POST');
    const lower = surname.toLowerCase();
    assert.ok(!decodeURIComponent(page.url()).toLowerCase().includes(lower), `name in URL ${page.url()}`);
    assert.ok(!decodeURIComponent(request.url()).toLowerCase().includes(lower));

    const caption = await page.locator('table.list caption').textContent();
    assert.match(caption, /^Résultats de la recherche : \d+ dossiers?(, page \d+ sur \d+)?$/);
    const found = await listRows(page);
    assert.ok(found.length >= 1);
    assert.ok(found.some((r) => r.href === row.href), `${row.number} not in the results`);
    assert.equal(await page.getByLabel(/^Rechercher/).inputValue(), surname);
    // Each row says why it was found, in words, under its own column header.
    const headers = (await page.locator('table.list thead th').allTextContents()).map((t) => t.trim());
    const col = headers.indexOf('Trouvé par');
    assert.ok(col > 0, headers.join(' | '));
    const reason = await page.locator('table.list tbody tr').filter({ has: page.locator(`a[href="${row.href}"]`) }).locator('td').nth(col).textContent();
    assert.match(reason.trim(), /^(parent \()?même orthographe\)?$/);
    assert.deepEqual(await axeViolations(page), [], 'the results page is axe clean');
  });
});

test('a dossier page shows its sections', T, async () => {
  await withPage(async (page) => {
    await login(page, 'agent');
    await page.goto('/dossiers');
    const [row] = await listRows(page);
    await Promise.all([page.waitForURL(`**${row.href}`), page.getByRole('link', { name: row.number, exact: true }).click()]);
    assert.equal(await page.locator('h1').textContent(), `Dossier ${row.number}`);
    const h2 = (await page.locator('main h2').allTextContents()).map((t) => t.trim());
    const expected = ['En-tête', 'Enfants concernés', 'Exposé de la situation', "Traitement de l'information", 'Suites'];
    assert.equal(h2.length, expected.length, h2.join(' | '));
    expected.forEach((e, i) => assert.ok(h2[i].startsWith(e), `section ${i + 1}: "${h2[i]}", expected "${e}"`));
    for (const name of expected) {
      assert.equal(await page.getByRole('region', { name: new RegExp(`^${name}`) }).count(), 1, `region ${name}`);
    }
    // Every child in the list appears in the dossier.
    const firstChild = row.children.split(',')[0].trim();
    assert.ok((await page.locator('article.child h3').allTextContents()).some((t) => t.includes(firstChild)));
  });
});

test('evaluateur: only its scope; a dossier outside it answers 404', T, async () => {
  const agentRows = await withPage(async (page) => {
    await login(page, 'agent');
    await page.goto('/dossiers');
    return allRows(page);
  });
  await withPage(async (page) => {
    await login(page, 'evaluateur');
    assert.equal(new URL(page.url()).pathname, '/');
    await page.goto('/dossiers');
    const mine = await allRows(page);
    assert.ok(mine.length > 0, 'the demo evaluateur sees some dossiers');
    assert.ok(mine.length < agentRows.length, `evaluateur sees ${mine.length} of ${agentRows.length}`);
    const all = new Set(agentRows.map((r) => r.href));
    for (const r of mine) assert.ok(all.has(r.href), `${r.number} unknown to agent`);

    // One in scope opens; one outside answers the 404 page, as if it did not exist.
    const inScope = await page.goto(mine[0].href);
    assert.equal(inScope.status(), 200);
    assert.equal(await page.locator('h1').textContent(), `Dossier ${mine[0].number}`);

    const visible = new Set(mine.map((r) => r.href));
    const outside = agentRows.find((r) => !visible.has(r.href));
    assert.ok(outside, 'a dossier outside the evaluateur scope');
    const resp = await page.goto(outside.href);
    assert.equal(resp.status(), 404);
    assert.equal(await page.locator('h1').textContent(), 'Page introuvable');
    assert.ok(!(await page.content()).includes(outside.number), 'nothing of the dossier leaks');

    // An id that does not exist at all looks the same.
    const none = await page.goto('/dossiers/999999');
    assert.equal(none.status(), 404);
    assert.equal(await page.locator('h1').textContent(), 'Page introuvable');
  });
});

test('admin: the dossier list is refused (403)', T, async () => {
  await withPage(async (page) => {
    await login(page, 'admin');
    assert.equal(new URL(page.url()).pathname, '/', 'admin lands on the home page');
    assert.equal(await page.getByRole('link', { name: 'Dossiers' }).count(), 0, 'no link to the dossiers');
    const resp = await page.goto('/dossiers');
    assert.equal(resp.status(), 403);
    assert.equal(await page.locator('h1').textContent(), 'Accès refusé');
  });
});

test('accessibility (axe, WCAG 2.1 A/AA): no violations', T, async () => {
  const report = [];
  const check = async (page, label) => {
    for (const v of await axeViolations(page)) report.push(`[${label}] ${v}`);
  };
  await withPage(async (page) => {
    await page.goto('/connexion');
    await check(page, 'connexion');
    await page.getByLabel('Identifiant').fill('agent');
    await page.getByLabel('Mot de passe').fill('faux');
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.getByRole('alert').waitFor();
    await check(page, 'connexion (erreur)');

    await login(page, 'agent');
    await page.goto('/dossiers');
    await check(page, 'liste');
    const [row] = await listRows(page);
    await page.getByLabel(/^Rechercher/).fill(row.number);
    await Promise.all([page.waitForURL('**/recherche'), page.getByRole('button', { name: 'Rechercher' }).click()]);
    await check(page, 'recherche');
    await page.goto(row.href);
    await check(page, 'dossier');
    const resp = await page.goto('/pas-de-page-ici');
    assert.equal(resp.status(), 404);
    await check(page, '404');
  });
  await withPage(async (page) => {
    await login(page, 'admin');
    await check(page, 'accueil (admin)');
    await page.goto('/dossiers');
    await check(page, '403');
  });
  assert.deepEqual(report, [], `axe violations:\n${report.join('\n')}`);
});

test('logout ends the session', T, async () => {
  await withPage(async (page) => {
    await login(page, 'agent');
    assert.equal(new URL(page.url()).pathname, '/');
    const cookies = await page.context().cookies();
    assert.ok(cookies.length > 0, 'a session cookie');
    await Promise.all([
      page.waitForURL((u) => u.pathname === '/connexion'),
      page.getByRole('button', { name: 'Se déconnecter' }).click(),
    ]);
    assert.equal(new URL(page.url()).pathname, '/connexion');
    const resp = await page.goto('/dossiers');
    assert.equal(new URL(page.url()).pathname, '/connexion', 'redirected to the login page');
    assert.equal(resp.status(), 200);
    assert.equal(await page.locator('h1').textContent(), 'Connexion');
    // The old session cookie, replayed, is dead server-side too.
    const ctx = await browser.newContext({ baseURL: server.url });
    try {
      await ctx.addCookies(cookies);
      const p2 = await ctx.newPage();
      await p2.goto('/dossiers');
      assert.equal(new URL(p2.url()).pathname, '/connexion');
    } finally {
      await ctx.close();
    }
  });
});
