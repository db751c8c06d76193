/**
 * What the gatekeeper tells a chat channel. The use cases build notices; renderers turn them into Teams
 * cards, Slack blocks, webhook JSON or an instant message. Sender-controlled text (names, subjects, messages)
 * is raw here: every renderer escapes it for its own format.
 */

import type { SenderFacts } from '../policy/facts.js';

export type { SenderFacts };

export type NoticeAction = 'summarize' | 'eject' | 'reject' | 'decline' | 'accept' | 'ignore';

export interface Notice {
  /** Stable idempotency key: the outbox delivers each id once per sink. */
  id: string;
  kind: 'invitation' | 'lobby' | 'alert' | 'digest';
  /** ISO 8601. */
  at: string;
  mode: 'enforce' | 'dry-run';
  sender?: SenderFacts;
  invitation?: {
    /** messaging, audioVideo, onlineMeeting, participant, phoneAudio. */
    modality: string;
    subject?: string;
    importance?: string;
    /** First message text, decoded from its data: URI. */
    firstMessage?: string;
  };
  meeting?: { uri?: string; subject?: string };
  decision?: { action: NoticeAction; rule: string; reason: string };
  outcome?: {
    status: 'done' | 'would-do' | 'skipped' | 'failed' | 'already-left' | 'not-permitted';
    detail?: string;
  };
  digest?: {
    periodStart: string;
    periodEnd: string;
    invitations: number;
    bySourceNetwork: Record<string, number>;
    anonymousKnocks: number;
    ejections: number;
    failures: number;
  };
  alert?: { title: string; detail: string };
}
