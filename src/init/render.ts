/**
 * The files `splitplane init` writes, as text with comments (every guess marked TO REVIEW):
 *
 *   catalog/tables.yaml       the table registry (src/schema/tables.ts), every scope `confirmed: false`
 *   catalog/metrics.yaml      the semantic catalog (src/semantic/catalog.ts, version 2)
 *   policies/splitplane.rego  a deny-by-default policy with one placeholder role that sees everything
 *   eval/questions.yaml       an evaluation skeleton: a question per measure, gold SQL over the raw tables
 *
 * Names are written plain when they are plain identifiers (and not a YAML word such as `yes`),
 * quoted otherwise; every description is a quoted string. The caller parses each YAML text back
 * and validates it (src/init/init.ts), so what is written is what was checked.
 */
import { GUESS_RULES, type InitPlan, type MetricDraft, type TableDraft } from './guess.js';

const YAML_WORDS = /^(true|false|null|yes|no|on|off|y|n|~)$/i;

/** A YAML scalar: plain for an identifier, double-quoted (JSON) otherwise. */
function s(v: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(v) && !YAML_WORDS.test(v) ? v : JSON.stringify(v);
}
const strings = (vs: readonly string[]): string => `[${vs.map((v) => JSON.stringify(v)).join(', ')}]`;
const list = (vs: readonly string[]): string => `[${vs.map(s).join(', ')}]`;
const flow = (o: Readonly<Record<string, string | undefined>>): string =>
  `{ ${Object.entries(o)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}: ${s(v!)}`)
    .join(', ')} }`;
/** Comment lines, wrapped at about 100 characters. */
function comment(text: string, indent = ''): string {
  const out: string[] = [];
  let line = '';
  for (const w of text.split(' ')) {
    if (line && line.length + w.length + 1 > 98) {
      out.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) out.push(line);
  return out.map((l) => `${indent}# ${l}`).join('\n');
}

function header(plan: InitPlan, what: string, today: string): string {
  return [
    comment(
      `${what} Written by \`splitplane init\` on ${today} from ${plan.source.where}, schema ${plan.source.schema}: a starting point for a person to review. Every line marked TO REVIEW is a guess.`,
    ),
    '#',
    '# How init guessed (src/init/guess.ts):',
    ...GUESS_RULES.map((r) => comment(`- ${r}`)),
  ].join('\n');
}

export function renderTables(plan: InitPlan, today: string): string {
  const d = plan.directory;
  const u = plan.grantUnit;
  const out = [
    header(
      plan,
      'The table registry: the logical tables a policy may expose, the raw table behind each, its columns and the raw columns that scope its rows.',
      today,
    ),
    '#',
    comment(
      'serve refuses this file while a table says `confirmed: false`. Check each scope (a wrong tenant or business column mixes tenants), then change false to true yourself (init never does).',
    ),
    'version: 1',
    '',
    comment(
      `TO REVIEW (isolation): what an admin is granted a list of. Guessed from the grants table ${d.grants.table} (${d.grants.admin} -> ${d.grants.unit}). The policy speaks these names: ${u.plural}_granted, ${u.name}_filters, and the grant list data.directory.admins[id].${u.plural}.`,
    ),
    `grantUnit: ${flow(u)}`,
    '',
    comment(
      "TO REVIEW (isolation): who is registered and what each admin is granted (raw names). An admin is registered when its business belongs to its tenant; a grant counts only for a unit of the admin's own business.",
    ),
    'directory:',
    `  admins: ${flow(d.admins)}`,
    `  businesses: ${flow(d.businesses)}`,
    `  grants: ${flow(d.grants)}`,
    '',
    comment('Every raw table of the schema, exposed or not: names a query must never reach.'),
    `rawTables: ${list(plan.rawTables)}`,
    '',
    'tables:',
  ];
  for (const t of plan.tables) out.push(renderTable(plan, t));
  return `${out.join('\n')}\n`;
}

