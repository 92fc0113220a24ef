/* kefu chat widget: the customer side of the kefu HTTP API (docs/api.md), used by web/index.html.
   Plain JS, no framework, no build step. All UI strings are in STRINGS; server text is only ever
   rendered with textContent. */
(() => {
  'use strict';

  const API = '/api/v1';
  const STORE_CONV = 'kefu.conversation';
  const STORE_LANG = 'kefu.lang';
  const MAX_BYTES = 4000; // the API limit: 1..4000 bytes of UTF-8

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
    },
  };

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
    const locale = state.lang === 'zh' ? 'zh-CN' : 'en-US';
    const opts = { hour: '2-digit', minute: '2-digit' };
    if (d.toDateString() !== new Date().toDateString()) Object.assign(opts, { month: 'short', day: 'numeric' });
    return d.toLocaleString(locale, opts);
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
    for (const n of els.log.querySelectorAll('time')) n.textContent = formatTime(n.dateTime);
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
    const node = el('div', `msg ${customer ? 'msg-customer' : 'msg-bot'}`);
    node.dataset.role = m.role || '';
    node.dataset.kind = m.meta?.kind ?? '';
    if (m.meta?.faq_id) node.dataset.faqId = m.meta.faq_id;
    if (m.id != null) node.dataset.id = m.id;
    const time = el('time');
    setTime(node, m.created_at, time);
    const status = el('span', 'msg-status');
    status.dataset.i18n = 'failed';
    status.textContent = t('failed');
    node.append(el('div', 'bubble', m.text ?? ''), el('div', 'msg-meta'));
    node.lastChild.append(time, status);
    return node;
  }

  function setTime(node, iso, time = node.querySelector('time')) {
    time.dateTime = iso || new Date().toISOString();
    time.textContent = formatTime(time.dateTime);
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

  // Inserts messages before any unsent customer message / error line, so they stay last.
  function addMessages(list, { withQuickReplies = true } = {}) {
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
    els.typing.hidden = state.typing === 0;
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
  }

  // Resumes the stored conversation (GET) or creates a new one (POST). Shared by concurrent callers.
  function startConversation() {
    if (state.convId) return Promise.resolve();
    if (!state.starting) {
      const epoch = state.epoch;
      const p = (async () => {
        const stored = storageGet(STORE_CONV);
        if (stored) {
          try {
            const conv = await api('GET', `/conversations/${encodeURIComponent(stored)}?limit=50`);
            if (epoch !== state.epoch) return;
            state.convId = conv.id || stored;
            showHistory(conv);
            return;
          } catch (e) {
            if (e.status !== 404 && e.status !== 400) throw e; // gone or invalid: start a new one
            storageSet(STORE_CONV, null);
          }
        }
        const conv = await api('POST', '/conversations', { lang: state.lang, channel: 'web' });
        if (epoch !== state.epoch) return;
        state.convId = conv.id;
        storageSet(STORE_CONV, conv.id);
        showHistory({ messages: conv.messages });
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
      await startConversation();
      if (epoch !== state.epoch) return;
      const res = await api('POST', `/conversations/${encodeURIComponent(state.convId)}/messages`,
        { text, lang: state.lang });
      if (epoch !== state.epoch) return;
      node.classList.remove('msg-pending');
      if (res.message) {
        if (res.message.id != null) node.dataset.id = res.message.id;
        setTime(node, res.message.created_at);
      }
      addMessages(Array.isArray(res.replies) ? res.replies : []);
    } catch (e) {
      if (epoch !== state.epoch) return;
      node.classList.remove('msg-pending');
      node.classList.add('msg-failed');
      if (e.status === 404) { // the conversation is gone: the retry starts a new one
        state.convId = null;
        storageSet(STORE_CONV, null);
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

  function submit() {
    const text = els.input.value.trim();
    if (!text || state.busy || utf8Length(text) > MAX_BYTES) return;
    els.input.value = '';
    autosize();
    deliver(text);
  }

  function newConversation() {
    state.epoch++;
    state.convId = null;
    state.starting = null;
    state.busy = false;
    state.typing = 0;
    state.nextBefore = null;
    storageSet(STORE_CONV, null);
    els.log.replaceChildren();
    els.earlier.hidden = true;
    setTyping(0);
    updateComposer();
    init();
    els.input.focus();
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
  els.input.addEventListener('input', () => { autosize(); updateComposer(); });
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
