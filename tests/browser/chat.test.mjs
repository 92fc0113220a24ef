// Browser tests for the kefu customer chat page (web/): headless Debian Chromium driven by playwright-core,
// against a running kefu server. Run: KEFU_URL=http://127.0.0.1:PORT node --test  (screenshots go to
// $KEFU_ARTIFACTS, default ./artifacts).
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
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const TIMEOUT = 60_000;

before(async () => {
  assert.ok(BASE, 'set KEFU_URL to the base URL of a running kefu server, e.g. http://127.0.0.1:8080');
  await mkdir(ARTIFACTS, { recursive: true });
});

// Opens the chat page in a fresh browser profile (so localStorage starts empty) and waits for the greeting.
async function openChat(t, query, viewport = DESKTOP) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-chromium-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM, headless: true, args: ARGS, viewport,
  });
  t.after(async () => {
    await context.close().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  });
  const page = context.pages()[0] ?? await context.newPage();
  page.setDefaultTimeout(15_000);
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  page.started = []; // bodies of the POST /api/v1/conversations the page sent
  page.on('request', (r) => {
    if (r.method() === 'POST' && new URL(r.url()).pathname === '/api/v1/conversations') page.started.push(r.postDataJSON());
  });
  await page.goto(`${BASE}/${query}`);
  await page.locator('#kefu-panel').waitFor({ state: 'visible' });
  await page.locator('.msg-bot').first().waitFor();
  return page;
}

// Types `text`, sends it (Enter or the send button) and returns the first bot reply that follows.
async function ask(page, text, { via = 'button' } = {}) {
  const bots = await page.locator('.msg-bot').count();
  await page.locator('#kefu-input').fill(text);
  if (via === 'enter') await page.locator('#kefu-input').press('Enter');
  else await page.locator('#kefu-send').click();
  await page.waitForFunction((n) => document.querySelectorAll('.msg-bot').length > n, bots);
  return page.locator('.msg-bot').nth(bots);
}

async function settle(page) { // no request in flight: typing indicator gone
  await page.locator('#kefu-typing').waitFor({ state: 'hidden' });
}

async function shot(page, name) {
  await settle(page);
  await page.screenshot({ path: path.join(ARTIFACTS, name) });
}

test('zh: greeting, then a FAQ answer about return shipping', { timeout: TIMEOUT }, async (t) => {
  const page = await openChat(t, '?lang=zh');
  assert.ok((await page.locator('.msg-bot').first().innerText()).trim(), 'greeting has text');
  assert.equal(await page.locator('#kefu-send').isDisabled(), true, 'send is disabled while the input is empty');

  const reply = await ask(page, '退货运费谁出?', { via: 'enter' });
  const faq = page.locator('.msg-bot[data-faq-id="returns.return_shipping_fee"]');
  await faq.waitFor();
  assert.ok((await faq.innerText()).trim().length > 0, 'the answer has text');
  assert.equal(await reply.getAttribute('data-kind'), 'faq');
  assert.equal(await page.locator('.msg-customer').last().locator('.bubble').innerText(), '退货运费谁出?');
  assert.equal(await page.locator('#kefu-input').inputValue(), '', 'the input is cleared after sending');
  await shot(page, 'chat-zh.png');
  assert.deepEqual(page.errors, []);
});

test('en on a phone: delivery time answer, panel fills the screen', { timeout: TIMEOUT }, async (t) => {
  const page = await openChat(t, '?lang=en', PHONE);
  await ask(page, 'how long does delivery take');
  const faq = page.locator('.msg-bot[data-faq-id="shipping.delivery_time"]');
  await faq.waitFor();
  assert.ok((await faq.innerText()).trim().length > 0);

  const box = await page.locator('#kefu-panel').boundingBox();
  assert.ok(box.x <= 0.5 && box.x + box.width >= PHONE.width - 0.5, `panel covers the width: ${JSON.stringify(box)}`);
  assert.ok(box.y <= 0.5 && box.y + box.height >= PHONE.height - 0.5, `panel covers the height: ${JSON.stringify(box)}`);
  await shot(page, 'chat-en-mobile.png');
  assert.deepEqual(page.errors, []);
});

