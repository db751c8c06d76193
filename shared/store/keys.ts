import { createHash } from 'node:crypto';

/** Table keys may not contain `/ \ # ?` and UCWA hrefs are full of them: store a hash, keep the original too. */
export function rowKeyOf(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}
