// Helpers for Vigie's browser end-to-end tests: a demo server in a throw-away directory, and
// headless Debian Chromium driven by playwright-core (no downloaded browser).
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';
import AxeBuilder from '@axe-core/playwright';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Screenshots and other files the tests leave for people to look at (git-ignored: target/). */
export const ARTIFACTS = path.join(ROOT, 'target/e2e-artifacts');

export const PASSWORD = 'demonstration';
export const BIN = process.env.VIGIE_BIN || path.join(ROOT, 'target/debug/vigie');
export const CHROMIUM = process.env.VIGIE_CHROMIUM || '/usr/bin/chromium';

const LISTENING = /^Vigie écoute sur (http:\/\/\S+)$/;

/**
 * Starts `vigie serve --demo --dossiers N` on a free port, in a fresh temporary directory (its
 * SQLite base goes there). Resolves to { url, dir, stop }; stop() kills the server and removes the
 * directory, and is idempotent. The server is also killed if this process exits first.
 */
export async function startServer({ dossiers = 60, timeoutMs = 30_000 } = {}) {
  if (!existsSync(BIN)) {
    throw new Error(`vigie binary not found: ${BIN} (cargo build -p vigie, or set VIGIE_BIN)`);
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'vigie-e2e-'));
  const child = spawn(BIN, ['serve', '--demo', '--dossiers', String(dossiers)], {
    cwd: dir,
    env: { ...process.env, VIGIE_LISTEN: '127.0.0.1:0', VIGIE_LOG: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Never leave a server behind: on exit, and on Ctrl-C / SIGTERM (then re-raised).
  const killOnExit = () => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  const onSignal = (signal) => {
    killOnExit();
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    process.kill(process.pid, signal);
  };
  process.on('exit', killOnExit).once('SIGINT', onSignal).once('SIGTERM', onSignal);

  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s) => {
    stderr = (stderr + s).slice(-4000);
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(t);
    }
    process.off('exit', killOnExit).off('SIGINT', onSignal).off('SIGTERM', onSignal);
    await rm(dir, { recursive: true, force: true });
  };

  try {
    const url = await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no "Vigie écoute sur" line within ${timeoutMs} ms; stderr:\n${stderr}`)),
        timeoutMs,
      );
      const lines = createInterface({ input: child.stdout });
      lines.on('line', (line) => {
        const m = LISTENING.exec(line.trim());
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`vigie exited early (code ${code}, signal ${signal}); stderr:\n${stderr}`));
      });
      child.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    // Keep draining stdout so the server never blocks on a full pipe.
    child.stdout.resume();
    return { url, dir, stop, stderr: () => stderr };
  } catch (e) {
    await stop();
    throw e;
  }
}

/**
 * Headless Debian Chromium (Playwright gives each launch a fresh temporary profile). Date inputs
 * follow the page's lang="fr" (jj/mm/aaaa hh:mm when typing a date) rather than the browser's
 * own language: Debian's chromium without chromium-l10n only has en-US (mm/dd/yyyy), and neither
 * the context's locale nor --lang reach date inputs.
 */
export function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    timeout: 30_000,
    args: [
      '--headless',
      '--enable-blink-features=LangAttributeAwareFormControlUI',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * A new browser context (own cookies) and page on the server; `options` go to newContext
 * (e.g. { javaScriptEnabled: false }), `timeout` is the default action/navigation timeout.
 */
export async function newPage(browser, baseURL, { timeout = 10_000, ...options } = {}) {
  const context = await browser.newContext({ baseURL, locale: 'fr-FR', timezoneId: 'Europe/Paris', ...options });
  context.setDefaultTimeout(timeout);
  context.setDefaultNavigationTimeout(timeout);
  const page = await context.newPage();
  return { context, page };
}

/** Logs in through the form (mouse-free but not keyboard-only: see the login test for that). */
export async function login(page, user, password = PASSWORD) {
  await page.goto('/connexion');
  await page.getByLabel('Identifiant').fill(user);
  await page.getByLabel('Mot de passe').fill(password);
  await Promise.all([page.waitForURL((u) => u.pathname !== '/connexion'), page.getByRole('button', { name: 'Se connecter' }).click()]);
}

/** The dossier list's rows: [{ href, number, children, territory, received }]. */
export function listRows(page) {
  return page.locator('table.list tbody tr').evaluateAll((trs) =>
    trs
      .filter((tr) => tr.querySelector('a'))
      .map((tr) => {
        const td = [...tr.querySelectorAll('td')].map((c) => c.textContent.trim());
        return {
          href: tr.querySelector('a').getAttribute('href'),
          number: tr.querySelector('a').textContent.trim(),
          received: td[1],
          children: td[2],
          type: td[3],
          territory: td[4],
          status: td[5],
        };
      }),
  );
}

/**
 * axe-core on the current page, WCAG 2.0/2.1 A and AA. Resolves to a readable list; with
 * `impacts` (e.g. ['serious', 'critical']), only the violations of those impacts.
 */
export async function axeViolations(page, { impacts } = {}) {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return result.violations.filter((v) => !impacts || impacts.includes(v.impact)).map(
    (v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.map((n) => `${n.target.join(' ')} — ${n.failureSummary?.split('\n').slice(1).join(' ')}`).join('\n    ')}`,
  );
}

/**
 * Opens the focused file input's dialog with Space, as a keyboard user does, and resolves to the
 * file chooser Playwright intercepts (a browser cannot type a file path: answer it with
 * `chooser.setFiles`). Headless Chromium now and then lets a Space pass without opening the
 * dialog (seen once in CI on the templates page): the key is pressed again, three times at most,
 * 5 s each, before the test fails.
 */
export async function openFileChooser(page) {
  let last;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const [chooser] = await Promise.all([
        page.waitForEvent('filechooser', { timeout: 5_000 }),
        page.keyboard.press(' '),
      ]);
      return chooser;
    } catch (e) {
      last = e;
    }
  }
  throw last;
}
