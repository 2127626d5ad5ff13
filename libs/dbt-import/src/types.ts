/** Something of the dbt project that is not carried over, and what to do about it. */
export interface Left {
  what: string;
  todo: string;
}

export interface ImportedTenant {
  name: string;
  /** created: a new tenant.json; replaced: --force wrote over one; kept: one was there (without --force). */
  status: 'created' | 'replaced' | 'kept';
  database: string;
}