function renderTable(plan: InitPlan, t: TableDraft): string {
  const unit = t.scope.unit
    ? `, ${plan.grantUnit.name} ${t.scope.unit}`
    : ` (no ${plan.grantUnit.name} column: every admin of the business sees every row)`;
  const kind =
    t.kind === 'fact'
      ? `a fact table (it has a date or time column, ${t.time}, and no table joins to it)`
      : `a dimension table${Object.values(plan.tables).some((x) => Object.hasOwn(x.joins, t.logical)) ? ' (other tables join to it)' : ''}`;
  const lines = [
    comment(
      `TO REVIEW: ${kind}. The name and descriptions are what a model and the people who ask see: write them in their words.`,
      '  ',
    ),
    `  ${s(t.logical)}:`,
    `    raw: ${s(t.raw)}`,
    `    description: ${JSON.stringify(t.description)}`,
    comment(
      `TO REVIEW (isolation): tenant ${t.scope.tenant}, business ${t.scope.business}${unit}; guessed from the column names.`,
      '    ',
    ),
    `    scope: { tenant: ${s(t.scope.tenant)}, business: ${s(t.scope.business)}${t.scope.unit ? `, unit: ${s(t.scope.unit)}` : ''}, confirmed: false }`,
    '    columns:',
    ...t.columns.map(
      (c) => `      ${s(c.name)}: { type: ${s(c.type)}, description: ${JSON.stringify(c.description)} }`,
    ),
    `    words: ${list(t.words)}`,
    `    partners: ${list(Object.keys(t.joins))}`,
  ];
  return lines.join('\n');
}

export function renderMetrics(plan: InitPlan, today: string): string {
  const out = [
    header(
      plan,
      'The semantic catalog: the measures and dimensions splitplane understands, and the words for them.',
      today,
    ),
    'version: 2',
    comment('When a question names no time at all.'),
    'defaultTimeRange: last_30_days',
    comment('Shop talk read as the words it stands for (one word each).'),
    'shorthand: { mtd: month to date, wtd: week to date, qtd: quarter to date, ytd: year to date, wow: week over week, mom: month over month, qoq: quarter over quarter, yoy: year over year, dod: day over day }',
    '',
    comment(
      "TO REVIEW: each table's alias in generated SQL, the date or time column of a fact table, and its joins (target table: key column, the same name on both sides).",
    ),
    'tables:',
  ];
  for (const t of plan.tables) {
    const alias = plan.aliases[t.logical];
    if (alias === undefined) continue;
    const joins = Object.entries(t.joins).filter(([target]) => plan.aliases[target] !== undefined);
    const parts = [
      `alias: ${alias}`,
      ...(t.time ? [`time: ${s(t.time)}`] : []),
      ...(joins.length ? [`joins: { ${joins.map(([k, v]) => `${s(k)}: ${s(v)}`).join(', ')} }`] : []),
    ];
    out.push(`  ${s(t.logical)}: { ${parts.join(', ')} }`);
  }
  out.push(
    '',
    comment(
      'TO REVIEW: every measure. A sum is right for amounts and counts, not for a balance, a price or a rate (use avg, or a formula over two measures). Add the words people use (synonyms).',
    ),
    'metrics:',
  );
  for (const m of plan.metrics) out.push(renderMetric(m));
  out.push(
    '',
    comment(
      'TO REVIEW: the dimensions (the text columns of dimension tables, and the grains of time). `values: data` reads the values a user may name from their own rows only.',
    ),
    'dimensions:',
  );
  for (const d of plan.dimensions) {
    const common = [
      `  - id: ${s(d.id)}`,
      `    label: ${JSON.stringify(d.label)}`,
      `    plural: ${JSON.stringify(d.plural)}`,
      `    kind: ${d.kind}`,
    ];
    if (d.kind === 'time') out.push(...common, `    grain: ${d.grain}`, `    synonyms: ${strings(d.synonyms)}`);
    else {
      out.push(
        ...common,
        `    table: ${s(d.table!)}`,
        `    column: ${s(d.column!)}`,
        ...(d.key ? [`    key: ${s(d.key)}`] : []),
        '    values: data',
        `    synonyms: ${strings(d.synonyms)}`,
      );
    }
  }
  return `${out.join('\n')}\n`;
}

