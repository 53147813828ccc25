// Uploaded documents in a real browser: an agent opens a dossier's « Documents » with the
// keyboard, follows « Déposer un document », chooses a scanned IP (the file dialog answered by
// Playwright, opened from the keyboard), its category with the arrow keys, sends it with Enter,
// finds it listed as confidential and downloads it back, byte for byte; a refused file (a Windows
// program named .pdf) gives a 422 page saying why and keeping what was typed; the same upload
// without JavaScript; a responsable removes the document with a reason, by keyboard, and its trace
// stays in the list. axe on each page; screenshots in target/e2e-artifacts.
// Run: cd tests/e2e && node --test documents.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, mkdir } from 'node:fs/promises';
import { startServer, launchBrowser, newPage, login, listRows, axeViolations, ARTIFACTS, openFileChooser } from './vigie.mjs';

const T = { timeout: 120_000 };
let server;
let browser;
/** The dossier of the first test's upload (the responsable removes it in the last test). */
let uploaded = null;

/** A small valid PDF, made here. */
const PDF = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n', 'latin1');
/** A Windows program (MZ header) named as a PDF. */
const PROGRAM = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(510)]);
/** A 1×1 PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

before(async () => {
  server = await startServer({ dossiers: 10 });
  browser = await launchBrowser();
  await mkdir(ARTIFACTS, { recursive: true });
});

after(async () => {
  await Promise.allSettled([browser?.close(), server?.stop()]);
});

/** A fresh context and page, closed whatever happens; no JavaScript error on the page. */
async function withPage(options, fn) {
  const { context, page } = await newPage(browser, server.url, { timeout: 30_000, ...options });
  page.on('dialog', (d) => (d.type() === 'beforeunload' ? d.accept() : d.dismiss()));
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    await fn(page, context);
    assert.deepEqual(errors, [], 'no JavaScript error on the page');
  } finally {
    await context.close();
  }
}

/** Presses Enter on the focused element and waits for the page it loads. */
async function enter(page) {
  await Promise.all([page.waitForEvent('load'), page.keyboard.press('Enter')]);
}

/** What has the focus: tag, text, type, id. */
function focused(page) {
  return page.evaluate(() => {
    const a = document.activeElement;
    return { tag: a?.tagName, text: a?.textContent?.trim() ?? '', type: a?.getAttribute('type') ?? '', id: a?.id ?? '' };
  });
}

/** Tabs until the focused element matches `predicate` (at most `max` times). */
async function tabTo(page, predicate, max = 80) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const el = await focused(page);
    if (predicate(el)) return el;
  }
  throw new Error('element not reached with Tab');
}

async function noAxe(page, what) {
  const v = await axeViolations(page);
  assert.deepEqual(v, [], `${what}: axe violations\n${v.join('\n')}`);
}

/** The row of the documents table whose document (link, or struck out once removed) is `title`. */
function row(page, title) {
  const name = page.locator(':scope > td:first-child > :is(a, del)').filter({ hasText: new RegExp(`^${title}$`) });
  return page.locator('table.list tbody tr').filter({ has: name });
}

/** The label of the selected option of the focused select. */
function selectedLabel(page) {
  return page.evaluate(() => document.activeElement.selectedOptions[0]?.textContent.trim());
}

