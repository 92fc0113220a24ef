/* kefu operations dashboard (web/dashboard.html; docs/operations.md "Dashboard").
   Plain JS, no framework, no build step; charts are Apache ECharts (window.echarts, from
   /vendor/echarts.min.js). All UI strings are in STRINGS (zh + en). Every section loads on its own:
   a route that fails or does not exist yet shows "unavailable" in its card, the rest still renders.
   Data comes from the supervisor routes of docs/api.md: reports/kpis, reports/csat, reports/intents,
   reports/handoffs, reports/churn, reports/recommendations, reports/campaigns, experiments and
   alerts (polled for the banner). */
(() => {
  'use strict';

  const API = '/api/v1';
  const STORE_LANG = 'kefu.dashboard.lang';
  const ALERT_POLL_MS = 30_000;

  const STRINGS = {
    zh: {
      appTitle: '运营看板', loginHint: '请使用主管账号登录', username: '用户名', password: '密码',
      signIn: '登录', signOut: '退出', switchLang: 'English', loginFailed: '用户名或密码错误',
      notSupervisor: '看板需要主管或管理员账号', period: '时间范围', period24h: '最近 24 小时',
      period7d: '最近 7 天', period14d: '最近 14 天', period30d: '最近 30 天', refresh: '刷新',
      kpiConversations: '会话数', kpiContainment: '自助解决率', kpiContainmentSub: '无需人工',
      kpiResolution: '解决率', kpiFrt: '人工首次响应', kpiAht: '平均处理时长', kpiCsat: '满意度 CSAT',
      chartKpis: 'KPI 趋势', chartCsat: '满意度趋势', chartIntents: '意图分布', chartHandoffs: '转人工原因',
      chartChurn: '流失风险分布', riskiest: '高风险客户', chartReco: '推荐转化', chartCampaigns: '营销活动',
      'ab.variant': '变体', 'ab.metric': '指标', 'ab.control_rate': '对照组', 'ab.variant_rate': '实验组',
      'ab.diff': '差值', 'ab.z': 'z', 'ab.p_value': 'p 值', 'ab.verdict': '结论',
      'ab.v.significant at 0.05': '显著 (p<0.05)', 'ab.v.not significant at 0.05': '不显著', 'ab.v.no data': '无数据',
      abTests: 'A/B 实验', colCustomer: '客户', colScore: '风险分', colReasons: '原因',
      footnote: 'KPI 按会话开始时间统计；满意度按评价时间统计。定义见 docs/operations.md。',
      conversations: '会话', containment: '自助解决率', resolution: '解决率', handoff: '转人工率',
      csatAvg: '平均分', csatCount: '评价数', count: '数量', customers: '客户数', noData: '暂无数据',
      unavailable: '暂不可用', median: '中位数', avg: '平均', ratings: '条评价', samples: '样本',
      clickRate: '点击率', conversionRate: '转化率', impressions: '曝光', variant: '分组',
      noExperiments: '暂无实验', alertFiring: '告警', alertsMore: '条告警', since: '开始于',
      'handoff.customer_request': '客户要求', 'handoff.repeated_failure': '多次未解决',
      'handoff.negative_streak': '连续负面情绪', 'handoff.low_confidence': '低置信度', 'handoff.vip': 'VIP 客户',
      'handoff.flow': '流程转人工', 'handoff.backend_unavailable': '后台不可用',
      'level.low': '低', 'level.medium': '中', 'level.high': '高',
      'source.profile': '画像', 'source.rules': '关联规则', 'source.popular': '热销',
      'campaign.sent': '已发送', 'campaign.failed': '失败', 'campaign.skipped_opt_out': '已退订',
      'campaign.skipped_cap': '频次上限', 'campaign.skipped_cooldown': '冷却期', 'campaign.deferred_quiet_hours': '免打扰',
      'campaign.sending': '发送中',
    },
    en: {
      appTitle: 'Operations dashboard', loginHint: 'Sign in with a supervisor account', username: 'Username',
      password: 'Password', signIn: 'Sign in', signOut: 'Sign out', switchLang: '中文',
      loginFailed: 'Wrong username or password', notSupervisor: 'The dashboard needs a supervisor or admin account',
      period: 'Period', period24h: 'Last 24 hours', period7d: 'Last 7 days', period14d: 'Last 14 days',
      period30d: 'Last 30 days', refresh: 'Refresh', kpiConversations: 'Conversations',
      kpiContainment: 'Containment', kpiContainmentSub: 'no human needed', kpiResolution: 'Resolution rate',
      kpiFrt: 'First agent response', kpiAht: 'Avg handle time', kpiCsat: 'CSAT',
      chartKpis: 'KPIs over time', chartCsat: 'CSAT trend', chartIntents: 'Intent mix', chartHandoffs: 'Handoff reasons',
      chartChurn: 'Churn-risk distribution', riskiest: 'Riskiest customers', chartReco: 'Recommendation conversion',
      'ab.variant': 'Variant', 'ab.metric': 'Metric', 'ab.control_rate': 'Control', 'ab.variant_rate': 'Variant rate',
      'ab.diff': 'Difference', 'ab.z': 'z', 'ab.p_value': 'p-value', 'ab.verdict': 'Verdict',
      'ab.v.significant at 0.05': 'significant (p<0.05)', 'ab.v.not significant at 0.05': 'not significant', 'ab.v.no data': 'no data',
      chartCampaigns: 'Campaigns', abTests: 'A/B tests', colCustomer: 'Customer', colScore: 'Risk', colReasons: 'Reasons',
      footnote: 'KPIs count conversations by their start; CSAT by the time of the rating. Definitions: docs/operations.md.',
      conversations: 'Conversations', containment: 'Containment', resolution: 'Resolution', handoff: 'Handoff rate',
      csatAvg: 'Average', csatCount: 'Ratings', count: 'Count', customers: 'Customers', noData: 'No data yet',
      unavailable: 'Unavailable', median: 'median', avg: 'avg', ratings: 'ratings', samples: 'samples',
      clickRate: 'Click rate', conversionRate: 'Conversion rate', impressions: 'Impressions', variant: 'Variant',
      noExperiments: 'No experiments', alertFiring: 'Alert', alertsMore: 'alerts', since: 'since',
      'handoff.customer_request': 'Customer asked', 'handoff.repeated_failure': 'Repeated failure',
      'handoff.negative_streak': 'Negative streak', 'handoff.low_confidence': 'Low confidence', 'handoff.vip': 'VIP customer',
      'handoff.flow': 'Flow handoff', 'handoff.backend_unavailable': 'Back end unavailable',
      'level.low': 'low', 'level.medium': 'medium', 'level.high': 'high',
      'source.profile': 'Profile', 'source.rules': 'Rules', 'source.popular': 'Popular',
      'campaign.sent': 'Sent', 'campaign.failed': 'Failed', 'campaign.skipped_opt_out': 'Opted out',
      'campaign.skipped_cap': 'Capped', 'campaign.skipped_cooldown': 'Cooldown', 'campaign.deferred_quiet_hours': 'Quiet hours',
      'campaign.sending': 'Sending',
    },
  };

  const PALETTE = ['#4f46e5', '#0ea5e9', '#10b981', '#f59e0b', '#ef4444', '#8b5cf6', '#14b8a6', '#f97316', '#64748b'];
  const $ = (id) => document.getElementById(id);
  const els = {
    login: $('login'), loginForm: $('login-form'), loginUser: $('login-user'), loginPass: $('login-pass'),
    loginError: $('login-error'), app: $('app'), me: $('me'), logout: $('logout'), period: $('period'),
    refresh: $('refresh'), banner: $('alert-banner'), riskiest: $('riskiest'), experiments: $('experiments'),
  };
  const state = { lang: initialLang(), me: null, data: {}, charts: {}, alertTimer: null };

  function initialLang() {
    const fromUrl = new URLSearchParams(location.search).get('lang');
    if (fromUrl === 'zh' || fromUrl === 'en') return fromUrl;
    try { const s = localStorage.getItem(STORE_LANG); if (s === 'zh' || s === 'en') return s; } catch { /* private mode */ }
    return /^zh/i.test(navigator.language || '') ? 'zh' : 'en';
  }
  const t = (key) => STRINGS[state.lang][key] ?? STRINGS.en[key] ?? key;
  const tOr = (key, fallback) => STRINGS[state.lang][key] ?? STRINGS.en[key] ?? fallback;
  const locale = () => (state.lang === 'zh' ? 'zh-CN' : 'en-US');
  const pct = (v) => (v == null ? '–' : `${(v * 100).toFixed(1)}%`);
  const num = (v, d = 1) => (v == null ? '–' : Number(v).toLocaleString(locale(), { maximumFractionDigits: d }));

  function duration(s) {
    if (s == null) return '–';
    if (s < 90) return state.lang === 'zh' ? `${Math.round(s)} 秒` : `${Math.round(s)} s`;
    if (s < 5400) return state.lang === 'zh' ? `${(s / 60).toFixed(1)} 分钟` : `${(s / 60).toFixed(1)} min`;
    return state.lang === 'zh' ? `${(s / 3600).toFixed(1)} 小时` : `${(s / 3600).toFixed(1)} h`;
  }

  class ApiError extends Error {
    constructor(message, status) { super(message); this.status = status; }
  }

  async function api(method, path, body) {
    const res = await fetch(API + path, {
      method, credentials: 'same-origin',
      headers: body ? { 'Content-Type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    let data = null;
    try { data = await res.json(); } catch { /* not JSON */ }
    if (!res.ok) {
      if (res.status === 401 && state.me) signedOut();
      throw new ApiError(data?.error?.message || `HTTP ${res.status}`, res.status);
    }
    return data ?? {};
  }

  /* ---------- period ---------- */

  function period() {
    const v = els.period.value;
    const hour = 3_600_000, day = 24 * hour;
    const now = Date.now();
    if (v === '24h') {
      const to = Math.ceil((now + 1) / hour) * hour;
      return { from: to - 24 * hour, to, bucket: 'hour' };
    }
    const days = Number.parseInt(v, 10) || 14;
    const to = Math.ceil((now + 1) / day) * day;
    return { from: to - days * day, to, bucket: 'day' };
  }
  const iso = (ms) => new Date(ms).toISOString();
  const isoS = (ms) => iso(ms).replace(/\.\d{3}Z$/, 'Z'); // reports/recommendations takes seconds
  const q = (p) => `from=${encodeURIComponent(iso(p.from))}&to=${encodeURIComponent(iso(p.to))}`;

  function bucketLabel(isoStart, bucket) {
    const d = new Date(isoStart);
    return bucket === 'hour'
      ? d.toLocaleTimeString(locale(), { hour: '2-digit', minute: '2-digit' })
      : d.toLocaleDateString(locale(), { month: '2-digit', day: '2-digit' });
  }

  /* ---------- charts ---------- */

  function chart(id) {
    if (!window.echarts) return null;
    if (!state.charts[id]) state.charts[id] = window.echarts.init($(id), null, { renderer: 'canvas' });
    return state.charts[id];
  }

  function placeholder(id, key) {
    const c = state.charts[id];
    if (c) { c.dispose(); delete state.charts[id]; }
    const box = $(id);
    box.replaceChildren();
    const p = document.createElement('p');
    p.className = 'placeholder';
    p.dataset.state = key;
    p.textContent = t(key);
    box.append(p);
  }

  const baseOption = () => ({
    color: PALETTE,
    textStyle: { fontFamily: getComputedStyle(document.body).fontFamily },
    tooltip: { trigger: 'axis' },
    grid: { left: 48, right: 24, top: 36, bottom: 36, containLabel: true },
    animation: false,
  });

  function draw(id, option) {
    const box = $(id);
    if (box.querySelector('.placeholder')) box.replaceChildren();
    const c = chart(id);
    if (!c) return placeholder(id, 'unavailable');
    c.setOption(option, true);
  }

  /* ---------- sections ---------- */

  function renderTiles() {
    const k = state.data.kpis;
    const o = k?.overall;
    const set = (id, value, sub) => {
      const tile = $(id);
      tile.querySelector('.tile-value').textContent = value;
      if (sub !== undefined) tile.querySelector('.tile-sub').textContent = sub;
    };
    if (!o) {
      for (const id of ['tile-conversations', 'tile-containment', 'tile-resolution', 'tile-frt', 'tile-aht', 'tile-csat']) set(id, '–');
      return;
    }
    set('tile-conversations', num(o.conversations, 0), `${t('handoff')} ${pct(o.handoff_rate)}`);
    set('tile-containment', pct(o.containment_rate));
    set('tile-resolution', pct(o.resolution_rate), `${num(o.resolved, 0)} / ${num(o.conversations, 0)}`);
    set('tile-frt', duration(o.first_response_s?.p50),
      `${t('median')} · ${t('avg')} ${duration(o.first_response_s?.avg)} · ${num(o.first_response_s?.n, 0)} ${t('samples')}`);
    set('tile-aht', duration(o.handle_time_s?.avg), `${num(o.handle_time_s?.n, 0)} ${t('samples')}`);
    set('tile-csat', o.csat?.avg == null ? '–' : `${num(o.csat.avg, 2)} / 5`, `${num(o.csat?.n, 0)} ${t('ratings')}`);
  }

  function renderKpis() {
    const k = state.data.kpis;
    renderTiles();
    if (!k) return placeholder('chart-kpis', 'unavailable');
    const x = k.series.map((s) => bucketLabel(s.start, k.bucket));
    const rate = (key) => k.series.map((s) => (s[key] == null ? null : +(s[key] * 100).toFixed(1)));
    draw('chart-kpis', {
      ...baseOption(),
      legend: { top: 0 },
      xAxis: { type: 'category', data: x },
      yAxis: [
        { type: 'value', name: '%', min: 0, max: 100 },
        { type: 'value', name: t('conversations'), minInterval: 1, splitLine: { show: false } },
      ],
      series: [
        { name: t('conversations'), type: 'bar', yAxisIndex: 1, data: k.series.map((s) => s.conversations), itemStyle: { color: '#c7d2fe' }, barMaxWidth: 24 },
        { name: t('containment'), type: 'line', smooth: true, connectNulls: true, data: rate('containment_rate') },
        { name: t('resolution'), type: 'line', smooth: true, connectNulls: true, data: rate('resolution_rate') },
        { name: t('handoff'), type: 'line', smooth: true, connectNulls: true, data: rate('handoff_rate') },
      ],
    });
  }

  function renderCsat() {
    // prefer the learning loop's CSAT report; the KPI series carries CSAT too
    const r = state.data.csat;
    let x = [], avg = [], n = [];
    if (r?.series?.length) {
      x = r.series.map((b) => b.bucket);
      avg = r.series.map((b) => { const v = b.average ?? b.avg ?? b.mean; return v == null ? null : +Number(v).toFixed(2); });
      n = r.series.map((b) => b.count ?? b.n ?? Object.values(b.distribution || {}).reduce((a, c) => a + c, 0));
    } else if (state.data.kpis) {
      const k = state.data.kpis;
      x = k.series.map((s) => bucketLabel(s.start, k.bucket));
      avg = k.series.map((s) => (s.csat?.avg == null ? null : +s.csat.avg.toFixed(2)));
      n = k.series.map((s) => s.csat?.n ?? 0);
    }
    if (!x.length || n.every((v) => !v)) return placeholder('chart-csat', 'noData');
    draw('chart-csat', {
      ...baseOption(),
      legend: { top: 0 },
      xAxis: { type: 'category', data: x },
      yAxis: [{ type: 'value', min: 1, max: 5, name: 'CSAT' }, { type: 'value', minInterval: 1, splitLine: { show: false } }],
      series: [
        { name: t('csatCount'), type: 'bar', yAxisIndex: 1, data: n, itemStyle: { color: '#bae6fd' }, barMaxWidth: 20 },
        { name: t('csatAvg'), type: 'line', smooth: true, connectNulls: true, data: avg, itemStyle: { color: '#10b981' } },
      ],
    });
  }

  function renderIntents() {
    const r = state.data.intents;
    if (!r) return placeholder('chart-intents', 'unavailable');
    if (!r.intents?.length) return placeholder('chart-intents', 'noData');
    draw('chart-intents', {
      ...baseOption(),
      tooltip: { trigger: 'item', formatter: (p) => `${p.name}: ${p.value} (${p.percent}%)` },
      legend: { type: 'scroll', orient: 'vertical', right: 0, top: 'middle' },
      series: [{
        type: 'pie', radius: ['40%', '70%'], center: ['38%', '50%'], avoidLabelOverlap: true,
        label: { show: false }, data: r.intents.map((i) => ({ name: i.intent, value: i.count })),
      }],
    });
  }

  function renderHandoffs() {
    const r = state.data.handoffs;
    if (!r) return placeholder('chart-handoffs', 'unavailable');
    const counts = new Map();
    for (const row of [...(r.requests || []), ...(r.needs_human || [])]) {
      if (!row.reason) continue;
      counts.set(row.reason, Math.max(counts.get(row.reason) || 0, row.count));
    }
    if (!counts.size) return placeholder('chart-handoffs', 'noData');
    const rows = [...counts.entries()].sort((a, b) => a[1] - b[1]);
    draw('chart-handoffs', {
      ...baseOption(),
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      xAxis: { type: 'value', minInterval: 1 },
      yAxis: { type: 'category', data: rows.map(([k]) => tOr(`handoff.${k}`, k)) },
      series: [{ type: 'bar', name: t('count'), data: rows.map(([, v]) => v), itemStyle: { color: '#f59e0b' }, barMaxWidth: 22 }],
    });
  }

  function renderChurn() {
    const r = state.data.churn;
    const tbody = els.riskiest.querySelector('tbody');
    tbody.replaceChildren();
    if (!r) {
      placeholder('chart-churn', 'unavailable');
      return;
    }
    const b = r.buckets || [];
    if (!b.some((x) => x.customers)) placeholder('chart-churn', 'noData');
    else draw('chart-churn', {
      ...baseOption(),
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      xAxis: { type: 'category', data: b.map((x) => `${x.from.toFixed(1)}–${x.to.toFixed(1)}`) },
      yAxis: { type: 'value', name: t('customers'), minInterval: 1 },
      series: [{
        type: 'bar', name: t('customers'), barMaxWidth: 28,
        data: b.map((x) => ({ value: x.customers, itemStyle: { color: x.from >= 0.7 ? '#ef4444' : x.from >= 0.4 ? '#f59e0b' : '#10b981' } })),
      }],
    });
    for (const c of r.riskiest || []) {
      const tr = document.createElement('tr');
      const name = document.createElement('td');
      name.textContent = c.name ? `${c.name} (#${c.customer_id})` : `#${c.customer_id}`;
      const score = document.createElement('td');
      score.className = 'score';
      score.textContent = Number(c.churn_score).toFixed(2);
      score.dataset.level = c.churn_score >= 0.7 ? 'high' : c.churn_score >= 0.4 ? 'medium' : 'low';
      const reasons = document.createElement('td');
      reasons.textContent = (c.reasons || []).map((x) => x[state.lang] || x.en || x.code).join(state.lang === 'zh' ? '；' : '; ');
      tr.append(name, score, reasons);
      tbody.append(tr);
    }
    if (!tbody.children.length) {
      const tr = document.createElement('tr');
      const td = document.createElement('td');
      td.colSpan = 3;
      td.className = 'empty';
      td.textContent = t('noData');
      tr.append(td);
      tbody.append(tr);
    }
  }

  function renderReco() {
    const r = state.data.reco;
    if (!r) return placeholder('chart-reco', 'unavailable');
    const rows = [...(r.by_source || []).map((x) => ({ ...x, label: tOr(`source.${x.source}`, x.source) })),
      ...(r.by_strategy || []).map((x) => ({ ...x, label: x.strategy }))];
    if (!rows.some((x) => x.impressions)) return placeholder('chart-reco', 'noData');
    draw('chart-reco', {
      ...baseOption(),
      legend: { top: 0 },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      xAxis: { type: 'category', data: rows.map((x) => x.label), axisLabel: { interval: 0, rotate: 20 } },
      yAxis: [{ type: 'value', name: '%' }, { type: 'value', name: t('impressions'), minInterval: 1, splitLine: { show: false } }],
      series: [
        { name: t('impressions'), type: 'bar', yAxisIndex: 1, data: rows.map((x) => x.impressions), itemStyle: { color: '#e0e7ff' }, barMaxWidth: 26 },
        { name: t('clickRate'), type: 'line', data: rows.map((x) => +(100 * (x.click_rate || 0)).toFixed(1)) },
        { name: t('conversionRate'), type: 'line', data: rows.map((x) => +(100 * (x.conversion_rate || 0)).toFixed(1)) },
      ],
    });
  }

  function renderCampaigns() {
    const r = state.data.campaigns;
    if (!r) return placeholder('chart-campaigns', 'unavailable');
    const list = r.campaigns || [];
    if (!list.length) return placeholder('chart-campaigns', 'noData');
    const statuses = [...new Set(list.flatMap((c) => Object.keys(c.counts || {})))];
    draw('chart-campaigns', {
      ...baseOption(),
      legend: { top: 0, type: 'scroll' },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      xAxis: { type: 'category', data: list.map((c) => c.campaign) },
      yAxis: { type: 'value', minInterval: 1 },
      series: statuses.map((s) => ({
        name: tOr(`campaign.${s}`, s), type: 'bar', stack: 'all', barMaxWidth: 36,
        data: list.map((c) => c.counts?.[s] || 0),
      })),
    });
  }

  /* An experiment report is rendered as it comes (docs/experiments.md): one row per variant, one
     column per plain figure; a {rate, …} or {value, …} object shows its rate or value. */
  function cell(v) {
    if (v == null) return '–';
    if (typeof v === 'number') return v > 0 && v < 1 && !Number.isInteger(v) ? pct(v) : num(v, 3);
    if (typeof v === 'boolean') return v ? '✓' : '–';
    if (typeof v === 'string') return v;
    if (typeof v === 'object' && !Array.isArray(v)) {
      const inner = v.rate ?? v.value ?? v.avg ?? v.mean;
      if (inner !== undefined) return cell(inner);
    }
    return '';
  }

  function renderExperiments() {
    const box = els.experiments;
    box.replaceChildren();
    const x = state.data.experiments;
    const note = (key) => { const p = document.createElement('p'); p.className = 'placeholder'; p.dataset.state = key; p.textContent = t(key); box.append(p); };
    if (!x) return note('unavailable');
    if (!x.length) return note('noExperiments');
    for (const { def, report } of x) {
      const sec = document.createElement('section');
      sec.className = 'experiment';
      const h = document.createElement('h3');
      h.textContent = def.name || def.id || report?.experiment || '?';
      sec.append(h);
      const variants = Array.isArray(report?.variants) ? report.variants : [];
      if (!variants.length) {
        const p = document.createElement('p');
        p.className = 'muted';
        p.textContent = report ? t('noData') : t('unavailable');
        sec.append(p);
        box.append(sec);
        continue;
      }
      const keys = [...new Set(variants.flatMap((v) => Object.keys(v)))]
        .filter((k) => !['variant', 'name', 'id'].includes(k) && variants.some((v) => cell(v[k]) !== ''));
      const table = document.createElement('table');
      table.className = 'table';
      const head = document.createElement('tr');
      for (const k of [t('variant'), ...keys]) { const th = document.createElement('th'); th.textContent = k; head.append(th); }
      table.createTHead().append(head);
      const body = table.createTBody();
      for (const v of variants) {
        const tr = document.createElement('tr');
        const name = document.createElement('td');
        name.textContent = v.variant ?? v.name ?? v.id ?? '?';
        tr.append(name);
        for (const k of keys) { const td = document.createElement('td'); td.textContent = cell(v[k]); tr.append(td); }
        body.append(tr);
      }
      const wrap = document.createElement('div');
      wrap.className = 'table-wrap';
      wrap.append(table);
      sec.append(wrap);
      // the two-proportion z-tests against the control: one row per variant and metric
      const tests = Array.isArray(report.tests) ? report.tests : [];
      if (tests.length) {
        const tt = document.createElement('table');
        tt.className = 'table ab-tests';
        const cols = ['variant', 'metric', 'control_rate', 'variant_rate', 'diff', 'z', 'p_value', 'verdict'];
        const hr = document.createElement('tr');
        for (const k of cols) { const th = document.createElement('th'); th.textContent = t(`ab.${k}`); hr.append(th); }
        tt.createTHead().append(hr);
        const tb = tt.createTBody();
        for (const x of tests) {
          const tr = document.createElement('tr');
          if (x.significant) tr.className = 'significant';
          for (const k of cols) {
            const td = document.createElement('td');
            const v = x[k];
            td.textContent = k === 'diff' && typeof v === 'number' ? `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)} pt`
              : k === 'z' && typeof v === 'number' ? v.toFixed(2)
              : k === 'p_value' && typeof v === 'number' ? v.toFixed(4)
              : k === 'verdict' ? t(`ab.v.${v}`) : cell(v);
            if (k === 'verdict' && x.note) td.title = x.note;
            tr.append(td);
          }
          tb.append(tr);
        }
        const w2 = document.createElement('div');
        w2.className = 'table-wrap';
        w2.append(tt);
        sec.append(w2);
      }
      box.append(sec);
    }
  }

  function renderAll() {
    renderKpis(); renderCsat(); renderIntents(); renderHandoffs(); renderChurn(); renderReco();
    renderCampaigns(); renderExperiments();
  }

  /* ---------- loading ---------- */

  const get = (path) => api('GET', path).catch((e) => { if (e.status === 401) throw e; return null; });

  async function loadExperiments(p) {
    const list = await get('/experiments');
    if (!list) return null;
    const defs = Array.isArray(list) ? list : list.experiments || [];
    return Promise.all(defs.map(async (def) => ({
      def, report: await get(`/experiments/${encodeURIComponent(def.id || def.name)}/report?${q(p)}`),
    })));
  }

  async function loadAll() {
    const p = period();
    document.body.dataset.loading = '1';
    const [kpis, csat, intents, handoffs, churn, reco, campaigns, experiments] = await Promise.all([
      get(`/reports/kpis?${q(p)}&bucket=${p.bucket}`),
      get(`/reports/csat?${q(p)}&bucket=day`),
      get(`/reports/intents?${q(p)}`),
      get(`/reports/handoffs?${q(p)}`),
      get('/reports/churn?top=10'),
      get(`/reports/recommendations?since=${encodeURIComponent(isoS(p.from))}&until=${encodeURIComponent(isoS(p.to))}`),
      get(`/reports/campaigns?${q(p)}`),
      loadExperiments(p),
    ]);
    state.data = { kpis, csat, intents, handoffs, churn, reco, campaigns, experiments };
    renderAll();
    delete document.body.dataset.loading;
    document.body.dataset.ready = '1';
  }

  async function loadAlerts() {
    let r = null;
    try { r = await api('GET', '/alerts'); } catch { /* keep the last banner */ return; }
    const list = r.alerts || [];
    els.banner.replaceChildren();
    els.banner.hidden = list.length === 0;
    for (const a of list.slice(0, 3)) {
      const item = document.createElement('div');
      item.className = 'alert-item';
      const tag = document.createElement('strong');
      tag.textContent = t('alertFiring');
      const text = document.createElement('span');
      text.textContent = ` ${a.message || a.rule} · ${t('since')} ${new Date(a.started_at).toLocaleString(locale())}`;
      item.append(tag, text);
      els.banner.append(item);
    }
    if (list.length > 3) {
      const more = document.createElement('div');
      more.className = 'alert-item';
      more.textContent = `+${list.length - 3} ${t('alertsMore')}`;
      els.banner.append(more);
    }
  }

  /* ---------- language ---------- */

  function applyLang() {
    document.documentElement.lang = state.lang === 'zh' ? 'zh-CN' : 'en';
    document.title = `${t('appTitle')} · kefu`;
    for (const n of document.querySelectorAll('[data-i18n]')) n.textContent = t(n.dataset.i18n);
    document.body.dataset.lang = state.lang;
    if (state.me) {
      els.me.textContent = `${state.me.display_name || state.me.username}`;
      renderAll();
      loadAlerts();
    }
  }

  function toggleLang() {
    state.lang = state.lang === 'zh' ? 'en' : 'zh';
    try { localStorage.setItem(STORE_LANG, state.lang); } catch { /* private mode */ }
    applyLang();
  }

  /* ---------- sign in ---------- */

  async function boot() {
    applyLang();
    let me = null;
    try { me = await api('GET', '/auth/me'); } catch { /* signed out */ }
    if (me?.user && ['supervisor', 'admin'].includes(me.role)) signedIn(me.user);
    else showLogin(me?.user ? t('notSupervisor') : null);
  }

  function showLogin(message) {
    els.app.hidden = true;
    els.login.hidden = false;
    els.loginError.hidden = !message;
    if (message) els.loginError.textContent = message;
    els.loginUser.focus();
  }

  async function login(e) {
    e.preventDefault();
    els.loginError.hidden = true;
    try {
      const res = await api('POST', '/auth/login', { username: els.loginUser.value.trim(), password: els.loginPass.value });
      els.loginPass.value = '';
      if (!['supervisor', 'admin'].includes(res.user?.role)) {
        await api('POST', '/auth/logout', {}).catch(() => {});
        return showLogin(t('notSupervisor'));
      }
      signedIn(res.user);
    } catch (err) {
      els.loginError.textContent = [400, 401, 404].includes(err.status) ? t('loginFailed') : err.message;
      els.loginError.hidden = false;
    }
  }

  function signedIn(user) {
    state.me = user;
    els.login.hidden = true;
    els.app.hidden = false;
    els.me.textContent = user.display_name || user.username;
    loadAll().catch(() => {});
    loadAlerts();
    clearInterval(state.alertTimer);
    state.alertTimer = setInterval(loadAlerts, ALERT_POLL_MS);
  }

  function signedOut() {
    state.me = null;
    clearInterval(state.alertTimer);
    showLogin(null);
  }

  async function logout() {
    try { await api('POST', '/auth/logout', {}); } catch { /* gone either way */ }
    signedOut();
  }

  els.loginForm.addEventListener('submit', login);
  els.logout.addEventListener('click', logout);
  els.refresh.addEventListener('click', () => { loadAll().catch(() => {}); loadAlerts(); });
  els.period.addEventListener('change', () => loadAll().catch(() => {}));
  for (const b of document.querySelectorAll('.lang-toggle')) b.addEventListener('click', toggleLang);
  window.addEventListener('resize', () => { for (const c of Object.values(state.charts)) c.resize(); });
  boot();
})();