test('nonsense gets not_sure with quick replies; the handoff button hands off', { timeout: TIMEOUT }, async (t) => {
  const page = await openChat(t, '?lang=en');
  const reply = await ask(page, 'qwzx plorb vanta');
  assert.equal(await reply.getAttribute('data-kind'), 'not_sure');
  const buttons = page.locator('.quick-reply');
  assert.ok(await buttons.count() >= 1, 'at least one quick reply');
  await shot(page, 'chat-not-sure.png');

  assert.ok((await buttons.last().innerText()).trim(), 'the handoff button has a title');
  await buttons.last().click();
  await page.locator('.msg-bot[data-kind="handoff"]').waitFor();
  assert.equal(await page.locator('.msg-customer').count(), 2, 'the quick reply was sent as a customer message');
  await shot(page, 'chat-handoff.png');
  assert.deepEqual(page.errors, []);
});

test('reload keeps the conversation history', { timeout: TIMEOUT }, async (t) => {
  const page = await openChat(t, '?lang=en');
  const text = `how long does delivery take to Shanghai? (${Date.now()})`;
  await ask(page, text);
  await settle(page);
  const id = await page.evaluate(() => localStorage.getItem('kefu.conversation'));
  assert.match(id ?? '', /\S/, 'the conversation id is stored');

  await page.reload();
  await page.locator('.msg-customer .bubble', { hasText: text }).waitFor();
  assert.equal(await page.evaluate(() => localStorage.getItem('kefu.conversation')), id, 'same conversation');
  assert.ok(await page.locator('.msg-bot').count() >= 2, 'greeting and reply are back too');

  // "New conversation" forgets it and starts over.
  await page.locator('#kefu-new').click();
  await page.waitForFunction((old) => {
    const now = localStorage.getItem('kefu.conversation');
    return now && now !== old;
  }, id);
  await page.locator('.msg-bot').first().waitFor();
  assert.equal(await page.locator('.msg-customer').count(), 0, 'the new conversation is empty');
  assert.deepEqual(page.errors, []);
});

test('the language toggle switches the UI and the language sent to the API', { timeout: TIMEOUT }, async (t) => {
  const page = await openChat(t, '?lang=zh');
  const input = page.locator('#kefu-input');
  const zhPlaceholder = await input.getAttribute('placeholder');
  assert.match(zhPlaceholder, /[\u4e00-\u9fff]/, 'a Chinese placeholder');
  assert.match(await page.locator('#kefu-panel').innerText(), /在线客服/);

  await page.locator('#kefu-lang').click();
  const enPlaceholder = await input.getAttribute('placeholder');
  assert.notEqual(enPlaceholder, zhPlaceholder);
  assert.doesNotMatch(enPlaceholder, /[\u4e00-\u9fff]/, 'an English placeholder');
  assert.match(await page.locator('#kefu-panel').innerText(), /Online support/);
  assert.match(await page.evaluate(() => document.documentElement.lang), /^en/);

  const request = page.waitForRequest((r) => r.method() === 'POST' && /\/messages$/.test(new URL(r.url()).pathname));
  await ask(page, 'how long does delivery take');
  assert.equal((await request).postDataJSON().lang, 'en');
  await shot(page, 'chat-en-desktop.png');

  await page.locator('#kefu-lang').click();
  assert.equal(await input.getAttribute('placeholder'), zhPlaceholder, 'back to Chinese');
  assert.deepEqual(page.errors, []);
});

test('a failed send shows the server error and a retry, and keeps the text', { timeout: TIMEOUT }, async (t) => {
  const page = await openChat(t, '?lang=en');
  const input = page.locator('#kefu-input');

  // Shift+Enter is a newline, not a send.
  await input.fill('line one');
  await input.press('Shift+Enter');
  await input.pressSequentially('line two');
  assert.equal(await input.inputValue(), 'line one\nline two');
  assert.equal(await page.locator('.msg-customer').count(), 0);

  // The server answers with an error: the text is kept and rendered as text, not HTML.
  const text = '<b>bold?</b> <img src=x onerror="window.pwned=1">\nsecond line';
  await page.route('**/api/v1/conversations/*/messages', (route) => route.fulfill({
    status: 503, contentType: 'application/json',
    body: JSON.stringify({ error: { code: 'unavailable', message: 'store is down (test)' } }),
  }));
  await input.fill(text);
  await page.locator('#kefu-send').click();
  const error = page.locator('.msg-error');
  await error.waitFor();
  assert.match(await error.innerText(), /store is down \(test\)/);
  assert.equal(await page.locator('.msg-customer .bubble').last().textContent(), text);
  assert.equal(await page.locator('#kefu-messages b, #kefu-messages img').count(), 0, 'server/customer text is not HTML');
  await shot(page, 'chat-error.png');

  // Retry once the server is back.
  await page.unroute('**/api/v1/conversations/*/messages');
  const bots = await page.locator('.msg-bot').count();
  await error.locator('button').click();
  await page.waitForFunction((n) => document.querySelectorAll('.msg-bot').length > n, bots);
  assert.equal(await error.count(), 0, 'the error line is gone');
  assert.equal(await page.locator('.msg-customer').count(), 1, 'the retry did not duplicate the message');
  assert.equal(await page.evaluate(() => window.pwned), undefined);
  assert.deepEqual(page.errors, []);
});

