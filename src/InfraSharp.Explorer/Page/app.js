// InfraSharp explorer. Every piece of data (ids included) is untrusted: it reaches the page only through
// textContent, setAttribute of data-* values and form values, never through innerHTML.
'use strict';

const token = new URLSearchParams(location.search).get('token');
const state = { page: 0, size: 20, total: 0, query: null, info: null };
const $ = (id) => document.getElementById(id);

async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  if (token) headers['X-Infra-Token'] = token;
  const r = await fetch(path, Object.assign({}, options, { headers }));
  const body = await r.json().catch(() => ({ error: `HTTP ${r.status}` }));
  if (!r.ok) throw new Error(body.error || `HTTP ${r.status}`);
  return body;
}

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

function attrs(a) {
  return Object.entries(a || {})
    .filter(([k, v]) => typeof v !== 'object' && String(v).length <= 40 && k !== 'id')
    .map(([k, v]) => `${k}=${v}`).join(' ');
}

function show(view) {
  for (const s of document.querySelectorAll('.view')) s.hidden = s.id !== 'view-' + view;
  const heading = document.querySelector('#view-' + view + ' h2, #view-' + view + ' input, #view-' + view + ' textarea');
  if (heading && heading.tagName !== 'H2') heading.focus();
  if (view === 'tables') loadTables();
}

function fillFilter(select, values) {
  for (const [key, list] of Object.entries(values || {}))
    for (const v of list) {
      const o = el('option', `${key}=${v}`);
      o.value = `${key}=${v}`;
      select.appendChild(o);
    }
}

function link(text, onClick, cls) {
  const a = el('a', text, cls);
  a.href = '#';
  a.addEventListener('click', (e) => { e.preventDefault(); onClick(); });
  return a;
}

async function loadQueries() {
  const p = new URLSearchParams({ page: state.page, size: state.size, sort: $('sort').value });
  if ($('search').value) p.set('search', $('search').value);
  if ($('query-filter').value) p.append('filter', $('query-filter').value);
  const r = await api('/api/queries?' + p);
  state.total = r.total;
  const list = $('query-list');
  clear(list);
  list.start = r.page * r.size + 1;
  for (const q of r.items) {
    const li = el('li');
    li.dataset.id = q.id;
    li.appendChild(link(q.id, () => openQuery(q.index), 'query-link'));
    li.appendChild(el('span', q.correct ? '' : ' (incorrect)', 'muted'));
    li.appendChild(el('span', q.total.toPrecision(4), 'score'));
    li.appendChild(el('div', q.prompt, 'muted'));
    list.appendChild(li);
  }
  $('query-count').textContent = `${r.total} queries`;
  const pages = Math.max(1, Math.ceil(r.total / r.size));
  $('page-label').textContent = `page ${r.page + 1} of ${pages}`;
  $('prev').disabled = r.page === 0;
  $('next').disabled = r.page + 1 >= pages;
}

function rows(list, items, onOpen, extra) {
  clear(list);
  for (const t of items) {
    const li = el('li');
    li.dataset.id = t.id;
    li.dataset.score = String(t.score);
    li.appendChild(link(t.id, () => onOpen(t), 'row-link'));
    li.appendChild(el('span', Number(t.score).toPrecision(4), 'score'));
    li.appendChild(el('span', attrs(t.attributes), 'attrs'));
    if (extra) li.appendChild(extra(t));
    li.appendChild(el('div', t.prompt, 'muted'));
    list.appendChild(li);
  }
}

async function openQuery(index) {
  state.query = index;
  const p = new URLSearchParams({ k: 10 });
  if ($('train-filter').value) p.append('filter', $('train-filter').value);
  const r = await api(`/api/queries/${index}?` + p);
  $('query-id').textContent = r.query.id;
  $('query-prompt').textContent = r.query.prompt;
  $('query-answer').textContent = r.query.answer;
  const tokensButton = (t) => {
    const b = el('button', 'tokens', 'tokens-button');
    b.type = 'button';
    b.addEventListener('click', () => openTokens(index, t.index));
    return b;
  };
  rows($('proponents'), r.proponents, (t) => openTrain(t.index), tokensButton);
  rows($('opponents'), r.opponents, (t) => openTrain(t.index), tokensButton);
  $('heatmap-box').hidden = true;
  show('query');
}

function color(score, scale) {
  const x = Math.max(-1, Math.min(1, score / (scale || 1)));
  const a = Math.abs(x) * 0.85;
  return x >= 0 ? `rgba(215, 48, 39, ${a})` : `rgba(49, 130, 189, ${a})`;
}

