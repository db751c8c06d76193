/** What ensureTable needs of a TableClient. */
export interface CreatableTable {
  readonly url: string;
  readonly tableName: string;
  createTable(): Promise<unknown>;
}

const created = new Map<string, Promise<void>>();

/**
 * Creates the table once per process (createTable treats "already exists" as success). A failure is
 * forgotten, so the next call tries again.
 */
export function ensureTable(client: CreatableTable): Promise<void> {
  const key = `${client.url}|${client.tableName}`;
  let pending = created.get(key);
  if (!pending) {
    pending = client.createTable().then(
      () => undefined,
      (error: unknown) => {
        created.delete(key);
        throw error;
      },
    );
    created.set(key, pending);
  }
  return pending;
}