test('an agent uploads a scanned IP by keyboard', T, async () => {
  await withPage({ acceptDownloads: true }, async (page) => {
    await login(page, 'agent');
    await page.goto('/dossiers');
    const [first] = await listRows(page);
    await page.goto(first.href);
    // Keyboard only from here.
    await tabTo(page, (e) => e.tag === 'A' && e.text === 'Documents');
    await enter(page);
    assert.match(new URL(page.url()).pathname, /^\/dossiers\/\d+\/documents$/);
    assert.equal(await page.locator('h1').textContent(), `Documents — dossier ${first.number}`);
    uploaded = { path: new URL(page.url()).pathname, number: first.number };
    await noAxe(page, 'documents');

    // « Déposer un document » (the navigation's link to the form): the heading gets the focus,
    // the next Tab is the file input.
    await tabTo(page, (e) => e.tag === 'A' && e.text === 'Déposer un document');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => location.hash === '#depot');
    assert.equal((await focused(page)).id, 'depot', 'the form\'s heading has the focus');
    await page.keyboard.press('Tab');
    assert.deepEqual(await focused(page), { tag: 'INPUT', text: '', type: 'file', id: 'fichiers' });
    // Space opens the file dialog; Playwright answers it (a browser cannot type a file path).
    const chooser = await openFileChooser(page);
    assert.equal(chooser.isMultiple(), true);
    await chooser.setFiles({ name: 'ip-ecole.pdf', mimeType: 'application/pdf', buffer: PDF });
    assert.equal(await page.locator('#fichiers').evaluate((i) => i.files.length), 1);

    // The category with the arrow keys (a closed select changes its value on ArrowDown).
    await page.keyboard.press('Tab');
    assert.equal((await focused(page)).id, 'categorie');
    for (let i = 0; i < 20 && (await selectedLabel(page)) !== 'IP reçue'; i++) await page.keyboard.press('ArrowDown');
    assert.equal(await selectedLabel(page), 'IP reçue');
    // Title left empty (the file name), confidentiality « Selon la catégorie ».
    await tabTo(page, (e) => e.tag === 'BUTTON' && e.text === 'Déposer', 6);
    await enter(page);

    const url = new URL(page.url());
    assert.equal(url.pathname, uploaded.path);
    assert.equal(url.searchParams.get('deposes'), '1');
    assert.equal((await page.getByRole('status').textContent()).trim(), '1 document déposé dans le dossier.');
    const r = row(page, 'ip-ecole');
    assert.equal(await r.count(), 1, 'one row « ip-ecole »');
    const cells = await r.locator('td').allTextContents();
    assert.match(cells[0], /^ip-ecole confidentiel$/);
    assert.equal(cells[1], 'IP reçue');
    assert.equal(cells[3], 'PDF');
    await noAxe(page, 'documents après dépôt');
    await page.screenshot({ path: `${ARTIFACTS}/documents-depot.png`, fullPage: true });

    // Download it back, by keyboard: the same bytes.
    await tabTo(page, (e) => e.tag === 'A' && e.text === 'ip-ecole');
    const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
    assert.match(download.suggestedFilename(), /\.pdf$/);
    assert.deepEqual(await readFile(await download.path()), PDF);
  });
});

test('a refused file says why and keeps what was typed', T, async () => {
  assert.ok(uploaded, 'needs the first test\'s dossier');
  await withPage({}, async (page) => {
    await login(page, 'agent');
    await page.goto(uploaded.path);
    const before = await page.locator('table.list tbody tr').count();
    await page.locator('#fichiers').setInputFiles({ name: 'rapport.pdf', mimeType: 'application/pdf', buffer: PROGRAM });
    await page.getByLabel('Catégorie').selectOption({ label: "Rapport d'évaluation" });
    await page.getByLabel('Titre').fill('Rapport du collège');
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === uploaded.path),
      page.getByRole('button', { name: 'Déposer', exact: true }).click(),
    ]);
    await page.waitForLoadState('load');
    assert.equal(response.status(), 422);
    const alert = page.getByRole('alert');
    const text = (await alert.textContent()).replace(/\s+/g, ' ');
    assert.match(text, /Rien n'a été déposé/);
    assert.match(text, /Fichier « rapport\.pdf » : Ce fichier est un programme/);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'erreurs', 'the error summary has the focus');
    assert.match(await page.title(), /^Erreur — /);
    assert.equal(await page.locator('#fichiers').getAttribute('aria-invalid'), 'true');
    assert.match(await page.locator('#fichiers').getAttribute('aria-describedby'), /\berreurs\b/);
    assert.equal(await page.getByLabel('Titre').inputValue(), 'Rapport du collège');
    assert.equal(await page.locator('#categorie option:checked').textContent(), "Rapport d'évaluation");
    assert.equal(await page.locator('#fichiers').evaluate((i) => i.files.length), 0, 'a file is never kept');
    assert.equal(await page.locator('table.list tbody tr').count(), before, 'nothing stored');
    assert.equal(await row(page, 'Rapport du collège').count(), 0);
    await noAxe(page, 'dépôt refusé');
    await page.screenshot({ path: `${ARTIFACTS}/documents-refus.png`, fullPage: true });
  });
});

