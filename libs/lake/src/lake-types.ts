import type { LakeType } from './types.ts';

const SIMPLE: Record<string, LakeType['kind']> = {
  smallint: 'smallint',
  int2: 'smallint',
  integer: 'integer',
  int: 'integer',
  int4: 'integer',
  bigint: 'bigint',
  int8: 'bigint',
  real: 'real',
  float4: 'real',
  float: 'double',
  double: 'double',
  'double precision': 'double',
  float8: 'double',
  boolean: 'boolean',
  bool: 'boolean',
  text: 'text',
  string: 'text',
  varchar: 'text',
  date: 'date',
  timestamp: 'timestamp',
  'timestamp without time zone': 'timestamp',
};

export const KNOWN_TYPES = 'smallint, integer, bigint, numeric(p,s), real, double precision, boolean, text, varchar(n), date, timestamp';

/** A type as written in the YAML (`numeric(10, 2)`, `string`, `INT`), or undefined when no target could hold it. */
export function parseLakeType(text: string): LakeType | undefined {
  const t = text.trim().toLowerCase().replace(/\s+/g, ' ');
  if (SIMPLE[t]) return { kind: SIMPLE[t] } as LakeType;
  const numeric = /^(?:numeric|decimal)(?: ?\( ?(\d+) ?(?:, ?(\d+) ?)?\))?$/.exec(t);
  if (numeric) {
    const precision = Number(numeric[1] ?? 38);
    const scale = Number(numeric[2] ?? 0);
    return precision >= 1 && precision <= 38 && scale <= precision ? { kind: 'numeric', precision, scale } : undefined;
  }
  const varchar = /^(?:varchar|character varying) ?\( ?(\d+) ?\)$/.exec(t);
  if (varchar) {
    const length = Number(varchar[1]);
    return length >= 1 && length <= 65535 ? { kind: 'varchar', length } : undefined;
  }
  return undefined;
}

/** The PostgreSQL spelling. */
export function postgresType(type: LakeType): string {
  switch (type.kind) {
    case 'numeric':
      return `numeric(${type.precision},${type.scale})`;
    case 'varchar':
      return `varchar(${type.length})`;
    case 'double':
      return 'double precision';
    default:
      return type.kind;
  }
}

const PARTITION_VALUE: Partial<Record<LakeType['kind'], RegExp>> = {
  smallint: /^-?\d{1,5}$/,
  integer: /^-?\d{1,10}$/,
  bigint: /^-?\d{1,19}$/,
  numeric: /^-?\d+(\.\d+)?$/,
  date: /^\d{4}-\d{2}-\d{2}$/,
  boolean: /^(true|false)$/,
};

/** Whether a value taken from a folder name can be a value of the partition's type. */
export function fitsType(value: string, type: LakeType): boolean {
  if (type.kind === 'date')
    return (
      PARTITION_VALUE.date!.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) && new Date(`${value}T00:00:00Z`).toISOString().startsWith(value)
    );
  if (type.kind === 'timestamp') return !Number.isNaN(Date.parse(value.replace(' ', 'T')));
  if (type.kind === 'varchar') return value.length <= type.length;
  const pattern = PARTITION_VALUE[type.kind];
  return pattern ? pattern.test(value) : true;
}
