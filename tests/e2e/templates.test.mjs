// Letter templates in a real browser (« Modèles de courrier », /admin/modeles): a responsable
// opens the menu entry with the keyboard, opens « Accusé de réception de l'information
// préoccupante », tries the version built into Vigie on a fictional dossier and downloads the
// trial (ODT, and its PDF); uploads the built-in ODT unchanged as a new version, tries the draft
// and publishes it; a text file named .odt is refused, and so is an ODT with an unclosed tag, the
// error naming the tag; an agent sees neither the entry nor the pages (403). Keyboard only once
// logged in; axe on each page; screenshots in target/e2e-artifacts.
// Run: cd tests/e2e && node --test templates.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, mkdir } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { startServer, launchBrowser, newPage, login, axeViolations, ARTIFACTS, openFileChooser } from './vigie.mjs';

const T = { timeout: 120_000 };
const CODE = '01-accuse-reception';
const TITLE = "Accusé de réception de l'information préoccupante";
const PAGE = `/admin/modeles/${CODE}`;
/** A fictional dossier's number: numbered from 999001 in the year of its reception (AAAA-999NNN). */
const FICTIONAL = /\b\d{4}-999\d{3}\b/;
const ODT_MIME = 'application/vnd.oasis.opendocument.text';
/** LibreOffice (PDF of the trial) is installed here and in CI (scripts/test.sh). */
const HAS_SOFFICE = (() => {
  try {
    execFileSync('sh', ['-c', 'command -v soffice'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

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

/** A fresh context and page, closed whatever happens; no JavaScript error on the page. */
async function withPage(options, fn) {
  const { context, page } = await newPage(browser, server.url, { timeout: 30_000, ...options });
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

/** The versions table's rows: [{ version, file, status, actions }]. */
function versionRows(page) {
  return page
    .locator('section[aria-labelledby="h-versions"] table.list tbody tr')
    .evaluateAll((trs) =>
      trs.map((tr) => {
        const td = [...tr.querySelectorAll('td')].map((c) => c.innerText.replace(/\s+/g, ' ').trim());
        return { version: td[0], file: td[1], status: td[3], actions: td[4] };
      }),
    );
}

/** The summary's value for `term`. */
function summary(page, term) {
  return page.locator('dl.summary dt', { hasText: new RegExp(`^${term}$`) }).locator('xpath=following-sibling::dd[1]').textContent();
}

/** Uploads `file` through the focused page's « Déposer une nouvelle version », by keyboard. */
async function uploadVersion(page, file, comment) {
  await tabTo(page, (e) => e.tag === 'INPUT' && e.type === 'file' && e.id === 'fichier');
  // Space opens the file dialog; Playwright answers it (a browser cannot type a file path).
  const chooser = await openFileChooser(page);
  assert.equal(chooser.isMultiple(), false);
  await chooser.setFiles(file);
  await page.keyboard.press('Tab');
  assert.equal((await focused(page)).id, 'commentaire');
  if (comment) await page.keyboard.type(comment);
  await tabTo(page, (e) => e.tag === 'BUTTON' && e.text === 'Déposer la version', 3);
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `${PAGE}/versions`),
    enter(page),
  ]);
  return response;
}

// ---- A minimal zip reader and writer (an ODT is a zip), to put a broken tag into an ODT.

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** The entries of a zip, in order: [{ name, method, data }] (data uncompressed). */
function unzip(zip) {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  assert.ok(eocd >= 0, 'a zip');
  const count = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  const entries = [];
  for (let i = 0; i < count; i++) {
    const method = zip.readUInt16LE(p + 10);
    const size = zip.readUInt32LE(p + 20);
    const nameLen = zip.readUInt16LE(p + 28);
    const extraLen = zip.readUInt16LE(p + 30);
    const commentLen = zip.readUInt16LE(p + 32);
    const local = zip.readUInt32LE(p + 42);
    const name = zip.subarray(p + 46, p + 46 + nameLen).toString('utf8');
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const raw = zip.subarray(start, start + size);
    entries.push({ name, method, data: method === 8 ? inflateRawSync(raw) : Buffer.from(raw) });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** A zip of `entries` (each stored or deflated as its `method` says), in that order. */
function zip(entries) {
  const locals = [];
  const central = [];
  let offset = 0;
  for (const { name, method, data } of entries) {
    const body = method === 8 ? deflateRawSync(data) : data;
    const n = Buffer.from(name, 'utf8');
    const crc = crc32(data);
    const head = Buffer.alloc(30);
    head.writeUInt32LE(0x04034b50, 0);
    head.writeUInt16LE(20, 4);
    head.writeUInt16LE(0x0800, 6); // UTF-8 names
    head.writeUInt16LE(method, 8);
    head.writeUInt32LE(crc, 14);
    head.writeUInt32LE(body.length, 18);
    head.writeUInt32LE(data.length, 22);
    head.writeUInt16LE(n.length, 26);
    const dir = Buffer.alloc(46);
    dir.writeUInt32LE(0x02014b50, 0);
    dir.writeUInt16LE(20, 4);
    dir.writeUInt16LE(20, 6);
    dir.writeUInt16LE(0x0800, 8);
    dir.writeUInt16LE(method, 10);
    dir.writeUInt32LE(crc, 16);
    dir.writeUInt32LE(body.length, 20);
    dir.writeUInt32LE(data.length, 24);
    dir.writeUInt16LE(n.length, 28);
    dir.writeUInt32LE(offset, 42);
    locals.push(head, n, body);
    central.push(dir, n);
    offset += 30 + n.length + body.length;
  }
  const dirBytes = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(dirBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dirBytes, end]);
}

/** The built-in ODT of CODE, with the session of `page`. */
async function builtinOdt(page) {
  const res = await page.request.get(`${PAGE}/defaut?format=odt`);
  assert.equal(res.status(), 200);
  assert.match(res.headers()['content-disposition'] ?? '', new RegExp(`filename="${CODE}\\.odt"`));
  const bytes = Buffer.from(await res.body());
  assert.equal(bytes.subarray(0, 2).toString(), 'PK', 'an ODT is a zip');
  return bytes;
}

test('a responsable tries a template on a fictional dossier by keyboard', T, async () => {
  await withPage({ acceptDownloads: true }, async (page) => {
    await login(page, 'responsable');
    // Keyboard only from here.
    await tabTo(page, (e) => e.tag === 'A' && e.text === 'Modèles de courrier');
    await enter(page);
    assert.equal(new URL(page.url()).pathname, '/admin/modeles');
    assert.equal(await page.locator('h1').textContent(), 'Modèles de courrier');
    const links = await page.locator('table.list tbody tr td:first-child a').evaluateAll((as) =>
      as.map((a) => ({ text: a.textContent.trim(), href: a.getAttribute('href') })),
    );
    assert.equal(links.length, 10, 'the 10 templates shipped with Vigie');
    assert.ok(links.every((l) => /^\/admin\/modeles\/\d{2}-[a-z0-9-]+$/.test(l.href)), JSON.stringify(links));
    assert.deepEqual(links[0], { text: TITLE, href: PAGE });
    assert.equal(await page.getByRole('heading', { name: 'Ajouter un modèle' }).count(), 1);
    for (const label of ['Titre', 'Destinataire', 'Base légale', 'Modèle (DOCX ou ODT)']) {
      assert.equal(await page.getByLabel(label, { exact: false }).count(), 1, `field « ${label} »`);
    }
    await noAxe(page, 'modèles');
    await page.screenshot({ path: `${ARTIFACTS}/modeles.png`, fullPage: true });

    await tabTo(page, (e) => e.tag === 'A' && e.text === TITLE);
    await enter(page);
    assert.equal(new URL(page.url()).pathname, PAGE);
    assert.equal(await page.locator('h1').textContent(), TITLE);
    assert.equal(await summary(page, 'Code'), CODE);
    assert.equal(await summary(page, 'Version en service'), 'modèle par défaut de Vigie');
    const rows = await versionRows(page);
    assert.equal(rows.length, 1, 'no version uploaded yet: only the built-in one');
    assert.deepEqual(rows.at(-1), {
      version: 'Modèle par défaut de Vigie',
      file: `${CODE}.odt · ${CODE}.docx`,
      status: 'En service',
      actions: 'Essayer le modèle par défaut sur un dossier fictif',
    });
    for (const f of ['odt', 'docx']) {
      assert.equal(await page.getByRole('link', { name: `${CODE}.${f}` }).getAttribute('href'), `${PAGE}/defaut?format=${f}`);
    }
    assert.equal(await page.getByRole('heading', { name: 'Déposer une nouvelle version' }).count(), 1);
    assert.equal(await page.getByRole('button', { name: 'Désactiver le modèle' }).count(), 1);
    await noAxe(page, 'modèle');

    // The trial of the built-in version: a POST that shows the same page with the letter's text.
    await tabTo(page, (e) => e.tag === 'BUTTON' && e.text === 'Essayer le modèle par défaut sur un dossier fictif');
    await enter(page);
    assert.equal(new URL(page.url()).pathname, `${PAGE}/versions/0/essai`);
    const heading = (await page.locator('h2#h-essai').textContent()).trim();
    assert.match(heading, /^Essai : modèle par défaut de Vigie, sur le dossier fictif n° \d{4}-999\d{3}$/);
    const number = FICTIONAL.exec(heading)[0];
    const text = await page.locator('section[aria-labelledby="h-essai"] pre').textContent();
    assert.match(text, /dossier/i);
    assert.match(text, FICTIONAL);
    assert.ok(text.includes(number), `the letter names the fictional dossier ${number}`);
    assert.doesNotMatch(text, /\{\{|\{%/, 'every tag filled');
    assert.equal(await page.getByRole('button', { name: 'Télécharger l\'essai', exact: true }).count(), 1);
    assert.equal(
      await page.getByRole('button', { name: 'Télécharger l\'essai en PDF' }).count(),
      HAS_SOFFICE ? 1 : 0,
      'the PDF button only with LibreOffice',
    );
    await noAxe(page, 'essai');
    await page.screenshot({ path: `${ARTIFACTS}/modeles-essai.png`, fullPage: true });

    // Download the trial by keyboard: the filled ODT.
    await tabTo(page, (e) => e.tag === 'BUTTON' && e.text === 'Télécharger l\'essai');
    const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
    assert.equal(download.suggestedFilename(), `essai-${CODE}.odt`);
    const odt = await readFile(await download.path());
    assert.equal(odt.subarray(0, 2).toString(), 'PK', 'an ODT is a zip');
    const content = unzip(odt).find((e) => e.name === 'content.xml').data.toString('utf8');
    assert.ok(content.includes(number), 'the downloaded letter names the fictional dossier');

    if (HAS_SOFFICE) {
      await page.keyboard.press('Tab');
      assert.equal((await focused(page)).text, 'Télécharger l\'essai en PDF');
      const [pdf] = await Promise.all([page.waitForEvent('download', { timeout: 90_000 }), page.keyboard.press('Enter')]);
      assert.equal(pdf.suggestedFilename(), `essai-${CODE}.pdf`);
      assert.equal((await readFile(await pdf.path())).subarray(0, 5).toString(), '%PDF-');
    }
  });
});

test('a responsable uploads a new version and publishes it', T, async () => {
  await withPage({}, async (page) => {
    await login(page, 'responsable');
    const odt = await builtinOdt(page);
    await page.goto(PAGE);
    // Keyboard only from here.
    const response = await uploadVersion(
      page,
      { name: `${CODE}.odt`, mimeType: ODT_MIME, buffer: odt },
      'Le modèle par défaut, sans changement',
    );
    assert.equal(response.status(), 303);
    const url = new URL(page.url());
    assert.equal(url.pathname, PAGE);
    assert.equal(url.searchParams.get('enregistre'), 'version');
    assert.match(await page.getByRole('status').textContent(), /^Version déposée/);
    let rows = await versionRows(page);
    assert.equal(rows.length, 2);
    assert.deepEqual(rows[0], {
      version: '1 (ODT) Le modèle par défaut, sans changement',
      file: `${CODE}.odt`,
      status: 'Brouillon (pas encore publiée)',
      actions: 'Essayer la version 1 sur un dossier fictif Publier la version 1',
    });
    assert.equal(rows[1].status, 'En service', 'the built-in version until the draft is published');
    assert.equal(await summary(page, 'Version en service'), 'modèle par défaut de Vigie');
    await noAxe(page, 'version déposée');
    await page.screenshot({ path: `${ARTIFACTS}/modeles-version-deposee.png`, fullPage: true });

    // The draft, tried before it is published.
    await tabTo(page, (e) => e.tag === 'BUTTON' && e.text === 'Essayer la version 1 sur un dossier fictif');
    await enter(page);
    assert.match(
      (await page.locator('h2#h-essai').textContent()).trim(),
      /^Essai : version 1, sur le dossier fictif n° \d{4}-999\d{3}$/,
    );
    assert.match(await page.locator('section[aria-labelledby="h-essai"] pre').textContent(), FICTIONAL);
    await noAxe(page, 'essai de la version 1');

    await tabTo(page, (e) => e.tag === 'BUTTON' && e.text === 'Publier la version 1');
    await enter(page);
    assert.equal(new URL(page.url()).searchParams.get('enregistre'), 'publication');
    assert.match(await page.getByRole('status').textContent(), /^Version publiée/);
    rows = await versionRows(page);
    assert.equal(rows[0].status, 'En service');
    assert.equal(await page.locator('tbody tr').first().locator('td strong').textContent(), 'En service');
    assert.equal(rows[0].actions, 'Essayer la version 1 sur un dossier fictif', 'no « Publier » for the version in service');
    assert.equal(rows[1].status, 'Remplacé');
    assert.match(await summary(page, 'Version en service'), /^version 1 \(ODT\), publiée le \d{2}\/\d{2}\/\d{4}.* par .+$/);
    await noAxe(page, 'version publiée');
    await page.screenshot({ path: `${ARTIFACTS}/modeles-version-publiee.png`, fullPage: true });

    // The list says so too.
    await page.goto('/admin/modeles');
    const first = page.locator('table.list tbody tr').first();
    assert.match(await first.locator('td').nth(2).textContent(), /^version 1 \(ODT\), publiée le /);
    await noAxe(page, 'modèles après publication');
  });
});

test('a refused template names the tag', T, async () => {
  await withPage({}, async (page) => {
    await login(page, 'responsable');
    const odt = await builtinOdt(page);
    await page.goto(PAGE);
    const before = (await versionRows(page)).length;

    // A text file named .odt: refused by its content's type.
    let response = await uploadVersion(page, {
      name: 'modele.odt',
      mimeType: ODT_MIME,
      buffer: Buffer.from('Bonjour {{ dossier.numero', 'utf8'),
    });
    assert.equal(response.status(), 422);
    const summaryBlock = page.locator('[data-error-summary]');
    const said = (await summaryBlock.textContent()).replace(/\s+/g, ' ');
    assert.match(said, /Rien n'a été enregistré/);
    // The type is read from the content, whatever the name says.
    assert.match(said, /Un modèle est un document Word \(DOCX\) ou LibreOffice \(ODT\) ; ce fichier est : Texte\./, said);
    assert.equal(await summaryBlock.getAttribute('role'), 'alert');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'erreurs', 'the error summary has the focus');
    assert.equal((await versionRows(page)).length, before, 'nothing stored');
    assert.equal(await page.locator('#fichier').evaluate((i) => i.files.length), 0, 'a file is never kept');
    await noAxe(page, 'modèle refusé (type)');
    await page.screenshot({ path: `${ARTIFACTS}/modeles-refus-type.png`, fullPage: true });

    // The built-in ODT with an unclosed tag: refused, the message names the tag.
    const entries = unzip(odt);
    const content = entries.find((e) => e.name === 'content.xml');
    const xml = content.data.toString('utf8');
    assert.ok(xml.includes('{{ dossier.numero }}'));
    content.data = Buffer.from(xml.replace('{{ dossier.numero }}', '{{ dossier.numero'), 'utf8');
    response = await uploadVersion(page, { name: 'modele-casse.odt', mimeType: ODT_MIME, buffer: zip(entries) });
    assert.equal(response.status(), 422);
    const broken = (await page.locator('[data-error-summary]').textContent()).replace(/\s+/g, ' ');
    assert.match(broken, /balise « \{\{ dossier\.numero/, broken);
    assert.match(broken, /n'est pas fermée/, broken);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'erreurs', 'the error summary has the focus');
    assert.equal((await versionRows(page)).length, before, 'nothing stored');
    await noAxe(page, 'modèle refusé (balise)');
    await page.screenshot({ path: `${ARTIFACTS}/modeles-refus-balise.png`, fullPage: true });
  });
});

test('an agent does not see the templates\' administration', T, async () => {
  await withPage({}, async (page) => {
    await login(page, 'agent');
    const nav = page.getByRole('navigation', { name: 'Navigation principale' });
    assert.ok((await nav.getByRole('link').count()) > 0, 'the agent has a menu');
    assert.equal(await nav.getByRole('link', { name: 'Modèles de courrier' }).count(), 0);
    for (const path of ['/admin/modeles', PAGE, `${PAGE}/defaut?format=odt`]) {
      const res = await page.request.get(path, { maxRedirects: 0 });
      assert.equal(res.status(), 403, `GET ${path}`);
    }
    const res = await page.request.post(`${PAGE}/versions/0/essai`, { maxRedirects: 0, form: { telecharger: '' } });
    assert.equal(res.status(), 403, 'POST …/essai');
  });
});

test('the administrator has the menu entry too (keyboard)', T, async () => {
  await withPage({}, async (page) => {
    await login(page, 'admin');
    const nav = page.getByRole('navigation', { name: 'Navigation principale' });
    assert.equal(await nav.getByRole('link', { name: 'Modèles de courrier' }).count(), 1);
    await tabTo(page, (e) => e.tag === 'A' && e.text === 'Modèles de courrier');
    await enter(page);
    assert.equal(new URL(page.url()).pathname, '/admin/modeles');
    assert.equal(await page.locator('table.list tbody tr').count(), 10);
  });
});
