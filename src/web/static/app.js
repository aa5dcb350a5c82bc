// splitplane demo page: plain browser JavaScript, no build step. It calls the
// demo-only /demo/ask endpoint, which signs on the server (a browser never holds
// a signing secret) and sends the request through every security layer.
'use strict';

const $ = (id) => document.getElementById(id);
const form = $('ask-form');
const persona = $('persona');
const question = $('question');
const askButton = $('ask');
const result = $('result');
let chart = null;
let conversation = { persona: null, id: null };
let lastAnswered = null;
// Each request's number: a response that is not the latest one asked is dropped, never shown.
let asked = 0;

const FRIENDLY = {
  SP_ERR_OUT_OF_SCOPE_REFERENCE: 'That question asks about data outside what you may see, so it was not answered.',
  SP_ERR_UNKNOWN_PRINCIPAL: 'This person is not registered for that business.',
  SP_ERR_POLICY_DENIED: 'Your access policy does not allow this question.',
  SP_ERR_EXECUTION_TIMEOUT: 'The question took too long to answer. Try a shorter time range.',
  SP_ERR_LLM_UNAVAILABLE: 'The language model is not reachable right now.',
};

// Errors that come with a Retry-After: the page says the wait in seconds, not the header's name.
const RETRY = {
  SP_ERR_RATE_LIMITED: (wait) => `Too many questions; try again ${wait}.`,
  SP_ERR_SHUTTING_DOWN: (wait) => `The service is restarting; try again ${wait}.`,
};

// Retry-After is seconds ("12") or an HTTP date; either way, say "in 12 seconds".
function waitOf(retryAfter) {
  if (retryAfter === null || retryAfter === undefined || retryAfter === '') return 'in a moment';
  let seconds = /^\d+$/.test(retryAfter.trim())
    ? Number(retryAfter.trim())
    : Math.ceil((Date.parse(retryAfter) - Date.now()) / 1000);
  if (Number.isNaN(seconds)) return 'in a moment';
  seconds = Math.max(1, seconds);
  return `in ${seconds} second${seconds === 1 ? '' : 's'}`;
}

async function loadPersonas() {
  const res = await fetch('/demo/personas');
  const list = await res.json();
  for (const p of list) {
    const opt = document.createElement('option');
    opt.value = p.id;
    opt.textContent = p.label;
    persona.append(opt);
  }
}

function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}

function show(id, visible) {
  $(id).hidden = !visible;
}

function isNumeric(v) {
  return v !== null && v !== '' && !Number.isNaN(Number(v));
}

