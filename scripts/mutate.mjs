#!/usr/bin/env node
/**
 * Mutation check for the security rules: disables each guard rule, engine
 * check and lock-down setting in turn (in a scratch copy of the project, never
 * in the working tree, and with no switch in the product itself), runs the
 * security tests, and reports whether at least one test then fails ("killed").
 * A rule whose removal no test notices is dead weight or an untested rule.
 *
 *   npm run test:mutation [-- --only ID[,ID...]] [-- --runs N] [-- --bail]
 *
 * --bail stops each mutant's run at its first failing test: the verdict (killed or not) is the
 * same, only the count of failing tests is then 1, and a run takes a fraction of the time.
 *
 * Writes test-artifacts/mutation.json and prints a table. Exits 1 if any
 * mutation survives.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { only: { type: 'string' }, runs: { type: 'string', default: '300' }, bail: { type: 'boolean', default: false } } });

/** Each mutation: a unique piece of source replaced by a version without the rule. */
const MUTATIONS = [
  // guard: limits before parsing
  ['pre-too-long', 'src/guard/first-layer.ts', "if (sql.length > GUARD_LIMITS.maxLength) throw new SplitplaneError('SP_ERR_GUARD_TOO_LONG');", ''],
  ['pre-bad-character', 'src/guard/first-layer.ts', "if (/[^\\t\\n\\r\\x20-\\x7e]/.test(sql)) throw new SplitplaneError('SP_ERR_GUARD_BAD_CHARACTER');", ''],
  ['pre-too-deep', 'src/guard/first-layer.ts', "if (depth > GUARD_LIMITS.maxDepth) throw new SplitplaneError('SP_ERR_GUARD_TOO_DEEP');", ''],
  ['pre-first-keyword', 'src/guard/first-layer.ts', "if (!head.startsWith('SELECT') && !head.startsWith('WITH')) throw new SplitplaneError('SP_ERR_GUARD_NOT_SELECT');", ''],
  ['one-statement', 'src/guard/first-layer.ts', "if (statements.length !== 1) throw new SplitplaneError('SP_ERR_GUARD_MULTIPLE_STATEMENTS');", ''],
  ['ast-select-only', 'src/guard/sql-check.ts', "if (!isNode(node) || node['type'] !== 'select') reject('SP_ERR_GUARD_NOT_SELECT', 'not a select');", "if (!isNode(node)) reject('SP_ERR_GUARD_NOT_SELECT', 'not a select');"],
  ['engine-check-skipped', 'src/guard/guard.ts', '  await engineCheck(assembled, ctx);', ''],
  // guard: node-sql-parser AST check
  ['ast-select-keys', 'src/guard/sql-check.ts', "if (!SELECT_KEYS.has(k) && v !== null && v !== undefined) reject('SP_ERR_GUARD_UNSUPPORTED', `select key ${k}`);", ''],
  ['ast-select-into', 'src/guard/sql-check.ts', "if (isNode(into) && (into['position'] != null || into['expr'] != null)) reject('SP_ERR_GUARD_SELECT_INTO', 'into');", ''],
  ['ast-cte-shadow', 'src/guard/sql-check.ts', "if (this.sandboxNames.has(name)) reject('SP_ERR_GUARD_CTE_SHADOW', name);", ''],
  ['ast-recursive-cte', 'src/guard/sql-check.ts', "if (cte['recursive'] || cte['columns'] != null) reject('SP_ERR_GUARD_UNSUPPORTED', 'recursive cte or cte column list');", ''],
  ['ast-strict-cte-order', 'src/guard/sql-check.ts', "        this.select(isNode(stmt) && 'ast' in stmt ? stmt['ast'] : stmt, scope, depth + 1);", "        this.select(isNode(stmt) && 'ast' in stmt ? stmt['ast'] : stmt, new Set([...scope, ...withList.map((c) => identName((c as Node)['name']).toLowerCase())]), depth + 1);"],
  ['ast-table-function', 'src/guard/sql-check.ts', "        reject('SP_ERR_GUARD_TABLE_FUNCTION', identFunction(inner));", ''],
  ['ast-qualified-table', 'src/guard/sql-check.ts', "if (item[q] != null) reject('SP_ERR_GUARD_QUALIFIED_NAME', `${String(item[q])}.${item['table']}`);", ''],
  ['ast-unknown-relation', 'src/guard/sql-check.ts', "if (!scope.has(name)) reject('SP_ERR_GUARD_UNKNOWN_RELATION', name);", ''],
  ['ast-expression-types', 'src/guard/sql-check.ts', "if (!EXPRESSION_TYPES.has(type)) reject('SP_ERR_GUARD_UNSUPPORTED', `expression ${type}`);", ''],
  ['ast-qualified-column', 'src/guard/sql-check.ts', "for (const q of ['db', 'schema']) if (node[q] != null) reject('SP_ERR_GUARD_QUALIFIED_NAME', 'qualified column');", ''],
  ['ast-function-allow-list', 'src/guard/sql-check.ts', "        const name = identFunction(node);\n        if (!ALLOWED_FUNCTIONS.has(name)) reject('SP_ERR_GUARD_FUNCTION_NOT_ALLOWED', name);", '        identFunction(node);'],
  ['ast-aggregate-allow-list', 'src/guard/sql-check.ts', "        const name = String(node['name']).toLowerCase();\n        if (!ALLOWED_FUNCTIONS.has(name)) reject('SP_ERR_GUARD_FUNCTION_NOT_ALLOWED', name);", ''],
  ['ast-binary-operators', 'src/guard/sql-check.ts', "if (!ALLOWED_BINARY_OPERATORS.has(op)) reject('SP_ERR_GUARD_UNSUPPORTED', `operator ${String(node['operator'])}`);", ''],
  ['ast-cast-types', 'src/guard/sql-check.ts', "if (!ALLOWED_CAST_TYPES.has(dt)) reject('SP_ERR_GUARD_UNSUPPORTED', `cast to ${dt}`);", ''],
  ['ast-backslash-literal', 'src/guard/sql-check.ts', "          reject('SP_ERR_GUARD_LITERAL', 'backslash in a string literal');", ''],
  ['ast-qualified-function', 'src/guard/sql-check.ts', "if (name['name'].length !== 1 || name['schema'] != null) reject('SP_ERR_GUARD_QUALIFIED_NAME', 'qualified function');", ''],
  // guard: the engine's own parse
  ['engine-sandbox-equality', 'src/guard/engine-check.ts', "if (g.name.toLowerCase() !== e.key || JSON.stringify(g.node) !== e.value) mismatch(`sandbox CTE ${e.key} differs`);", 'if (g.name.toLowerCase() !== e.key) mismatch(`sandbox CTE ${e.key} differs`);'],
  ['engine-one-statement', 'src/engines/duckdb/engine-check.ts', "if (!Array.isArray(statements) || statements.length !== 1) mismatch('not exactly one statement');", ''],
  ['engine-cte-redefined', 'src/engines/duckdb/engine-check.ts', "if (this.sandboxNames.has(name) || scope.has(name) && !outer.has(name)) mismatch(`cte ${name} redefined`);", ''],
  ['engine-qualified-table', 'src/engines/duckdb/engine-check.ts', "if (ref['catalog_name'] !== '' || ref['schema_name'] !== '') mismatch(`qualified ${name}`);", ''],
  ['engine-relation-scope', 'src/engines/duckdb/engine-check.ts', "if (!scope.has(name)) mismatch(`relation ${name} outside the sandbox`);", ''],
  ['engine-table-ref-types', 'src/engines/duckdb/engine-check.ts', "        mismatch(`table ref ${String(ref['type'])}`);", ''],
  ['engine-expression-classes', 'src/engines/duckdb/engine-check.ts', "if (!EXPRESSION_CLASSES.has(cls)) mismatch(`expression class ${cls}`);", ''],
  ['engine-function-allow-list', 'src/engines/duckdb/engine-check.ts', "        mismatch(`function ${name}`);", ''],
  // guard: cost limits, binder keywords, exact literals
  ['pre-word-length', 'src/guard/limits.ts', "    if (m[1] !== undefined && m[1].length > MAX_WORD) {", '    if (false) {'],
  ['ast-expression-depth', 'src/guard/sql-check.ts', "if (++below > AST_LIMITS.maxExpressionDepth) tooComplex(`expressions nested more than ${AST_LIMITS.maxExpressionDepth} deep`);", '++below;'],
  ['ast-node-count', 'src/guard/sql-check.ts', "if (++this.#nodes > AST_LIMITS.maxNodes) tooComplex(`more than ${AST_LIMITS.maxNodes} nodes`);", ''],
  ['ast-select-items', 'src/guard/sql-check.ts', "if (Array.isArray(columns) && columns.length > AST_LIMITS.maxSelectItems) tooComplex(`more than ${AST_LIMITS.maxSelectItems} select items`);", ''],
  ['ast-joins', 'src/guard/sql-check.ts', "if (Array.isArray(fromList) && fromList.length > AST_LIMITS.maxJoins + 1) tooComplex(`more than ${AST_LIMITS.maxJoins} joins`);", ''],
  ['ast-subqueries', 'src/guard/sql-check.ts', "if (++this.#selects > AST_LIMITS.maxSubqueries + 1) tooComplex(`more than ${AST_LIMITS.maxSubqueries} subqueries`);", ''],
  ['ast-in-list', 'src/guard/sql-check.ts', "if (value.length > AST_LIMITS.maxInList) tooComplex(`a list of more than ${AST_LIMITS.maxInList} items`);", ''],
  ['ast-like-wildcards', 'src/guard/sql-check.ts', "if (wildcards > AST_LIMITS.maxLikeWildcards) tooComplex(`a LIKE pattern with more than ${AST_LIMITS.maxLikeWildcards} wildcards`);", ''],
  ['ast-string-growth', 'src/guard/sql-check.ts', "if (growsString(node, type) && ++grown > AST_LIMITS.maxStringGrowth) tooComplex('string functions nested too deeply');", ''],
  ['ast-keyword-identifier', 'src/guard/sql-check.ts', "if (typeof name === 'string' && SQL_VALUE_FUNCTIONS.has(name.toLowerCase())) reject('SP_ERR_GUARD_KEYWORD_IDENTIFIER', name);", ''],
  ['literals-kept', 'src/guard/first-layer.ts', '  checkLiteralsKept(candidate, assembled.candidate);', ''],
  ['engine-keyword-identifier', 'src/engines/duckdb/engine-check.ts', "if (SQL_VALUE_FUNCTIONS.has(last)) mismatch(`keyword-like column ${last}`);", ''],
  ['engine-cast-types', 'src/engines/duckdb/engine-check.ts', "if (!DUCKDB_CAST_TYPES.has(id)) mismatch(`cast to ${id}`);", ''],
  ['lock-expression-depth', 'src/engines/duckdb/connector.ts', "  max_expression_depth: '200',", ''],
  ['builtins-only', 'src/engines/duckdb/connector.ts', '  if (shadowing.length) {', '  if (false) {'],
  // sandbox
  ['sandbox-location-filter', 'src/sandbox/sandbox.ts', '    if (spec.scope.location !== undefined) {', '    if (false) {'],
  ['sandbox-business-filter', 'src/sandbox/sandbox.ts', "const predicates = [`${q(spec.scope.tenant)} = ${param('sp_tenant')}`, `${q(spec.scope.business)} = ${param('sp_business')}`];", "const predicates = [`${q(spec.scope.tenant)} = ${param('sp_tenant')}`];"],
  // the decision's row filters, location filters and masks (policy/refinements.ts, sandbox/refine.ts)
  ['sandbox-row-filters', 'src/sandbox/sandbox.ts', 'for (const f of scope.filters?.[name] ?? []) predicates.push(', 'for (const f of []) predicates.push('],
  ['sandbox-location-filters', 'src/sandbox/sandbox.ts', '    if (unitFilters.length && spec.scope.location !== undefined) {', '    if (false) {'],
  ['sandbox-masks', 'src/sandbox/sandbox.ts', '      const mask = masks[c];', '      const mask = undefined;'],
  ['refine-unknown-column', 'src/policy/refinements.ts', '  if (!spec) invalid(`filter on unknown column ${table}.${f.column}`);', ''],
  ['refine-value-types', 'src/policy/refinements.ts', "    if (!fits) invalid(`a value of ${table}.${f.column} that is not ${kind}`);", ''],
  ['refine-mask-exposed', 'src/policy/refinements.ts', '  if (!spec || !exposed.includes(column)) invalid(', '  if (!spec) invalid('],
  ['refine-unexposed-table', 'src/policy/refinements.ts', "    if (!Object.hasOwn(tables, table)) invalid(`row filters on ${table}, which the decision does not expose`);", ''],
  ['refine-safe-integers', 'src/policy/refinements.ts', '(!INTEGER_TYPES.has(spec.type) || Number.isSafeInteger(v))', 'true'],
  ['refine-calendar-dates', 'src/util/calendar-date.ts', "d.toISOString().slice(0, 10) === v", 'true'],
  ['registry-own-columns', 'src/schema/tables.ts', 't && Object.hasOwn(t.columns, column) ? t.columns[column] : undefined', 't?.columns[column]'],
  ['refine-round-changes', 'src/policy/refinements.ts', "(scale === undefined || m.digits! < scale)", 'true'],
  ['bind-decision-values', 'src/warehouse/bindings.ts', "  if (!ok) throw new SplitplaneError('SP_ERR_POLICY_INVALID', { detail: `decision value ${p.name}` });", ''],
  // the bound scope: values only from the verified scope, and only the parameters the text was built with
  ['bind-needs-scope', 'src/warehouse/bindings.ts', "  if (!scope) throw new SplitplaneError('SP_ERR_POLICY_INVALID', { detail: 'bound sandbox text without a verified scope' });", '  if (!scope) return [];'],
  ['worker-parameter-names', 'src/engines/duckdb/worker.ts', "      if (asked.join(',') !== given.join(',')) {", '      if (false) {'],
  ['sandbox-fence', 'src/warehouse/standard-dialect.ts', "  cteFence: 'MATERIALIZED',", "  cteFence: '',"],
  // engine lock-down
  ['lock-read-only', 'src/engines/duckdb/connector.ts', "  access_mode: 'READ_ONLY',", ''],
  ['lock-external-access', 'src/engines/duckdb/connector.ts', "  enable_external_access: 'false',", ''],
  ['lock-autoinstall', 'src/engines/duckdb/connector.ts', "  autoinstall_known_extensions: 'false',", ''],
  ['lock-autoload', 'src/engines/duckdb/connector.ts', "  autoload_known_extensions: 'false',", ''],
  ['lock-configuration', 'src/engines/duckdb/worker.ts', "      await setup.run('SET lock_configuration = true');", ''],
  ['row-cap', 'src/engines/duckdb/worker.ts', '    rows: all.slice(0, rowCap),', '    rows: all,'],
  // the deadline and the worker pool (the interrupt alone is not a rule: the kill backs it up)
  ['deadline-kill', 'src/engines/duckdb/pool.ts', "        this.stats.killed++;\n        worker.child.kill('SIGKILL');", '        this.stats.killed++;'],
  ['tenant-share', 'src/engines/duckdb/pool.ts', '      if ((this.#held.get(job.run.tenant) ?? 0) >= this.#opts.perTenant) {', '      if (false) {'],
  ['slow-yields-cpu', 'src/engines/duckdb/pool.ts', '        renice(worker.child.pid, 19);', ''],
  ['parse-budget', 'src/guard/parse-pool.ts', '      call.timer = setTimeout(() => this.#overrun(slot, call), this.#budgetMs);', ''],
  // the DuckDB bound plan
  ['plan-operators', 'src/engines/duckdb/plan-check.ts', '!READ_OPERATORS.has(type)) return', '!READ_OPERATORS.has(type) && false) return'],
  ['plan-scans', 'src/engines/duckdb/plan-check.ts', "      if (v['name'] !== 'seq_scan' || data['schema'] !== 'main' || scannable === undefined || !scannable.includes(String(data['table']))) {", '      if (false) {'],
  ['plan-scans-in-sandbox', 'src/engines/duckdb/plan-check.ts', " || scannable === undefined || !scannable.includes(String(data['table']))) {", ') {'],
  ['plan-constants', 'src/engines/duckdb/plan-check.ts', "      if (word !== undefined && !constantOfWord(word, v['value'], sql)) return", '      if (false) return'],
  ['plan-functions', 'src/engines/duckdb/plan-check.ts', '      if (!(scannable === undefined ? functions : inSandbox).has(name)) return', '      if (false) return'],
  ['plan-sandbox-functions', 'src/engines/duckdb/plan-check.ts', '(scannable === undefined ? functions : inSandbox).has(name)', 'inSandbox.has(name)'],
  ['plan-windows', 'src/engines/duckdb/plan-check.ts', "      if (!windows.has(String(v['type']))) return", '      if (false) return'],
];

