// The dossier screen in a real browser: creation with three children (one linked to a known
// person), parents, authors, motifs, conclusions and assignments, read back from the edit page
// and the view; a validation error keeping what was typed; two agents saving the same child
// (conflict) and different children (both saved); the same creation without JavaScript; a
// dossier entered with the keyboard alone (keystrokes counted); axe on every page of the
// screen; screenshots of each tab. One demo server and one Chromium for the whole file; each
// test has its own browser contexts. Run: cd tests/e2e && node --test dossier.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { startServer, launchBrowser, newPage, login, listRows, axeViolations, ARTIFACTS } from './vigie.mjs';

const T = { timeout: 90_000 };
/** Default timeout of every action and navigation (two slow shared cores). */
const STEP = 20_000;
let server;
let browser;

before(async () => {
  server = await startServer({ dossiers: 40 });
  browser = await launchBrowser();
  await mkdir(ARTIFACTS, { recursive: true });
});

after(async () => {
  await Promise.allSettled([browser?.close(), server?.stop()]);
});

/** A fresh context and page (fr-FR, Europe/Paris), closed whatever happens. */
async function withPage(fn, options = {}) {
  const { context, page } = await newPage(browser, server.url, { timeout: STEP, ...options });
  // Leaving a form with unsaved changes asks first (vigie.js): the tests leave on purpose.
  page.on('dialog', (d) => (d.type() === 'beforeunload' ? d.accept() : d.dismiss()));
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    const result = await fn(page, context);
    assert.deepEqual(errors, [], 'no JavaScript error on the page');
    return result;
  } finally {
    await context.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Dates, in the server's and the browser's time zone.

/** The date in Paris `days` from today, as yyyy-mm-dd (what date inputs hold). */
function parisDay(days = 0) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit' }).format(
    new Date(Date.now() + days * 86_400_000),
  );
}

/** yyyy-mm-dd -> dd/mm/yyyy (as the pages show dates). */
const fr = (iso) => iso.split('-').reverse().join('/');

// ---------------------------------------------------------------------------------------------
// Page helpers.

/** id of the focused element (or its tag when it has none). */
const focused = (page) => page.evaluate(() => document.activeElement?.id || document.activeElement?.tagName);

/**
 * Runs `action` (a click, a key) that submits the page and resolves, once the new page is loaded,
 * to the main document's response (after the redirect of a successful save).
 */
async function submit(page, action) {
  const loaded = page.waitForEvent('load');
  const response = page.waitForResponse(
    (r) => r.request().isNavigationRequest() && r.frame() === page.mainFrame() && !(r.status() >= 300 && r.status() < 400),
  );
  try {
    await action();
  } catch (e) {
    loaded.catch(() => {});
    response.catch(() => {});
    throw e;
  }
  const r = await response;
  await loaded;
  return r;
}

/** Clicks « Enregistrer » and waits for the page that answers. */
const save = (page) => submit(page, () => page.locator('button[data-save]').click());

