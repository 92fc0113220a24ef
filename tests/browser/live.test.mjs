// Browser tests for live chat in the customer widget (web/chat.js, docs/api.md "Live events"): replies pushed
// over the WebSocket, the polling fallback (?transport=poll), handoff status, and — when the run has an
// agent account (KEFU_AGENT_USER / KEFU_AGENT_PASS, made by run.sh) — an agent taking over, typing, replying live, and
// closing, which brings up the rating prompt; writing again then starts a new conversation. Run: KEFU_URL=http://127.0.0.1:PORT node --test live.test.mjs
// (screenshots go to $KEFU_ARTIFACTS, default ./artifacts).
//
// "Live" is proven by holding back the reply of POST .../messages (page.route): the bot's answer can then
// only reach the page through the socket or a poll, and when the held reply is let through nothing is shown
// twice.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const BASE = (process.env.KEFU_URL || '').replace(/\/+$/, '');
const ARTIFACTS = path.resolve(process.env.KEFU_ARTIFACTS || './artifacts');
const AGENT_USER = process.env.KEFU_AGENT_USER || '';
const AGENT_PASSWORD = process.env.KEFU_AGENT_PASS || '';
const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const TIMEOUT = 60_000;

before(async () => {
  assert.ok(BASE, 'set KEFU_URL to the base URL of a running kefu server, e.g. http://127.0.0.1:8080');
  await mkdir(ARTIFACTS, { recursive: true });
});

// A fresh browser profile on the widget; waits for the greeting and the live transport to be up.
async function openChat(t, query, transport, { beforeGoto } = {}) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-chromium-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1280, height: 800 },
  });
  t.after(async () => {
    await context.close().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  });
  const page = context.pages()[0] ?? await context.newPage();
  page.setDefaultTimeout(15_000);
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  page.sockets = [];
  page.on('websocket', (ws) => page.sockets.push(ws.url()));
  if (beforeGoto) await beforeGoto(context);
  await page.goto(`${BASE}/${query}`);
  await page.locator('.msg-bot').first().waitFor();
  await page.locator(`#kefu-panel[data-transport="${transport}"]`).waitFor();
  return page;
}

// Holds back the replies of POST .../messages until release() (the request itself reaches the server).
async function holdPosts(page) {
  let release;
  const gate = new Promise((r) => { release = r; });
  await page.route('**/api/v1/conversations/*/messages', async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    const response = await route.fetch();
    await gate;
    await route.fulfill({ response });
  });
  return release;
}

// Sends text; waits until a new bot message with an id is shown while the POST reply is still held.
async function askHeld(page, text) {
  const release = await holdPosts(page);
  const before = await page.locator('.msg-bot[data-id]').count();
  await page.locator('#kefu-input').fill(text);
  await page.locator('#kefu-send').click();
  await page.waitForFunction((n) => document.querySelectorAll('.msg-bot[data-id]').length > n, before);
  // the customer's own bubble was confirmed by the pushed copy: it has the stored id
  await page.locator('.msg-customer[data-id]').last().waitFor();
  release();
  await page.locator('#kefu-typing').waitFor({ state: 'hidden' });
  await page.unroute('**/api/v1/conversations/*/messages');
  return page.locator('.msg-bot[data-id]').nth(before);
}

async function noDuplicates(page) {
  const ids = await page.locator('.msg[data-id]').evaluateAll((ns) => ns.map((n) => n.dataset.id));
  assert.equal(new Set(ids).size, ids.length, `a message is shown twice: ${ids.join(',')}`);
}

test('ws: the answer is pushed over the WebSocket before the POST reply returns', { timeout: TIMEOUT }, async (t) => {
  const page = await openChat(t, '?lang=en', 'ws');
  assert.equal(page.sockets.length, 1);
  assert.match(page.sockets[0], /^ws:\/\/.*\/api\/v1\/conversations\/[0-9a-f]{32}\/ws$/);
  const reply = await askHeld(page, 'How long does a refund take?');
  assert.ok((await reply.locator('.bubble').innerText()).trim(), 'the pushed answer has text');
  await noDuplicates(page);
  assert.equal(await page.locator('.msg-customer.msg-pending').count(), 0);
  await page.screenshot({ path: path.join(ARTIFACTS, 'live-ws.png') });
  assert.deepEqual(page.errors, []);
});

test('poll: with ?transport=poll the answer comes by polling, no socket', { timeout: TIMEOUT }, async (t) => {
  const page = await openChat(t, '?lang=zh&transport=poll', 'poll');
  const reply = await askHeld(page, '退货运费谁出?');
  assert.ok((await reply.locator('.bubble').innerText()).trim());
  await noDuplicates(page);
  assert.deepEqual(page.sockets, [], 'no WebSocket was opened');
  await page.screenshot({ path: path.join(ARTIFACTS, 'live-poll.png') });
  assert.deepEqual(page.errors, []);
});

test('fallback: a socket that never says hello → polling', { timeout: TIMEOUT }, async (t) => {
  // the page's socket opens but is closed at once, before the server's hello
  const page = await openChat(t, '?lang=en', 'poll', {
    beforeGoto: (context) => context.routeWebSocket(/\/ws$/, (ws) => ws.close()),
  });
  const reply = await askHeld(page, 'How long does a refund take?');
  assert.ok((await reply.locator('.bubble').innerText()).trim());
  await noDuplicates(page);
  assert.deepEqual(page.errors, []);
});

