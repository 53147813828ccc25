#!/usr/bin/env node
// Generates ../../crates/vigie-store/data/communes.tsv from the
// @etalab/decoupage-administratif npm package (data: Licence Ouverte 2.0).
//
// Usage (from data/communes):  npm ci && node generate.mjs
//
// Output: UTF-8, LF, header `insee\tpostal_code\tname\tdepartement\tkind`,
// one row per (commune, postal code) pair, sorted by insee then postal_code.
// kind = `commune` (type "commune-actuelle") or `arrondissement`
// (type "arrondissement-municipal": Paris, Lyon, Marseille).
// Communes déléguées / associées are skipped. Only metropolitan France
// (incl. Corsica 2A/2B) and the DROM (971-976) are kept; the collectivités
// d'outre-mer (975, 977, 978, 98x) are out of scope.
// No dependency other than the data package; no timestamps in the output,
// so two runs produce identical bytes.

import { readFileSync, writeFileSync, mkdirSync, renameSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const PACKAGE = '@etalab/decoupage-administratif';
const MIN_COMMUNES = 34000;
const KINDS = new Map([
  ['commune-actuelle', 'commune'],
  ['arrondissement-municipal', 'arrondissement'],
]);
const SKIPPED_TYPES = new Set(['commune-deleguee', 'commune-associee']);
const ZONES = new Set(['metro', 'drom']);

const here = dirname(fileURLToPath(import.meta.url));
const outPath = resolve(here, '../../crates/vigie-store/data/communes.tsv');

function fail(msg) {
  console.error(`generate.mjs: ERROR: ${msg}`);
  process.exit(1);
}

// Locate the data file inside node_modules (resolved from this script's dir).
const require = createRequire(import.meta.url);
let dataPath;
let pkgVersion;
try {
  dataPath = require.resolve(`${PACKAGE}/data/communes.json`);
  pkgVersion = JSON.parse(
    readFileSync(require.resolve(`${PACKAGE}/package.json`), 'utf8'),
  ).version;
} catch (e) {
  fail(
    `cannot find ${PACKAGE}/data/communes.json (${e.code || e.message}); ` +
      `run \`npm ci\` in ${here} first`,
  );
}

let communes;
try {
  communes = JSON.parse(readFileSync(dataPath, 'utf8'));
} catch (e) {
  fail(`cannot read/parse ${dataPath}: ${e.message}`);
}
if (!Array.isArray(communes)) fail(`${dataPath}: expected a JSON array`);

const INSEE_RE = /^(?:\d{5}|2[AB]\d{3})$/;
const POSTAL_RE = /^\d{5}$/;
const DEP_RE = /^(?:\d{2}|2[AB]|97[1-6])$/;

const rows = [];
const seen = new Set();
const unknownTypes = new Set();
let nCommunes = 0;
let nArrondissements = 0;

for (const c of communes) {
  if (SKIPPED_TYPES.has(c.type)) continue;
  const kind = KINDS.get(c.type);
  if (!kind) {
    unknownTypes.add(String(c.type));
    continue;
  }
  if (!ZONES.has(c.zone)) continue;

  const { code, nom, departement } = c;
  if (typeof code !== 'string' || !INSEE_RE.test(code)) fail(`bad INSEE code ${JSON.stringify(code)}`);
  if (typeof nom !== 'string' || nom.trim() === '' || /[\t\r\n]/.test(nom)) {
    fail(`bad name for ${code}: ${JSON.stringify(nom)}`);
  }
  if (typeof departement !== 'string' || !DEP_RE.test(departement) || !code.startsWith(departement)) {
    fail(`bad departement for ${code}: ${JSON.stringify(departement)}`);
  }
  if (seen.has(code)) fail(`duplicate INSEE code ${code}`);
  seen.add(code);
  if (kind === 'commune') nCommunes++;
  else nArrondissements++;

  const postals = [...new Set(c.codesPostaux ?? [])].sort();
  for (const p of postals) {
    if (typeof p !== 'string' || !POSTAL_RE.test(p)) fail(`bad postal code for ${code}: ${JSON.stringify(p)}`);
  }
  if (postals.length === 0) postals.push('');
  for (const p of postals) rows.push([code, p, nom.normalize('NFC'), departement, kind]);
}

if (unknownTypes.size > 0) fail(`unknown commune type(s): ${[...unknownTypes].join(', ')}`);
if (nCommunes < MIN_COMMUNES) fail(`only ${nCommunes} communes (expected >= ${MIN_COMMUNES})`);

// Plain code-unit comparison (locale-independent, deterministic).
const cmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
rows.sort((a, b) => cmp(a[0], b[0]) || cmp(a[1], b[1]));

const out =
  ['insee', 'postal_code', 'name', 'departement', 'kind'].join('\t') +
  '\n' +
  rows.map((r) => r.join('\t')).join('\n') +
  '\n';

mkdirSync(dirname(outPath), { recursive: true });
const tmp = `${outPath}.tmp`;
writeFileSync(tmp, out, 'utf8');
renameSync(tmp, outPath);

console.log(
  `${PACKAGE}@${pkgVersion}: wrote ${outPath}\n` +
    `  ${rows.length} rows, ${seen.size} INSEE codes ` +
    `(${nCommunes} communes, ${nArrondissements} arrondissements), ` +
    `${Buffer.byteLength(out)} bytes`,
);
