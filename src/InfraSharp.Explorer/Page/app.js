// InfraSharp explorer. Every piece of data (ids included) is untrusted: it reaches the page only through
// textContent, setAttribute of data-* values and form values, never through innerHTML.
'use strict';

// Off loopback the access token is in the page's URL; every address the page makes keeps it there.
const token = new URLSearchParams(location.search).get('token');
const state = { page: 0, size: 20, total: 0, query: null, info: null, view: 'queries', listed: false };
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
  state.view = view;
  for (const s of document.querySelectorAll('.view')) s.hidden = s.id !== 'view-' + view;
  const heading = document.querySelector('#view-' + view + ' h2, #view-' + view + ' input, #view-' + view + ' textarea');
  if (heading && heading.tagName !== 'H2') heading.focus();
}

// Addresses of the views (the server serves the page at each): the History API keeps Back/Forward, bookmarks and
// new tabs working.
const paths = {
  queries: () => '/',
  query: (q) => `/query/${q}`,
  tokens: (q, t) => `/query/${q}/train/${t}`,
  train: (t) => `/train/${t}`,
  tables: () => '/tables',
  new: () => '/answer',
};

function withToken(path) {
  return token ? `${path}?token=${encodeURIComponent(token)}` : path;
}

async function go(path) {
  const url = withToken(path);
  if (location.pathname + location.search !== url) history.pushState(null, '', url);
  await route();
}

function fail(err) {
  $('error').textContent = `error: ${err.message}`;
  $('error').hidden = false;
}

async function route() {
  $('error').hidden = true;
  const parts = location.pathname.split('/').filter((x) => x.length > 0);
  try {
    if (parts[0] === 'query' && parts.length >= 2) {
      const q = parts[1];
      if (state.view !== 'query' || String(state.query) !== q) await openQuery(q);
      if (parts[2] === 'train' && parts.length >= 4) await openTokens(q, parts[3]);
      else $('heatmap-box').hidden = true;
    } else if (parts[0] === 'train' && parts.length >= 2) await openTrain(parts[1]);
    else if (parts[0] === 'tables') { show('tables'); await loadTables(); }
    else if (parts[0] === 'answer') show('new');
    else {
      if (!state.listed) await loadQueries();
      show('queries');
    }
  } catch (err) {
    fail(err);
  }
}

// How to read a score, from the score folder's manifest: one line on every view that shows scores.
function fillReadings(info) {
  for (const p of document.querySelectorAll('.sign-line')) p.textContent = info.sign;
  for (const p of document.querySelectorAll('.readings-line')) p.textContent = `Shown: ${info.readings}.`;
}

function fmt(x) { return Number(x).toPrecision(4); }

function signed(x) { return (x >= 0 ? '+' : '') + Number(x).toExponential(2); }

// The readings beside a raw score: × self (score / the query's self-influence) and Δ (mean-logprob runs).
function reading(relative, change) {
  const parts = [];
  if (relative !== null && relative !== undefined) parts.push(`${Number(relative).toPrecision(3)} × self`);
  if (change !== null && change !== undefined) parts.push(`Δ ${signed(change)}`);
  const span = el('span', parts.length ? `(${parts.join(', ')})` : '', 'reading');
  if (relative !== null && relative !== undefined) span.dataset.relative = String(relative);
  if (change !== null && change !== undefined) span.dataset.change = String(change);
  return span;
}

function fillFilter(select, values) {
  for (const [key, list] of Object.entries(values || {}))
    for (const v of list) {
      const o = el('option', `${key}=${v}`);
      o.value = `${key}=${v}`;
      select.appendChild(o);
    }
}