async function openTokens(q, t) {
  const r = await api(`/api/queries/${q}/tokens/${t}`);
  const box = $('heatmap');
  clear(box);
  $('heatmap-id').textContent = r.train.id;
  const scale = Math.max(...r.tokens.map((x) => Math.abs(x.score || 0)));
  r.tokens.forEach((tok, i) => {
    const s = el('span', tok.text, 'tok');
    s.dataset.index = String(i);
    if (tok.score !== null) {
      s.dataset.score = String(tok.score);
      s.style.background = color(tok.score, scale);
      s.tabIndex = 0;
      const tip = () => {
        const rect = s.getBoundingClientRect();
        $('tip').textContent = String(tok.score);
        $('tip').style.left = `${Math.min(rect.left, innerWidth - 160)}px`;
        $('tip').style.top = `${rect.bottom + 4}px`;
        $('tip').hidden = false;
      };
      s.addEventListener('mouseenter', tip);
      s.addEventListener('focus', tip);
      s.addEventListener('mouseleave', () => { $('tip').hidden = true; });
      s.addEventListener('blur', () => { $('tip').hidden = true; });
    }
    box.appendChild(s);
  });
  if (!r.per_token) box.appendChild(el('p', 'This score folder has no per-token scores (infra scores --per-token).', 'muted'));
  $('heatmap-box').hidden = false;
}

async function openTrain(t) {
  const r = await api(`/api/train/${t}?k=10`);
  $('train-id').textContent = r.train.id;
  $('train-source').textContent = `${r.train.source} ${attrs(r.train.attributes)}`;
  $('train-prompt').textContent = r.train.prompt;
  $('train-answer').textContent = r.train.answer;
  rows($('helps'), r.helps, (q) => openQuery(q.index));
  rows($('hurts'), r.hurts, (q) => openQuery(q.index));
  show('train');
}

async function loadTables() {
  const r = await api('/api/tables');
  $('tables-folder').textContent = r.tables.length ? `from ${r.folder}` : `no analysis tables in ${r.folder}`;
  const box = $('tables');
  clear(box);
  for (const t of r.tables) {
    box.appendChild(el('h3', t.name.replace('_', ' ')));
    const table = el('table');
    const head = el('tr');
    for (const c of t.columns) head.appendChild(el('th', c));
    table.appendChild(head);
    for (const row of t.rows) {
      const tr = el('tr');
      for (const c of row) tr.appendChild(el('td', c));
      table.appendChild(tr);
    }
    box.appendChild(table);
  }
}

async function scoreNew(e) {
  e.preventDefault();
  $('new-submit').disabled = true;
  try {
    const started = await api('/api/score', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ prompt: $('new-prompt').value, answer: $('new-answer').value }),
    });
    for (;;) {
      const s = await api('/api/score');
      if (s.run !== started.run) throw new Error('another scoring run replaced this one');
      if (s.state === 'running') {
        $('new-status').textContent = `scoring: ${s.stage || ''} (${s.elapsed || 0}s)`;
        await new Promise((ok) => setTimeout(ok, 500));
        continue;
      }
      if (s.state === 'failed') throw new Error(s.error);
      $('new-status').textContent = `done in ${s.elapsed}s`;
      rows($('new-proponents'), s.proponents, (t) => openTrain(t.index));
      rows($('new-opponents'), s.opponents, (t) => openTrain(t.index));
      break;
    }
  } catch (err) {
    $('new-status').textContent = `error: ${err.message}`;
  } finally {
    $('new-submit').disabled = false;
  }
}

async function start() {
  for (const b of document.querySelectorAll('[data-view]')) b.addEventListener('click', () => show(b.dataset.view));
  $('query-form').addEventListener('submit', (e) => { e.preventDefault(); state.page = 0; loadQueries(); });
  $('sort').addEventListener('change', () => { state.page = 0; loadQueries(); });
  $('query-filter').addEventListener('change', () => { state.page = 0; loadQueries(); });
  $('prev').addEventListener('click', () => { state.page = Math.max(0, state.page - 1); loadQueries(); });
  $('next').addEventListener('click', () => { state.page += 1; loadQueries(); });
  $('train-filter').addEventListener('change', () => { if (state.query !== null) openQuery(state.query); });
  $('new-form').addEventListener('submit', scoreNew);
  state.info = await api('/api/info');
  fillFilter($('query-filter'), state.info.query_attributes);
  fillFilter($('train-filter'), state.info.train_attributes);
  $('nav-new').hidden = !state.info.scoring;
  await loadQueries();
  document.body.dataset.ready = 'true';
}

start().catch((err) => { $('query-count').textContent = `error: ${err.message}`; });
