// Letters in a real browser: from a dossier, an agent opens « Courriers » with the keyboard,
// chooses the signalement to the procureur, previews it, generates it, finds it in the dossier's
// documents and downloads it — keyboard only once logged in; axe on each page; the downloaded
// file is the filled letter (an ODT: a zip whose content names the dossier).
// Run: cd tests/e2e && node --test letters.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { mkdir } from 'node:fs/promises';
import { startServer, launchBrowser, newPage, login, listRows, axeViolations, ARTIFACTS } from './vigie.mjs';

const T = { timeout: 120_000 };
let server;
let browser;

before(async () => {
  server = await startServer({ dossiers: 10 });
  browser = await launchBrowser();
  await mkdir(ARTIFACTS, { recursive: true });
});

after(async () => {
  await Promise.allSettled([browser?.close(), server?.stop()]);
});

/** Presses Enter on the focused element and waits for the page it loads. */
async function enter(page) {
  await Promise.all([page.waitForEvent('load'), page.keyboard.press('Enter')]);
}

/** Tabs until the focused element matches `predicate` (at most `max` times). */
async function tabTo(page, predicate, max = 80) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const el = await page.evaluate(() => {
      const a = document.activeElement;
      return { tag: a?.tagName, text: a?.textContent?.trim() ?? '', type: a?.getAttribute('type') ?? '' };
    });
    if (predicate(el)) return el;
  }
  throw new Error('element not reached with Tab');
}

async function noAxe(page, what) {
  const v = await axeViolations(page);
  assert.deepEqual(v, [], `${what}: axe violations\n${v.join('\n')}`);
}

test('an agent generates a letter from a dossier by keyboard and downloads it', T, async () => {
  const { context, page } = await newPage(browser, server.url, { timeout: 30_000, acceptDownloads: true });
  try {
    await login(page, 'agent');
    await page.goto('/dossiers');
    const [first] = await listRows(page);
    await page.goto(first.href);
    await tabTo(page, (e) => e.tag === 'A' && e.text === 'Courriers');
    await enter(page);
    assert.match(await page.locator('h1').textContent(), /^Courriers — dossier /);
    await noAxe(page, 'courriers');
    await tabTo(page, (e) => e.tag === 'A' && e.text === 'Signalement au procureur de la République');
    await enter(page);
    assert.equal(await page.locator('input[name="destinataire"]:checked').count(), 1, 'the procureur of the directory');
    await noAxe(page, 'courrier choisi');
    await tabTo(page, (e) => e.tag === 'BUTTON' && e.text === 'Aperçu');
    await enter(page);
    const preview = await page.locator('.letter-preview pre').first().textContent();
    assert.match(preview, new RegExp(`dossier n° ${first.number}`));
    assert.doesNotMatch(preview, /\{\{|\{%/);
    await noAxe(page, 'aperçu');
    await tabTo(page, (e) => e.tag === 'BUTTON' && e.text.startsWith('Générer'));
    await enter(page);
    assert.match(new URL(page.url()).pathname, /^\/dossiers\/\d+\/documents$/);
    assert.match(await page.getByRole('status').textContent(), /1 document enregistré/);
    await noAxe(page, 'documents');
    await page.screenshot({ path: `${ARTIFACTS}/courriers-documents.png`, fullPage: true });
    await tabTo(page, (e) => e.tag === 'A' && e.text === 'Signalement au procureur de la République');
    const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
    assert.match(download.suggestedFilename(), new RegExp(`^${first.number}-08-signalement-parquet-1\\.odt$`));
    const bytes = await readFile(await download.path());
    assert.equal(bytes.subarray(0, 2).toString(), 'PK', 'an ODT is a zip');
  } finally {
    await context.close();
  }
});
