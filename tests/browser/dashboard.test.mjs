// Browser tests for the operations dashboard (web/dashboard.html): headless Debian Chromium driven by
// playwright-core against a running kefu server (run.sh: demo shop data, the staff accounts
// KEFU_SUPERVISOR_USER/PASS and KEFU_AGENT_USER/PASS). ECharts comes from web/node_modules
// (scripts/install-web-libs.sh) through /vendor/echarts.min.js. Screenshots go to $KEFU_ARTIFACTS.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const BASE = (process.env.KEFU_URL || '').replace(/\/+$/, '');
const ARTIFACTS = path.resolve(process.env.KEFU_ARTIFACTS || './artifacts');
const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const DESKTOP = { width: 1440, height: 1000 };
const TIMEOUT = 90_000;
const SUPERVISOR = { user: process.env.KEFU_SUPERVISOR_USER, pass: process.env.KEFU_SUPERVISOR_PASS };
const AGENT = { user: process.env.KEFU_AGENT_USER, pass: process.env.KEFU_AGENT_PASS };

before(async () => {
  assert.ok(BASE, 'set KEFU_URL to the base URL of a running kefu server');
  assert.ok(SUPERVISOR.user && SUPERVISOR.pass, 'set KEFU_SUPERVISOR_USER/PASS (run.sh creates the account)');
  await mkdir(ARTIFACTS, { recursive: true });
  const lib = await fetch(`${BASE}/vendor/echarts.min.js`);
  assert.equal(lib.status, 200, '/vendor/echarts.min.js: run scripts/install-web-libs.sh');
  // a few conversations of today, so the KPI and intent charts have something to draw
  for (const text of ['我的订单到哪了', '转人工', 'how long does delivery take']) {
    const c = await (await fetch(`${BASE}/api/v1/conversations`, { method: 'POST', body: '{"lang":"zh"}' })).json();
    const r = await fetch(`${BASE}/api/v1/conversations/${c.id}/messages`, {
      method: 'POST', body: JSON.stringify({ text }),
    });
    assert.equal(r.status, 200);
  }
});

async function newPage(t) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-chromium-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM, headless: true, args: ARGS, viewport: DESKTOP, locale: 'zh-CN',
  });
  t.after(async () => {
    await context.close().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  });
  const page = context.pages()[0] ?? await context.newPage();
  page.setDefaultTimeout(20_000);
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  // HTTP errors of fetch() are logged by Chromium as "Failed to load resource"; the page handles
  // those itself (the 401 of /auth/me before signing in). Anything else is a script error.
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) page.errors.push(m.text());
  });
  return page;
}

async function signIn(page, { user, pass }) {
  await page.goto(`${BASE}/dashboard.html?lang=zh`);
  await page.locator('#login-form').waitFor({ state: 'visible' });
  await page.locator('#login-user').fill(user);
  await page.locator('#login-pass').fill(pass);
  await page.locator('#login-submit').click();
}

test('an agent is told the dashboard needs a supervisor', { timeout: TIMEOUT }, async (t) => {
  if (!AGENT.user) return t.skip('no agent account');
  const page = await newPage(t);
  await signIn(page, AGENT);
  await page.locator('#login-error').waitFor({ state: 'visible' });
  assert.match(await page.locator('#login-error').innerText(), /主管/);
  assert.equal(await page.locator('#app').isVisible(), false);
  assert.deepEqual(page.errors, []);
});

test('a supervisor sees KPIs and charts, in Chinese and in English', { timeout: TIMEOUT }, async (t) => {
  const page = await newPage(t);
  await signIn(page, SUPERVISOR);
  await page.locator('#app').waitFor({ state: 'visible' });
  await page.waitForFunction(() => document.body.dataset.ready === '1');

  // the tiles have numbers; today's conversations are counted
  const conversations = await page.locator('#tile-conversations .tile-value').innerText();
  assert.ok(Number.parseInt(conversations.replace(/\D/g, ''), 10) >= 3, `conversations tile: ${conversations}`);
  assert.match(await page.locator('#tile-containment .tile-value').innerText(), /%$/);

  // charts are drawn on canvases (ECharts); the ones with data for sure
  for (const id of ['chart-kpis', 'chart-intents', 'chart-churn']) {
    await page.locator(`#${id} canvas`).first().waitFor({ state: 'attached' });
  }
  const canvases = await page.locator('.chart canvas').count();
  assert.ok(canvases >= 4, `${canvases} charts drawn`);
  // every other card shows a chart or says why not
  for (const box of await page.locator('.chart').all()) {
    const drawn = await box.locator('canvas').count();
    const note = await box.locator('.placeholder').count();
    assert.ok(drawn + note > 0, `${await box.getAttribute('id')} is empty`);
  }
  assert.ok(await page.locator('#riskiest tbody tr').count() >= 1, 'the riskiest customers table');
  assert.equal(await page.locator('.card h2').first().innerText(), 'KPI 趋势');
  await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-zh.png'), fullPage: true });

  // zh → en: every label follows, charts are drawn again
  await page.locator('#app .lang-toggle').click();
  await page.waitForFunction(() => document.documentElement.lang === 'en');
  assert.equal(await page.locator('.card h2').first().innerText(), 'KPIs over time');
  assert.equal(await page.locator('#tile-csat .tile-label').innerText(), 'CSAT');
  assert.equal(await page.locator('#app .lang-toggle').innerText(), '中文');
  await page.locator('#chart-kpis canvas').first().waitFor({ state: 'attached' });
  await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-en.png'), fullPage: true });

  // the choice is kept for the next visit (no ?lang=)
  await page.goto(`${BASE}/dashboard.html`);
  await page.waitForFunction(() => document.body.dataset.ready === '1');
  assert.equal(await page.locator('#tile-csat .tile-label').innerText(), 'CSAT');
  assert.equal(await page.locator('.card h2').first().innerText(), 'KPIs over time');
  assert.deepEqual(page.errors, []);
});