// Needs the demo data (run.sh seeds it; docs/demo-data.md): demo-customer-1's fixed orders.
test('zh as demo-customer-1: order card, product recommendations, quick replies of ask and confirm',
  { timeout: 2 * TIMEOUT }, async (t) => {
    const page = await openChat(t, '?customer=demo-customer-1&lang=zh', PHONE);
    assert.deepEqual(page.started, [{ lang: 'zh', channel: 'web', customer: { external_id: 'demo-customer-1' } }]);
    assert.ok(await page.evaluate(() => localStorage.getItem('kefu.conversation.customer.demo-customer-1')),
      'the customer\'s conversation is stored apart from the anonymous one');

    // Cancel (first: later the conversation knows an order number and would not ask): the bot asks which
    // order and offers the customer's recent orders as quick replies (ask), then yes/no (confirm); "no"
    // leaves the order alone.
    const which = await ask(page, '我要取消订单');
    assert.equal(await which.getAttribute('data-kind'), 'ask');
    const pick = page.locator('.quick-reply', { hasText: 'DS20261101004' });
    await pick.waitFor();
    let bots = await page.locator('.msg-bot').count();
    await pick.click();
    await page.waitForFunction((n) => document.querySelectorAll('.msg-bot').length > n, bots);
    assert.equal(await page.locator('.msg-customer .bubble').last().innerText(), 'DS20261101004', 'the quick reply was sent');
    const confirm = page.locator('.msg-bot').nth(bots);
    assert.equal(await confirm.getAttribute('data-kind'), 'confirm');
    assert.match(await confirm.innerText(), /DS20261101004/);
    const answers = page.locator('.quick-reply');
    assert.equal(await answers.count(), 2, 'yes and no');
    await shot(page, 'chat-confirm.png');
    const no = answers.last();
    const noText = (await no.innerText()).trim();
    bots = await page.locator('.msg-bot').count();
    await no.click();
    await page.waitForFunction((n) => document.querySelectorAll('.msg-bot').length > n, bots);
    assert.equal(await page.locator('.msg-customer .bubble').last().innerText(), noText);
    assert.match(await page.locator('.msg-bot').nth(bots).innerText(), /DS20261101004/);
    assert.equal(await page.locator('.quick-reply').count(), 0, 'the used quick replies are gone');

    // Order status: an order card with items, total, carrier, tracking number and the ETA the reply names.
    const orderMsg = await ask(page, 'DS20261101001到哪了');
    const order = orderMsg.locator('.card[data-card="order"]');
    await order.waitFor();
    assert.equal(await order.locator('.card-no').innerText(), 'DS20261101001');
    assert.equal(await order.locator('.badge').getAttribute('data-status'), 'shipped');
    assert.equal(await order.locator('.card-tracking').innerText(), 'SF100000000001');
    assert.equal(await order.locator('.card-carrier').innerText(), '顺丰');
    assert.equal(await order.locator('.card-item').count(), 2, 'phone + phone case');
    assert.match(await order.locator('.card-item').first().innerText(), /×1[\s\S]*¥[\d,]+/);
    assert.match(await order.locator('.card-total-value').innerText(), /^¥[\d,.]+$/);
    const eta = order.locator('time[data-format="day"]');
    assert.match(await eta.innerText(), /^\d{4}年\d{1,2}月\d{1,2}日$/);
    // the card's day is the day the text promises (the shop's zone, not the browser's)
    const said = (await orderMsg.locator('.bubble').innerText()).match(/预计 (\d{4}-\d{2}-\d{2}) 送达/);
    assert.ok(said, 'the reply names the expected day');
    assert.equal(await eta.getAttribute('datetime'), said[1]);
    const [, y, m, d] = said[1].match(/^(\d{4})-(\d{2})-(\d{2})$/);
    assert.equal(await eta.innerText(), `${y}年${Number(m)}月${Number(d)}日`);
    await shot(page, 'chat-card-order.png');

    // Recommendation: the bot asks budget and features (with a quick reply each), then 3 product cards.
    const budget = await ask(page, '帮我挑个手机');
    assert.equal(await budget.getAttribute('data-kind'), 'ask');
    await page.locator('.quick-reply', { hasText: '没有要求' }).waitFor();
    const features = await ask(page, '5000以内');
    assert.equal(await features.getAttribute('data-kind'), 'ask');
    const products = (await ask(page, '快充')).locator('.card[data-card="products"]');
    await products.waitFor();
    const items = products.locator('.card[data-card="product"]');
    assert.equal(await items.count(), 3);
    for (let i = 0; i < 3; i++) {
      const item = items.nth(i);
      assert.ok((await item.locator('.product-name').innerText()).trim(), 'a name');
      assert.match(await item.locator('.product-price').innerText(), /^¥[\d,.]+$/);
      assert.ok(Number((await item.locator('.product-price').innerText()).replace(/[¥,]/g, '')) <= 5000, 'in budget');
      assert.ok(await item.locator('.stock').count() === 1, 'stock line');
      assert.ok(await item.locator('.chip', { hasText: '快充' }).count() === 1, 'a fast-charging chip');
      assert.ok((await item.locator('.product-reasons').innerText()).trim(), 'a reasons line');
    }
    await shot(page, 'chat-card-products.png');

    // A recommended product reports its first click to the recommendation log (the report counts it once).
    // the report is a supervisor's (run.sh makes the account)
    const login = await fetch(`${BASE}/api/v1/auth/login`, {
        method: 'POST', headers: {'Content-Type': 'application/json'},
        body: JSON.stringify({username: process.env.KEFU_SUPERVISOR_USER, password: process.env.KEFU_SUPERVISOR_PASS})});
    assert.equal(login.status, 200);
    const {token} = await login.json();
    const report = async () => (await (await fetch(`${BASE}/api/v1/reports/recommendations`,
        {headers: {Authorization: `Bearer ${token}`}})).json()).total;
    const before = await report();
    const first = items.nth(0);
    assert.match(await first.getAttribute('data-rec-id'), /^[1-9]\d*$/);
    await first.click();
    await page.locator('.card[data-card="products"] .card[data-card="product"].clicked').waitFor();
    await first.click(); // a second click is not a second report
    for (let i = 0; i < 50 && (await report()).clicks === before.clicks; i++) await page.waitForTimeout(100);
    const after = await report();
    assert.equal(after.clicks, before.clicks + 1);
    assert.equal(after.impressions, before.impressions);

    // Cards are kept with the history and come back after a reload.
    await settle(page);
    await page.reload();
    await page.locator('.card[data-card="order"] .card-tracking', { hasText: 'SF100000000001' }).waitFor();
    assert.equal(await page.locator('.card[data-card="products"] .card[data-card="product"]').count(), 3);
    assert.equal(page.started.length, 1, 'the reload resumed the conversation');
    assert.deepEqual(page.errors, []);
  });

