// The administration of the parameter tables in a real browser: without JavaScript (plain
// forms), with the keyboard only, and axe-core on the index, a table and a refused form.
// Run: node --test tests/e2e/admin_params.test.mjs (after cargo build -p vigie).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, newPage, login, axeViolations } from './vigie.mjs';

const T = { timeout: 60_000 };
let server;
let browser;

before(async () => {
  server = await startServer({ dossiers: 30 });
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

/** The codes of the table's rows, in order. */
function rowCodes(page) {
  return page.locator('table.admin-table tbody tr').evaluateAll((trs) =>
    trs.map((tr) => {
      const cell = tr.querySelectorAll('td')[1];
      const input = cell.querySelector('input:not([type=hidden])');
      return input ? input.value : cell.textContent.trim();
    }),
  );
}

test('without JavaScript: add, rename, move up, deactivate a motif; the new-dossier form follows', T, async () => {
  await withPage({ javaScriptEnabled: false }, async (page) => {
    await login(page, 'admin');
    await page.getByRole('link', { name: 'Paramètres', exact: true }).click();
    assert.equal(await page.locator('h1').textContent(), 'Tables de paramètres');
    await page.getByRole('link', { name: 'Motifs', exact: true }).click();

    // Add.
    const add = page.getByRole('group', { name: 'Ajouter une valeur' });
    await page.locator('#ajout-code').fill('HARCEL');
    await page.locator('#ajout-label').fill('Harcèlement scolaire');
    await add.getByRole('button', { name: 'Ajouter' }).click();
    await page.getByText('Valeur « Harcèlement scolaire » ajoutée.').waitFor();
    assert.equal((await rowCodes(page)).at(-1), 'HARCEL');

    // Rename: the row's fields, the row's « Enregistrer ».
    await page.getByLabel('Libellé de « Harcèlement scolaire »').fill('Harcèlement');
    await page.getByRole('button', { name: 'Enregistrer « Harcèlement scolaire »' }).click();
    await page.getByText('Valeur « Harcèlement » enregistrée.').waitFor();

    // Move up: before « Autre ».
    await page.getByRole('button', { name: 'Monter « Harcèlement »' }).click();
    await page.getByText('Valeur « Harcèlement » déplacée.').waitFor();
    assert.deepEqual((await rowCodes(page)).slice(-2), ['HARCEL', 'AUTRE']);

    // Offered in the new-dossier form, to an agent, at once.
    await withPage({ javaScriptEnabled: false }, async (agent) => {
      await login(agent, 'agent');
      await agent.goto('/dossiers/nouveau');
      await agent.getByRole('checkbox', { name: 'Harcèlement', exact: true }).first().waitFor();

      // Deactivated: gone from the form.
      await page.getByRole('button', { name: 'Désactiver « Harcèlement »' }).click();
      await page.getByText('Valeur « Harcèlement » désactivée').waitFor();
      await agent.goto('/dossiers/nouveau');
      assert.equal(await agent.getByRole('checkbox', { name: 'Harcèlement', exact: true }).count(), 0);
    });

    // A refused label: the summary names the field, the field is marked invalid.
    await page.getByLabel('Libellé de « Harcèlement »').fill('');
    await page.getByRole('button', { name: 'Enregistrer « Harcèlement »' }).click();
    assert.equal(await page.getByRole('alert').locator('a').first().textContent(), 'Libellé de « Harcèlement » : obligatoire.');
    assert.equal(await page.getByLabel('Libellé de « Harcèlement »').getAttribute('aria-invalid'), 'true');
  });
});

test('with the keyboard: the add form (Tab, Enter), a row\'s ↑ (Enter), a refused add; axe on the pages', T, async () => {
  await withPage({}, async (page) => {
    await login(page, 'admin');
    await page.goto('/admin/parametres/csp');
    // The add form by Tab: code, label, national code, meaning, « Ajouter ».
    await page.locator('#ajout-code').focus();
    await page.keyboard.type('RETRPREC');
    await page.keyboard.press('Tab');
    await page.keyboard.type('Retraités précaires');
    await page.keyboard.press('Enter');
    await page.getByText('Valeur « Retraités précaires » ajoutée.').waitFor();
    // The new row's ↑ by keyboard: focus its button, Enter; the row moves up one place.
    const before = await rowCodes(page);
    await page.getByRole('button', { name: 'Monter « Retraités précaires »' }).focus();
    await page.keyboard.press('Enter');
    await page.getByText('Valeur « Retraités précaires » déplacée.').waitFor();
    const after = await rowCodes(page);
    assert.equal(after.indexOf('RETRPREC'), before.indexOf('RETRPREC') - 1);
    assert.deepEqual(await axeViolations(page), []);
    // A refused add (axe needs JavaScript, so here): the error summary takes the focus.
    await page.locator('#ajout-code').fill('AVEC ESPACE');
    await page.locator('#ajout-label').fill('Retraités précaires');
    await page.locator('#ajout-label').press('Enter');
    await page.getByRole('alert').waitFor();
    assert.equal(await page.evaluate(() => document.activeElement.id), 'erreurs');
    assert.match(await page.getByRole('alert').textContent(), /Code \(nouvelle valeur\) : lettres sans accents/);
    assert.match(await page.getByRole('alert').textContent(), /Libellé \(nouvelle valeur\) : une autre valeur de cette table porte déjà ce libellé/);
    assert.equal(await page.locator('#ajout-code').inputValue(), 'AVEC ESPACE');
    assert.deepEqual(await axeViolations(page), []);
    await page.goto('/admin/parametres');
    assert.deepEqual(await axeViolations(page), []);
    await page.goto('/admin/parametres/services');
    assert.deepEqual(await axeViolations(page), []);
  });
});
