// Browser tests for the agent console (web/console.html) together with the customer widget (web/index.html):
// headless Debian Chromium driven by playwright-core, against a running kefu server whose database has the
// staff accounts run.sh creates (KEFU_AGENT_USER/PASS, KEFU_AGENT2_USER/PASS, KEFU_SUPERVISOR_USER/PASS).
// Screenshots of both pages go to $KEFU_ARTIFACTS.
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
const DESKTOP = { width: 1440, height: 900 };
const TIMEOUT = 90_000;
const AGENT = { user: process.env.KEFU_AGENT_USER, pass: process.env.KEFU_AGENT_PASS };

before(async () => {
  assert.ok(BASE, 'set KEFU_URL to the base URL of a running kefu server');
  assert.ok(AGENT.user && AGENT.pass, 'set KEFU_AGENT_USER and KEFU_AGENT_PASS (run.sh creates the account)');
  await mkdir(ARTIFACTS, { recursive: true });
});

// A fresh browser profile (own cookies and localStorage) per page, closed after the test.
async function newPage(t, viewport = DESKTOP) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-chromium-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM, headless: true, args: ARGS, viewport, locale: 'zh-CN',
  });
  t.after(async () => {
    await context.close().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  });
  const page = context.pages()[0] ?? await context.newPage();
  page.setDefaultTimeout(20_000);
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  return page;
}

// The customer's widget as a known demo customer; returns the page and its conversation id.
async function openWidget(t, customer) {
  const page = await newPage(t, { width: 420, height: 820 });
  await page.goto(`${BASE}/?customer=${customer}&lang=zh`);
  await page.locator('#kefu-panel').waitFor({ state: 'visible' });
  await page.locator('.msg-bot').first().waitFor();
  const id = await page.evaluate((c) => localStorage.getItem(`kefu.conversation.customer.${c}`), customer);
  assert.match(id ?? '', /^[0-9a-f]{32}$/, 'the widget remembers its conversation');
  return { page, id };
}

async function customerSays(page, text) {
  const bots = await page.locator('.msg-bot').count();
  await page.locator('#kefu-input').fill(text);
  await page.locator('#kefu-send').click();
  await page.waitForFunction((n) => document.querySelectorAll('.msg-bot').length > n, bots);
}

async function openConsole(t, { user, pass } = AGENT) {
  const page = await newPage(t);
  await page.goto(`${BASE}/console.html?lang=zh`);
  await page.locator('#login-form').waitFor({ state: 'visible' });
  await page.locator('#login-user').fill(user);
  await page.locator('#login-pass').fill(pass);
  await page.locator('#login-submit').click();
  await page.locator('#app').waitFor({ state: 'visible' });
  return page;
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(ARTIFACTS, name) });
}

test('a customer asks for a human, an agent takes over and replies, the customer sees it live', { timeout: TIMEOUT }, async (t) => {
  const { page: widget, id } = await openWidget(t, 'console-live-1');
  await customerSays(widget, '转人工');
  await widget.locator('.msg-bot[data-kind="handoff"]').waitFor();
  await widget.evaluate(() => { window.__noReload = true; });

  const agent = await openConsole(t);
  const item = agent.locator(`.queue-item[data-id="${id}"]`);
  await item.waitFor();
  assert.equal(await item.getAttribute('data-reason'), 'customer_request');
  await item.click();
  await agent.locator('#conv-title').waitFor();
  // the transcript has the customer's request; the suggestions panel reads its intent
  await agent.locator('#transcript .msg-customer', { hasText: '转人工' }).waitFor();
  await agent.locator('#suggestions .intent-line').waitFor();

  await agent.locator('#btn-takeover').click();
  await agent.locator('#btn-takeover').waitFor({ state: 'hidden' });
  assert.match(await agent.locator('#conv-assignee').innerText(), /我/, 'the console shows the agent holds it');

  const reply = '您好，我是人工客服，您的问题我来处理。';
  await agent.locator('#reply-input').fill(reply);
  await agent.locator('#reply-input').press('Enter');
  await agent.locator('#transcript .msg-agent', { hasText: reply }).waitFor();
  assert.equal(await agent.locator('#reply-input').inputValue(), '', 'the box is cleared after sending');

  // the customer's page gets it without reloading
  await widget.locator('.msg-agent', { hasText: reply }).waitFor();
  assert.equal(await widget.evaluate(() => window.__noReload === true), true, 'the widget did not reload');
  await shot(agent, 'console-takeover.png');
  await shot(widget, 'widget-agent-reply.png');

  // while the agent holds it, the bot stays silent: the customer's next message reaches the console
  const bots = await widget.locator('.msg-bot:not(.msg-agent)').count();
  await widget.locator('#kefu-input').fill('好的，谢谢');
  await widget.locator('#kefu-send').click();
  await agent.locator('#transcript .msg-customer', { hasText: '好的，谢谢' }).waitFor();
  assert.equal(await widget.locator('.msg-bot:not(.msg-agent)').count(), bots, 'no bot reply while an agent holds it');
  assert.deepEqual(agent.errors, [], 'no script errors in the console');
  assert.deepEqual(widget.errors, [], 'no script errors in the widget');
});

test('canned responses, a note, and closing with a resolution', { timeout: TIMEOUT }, async (t) => {
  const { page: widget, id } = await openWidget(t, 'console-canned-1');
  await customerSays(widget, '我要找人工客服');

  const agent = await openConsole(t);
  await agent.locator(`.queue-item[data-id="${id}"]`).click();
  await agent.locator('#btn-takeover').click();
  await agent.locator('#btn-takeover').waitFor({ state: 'hidden' });

  // "/" + code picks a canned response
  await agent.locator('#reply-input').fill('/hi');
  await agent.locator('#canned-menu li[data-code="hi"]').waitFor();
  await agent.locator('#reply-input').press('Enter');
  const text = await agent.locator('#reply-input').inputValue();
  assert.match(text, /人工客服/, 'the canned text replaced "/hi"');
  await agent.locator('#reply-send').click();
  await widget.locator('.msg-agent', { hasText: text }).waitFor();

  // an internal note shows in the console, never in the widget
  await agent.locator('.tab[data-tab="notes"]').click();
  await agent.locator('#note-input').fill('客户第一次联系，语气平和');
  await agent.locator('#note-form button[type="submit"]').click();
  await agent.locator('#notes-list li', { hasText: '语气平和' }).waitFor();
  await agent.locator('#transcript .msg-note').waitFor();
  await agent.locator('.tab[data-tab="customer"]').click();
  await agent.locator('#profile .name').waitFor();
  await shot(agent, 'console-side-panel.png');

  await agent.locator('#close-resolution').selectOption('resolved');
  await agent.locator('#btn-close').click();
  await agent.locator('#conv-status.status-closed').waitFor();
  // the widget is told the conversation ended and asks for a rating
  await widget.locator('.csat').waitFor();
  assert.equal(await widget.locator('text=语气平和').count(), 0, 'the note never reaches the customer');
  await shot(widget, 'widget-closed-csat.png');
});
