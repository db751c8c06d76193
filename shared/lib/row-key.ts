import { createHash } from 'node:crypto';

/** Table keys may not contain `/ \ # ?` and hrefs and notice ids do: store a hash, keep the original too. */
export function rowKeyOf(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}
