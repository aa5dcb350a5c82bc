/**
 * What `splitplane init` and `splitplane catalog check` read from a warehouse's information schema,
 * and how a warehouse's column type maps onto the column types of the table registry
 * (src/schema/tables.ts: BIGINT, INTEGER, SMALLINT, DOUBLE, VARCHAR, DATE, TIMESTAMP, BOOLEAN,
 * DECIMAL(p,s)). The three engines name their types differently (DuckDB `VARCHAR`, PostgreSQL
 * `character varying`, Databricks `STRING`); one mapping reads all three.
 */

/** A column as the information schema describes it. */
export interface RawColumn {
  readonly name: string;
  /** The engine's own type name (information_schema.columns.data_type). */
  readonly dataType: string;
  readonly precision: number | null;
  readonly scale: number | null;
}

/** A raw table of the warehouse and its columns, in column order. */
export interface RawTable {
  readonly name: string;
  readonly columns: readonly RawColumn[];
}

/** A raw name splitplane can write without quoting games: an ASCII identifier (the registry's rule). */
export const ASCII_IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** A logical name (what a model and a policy see): lower-case ASCII (the registry's rule). */
export const LOGICAL = /^[a-z][a-z0-9_]*$/;

/** A registry column type, or why the warehouse's type has none. */
export type MappedType = { readonly type: string } | { readonly unsupported: string };

const INTEGERS: Readonly<Record<string, string>> = {
  BIGINT: 'BIGINT',
  INT8: 'BIGINT',
  LONG: 'BIGINT',
  UINTEGER: 'BIGINT',
  INTEGER: 'INTEGER',
  INT: 'INTEGER',
  INT4: 'INTEGER',
  SIGNED: 'INTEGER',
  USMALLINT: 'INTEGER',
  SMALLINT: 'SMALLINT',
  INT2: 'SMALLINT',
  SHORT: 'SMALLINT',
  TINYINT: 'SMALLINT',
  INT1: 'SMALLINT',
  BYTE: 'SMALLINT',
  UTINYINT: 'SMALLINT',
};
const SIMPLE: Readonly<Record<string, string>> = {
  ...INTEGERS,
  DOUBLE: 'DOUBLE',
  'DOUBLE PRECISION': 'DOUBLE',
  FLOAT8: 'DOUBLE',
  FLOAT: 'DOUBLE',
  FLOAT4: 'DOUBLE',
  REAL: 'DOUBLE',
  VARCHAR: 'VARCHAR',
  'CHARACTER VARYING': 'VARCHAR',
  TEXT: 'VARCHAR',
  STRING: 'VARCHAR',
  CHAR: 'VARCHAR',
  CHARACTER: 'VARCHAR',
  BPCHAR: 'VARCHAR',
  NAME: 'VARCHAR',
  DATE: 'DATE',
  TIMESTAMP: 'TIMESTAMP',
  'TIMESTAMP WITHOUT TIME ZONE': 'TIMESTAMP',
  TIMESTAMP_NTZ: 'TIMESTAMP',
  DATETIME: 'TIMESTAMP',
  TIMESTAMP_S: 'TIMESTAMP',
  TIMESTAMP_MS: 'TIMESTAMP',
  TIMESTAMP_US: 'TIMESTAMP',
  TIMESTAMP_NS: 'TIMESTAMP',
  BOOLEAN: 'BOOLEAN',
  BOOL: 'BOOLEAN',
};
/** Why some well-known types are not mapped, in words an operator can act on. */
const WHY: readonly [RegExp, string][] = [
  [
    /^(TIMESTAMP WITH TIME ZONE|TIMESTAMPTZ|TIMESTAMP_LTZ)$/,
    'a timestamp with a time zone (splitplane compares plain timestamps: expose a view that converts it to local time)',
  ],
  [/^(HUGEINT|UHUGEINT|UBIGINT)$/, 'an integer wider than BIGINT'],
  [/^(NUMERIC|DECIMAL)$/, 'a decimal without a declared precision and scale'],
  [
    /^(UUID|BLOB|BYTEA|BINARY|VARBINARY)$/,
    'binary or UUID values (splitplane binds and compares numbers, text, dates and booleans only)',
  ],
  [
    /^(JSON|JSONB|VARIANT|ARRAY|MAP|STRUCT|UNION|USER-DEFINED|ENUM)\b|\[\]$/,
    'a nested, JSON, array or user-defined type',
  ],
  [/^(TIME|TIME WITH(OUT)? TIME ZONE|TIMETZ|INTERVAL)\b/, 'a time of day or an interval'],
];

/** The registry type of a warehouse column, or why it has none. */
export function mapType(c: Pick<RawColumn, 'dataType' | 'precision' | 'scale'>): MappedType {
  const t = c.dataType.trim().toUpperCase().replace(/\s+/g, ' ');
  const simple = SIMPLE[t.replace(/\(\d+\)$/, '')]; // VARCHAR(40), CHAR(2), TIMESTAMP(3)
  if (simple) return { type: simple };
  const dec = /^(?:DECIMAL|NUMERIC)(?:\((\d+)\s*,\s*(\d+)\))?$/.exec(t);
  if (dec) {
    const p = dec[1] !== undefined ? Number(dec[1]) : c.precision;
    const s = dec[2] !== undefined ? Number(dec[2]) : c.scale;
    if (p !== null && s !== null && p >= 1 && p <= 38 && s >= 0 && s <= p) return { type: `DECIMAL(${p},${s})` };
  }
  for (const [re, why] of WHY) if (re.test(t)) return { unsupported: `${c.dataType}: ${why}` };
  return { unsupported: `${c.dataType}: not a type splitplane can bind` };
}

const INTEGER_WIDTH: Readonly<Record<string, number>> = { SMALLINT: 1, INTEGER: 2, BIGINT: 3 };

/** Whether a registry type is an integer type (scope IDs are bound as BIGINT). */
export function isInteger(type: string): boolean {
  return INTEGER_WIDTH[type] !== undefined;
}

/** Whether a registry type is numeric (a measure can sum it). */
export function isNumeric(type: string): boolean {
  return isInteger(type) || type === 'DOUBLE' || type.startsWith('DECIMAL(');
}

/** Whether a registry type is a date or a timestamp (a fact table's time column). */
export function isTemporal(type: string): boolean {
  return type === 'DATE' || type === 'TIMESTAMP';
}

/**
 * Whether a warehouse column of type `actual` can be exposed as `declared`: the same type; a
 * narrower integer (SMALLINT as INTEGER or BIGINT); a decimal of the same scale and no more
 * digits. Anything else would change values or comparisons.
 */
export function compatible(declared: string, actual: string): boolean {
  if (declared === actual) return true;
  const dw = INTEGER_WIDTH[declared];
  const aw = INTEGER_WIDTH[actual];
  if (dw !== undefined && aw !== undefined) return aw <= dw;
  const d = /^DECIMAL\((\d+),(\d+)\)$/.exec(declared);
  const a = /^DECIMAL\((\d+),(\d+)\)$/.exec(actual);
  return d !== null && a !== null && a[2] === d[2] && Number(a[1]) <= Number(d[1]);
}