test('reconnect: a dropped socket comes back and catches up on what it missed', { timeout: TIMEOUT }, async (t) => {
  let sockets = 0;
  let drop;
  const dropped = new Promise((r) => { drop = r; });
  const page = await openChat(t, '?lang=en', 'ws', {
    beforeGoto: (context) => context.routeWebSocket(/\/ws$/, (ws) => {
      sockets++;
      ws.connectToServer();
      if (sockets === 1) drop(() => ws.close());
    }),
  });
  const id = await page.evaluate(() => localStorage.getItem('kefu.conversation'));
  (await dropped)();
  await page.locator('#kefu-panel[data-transport="connecting"]').waitFor();
  // said elsewhere (another tab) while this page has no socket
  const res = await fetch(`${BASE}/api/v1/conversations/${id}/messages`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ text: 'How long does a refund take?' }),
  });
  assert.equal(res.status, 200);
  const { message, replies } = await res.json();
  await page.locator('#kefu-panel[data-transport="ws"]').waitFor();
  await page.locator(`.msg-customer[data-id="${message.id}"]`).waitFor();
  await page.locator(`.msg-bot[data-id="${replies[0].id}"]`).waitFor();
  assert.equal(sockets, 2);
  await noDuplicates(page);
  assert.deepEqual(page.errors, []);
});

test('handoff: the status line is pushed, and the widget resumes the same conversation', { timeout: TIMEOUT }, async (t) => {
  const page = await openChat(t, '?lang=en', 'ws');
  await askHeld(page, 'Talk to a human');
  await page.locator('#kefu-panel[data-status="handoff"]').waitFor();
  const line = page.locator('.msg-system').last();
  assert.match(await line.innerText(), /human agent/i);
  await page.reload();
  await page.locator('#kefu-panel[data-transport="ws"]').waitFor();
  await page.locator('#kefu-panel[data-status="handoff"]').waitFor();
  await noDuplicates(page);
  assert.deepEqual(page.errors, []);
});

// The agent's side, over the HTTP API with a signed-in agent's token.
async function agentApi(token, method, p, body) {
  const res = await fetch(`${BASE}/api/v1${p}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${p}: HTTP ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

for (const transport of ['ws', 'poll']) {
  test(`agent (${transport}): takeover, typing, a live reply, notes stay hidden, close → rating`,
    { timeout: TIMEOUT },
    async (t) => {
      assert.ok(AGENT_USER && AGENT_PASSWORD, 'run.sh exports KEFU_AGENT_USER and KEFU_AGENT_PASS');
      const login = await fetch(`${BASE}/api/v1/auth/login`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ username: AGENT_USER, password: AGENT_PASSWORD }),
      });
      assert.equal(login.status, 200);
      const { token } = await login.json();
      const page = await openChat(t, `?lang=zh${transport === 'poll' ? '&transport=poll' : ''}`, transport);
      await askHeld(page, '转人工');
      const id = await page.evaluate(() => localStorage.getItem('kefu.conversation'));
      assert.match(id, /^[0-9a-f]{32}$/);

      await agentApi(token, 'POST', `/conversations/${id}/takeover`, {});
      if (transport === 'ws') { // typing reaches a socket only (a polling widget does not see it)
        await agentApi(token, 'POST', `/conversations/${id}/typing`, { on: true });
        await page.locator('#kefu-typing').waitFor({ state: 'visible' });
      }
      await agentApi(token, 'POST', `/conversations/${id}/notes`, { text: 'VIP: be extra kind' });
      await agentApi(token, 'POST', `/conversations/${id}/reply`, { text: '您好，我是人工客服小王，请问有什么可以帮您？' });
      const agent = page.locator('.msg-agent');
      await agent.waitFor();
      assert.match(await agent.locator('.agent-label').innerText(), /人工客服/);
      assert.match(await agent.locator('.bubble').innerText(), /小王/);
      await page.locator('#kefu-typing').waitFor({ state: 'hidden' });
      assert.equal(await page.getByText('VIP: be extra kind').count(), 0, 'an internal note reached the customer');
      await page.screenshot({ path: path.join(ARTIFACTS, `live-agent-${transport}.png`) });

      await agentApi(token, 'POST', `/conversations/${id}/close`, { resolution: 'resolved' });
      await page.locator('#kefu-panel[data-status="closed"]').waitFor();
      const csat = page.locator('.csat');
      await csat.waitFor();
      await csat.locator('.csat-star[data-score="4"]').click();
      assert.equal(await csat.locator('.csat-star.on').count(), 4);
      await csat.locator('.csat-comment').fill('很快解决了');
      await csat.locator('.csat-send').click();
      await page.locator('.csat-done').waitFor();
      await page.screenshot({ path: path.join(ARTIFACTS, `live-csat-${transport}.png`) });
      await noDuplicates(page);

      // writing again after the close starts a new conversation, live again
      await askHeld(page, '运费怎么算?');
      const next = await page.evaluate(() => localStorage.getItem('kefu.conversation'));
      assert.match(next, /^[0-9a-f]{32}$/);
      assert.notEqual(next, id);
      await page.locator(`#kefu-panel[data-transport="${transport}"][data-status="open"]`).waitFor();
      assert.equal(await page.getByText('VIP: be extra kind').count(), 0);
      assert.deepEqual(page.errors, []);
    });
}