const TESTS = [
  'src/guard/guard.test.ts',
  'src/sandbox/sandbox.test.ts',
  'src/engines/duckdb/connector.test.ts',
  'test/security/corpus.test.ts',
  'test/security/cost-and-binding.test.ts',
  'test/security/stall.test.ts',
  'src/guard/parse-pool.test.ts',
  'test/security/differential-a.test.ts',
  'test/security/differential-c.test.ts',
  'src/policy/refinements.test.ts',
  'test/e2e/masks.test.ts',
  'test/e2e/ask.test.ts',
];

const root = process.cwd();
const only = values.only ? new Set(values.only.split(',')) : undefined;
const selected = MUTATIONS.filter(([id]) => !only || only.has(id));
/** Runs the suites in a scratch copy of the project, with `file` changed to `text` when given. */
function runIn(id, file, text) {
  const scratch = mkdtempSync(join(tmpdir(), `splitplane-mutant-${id}-`));
  for (const entry of ['src', 'test', 'policies', 'catalog', 'config', 'package.json', 'tsconfig.json', 'vitest.config.ts']) {
    cpSync(join(root, entry), join(scratch, entry), { recursive: true });
  }
  symlinkSync(join(root, 'node_modules'), join(scratch, 'node_modules'));
  if (file) writeFileSync(join(scratch, file), text);
  const run = spawnSync(join(root, 'node_modules/.bin/vitest'), ['run', ...(values.bail ? ['--bail=1'] : []), ...TESTS], {
    cwd: scratch,
    env: { ...process.env, SPLITPLANE_PROPERTY_RUNS: values.runs, NO_COLOR: '1' },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  rmSync(scratch, { recursive: true, force: true });
  // eslint-disable-next-line no-control-regex
  const out = `${run.stdout}\n${run.stderr}`.replace(/\x1b\[[0-9;]*m/g, '');
  if (process.env.MUTATE_DEBUG) writeFileSync(join(root, 'test-artifacts', `mutant-${id}.log`), out);
  return { status: run.status, failed: [...new Set([...out.matchAll(/^ FAIL +(.+?)\s*$/gm)].map((m) => m[1].trim()))] };
}

mkdirSync(join(root, 'test-artifacts'), { recursive: true });
// The unmutated code must pass the same suites with the same options first: a test that fails on
// its own would count every mutant as killed.
const baseline = runIn('baseline');
if (baseline.status !== 0) {
  console.log(`baseline FAILED with no mutation (${baseline.failed.length} failing tests): ${baseline.failed.slice(0, 3).join(' | ')}`);
  console.log('fix the suites before reading any mutant as killed');
  process.exit(2);
}
console.log('baseline                     passes');

const results = [];
for (const [id, file, find, replace] of selected) {
  const source = readFileSync(join(root, file), 'utf8');
  const count = source.split(find).length - 1;
  if (count !== 1) {
    results.push({ id, file, killed: false, error: `the text to mutate occurs ${count} times` });
    console.log(`${id.padEnd(28)} ERROR: mutation text occurs ${count} times in ${file}`);
    continue;
  }
  const started = Date.now();
  const run = runIn(id, file, source.replace(find, replace));
  const failed = run.failed;
  const killed = run.status !== 0;
  results.push({ id, file, killed, failedTests: failed.length, examples: failed.slice(0, 3), seconds: (Date.now() - started) / 1000 });
  console.log(`${id.padEnd(28)} ${killed ? 'killed  ' : 'SURVIVED'} ${String(failed.length).padStart(3)} failing tests  ${failed.slice(0, 2).join(' | ')}`);
}

const killed = results.filter((r) => r.killed).length;
writeFileSync(join(root, 'test-artifacts/mutation.json'), `${JSON.stringify({ runs: Number(values.runs), results }, null, 2)}\n`);
console.log(`\n${killed} of ${results.length} mutations killed; report: test-artifacts/mutation.json`);
process.exit(killed === results.length ? 0 : 1);