test('cards are built from text: markup in card fields is not HTML', { timeout: TIMEOUT }, async (t) => {
  const page = await openChat(t, '?lang=en');
  const evil = '<img src=x onerror="window.pwned=1"><b>x</b>';
  await page.route('**/api/v1/conversations/*/messages', (route) => route.fulfill({
    status: 200, contentType: 'application/json',
    body: JSON.stringify({
      conversation_id: 'x', message: { id: 1, role: 'customer', text: 'hi', created_at: new Date().toISOString() },
      replies: [{
        id: 2, role: 'bot', text: evil, created_at: new Date().toISOString(),
        meta: { kind: 'action', card: { type: 'ticket', id: evil, subject: evil, status: evil, priority: evil, due: evil } },
      }, {
        id: 3, role: 'bot', text: 'p', created_at: new Date().toISOString(),
        meta: { kind: 'action', card: { type: 'products', items: [
          { type: 'product', sku: evil, name: evil, price: evil, stock: 0, attributes: [evil, 'waterproof'], reasons: evil }] } },
      }],
    }),
  }));
  await ask(page, 'hi');
  const ticket = page.locator('.card[data-card="ticket"]');
  await ticket.waitFor();
  assert.equal(await ticket.locator('.ticket-subject').textContent(), evil);
  const product = page.locator('.card[data-card="product"]');
  await product.waitFor();
  assert.equal(await product.locator('.product-name').textContent(), evil);
  assert.equal(await product.locator('.stock').textContent(), 'Out of stock');
  assert.deepEqual(await product.locator('.chip').allTextContents(), [evil, 'waterproof']);
  assert.equal(await page.locator('#kefu-messages b, #kefu-messages img').count(), 0, 'no markup from card fields');
  assert.equal(await page.evaluate(() => window.pwned), undefined);
  assert.deepEqual(page.errors, []);
});