/** Waits until no htmx request, swap or settle is under way (focus and tab are then set). */
async function htmxIdle(page) {
  await page.waitForFunction(() => window.htmx && !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling'));
}

/** An "Ajouter…" button re-rendering the form in place (htmx): click, then wait for `selector`. */
async function inPlace(page, button, selector) {
  await button.click();
  await page.locator(selector).waitFor({ state: 'attached' });
  await htmxIdle(page);
}

/** Selects the n-th tab (1-based) of the dossier form and checks it is shown. */
async function openTab(page, n) {
  const tab = page.getByRole('tab').nth(n - 1);
  await tab.click();
  assert.equal(await tab.getAttribute('aria-selected'), 'true');
}

/** The dossier's id from /dossiers/{id}?enregistre=1#enregistre. */
function savedId(page) {
  const u = new URL(page.url());
  const m = /^\/dossiers\/(\d+)$/.exec(u.pathname);
  assert.ok(m && u.searchParams.get('enregistre') === '1' && u.hash === '#enregistre', `not a saved dossier: ${page.url()}`);
  return m[1];
}

/** Values of form controls by id: text as typed, a select's option label, a checkbox's state. */
function controlValues(page, ids) {
  return page.evaluate(
    (ids) =>
      Object.fromEntries(
        ids.map((id) => {
          const el = document.getElementById(id);
          if (!el) return [id, '(absent)'];
          if (el.type === 'checkbox') return [id, el.checked];
          if (el.tagName === 'SELECT') return [id, el.selectedOptions[0]?.label ?? ''];
          return [id, el.value];
        }),
      ),
    ids,
  );
}

/** What the test typed, by control id, to read back later (after a re-render, a save…). */
class Typed {
  constructor(page) {
    this.page = page;
    this.values = {};
  }
  async fill(id, value) {
    await this.page.locator(`#${id}`).fill(value);
    this.values[id] = value;
  }
  async select(id, label) {
    await this.page.locator(`#${id}`).selectOption({ label });
    this.values[id] = label;
  }
  async check(id) {
    await this.page.locator(`#${id}`).check();
    this.values[id] = true;
  }
  /** Records the current values of controls filled by the application (defaults, a linked person). */
  async keep(...ids) {
    Object.assign(this.values, await controlValues(this.page, ids));
  }
  async expectOn(page, what) {
    const ids = Object.keys(this.values);
    assert.deepEqual(await controlValues(page, ids), this.values, what);
  }
}

/** The read-only view: header lines, flags, and each child's lists, by label. */
function readView(page) {
  return page.evaluate(() => {
    const dl = (el) => {
      const out = {};
      if (!el) return out;
      el.querySelectorAll('dt').forEach((dt) => (out[dt.textContent.trim()] = dt.nextElementSibling?.textContent.trim()));
      return out;
    };
    const section = (id) => document.getElementById(id)?.closest('section');
    const listAfter = (article, title) => {
      const h = [...article.querySelectorAll('h4')].find((x) => x.textContent.trim() === title);
      const next = h?.nextElementSibling;
      return next?.tagName === 'UL' ? [...next.children].map((li) => li.textContent.trim()) : [];
    };
    const dls = (el) => Object.assign({}, ...[...el.querySelectorAll(':scope > dl')].map(dl));
    return {
      title: document.querySelector('h1')?.textContent.trim(),
      flags: [...document.querySelectorAll('ul.flags li')].map((li) => li.textContent.trim()),
      header: dl(section('h-entete')?.querySelector('dl')),
      adults: [...(section('h-enfants')?.querySelectorAll(':scope > ul > li') ?? [])].map((li) => li.textContent.trim()),
      children: [...document.querySelectorAll('article.child')].map((a) => ({
        title: a.querySelector('h3').textContent.trim(),
        lines: dls(a),
        others: listAfter(a, 'Ancien(s) dossier(s)'),
        parents: listAfter(a, 'Parents'),
        authors: listAfter(a, 'Auteur(s) présumé(s)'),
        motifs: listAfter(a, 'Motifs'),
      })),
      expose: [...(section('h-expose')?.querySelectorAll('.text') ?? [])].map((d) => d.textContent),
      assignments: [...(section('h-traitement')?.querySelectorAll('h3') ?? [])].map((h) => ({
        service: h.textContent.trim(),
        lines: dl(h.nextElementSibling),
      })),
    };
  });
}

/** The first demo dossier of the list (first page) whose row matches `pred(row)`. */
async function findDossier(page, pred) {
  await page.goto('/dossiers');
  const rows = await listRows(page);
  const row = rows.find(pred);
  assert.ok(row, 'a demo dossier for this test');
  return row;
}

/**
 * A child of the demo data to type again: names and an exact birth date, under 17 at the
 * reception of a dossier received today. Read from the dossiers' view pages.
 */
async function knownChild(page) {
  await page.goto('/dossiers');
  const rows = await listRows(page);
  const limit = Number(parisDay().slice(0, 4)) - 17;
  for (const row of rows.slice(0, 15)) {
    await page.goto(row.href);
    const view = await readView(page);
    for (const c of view.children) {
      const birth = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(c.lines['Date de naissance'] ?? '');
      if (birth && Number(birth[3]) > limit && c.lines['Nom de naissance'] && c.lines['Prénoms']) {
        return {
          dossier: row.number,
          birthName: c.lines['Nom de naissance'],
          firstNames: c.lines['Prénoms'],
          birthDate: `${birth[3]}-${birth[2]}-${birth[1]}`,
          title: c.title,
        };
      }
    }
  }
  assert.fail('no demo child with an exact birth date under 17');
}

/** Motifs, evaluation results and conclusions of the three children (tests 1 and 4). */
const CHILDREN_DATA = {
  motifs: [
    ['Violences physiques', 'Exposition aux violences conjugales'],
    ['Négligences lourdes (soins, alimentation, hygiène, surveillance)'],
    ['Conflit parental', 'Violences psychologiques'],
  ],
  results: ['Danger', 'Risque de danger', 'Ni danger ni risque de danger'],
  conclusions: ['Mesure administrative (AED, accueil provisoire…)', 'Orientation vers le droit commun', 'Classement sans suite'],
};

/**
 * Each child: both parents (Mère, Père), holders of parental authority; motifs; evaluation
 * result, conclusion, its date and comment. Motif checkboxes are recorded by id.
 */
async function fillChildren(page, f, today) {
  const { motifs, results, conclusions } = CHILDREN_DATA;
  for (let i = 0; i < 3; i++) {
    const child = page.locator(`#enfant-${i + 1}`);
    await f.select(`f-children-${i}-adults-0-link_id`, 'Mère');
    await f.check(`f-children-${i}-adults-0-parental_authority`);
    await f.select(`f-children-${i}-adults-1-link_id`, 'Père');
    await f.check(`f-children-${i}-adults-1-parental_authority`);
    for (const m of motifs[i]) {
      await child.getByRole('group', { name: 'Motifs' }).getByLabel(m, { exact: true }).check();
    }
    await f.select(`f-children-${i}-evaluation_result_id`, results[i]);
    await f.select(`f-children-${i}-conclusion`, conclusions[i]);
    await f.fill(`f-children-${i}-conclusion-on`, today);
    await f.fill(`f-children-${i}-conclusion-comment`, `Conclusion de l'enfant ${i + 1}`);
  }
  for (let i = 0; i < 3; i++) {
    for (const id of await page.locator(`#enfant-${i + 1} .motifs input:checked`).evaluateAll((l) => l.map((x) => x.id))) {
      f.values[id] = true;
    }
    assert.equal(await page.locator(`#enfant-${i + 1} .motifs input:checked`).count(), motifs[i].length);
  }
}

/** The three children of the view, as entered by fillChildren (parents, motifs, conclusions). */
function checkChildrenView(v, today) {
  const { motifs, results, conclusions } = CHILDREN_DATA;
  assert.equal(v.children.length, 3);
  v.children.forEach((c, i) => {
    assert.deepEqual([...c.motifs].sort(), [...motifs[i]].sort(), `motifs of child ${i + 1}`);
    assert.equal(c.lines["Résultat de l'évaluation"], results[i]);
    assert.equal(c.lines['Conclusion'], conclusions[i]);
    assert.equal(c.lines['Date'], fr(today));
    assert.equal(c.lines['Commentaire'], `Conclusion de l'enfant ${i + 1}`);
  });
}

// ---------------------------------------------------------------------------------------------

test('agent creates a dossier: 3 children (one known), 2 parents, authors, motifs, conclusions, 2 assignments; read back', T, async () => {
  await withPage(async (page) => {
    await login(page, 'agent');
    const known = await knownChild(page);
    const today = parisDay();

    const resp = await page.goto('/dossiers/nouveau');
    assert.equal(resp.status(), 200);
    assert.equal(await page.locator('h1').textContent(), 'Nouveau dossier');
    const tabs = (await page.getByRole('tab').allTextContents()).map((t) => t.trim());
    assert.deepEqual(tabs, ['En-tête', 'Parents', 'Enfants concernés', 'Exposé de la situation', "Traitement de l'information", 'Suites']);
    const f = new Typed(page);

    // En-tête: the reception (now, by default), the type and receiving agent by default.
    await f.keep('f-received_at', 'f-type_id', 'f-receiving_agent_id', 'f-status');
    assert.equal(f.values['f-type_id'], 'Information préoccupante');
    assert.equal(f.values['f-receiving_agent_id'], 'Agent CRIP (démo)');
    assert.match(f.values['f-received_at'], new RegExp(`^${today}T\\d{2}:\\d{2}$`));
    await f.select('f-channel_id', 'Courriel');
    await f.fill('f-snated_number', '119-E2E-4242');
    await f.select('f-territory_id', 'MDS Vierzon');
    await f.check('f-danger_grave');
    await f.check('f-violence_conjugale');
    await f.select('f-source-category_id', 'Éducation nationale');
    await f.fill('f-source-name', 'Mme Hélène Signalante');
    await f.fill('f-source-organisation', 'Collège Jean Moulin');

    // Parents: two, added in place.
    await openTab(page, 2);
    await inPlace(page, page.getByRole('button', { name: 'Ajouter un parent' }), '#f-adults-0-birth_name');
    assert.equal(await page.getByRole('tab', { selected: true }).textContent(), 'Parents', 'still on the Parents tab');
    assert.equal(await focused(page), 'f-adults-0-civility_id', 'focus on the new parent');
    await f.select('f-adults-0-civility_id', 'Madame');
    await f.fill('f-adults-0-birth_name', 'Lefort');
    await f.fill('f-adults-0-usage_name', 'Marchal');
    await f.fill('f-adults-0-first_names', 'Sandrine');
    await f.fill('f-adults-0-phone', '06 11 22 33 44');
    await inPlace(page, page.getByRole('button', { name: 'Ajouter un parent' }), '#f-adults-1-birth_name');
    await f.expectOn(page, 'typed values kept by the in-place re-render');
    await f.select('f-adults-1-civility_id', 'Monsieur');
    await f.fill('f-adults-1-birth_name', 'Marchal');
    await f.fill('f-adults-1-first_names', 'Thierry');
    await f.fill('f-adults-1-address-street', 'rue des Tests');
    await f.fill('f-adults-1-address-number', '12');

    // Enfants: the first child, new.
    await openTab(page, 3);
    await f.select('f-children-0-sex', 'Féminin');
    await f.fill('f-children-0-birth_name', 'Marchal');
    await f.fill('f-children-0-first_names', 'Lina Rose');
    await f.fill('f-children-0-birth_date', '2019-03-14');
    await htmxIdle(page); // the known persons looked for while typing
    // The second child: a known one, typed then linked.
    await inPlace(page, page.getByRole('button', { name: 'Ajouter un enfant' }), '#f-children-1-birth_name');
    await f.expectOn(page, 'typed values kept when adding a child');
    // Typed as fast as a person, on a slow server: each name or date change looks for known
    // persons while the previous search is still under way; the last one must win.
    await page.route('**/dossiers/nouveau', async (route) => {
      if ((route.request().postData() ?? '').includes('action=suggest_persons')) await new Promise((r) => setTimeout(r, 700));
      await route.continue();
    });
    await page.locator('#f-children-1-birth_name').fill(known.birthName);
    await page.locator('#f-children-1-first_names').fill(known.firstNames); // a search (birth name only)
    await page.locator('#f-children-1-birth_date').fill(known.birthDate); // a search (names), then one more (all)
    const suggestion = page
      .locator('#suggestions-1 li')
      .filter({ hasText: `naissance : ${fr(known.birthDate)}` })
      .filter({ hasText: known.dossier });
    await suggestion.first().waitFor();
    await page.unroute('**/dossiers/nouveau');
    await htmxIdle(page);
    assert.match(await page.locator('#suggestions-1').innerText(), /déjà connus? pourrai(en)?t être/);
    await inPlace(page, suggestion.first().getByRole('button', { name: "C'est cet enfant : lier" }), '#enfant-2 p.linked');
    assert.match(await page.locator('#enfant-2 p.linked').textContent(), /Enfant lié à une personne déjà connue \(n° \d+\)/);
    const personId = await page.locator('input[name="children[1].person_id"]').inputValue();
    assert.match(personId, /^\d+$/);
    await f.keep('f-children-1-sex', 'f-children-1-birth_name', 'f-children-1-usage_name', 'f-children-1-first_names', 'f-children-1-birth_date');
    assert.equal(f.values['f-children-1-birth_date'], known.birthDate);
    assert.equal(f.values['f-children-1-first_names'], known.firstNames);
    await f.expectOn(page, 'typed values kept when linking a known child');
    // The third child, by the keyboard shortcut (Alt+N).
    await page.keyboard.press('Alt+N');
    await page.locator('#f-children-2-birth_name').waitFor({ state: 'attached' });
    await htmxIdle(page);
    await f.select('f-children-2-sex', 'Masculin');
    await f.fill('f-children-2-birth_name', 'Marchal');
    await f.fill('f-children-2-first_names', 'Noé');
    await f.fill('f-children-2-birth_date', '2022-08-01');
    await htmxIdle(page);

    // Each child: both parents, holders of parental authority; motifs; evaluation and conclusion.
    await fillChildren(page, f, today);
    // Alleged authors of the first child: the mother, and a named third party.
    const authorsOf1 = page.locator('#enfant-1');
    await inPlace(page, authorsOf1.getByRole('button', { name: 'Ajouter un auteur présumé' }), '#f-children-0-authors-0-adult');
    await f.select('f-children-0-authors-0-adult', 'Sandrine MARCHAL');
    await f.select('f-children-0-authors-0-link_id', 'Mère');
    await inPlace(page, authorsOf1.getByRole('button', { name: 'Ajouter un auteur présumé' }), '#f-children-0-authors-1-adult');
    await f.select('f-children-0-authors-1-adult', 'Un tiers (à nommer)');
    await f.fill('f-children-0-authors-1-third_party_name', 'Kévin Tiersnom');
    await f.select('f-children-0-authors-1-link_id', 'Tiers connu');
    await f.expectOn(page, 'typed values kept when adding authors');
    assert.equal(await page.locator('table.fratrie tbody tr').count(), 3, 'the fratrie table lists the three children');

    // Exposé.
    await openTab(page, 4);
    const expose = "Le collège signale des absences répétées.\nLina dit avoir peur à la maison ; l'infirmière a constaté des bleus.";
    await f.fill('f-expose', expose);
    await f.fill('f-observation', 'Évaluation à mener en priorité.');

    // Traitement de l'information: two assignments, dates proposed by the application.
    await openTab(page, 5);
    await inPlace(page, page.getByRole('button', { name: 'Ajouter une affectation' }), '#f-assignments-0-service_id');
    await f.select('f-assignments-0-service_id', 'Service évaluation Vierzon — MDS Vierzon');
    await f.fill('f-assignments-0-evaluators', 'Alice Martin\nBruno Petit');
    await inPlace(page, page.getByRole('button', { name: 'Ajouter une affectation' }), '#f-assignments-1-service_id');
    await f.select('f-assignments-1-service_id', 'Service social Vierzon — MDS Vierzon');
    await f.fill('f-assignments-1-evaluators', 'Chloé Roux\nDavid Noël');
    await f.fill('f-assignments-1-comment', 'Visite à domicile prévue.');
    await f.keep('f-assignments-0-asked_on', 'f-assignments-0-due_on', 'f-assignments-1-asked_on', 'f-assignments-1-due_on');
    assert.equal(f.values['f-assignments-0-asked_on'], today, 'asked today');
    assert.ok(f.values['f-assignments-0-due_on'] > today, 'a due date after today');
    await f.expectOn(page, 'typed values kept when adding assignments');

    // Save: the read-only view, with the confirmation.
    const saved = await save(page);
    assert.equal(saved.status(), 200);
    const id = savedId(page);
    assert.ok(await page.locator('#enregistre').isVisible(), 'the confirmation is shown');
    assert.equal((await page.locator('#enregistre').textContent()).trim(), 'Dossier enregistré.');

    // The view shows what was entered.
    const v = await readView(page);
    assert.match(v.title, /^Dossier \d{4}-\d{6}$/);
    assert.deepEqual(v.flags, ['Danger grave et immédiat', 'Violence conjugale']);
    assert.equal(v.header['Support'], 'Courriel');
    assert.equal(v.header['Territoire'], 'MDS Vierzon');
    assert.equal(v.header['N° 119 / SNATED'], '119-E2E-4242');
    assert.equal(v.header['Reçue le'], `${fr(today)} ${f.values['f-received_at'].slice(11)}`);
    assert.equal(v.adults.length, 2);
    assert.match(v.adults[0], /^Madame Sandrine MARCHAL \(née LEFORT\) — 06 11 22 33 44$/);
    assert.match(v.adults[1], /^Monsieur Thierry MARCHAL — 12 rue des Tests/);
    const knownTitle = `${known.firstNames} ${(f.values['f-children-1-usage_name'] || known.birthName).toLocaleUpperCase('fr')}`;
    assert.deepEqual(
      v.children.map((c) => c.title),
      ['Lina Rose MARCHAL', knownTitle, 'Noé MARCHAL'],
    );
    const [c1, c2, c3] = v.children;
    assert.equal(c1.lines['Sexe'], 'Féminin');
    assert.equal(c1.lines['Date de naissance'], '14/03/2019');
    assert.equal(c2.lines['Date de naissance'], fr(known.birthDate));
    assert.equal(c3.lines['Sexe'], 'Masculin');
    assert.equal(c3.lines['Date de naissance'], '01/08/2022');
    assert.ok(c2.others.some((o) => o.startsWith(known.dossier)), `the known child's earlier dossier ${known.dossier}: ${c2.others}`);
    assert.deepEqual(c1.others, [], 'a new child has no earlier dossier');
    for (const c of v.children) {
      assert.deepEqual(c.parents, [
        "Mère : Madame Sandrine MARCHAL, titulaire de l'autorité parentale",
        "Père : Monsieur Thierry MARCHAL, titulaire de l'autorité parentale",
      ]);
    }
    assert.deepEqual(c1.authors, ['Madame Sandrine MARCHAL (Mère)', 'Kévin Tiersnom (Tiers connu)']);
    assert.deepEqual(c2.authors, []);
    checkChildrenView(v, today);
    assert.equal(v.expose[0], expose);
    assert.equal(v.expose[1], 'Évaluation à mener en priorité.');
    assert.deepEqual(
      v.assignments.map((a) => [a.service, a.lines['Demandé le'], a.lines['Échéance'], a.lines['Évaluateurs']]),
      [
        ['Service évaluation Vierzon', fr(today), fr(f.values['f-assignments-0-due_on']), 'Alice Martin, Bruno Petit'],
        ['Service social Vierzon', fr(today), fr(f.values['f-assignments-1-due_on']), 'Chloé Roux, David Noël'],
      ],
    );

    // The edit page gives back every value entered.
    await Promise.all([page.waitForURL(`**/dossiers/${id}/modifier`), page.getByRole('link', { name: 'Modifier', exact: true }).click()]);
    assert.match(await page.locator('h1').textContent(), /^Modifier le dossier \d{4}-\d{6}$/);
    await f.expectOn(page, 'the edit page shows every saved value');
    assert.equal(await page.locator('input[name="children[1].person_id"]').inputValue(), personId, 'still linked to the known person');
    assert.equal(await page.locator('.child input:checked[name$=".motifs"]').count(), 5, 'no other motif');
    assert.equal(await page.locator('#f-sip').isChecked(), false, 'no other flag');
  });
});

test('a validation error: 422, error summary focused, errors next to their fields, typed values kept', T, async () => {
  await withPage(async (page) => {
    await login(page, 'agent');
    await page.goto('/dossiers/nouveau');
    const f = new Typed(page);
    const tomorrow = parisDay(1);
    await f.fill('f-received_at', `${tomorrow}T09:30`);
    await f.select('f-channel_id', 'Téléphone');
    await f.select('f-territory_id', 'MDS Bourges Sud');
    await openTab(page, 3);
    await f.fill('f-children-0-birth_name', 'Validation');
    await f.fill('f-children-0-first_names', 'Zoé Anaïs');
    await f.fill('f-children-0-birth_date', '2016-05-04');
    await htmxIdle(page);
    // A conclusion date without a conclusion: a second error, on another tab.
    await f.fill('f-children-0-conclusion-on', parisDay());
    await openTab(page, 4);
    const expose = 'Exposé tapé avant une erreur :\nil doit revenir tel quel, accents compris (é, è, ç, « »).';
    await f.fill('f-expose', expose);

    const resp = await save(page);
    assert.equal(resp.status(), 422);
    assert.equal(new URL(page.url()).pathname, '/dossiers/nouveau');
    const summary = page.locator('#erreurs');
    assert.equal(await summary.getAttribute('role'), 'alert');
    assert.ok(await summary.isVisible());
    assert.equal(await focused(page), 'erreurs', 'the error summary has the focus');
    assert.equal((await summary.locator('h2').textContent()).trim(), "Le dossier n'est pas enregistré : 2 points à corriger");
    const items = (await summary.locator('li').allTextContents()).map((t) => t.trim());
    assert.deepEqual(items.sort(), [
      'Conclusion : choisissez la conclusion (ou effacez sa date et son commentaire).',
      'Date de réception : ne peut pas être dans le futur.',
    ]);
    // Each error next to its field, announced with it.
    assert.equal((await page.locator('#f-received_at-erreur').textContent()).trim(), 'ne peut pas être dans le futur.');
    assert.equal(await page.locator('#f-received_at').getAttribute('aria-invalid'), 'true');
    assert.match(await page.locator('#f-received_at').getAttribute('aria-describedby'), /\bf-received_at-erreur\b/);
    assert.equal(await page.locator('#f-children-0-conclusion').getAttribute('aria-invalid'), 'true');
    // The first tab with an error is open; tabs with errors say so.
    assert.equal(await page.getByRole('tab', { selected: true }).textContent(), 'En-tête (erreur)');
    assert.equal(await page.getByRole('tab', { name: 'Enfants concernés (erreur)' }).count(), 1);
    // Every typed value is still there.
    await f.expectOn(page, 'typed values kept after the 422');

    // The summary's links open the tab of their field and focus it.
    await summary.getByRole('link', { name: /^Conclusion/ }).click();
    assert.equal(await focused(page), 'f-children-0-conclusion');
    assert.equal(await page.getByRole('tab', { selected: true }).textContent(), 'Enfants concernés (erreur)');
    await summary.getByRole('link', { name: /^Date de réception/ }).click();
    assert.equal(await focused(page), 'f-received_at');

    // Corrected, it saves.
    const earlier = `${parisDay(-1)}T09:30`;
    await f.fill('f-received_at', earlier);
    await openTab(page, 3);
    await f.select('f-children-0-conclusion', 'Classement sans suite');
    const ok = await save(page);
    assert.equal(ok.status(), 200);
    savedId(page);
    const v = await readView(page);
    assert.equal(v.header['Reçue le'], `${fr(parisDay(-1))} 09:30`);
    assert.equal(v.children[0].title, 'Zoé Anaïs VALIDATION');
    assert.equal(v.expose[0], expose);
  });
});

test('two agents: the same child → conflict shown, typed value kept, saved again; different children → both saved', T, async () => {
  // A dossier both the agent and the responsable see, with at least two children.
  const row = await withPage(async (page) => {
    await login(page, 'agent');
    return findDossier(page, (r) => r.children.split(',').length >= 2);
  });
  // Two sessions side by side: a (agent) and b (responsable).
  await withPage((a) =>
    withPage(async (b) => {
      await login(a, 'agent');
      await login(b, 'responsable');
      const edit = `${row.href}/modifier`;
      for (const p of [a, b]) {
        const r = await p.goto(edit);
        assert.equal(r.status(), 200);
        await openTab(p, 3);
      }
      const original = await a.locator('#f-children-0-first_names').inputValue();

      // The agent saves first.
      await a.locator('#f-children-0-first_names').fill('Prénom-Agent');
      const ra = await save(a);
      assert.equal(ra.status(), 200);
      savedId(a);
      assert.ok((await readView(a)).children[0].title.startsWith('Prénom-Agent '));

      // The responsable, from the stale page: nothing saved, the difference shown.
      await b.locator('#f-children-0-first_names').fill('Prénom-Responsable');
      const rb = await save(b);
      assert.equal(rb.status(), 409);
      const conflict = b.locator('#conflits');
      assert.equal(await conflict.getAttribute('role'), 'alert');
      assert.equal(await b.evaluate(() => document.activeElement?.id), 'conflits', 'the conflict is focused');
      assert.equal(
        (await conflict.locator('h2').textContent()).trim(),
        "Modifié entre-temps par un autre utilisateur : rien n'a été enregistré",
      );
      assert.match(await conflict.innerText(), /Modifié par Agent CRIP \(démo\) le \d{2}\/\d{2}\/\d{4}/);
      const rows = await conflict.locator('tbody tr').evaluateAll((trs) =>
        trs.map((tr) => [...tr.querySelectorAll('th, td')].map((c) => c.textContent.trim())),
      );
      assert.deepEqual(rows, [['Prénoms', 'Prénom-Agent', 'Prénom-Responsable']]);
      assert.equal(await b.locator('#f-children-0-first_names').inputValue(), 'Prénom-Responsable', 'the typed value is kept');
      assert.ok(await b.locator('#enfant-1.conflicted').count(), 'the child is marked');
      await a.goto(row.href);
      assert.equal((await readView(a)).children[0].lines['Prénoms'], 'Prénom-Agent', 'nothing was saved');

      // Saving again applies the typed value.
      const again = await save(b);
      assert.equal(again.status(), 200);
      savedId(b);
      assert.equal((await readView(b)).children[0].lines['Prénoms'], 'Prénom-Responsable');

      // The history tells who changed what.
      await b.goto(`${row.href}/historique`);
      const history = await b.locator('ol.history').innerText();
      assert.match(history, /par Responsable CRIP \(démo\)[\s\S]*Prénoms\s+Prénom-Agent\s+Prénom-Responsable/);
      const escaped = original.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      assert.match(history, new RegExp(`par Agent CRIP \\(démo\\)[\\s\\S]*Prénoms\\s+${escaped}\\s+Prénom-Agent`));

      // Different children at the same time: both saved.
      for (const p of [a, b]) {
        await p.goto(edit);
        await openTab(p, 3);
      }
      await a.locator('#f-children-0-first_names').fill('Premier-Agent');
      await b.locator('#f-children-1-first_names').fill('Second-Responsable');
      const r1 = await save(a);
      assert.equal(r1.status(), 200);
      const r2 = await save(b);
      assert.equal(r2.status(), 200, 'no conflict between different children');
      savedId(b);
      const v = await readView(b);
      assert.equal(v.children[0].lines['Prénoms'], 'Premier-Agent');
      assert.equal(v.children[1].lines['Prénoms'], 'Second-Responsable');
    }),
  );
});

test('without JavaScript: the same creation (3 children, one known and linked, 2 parents, authors, motifs, conclusions, 2 assignments); every button re-renders the page, nothing is lost, the dossier saves', T, async () => {
  await withPage(
    async (page) => {
      await login(page, 'agent');
      const known = await knownChild(page);
      const today = parisDay();
      const resp = await page.goto('/dossiers/nouveau');
      assert.equal(resp.status(), 200);
      assert.equal(await page.getByRole('tab').count(), 0, 'no tabs without JavaScript');
      assert.ok(await page.getByRole('navigation', { name: 'Sections du dossier' }).isVisible(), 'the table of contents instead');
      /** A button posting the whole page: 200, the page re-rendered, nothing lost. */
      const post = async (button, what) => {
        const r = await submit(page, () => button.click());
        assert.equal(r.status(), 200, what);
        await f.expectOn(page, `kept after ${what}`);
      };
      const f = new Typed(page);
      await f.select('f-channel_id', 'Entretien');
      await f.select('f-territory_id', 'MDS Bourges Nord');
      await f.fill('f-snated_number', '119-E2E-SANSJS');
      await f.check('f-danger_grave');
      await f.check('f-violence_conjugale');
      await f.select('f-source-category_id', 'Éducation nationale');
      await f.fill('f-source-name', 'Mme Hélène Signalante');
      await f.fill('f-children-0-birth_name', 'Sansjs');
      await f.fill('f-children-0-first_names', 'Maël');
      await f.select('f-children-0-sex', 'Masculin');
      await f.fill('f-children-0-birth_date', '2017-11-02');
      await f.check('f-children-0-motifs-22');
      await f.fill('f-expose', 'Saisi sans JavaScript.');

      // Looking for a known child: a full-page post, the list comes back, nothing is lost.
      let r = await submit(page, () => page.locator('#enfant-1').getByRole('button', { name: /^Rechercher .+ parmi les enfants déjà connus$/ }).click());
      assert.equal(r.status(), 200);
      assert.match(await page.locator('#suggestions-0').innerText(), /Aucun enfant connu ne correspond/);
      await f.expectOn(page, 'kept after the search of known children');

      // A parent, then linked to the child.
      r = await submit(page, () => page.getByRole('button', { name: 'Ajouter un parent' }).click());
      assert.equal(r.status(), 200);
      assert.equal(new URL(page.url()).hash, '#parents');
      await f.expectOn(page, 'kept after « Ajouter un parent »');
      await f.fill('f-adults-0-birth_name', 'Sansjs');
      await f.fill('f-adults-0-first_names', 'Claire');
      await f.select('f-adults-0-civility_id', 'Madame');
      await f.fill('f-adults-0-phone', '06 11 22 33 44');
      // The link select appears with the parent (the child's links are rendered on the server).
      assert.equal(await page.locator('#f-children-0-adults-0-link_id').count(), 1);
      // The second parent.
      await post(page.getByRole('button', { name: 'Ajouter un parent' }), '« Ajouter un parent » (2nd)');
      await f.select('f-adults-1-civility_id', 'Monsieur');
      await f.fill('f-adults-1-birth_name', 'Sansjs');
      await f.fill('f-adults-1-first_names', 'Thierry');
      await f.fill('f-adults-1-address-street', 'rue des Tests');
      await f.fill('f-adults-1-address-number', '12');

      // The second child: a known one, typed, looked for, then linked.
      await post(page.getByRole('button', { name: 'Ajouter un enfant' }), '« Ajouter un enfant »');
      await f.fill('f-children-1-birth_name', known.birthName);
      await f.fill('f-children-1-first_names', known.firstNames);
      await f.fill('f-children-1-birth_date', known.birthDate);
      await post(
        page.locator('#enfant-2').getByRole('button', { name: /^Rechercher .+ parmi les enfants déjà connus$/ }),
        'the search of the second child',
      );
      assert.match(await page.locator('#suggestions-1').innerText(), /déjà connus? pourrai(en)?t être/);
      const suggestion = page
        .locator('#suggestions-1 li')
        .filter({ hasText: `naissance : ${fr(known.birthDate)}` })
        .filter({ hasText: known.dossier });
      await post(suggestion.first().getByRole('button', { name: "C'est cet enfant : lier" }), '« lier »');
      assert.match(await page.locator('#enfant-2 p.linked').textContent(), /Enfant lié à une personne déjà connue \(n° \d+\)/);
      const personId = await page.locator('input[name="children[1].person_id"]').inputValue();
      assert.match(personId, /^\d+$/);
      await f.keep('f-children-1-sex', 'f-children-1-usage_name');
      // The third child.
      await post(page.getByRole('button', { name: 'Ajouter un enfant' }), '« Ajouter un enfant » (3rd)');
      await f.select('f-children-2-sex', 'Masculin');
      await f.fill('f-children-2-birth_name', 'Sansjs');
      await f.fill('f-children-2-first_names', 'Noé');
      await f.fill('f-children-2-birth_date', '2022-08-01');

      // Each child: parents, motifs, evaluation, conclusion (as in the first test).
      await fillChildren(page, f, today);
      // Alleged authors of the first child: the mother, and a named third party.
      await post(page.locator('#enfant-1').getByRole('button', { name: 'Ajouter un auteur présumé' }), '« Ajouter un auteur présumé »');
      await f.select('f-children-0-authors-0-adult', 'Claire SANSJS');
      await f.select('f-children-0-authors-0-link_id', 'Mère');
      await post(page.locator('#enfant-1').getByRole('button', { name: 'Ajouter un auteur présumé' }), '« Ajouter un auteur présumé » (2nd)');
      await f.select('f-children-0-authors-1-adult', 'Un tiers (à nommer)');
      await f.fill('f-children-0-authors-1-third_party_name', 'Kévin Tiersnom');
      await f.select('f-children-0-authors-1-link_id', 'Tiers connu');

      // Two assignments.
      r = await submit(page, () => page.getByRole('button', { name: 'Ajouter une affectation' }).click());
      assert.equal(r.status(), 200);
      assert.equal(new URL(page.url()).hash, '#affectation-1');
      await f.expectOn(page, 'kept after « Ajouter une affectation »');
      await f.keep('f-assignments-0-asked_on', 'f-assignments-0-due_on');
      assert.equal(f.values['f-assignments-0-asked_on'], today);
      await f.select('f-assignments-0-service_id', 'Service évaluation Bourges Nord — MDS Bourges Nord');
      await f.fill('f-assignments-0-evaluators', 'Eva Luation');
      await post(page.getByRole('button', { name: 'Ajouter une affectation' }), '« Ajouter une affectation » (2nd)');
      await f.keep('f-assignments-1-asked_on', 'f-assignments-1-due_on');
      await f.select('f-assignments-1-service_id', 'Service social Vierzon — MDS Vierzon');
      await f.fill('f-assignments-1-evaluators', 'Chloé Roux\nDavid Noël');

      r = await save(page);
      assert.equal(r.status(), 200);
      const id = savedId(page);
      const v = await readView(page);
      assert.equal(v.header['Support'], 'Entretien');
      assert.equal(v.header['Territoire'], 'MDS Bourges Nord');
      assert.equal(v.header['N° 119 / SNATED'], '119-E2E-SANSJS');
      assert.deepEqual(v.flags, ['Danger grave et immédiat', 'Violence conjugale']);
      assert.equal(v.adults.length, 2);
      assert.match(v.adults[0], /^Madame Claire SANSJS — 06 11 22 33 44$/);
      assert.match(v.adults[1], /^Monsieur Thierry SANSJS — 12 rue des Tests/);
      const knownTitle = `${known.firstNames} ${(f.values['f-children-1-usage_name'] || known.birthName).toLocaleUpperCase('fr')}`;
      assert.deepEqual(
        v.children.map((c) => c.title),
        ['Maël SANSJS', knownTitle, 'Noé SANSJS'],
      );
      checkChildrenView(v, today);
      assert.ok(v.children[1].others.some((o) => o.startsWith(known.dossier)), `the known child's earlier dossier ${known.dossier}`);
      for (const c of v.children) {
        assert.deepEqual(c.parents, [
          "Mère : Madame Claire SANSJS, titulaire de l'autorité parentale",
          "Père : Monsieur Thierry SANSJS, titulaire de l'autorité parentale",
        ]);
      }
      assert.deepEqual(v.children[0].authors, ['Madame Claire SANSJS (Mère)', 'Kévin Tiersnom (Tiers connu)']);
      assert.deepEqual(
        v.assignments.map((x) => [x.service, x.lines['Demandé le'], x.lines['Échéance'], x.lines['Évaluateurs']]),
        [
          ['Service évaluation Bourges Nord', fr(today), fr(f.values['f-assignments-0-due_on']), 'Eva Luation'],
          ['Service social Vierzon', fr(today), fr(f.values['f-assignments-1-due_on']), 'Chloé Roux, David Noël'],
        ],
      );
      assert.equal(v.expose[0], 'Saisi sans JavaScript.');
      await page.goto(`/dossiers/${id}/modifier`);
      await f.expectOn(page, 'the edit page (no JavaScript) shows every saved value');
      assert.equal(await page.locator('input[name="children[1].person_id"]').inputValue(), personId, 'still linked to the known person');
    },
    { javaScriptEnabled: false },
  );
});

/** Key presses sent to the page, counted (a chord such as Alt+S is one; each typed character is one). */
class Keys {
  constructor(page) {
    this.page = page;
    this.count = 0;
  }
  async press(key, times = 1) {
    for (let i = 0; i < times; i++) {
      await this.page.keyboard.press(key);
      this.count++;
    }
  }
  async type(text) {
    for (const ch of text) {
      if (ch === '\n') await this.page.keyboard.press('Enter');
      else await this.page.keyboard.type(ch);
      this.count++;
    }
  }
}

test('keyboard only: a reference dossier entered with Tab, typing, Space, arrows, Alt+digit and Alt+S', T, async () => {
  await withPage(async (page) => {
    await login(page, 'agent');
    await page.goto('/dossiers/nouveau');
    const saves = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && /(^|&)action=save(&|$)/.test(r.postData() ?? '')) saves.push(r.url());
    });
    const k = new Keys(page);
    // Nothing but the save may load a page: a reload while typing would lose the caret.
    const reloads = [];
    page.on('framenavigated', (frame) => frame === page.mainFrame() && reloads.push(frame.url()));
    const at = async (id, what) => {
      await page.waitForLoadState();
      assert.deepEqual(reloads, [], 'no page load while typing');
      assert.equal(await focused(page), id, what ?? `focus on #${id}`);
    };
    const yesterday = parisDay(-1);
    const today = parisDay();
    const ddmmyyyy = (iso) => iso.split('-').reverse().join('');

    // En-tête: reception yesterday 09:30, by telephone, MDS Vierzon, danger grave.
    await k.press('Alt+1');
    await at('tab-entete');
    await k.press('Tab');
    await at('f-received_at');
    await k.type(ddmmyyyy(yesterday)); // jj mm aaaa: the year field takes up to 6 digits
    await k.press('Tab');
    await k.type('0930');
    await k.press('Tab', 4); // the date's last stop, the type (kept), the receiving agent (kept)
    await at('f-channel_id');
    await k.type('t'); // Téléphone
    await k.press('Tab', 2);
    await at('f-territory_id');
    await k.press('ArrowDown', 3); // MDS Vierzon
    await k.press('Tab', 2);
    await at('f-danger_grave');
    await k.press('Space');

    // Enfants: one child, two motifs, evaluation result and conclusion.
    await k.press('Alt+3');
    await at('tab-enfants');
    await k.press('Tab', 3); // the fratrie table's link, « Ajouter un enfant », Sexe
    await at('f-children-0-sex');
    await k.type('f'); // Féminin
    await k.press('Tab');
    await k.type('Clavier');
    await k.press('Tab', 2);
    await at('f-children-0-first_names');
    await k.type('Léonie');
    await k.press('Tab', 2);
    await at('f-children-0-birth_date');
    await k.type('05032018'); // known persons are looked for while typing: the focus stays
    await k.press('Tab', 2);
    await at('rechercher-0', 'the search button of known children, even if a search just replaced it');
    await k.press('Tab', 12); // address (6), CSP (2), lieu de vie, comment, « Ajouter un auteur présumé », first motif
    await at('f-children-0-motifs-22');
    await k.press('Space'); // Violences physiques
    await k.press('Tab');
    await k.press('Space'); // Violences psychologiques
    await k.press('Tab', 10);
    await at('f-children-0-evaluation_result_id');
    await k.press('ArrowDown'); // Danger
    await k.press('Tab');
    await k.press('ArrowDown', 2); // Orientation vers le droit commun
    await k.press('Tab');
    await at('f-children-0-conclusion-on');
    await k.type(ddmmyyyy(today));

    // Traitement: one assignment, added in place; the focus goes to its first field.
    await k.press('Alt+5');
    await at('tab-traitement');
    await k.press('Tab');
    await k.press('Enter'); // « Ajouter une affectation »
    await page.waitForFunction(() => document.activeElement?.id === 'f-assignments-0-service_id');
    await k.press('ArrowDown', 5); // Service évaluation Vierzon
    await k.press('Tab', 9); // Demandée le (today) and Échéance (proposed), kept: 4 stops each (jj, mm, aaaa, calendar)
    await at('f-assignments-0-evaluators');
    await k.type('Anne Clavier\nPaul Touche');

    // Alt+S saves (once).
    const loaded = page.waitForEvent('load');
    await k.press('Alt+S');
    await loaded;
    const id = savedId(page);
    assert.equal(saves.length, 1, `one save posted: ${saves.join(', ')}`);

    console.log(`keystrokes: ${k.count}`);
    await writeFile(path.join(ARTIFACTS, 'keystrokes.txt'), `${k.count}\n`);

    const v = await readView(page);
    assert.equal(v.header['Reçue le'], `${fr(yesterday)} 09:30`);
    assert.equal(v.header['Type de dossier'], 'Information préoccupante');
    assert.equal(v.header['Support'], 'Téléphone');
    assert.equal(v.header['Territoire'], 'MDS Vierzon');
    assert.deepEqual(v.flags, ['Danger grave et immédiat']);
    assert.equal(v.children.length, 1);
    const [c] = v.children;
    assert.equal(c.title, 'Léonie CLAVIER');
    assert.equal(c.lines['Sexe'], 'Féminin');
    assert.equal(c.lines['Date de naissance'], '05/03/2018');
    assert.deepEqual(c.motifs, ['Violences physiques', 'Violences psychologiques']);
    assert.equal(c.lines["Résultat de l'évaluation"], 'Danger');
    assert.equal(c.lines['Conclusion'], 'Orientation vers le droit commun');
    assert.equal(c.lines['Date'], fr(today));
    assert.equal(v.assignments.length, 1);
    assert.equal(v.assignments[0].service, 'Service évaluation Vierzon');
    assert.equal(v.assignments[0].lines['Demandé le'], fr(today));
    assert.equal(v.assignments[0].lines['Évaluateurs'], 'Anne Clavier, Paul Touche');
    assert.match(v.title, /^Dossier \d{4}-\d{6}$/);
    assert.ok(id);
  });
});

