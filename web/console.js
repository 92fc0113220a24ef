/* kefu agent console: the staff side of the kefu HTTP API (docs/console.md, docs/api.md "Agent console"),
   used by web/console.html. Plain JS, no framework, no build step. All UI strings are in STRINGS; server
   text is only ever rendered with textContent.

   Live: one WebSocket (/api/v1/agents/ws, the session cookie signs it) brings every conversation's
   messages, status, queue and typing events and alerts; when it cannot open or keeps dropping, the page
   polls GET /api/v1/queue and the open conversation's GET .../messages?after= every 3 s instead. */
(() => {
  'use strict';

  const API = '/api/v1';
  const POLL_MS = 3000;
  const QUEUE_REFRESH_MS = 30000; // waiting times and missed changes, even with a socket
  const MAX_BYTES = 4000;
  const STORE_LANG = 'kefu.console.lang';

  const STRINGS = {
    zh: {
      appTitle: '客服工作台', loginHint: '请使用客服账号登录', username: '用户名', password: '密码',
      signIn: '登录', signOut: '退出', switchLang: 'English', loginFailed: '用户名或密码错误',
      notStaff: '该账号没有客服权限',
      queueTitle: '待处理会话', filterAll: '全部', filterWaiting: '待接入', filterMine: '我的',
      queueEmpty: '暂无等待的会话', pickConversation: '从左侧选择一个会话',
      churnTitle: '流失风险预警',
      takeOver: '接管', handBack: '转回机器人', closeConv: '结束会话', forceTakeOver: '强制接管',
      'res.resolved': '已解决', 'res.unresolved': '未解决', 'res.duplicate': '重复', 'res.spam': '垃圾信息',
      'res.no_response': '客户无回应',
      customerTyping: '客户正在输入…', replyPlaceholder: '输入回复，“/”加代码插入快捷回复，Enter 发送',
      replyHint: 'Shift + Enter 换行', send: '发送', tooLong: '回复过长（最多 4000 字节）',
      takeOverFirst: '接管后即可回复（发送回复也会自动接管）',
      tabAssist: '辅助', tabCustomer: '客户', tabNotes: '备注',
      suggestTitle: '机器人建议', noSuggestions: '暂无', cannedTitle: '快捷回复', noCustomer: '暂无',
      ordersTitle: '最近订单', ticketsTitle: '工单', notePlaceholder: '内部备注，客户不可见', addNote: '添加备注',
      noNotes: '暂无备注', none: '无',
      intent: '意图', confidence: '置信度', sentiment: '情绪', angry: '愤怒', useAnswer: '点击填入回复框',
      'status.open': '机器人接待', 'status.handoff': '人工', 'status.closed': '已结束',
      'reason.customer_request': '要求人工', 'reason.negative_streak': '连续负面', 'reason.low_confidence': '低置信度',
      'reason.vip': 'VIP', 'reason.repeated_failure': '多次未识别', 'reason.flow': '流程转人工',
      'reason.backend_unavailable': '系统故障',
      'senti.negative': '负面', 'senti.neutral': '中性', 'senti.positive': '正面',
      'role.customer': '客户', 'role.bot': '机器人', 'role.agent': '客服', 'role.system': '系统', 'role.note': '内部备注',
      heldBy: '处理人：', unassigned: '未分配', you: '我',
      waitingFor: '等待', sec: '秒', min: '分钟', hour: '小时',
      rfm: 'RFM', ltv: '累计消费', predicted: '预测年消费', lifecycle: '生命周期', churn: '流失风险', tags: '标签',
      tier: '等级', city: '城市', noOrders: '暂无订单', noTickets: '暂无工单',
      'lc.new': '新客', 'lc.active': '活跃', 'lc.dormant': '沉睡', 'lc.churned': '流失',
      fixIntent: '纠正意图', intentFixed: '已提交意图纠正', other: '其他…', otherPrompt: '输入正确的意图名称',
      tookOver: '已接管会话', handedBack: '已转回机器人', closed: '会话已结束', conflict: '该会话已被他人接管',
      forceConfirm: '该会话由 {who} 处理中。确定强制接管吗？',
      liveWs: '实时', livePoll: '轮询', liveOff: '离线',
      newQueue: '有新的会话进入队列',
    },
    en: {
      appTitle: 'Agent console', loginHint: 'Sign in with your support account', username: 'Username',
      password: 'Password', signIn: 'Sign in', signOut: 'Sign out', switchLang: '中文',
      loginFailed: 'Wrong username or password', notStaff: 'This account is not a support agent',
      queueTitle: 'Queue', filterAll: 'All', filterWaiting: 'Waiting', filterMine: 'Mine',
      queueEmpty: 'Nobody is waiting', pickConversation: 'Pick a conversation on the left',
      churnTitle: 'Churn risk alerts',
      takeOver: 'Take over', handBack: 'Hand back to bot', closeConv: 'Close', forceTakeOver: 'Force take over',
      'res.resolved': 'Resolved', 'res.unresolved': 'Unresolved', 'res.duplicate': 'Duplicate', 'res.spam': 'Spam',
      'res.no_response': 'No response',
      customerTyping: 'Customer is typing…', replyPlaceholder: 'Type a reply, "/" + code for a canned response, Enter to send',
      replyHint: 'Shift + Enter for a new line', send: 'Send', tooLong: 'Reply too long (4000 bytes at most)',
      takeOverFirst: 'Take over to reply (sending a reply takes it over too)',
      tabAssist: 'Assist', tabCustomer: 'Customer', tabNotes: 'Notes',
      suggestTitle: 'Bot suggestions', noSuggestions: 'Nothing yet', cannedTitle: 'Canned responses',
      noCustomer: 'Nothing yet', ordersTitle: 'Recent orders', ticketsTitle: 'Tickets',
      notePlaceholder: 'Internal note: the customer never sees it', addNote: 'Add note', noNotes: 'No notes yet',
      none: 'none',
      intent: 'Intent', confidence: 'Confidence', sentiment: 'Sentiment', angry: 'angry', useAnswer: 'Click to put it in the reply box',
      'status.open': 'Bot', 'status.handoff': 'Human', 'status.closed': 'Closed',
      'reason.customer_request': 'Asked for a human', 'reason.negative_streak': 'Negative streak',
      'reason.low_confidence': 'Low confidence', 'reason.vip': 'VIP', 'reason.repeated_failure': 'Not understood',
      'reason.flow': 'Flow handoff', 'reason.backend_unavailable': 'Backend down',
      'senti.negative': 'negative', 'senti.neutral': 'neutral', 'senti.positive': 'positive',
      'role.customer': 'Customer', 'role.bot': 'Bot', 'role.agent': 'Agent', 'role.system': 'System', 'role.note': 'Internal note',
      heldBy: 'Handled by ', unassigned: 'unassigned', you: 'you',
      waitingFor: 'waiting', sec: 's', min: 'min', hour: 'h',
      rfm: 'RFM', ltv: 'Lifetime value', predicted: 'Predicted 12 m', lifecycle: 'Lifecycle', churn: 'Churn risk', tags: 'Tags',
      tier: 'Tier', city: 'City', noOrders: 'No orders', noTickets: 'No tickets',
      'lc.new': 'new', 'lc.active': 'active', 'lc.dormant': 'dormant', 'lc.churned': 'churned',
      fixIntent: 'Correct intent', intentFixed: 'Intent correction sent', other: 'Other…', otherPrompt: 'Type the right intent name',
      tookOver: 'You took over the conversation', handedBack: 'Handed back to the bot', closed: 'Conversation closed',
      conflict: 'Someone else holds this conversation',
      forceConfirm: '{who} is handling this conversation. Take it over anyway?',
      liveWs: 'live', livePoll: 'polling', liveOff: 'offline',
      newQueue: 'A new conversation is waiting',
    },
  };

  const $ = (id) => document.getElementById(id);
  const els = {
    login: $('login'), loginForm: $('login-form'), loginUser: $('login-user'), loginPass: $('login-pass'),
    loginError: $('login-error'), app: $('app'), me: $('me'), logout: $('logout'), liveState: $('live-state'),
    alert: $('alert-banner'), churnBox: $('churn-box'), churnList: $('churn-list'),
    queueList: $('queue-list'), queueEmpty: $('queue-empty'), queueCount: $('queue-count'),
    convEmpty: $('conv-empty'), conv: $('conv'), convTitle: $('conv-title'), convStatus: $('conv-status'),
    convReason: $('conv-reason'), convAssignee: $('conv-assignee'), convError: $('conv-error'),
    takeover: $('btn-takeover'), handback: $('btn-handback'), resolution: $('close-resolution'), close: $('btn-close'),
    transcript: $('transcript'), typing: $('typing'), replyForm: $('reply-form'), replyInput: $('reply-input'),
    replySend: $('reply-send'), replyHint: $('reply-hint'), cannedMenu: $('canned-menu'),
    suggestions: $('suggestions'), cannedList: $('canned-list'), profile: $('profile'), orders: $('orders'),
    tickets: $('tickets'), notes: $('notes-list'), noteForm: $('note-form'), noteInput: $('note-input'),
    toast: $('toast'),
  };

  const state = {
    lang: initialLang(),
    me: null,          // {id, username, display_name, role}
    queue: [],         // queue items (GET /api/v1/queue)
    filter: 'all',
    current: null,     // the open conversation's summary
    lastId: 0,         // newest message id shown in the transcript
    seen: new Set(),
    intents: new Set(), // intent names seen (the correction dropdown)
    canned: [],
    cannedPick: 0,
    unread: new Set(),
    ws: null, wsOpened: false, wsFailures: 0, polling: false, pollTimer: null,
    typingTimer: null, typingSentAt: 0, typingOn: false,
    epoch: 0,          // bumped when another conversation opens: late replies are dropped
  };

  /* ---------- helpers ---------- */

  function storageGet(k) { try { return localStorage.getItem(k); } catch { return null; } }
  function storageSet(k, v) { try { localStorage.setItem(k, v); } catch { /* private mode */ } }
  function initialLang() {
    const l = new URLSearchParams(location.search).get('lang') || storageGet(STORE_LANG);
    if (l === 'zh' || l === 'en') return l;
    return /^zh/i.test(navigator.language || '') ? 'zh' : 'en';
  }
  const t = (k) => STRINGS[state.lang][k] ?? STRINGS.en[k] ?? k;
  const has = (k) => Object.hasOwn(STRINGS.en, k);
  const locale = () => (state.lang === 'zh' ? 'zh-CN' : 'en-US');
  function el(tag, cls, text) {
    const n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text != null) n.textContent = text;
    return n;
  }
  function label(tag, cls, key) { const n = el(tag, cls, t(key)); n.dataset.i18n = key; return n; }
  const utf8Length = (s) => new TextEncoder().encode(s).length;
  function fmtTime(iso) {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return '';
    const o = { hour: '2-digit', minute: '2-digit' };
    if (d.toDateString() !== new Date().toDateString()) Object.assign(o, { month: 'short', day: 'numeric' });
    return d.toLocaleString(locale(), o);
  }
  function fmtDate(iso) {
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? '' : d.toLocaleDateString(locale(), { month: 'short', day: 'numeric' });
  }
  function fmtWait(s) {
    if (!(s >= 0)) return '';
    if (s < 60) return `${Math.floor(s)}${t('sec')}`;
    if (s < 3600) return `${Math.floor(s / 60)} ${t('min')}`;
    return `${Math.floor(s / 3600)} ${t('hour')} ${Math.floor((s % 3600) / 60)} ${t('min')}`;
  }
  function fmtMoney(v) {
    const n = Number(v);
    return Number.isFinite(n) ? `¥${n.toLocaleString(locale(), { maximumFractionDigits: 0 })}` : '';
  }
  function toast(msg) {
    els.toast.textContent = msg;
    els.toast.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { els.toast.hidden = true; }, 2500);
  }
  function reasonBadge(reason) {
    const b = el('span', `badge reason-${reason}`, has(`reason.${reason}`) ? t(`reason.${reason}`) : reason);
    return b;
  }
  const customerName = (c) => (c?.name ? c.name : `#${c?.id ?? '?'}`);

  /* ---------- API ---------- */

  class ApiError extends Error {
    constructor(message, status, code) { super(message); this.status = status; this.code = code; }
  }

  async function api(method, path, body) {
    let res;
    try {
      res = await fetch(API + path, {
        method, credentials: 'same-origin',
        headers: body ? { 'Content-Type': 'application/json' } : {},
        body: body ? JSON.stringify(body) : undefined,
      });
    } catch {
      throw new ApiError('network error', 0, 'network');
    }
    let data = null;
    try { data = await res.json(); } catch { /* not JSON */ }
    if (!res.ok) {
      if (res.status === 401 && state.me) signedOut();
      throw new ApiError(data?.error?.message || `HTTP ${res.status}`, res.status, data?.error?.code);
    }
    return data ?? {};
  }

  /* ---------- language ---------- */

  function applyLang() {
    document.documentElement.lang = state.lang === 'zh' ? 'zh-CN' : 'en';
    document.title = `${t('appTitle')} · kefu`;
    for (const n of document.querySelectorAll('[data-i18n]')) n.textContent = t(n.dataset.i18n);
    for (const n of document.querySelectorAll('[data-i18n-placeholder]')) n.placeholder = t(n.dataset.i18nPlaceholder);
    setLive(els.liveState.dataset.state);
    renderQueue();
    if (state.current) renderHead();
    loadCanned();
  }

  function toggleLang() {
    state.lang = state.lang === 'zh' ? 'en' : 'zh';
    storageSet(STORE_LANG, state.lang);
    applyLang();
  }

  /* ---------- sign in ---------- */

  async function boot() {
    applyLang();
    let me = null;
    try { me = await api('GET', '/auth/me'); } catch { /* shown as signed out */ }
    if (me?.user && ['agent', 'supervisor', 'admin'].includes(me.role)) signedIn(me.user, me.role);
    else showLogin();
  }

  function showLogin() {
    els.app.hidden = true;
    els.login.hidden = false;
    els.loginUser.focus();
  }

  async function login(e) {
    e.preventDefault();
    els.loginError.hidden = true;
    try {
      const res = await api('POST', '/auth/login', { username: els.loginUser.value.trim(), password: els.loginPass.value });
      const role = res.user?.role;
      if (!['agent', 'supervisor', 'admin'].includes(role)) throw new ApiError(t('notStaff'), 403);
      els.loginPass.value = '';
      signedIn(res.user, role);
    } catch (err) {
      els.loginError.textContent = err.status === 401 || err.status === 404 || err.status === 400 ? t('loginFailed') : err.message;
      els.loginError.hidden = false;
    }
  }

  function signedIn(user, role) {
    state.me = { ...user, role };
    els.me.textContent = `${user.display_name || user.username} · ${role}`;
    els.login.hidden = true;
    els.app.hidden = false;
    loadQueue();
    loadChurn();
    loadAlerts();
    loadCanned();
    connectLive();
    clearInterval(state.queueTimer);
    state.queueTimer = setInterval(() => { loadQueue(); loadChurn(); loadAlerts(); }, QUEUE_REFRESH_MS);
  }

  function signedOut() {
    state.me = null;
    stopLive();
    clearInterval(state.queueTimer);
    showLogin();
  }

  async function logout() {
    try { await api('POST', '/auth/logout', {}); } catch { /* the session is gone either way */ }
    signedOut();
  }

  /* ---------- queue, churn alerts, banner ---------- */

  async function loadQueue() {
    try {
      const res = await api('GET', '/queue');
      state.queue = Array.isArray(res.items) ? res.items : [];
      renderQueue();
    } catch { /* the next refresh tries again */ }
  }

  function visibleQueue() {
    const mine = state.me?.id;
    return state.queue.filter((q) => (state.filter === 'waiting' ? !q.assignee
      : state.filter === 'mine' ? q.assignee?.id === mine : true));
  }

  function waitingSeconds(q) {
    const since = Date.parse(q.handoff_at || q.updated_at);
    return Number.isNaN(since) ? q.waiting_s : Math.max(0, (Date.now() - since) / 1000);
  }

  function renderQueue() {
    const list = visibleQueue();
    els.queueCount.textContent = String(state.queue.filter((q) => !q.assignee).length);
    els.queueEmpty.hidden = list.length > 0;
    els.queueList.replaceChildren(...list.map((q) => {
      const li = el('li', 'queue-item');
      li.dataset.id = q.id;
      li.dataset.reason = q.reason || '';
      li.tabIndex = 0;
      if (state.current?.id === q.id) li.classList.add('active');
      if (state.unread.has(q.id)) li.classList.add('unread');
      const top = el('div', 'qi-top');
      const wait = waitingSeconds(q);
      const w = el('span', `qi-wait${wait > 300 && !q.assignee ? ' long' : ''}`, fmtWait(wait));
      w.title = t('waitingFor');
      top.append(el('span', 'qi-name', customerName(q.customer)), w);
      const tags = el('div', 'qi-tags');
      if (q.vip) tags.append(el('span', 'badge vip', 'VIP'));
      if (q.reason) tags.append(reasonBadge(q.reason));
      if (q.assignee) {
        const mine = q.assignee.id === state.me?.id;
        tags.append(el('span', `badge${mine ? ' mine' : ''}`, mine ? t('you') : q.assignee.username));
      }
      tags.append(el('span', 'badge', `${q.channel} · ${q.lang}`));
      const prev = el('div', 'qi-preview', q.last_message ? `${t(`role.${q.last_message.role}`)}: ${q.last_message.text}` : '');
      li.append(top, tags, prev);
      li.addEventListener('click', () => openConversation(q.id));
      li.addEventListener('keydown', (e) => { if (e.key === 'Enter') openConversation(q.id); });
      return li;
    }));
  }

  async function loadChurn() {
    try {
      const res = await api('GET', '/tickets?category=churn_risk&status=open&limit=20');
      const items = Array.isArray(res.items) ? res.items : [];
      els.churnBox.hidden = items.length === 0;
      els.churnList.replaceChildren(...items.map((tk) => {
        const li = el('li', 'churn-item', `#${tk.id} ${tk.subject}`);
        li.dataset.ticketId = tk.id;
        if (tk.conversation_id) {
          li.title = tk.conversation_id;
          li.addEventListener('click', () => openConversation(tk.conversation_id));
        }
        return li;
      }));
    } catch { els.churnBox.hidden = true; }
  }

  async function loadAlerts() {
    try {
      const res = await api('GET', '/alerts');
      const items = (Array.isArray(res.items) ? res.items : Array.isArray(res) ? res : [])
        .filter((a) => a && (a.state ?? 'firing') === 'firing');
      showAlert(items.length ? items.map((a) => a.message || a.rule).join(' · ') : '');
    } catch { showAlert(''); } // no alerts route (yet), or not allowed: no banner
  }

  function showAlert(text) {
    els.alert.textContent = text;
    els.alert.hidden = !text;
  }

  /* ---------- one conversation ---------- */

  async function openConversation(id) {
    if (!id) return;
    const epoch = ++state.epoch;
    stopTyping();
    state.unread.delete(id);
    state.lastId = 0;
    state.seen = new Set();
    els.transcript.replaceChildren();
    els.notes.replaceChildren();
    els.convError.hidden = true;
    els.convEmpty.hidden = true;
    els.conv.hidden = false;
    els.typing.hidden = true;
    try {
      const ctx = await api('GET', `/conversations/${id}/context`);
      if (epoch !== state.epoch) return;
      state.current = ctx.conversation;
      renderHead();
      renderContext(ctx);
      const conv = await api('GET', `/conversations/${id}/messages?limit=200`);
      if (epoch !== state.epoch) return;
      addMessages(Array.isArray(conv.messages) ? conv.messages : []);
      renderQueue();
      loadSuggestions();
      els.replyInput.focus();
    } catch (e) {
      if (epoch === state.epoch) showConvError(e.message);
    }
  }

  function showConvError(msg) {
    els.convError.textContent = msg;
    els.convError.hidden = !msg;
  }

  function renderHead() {
    const c = state.current;
    if (!c) return;
    els.convTitle.replaceChildren(el('span', '', customerName(c.customer)));
    if (c.vip) els.convTitle.append(' ', el('span', 'badge vip', 'VIP'));
    els.convStatus.className = `badge status-${c.status}`;
    els.convStatus.textContent = t(`status.${c.status}`);
    els.convReason.className = `badge reason reason-${c.reason || ''}`;
    els.convReason.textContent = c.reason ? (has(`reason.${c.reason}`) ? t(`reason.${c.reason}`) : c.reason) : '';
    const holder = c.assignee;
    const mine = holder && holder.id === state.me?.id;
    els.convAssignee.textContent = t('heldBy') + (holder ? (mine ? t('you') : holder.display_name || holder.username) : t('unassigned'));
    const closed = c.status === 'closed';
    const supervisor = ['supervisor', 'admin'].includes(state.me?.role);
    els.takeover.hidden = closed || mine;
    els.takeover.disabled = Boolean(holder && !mine && !supervisor);
    els.takeover.textContent = holder && !mine ? t('forceTakeOver') : t('takeOver');
    els.handback.hidden = closed || (!holder && c.status !== 'handoff' && !c.reason);
    els.close.hidden = closed;
    els.resolution.hidden = closed;
    els.replyForm.classList.toggle('disabled', closed);
    els.replyInput.disabled = closed;
    els.replyHint.textContent = !closed && !mine ? t('takeOverFirst') : t('replyHint');
    updateSend();
  }

  async function refreshCurrent() {
    const c = state.current;
    if (!c) return;
    const epoch = state.epoch;
    try {
      const ctx = await api('GET', `/conversations/${c.id}/context`);
      if (epoch !== state.epoch) return;
      state.current = ctx.conversation;
      renderHead();
      renderContext(ctx);
    } catch { /* kept as it was */ }
  }

  function renderMessage(m) {
    const note = m.role === 'system' && m.meta?.kind === 'note';
    const cls = note ? 'msg-note' : `msg-${m.role}`;
    const node = el('div', `msg ${cls}`);
    node.dataset.role = m.role;
    node.dataset.id = m.id;
    if (m.meta?.kind) node.dataset.kind = m.meta.kind;
    if (m.role === 'system' && !note) {
      node.append(el('span', '', m.text));
      return node;
    }
    const who = el('div', 'who');
    const by = m.role === 'agent' ? (m.meta?.agent || t('role.agent')) : note ? `${t('role.note')} · ${m.meta?.author || ''}` : t(`role.${m.role}`);
    who.append(el('span', '', by), el('time', '', fmtTime(m.created_at)));
    node.append(who, el('div', 'bubble', m.text ?? ''));
    if (m.role === 'customer' && m.meta) node.append(intentLine(m));
    return node;
  }

  // The NLU's reading of a customer message, and the correction dropdown (POST /messages/{id}/intent).
  function intentLine(m) {
    const line = el('div', 'msg-meta');
    const intent = m.meta.intent;
    if (intent) state.intents.add(intent);
    if (intent) {
      const conf = Number(m.meta.intent_confidence);
      line.append(el('span', 'intent-tag', `${t('intent')}: ${intent}${Number.isFinite(conf) ? ` (${Math.round(conf * 100)}%)` : ''}`));
    }
    if (m.meta.sentiment) {
      const s = el('span', `senti-${m.meta.sentiment}`, `${t('sentiment')}: ${t(`senti.${m.meta.sentiment}`)}${m.meta.angry ? ` · ${t('angry')}` : ''}`);
      line.append(s);
    }
    const sel = el('select', 'intent-fix');
    sel.setAttribute('aria-label', t('fixIntent'));
    sel.dataset.messageId = m.id;
    sel.append(new Option(`${t('fixIntent')}…`, ''));
    for (const name of [...state.intents].sort()) if (name !== intent) sel.append(new Option(name, name));
    sel.append(new Option(t('other'), '__other'));
    sel.addEventListener('focus', () => { // options: every intent seen so far
      const have = new Set([...sel.options].map((o) => o.value));
      for (const name of [...state.intents].sort()) if (!have.has(name) && name !== intent) sel.insertBefore(new Option(name, name), sel.lastChild);
    });
    sel.addEventListener('change', async () => {
      let v = sel.value;
      if (v === '__other') v = (prompt(t('otherPrompt')) || '').trim();
      sel.value = '';
      if (!v) return;
      try {
        await api('POST', `/messages/${m.id}/intent`, { intent: v });
        toast(t('intentFixed'));
      } catch (e) { toast(e.message); }
    });
    line.append(sel);
    return line;
  }

  function addMessages(list) {
    const atEnd = els.transcript.scrollHeight - els.transcript.scrollTop - els.transcript.clientHeight < 60;
    let added = false;
    for (const m of list) {
      if (!m || m.id == null || state.seen.has(m.id)) continue;
      state.seen.add(m.id);
      state.lastId = Math.max(state.lastId, m.id);
      els.transcript.append(renderMessage(m));
      if (m.role === 'system' && m.meta?.kind === 'note') els.notes.append(noteItem(m));
      added = true;
    }
    if (!els.notes.children.length) els.notes.replaceChildren(label('li', 'empty', 'noNotes'));
    else els.notes.querySelector('.empty')?.remove();
    if (added && (atEnd || list.length > 1)) els.transcript.scrollTop = els.transcript.scrollHeight;
  }

  function noteItem(m) {
    const li = el('li', '', m.text);
    li.append(el('div', 'note-by', `${m.meta?.author || ''} · ${fmtTime(m.created_at)}`));
    return li;
  }

  /* ---------- actions ---------- */

  async function act(path, body, doneKey) {
    const c = state.current;
    if (!c) return null;
    showConvError('');
    try {
      const res = await api('POST', `/conversations/${c.id}/${path}`, body ?? {});
      if (res.conversation && state.current?.id === c.id) {
        state.current = res.conversation;
        renderHead();
      }
      if (res.message) addMessages([res.message]);
      if (doneKey) toast(t(doneKey));
      loadQueue();
      return res;
    } catch (e) {
      showConvError(e.status === 409 ? `${t('conflict')}: ${e.message}` : e.message);
      if (e.status === 409) refreshCurrent();
      return null;
    }
  }

  async function takeOver() {
    const c = state.current;
    if (!c) return;
    const holder = c.assignee;
    let force = false;
    if (holder && holder.id !== state.me?.id) {
      if (!confirm(t('forceConfirm').replace('{who}', holder.username))) return;
      force = true;
    }
    await act('takeover', force ? { force: true } : {}, 'tookOver');
  }

  function updateSend() {
    const text = els.replyInput.value.trim();
    const tooLong = utf8Length(text) > MAX_BYTES;
    els.replySend.disabled = !text || tooLong || els.replyInput.disabled;
    if (tooLong) els.replyHint.textContent = t('tooLong');
  }

  async function sendReply(e) {
    e?.preventDefault();
    const text = els.replyInput.value.trim();
    if (!text || utf8Length(text) > MAX_BYTES || !state.current) return;
    els.replySend.disabled = true;
    stopTyping();
    const res = await act('reply', { text });
    if (res) {
      els.replyInput.value = '';
      hideCanned();
    }
    updateSend();
  }

  async function addNote(e) {
    e.preventDefault();
    const text = els.noteInput.value.trim();
    if (!text) return;
    const res = await act('notes', { text });
    if (res) els.noteInput.value = '';
  }

  /* ---------- typing (agent → customer) ---------- */

  function noteTyping() {
    const c = state.current;
    if (!c || !els.replyInput.value.trim()) { stopTyping(); return; }
    const now = Date.now();
    if (!state.typingOn || now - state.typingSentAt > 3000) {
      state.typingOn = true;
      state.typingSentAt = now;
      sendTyping(c.id, true);
    }
    clearTimeout(state.typingTimer);
    state.typingTimer = setTimeout(stopTyping, 4000);
  }

  function stopTyping() {
    clearTimeout(state.typingTimer);
    if (!state.typingOn || !state.current) { state.typingOn = false; return; }
    state.typingOn = false;
    sendTyping(state.current.id, false);
  }

  function sendTyping(id, on) {
    if (state.ws && state.ws.readyState === WebSocket.OPEN) {
      state.ws.send(JSON.stringify({ type: 'typing', conversation_id: id, on }));
    } else {
      fetch(`${API}/conversations/${id}/typing`, { method: 'POST', credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ on }) }).catch(() => {});
    }
  }

  /* ---------- canned responses ("/" + code) ---------- */

  async function loadCanned() {
    if (!state.me) return;
    try {
      const res = await api('GET', `/canned?lang=${state.lang}`);
      state.canned = Array.isArray(res.items) ? res.items : [];
    } catch { state.canned = []; }
    els.cannedList.replaceChildren(...state.canned.map((c) => cannedItem(c, () => insertText(c.text))));
  }

  function cannedItem(c, pick) {
    const li = el('li');
    li.dataset.code = c.code;
    li.append(el('span', 'canned-code', `/${c.code}  ${c.title || ''}`), el('span', 'canned-text', c.text));
    li.addEventListener('mousedown', (e) => { e.preventDefault(); pick(); });
    return li;
  }

  function insertText(text) {
    els.replyInput.value = text;
    els.replyInput.focus();
    hideCanned();
    updateSend();
  }

  // "/co" at the start of the box (or after a space): the responses whose code starts with "co".
  function cannedQuery() {
    const v = els.replyInput.value;
    const m = /(?:^|\s)\/([a-z0-9_-]*)$/i.exec(v.slice(0, els.replyInput.selectionEnd ?? v.length));
    return m ? m[1].toLowerCase() : null;
  }

  function updateCanned() {
    const q = cannedQuery();
    if (q == null) return hideCanned();
    const hits = state.canned.filter((c) => c.code.startsWith(q));
    if (!hits.length) return hideCanned();
    state.cannedPick = Math.min(state.cannedPick, hits.length - 1);
    els.cannedMenu.replaceChildren(...hits.map((c, i) => {
      const li = cannedItem(c, () => pickCanned(c));
      li.setAttribute('role', 'option');
      if (i === state.cannedPick) li.classList.add('active');
      return li;
    }));
    els.cannedMenu.hidden = false;
    return hits;
  }

  function pickCanned(c) {
    const v = els.replyInput.value;
    const end = els.replyInput.selectionEnd ?? v.length;
    const start = v.slice(0, end).lastIndexOf('/');
    els.replyInput.value = v.slice(0, start) + c.text + v.slice(end);
    hideCanned();
    els.replyInput.focus();
    updateSend();
    noteTyping();
  }

  function hideCanned() {
    els.cannedMenu.hidden = true;
    state.cannedPick = 0;
  }

  function replyKeydown(e) {
    if (!els.cannedMenu.hidden) {
      const hits = state.canned.filter((c) => c.code.startsWith(cannedQuery() ?? '\u0000'));
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        state.cannedPick = (state.cannedPick + (e.key === 'ArrowDown' ? 1 : hits.length - 1)) % Math.max(hits.length, 1);
        updateCanned();
        return;
      }
      if ((e.key === 'Enter' || e.key === 'Tab') && hits.length) {
        e.preventDefault();
        pickCanned(hits[state.cannedPick] ?? hits[0]);
        return;
      }
      if (e.key === 'Escape') { hideCanned(); return; }
    }
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      sendReply();
    }
  }

  /* ---------- side panel ---------- */

  async function loadSuggestions() {
    const c = state.current;
    if (!c) return;
    const epoch = state.epoch;
    let s;
    try { s = await api('GET', `/conversations/${c.id}/suggestions`); } catch { return; }
    if (epoch !== state.epoch) return;
    const box = els.suggestions;
    if (!s.message_id) { box.replaceChildren(label('p', 'empty', 'noSuggestions')); return; }
    const parts = [];
    const line = el('div', 'intent-line');
    const meter = el('div', 'meter');
    const bar = el('span');
    bar.style.width = `${Math.round((s.intent_confidence || 0) * 100)}%`;
    meter.append(bar);
    line.append(el('strong', '', `${t('intent')}: ${s.intent ?? '-'}`), meter,
      el('span', 'muted', `${Math.round((s.intent_confidence || 0) * 100)}%`));
    parts.push(line);
    if (Array.isArray(s.intents)) for (const i of s.intents) if (i?.intent) state.intents.add(i.intent);
    if (s.sentiment) {
      parts.push(el('div', `senti-${s.sentiment}`, `${t('sentiment')}: ${t(`senti.${s.sentiment}`)}${s.angry ? ` · ${t('angry')}` : ''}`));
    }
    for (const a of Array.isArray(s.answers) ? s.answers : []) {
      const card = el('div', 'sugg-answer');
      card.dataset.faqId = a.faq_id;
      card.title = t('useAnswer');
      card.append(el('div', 'sugg-q', a.question || a.faq_id), el('div', 'sugg-a', a.answer),
        el('div', 'sugg-score', `${a.faq_id} · ${Math.round((a.score || 0) * 100)}%`));
      card.addEventListener('click', () => insertText(a.answer));
      parts.push(card);
    }
    box.replaceChildren(...parts);
  }

  function dl(rows) {
    const d = el('dl', 'kv');
    for (const [k, v] of rows) {
      if (v == null || v === '') continue;
      d.append(label('dt', '', k));
      const dd = el('dd');
      if (v instanceof Node) dd.append(v); else dd.textContent = String(v);
      d.append(dd);
    }
    return d;
  }

  function renderContext(ctx) {
    const cust = ctx.customer && typeof ctx.customer === 'object' ? ctx.customer : ctx.conversation?.customer;
    const p = ctx.profile && typeof ctx.profile === 'object' ? ctx.profile : null;
    const parts = [];
    const name = el('div', 'name', customerName(cust));
    if (cust?.tier === 'vip' || ctx.conversation?.vip) name.append(el('span', 'badge vip', 'VIP'));
    parts.push(name);
    const rows = [['tier', cust?.tier], ['city', cust?.city]];
    if (p) {
      const rfm = p.rfm ? `R${p.rfm.r} F${p.rfm.f} M${p.rfm.m} · ${p.rfm.segment ?? ''}` : null;
      rows.push(['rfm', rfm], ['ltv', p.ltv ? fmtMoney(p.ltv.historical) : null],
        ['predicted', p.ltv ? fmtMoney(p.ltv.predicted_12m) : null],
        ['lifecycle', p.lifecycle ? (has(`lc.${p.lifecycle}`) ? t(`lc.${p.lifecycle}`) : p.lifecycle) : null]);
      if (p.churn) {
        const sc = el('span', `churn-score churn-${p.churn.level}`, `${Math.round((p.churn.score || 0) * 100)}% · ${p.churn.level}`);
        rows.push(['churn', sc]);
      }
    }
    parts.push(dl(rows));
    if (p?.churn && Array.isArray(p.churn.reasons) && p.churn.reasons.length) {
      const ul = el('ul', 'reasons');
      for (const r of p.churn.reasons) ul.append(el('li', '', r[state.lang] || r.en || r.code));
      parts.push(ul);
    }
    if (p && Array.isArray(p.tags) && p.tags.length) {
      const chips = el('div', 'chips');
      for (const tag of p.tags) chips.append(el('span', 'chip', typeof tag === 'string' ? tag : tag.tag ?? ''));
      parts.push(chips);
    }
    els.profile.replaceChildren(...parts);

    const orders = Array.isArray(ctx.orders?.items) ? ctx.orders.items : [];
    els.orders.replaceChildren(...(orders.length ? orders.slice(0, 8).map((o) => {
      const li = el('li');
      const top = el('div', 'rec-top');
      top.append(el('strong', '', o.order_no), el('span', 'badge', o.status));
      const items = Array.isArray(o.items) ? o.items.map((i) => i.name || i.sku).join('、') : '';
      li.append(top, el('div', 'rec-sub', `${fmtDate(o.created_at)} · ${fmtMoney(o.total)} · ${items}`));
      return li;
    }) : [label('li', 'empty', 'noOrders')]));

    const tickets = Array.isArray(ctx.tickets?.items) ? ctx.tickets.items : [];
    els.tickets.replaceChildren(...(tickets.length ? tickets.map((tk) => {
      const li = el('li');
      const top = el('div', 'rec-top');
      top.append(el('strong', '', `#${tk.id} ${tk.category ?? ''}`), el('span', 'badge', `${tk.status} · ${tk.priority}`));
      li.append(top, el('div', 'rec-sub', tk.subject ?? ''));
      return li;
    }) : [label('li', 'empty', 'noTickets')]));
  }

  /* ---------- live: WebSocket, else polling ---------- */

  function setLive(mode) {
    els.liveState.dataset.state = mode || 'off';
    els.liveState.textContent = t(mode === 'ws' ? 'liveWs' : mode === 'poll' ? 'livePoll' : 'liveOff');
  }

  function connectLive() {
    stopLive();
    if (typeof WebSocket !== 'function' || new URLSearchParams(location.search).get('transport') === 'poll') {
      startPolling();
      return;
    }
    openSocket();
  }

  function stopLive() {
    clearTimeout(state.pollTimer);
    state.polling = false;
    if (state.ws) { state.ws.onclose = null; state.ws.close(1000); state.ws = null; }
    setLive('off');
  }

  function openSocket() {
    let ws;
    try {
      ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${API}/agents/ws`);
    } catch { startPolling(); return; }
    state.ws = ws;
    ws.onmessage = (e) => {
      let ev;
      try { ev = JSON.parse(e.data); } catch { return; }
      if (ev?.type === 'hello') {
        const again = state.wsOpened;
        state.wsOpened = true;
        state.wsFailures = 0;
        setLive('ws');
        if (again) { loadQueue(); catchUp(); }
        return;
      }
      handleEvent(ev);
    };
    ws.onclose = () => {
      state.ws = null;
      if (!state.me) return;
      if (!state.wsOpened || ++state.wsFailures > 2) { startPolling(); return; }
      setLive('poll');
      state.pollTimer = setTimeout(openSocket, 1000 * state.wsFailures);
    };
  }

  function startPolling() {
    if (state.polling) return;
    state.polling = true;
    setLive('poll');
    const tick = async () => {
      if (!state.polling || !state.me) return;
      await Promise.all([loadQueue(), catchUp()]);
      if (state.polling) state.pollTimer = setTimeout(tick, POLL_MS);
    };
    tick();
  }

  async function catchUp() {
    const c = state.current;
    if (!c) return;
    const epoch = state.epoch;
    try {
      const res = await api('GET', `/conversations/${c.id}/messages?after=${state.lastId}&limit=100`);
      if (epoch !== state.epoch) return;
      const fresh = (res.messages || []).filter((m) => !state.seen.has(m.id));
      addMessages(fresh);
      if (res.status && res.status !== state.current?.status) refreshCurrent();
      if (fresh.some((m) => m.role === 'customer')) loadSuggestions();
    } catch { /* next tick */ }
  }

  function handleEvent(ev) {
    if (!ev || typeof ev !== 'object') return;
    const id = ev.conversation_id;
    const open = state.current && id === state.current.id;
    switch (ev.type) {
      case 'message': {
        const m = ev.message;
        if (open && m) {
          addMessages([m]);
          if (m.role === 'customer') { els.typing.hidden = true; loadSuggestions(); }
        } else if (id && m?.role === 'customer' && state.queue.some((q) => q.id === id)) {
          state.unread.add(id);
        }
        const q = state.queue.find((x) => x.id === id);
        if (q && m && !(m.role === 'system' && m.meta?.kind === 'note')) {
          q.last_message = { role: m.role, text: String(m.text ?? '').slice(0, 120), created_at: m.created_at };
          renderQueue();
        }
        break;
      }
      case 'status':
        if (open) refreshCurrent();
        loadQueue();
        break;
      case 'queue':
        if (ev.queued && !state.queue.some((q) => q.id === id)) toast(t('newQueue'));
        loadQueue();
        if (ev.churn_ticket_id) loadChurn();
        if (open) refreshCurrent();
        break;
      case 'typing':
        if (open && ev.role === 'customer') {
          els.typing.hidden = !ev.on;
          clearTimeout(state.customerTypingTimer);
          if (ev.on) state.customerTypingTimer = setTimeout(() => { els.typing.hidden = true; }, 8000);
        }
        break;
      case 'alert':
        loadAlerts();
        break;
      default: break;
    }
  }

  /* ---------- wiring ---------- */

  els.loginForm.addEventListener('submit', login);
  els.logout.addEventListener('click', logout);
  for (const b of document.querySelectorAll('.lang-toggle')) b.addEventListener('click', toggleLang);
  for (const b of document.querySelectorAll('.filter')) {
    b.addEventListener('click', () => {
      state.filter = b.dataset.filter;
      for (const x of document.querySelectorAll('.filter')) x.classList.toggle('active', x === b);
      renderQueue();
    });
  }
  for (const b of document.querySelectorAll('.tab')) {
    b.addEventListener('click', () => {
      for (const x of document.querySelectorAll('.tab')) x.classList.toggle('active', x === b);
      for (const name of ['assist', 'customer', 'notes']) $(`tab-${name}`).hidden = name !== b.dataset.tab;
    });
  }
  els.takeover.addEventListener('click', takeOver);
  els.handback.addEventListener('click', () => act('handback', {}, 'handedBack'));
  els.close.addEventListener('click', () => act('close', { resolution: els.resolution.value }, 'closed'));
  els.replyForm.addEventListener('submit', sendReply);
  els.replyInput.addEventListener('keydown', replyKeydown);
  els.replyInput.addEventListener('input', () => { updateSend(); updateCanned(); noteTyping(); });
  // the menu closes when the box loses focus (a little later, so a click on an item still counts),
  // unless the box has it again by then: a late timer must not close the menu of a new "/"
  els.replyInput.addEventListener('blur', () => setTimeout(() => {
    if (document.activeElement !== els.replyInput) hideCanned();
  }, 150));
  els.replyInput.addEventListener('focus', () => updateCanned());
  els.noteForm.addEventListener('submit', addNote);
  setInterval(() => { if (state.me) renderQueue(); }, 15000); // waiting times tick

  boot();
})();
