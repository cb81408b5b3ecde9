// browser_test.mjs — the radiologist's path in Orthanc Explorer, in Debian's headless Chromium
// driven by playwright-core: open a series page, "Analyze p-DVA", choose the wound venosome,
// follow the job, read the summary, open the report; cancel an analysis from the panel; and the
// panel shows hostile server text as text (no HTML injection). Screenshots go to --shots.
//
//   node browser_test.mjs --base URL --series ID --long-series ID --shots DIR --profile DIR
// SPDX-License-Identifier: GPL-3.0-or-later
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import path from 'node:path';

function args() {
  const out = {};
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    out[argv[i].replace(/^--/, '')] = argv[i + 1];
  }
  for (const k of ['base', 'series', 'long-series', 'shots', 'profile']) {
    if (!out[k]) throw new Error('missing --' + k);
  }
  return out;
}

const a = args();
const seriesUrl = (id) => `${a.base}/app/explorer.html#series?uuid=${id}`;

async function openSeries(page, id) {
  // a fresh document: jQuery Mobile ignores a hash change to the page already shown
  await page.goto('about:blank');
  await page.goto(seriesUrl(id), { waitUntil: 'load' });
  await page.waitForSelector('#pdva-analyze', { state: 'visible', timeout: 30000 });
  // the panel asks the plugin whether there is a report already
  await page.waitForFunction(() => document.querySelector('#pdva-status').textContent.length > 0,
                             null, { timeout: 30000 });
}

const context = await chromium.launchPersistentContext(a.profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--no-first-run',
         '--disable-dev-shm-usage'],
  viewport: { width: 1280, height: 900 },
});
const errors = [];
try {
  const page = context.pages()[0] || await context.newPage();
  page.on('pageerror', (e) => errors.push(String(e)));
  // HTTP 404/400 answers the panel expects show up as console errors: only script errors count
  page.on('console', (m) => {
    if (m.type() === 'error' && !/^Failed to load resource/.test(m.text())) errors.push(m.text());
  });

  // 1. a series never analyzed
  await openSeries(page, a.series);
  assert.equal(await page.textContent('#pdva-status'), 'Not analyzed yet.');
  assert.equal(await page.isVisible('#pdva-result'), false);
  await page.screenshot({ path: path.join(a.shots, 'explorer-before.png') });

  // 2. Analyze p-DVA: choose the venosome, start
  await page.click('#pdva-analyze');
  await page.waitForSelector('#pdva-venosome', { state: 'visible' });
  const options = await page.$$eval('#pdva-venosome option', (os) => os.map((o) => o.value));
  assert.deepEqual(options, ['dorsalis_pedis', 'medial_plantar', 'lateral_plantar',
                             'medial_calcaneal', 'lateral_calcaneal', 'anterior_perforating']);
  await page.selectOption('#pdva-venosome', 'medial_plantar');
  await page.screenshot({ path: path.join(a.shots, 'explorer-form.png') });
  await page.click('#pdva-start');

  // 3. status while the job runs, then the summary and the link
  await page.waitForFunction(() => /Analysis|Starting/.test(
    document.querySelector('#pdva-status').textContent), null, { timeout: 30000 });
  await page.waitForSelector('#pdva-result', { state: 'visible', timeout: 300000 });
  assert.equal(await page.textContent('#pdva-status'), 'Analysis complete.');
  const summary = await page.textContent('#pdva-summary');
  assert.match(summary, /Wound venosome: medial_plantar/);
  assert.match(summary, /Series 1/);
  await page.screenshot({ path: path.join(a.shots, 'explorer-summary.png'), fullPage: true });

  // 4. follow the report link
  const href = await page.getAttribute('#pdva-report-link', 'href');
  assert.equal(href, `../pdva/series/${encodeURIComponent(a.series)}/report`);
  const reportPage = await context.newPage();
  const response = await reportPage.goto(new URL(href, page.url()).toString());
  assert.equal(response.status(), 200);
  assert.match(response.headers()['content-type'], /application\/json/);
  const report = JSON.parse(await response.text());
  assert.equal(report.schema, 'pdva-report/1');
  assert.deepEqual(report.context.wound_venosomes, ['medial_plantar']);
  await reportPage.screenshot({ path: path.join(a.shots, 'report.png') });
  await reportPage.close();

  // 5. coming back later: the report is there at once
  await openSeries(page, a.series);
  await page.waitForSelector('#pdva-result', { state: 'visible', timeout: 30000 });
  assert.match(await page.textContent('#pdva-summary'), /medial_plantar/);

  // 6. cancel a running analysis from the panel
  await openSeries(page, a['long-series']);
  await page.click('#pdva-analyze');
  await page.selectOption('#pdva-venosome', 'dorsalis_pedis');
  await page.click('#pdva-start');
  await page.waitForSelector('#pdva-cancel', { state: 'visible', timeout: 30000 });
  await page.waitForFunction(() => /analyzing/.test(
    document.querySelector('#pdva-status').textContent), null, { timeout: 60000 });
  await page.screenshot({ path: path.join(a.shots, 'explorer-running.png') });
  await page.click('#pdva-cancel');
  await page.waitForFunction(() => document.querySelector('#pdva-status').textContent ===
                             'Analysis cancelled.', null, { timeout: 60000 });
  assert.equal(await page.isVisible('#pdva-result'), false);
  await page.screenshot({ path: path.join(a.shots, 'explorer-cancelled.png') });

  // 7. hostile server text stays text
  await page.route('**/pdva/series/*/summary*', (route) => route.fulfill({
    status: 200, contentType: 'text/plain',
    body: '<img id="pdva-injected" src="x" onerror="window.__pdvaXss=1">Series 1 <b>bold</b>',
  }));
  await openSeries(page, a.series);
  await page.waitForSelector('#pdva-result', { state: 'visible', timeout: 30000 });
  assert.equal(await page.textContent('#pdva-summary'),
               '<img id="pdva-injected" src="x" onerror="window.__pdvaXss=1">Series 1 <b>bold</b>');
  assert.equal(await page.$('#pdva-injected'), null);
  assert.equal(await page.$$eval('#pdva-summary *', (els) => els.length), 0);
  await page.unroute('**/pdva/series/*/summary*');
  await page.route('**/pdva/series/*/analyze', (route) => route.fulfill({
    status: 400, contentType: 'application/json',
    body: JSON.stringify({ error: '<b id="pdva-injected-2">bad</b>', status: 400 }),
  }));
  await page.click('#pdva-analyze');
  await page.click('#pdva-start');
  await page.waitForFunction(() => /could not start/.test(
    document.querySelector('#pdva-status').textContent), null, { timeout: 30000 });
  assert.equal(await page.$('#pdva-injected-2'), null);
  assert.match(await page.textContent('#pdva-status'), /<b id="pdva-injected-2">bad<\/b>/);
  assert.equal(await page.evaluate(() => window.__pdvaXss), undefined);

  assert.deepEqual(errors, [], 'JavaScript errors on the page');
  console.log('browser test: all steps passed');
} finally {
  await context.close();
}