test('accessibility (axe, WCAG 2.1 A/AA): no serious or critical violation on the dossier screens', T, async () => {
  const serious = [];
  const others = [];
  const check = async (page, label) => {
    for (const v of await axeViolations(page)) {
      (/ \((serious|critical)\): /.test(v) ? serious : others).push(`[${label}] ${v}`);
    }
  };
  await withPage(async (page) => {
    await login(page, 'agent');
    const row = await findDossier(page, (r) => r.children.split(',').length >= 2);
    await page.goto(row.href);
    await check(page, 'dossier');

    // The edit page, tab by tab (axe skips hidden panels).
    await page.goto(`${row.href}/modifier`);
    const names = (await page.getByRole('tab').allTextContents()).map((t) => t.trim());
    assert.equal(names.length, 6);
    for (let i = 1; i <= names.length; i++) {
      await openTab(page, i);
      await check(page, `modifier — ${names[i - 1]}`);
    }
    // A change, for the history to show one.
    await openTab(page, 4);
    await page.locator('#f-observation').fill('Observation modifiée pour l’historique.');
    assert.equal((await save(page)).status(), 200);
    await page.goto(`${row.href}/historique`);
    assert.ok(await page.getByRole('table').count(), 'a revision is listed');
    await check(page, 'historique');

    const echeances = await page.goto('/echeances');
    assert.equal(echeances.status(), 200);
    await check(page, 'échéances');

    // A new dossier refused: the error summary and the errors next to the fields.
    await page.goto('/dossiers/nouveau');
    await openTab(page, 3);
    await page.locator('#f-children-0-first_names').fill('Sansnom');
    const r = await save(page);
    assert.equal(r.status(), 422);
    await check(page, 'nouveau dossier (erreurs)');
  });
  if (others.length) console.log(`axe, minor or moderate (not failing):\n${others.join('\n')}`);
  assert.deepEqual(serious, [], `serious or critical axe violations:\n${serious.join('\n')}`);
});

test('screenshots of each tab of the edit page (target/e2e-artifacts/tab-<n>-<name>.png)', T, async () => {
  await withPage(async (page) => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await login(page, 'agent');
    const row = await findDossier(page, (r) => r.children.split(',').length >= 2);
    await page.goto(`${row.href}/modifier`);
    const names = (await page.getByRole('tab').allTextContents()).map((t) => t.trim());
    assert.equal(names.length, 6);
    const slug = (s) =>
      s
        .normalize('NFD')
        .replace(/\p{M}/gu, '')
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-|-$/g, '');
    for (let i = 1; i <= names.length; i++) {
      await openTab(page, i);
      const file = path.join(ARTIFACTS, `tab-${i}-${slug(names[i - 1])}.png`);
      await page.screenshot({ path: file, fullPage: true });
      assert.ok((await stat(file)).size > 10_000, `${file} written`);
    }
  });
});