function renderMetric(m: MetricDraft): string {
  const what = m.aggregate === 'sum' ? `the sum of ${m.table}.${m.expr}` : `the number of rows of ${m.table}`;
  return [
    comment(`TO REVIEW: ${what}; format ${m.format}.`, '  '),
    `  - id: ${s(m.id)}`,
    `    label: ${JSON.stringify(m.label)}`,
    `    description: ${JSON.stringify(m.description)}`,
    `    table: ${s(m.table)}`,
    `    aggregate: ${m.aggregate}`,
    `    expr: ${s(m.expr)}`,
    `    format: ${m.format}`,
    `    synonyms: ${strings(m.synonyms)}`,
  ].join('\n');
}

/** The placeholder role of the generated policy. */
export const PLACEHOLDER_ROLE = 'analyst';

export function renderPolicy(plan: InitPlan, today: string): string {
  const u = plan.grantUnit;
  const tables = plan.tables.map(
    (t) => `\t\t${JSON.stringify(t.logical)}: [${t.columns.map((c) => JSON.stringify(c.name)).join(', ')}],`,
  );
  return `# splitplane scope policy: written by \`splitplane init\` on ${today}, a starting point to review.
#
# Decides, from the verified identity in \`input\` and the directory in \`data\`, what one admin may
# see: whether the request is allowed at all, the ${u.plural} in scope (${u.plural}_granted: the
# admin's directory grant), and the sandbox tables with their allowed columns.
#
#   input: {"tenant_id": "1", "business_id": "1", "admin_id": "1"}   (decimal strings)
#   data.directory.admins[admin_id]: {"tenant_id", "business_id", "role", "active", "${u.plural}": [...]}
#
# TO REVIEW: "${PLACEHOLDER_ROLE}" is a placeholder role. An active admin whose directory role
# (${plan.directory.admins.table}.${plan.directory.admins.role}) is "${PLACEHOLDER_ROLE}" sees every generated table and every column, with
# no row filter and no mask; any other role is denied. Replace it with the roles of your
# directory, give each only the columns it needs (personal data!), and add row filters, ${u.name}
# filters and masks (the demo's policies/splitplane.rego shows each kind).
#
# Deny is the default: a missing admin, a tenant or business that does not match the directory,
# an inactive admin or an unknown role all give allow == false, ${u.plural}_granted == false and
# no tables.
package splitplane

import rego.v1

# Logical sandbox tables and the columns each role may see (names of the sandbox, not raw names).
role_tables := {\n\t${JSON.stringify(PLACEHOLDER_ROLE)}: {
${tables.join('\n')}
\t},
}

# Row filters, ${u.name} filters and masks per role: structured, never SQL (none yet).
role_row_filters := {}

role_${u.name}_filters := {}

role_masks := {}

id_pattern := \`^[1-9][0-9]{0,17}$\`

valid_input if {
\tis_string(input.tenant_id)
\tis_string(input.business_id)
\tis_string(input.admin_id)
\tregex.match(id_pattern, input.tenant_id)
\tregex.match(id_pattern, input.business_id)
\tregex.match(id_pattern, input.admin_id)
}

admin := data.directory.admins[input.admin_id] if valid_input

default allow := false

allow if {
\tadmin.active == true
\tadmin.tenant_id == input.tenant_id
\tadmin.business_id == input.business_id
\trole_tables[admin.role]
}

# The admin's whole grant, as the directory holds it (a policy that narrows it returns
# "${u.plural}": [...] instead).
${u.plural}_granted := allow

default tables := {}

tables := role_tables[admin.role] if allow

default role := ""

role := admin.role if allow

default row_filters := {}

row_filters := object.get(role_row_filters, admin.role, {}) if allow

default ${u.name}_filters := []

${u.name}_filters := object.get(role_${u.name}_filters, admin.role, []) if allow

default masks := {}

masks := object.get(role_masks, admin.role, {}) if allow

# The single entrypoint the service evaluates.
decision := {
\t"allow": allow,
\t"tenant_id": input.tenant_id,
\t"business_id": input.business_id,
\t"admin_id": input.admin_id,
\t"role": role,
\t"${u.plural}_granted": ${u.plural}_granted,
\t"tables": tables,
\t"row_filters": row_filters,
\t"${u.name}_filters": ${u.name}_filters,
\t"masks": masks,
} if valid_input

default decision := {"allow": false, "role": "", "${u.plural}_granted": false, "tables": {}}
`;
}

/** The persona of the evaluation skeleton: placeholder IDs for a person to replace. */
export const PLACEHOLDER_PERSONA = { tenantId: '1', businessId: '1', adminId: '1' } as const;

