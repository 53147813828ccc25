// « Relancer les services » in a real browser, from the Échéances page: an agent reads how many
// overdue evaluations are left to remind, chooses ODT and sends the batch with the keyboard,
// lands on the batch's page (one letter per service, its dossiers, its downloads, every letter in
// one PDF when LibreOffice is installed), finds each evaluation noted « Relancé le … par … » back
// on the Échéances page, and a second submission the same day (a stale tab) sends nothing (422,
// « Relance non envoyée »); without JavaScript, a batch filtered on one service reminds that
// service only; the évaluateur territorial has neither the section nor the routes (403).
// Everything the tests expect is read from the pages (the demo base is generated on today's
// date), never from a date written here. axe on each page; screenshots in target/e2e-artifacts.
// Run: cd tests/e2e && node --test reminders.test.mjs
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, mkdir } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { startServer, launchBrowser, newPage, login, axeViolations, ARTIFACTS } from './vigie.mjs';

const T = { timeout: 180_000 };
/** 600 dossiers over ten years: a handful of overdue evaluations (their number depends on the day), in several services. */
const DOSSIERS = 600;
const EVALUATION = "Retour d'évaluation";
const NOTHING_LEFT = "Aucune évaluation en retard à relancer aujourd'hui avec ces filtres.";
/** LibreOffice (the letters' PDFs) is installed here and in CI (scripts/test.sh). */
const HAS_SOFFICE = (() => {
  try {
    execFileSync('sh', ['-c', 'command -v soffice'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

let browser;
/** Servers started by the tests (each batch reminds its filter for the day: one server per test). */
const servers = [];

after(async () => {
  await Promise.allSettled([browser?.close(), ...servers.map((s) => s.stop())]);
});

async function server() {
  browser ??= await launchBrowser();
  await mkdir(ARTIFACTS, { recursive: true });
  const s = await startServer({ dossiers: DOSSIERS });
  servers.push(s);
  return s;
}

/** A fresh context and page, closed whatever happens; no JavaScript error on the page. */
async function withPage(srv, options, fn) {
  const { context, page } = await newPage(browser, srv.url, { timeout: 60_000, ...options });
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

/** What has the focus: tag, text (sr-only text included), type, id. */
function focused(page) {
  return page.evaluate(() => {
    const a = document.activeElement;
    return { tag: a?.tagName, text: a?.textContent?.trim() ?? '', type: a?.getAttribute('type') ?? '', id: a?.id ?? '' };
  });
}

/** Tabs (or `key`, e.g. Shift+Tab) until the focused element matches `predicate` (at most `max` times). */
async function tabTo(page, predicate, max = 80, key = 'Tab') {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(key);
    const el = await focused(page);
    if (predicate(el)) return el;
  }
  throw new Error('element not reached with Tab');
}

/** The label of the selected option of the focused select. */
function selectedLabel(page) {
  return page.evaluate(() => document.activeElement.selectedOptions[0]?.textContent.trim());
}

async function noAxe(page, what) {
  const v = await axeViolations(page);
  assert.deepEqual(v, [], `${what}: axe violations\n${v.join('\n')}`);
}

const norm = (s) => s.replace(/\s+/g, ' ').trim();
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** The Échéances page as read by a person: today, its rows, the reminder section. */
async function dueView(page) {
  const intro = norm(await page.locator('main p', { hasText: "Retours d'évaluation attendus" }).textContent());
  const today = /\(au (\S+)\)/.exec(intro)?.[1];
  assert.ok(today, `today's date in « ${intro} »`);
  const rows = await page.locator('table.list tbody tr').evaluateAll((trs) =>
    trs
      .filter((tr) => tr.querySelector('a'))
      .map((tr) => {
        const td = [...tr.querySelectorAll('td')].map((c) => c.textContent.replace(/\s+/g, ' ').trim());
        return { due: td[0], state: td[1], kind: td[2], number: td[3], href: tr.querySelector('a').getAttribute('href'), territory: td[4], service: td[5], reminded: td[6] };
      }),
  );
  const section = page.getByRole('region', { name: 'Relancer les services' });
  let count = null;
  let services = null;
  let text = null;
  if (await section.count()) {
    text = norm(await section.locator('p').first().textContent());
    const m = /^(\d+) évaluations? en retard n'(?:a|ont) pas été relancées? aujourd'hui, pour (\d+) services? /.exec(text);
    if (m) [count, services] = [Number(m[1]), Number(m[2])];
    else assert.equal(text, NOTHING_LEFT, 'the section says how many, or that none is left');
  }
  /** Overdue evaluations not reminded today (what the section counts). */
  const remindable = rows.filter((r) => r.kind === EVALUATION && /^En retard/.test(r.state) && !r.reminded.startsWith(`Relancé le ${today}`));
  return { today, rows, remindable, hasSection: (await section.count()) === 1, text, count, services };
}

/** The batch page: heading, status counts, summary, letters (one per table row). */
async function batchView(page) {
  const status = norm(await page.getByRole('status').textContent());
  const m = /^(\d+) courriers? de relance, pour (\d+) évaluations? en retard, /.exec(status);
  assert.ok(m, `status « ${status} »`);
  const summary = Object.fromEntries(
    await page.locator('dl.summary dt').evaluateAll((dts) => dts.map((dt) => [dt.textContent.trim(), dt.nextElementSibling.textContent.replace(/\s+/g, ' ').trim()])),
  );
  const letters = await page.locator('table.list tbody tr').evaluateAll((trs) =>
    trs.map((tr) => {
      const td = tr.querySelectorAll('td');
      return {
        service: td[0].textContent.trim(),
        dossiers: [...td[1].querySelectorAll('a')].map((a) => ({ number: a.textContent.trim(), href: a.getAttribute('href') })),
        links: [...td[2].querySelectorAll('a')].map((a) => ({ text: a.textContent.replace(/\s+/g, ' ').trim(), href: a.getAttribute('href') })),
      };
    }),
  );
  return { h1: norm(await page.locator('h1').textContent()), letters: Number(m[1]), evaluations: Number(m[2]), summary, rows: letters };
}

/** Per service label, the sorted dossier numbers of `rows`. */
function byService(rows) {
  const out = {};
  for (const r of rows) (out[r.service] ??= new Set()).add(r.number);
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, [...v].sort()]));
}

/** Checks the batch page against the Échéances rows it was made from. */
function checkBatch(batch, due, expected, format) {
  assert.equal(batch.h1, `Relance des services du ${due.today}`);
  assert.equal(batch.evaluations, due.count, 'the status counts the evaluations the Échéances page announced');
  assert.equal(batch.letters, due.services, 'one letter per service announced');
  assert.equal(batch.rows.length, due.services, 'one table row per service');
  assert.equal(batch.summary.Format, format);
  const want = byService(expected);
  const got = Object.fromEntries(batch.rows.map((l) => [l.service, l.dossiers.map((d) => d.number).sort()]));
  assert.deepEqual(got, want, 'each service\'s letter lists its overdue dossiers');
  for (const l of batch.rows) {
    for (const d of l.dossiers) assert.match(d.href, /^\/dossiers\/\d+$/);
    const texts = l.links.map((a) => a.text);
    assert.deepEqual(texts, HAS_SOFFICE ? [`${format} — courrier à ${l.service}`, `PDF — courrier à ${l.service}`] : [`${format} — courrier à ${l.service}`]);
    for (const a of l.links) assert.match(a.href, /^\/documents\/\d+$/);
  }
}

/** GET with the page's cookies: status and body. */
async function fetchBytes(page, href) {
  const res = await page.request.get(href);
  return { status: res.status(), type: res.headers()['content-type'], body: await res.body() };
}

/** How many of a dossier's documents are a grouped reminder's letter (ODT/DOCX or PDF). */
async function reminderDocuments(page, dossierHref) {
  const res = await page.request.get(`${dossierHref}/documents`);
  assert.equal(res.status(), 200, `GET ${dossierHref}/documents`);
  return ((await res.text()).match(/Relance groupée des évaluations — /g) ?? []).length;
}

test('an agent reminds every service by keyboard, once a day', T, async (t) => {
  const srv = await server();
  await withPage(srv, { acceptDownloads: true }, async (page, context) => {
    await login(page, 'agent');
    await page.goto('/echeances');
    const before = await dueView(page);
    assert.ok(before.hasSection, 'the agent has « Relancer les services »');
    assert.ok(before.count > 0, `the demo base has overdue evaluations to remind (${before.text})`);
    // The count and the services are those of the table's overdue evaluations.
    assert.equal(before.count, before.remindable.length, 'the section counts the table\'s overdue evaluations');
    assert.equal(before.services, new Set(before.remindable.map((r) => r.service)).size, 'and their services');
    assert.ok(before.remindable.every((r) => r.reminded === ''), 'nothing reminded yet');
    await noAxe(page, 'échéances');
    await page.screenshot({ path: `${ARTIFACTS}/relances-echeances.png`, fullPage: true });

    // A second tab left open on the same page (it will submit again, too late).
    const stale = await context.newPage();
    await stale.goto('/echeances');

    // Keyboard only from here: the format (ODT with the arrow keys), then the button.
    await tabTo(page, (e) => e.tag === 'SELECT' && e.id === 'format');
    assert.equal(await selectedLabel(page), 'DOCX (Word)', 'DOCX by default');
    for (let i = 0; i < 5 && (await selectedLabel(page)) !== 'ODT (LibreOffice)'; i++) await page.keyboard.press('ArrowDown');
    assert.equal(await selectedLabel(page), 'ODT (LibreOffice)');
    await tabTo(page, (e) => e.tag === 'BUTTON' && e.text === 'Relancer les services', 3);
    const t0 = Date.now();
    await enter(page);
    const took = Date.now() - t0;

    assert.match(new URL(page.url()).pathname, /^\/echeances\/relances\/\d+$/);
    const batchPath = new URL(page.url()).pathname;
    const batch = await batchView(page);
    checkBatch(batch, before, before.remindable, 'ODT');
    assert.equal(batch.summary.Filtres, 'tous les territoires et services');
    const by = /^n° \d+, le .+ par (.+)$/.exec(batch.summary.Relance)?.[1];
    assert.ok(by, `the batch says who made it: « ${batch.summary.Relance} »`);
    assert.match(await page.title(), new RegExp(`^Relance des services du ${escape(before.today)}`));
    await noAxe(page, 'relance');
    await page.screenshot({ path: `${ARTIFACTS}/relances-lot.png`, fullPage: true });
    t.diagnostic(`batch of ${batch.letters} letters / ${batch.evaluations} evaluations in ${took} ms`);

    // Each letter downloads: an ODT (a zip whose first entry says so), and its PDF.
    for (const l of batch.rows) {
      const odt = await fetchBytes(page, l.links[0].href);
      assert.equal(odt.status, 200, `GET ${l.links[0].href}`);
      assert.equal(odt.body.subarray(0, 2).toString('latin1'), 'PK', `${l.service}: a zip`);
      assert.ok(odt.body.subarray(0, 100).toString('latin1').includes('application/vnd.oasis.opendocument.text'), `${l.service}: an ODT`);
      if (HAS_SOFFICE) {
        const pdf = await fetchBytes(page, l.links[1].href);
        assert.equal(pdf.status, 200, `GET ${l.links[1].href}`);
        assert.equal(pdf.body.subarray(0, 4).toString('latin1'), '%PDF', `${l.service}: its PDF`);
      }
    }

    // Every letter in one PDF, by keyboard.
    const all = page.getByRole('link', { name: 'Télécharger tous les courriers en un PDF à imprimer' });
    if (HAS_SOFFICE) {
      assert.equal(await all.count(), 1, 'the PDF of all the letters (LibreOffice is installed)');
      await tabTo(page, (e) => e.tag === 'A' && e.text === 'Télécharger tous les courriers en un PDF à imprimer');
      const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
      assert.match(download.suggestedFilename(), /\.pdf$/);
      const bytes = await readFile(await download.path());
      assert.equal(bytes.subarray(0, 4).toString('latin1'), '%PDF', 'the merged PDF');
      // One page per letter at least.
      const pages = (bytes.toString('latin1').match(/\/Type\s*\/Page\b/g) ?? []).length;
      assert.ok(pages >= batch.letters, `${pages} pages for ${batch.letters} letters`);
    } else {
      assert.equal(await all.count(), 0, 'no PDF without LibreOffice');
      assert.match(norm(await page.locator('main').textContent()), /Pas de PDF : LibreOffice n'est pas installé/);
    }

    // Back to the Échéances page (the batch page's « ← Échéances », before the PDF's link).
    await tabTo(page, (e) => e.tag === 'A' && e.text === '← Échéances', 80, HAS_SOFFICE ? 'Shift+Tab' : 'Tab');
    await enter(page);
    assert.equal(new URL(page.url()).pathname, '/echeances');
    const afterBatch = await dueView(page);
    assert.equal(afterBatch.text, NOTHING_LEFT);
    assert.equal(afterBatch.count, null);
    assert.equal(await page.getByRole('button', { name: 'Relancer les services' }).count(), 0, 'no button left');
    const reminded = afterBatch.rows.filter((r) => r.kind === EVALUATION && /^En retard/.test(r.state));
    assert.equal(reminded.length, before.count);
    for (const r of reminded) assert.equal(r.reminded, `Relancé le ${afterBatch.today} par ${by}`, `row ${r.number} (${r.service})`);
    for (const r of afterBatch.rows.filter((r) => !reminded.includes(r))) assert.equal(r.reminded, '', `row ${r.number} (${r.state}) not reminded`);
    await noAxe(page, 'échéances après la relance');
    await page.screenshot({ path: `${ARTIFACTS}/relances-echeances-apres.png`, fullPage: true });

    // The letter is in each dossier reminded (confidential documents, seen by the agent).
    const dossier = reminded[0].href;
    const letters = await reminderDocuments(page, dossier);
    assert.ok(letters >= 1, `the letter is in ${dossier}'s documents`);

    // The stale tab submits the same batch again: refused, nothing sent.
    await stale.bringToFront();
    const [response] = await Promise.all([
      stale.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/echeances/relances'),
      stale.getByRole('button', { name: 'Relancer les services' }).click(),
    ]);
    await stale.waitForLoadState('load');
    assert.equal(response.status(), 422, 'the second submission is refused');
    assert.equal(new URL(stale.url()).pathname, '/echeances/relances', 'no redirection to a batch');
    const alert = norm(await stale.getByRole('alert').innerText());
    assert.match(alert, /^Relance non envoyée : /);
    assert.match(alert, /rien n'a été envoyé/);
    assert.equal(await stale.evaluate(() => document.activeElement.id), 'erreurs', 'the refusal has the focus');
    assert.equal((await dueView(stale)).text, NOTHING_LEFT);
    await noAxe(stale, 'relance refusée');
    await stale.screenshot({ path: `${ARTIFACTS}/relances-refus.png`, fullPage: true });

    // The same POST without a browser form (the button is gone): refused as well.
    const again = await page.request.post('/echeances/relances', { maxRedirects: 0, form: { territoire: '', service: '', format: 'odt' } });
    assert.equal(again.status(), 422);
    const refusal = /<div class="alert[^"]*" role="alert"[^>]*>(.*?)<\/div>/s.exec(await again.text())?.[1] ?? '';
    assert.match(norm(refusal.replace(/<[^>]+>/g, ' ').replaceAll('&#39;', "'")), /^Relance non envoyée : .*rien n'a été envoyé/);
    // Nothing was sent: no new letter in the dossier, the rows unchanged, the batch unchanged.
    assert.equal(await reminderDocuments(page, dossier), letters, 'no second letter');
    await page.reload();
    assert.deepEqual((await dueView(page)).rows, afterBatch.rows);
    await page.goto(batchPath);
    assert.deepEqual(await batchView(page), batch);
  });
});

test('without JavaScript, a batch filtered on one service', T, async () => {
  const srv = await server();
  await withPage(srv, { javaScriptEnabled: false }, async (page) => {
    await login(page, 'agent');
    await page.goto('/echeances');
    const all = await dueView(page);
    assert.ok(all.count > 0, `the demo base has overdue evaluations to remind (${all.text})`);
    // The service with the most overdue evaluations (read from the table).
    const counts = {};
    for (const r of all.remindable) counts[r.service] = (counts[r.service] ?? 0) + 1;
    const [service] = Object.entries(counts).sort((a, b) => b[1] - a[1])[0];
    const expected = all.remindable.filter((r) => r.service === service);

    await page.getByLabel('Service', { exact: true }).selectOption({ label: service });
    await Promise.all([page.waitForURL((u) => u.searchParams.get('service')), page.getByRole('button', { name: 'Filtrer' }).click()]);
    const filtered = await dueView(page);
    assert.ok(filtered.rows.every((r) => r.service === service), 'only the service\'s evaluations');
    assert.equal(filtered.count, expected.length, 'the section counts the service\'s overdue evaluations');
    assert.equal(filtered.services, 1);
    const serviceId = new URL(page.url()).searchParams.get('service');
    assert.equal(await page.locator('form[action="/echeances/relances"] input[name="service"]').inputValue(), serviceId, 'the form carries the filter');

    // DOCX, the default.
    await Promise.all([page.waitForURL(/\/echeances\/relances\/\d+$/), page.getByRole('button', { name: 'Relancer les services' }).click()]);
    const batch = await batchView(page);
    checkBatch(batch, filtered, expected, 'DOCX');
    assert.deepEqual(batch.rows.map((l) => l.service), [service], 'only that service\'s letter');
    assert.equal(batch.summary.Filtres, service);
    const docx = await fetchBytes(page, batch.rows[0].links[0].href);
    assert.equal(docx.status, 200);
    assert.equal(docx.body.subarray(0, 2).toString('latin1'), 'PK', 'a DOCX (zip)');
    assert.ok(docx.body.includes(Buffer.from('word/document.xml')), 'a Word document');
    const printable = page.getByRole('link', { name: 'Télécharger tous les courriers en un PDF à imprimer' });
    assert.equal(await printable.count(), HAS_SOFFICE ? 1 : 0);
    if (HAS_SOFFICE) {
      const pdf = await fetchBytes(page, await printable.getAttribute('href'));
      assert.equal(pdf.status, 200);
      assert.match(pdf.type, /^application\/pdf/);
      assert.equal(pdf.body.subarray(0, 4).toString('latin1'), '%PDF');
    }
    await page.screenshot({ path: `${ARTIFACTS}/relances-lot-service.png`, fullPage: true });
    // No axe here: it runs in the page, and hangs with JavaScript off.

    // The filtered page has nothing left; without the filter, the other services still wait.
    await page.goto(`/echeances?service=${serviceId}`);
    assert.equal((await dueView(page)).text, NOTHING_LEFT);
    await page.goto('/echeances');
    const rest = await dueView(page);
    assert.equal(rest.count ?? 0, all.count - expected.length, 'the other services\' evaluations are left');
    for (const r of rest.rows.filter((r) => r.kind === EVALUATION && /^En retard/.test(r.state))) {
      if (r.service === service) assert.match(r.reminded, new RegExp(`^Relancé le ${escape(rest.today)} par .+`), `row ${r.number}`);
      else assert.equal(r.reminded, '', `row ${r.number} (${r.service}) not reminded`);
    }
  });
});

test('the évaluateur territorial cannot remind (no section, 403)', T, async () => {
  const srv = await server();
  // The responsable sees the section too (DossierWrite); and makes a batch the évaluateur then
  // tries to open.
  let batchPath = null;
  await withPage(srv, {}, async (page) => {
    await login(page, 'responsable');
    await page.goto('/echeances');
    const due = await dueView(page);
    assert.ok(due.hasSection, 'the responsable has « Relancer les services »');
    if (due.count > 0) {
      const res = await page.request.post('/echeances/relances', { maxRedirects: 0, form: { territoire: '', service: '', format: 'docx' } });
      assert.equal(res.status(), 303, 'the batch redirects to its page');
      batchPath = new URL(res.headers().location, srv.url).pathname;
      assert.match(batchPath, /^\/echeances\/relances\/\d+$/);
    }
  });
  await withPage(srv, {}, async (page) => {
    await login(page, 'evaluateur');
    const res = await page.goto('/echeances');
    assert.equal(res.status(), 200, 'the évaluateur sees the échéances');
    assert.equal(await page.locator('h1').textContent(), 'Échéances');
    const due = await dueView(page);
    assert.equal(due.hasSection, false, 'no « Relancer les services »');
    assert.equal(await page.getByRole('button', { name: 'Relancer les services' }).count(), 0);
    assert.equal(await page.locator('form[action="/echeances/relances"]').count(), 0);
    await noAxe(page, 'échéances (évaluateur)');
    const post = await page.request.post('/echeances/relances', { maxRedirects: 0, form: { territoire: '', service: '', format: 'docx' } });
    assert.equal(post.status(), 403, 'POST /echeances/relances');
    for (const path of [batchPath ?? '/echeances/relances/1', `${batchPath ?? '/echeances/relances/1'}/pdf`]) {
      const get = await page.request.get(path, { maxRedirects: 0 });
      assert.equal(get.status(), 403, `GET ${path}`);
    }
  });
});
