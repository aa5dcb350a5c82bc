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

const FRIENDLY = {
  SP_ERR_OUT_OF_SCOPE_REFERENCE: 'That question asks about data outside what you may see, so it was not answered.',
  SP_ERR_UNKNOWN_PRINCIPAL: 'This person is not registered for that business.',
  SP_ERR_POLICY_DENIED: 'Your access policy does not allow this question.',
  SP_ERR_EXECUTION_TIMEOUT: 'The question took too long to answer. Try a shorter time range.',
  SP_ERR_LLM_UNAVAILABLE: 'The language model is not reachable right now.',
};

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

function renderTable(body) {
  const table = $('rows');
  const thead = table.querySelector('thead');
  const tbody = table.querySelector('tbody');
  clear(thead);
  clear(tbody);
  const numeric = body.columns.map((_, i) => body.rows.length > 0 && body.rows.every((r) => r[i] === null || isNumeric(r[i])));
  const head = document.createElement('tr');
  body.columns.forEach((c, i) => {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = c.name;
    if (numeric[i]) th.className = 'num';
    head.append(th);
  });
  thead.append(head);
  for (const row of body.rows) {
    const tr = document.createElement('tr');
    row.forEach((v, i) => {
      const td = document.createElement('td');
      td.textContent = v === null ? '—' : numeric[i] ? grouped(String(v)) : String(v);
      if (numeric[i]) td.className = 'num';
      tr.append(td);
    });
    tbody.append(tr);
  }
  show('table-box', body.rows.length > 0);
}

function renderChart(body) {
  if (chart) {
    chart.destroy();
    chart = null;
  }
  const cols = body.columns.length;
  // Chart the first measure asked for (not, say, a comparison's percentage column), else the last column.
  const measure = body.interpretation && body.interpretation.query ? body.interpretation.query.measures[0] : undefined;
  const at = measure ? body.columns.findIndex((c) => c.name === measure) : -1;
  const v = at > 0 ? at : cols - 1;
  const drawable = typeof Chart !== 'undefined' && cols >= 2 && body.rows.length > 1 && body.rows.every((r) => isNumeric(r[v]));
  show('chart-box', drawable);
  if (!drawable) return;
  const labels = body.rows.map((r) => String(r[0]).slice(0, 40));
  const isTime = body.rows.every((r) => /^\d{4}-\d{2}-\d{2}/.test(String(r[0])));
  chart = new Chart($('chart'), {
    type: isTime ? 'line' : 'bar',
    data: { labels, datasets: [{ label: body.columns[v].name, data: body.rows.map((r) => Number(r[v])), backgroundColor: '#0b5394', borderColor: '#0b5394' }] },
    options: { animation: false, responsive: true, plugins: { legend: { display: false } } },
  });
  $('chart').setAttribute('aria-label', `${isTime ? 'Line' : 'Bar'} chart of ${body.columns[v].name} by ${body.columns[0].name}`);
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

function render(status, body, note) {
  result.hidden = false;
  for (const id of ['choices', 'chart-box', 'table-box', 'sql-box', 'error', 'feedback', 'understood']) show(id, false);
  $('feedback-status').textContent = '';
  lastAnswered = null;
  $('headline').textContent = '';
  $('answer').textContent = '';
  $('scope').textContent = '';
  if (status !== 200) {
    const msg = FRIENDLY[body.code] || body.message || 'Something went wrong.';
    $('error').textContent = `${msg} (request ${body.requestId || 'unknown'}, ${body.code || status})`;
    show('error', true);
    return;
  }
  $('answer').textContent = (note ? `${note} ` : '') + body.answer;
  if (body.status === 'answered') {
    renderUnderstood(body);
    $('headline').textContent = headlineOf(body);
    const s = body.scope;
    $('scope').textContent = `Computed on ${s.locations} location${s.locations === 1 ? '' : 's'} in business ${s.businessId}.`;
    renderTable(body);
    renderChart(body);
    $('sql').textContent = body.sql;
    show('sql-box', true);
    lastAnswered = { persona: persona.value, requestId: body.requestId };
    show('feedback', true);
  } else if (body.status === 'clarification') {
    renderChoices('Choose what you meant:', body.choices);
  } else if (body.status === 'unsupported') {
    renderChoices('You can ask about:', body.metrics.map((m) => ({ label: m.label, question: `What was the total ${m.label} last week?` })));
  }
}

async function ask() {
  if (!question.value.trim()) return;
  askButton.disabled = true;
  if (conversation.persona !== persona.value) conversation = { persona: persona.value, id: null };
  try {
    const res = await fetch('/demo/ask', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ persona: persona.value, question: question.value, ...(conversation.id ? { conversationId: conversation.id } : {}) }),
    });
    let body = await res.json();
    let note = '';
    if (body.code === 'SP_ERR_CONVERSATION_UNKNOWN' && conversation.id) {
      // The conversation expired on the server: say so, and ask the same question afresh.
      conversation.id = null;
      note = '(Your earlier conversation had expired, so this was asked as a new question.)';
      const again = await fetch('/demo/ask', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ persona: persona.value, question: question.value }),
      });
      body = await again.json();
      if (body.conversationId) conversation.id = body.conversationId;
      render(again.status, body, note);
      return;
    }
    if (body.conversationId) conversation.id = body.conversationId;
    render(res.status, body, note);
  } catch (err) {
    render(0, { message: `The service could not be reached (${err.message}).` });
  } finally {
    askButton.disabled = false;
    result.focus();
  }
}

async function rate(rating) {
  if (!lastAnswered) return;
  const res = await fetch('/demo/feedback', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...lastAnswered, rating }),
  });
  $('feedback-status').textContent = res.ok ? 'Thanks, recorded.' : 'Sorry, the feedback could not be recorded.';
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
