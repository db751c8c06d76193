import { createHash } from 'node:crypto';

/**
 * The short reference a reader sees instead of a notice id (ids hold UCWA hrefs and effect keys): the first
 * ten hex digits of the id's SHA-256. Every chat format and the webhook body show the same one, so a reader
 * can quote it and an operator can find the notice. Ten digits: among 90,000 notices (90 days at 1,000 a
 * day) two share one with a chance of about 0.4 %, and the day shown beside it tells them apart.
 */
export const REFERENCE_LENGTH = 10;

export function noticeReference(noticeId: string): string {
  return createHash('sha256').update(noticeId).digest('hex').slice(0, REFERENCE_LENGTH);
}
