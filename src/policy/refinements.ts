/**
 * The parts of a decision beyond tables and locations: row filters (per table, and over the
 * locations dimension) and column masks. Rego returns them as structured data, never SQL; this file
 * checks every part against the table registry (the column exists, the operator and the values fit
 * its type, a mask fits the column and the column is exposed) and resolves a relative date window
 * against the service's clock; a keyed-hash mask takes a key derived from the deployment's secret for
 * the decision's tenant and business (scopeMaskKey). Anything it does not know is SP_ERR_POLICY_INVALID: fail closed.
 *
 *   row_filters:      {"daily_sales": [{"column": "business_date", "op": "within_last_days", "values": [90]}]}
 *   location_filters: [{"column": "state", "op": "in", "values": ["IL", "WI"]}]
 *   masks:            {"locations": {"manager_email": {"kind": "partial_email"}}}
 */
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { SplitplaneError } from '../errors.js';
import { sandboxColumn, type TableRegistry } from '../schema/tables.js';
import { isCalendarDate } from '../util/calendar-date.js';
import { FILTER_OPS, MASK_KINDS, type Mask, type RowFilter, type Scope } from './scope.js';

const Scalar = z.union([z.string().max(200), z.number()]);
const FilterShape = z
  .object({
    column: z.string(),
    op: z.enum([...FILTER_OPS, 'within_last_days']),
    values: z.array(Scalar).min(1).max(1_000),
  })
  .strict();
const MaskShape = z
  .object({
    kind: z.enum(MASK_KINDS),
    value: z.string().max(200).optional(),
    digits: z.number().int().min(-6).max(6).optional(),
    width: z.number().positive().optional(),
  })
  .strict();

/** The optional decision fields, as Rego returns them (checked for shape only). */
export const RefinementFields = {
  row_filters: z.record(z.string(), z.array(FilterShape).max(50)).optional(),
  location_filters: z.array(FilterShape).max(50).optional(),
  masks: z.record(z.string(), z.record(z.string(), MaskShape)).optional(),
};

type Shape = {
  row_filters?: Record<string, z.infer<typeof FilterShape>[]> | undefined;
  location_filters?: z.infer<typeof FilterShape>[] | undefined;
  masks?: Record<string, Record<string, z.infer<typeof MaskShape>>> | undefined;
};

/** What a column's type makes of a value: text, a date or a number. */
export type ValueKind = 'text' | 'date' | 'number';

export function kindOf(sqlType: string): ValueKind {
  // A timestamp compares with a date (midnight): a policy's window over a timestamp column is written in days.
  if (sqlType === 'DATE' || sqlType === 'TIMESTAMP') return 'date';
  if (sqlType === 'VARCHAR') return 'text';
  return 'number';
}

/** Integer column types: a value must be an integer a double holds exactly (|v| <= 2^53 - 1), or two IDs could compare equal. */
const INTEGER_TYPES = new Set(['BIGINT', 'INTEGER', 'SMALLINT']);

function invalid(detail: string): never {
  throw new SplitplaneError('SP_ERR_POLICY_INVALID', { detail });
}

/** Check and resolve one filter over `table`'s columns (`today`: YYYY-MM-DD, for a relative window). */
function filterOf(registry: TableRegistry, table: string, f: z.infer<typeof FilterShape>, today: string): RowFilter {
  const spec = sandboxColumn(registry, table, f.column);
  if (!spec) invalid(`filter on unknown column ${table}.${f.column}`);
  if (spec.type === 'BOOLEAN')
    invalid(`filter on ${table}.${f.column}: BOOLEAN columns cannot be filtered by a policy`);
  const kind = kindOf(spec.type);
  if (f.op === 'within_last_days') {
    const days = f.values[0];
    if (
      kind !== 'date' ||
      f.values.length !== 1 ||
      typeof days !== 'number' ||
      !Number.isInteger(days) ||
      days < 1 ||
      days > 36_500
    )
      invalid(`within_last_days on ${table}.${f.column}`);
    const from = new Date(`${today}T00:00:00Z`);
    from.setUTCDate(from.getUTCDate() - days);
    return Object.freeze({ column: f.column, op: 'gte', values: Object.freeze([from.toISOString().slice(0, 10)]) });
  }
  const arity =
    f.op === 'between'
      ? f.values.length === 2
      : f.op === 'in' || f.op === 'not_in'
        ? f.values.length >= 1
        : f.values.length === 1;
  if (!arity) invalid(`${f.op} on ${table}.${f.column} with ${f.values.length} values`);
  for (const v of f.values) {
    const fits =
      kind === 'number'
        ? typeof v === 'number' && (!INTEGER_TYPES.has(spec.type) || Number.isSafeInteger(v))
        : typeof v === 'string' && (kind === 'text' || isCalendarDate(v));
    if (!fits) invalid(`a value of ${table}.${f.column} that is not ${kind}`);
  }
  return Object.freeze({ column: f.column, op: f.op, values: Object.freeze([...f.values]) });
}

/** Decimal places a number column holds: DECIMAL(p,s) holds s, an integer none, a double (undefined) any. */
function scaleOf(sqlType: string): number | undefined {
  if (INTEGER_TYPES.has(sqlType)) return 0;
  const m = /^DECIMAL\(\d+,(\d+)\)$/.exec(sqlType);
  return m ? Number(m[1]) : undefined;
}