// A link to a view's address: a plain click navigates in the page, a modified click opens it as the browser does.
function link(text, path, cls) {
  const a = el('a', text, cls);
  a.href = withToken(path);
  a.addEventListener('click', (e) => {
    if (e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    go(path);
  });
  return a;
}

async function loadQueries() {
  const p = new URLSearchParams({ page: state.page, size: state.size, sort: $('sort').value });
  if ($('search').value) p.set('search', $('search').value);
  if ($('query-filter').value) p.append('filter', $('query-filter').value);
  const r = await api('/api/queries?' + p);
  state.listed = true;
  state.total = r.total;
  const list = $('query-list');
  clear(list);
  list.start = r.page * r.size + 1;
  for (const q of r.items) {
    const li = el('li');
    li.dataset.id = q.id;
    li.appendChild(link(q.id, paths.query(q.index), 'query-link'));
    li.appendChild(el('span', q.correct ? '' : ' (incorrect)', 'muted'));
    li.appendChild(el('span', `total ${fmt(q.total)}`, 'score'));
    li.appendChild(reading(q.total_relative, q.total_change));
    li.appendChild(el('div', q.prompt, 'muted'));
    list.appendChild(li);
  }
  $('query-count').textContent = `${r.total} queries`;
  const pages = Math.max(1, Math.ceil(r.total / r.size));
  $('page-label').textContent = `page ${r.page + 1} of ${pages}`;
  $('prev').disabled = r.page === 0;
  $('next').disabled = r.page + 1 >= pages;
}

function rows(list, items, pathOf, extra) {
  clear(list);
  for (const t of items) {
    const li = el('li');
    li.dataset.id = t.id;
    li.dataset.score = String(t.score);
    li.appendChild(link(t.id, pathOf(t), 'row-link'));
    li.appendChild(el('span', fmt(t.score), 'score'));
    li.appendChild(reading(t.relative, t.change));
    li.appendChild(el('span', attrs(t.attributes), 'attrs'));
    if (extra) li.appendChild(extra(t));
    li.appendChild(el('div', t.prompt, 'muted'));
    list.appendChild(li);
  }
}

async function openQuery(index) {
  const p = new URLSearchParams({ k: 10 });
  if ($('train-filter').value) p.append('filter', $('train-filter').value);
  const r = await api(`/api/queries/${encodeURIComponent(index)}?` + p);
  state.query = index;
  $('query-id').textContent = r.query.id;
  $('query-self').textContent = r.self === null || r.self === undefined
    ? 'No self-influence stored for this query: raw scores only.'
    : `Self-influence of this query: ${fmt(r.self)} (× self divides by it).`;
  $('query-prompt').textContent = r.query.prompt;
  $('query-answer').textContent = r.query.answer;
  const tokensButton = (t) => {
    const b = el('button', 'tokens', 'tokens-button');
    b.type = 'button';
    b.addEventListener('click', () => go(paths.tokens(index, t.index)));
    return b;
  };
  rows($('proponents'), r.proponents, (t) => paths.train(t.index), tokensButton);
  rows($('opponents'), r.opponents, (t) => paths.train(t.index), tokensButton);
  $('heatmap-box').hidden = true;
  show('query');
}

function color(score, scale) {
  const x = Math.max(-1, Math.min(1, score / (scale || 1)));
  const a = Math.abs(x) * 0.85;
  return x >= 0 ? `rgba(215, 48, 39, ${a})` : `rgba(49, 130, 189, ${a})`;
}

// The heatmap's legend: the row's lowest and highest per-token scores at the ends of the colour scale (symmetric
// around zero, ± the largest magnitude, as the cells are coloured).
function legend(scores, scale) {
  if (scores.length === 0) { $('heatmap-legend').hidden = true; return; }
  const lo = Math.min(...scores), hi = Math.max(...scores);
  $('legend-min').textContent = fmt(lo);
  $('legend-min').dataset.value = String(lo);
  $('legend-max').textContent = fmt(hi);
  $('legend-max').dataset.value = String(hi);
  const stops = [`${color(lo, scale)} 0%`];
  if (lo < 0 && hi > 0) stops.push(`rgba(255, 255, 255, 0) ${(100 * -lo / (hi - lo)).toFixed(1)}%`);
  stops.push(`${color(hi, scale)} 100%`);
  $('legend-bar').style.background = `linear-gradient(to right, ${stops.join(', ')})`;
  $('legend-note').textContent = `Per-token raw scores, from the row's lowest to its highest; red: positive (helps), `
    + `blue: negative (hurts), full colour at ±${fmt(scale)}. They sum to the row's score.`;
  $('heatmap-legend').hidden = false;
}

async function openTokens(q, t) {
  const r = await api(`/api/queries/${encodeURIComponent(q)}/tokens/${encodeURIComponent(t)}`);
  const box = $('heatmap');
  clear(box);
  $('heatmap-id').textContent = r.train.id;
  const row = $('heatmap-row');
  clear(row);
  row.appendChild(el('span', `row score ${fmt(r.row.score)}`));
  row.appendChild(reading(r.row.relative, r.row.change));
  const scored = r.tokens.filter((x) => x.score !== null).map((x) => x.score);
  const scale = Math.max(0, ...scored.map(Math.abs));
  legend(scored, scale);
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
  const r = await api(`/api/train/${encodeURIComponent(t)}?k=10`);
  $('train-id').textContent = r.train.id;
  $('train-source').textContent = `${r.train.source} ${attrs(r.train.attributes)}`;
  $('train-prompt').textContent = r.train.prompt;
  $('train-answer').textContent = r.train.answer;
  rows($('helps'), r.helps, (q) => paths.query(q.index));
  rows($('hurts'), r.hurts, (q) => paths.query(q.index));
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
      rows($('new-proponents'), s.proponents, (t) => paths.train(t.index));
      rows($('new-opponents'), s.opponents, (t) => paths.train(t.index));
      break;
    }
  } catch (err) {
    $('new-status').textContent = `error: ${err.message}`;
  } finally {
    $('new-submit').disabled = false;
  }
}

async function start() {
  for (const b of document.querySelectorAll('[data-view]'))
    b.addEventListener('click', () => go(paths[b.dataset.view]()));
  $('query-form').addEventListener('submit', (e) => { e.preventDefault(); state.page = 0; loadQueries(); });
  $('sort').addEventListener('change', () => { state.page = 0; loadQueries(); });
  $('query-filter').addEventListener('change', () => { state.page = 0; loadQueries(); });
  $('prev').addEventListener('click', () => { state.page = Math.max(0, state.page - 1); loadQueries(); });
  $('next').addEventListener('click', () => { state.page += 1; loadQueries(); });
  $('train-filter').addEventListener('change', () => {
    if (state.query !== null) openQuery(state.query).catch(fail);
  });
  window.addEventListener('popstate', () => { route(); });
  $('new-form').addEventListener('submit', scoreNew);
  state.info = await api('/api/info');
  fillFilter($('query-filter'), state.info.query_attributes);
  fillFilter($('train-filter'), state.info.train_attributes);
  $('nav-new').hidden = !state.info.scoring;
  fillReadings(state.info);
  await route();
  document.body.dataset.ready = 'true';
}

start().catch(fail);