test('without JavaScript', T, async () => {
  assert.ok(uploaded, 'needs the first test\'s dossier');
  await withPage({ javaScriptEnabled: false }, async (page) => {
    await login(page, 'agent');
    await page.goto(uploaded.path);
    await page.locator('#fichiers').setInputFiles({ name: 'courrier-mairie.png', mimeType: 'image/png', buffer: PNG });
    await page.getByLabel('Catégorie').selectOption({ label: 'Courrier reçu' });
    await Promise.all([
      page.waitForURL((u) => u.searchParams.get('deposes') === '1'),
      page.getByRole('button', { name: 'Déposer', exact: true }).click(),
    ]);
    assert.equal((await page.getByRole('status').textContent()).trim(), '1 document déposé dans le dossier.');
    const cells = await row(page, 'courrier-mairie').locator('td').allTextContents();
    assert.equal(cells[0], 'courrier-mairie', 'not confidential');
    assert.equal(cells[1], 'Courrier reçu');
    assert.equal(cells[3], 'Image PNG');
    // No axe here: it runs in the page, and hangs with JavaScript off (the page is test 1's).
  });
});

test('a responsable removes a document with a reason', T, async () => {
  assert.ok(uploaded, 'needs the first test\'s dossier');
  await withPage({}, async (page) => {
    await login(page, 'responsable');
    await page.goto(uploaded.path);
    const href = await row(page, 'ip-ecole').locator('td:first-child a').getAttribute('href');
    // Keyboard only from here: the row's « Supprimer » (named after the document for screen readers).
    await tabTo(page, (e) => e.tag === 'A' && e.text === 'Supprimer « ip-ecole »');
    await enter(page);
    assert.match(new URL(page.url()).pathname, /^\/documents\/\d+\/suppression$/);
    assert.equal(await page.locator('h1').textContent(), 'Supprimer un document');
    assert.match(await page.locator('dl.summary').textContent(), /ip-ecole/);
    await noAxe(page, 'suppression');
    await page.screenshot({ path: `${ARTIFACTS}/documents-suppression.png`, fullPage: true });
    await tabTo(page, (e) => e.tag === 'TEXTAREA' && e.id === 'motif');
    const reason = 'Déposé dans le mauvais dossier';
    await page.keyboard.type(reason);
    // Enter in a textarea is a new line: Tab to the button, then Enter.
    await tabTo(page, (e) => e.tag === 'BUTTON' && e.text === 'Supprimer le document', 3);
    await enter(page);

    assert.equal(new URL(page.url()).pathname, uploaded.path);
    assert.match(await page.getByRole('status').textContent(), /Document supprimé : sa trace reste dans la liste\./);
    const first = row(page, 'ip-ecole').locator('td:first-child');
    assert.equal(await first.locator('a').count(), 0, 'no download link any more');
    assert.equal(await first.locator('del').textContent(), 'ip-ecole');
    assert.match(
      await first.locator('small').first().textContent(),
      new RegExp(`^Supprimé le \\d{2}/\\d{2}/\\d{4}.* par .+ : ${reason}$`),
    );
    assert.equal(await page.getByRole('link', { name: 'Supprimer « ip-ecole »' }).count(), 0);
    await noAxe(page, 'documents après suppression');
    await page.screenshot({ path: `${ARTIFACTS}/documents-supprime.png`, fullPage: true });
    // Its content is gone.
    const gone = await page.request.get(href);
    assert.notEqual(gone.status(), 200, `GET ${href} after removal`);
  });
});