/**
 * The longest SPLITPLANE_MASK_KEY accepted (UTF-16 code units, as String#length counts them). It is
 * the longest text value the connectors bind (warehouse/bindings.ts), which is what used to refuse a
 * longer key, at the first masked query. Since the engine binds a derived key of 64 hex digits
 * (scopeMaskKey), the limit is the configuration's contract, checked at start-up
 * (server/services.ts, policyOptions).
 */
export const MASK_KEY_MAX_LENGTH = 200;

/** The deployment's secret (SPLITPLANE_MASK_KEY) and the scope a keyed-hash mask is keyed for. */
export interface MaskKeySource {
  readonly secret: string;
  readonly tenantId: string;
  readonly businessId: string;
}

/**
 * The key of keyed-hash masks for one (tenant, business): HMAC-SHA256 of the two IDs under the
 * deployment's secret, hex. Equal values hash alike within the business (they still join and group)
 * and differently in any other, so masked values cannot be linked across tenants; the secret itself
 * never leaves the policy adapter (only this key is bound, never written into SQL text). The IDs are
 * decimal strings (the decision was checked against the identity first), so the separator cannot
 * occur in them. Changing this changes every hash a deployment shows (a test pins one value).
 */
export function scopeMaskKey(secret: string, tenantId: string, businessId: string): string {
  return createHmac('sha256', secret).update(`splitplane/mask-key/v1:${tenantId}:${businessId}`).digest('hex');
}

function maskOf(
  registry: TableRegistry,
  table: string,
  column: string,
  m: z.infer<typeof MaskShape>,
  exposed: readonly string[],
  maskKey: () => string | undefined,
): Mask {
  const spec = sandboxColumn(registry, table, column);
  if (!spec || !exposed.includes(column)) invalid(`mask on ${table}.${column}, which the decision does not expose`);
  const kind = kindOf(spec.type);
  const scale = scaleOf(spec.type);
  const extra = Object.keys(m).filter((k) => k !== 'kind');
  const only = (...keys: string[]) => extra.every((k) => keys.includes(k)) && keys.every((k) => k in m);
  switch (m.kind) {
    case 'null':
      if (only()) return Object.freeze({ kind: 'null' });
      break;
    case 'hash': {
      const key = maskKey();
      if (!key) invalid(`hash mask on ${table}.${column} without a mask key (SPLITPLANE_MASK_KEY)`);
      if (only()) return Object.freeze({ kind: 'hash', key });
      break;
    }
    case 'fixed':
      if (kind === 'text' && only('value')) return Object.freeze({ kind: 'fixed', value: m.value! });
      break;
    case 'partial_email':
      if (kind === 'text' && only()) return Object.freeze({ kind: 'partial_email' });
      break;
    // A rounding or bucketing that changes no value masks nothing: refused, as a policy mistake
    // that would otherwise show the raw column under the name of a mask.
    case 'round':
      if (kind === 'number' && only('digits') && (scale === undefined || m.digits! < scale))
        return Object.freeze({ kind: 'round', digits: m.digits! });
      break;
    case 'bucket':
      if (kind === 'number' && only('width') && (scale === undefined || m.width! > 10 ** -scale))
        return Object.freeze({ kind: 'bucket', width: m.width! });
      break;
  }
  return invalid(`mask ${m.kind} does not fit ${table}.${column}`);
}

/**
 * The row filters, location filters and masks of a decision, checked against the registry and the
 * tables it exposes; relative windows resolved against `today`; a keyed-hash mask keyed with
 * scopeMaskKey of `maskKey` (derived once per decision, only when one is asked for).
 */
export function refinementsOf(
  d: Shape,
  tables: Readonly<Record<string, readonly string[]>>,
  today: string,
  registry: TableRegistry,
  maskKey?: MaskKeySource,
): Pick<Scope, 'filters' | 'unitFilters' | 'masks'> {
  let derived: string | undefined;
  const keyFor = (): string | undefined =>
    maskKey ? (derived ??= scopeMaskKey(maskKey.secret, maskKey.tenantId, maskKey.businessId)) : undefined;
  const filters: Record<string, readonly RowFilter[]> = {};
  for (const [table, list] of Object.entries(d.row_filters ?? {})) {
    if (!Object.hasOwn(tables, table)) invalid(`row filters on ${table}, which the decision does not expose`);
    if (list.length) filters[table] = Object.freeze(list.map((f) => filterOf(registry, table, f, today)));
  }
  const unitFilters = (d.location_filters ?? []).map((f) => filterOf(registry, registry.grantUnit.table, f, today));
  const masks: Record<string, Readonly<Record<string, Mask>>> = {};
  for (const [table, cols] of Object.entries(d.masks ?? {})) {
    const exposed = Object.hasOwn(tables, table)
      ? tables[table]!
      : invalid(`masks on ${table}, which the decision does not expose`);
    const m = Object.fromEntries(
      Object.entries(cols).map(([c, mask]) => [c, maskOf(registry, table, c, mask, exposed, keyFor)]),
    );
    if (Object.keys(m).length) masks[table] = Object.freeze(m);
  }
  return {
    ...(Object.keys(filters).length ? { filters: Object.freeze(filters) } : {}),
    ...(unitFilters.length ? { unitFilters: Object.freeze(unitFilters) } : {}),
    ...(Object.keys(masks).length ? { masks: Object.freeze(masks) } : {}),
  };
}
