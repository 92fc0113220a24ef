/* kefu chat widget: the customer side of the kefu HTTP API (docs/api.md), used by web/index.html.
   Plain JS, no framework, no build step. All UI strings are in STRINGS; server text is only ever
   rendered with textContent.
   Live events (docs/api.md "Live events"): once a conversation is started or resumed the widget opens
   ws(s)://HOST/api/v1/conversations/{id}/ws and renders what is pushed (agent replies, typing, handoff and
   closed status). A message can arrive twice (pushed, and in the POST reply or a poll): messages are
   deduplicated by id. When the socket cannot open, or drops and two reconnects fail, the widget polls
   GET .../messages?after=LAST every 2 s instead (?transport=poll forces that). */
(() => {
  'use strict';

  const API = '/api/v1';
  const STORE_CONV = 'kefu.conversation';
  const STORE_LANG = 'kefu.lang';
  const MAX_BYTES = 4000; // the API limit: 1..4000 bytes of UTF-8
  const POLL_MS = 2000;       // polling period when there is no socket
  const RECONNECTS = 2;       // failed reconnects before falling back to polling
  const TYPING_EVERY = 3000;  // "typing on" at most this often while the customer types
  const TYPING_IDLE = 4000;   // "typing off" after this long without a keystroke
  const AGENT_TYPING_MS = 8000; // hide the agent's typing indicator if no "off" comes
  // ?transport=poll: never open a socket (tests, and networks that break WebSockets)
  const FORCE_POLL = new URLSearchParams(location.search).get('transport') === 'poll';

  const STRINGS = {
    zh: {
      pageTitle: '演示商城 / Demo Shop',
      navProducts: '商品', navService: '服务',
      heroTitle: '好物直达，售后无忧',
      heroText: '订单、配送、退换货有疑问？在线客服随时为您解答。',
      heroCta: '咨询客服',
      product1: '无线降噪耳机', product2: '智能手表', product3: '快充充电宝', product4: '轻薄笔记本',
      feature1Title: '极速配送', feature1Text: '自营仓库发货，物流全程可查。',
      feature2Title: '轻松退换', feature2Text: '不满意？退换货流程简单透明。',
      feature3Title: '真人客服', feature3Text: '智能助手秒回，也可随时转人工。',
      footer: '演示商城 · kefu 客服系统演示',
      openChat: '联系客服',
      chatTitle: '演示商城',
      chatStatus: '在线客服',
      switchLang: '切换语言 / Switch language',
      newConversation: '新对话',
      minimize: '收起',
      loadEarlier: '查看更早的消息',
      typing: '客服正在输入…',
      inputPlaceholder: '请输入您的问题…',
      inputLabel: '消息',
      send: '发送',
      hint: 'Enter 发送，Shift + Enter 换行',
      tooLong: '消息过长，请精简到 4000 字节以内',
      retry: '重试',
      failed: '未发送',
      networkError: '网络连接失败，请检查网络后重试。',
      serverError: '服务暂时不可用',
      badReply: '服务器返回了无法识别的内容。',
      cardOrder: '订单', cardTotal: '合计', cardTracking: '物流', cardEta: '预计送达',
      cardRecommend: '为您推荐', inStock: '有货', outOfStock: '缺货',
      cardTicket: '工单', cardPriority: '优先级', cardDue: '处理时限',
      'ticket.open': '已受理', 'ticket.pending': '等待您回复', 'ticket.escalated': '已升级处理',
      'ticket.resolved': '已解决', 'ticket.closed': '已关闭',
      'priority.low': '低', 'priority.normal': '普通', 'priority.high': '高', 'priority.urgent': '紧急',
      agentLabel: '人工客服',
      'status.handoff': '正在为您转接人工客服，请稍候…',
      'status.open': '已转回智能助手为您服务',
      'status.closed': '本次对话已结束',
      csatTitle: '请为本次服务评分', csatComment: '还有什么想告诉我们的？（选填）', csatSubmit: '提交评价',
      csatThanks: '感谢您的评价！', csatAlready: '您已评价过本次对话，谢谢！', csatPick: '请先选择星级',
      csatStar: '星',
    },
    en: {
      pageTitle: 'Demo Shop / 演示商城',
      navProducts: 'Products', navService: 'Service',
      heroTitle: 'Good things, delivered.',
      heroText: 'Questions about an order, shipping or returns? Our support team is here for you.',
      heroCta: 'Chat with support',
      product1: 'Wireless earbuds', product2: 'Smart watch', product3: 'Power bank', product4: 'Ultrabook',
      feature1Title: 'Fast delivery', feature1Text: 'Shipped from our own warehouse, tracked all the way.',
      feature2Title: 'Easy returns', feature2Text: 'Not happy? Returns and exchanges are simple.',
      feature3Title: 'Real support', feature3Text: 'Instant answers from our assistant, or talk to a human.',
      footer: 'Demo Shop · a kefu customer-service demo',
      openChat: 'Chat with us',
      chatTitle: 'Demo Shop',
      chatStatus: 'Online support',
      switchLang: 'Switch language / 切换语言',
      newConversation: 'New conversation',
      minimize: 'Minimize',
      loadEarlier: 'Show earlier messages',
      typing: 'Support is typing…',
      inputPlaceholder: 'Type your question…',
      inputLabel: 'Message',
      send: 'Send',
      hint: 'Enter to send, Shift + Enter for a new line',
      tooLong: 'Message too long: keep it under 4000 bytes',
      retry: 'Retry',
      failed: 'Not sent',
      networkError: 'Network error. Please check your connection and try again.',
      serverError: 'The service is unavailable',
      badReply: 'The server sent a reply that could not be read.',
      cardOrder: 'Order', cardTotal: 'Total', cardTracking: 'Shipping', cardEta: 'Expected',
      cardRecommend: 'Recommended for you', inStock: 'In stock', outOfStock: 'Out of stock',
      cardTicket: 'Ticket', cardPriority: 'Priority', cardDue: 'Due',
      'ticket.open': 'Open', 'ticket.pending': 'Waiting for you', 'ticket.escalated': 'Escalated',
      'ticket.resolved': 'Resolved', 'ticket.closed': 'Closed',
      'priority.low': 'Low', 'priority.normal': 'Normal', 'priority.high': 'High', 'priority.urgent': 'Urgent',
      agentLabel: 'Agent',
      'status.handoff': 'Connecting you to a human agent, please wait…',
      'status.open': 'You are back with our assistant',
      'status.closed': 'This conversation has ended',
      csatTitle: 'How did we do?', csatComment: 'Anything else to tell us? (optional)', csatSubmit: 'Send rating',
      csatThanks: 'Thank you for your feedback!', csatAlready: 'You have already rated this conversation. Thank you!',
      csatPick: 'Pick a number of stars first', csatStar: 'stars',
    },
  };

  // ?customer=ID lets the page act as a known customer of the shop (a demo aid: after `kefu demo seed`, open
  // /?customer=demo-customer-1 to ask about that customer's orders). New conversations are then started with
  // {"channel": "web", "customer": {"external_id": ID}} (docs/api.md), which links them to the customer whose
  // web identity is ID, and the conversation is remembered apart from the anonymous one. The id is taken from
  // the URL as it is, so it is no proof of who the visitor is: a real shop puts the signed-in customer's id
  // there from its own server.
  const CUSTOMER = (() => {
    const id = (new URLSearchParams(location.search).get('customer') || '').trim();
    return id && new TextEncoder().encode(id).length <= 200 ? id : null; // the API takes 1..200 bytes
  })();
  const STORE_CONV_KEY = CUSTOMER ? `${STORE_CONV}.customer.${CUSTOMER}` : STORE_CONV;
  // the customer session of the conversation (customer_token of POST /conversations); kept for later use
  const STORE_TOKEN_KEY = `${STORE_CONV_KEY}.token`;

  const $ = (id) => document.getElementById(id);
  const els = {
    launcher: $('kefu-launcher'), panel: $('kefu-panel'), body: $('kefu-body'), log: $('kefu-messages'),
    earlier: $('kefu-earlier'), typing: $('kefu-typing'), form: $('kefu-form'), input: $('kefu-input'),
    send: $('kefu-send'), hint: $('kefu-hint'), lang: $('kefu-lang'), newBtn: $('kefu-new'), close: $('kefu-close'),
  };

  const state = {
    lang: initialLang(),
    convId: null,
    started: false,   // the conversation is started on first open
    starting: null,   // promise of a start in flight
    busy: false,      // a message is being sent
    typing: 0,        // how many requests want the typing indicator
    epoch: 0,         // bumped by "new conversation": late replies of the old one are dropped
    nextBefore: null, // history paging cursor
    seen: new Set(),  // ids of the messages shown (pushes, polls and POST replies overlap)
    lastId: 0,        // the newest message id seen: polls ask for what is after it
    status: null,     // open | handoff | closed
    agentTyping: false,
    csatShown: false,
    live: null,       // the live connection (see "live events" below)
  };

  /* ---------- helpers ---------- */

  function storageGet(key) { try { return localStorage.getItem(key); } catch { return null; } }
  function storageSet(key, value) {
    try { value == null ? localStorage.removeItem(key) : localStorage.setItem(key, value); } catch { /* private mode */ }
  }

  function initialLang() {
    const fromUrl = new URLSearchParams(location.search).get('lang');
    for (const l of [fromUrl, storageGet(STORE_LANG)]) if (l === 'zh' || l === 'en') return l;
    return /^zh/i.test(navigator.language || '') ? 'zh' : 'en';
  }

  const t = (key) => STRINGS[state.lang][key] ?? STRINGS.en[key] ?? key;
  const hasString = (key) => Object.hasOwn(STRINGS.en, key);
  const locale = () => (state.lang === 'zh' ? 'zh-CN' : 'en-US');

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = text;
    return node;
  }

  function utf8Length(s) { return new TextEncoder().encode(s).length; }

  function formatTime(iso) {
    const d = iso ? new Date(iso) : new Date();
    if (Number.isNaN(d.getTime())) return '';
    const opts = { hour: '2-digit', minute: '2-digit' };
    if (d.toDateString() !== new Date().toDateString()) Object.assign(opts, { month: 'short', day: 'numeric' });
    return d.toLocaleString(locale(), opts);
  }

  function formatDate(iso) { // a day in the local time zone: "2026年11月26日", "Nov 26, 2026"
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return '';
    return d.toLocaleDateString(locale(), { year: 'numeric', month: 'short', day: 'numeric' });
  }

  function formatMoney(v) { // cards carry prices as numbers (5499.0) or strings ("5898"); all in CNY
    const n = typeof v === 'number' ? v : (typeof v === 'string' && v.trim() ? Number(v) : NaN);
    if (!Number.isFinite(n)) return typeof v === 'string' ? `¥${v}` : '';
    const digits = Number.isInteger(n) ? 0 : 2;
    return `¥${n.toLocaleString(locale(), { minimumFractionDigits: digits, maximumFractionDigits: 2 })}`;
  }

  function scrollToEnd() { els.body.scrollTop = els.body.scrollHeight; }

  /* ---------- language ---------- */

  function applyLang() {
    document.documentElement.lang = state.lang === 'zh' ? 'zh-CN' : 'en';
    document.title = t('pageTitle');
    for (const n of document.querySelectorAll('[data-i18n]')) n.textContent = t(n.dataset.i18n);
    for (const n of document.querySelectorAll('[data-i18n-placeholder]')) n.placeholder = t(n.dataset.i18nPlaceholder);
    for (const n of document.querySelectorAll('[data-i18n-label]')) {
      n.title = t(n.dataset.i18nLabel);
      n.setAttribute('aria-label', t(n.dataset.i18nLabel));
    }
    for (const n of els.log.querySelectorAll('time')) {
      n.textContent = n.dataset.format === 'day' ? formatDate(`${n.dateTime}T12:00:00`)
        : n.dataset.format === 'date' ? formatDate(n.dateTime) : formatTime(n.dateTime);
    }
    els.lang.dataset.lang = state.lang; // chat.css highlights the active half of "中 / EN"
    updateComposer();
  }

  function toggleLang() {
    state.lang = state.lang === 'zh' ? 'en' : 'zh';
    storageSet(STORE_LANG, state.lang);
    const url = new URL(location.href);
    if (url.searchParams.has('lang')) { // keep ?lang= in step so a reload keeps the choice
      url.searchParams.set('lang', state.lang);
      history.replaceState(null, '', url);
    }
    applyLang();
  }

  /* ---------- API ---------- */

  class ApiError extends Error {
    constructor(message, status, code) { super(message); this.status = status; this.code = code; }
  }

  async function api(method, path, body) {
    let res;
    try {
      res = await fetch(API + path, {
        method,
        headers: body ? { 'Content-Type': 'application/json' } : {},
        body: body ? JSON.stringify(body) : undefined,
      });
    } catch {
      throw new ApiError(t('networkError'), 0, 'network');
    }
    let data = null;
    try { data = await res.json(); } catch { /* not JSON */ }
    if (!res.ok) {
      const msg = data?.error?.message || `${t('serverError')} (HTTP ${res.status})`;
      throw new ApiError(msg, res.status, data?.error?.code);
    }
    if (!data || typeof data !== 'object') throw new ApiError(t('badReply'), res.status, 'bad_reply');
    return data;
  }

  /* ---------- rendering ---------- */

  function renderMessage(m) {
    const customer = m.role === 'customer';
    if (m.role === 'system') return renderSystem(m.text ?? '', m.id);
    const node = el('div', `msg ${customer ? 'msg-customer' : 'msg-bot'}${m.role === 'agent' ? ' msg-agent' : ''}`);
    if (m.role === 'agent') node.append(label('span', 'agent-label', 'agentLabel'));
    node.dataset.role = m.role || '';
    node.dataset.kind = m.meta?.kind ?? '';
    if (m.meta?.faq_id) node.dataset.faqId = m.meta.faq_id;
    if (m.id != null) node.dataset.id = m.id;
    const time = el('time');
    setTime(node, m.created_at, time);
    const status = el('span', 'msg-status');
    status.dataset.i18n = 'failed';
    status.textContent = t('failed');
    node.append(el('div', 'bubble', m.text ?? ''));
    const card = customer ? null : renderCard(m.meta?.card);
    if (card) {
      node.classList.add('msg-has-card');
      node.append(card);
    }
    node.append(el('div', 'msg-meta'));
    node.lastChild.append(time, status);
    return node;
  }

  // A centred line: system messages of the conversation, and status changes (key of STRINGS).
  function renderSystem(text, id, key) {
    const node = el('div', 'msg msg-system');
    node.dataset.role = 'system';
    if (id != null) node.dataset.id = id;
    const span = el('span', 'system-text', key ? t(key) : text);
    if (key) span.dataset.i18n = key;
    node.append(span);
    return node;
  }

  function setTime(node, iso, time = node.querySelector('.msg-meta time')) {
    time.dateTime = iso || new Date().toISOString();
    time.textContent = formatTime(time.dateTime);
  }

  /* ---------- cards (meta.card of bot replies; shapes in docs/api.md) ----------
     Built with DOM calls and textContent only: card fields are server data. UI labels carry data-i18n so
     the language toggle relabels them; server text (names, status_text) stays in the reply's language. */

  const str = (v) => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

  function label(tag, className, key) {
    const node = el(tag, className, t(key));
    node.dataset.i18n = key;
    return node;
  }

  // A UI label for an enum value ("ticket.open"), or the value itself when there is none.
  function enumLabel(className, prefix, value) {
    const key = `${prefix}.${value}`;
    return hasString(key) ? label('span', className, key) : el('span', className, str(value));
  }

  function dateNode(ms) {
    const time = el('time');
    time.dataset.format = 'date';
    time.dateTime = new Date(ms).toISOString();
    time.textContent = formatDate(time.dateTime);
    return time;
  }

  function cardRow(key, ...values) {
    const row = el('div', 'card-row');
    row.append(label('span', 'card-label', key), ...values);
    return row;
  }

  function renderCard(card) {
    if (!card || typeof card !== 'object') return null;
    try {
      switch (card.type) {
        case 'order': return orderCard(card);
        case 'product': return productCard(card);
        case 'products': return productsCard(card);
        case 'ticket': return ticketCard(card);
        default: return null; // a card this widget does not know: the bubble's text says it all
      }
    } catch (e) {
      console.warn('kefu: card not shown', e);
      return null;
    }
  }

  function cardBox(type) {
    const box = el('div', `card card-${type}`);
    box.dataset.card = type;
    return box;
  }

  function orderCard(c) {
    const box = cardBox('order');
    const head = el('div', 'card-head');
    const title = el('div', 'card-title');
    title.append(label('span', 'card-kicker', 'cardOrder'), el('span', 'card-no', str(c.order_no)));
    const badge = el('span', 'badge', str(c.status_text) || str(c.status));
    badge.dataset.status = str(c.status);
    head.append(title, badge);
    box.append(head);

    const items = Array.isArray(c.items) ? c.items.filter((it) => it && typeof it === 'object') : [];
    if (items.length) {
      const list = el('ul', 'card-items');
      for (const it of items) {
        const li = el('li', 'card-item');
        li.append(el('span', 'item-name', str(it.name) || str(it.sku)),
          el('span', 'item-qty', `×${str(it.qty) || '1'}`), el('span', 'item-price', formatMoney(it.price)));
        list.append(li);
      }
      box.append(list);
    }
    if (c.total != null) {
      const total = cardRow('cardTotal', el('span', 'card-total-value', formatMoney(c.total)));
      total.classList.add('card-total');
      box.append(total);
    }
    const ship = c.shipment && typeof c.shipment === 'object' ? c.shipment : null;
    if (ship && (ship.carrier || ship.tracking_no)) {
      const value = el('span', 'card-value');
      if (ship.carrier) value.append(el('span', 'card-carrier', str(ship.carrier)));
      if (ship.tracking_no) value.append(el('span', 'card-tracking', str(ship.tracking_no)));
      const shipBox = el('div', 'card-ship');
      shipBox.append(cardRow('cardTracking', value));
      // like the reply's text: an ETA only while the parcel is on its way
      // the day as the shop gives it (eta_date, the shop's time zone, like the reply's text);
      // an older card has only the instant, shown in the browser's zone
      if (c.status === 'shipped' && typeof c.eta_date === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(c.eta_date)) {
        const time = el('time');
        time.dataset.format = 'day'; // a calendar day, not an instant
        time.dateTime = c.eta_date;
        time.textContent = formatDate(`${c.eta_date}T12:00:00`); // noon: the same day in any zone
        shipBox.append(cardRow('cardEta', time));
      } else if (c.status === 'shipped' && Number.isFinite(ship.eta) && ship.eta > 0) {
        shipBox.append(cardRow('cardEta', dateNode(ship.eta)));
      }
      box.append(shipBox);
    }
    return box;
  }

  function productCard(p) {
    const box = cardBox('product');
    if (p.sku) box.dataset.sku = str(p.sku);
    const head = el('div', 'card-head');
    head.append(el('span', 'product-name', str(p.name) || str(p.sku)), el('span', 'product-price', formatMoney(p.price)));
    box.append(head);
    if (typeof p.stock === 'number') {
      const inStock = p.stock > 0;
      const stock = label('span', `stock ${inStock ? 'stock-in' : 'stock-out'}`, inStock ? 'inStock' : 'outOfStock');
      box.append(stock);
    }
    // features: the attributes' names in the reply's language, from the server (the catalogue);
    // an older card has only attribute ids, shown with "_" read as a space
    const named = Array.isArray(p.features) ? p.features.filter((a) => typeof a === 'string' && a) : [];
    const attrs = named.length ? named
      : (Array.isArray(p.attributes) ? p.attributes.filter((a) => typeof a === 'string' && a) : [])
        .map((a) => a.replace(/_/g, ' '));
    if (attrs.length) {
      const chips = el('div', 'chips');
      for (const a of attrs) chips.append(el('span', 'chip', a));
      box.append(chips);
    }
    if (str(p.reasons)) box.append(el('p', 'product-reasons', str(p.reasons)));
    if (Number.isInteger(p.rec_id) && p.rec_id > 0) trackClick(box, p.rec_id);
    return box;
  }

  // A recommended product (one with the recommendation log's rec_id) reports its first click, so the shop's
  // recommendation report counts it (POST /api/v1/recommendations/{id}/click, docs/api.md).
  function trackClick(box, recId) {
    box.dataset.recId = String(recId);
    box.classList.add('card-clickable');
    box.tabIndex = 0;
    box.setAttribute('role', 'button');
    const report = () => {
      if (box.classList.contains('clicked')) return;
      box.classList.add('clicked');
      api('POST', `/recommendations/${recId}/click`, {}).catch(() => box.classList.remove('clicked'));
    };
    box.addEventListener('click', report);
    box.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') report(); });
  }

  function productsCard(c) {
    const items = Array.isArray(c.items) ? c.items.filter((p) => p && typeof p === 'object') : [];
    if (!items.length) return null;
    const box = cardBox('products');
    const list = el('ol', 'product-list');
    for (const p of items) {
      const li = el('li');
      li.append(productCard(p));
      list.append(li);
    }
    box.append(label('div', 'card-caption', 'cardRecommend'), list);
    return box;
  }

  function ticketCard(c) {
    const box = cardBox('ticket');
    const head = el('div', 'card-head');
    const title = el('div', 'card-title');
    title.append(label('span', 'card-kicker', 'cardTicket'), el('span', 'card-no', `#${str(c.id)}`));
    const badge = enumLabel('badge', 'ticket', str(c.status));
    badge.dataset.status = str(c.status);
    head.append(title, badge);
    box.append(head);
    if (str(c.subject)) box.append(el('p', 'ticket-subject', str(c.subject)));
    if (str(c.priority)) {
      const prio = enumLabel('card-value priority', 'priority', str(c.priority));
      prio.dataset.priority = str(c.priority);
      box.append(cardRow('cardPriority', prio));
    }
    if (str(c.due)) box.append(cardRow('cardDue', el('span', 'card-value', str(c.due))));
    return box;
  }

  function renderQuickReplies(list) {
    const box = el('div', 'quick-replies');
    for (const q of list) {
      if (!q || typeof q.text !== 'string' || !q.text) continue;
      const b = el('button', 'quick-reply', q.title || q.text);
      b.type = 'button';
      b.addEventListener('click', () => { if (!state.busy) deliver(q.text); });
      box.append(b);
    }
    return box;
  }

  // Remembers the ids of shown messages; false for one already shown.
  function markSeen(m) {
    if (m == null || m.id == null) return true;
    if (state.seen.has(m.id)) return false;
    state.seen.add(m.id);
    if (Number.isInteger(m.id) && m.id > state.lastId) state.lastId = m.id;
    return true;
  }

  // Inserts messages before any unsent customer message / error line, so they stay last.
  function addMessages(all, { withQuickReplies = true } = {}) {
    const list = all.filter((m) => m && typeof m === 'object' && markSeen(m));
    const anchor = els.log.querySelector('.msg-pending, .msg-failed, .msg-error');
    list.forEach((m, i) => {
      els.log.insertBefore(renderMessage(m), anchor);
      const last = i === list.length - 1;
      if (withQuickReplies && last && m.role !== 'customer' && Array.isArray(m.quick_replies) && m.quick_replies.length) {
        els.log.insertBefore(renderQuickReplies(m.quick_replies), anchor);
      }
    });
    scrollToEnd();
  }

  function removeQuickReplies() { for (const n of els.log.querySelectorAll('.quick-replies')) n.remove(); }

  function setTyping(delta) {
    state.typing = Math.max(0, state.typing + delta);
    els.typing.hidden = state.typing === 0 && !state.agentTyping;
    scrollToEnd();
  }

  function clearError() { for (const n of els.log.querySelectorAll('.msg-error')) n.remove(); }

  function showError(message, retry) {
    clearError();
    const line = el('div', 'msg-error');
    line.setAttribute('role', 'alert');
    const btn = el('button', 'retry', t('retry'));
    btn.type = 'button';
    btn.dataset.i18n = 'retry';
    btn.addEventListener('click', () => { clearError(); retry(); });
    line.append(el('span', 'msg-error-text', message), btn);
    els.log.append(line);
    scrollToEnd();
  }

  function updateComposer() {
    const text = els.input.value.trim();
    const tooLong = utf8Length(text) > MAX_BYTES;
    els.send.disabled = !text || tooLong || state.busy;
    els.hint.textContent = tooLong ? t('tooLong') : t('hint');
    els.hint.classList.toggle('warn', tooLong);
  }

  function autosize() {
    els.input.style.height = 'auto';
    els.input.style.height = `${Math.min(els.input.scrollHeight, 140)}px`;
  }

  /* ---------- conversation ---------- */

  function showHistory(conv) {
    state.nextBefore = conv.next_before ?? null;
    els.earlier.hidden = state.nextBefore == null;
    addMessages(Array.isArray(conv.messages) ? conv.messages : []);
    setStatus(conv.status, { announce: false });
  }

  // Resumes the stored conversation (GET) or creates a new one (POST). Shared by concurrent callers.
  function startConversation() {
    if (state.convId) return Promise.resolve();
    if (!state.starting) {
      const epoch = state.epoch;
      const p = (async () => {
        const stored = storageGet(STORE_CONV_KEY);
        if (stored) {
          try {
            const conv = await api('GET', `/conversations/${encodeURIComponent(stored)}?limit=50`);
            if (epoch !== state.epoch) return;
            state.convId = conv.id || stored;
            showHistory(conv);
            connectLive();
            return;
          } catch (e) {
            if (e.status !== 404 && e.status !== 400) throw e; // gone or invalid: start a new one
            storageSet(STORE_CONV_KEY, null);
          }
        }
        const body = { lang: state.lang, channel: 'web' };
        if (CUSTOMER) body.customer = { external_id: CUSTOMER }; // ?customer=ID, see CUSTOMER above
        const conv = await api('POST', '/conversations', body);
        if (epoch !== state.epoch) return;
        state.convId = conv.id;
        storageSet(STORE_CONV_KEY, conv.id);
        if (typeof conv.customer_token === 'string') storageSet(STORE_TOKEN_KEY, conv.customer_token);
        showHistory({ messages: conv.messages, status: conv.status });
        connectLive();
      })().finally(() => { if (state.starting === p) state.starting = null; });
      state.starting = p;
    }
    return state.starting;
  }

  async function init() {
    const epoch = state.epoch;
    setTyping(+1);
    try {
      await startConversation();
    } catch (e) {
      if (epoch === state.epoch) showError(e.message, init);
    } finally {
      if (epoch === state.epoch) setTyping(-1);
    }
  }

  async function loadEarlier() {
    if (!state.convId || state.nextBefore == null) return;
    els.earlier.disabled = true;
    try {
      const conv = await api('GET', `/conversations/${encodeURIComponent(state.convId)}?limit=50&before=${encodeURIComponent(state.nextBefore)}`);
      const height = els.body.scrollHeight;
      const first = els.log.firstChild;
      for (const m of conv.messages || []) els.log.insertBefore(renderMessage(m), first);
      els.body.scrollTop += els.body.scrollHeight - height; // keep the view where it was
      state.nextBefore = conv.next_before ?? null;
      els.earlier.hidden = state.nextBefore == null;
    } catch (e) {
      showError(e.message, loadEarlier);
    } finally {
      els.earlier.disabled = false;
    }
  }

  // Sends one customer message. `node` is the already shown bubble when retrying.
  async function deliver(text, node) {
    const epoch = state.epoch;
    clearError();
    removeQuickReplies();
    if (!node) {
      node = renderMessage({ role: 'customer', text });
      els.log.append(node);
    }
    node.classList.remove('msg-failed');
    node.classList.add('msg-pending');
    scrollToEnd();
    state.busy = true;
    updateComposer();
    setTyping(+1);
    try {
      if (state.status === 'closed' && state.convId) leaveClosed();
      await startConversation();
      if (epoch !== state.epoch) return;
      const res = await api('POST', `/conversations/${encodeURIComponent(state.convId)}/messages`,
        { text, lang: state.lang });
      if (epoch !== state.epoch) return;
      node.classList.remove('msg-pending');
      if (res.message) {
        if (res.message.id != null) node.dataset.id = res.message.id;
        markSeen(res.message);
        setTime(node, res.message.created_at);
      }
      addMessages(Array.isArray(res.replies) ? res.replies : []);
    } catch (e) {
      if (epoch !== state.epoch) return;
      node.classList.remove('msg-pending');
      node.classList.add('msg-failed');
      if (e.status === 404) { // the conversation is gone: the retry starts a new one
        stopLive();
        state.convId = null;
        storageSet(STORE_CONV_KEY, null);
      }
      showError(e.message, () => deliver(text, node));
    } finally {
      if (epoch === state.epoch) {
        state.busy = false;
        setTyping(-1);
        updateComposer();
      }
    }
  }

  // Writing after a conversation was closed starts a new one below the old one (kept on screen).
  function leaveClosed() {
    stopLive();
    state.convId = null;
    state.starting = null;
    state.status = null;
    state.csatShown = false;
    state.nextBefore = null;
    storageSet(STORE_CONV_KEY, null);
    storageSet(STORE_TOKEN_KEY, null);
    for (const n of els.log.querySelectorAll('.csat:not(.csat-finished)')) n.remove();
  }

  function submit() {
    const text = els.input.value.trim();
    if (!text || state.busy || utf8Length(text) > MAX_BYTES) return;
    typingStop();
    els.input.value = '';
    autosize();
    deliver(text);
  }

  function newConversation() {
    stopLive();
    state.epoch++;
    state.convId = null;
    state.seen = new Set();
    state.lastId = 0;
    state.status = null;
    state.agentTyping = false;
    state.csatShown = false;
    storageSet(STORE_TOKEN_KEY, null);
    state.starting = null;
    state.busy = false;
    state.typing = 0;
    state.nextBefore = null;
    storageSet(STORE_CONV_KEY, null);
    els.log.replaceChildren();
    els.earlier.hidden = true;
    setTyping(0);
    updateComposer();
    init();
    els.input.focus();
  }

  /* ---------- live events: WebSocket, or polling ----------
     One live connection per conversation (state.live, dropped by "new conversation" through the epoch).
     WebSocket first; the socket's first message is {"type":"hello","status":...}. After a drop the widget
     reconnects (1 s, then 2 s) and fetches what it missed with ?after=; if the first socket never opens,
     or RECONNECTS reconnects fail, it polls GET .../messages?after=LAST every POLL_MS instead. */

  function setTransport(mode) { els.panel.dataset.transport = mode; }

  function connectLive() {
    if (!state.convId || state.live?.epoch === state.epoch) return;
    state.live = { epoch: state.epoch, convId: state.convId, ws: null, opened: false, failures: 0,
      timer: null, polling: false };
    if (FORCE_POLL || typeof WebSocket !== 'function') startPolling(state.live);
    else openSocket(state.live);
  }

  function stopLive() {
    const live = state.live;
    if (!live) return;
    state.live = null;
    clearTimeout(live.timer);
    if (live.ws) { live.ws.onclose = null; live.ws.close(1000); }
    typingStop();
    setTransport('');
  }

  const current = (live) => state.live === live && live.epoch === state.epoch;

  function openSocket(live) {
    setTransport('connecting');
    let ws;
    try {
      const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
      ws = new WebSocket(`${scheme}://${location.host}${API}/conversations/${encodeURIComponent(live.convId)}/ws`);
    } catch {
      startPolling(live);
      return;
    }
    live.ws = ws;
    let opened = false;
    ws.onopen = () => { opened = true; };
    ws.onmessage = (e) => {
      if (!current(live)) return;
      let ev;
      try { ev = JSON.parse(e.data); } catch { return; }
      if (ev?.type === 'hello') {
        const again = live.opened;
        live.opened = true;
        live.failures = 0;
        setTransport('ws');
        if (again) catchUp(live); // pushes sent while the socket was down are gone: fetch them
      }
      handleEvent(ev);
    };
    ws.onclose = () => {
      if (!current(live)) return;
      live.ws = null;
      // never worked: poll at once; a reconnect that failed RECONNECTS times: poll too
      if (!live.opened || (!opened && ++live.failures > RECONNECTS)) { startPolling(live); return; }
      setTransport('connecting');
      live.timer = setTimeout(() => { if (current(live)) openSocket(live); }, 1000 * (live.failures + 1));
    };
  }

  function startPolling(live) {
    if (!current(live) || live.polling) return;
    live.polling = true;
    live.ws = null;
    setTransport('poll');
    const tick = async () => {
      if (!current(live)) return;
      let more = false;
      try { more = await catchUp(live); } catch (e) {
        if (e.status === 404) return; // the conversation is gone: nothing more will come
      }
      if (current(live)) live.timer = setTimeout(tick, more ? 0 : POLL_MS);
    };
    tick();
  }

  // Messages after the newest one seen, and the status; true when more remain.
  async function catchUp(live) {
    const conv = await api('GET', `/conversations/${encodeURIComponent(live.convId)}/messages?after=${state.lastId}&limit=50`);
    if (!current(live)) return false;
    receive(Array.isArray(conv.messages) ? conv.messages : []);
    setStatus(conv.status);
    return conv.next_after != null;
  }

  function handleEvent(ev) {
    if (!ev || typeof ev !== 'object') return;
    if (ev.conversation_id != null && ev.conversation_id !== state.convId) return;
    switch (ev.type) {
      case 'hello': setStatus(ev.status); break;
      case 'message': if (ev.message && typeof ev.message === 'object') receive([ev.message]); break;
      case 'status': setStatus(ev.status); break;
      case 'typing': if (ev.role === 'agent') setAgentTyping(ev.on === true); break;
      default: break; // events this widget does not know
    }
  }

  // Pushed or polled messages. The customer's own message may come before its POST reply: it then
  // confirms the bubble already shown (pending, no id yet) instead of being shown twice.
  function receive(list) {
    const fresh = [];
    for (const m of list) {
      if (!m || typeof m !== 'object' || (m.id != null && state.seen.has(m.id))) continue;
      if (m.role === 'customer') {
        const pending = els.log.querySelector('.msg-customer.msg-pending:not([data-id])');
        if (pending) {
          markSeen(m);
          pending.dataset.id = m.id;
          pending.classList.remove('msg-pending');
          continue;
        }
      }
      if (m.role === 'agent') setAgentTyping(false);
      fresh.push(m);
    }
    if (!fresh.length) return;
    if (fresh.some((m) => m.role !== 'customer' && Array.isArray(m.quick_replies) && m.quick_replies.length)) {
      removeQuickReplies();
    }
    addMessages(fresh);
  }

  function setAgentTyping(on) {
    clearTimeout(state.agentTypingTimer);
    state.agentTyping = on;
    if (on) state.agentTypingTimer = setTimeout(() => setAgentTyping(false), AGENT_TYPING_MS);
    setTyping(0);
  }

  // A status change: a line in the log (unless announce is false) and, once closed, the rating prompt.
  function setStatus(status, { announce = true } = {}) {
    if (status !== 'open' && status !== 'handoff' && status !== 'closed') return;
    const before = state.status;
    state.status = status;
    els.panel.dataset.status = status;
    // back to the bot: the server writes its own message for that (docs/console.md), so no line here
    if (announce && before != null && before !== status && status !== 'open') {
      const anchor = els.log.querySelector('.msg-pending, .msg-failed, .msg-error');
      els.log.insertBefore(renderSystem('', null, `status.${status}`), anchor);
      scrollToEnd();
    }
    if (status === 'closed') {
      setAgentTyping(false);
      showCsat();
    }
  }

  /* typing: the customer's, to the agents (throttled) */

  function sendTyping(on) {
    const live = state.live;
    if (!live || !current(live)) return;
    if (live.ws && live.ws.readyState === WebSocket.OPEN) {
      live.ws.send(JSON.stringify({ type: 'typing', on }));
    } else if (live.polling) {
      fetch(`${API}/conversations/${encodeURIComponent(live.convId)}/typing`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ on }),
      }).catch(() => {});
    }
  }

  function typingNoted() {
    if (!state.convId || !els.input.value.trim()) { typingStop(); return; }
    const now = Date.now();
    if (!state.typingOn || now - state.typingSentAt >= TYPING_EVERY) {
      state.typingOn = true;
      state.typingSentAt = now;
      sendTyping(true);
    }
    clearTimeout(state.typingIdle);
    state.typingIdle = setTimeout(typingStop, TYPING_IDLE);
  }

  function typingStop() {
    clearTimeout(state.typingIdle);
    if (!state.typingOn) return;
    state.typingOn = false;
    sendTyping(false);
  }

  /* ---------- rating (CSAT) when the conversation is closed ---------- */

  function showCsat() {
    if (state.csatShown || !state.convId) return;
    state.csatShown = true;
    const convId = state.convId;
    const box = el('form', 'csat');
    box.setAttribute('aria-labelledby', 'kefu-csat-title');
    const title = label('div', 'csat-title', 'csatTitle');
    title.id = 'kefu-csat-title';
    const stars = el('div', 'csat-stars');
    stars.setAttribute('role', 'radiogroup');
    let score = 0;
    const buttons = [1, 2, 3, 4, 5].map((n) => {
      const b = el('button', 'csat-star', '★');
      b.type = 'button';
      b.dataset.score = String(n);
      b.setAttribute('role', 'radio');
      b.setAttribute('aria-checked', 'false');
      b.setAttribute('aria-label', `${n} ${t('csatStar')}`);
      b.addEventListener('click', () => {
        score = n;
        for (const o of buttons) {
          o.classList.toggle('on', Number(o.dataset.score) <= n);
          o.setAttribute('aria-checked', String(o === b));
        }
        send.disabled = false;
      });
      stars.append(b);
      return b;
    });
    const comment = el('textarea', 'csat-comment');
    comment.rows = 2;
    comment.maxLength = 1000;
    comment.placeholder = t('csatComment');
    comment.dataset.i18nPlaceholder = 'csatComment';
    const send = label('button', 'csat-send', 'csatSubmit');
    send.type = 'submit';
    send.disabled = true;
    const note = el('p', 'csat-note');
    box.append(title, stars, comment, send, note);
    box.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (!score) { note.textContent = t('csatPick'); return; }
      send.disabled = true;
      const done = (key) => {
        box.replaceChildren(label('p', 'csat-done', key));
        box.classList.add('csat-finished');
      };
      try {
        const body = { score };
        if (comment.value.trim()) body.comment = comment.value.trim();
        await api('POST', `/conversations/${encodeURIComponent(convId)}/csat`, body);
        done('csatThanks');
      } catch (err) {
        if (err.status === 409) done('csatAlready');
        else if (err.status === 404) done('csatThanks');
        else { note.textContent = err.message; send.disabled = false; }
      }
    });
    els.log.append(box);
    scrollToEnd();
  }

  /* ---------- panel ---------- */

  function setOpen(open, { focus = false } = {}) {
    els.panel.hidden = !open;
    document.body.classList.toggle('kefu-open', open);
    els.launcher.setAttribute('aria-expanded', String(open));
    if (!open) return;
    if (!state.started) { state.started = true; init(); }
    scrollToEnd();
    if (focus) els.input.focus();
  }

  /* ---------- wiring ---------- */

  els.form.addEventListener('submit', (e) => { e.preventDefault(); submit(); });
  els.input.addEventListener('keydown', (e) => {
    // Enter sends, Shift+Enter is a newline; Enter that confirms an IME composition does neither.
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      submit();
    }
  });
  els.input.addEventListener('input', () => { autosize(); updateComposer(); typingNoted(); });
  els.lang.addEventListener('click', toggleLang);
  els.newBtn.addEventListener('click', newConversation);
  els.earlier.addEventListener('click', loadEarlier);
  els.close.addEventListener('click', () => { setOpen(false); els.launcher.focus(); });
  els.launcher.addEventListener('click', () => setOpen(els.panel.hidden, { focus: true }));
  for (const b of document.querySelectorAll('[data-open-chat]')) b.addEventListener('click', () => setOpen(true, { focus: true }));
  document.addEventListener('keydown', (e) => { if (e.key === 'Escape' && !els.panel.hidden) setOpen(false); });

  applyLang();
  setOpen(true); // the panel is open by default
})();