// 1234567.5 -> 1,234,567.5 without going through a float (DECIMAL values arrive as strings).
function grouped(text) {
  const [int, frac] = text.split('.');
  return int.replace(/\B(?=(\d{3})+(?!\d))/g, ',') + (frac === undefined ? '' : `.${frac}`);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

// A cell as people write it, by the column's format from the catalog: $1,234.50, 12.5%, Oct 2026,
// week of Nov 9, 2026, Q4 2026. Values arrive as strings; no float is involved.
function shown(v, format, numeric) {
  if (v === null) return '—';
  const text = String(v);
  const day = /^(\d{4})-(\d{2})-(\d{2})/.exec(text);
  if (day && format === 'month') return `${MONTHS[Number(day[2]) - 1]} ${day[1]}`;
  if (day && format === 'week') return `week of ${MONTHS[Number(day[2]) - 1]} ${Number(day[3])}, ${day[1]}`;
  if (day && format === 'quarter') return `Q${Math.floor((Number(day[2]) - 1) / 3) + 1} ${day[1]}`;
  if (day && format === 'year') return day[1];
  if (!numeric) return text;
  if (format === 'currency') {
    const negative = text.startsWith('-');
    const [int, frac = ''] = text.replace('-', '').split('.');
    return `${negative ? '-' : ''}$${grouped(int)}.${(frac + '00').slice(0, 2)}`;
  }
  if (format === 'percent') return `${grouped(text)}%`;
  return grouped(text);
}

// "Chicago #17" before "Chicago #123": names with numbers sorted as people read them.
const NATURAL = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

// The server says which figure is the answer; the page never guesses it from the sentence.
function headlineOf(body) {
  return body.headline || '';
}

// "sales amount · top 3 stores · last week: ... · your 2 locations" as chips above the number.
function renderUnderstood(body) {
  const list = $('chips');
  clear(list);
  const text = body.interpretation && body.interpretation.text;
  for (const part of text ? text.split(' · ') : []) {
    const li = document.createElement('li');
    li.textContent = part;
    list.append(li);
  }
  show('understood', Boolean(text));
}

// "net_sales_amount_change_pct" may wrap after each underscore: text nodes and <wbr>, never HTML.
function appendBreakable(node, text) {
  text.split(/(?<=_)/).forEach((part, i) => {
    if (i > 0) node.append(document.createElement('wbr'));
    node.append(document.createTextNode(part));
  });
}

function renderTable(body) {
  const table = $('rows');
  const thead = table.querySelector('thead');
  const tbody = table.querySelector('tbody');
  clear(thead);
  clear(tbody);
  const numeric = body.columns.map(
    (_, i) => body.rows.length > 0 && body.rows.every((r) => r[i] === null || isNumeric(r[i])),
  );
  // A breakdown by a name, not ranked: its rows in natural order (a ranking keeps the server's order).
  const query = body.interpretation && body.interpretation.query;
  const rows =
    query && !query.order && body.columns[0] && body.columns[0].format === 'text'
      ? [...body.rows].sort((a, b) => NATURAL.compare(String(a[0]), String(b[0])))
      : body.rows;
  const head = document.createElement('tr');
  body.columns.forEach((c, i) => {
    const th = document.createElement('th');
    th.scope = 'col';
    appendBreakable(th, String(c.label ?? c.name));
    if (numeric[i]) th.className = 'num';
    head.append(th);
  });
  thead.append(head);
  for (const row of rows) {
    const tr = document.createElement('tr');
    row.forEach((v, i) => {
      const td = document.createElement('td');
      td.textContent = shown(v, body.columns[i].format, numeric[i]);
      if (numeric[i]) td.className = 'num';
      tr.append(td);
    });
    tbody.append(tr);
  }
  show('table-box', body.rows.length > 0);
}

// reset() has destroyed any earlier chart.
function renderChart(body) {
  const cols = body.columns.length;
  // Chart the first measure asked for (not, say, a comparison's percentage column), else the last column.
  const measure = body.interpretation && body.interpretation.query ? body.interpretation.query.measures[0] : undefined;
  const at = measure ? body.columns.findIndex((c) => c.name === measure) : -1;
  const v = at > 0 ? at : cols - 1;
  const drawable =
    typeof Chart !== 'undefined' && cols >= 2 && body.rows.length > 1 && body.rows.every((r) => isNumeric(r[v]));
  show('chart-box', drawable);
  if (!drawable) return;
  const labels = body.rows.map((r) => String(r[0]).slice(0, 40));
  const isTime = body.rows.every((r) => /^\d{4}-\d{2}-\d{2}/.test(String(r[0])));
  chart = new Chart($('chart'), {
    type: isTime ? 'line' : 'bar',
    data: {
      labels,
      datasets: [
        {
          label: body.columns[v].name,
          data: body.rows.map((r) => Number(r[v])),
          backgroundColor: '#0b5394',
          borderColor: '#0b5394',
        },
      ],
    },
    options: { animation: false, responsive: true, plugins: { legend: { display: false } } },
  });
  $('chart').setAttribute(
    'aria-label',
    `${isTime ? 'Line' : 'Bar'} chart of ${body.columns[v].name} by ${body.columns[0].name}`,
  );
}

// 0 -> 0th, 1 -> 1st, 32 -> 32nd, 11 -> 11th.
function ordinal(n) {
  const t = n % 100;
  const suffix = t >= 11 && t <= 13 ? 'th' : ['th', 'st', 'nd', 'rd'][n % 10] || 'th';
  return `${n}${suffix}`;
}

// One bar row of a peer comparison: its name, a bar (the median row: a marker alone) and the value
// written out. The bar only repeats the written value, so it is hidden from assistive technology.
function benchRow(kind, name, value, format, top, median) {
  const row = document.createElement('div');
  row.className = `bench-row bench-${kind}`;
  const label = document.createElement('span');
  label.className = 'bench-name';
  label.textContent = name;
  const track = document.createElement('span');
  track.className = 'bench-track';
  track.setAttribute('aria-hidden', 'true');
  // Bars start at zero on one scale; a negative figure draws no bar (its value is still written).
  const at = (v) => (top > 0 && Number.isFinite(v) ? `${(100 * Math.min(Math.max(v, 0), top)) / top}%` : '0%');
  if (kind !== 'median') {
    const bar = document.createElement('span');
    bar.className = 'bench-bar';
    bar.style.width = at(value);
    track.append(bar);
  }
  if (median !== undefined) {
    const mark = document.createElement('span');
    mark.className = 'bench-mark';
    mark.style.left = at(median);
    track.append(mark);
  }
  const text = document.createElement('span');
  text.className = 'bench-value';
  text.textContent = Number.isFinite(value) ? shown(value, format, true) : '—';
  if (Number.isFinite(value)) text.dataset.value = String(value);
  row.append(label, track, text);
  return row;
}

// A peer benchmark: per group, "You" beside "Peers' average" on one scale (the median marked and
// written), the peers' band and your percentile; a group that was not released shows why instead.
function renderBenchmark(view) {
  const list = $('benchmark-groups');
  clear(list);
  const groups = Array.isArray(view.groups) ? view.groups : [];
  $('benchmark-title').textContent = `Compared with peers${view.month ? `, ${view.month}` : ''}`;
  // One scale per measure: the bars of every group of that measure compare with one another too.
  const top = {};
  for (const g of groups) {
    if (!g.released) continue;
    const values = [g.yourValue, g.peerAverage, g.peerMedian].filter(Number.isFinite);
    top[g.measure] = Math.max(top[g.measure] || 0, ...values);
  }
  groups.forEach((g, i) => {
    const li = document.createElement('li');
    li.className = `bench-group${g.released ? '' : ' bench-refused'}`;
    li.dataset.group = String(g.group);
    li.dataset.measure = String(g.measure);
    const title = document.createElement('h3');
    title.className = 'bench-heading';
    title.id = `bench-heading-${i}`;
    // The whole business is no group of its own: only the measure is named.
    title.textContent = g.group === 'business' ? String(g.label) : `${g.group} · ${g.label}`;
    li.append(title);
    if (!g.released) {
      const reason = document.createElement('p');
      reason.className = 'bench-reason';
      reason.textContent = g.reason || 'Not shown.';
      li.append(reason);
      list.append(li);
      return;
    }
    const bars = document.createElement('div');
    bars.className = 'bench-bars';
    bars.setAttribute('role', 'group');
    bars.setAttribute('aria-labelledby', title.id);
    const scale = top[g.measure] || 0;
    bars.append(
      benchRow('you', 'You', g.yourValue, g.format, scale),
      benchRow('average', 'Peers’ average', g.peerAverage, g.format, scale, g.peerMedian),
      benchRow('median', 'Peers’ median', g.peerMedian, g.format, scale, g.peerMedian),
    );
    li.append(bars);
    const meta = document.createElement('p');
    meta.className = 'bench-meta';
    const band = document.createElement('span');
    band.className = 'bench-band';
    band.textContent = `Peers: ${g.band || 'unknown'}`;
    meta.append(band);
    if (Number.isFinite(g.yourPercentile)) {
      const pct = document.createElement('span');
      pct.className = 'bench-percentile';
      // Released as its decile (0, 10, ... 90): "between the 30th and 40th".
      pct.textContent = `your percentile: ${ordinal(Math.round(g.yourPercentile))} to ${ordinal(Math.round(g.yourPercentile) + 10)}`;
      meta.append(' · ', pct);
    }
    li.append(meta);
    list.append(li);
  });
  show('benchmark', groups.length > 0);
}

function renderChoices(title, items) {
  const box = $('choice-buttons');
  clear(box);
  $('choices-title').textContent = title;
  for (const item of items) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = item.label;
    b.addEventListener('click', () => {
      question.value = item.question;
      ask();
    });
    box.append(b);
  }
  show('choices', items.length > 0);
}