/** The first and last day of the calendar month before `today` (what "last month" means to splitplane). */
export function lastMonth(today: string): { from: string; to: string; next: string } {
  const [y, m] = today.split('-').map(Number) as [number, number];
  const first = new Date(Date.UTC(y, m - 2, 1));
  const next = new Date(Date.UTC(y, m - 1, 1));
  const last = new Date(next.getTime() - 86_400_000);
  const iso = (d: Date): string => d.toISOString().slice(0, 10);
  return { from: iso(first), to: iso(last), next: iso(next) };
}

/** A raw identifier in gold SQL: plain when it is a lower-case word, double-quoted otherwise. */
function ident(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) && !SQL_WORDS.has(name) ? name : `"${name}"`;
}
const SQL_WORDS = new Set([
  'all',
  'and',
  'as',
  'by',
  'case',
  'cast',
  'check',
  'column',
  'default',
  'desc',
  'distinct',
  'else',
  'end',
  'from',
  'group',
  'having',
  'in',
  'is',
  'join',
  'limit',
  'not',
  'null',
  'offset',
  'on',
  'or',
  'order',
  'select',
  'table',
  'then',
  'to',
  'union',
  'user',
  'using',
  'when',
  'where',
  'with',
]);

/** The gold SQL of one measure, last month, for the placeholder persona: its own scope written out over the raw tables. */
export function goldSql(plan: InitPlan, m: MetricDraft, today: string): string {
  const t = plan.tables.find((x) => x.logical === m.table)!;
  const p = PLACEHOLDER_PERSONA;
  const g = plan.directory.grants;
  const r = lastMonth(today);
  const agg = m.aggregate === 'sum' ? `SUM(f.${ident(m.expr)})` : `COUNT(f.${ident(m.expr)})`;
  return [
    `SELECT ${agg} AS ${m.id}`,
    `FROM ${ident(t.raw)} f`,
    `WHERE f.${ident(t.scope.tenant)} = ${p.tenantId} AND f.${ident(t.scope.business)} = ${p.businessId}`,
    ...(t.scope.unit
      ? [
          `  AND f.${ident(t.scope.unit)} IN (SELECT g.${ident(g.unit)} FROM ${ident(g.table)} g WHERE g.${ident(g.admin)} = ${p.adminId})`,
        ]
      : []),
    `  AND f.${ident(t.time!)} >= DATE '${r.from}' AND f.${ident(t.time!)} < DATE '${r.next}'`,
  ].join('\n');
}

export function renderEval(plan: InitPlan, today: string): string {
  const out = [
    header(
      plan,
      'An evaluation skeleton: questions with the answer computed independently from the raw tables (splitplane eval).',
      today,
    ),
    'version: 1',
    comment('The day questions are asked on ("last month" is the calendar month before it).'),
    `today: "${today}"`,
    'personas:',
    comment(
      `TO REVIEW: placeholder IDs. Replace them with an active admin of ${plan.directory.admins.table} whose role the policy allows, its tenant and its business; the gold SQL below writes the same IDs out.`,
      '  ',
    ),
    `  ${PLACEHOLDER_ROLE}: { tenantId: "${PLACEHOLDER_PERSONA.tenantId}", businessId: "${PLACEHOLDER_PERSONA.businessId}", adminId: "${PLACEHOLDER_PERSONA.adminId}" }`,
    'questions:',
  ];
  for (const m of plan.metrics) {
    const question = `${m.synonyms[0] ?? m.label} last month`;
    out.push(
      comment(
        `TO REVIEW: a guessed question and its gold SQL (the persona's scope written out: its tenant${plan.tables.find((t) => t.logical === m.table)?.scope.unit ? `, business and granted ${plan.grantUnit.plural}` : ' and business'}; last month).`,
        '  ',
      ),
      `  - id: init-${m.id.replace(/_/g, '-')}`,
      `    persona: ${PLACEHOLDER_ROLE}`,
      '    category: plain',
      `    question: ${JSON.stringify(question)}`,
      '    expect: answer',
      '    gold: |-',
      ...goldSql(plan, m, today)
        .split('\n')
        .map((l) => `      ${l}`),
    );
  }
  return `${out.join('\n')}\n`;
}
