// Dashboards in a real browser: the responsable reaches the dashboard and builds a cross-tab by
// keyboard (axe clean, every chart an image with its title and description, followed by the
// table of its values); the lecteur statistiques, without JavaScript, sees aggregates only (no
// link to a dossier list) and downloads the CSV export, which opens in French spreadsheets.
// Run: cd tests/e2e && node --test dashboard.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { startServer, launchBrowser, newPage, login, axeViolations } from './vigie.mjs';

const T = { timeout: 180_000 };
let server;
let browser;

before(async () => {
  server = await startServer({ dossiers: 300 });
  browser = await launchBrowser();
});

after(async () => {
  await Promise.allSettled([browser?.close(), server?.stop()]);
});

async function enter(page) {
  await Promise.all([page.waitForEvent('load'), page.keyboard.press('Enter')]);
}

async function tabTo(page, predicate, max = 120) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const el = await page.evaluate(() => {
      const a = document.activeElement;
      return { tag: a?.tagName, text: a?.textContent?.trim() ?? '', id: a?.id ?? '' };
    });
    if (predicate(el)) return el;
  }
  throw new Error('element not reached with Tab');
}

async function noAxe(page, what) {
  const v = await axeViolations(page);
  assert.deepEqual(v, [], `${what}: axe violations\n${v.join('\n')}`);
}

/** Every chart is an image named by its title and description, followed by its table. */
async function chartsAreAccessible(page) {
  const charts = await page.locator('figure svg').evaluateAll((svgs) =>
    svgs.map((s) => ({
      role: s.getAttribute('role'),
      named: (s.getAttribute('aria-labelledby') || '').split(' ').every((id) => id && document.getElementById(id)),
      title: s.querySelector('title')?.textContent ?? '',
      tableAfter: !!s.closest('section')?.querySelector('table caption'),
    })),
  );
  assert.ok(charts.length > 0, 'at least one chart');
  for (const c of charts) {
    assert.equal(c.role, 'img');
    assert.ok(c.named, 'aria-labelledby points at existing elements');
    assert.ok(c.title.length > 0);
    assert.ok(c.tableAfter, 'the chart is followed by its table');
  }
}

test('the responsable reaches the dashboard and builds a cross-tab by keyboard', T, async () => {
  const { context, page } = await newPage(browser, server.url, { timeout: 60_000 });
  try {
    await login(page, 'responsable');
    await tabTo(page, (e) => e.tag === 'A' && e.text === 'Tableaux de bord');
    await enter(page);
    assert.match(await page.locator('h1').textContent(), /^Tableau de bord : \d{4}$/);
    // The previous year is full of demo data whatever today's date (the demo ends today).
    const year = new Date().getFullYear() - 1;
    await page.goto(`/tableaux-de-bord?annee=${year}`);
    await noAxe(page, 'tableau de bord');
    await chartsAreAccessible(page);
    const key = page.locator('#chiffres_cles table');
    assert.match(await key.locator('caption').textContent(), /Chiffres clés/);
    // A figure of a detailed viewer links to the dossiers it counts.
    assert.ok((await page.locator('#ip_par_mois a[href^="/dossiers?"]').count()) > 0);

    await tabTo(page, (e) => e.tag === 'A' && e.text === 'Construire un tableau croisé');
    await enter(page);
    assert.match(await page.locator('h1').textContent(), /^Tableau croisé/);
    await tabTo(page, (e) => e.id === 'mesure');
    await page.keyboard.type('Enfants');
    await tabTo(page, (e) => e.id === 'lignes');
    await page.keyboard.type('Territoire');
    await tabTo(page, (e) => e.id === 'colonnes');
    await page.keyboard.type('Sexe');
    await tabTo(page, (e) => e.tag === 'BUTTON' && e.text === 'Afficher');
    await enter(page);
    assert.match(await page.locator('#tableau_croise h2').textContent(), /^Enfants par territoire et sexe$/);
    const head = await page.locator('#tableau_croise thead th').allTextContents();
    assert.deepEqual(head, ['Territoire', 'Féminin', 'Masculin', 'Non renseigné', 'Total']);
    // The totals row adds up what each column counts.
    const foot = await page.locator('#tableau_croise tfoot td').allTextContents();
    const n = (s) => Number(s.replace(/\s/g, ''));
    assert.equal(n(foot[3]), n(foot[0]) + n(foot[1]) + n(foot[2]));
    await noAxe(page, 'tableau croisé');
    await chartsAreAccessible(page);
  } finally {
    await context.close();
  }
});

test('without JavaScript, the lecteur statistiques sees aggregates only and exports the CSV', T, async () => {
  const { context, page } = await newPage(browser, server.url, { timeout: 60_000, javaScriptEnabled: false, acceptDownloads: true });
  try {
    await login(page, 'statistiques');
    const year = new Date().getFullYear() - 1;
    await page.goto(`/tableaux-de-bord/croise?mesure=dossiers&lignes=territoire&colonnes=motif&annee=${year}`);
    assert.match(await page.locator('h1').textContent(), /^Tableau croisé/);
    assert.equal(await page.locator('a[href^="/dossiers"]').count(), 0, 'no link to a dossier list');
    const cells = await page.locator('#tableau_croise tbody td, #tableau_croise tfoot td').allTextContents();
    for (const c of cells) {
      const v = Number(c.replace(/\s/g, ''));
      assert.ok(c.trim().startsWith('< 5') || v === 0 || v >= 5, `no count from 1 to 4 shown: ${c}`);
    }
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Exporter en CSV' }).click(),
    ]);
    const bytes = await readFile(await download.path());
    assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 BOM');
    const text = bytes.toString('utf8');
    assert.match(text, /\r\nTerritoire;/);
    assert.doesNotMatch(text, /;[1-4];|;[1-4]\r\n/, 'no small count in the export');
  } finally {
    await context.close();
  }
});

test('the lecteur statistiques\' dashboard, small counts hidden, is axe clean', T, async () => {
  const { context, page } = await newPage(browser, server.url, { timeout: 60_000 });
  try {
    await login(page, 'statistiques');
    await page.goto(`/tableaux-de-bord?periode=mois&mois=1&annee=${new Date().getFullYear() - 1}`);
    assert.match(await page.locator('[role=status]').first().textContent(), /Agrégats seulement/);
    await noAxe(page, 'tableau de bord, lecteur statistiques');
    await chartsAreAccessible(page);
  } finally {
    await context.close();
  }
});