// Empty every part of the answer card, so nothing of an earlier answer (its chips, rows, chart,
// SQL, feedback buttons, choices or error) can show under a later one.
function reset() {
  for (const id of ['understood', 'benchmark', 'choices', 'chart-box', 'table-box', 'sql-box', 'error', 'feedback'])
    show(id, false);
  for (const id of ['chips', 'benchmark-groups', 'choice-buttons', 'error']) clear($(id));
  for (const part of $('rows').querySelectorAll('thead, tbody')) clear(part);
  if (chart) {
    chart.destroy();
    chart = null;
  }
  for (const id of [
    'headline',
    'answer',
    'scope',
    'provenance',
    'benchmark-title',
    'choices-title',
    'sql',
    'feedback-status',
  ])
    $(id).textContent = '';
  $('sql-box').open = false;
  lastAnswered = null;
}

function code(id, text) {
  const c = document.createElement('code');
  c.id = id;
  c.textContent = text;
  return c;
}

// "<message> (request <id>, <code>)": every part set as text.
function renderError(status, body, retryAfter) {
  const retry = RETRY[body.code];
  const msg = retry ? retry(waitOf(retryAfter)) : FRIENDLY[body.code] || body.message || 'Something went wrong.';
  const box = $('error');
  const message = document.createElement('span');
  message.textContent = msg;
  box.append(
    message,
    ' (request ',
    code('error-request', String(body.requestId || 'unknown')),
    ', ',
    code('error-code', String(body.code || status)),
    ')',
  );
  show('error', true);
}

// `who` is the persona that asked: feedback goes to that person, whoever is selected by now.
function render(status, body, note, who, retryAfter) {
  result.hidden = false;
  reset();
  if (status !== 200) {
    renderError(status, body, retryAfter);
    return;
  }
  $('answer').textContent = (note ? `${note} ` : '') + body.answer;
  if (body.status === 'answered') {
    renderUnderstood(body);
    $('headline').textContent = headlineOf(body);
    const s = body.scope;
    if (s) {
      // The count of granted units, named by the catalog's grant unit.
      const [plural, n] = Object.entries(s).find(([, v]) => typeof v === 'number') ?? ['units', 0];
      $('scope').textContent =
        `Computed on ${n} ${n === 1 ? plural.replace(/s$/, '') : plural} in business ${s.businessId}.`;
    }
    // Where the number came from: the catalog's own definitions, or SQL a model wrote (checked by the guard).
    $('provenance').textContent =
      body.provenance === 'catalog'
        ? 'Computed from the catalog’s definitions.'
        : body.provenance === 'model'
          ? 'Computed by SQL a language model wrote over your data, checked by the guard.'
          : body.provenance === 'benchmark'
            ? `Compared with peers outside your access; a group is shown only when it has at least ${body.benchmark?.k ?? 'enough'} of them.`
            : '';
    if (body.benchmark) renderBenchmark(body.benchmark);
    renderTable(body);
    renderChart(body);
    // A benchmark runs no SQL of its own to show: no empty SQL box.
    if (body.sql) {
      $('sql').textContent = body.sql;
      show('sql-box', true);
    }
    lastAnswered = { persona: who, requestId: body.requestId };
    show('feedback', true);
  } else if (body.status === 'clarification') {
    renderChoices('Choose what you meant:', body.choices);
  } else if (body.status === 'unsupported') {
    // A benchmark with nothing released still says, per group, why; it lists no metrics to suggest.
    if (body.benchmark) renderBenchmark(body.benchmark);
    renderChoices(
      'You can ask about:',
      (body.metrics || []).map((m) => ({ label: m.label, question: `What was the total ${m.label} last week?` })),
    );
  }
}

async function ask() {
  if (!question.value.trim()) return;
  const mine = ++asked;
  const who = persona.value;
  const text = question.value;
  askButton.disabled = true;
  if (conversation.persona !== who) conversation = { persona: who, id: null };
  const send = (conversationId) =>
    fetch('/demo/ask', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ persona: who, question: text, ...(conversationId ? { conversationId } : {}) }),
    });
  // A body that is not JSON (a proxy's error page) shows as the status alone.
  const read = (res) => res.json().catch(() => ({}));
  try {
    let res = await send(conversation.id);
    let body = await read(res);
    let note = '';
    if (body.code === 'SP_ERR_CONVERSATION_UNKNOWN' && conversation.id) {
      // The conversation expired on the server: say so, and ask the same question afresh.
      conversation.id = null;
      note = '(Your earlier conversation had expired, so this was asked as a new question.)';
      res = await send(null);
      body = await read(res);
    }
    if (mine !== asked) return; // a later question was asked meanwhile; its answer is the one to show
    if (body.conversationId && conversation.persona === who) conversation.id = body.conversationId;
    render(res.status, body, note, who, res.headers.get('retry-after'));
  } catch (err) {
    if (mine === asked) render(0, { message: `The service could not be reached (${err.message}).` }, '', who, null);
  } finally {
    if (mine === asked) {
      askButton.disabled = false;
      result.focus();
    }
  }
}

async function rate(rating) {
  const answer = lastAnswered;
  if (!answer) return;
  let ok;
  try {
    const res = await fetch('/demo/feedback', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...answer, rating }),
    });
    ok = res.ok;
  } catch {
    ok = false;
  }
  // The status belongs to the answer rated: say nothing if another answer is shown by now.
  if (lastAnswered !== answer) return;
  $('feedback-status').textContent = ok ? 'Thanks, recorded.' : 'Sorry, the feedback could not be recorded.';
}
$('thumbs-up').addEventListener('click', () => rate('up'));
$('thumbs-down').addEventListener('click', () => rate('down'));

form.addEventListener('submit', (e) => {
  e.preventDefault();
  ask();
});
persona.addEventListener('change', () => {
  conversation = { persona: persona.value, id: null };
});
loadPersonas();
