import type { SenderFacts } from '../policy/facts.js';
import { UcwaError } from '../ucwa/errors.js';
import { hrefOf } from '../ucwa/links.js';
import type { Participant } from '../ucwa/schemas.js';
import type { ClaimReport } from './conclude.js';
import { effectKeys } from './effect-keys.js';
import { reportOf } from './effect-runner.js';
import type { ActionOutcome } from './outcome.js';
import type { ClaimRecord, ClaimStore, GatekeeperUcwa, LobbiesNow } from './ports.js';
import { leadsNowhere, type WhereNow } from './removal-outcomes.js';
import { senderFacts } from './sender-facts.js';

/**
 * What the server shows now about a participant a claim names — the only view a removal may act on — and,
 * when its href leads nowhere, where the same guest waits or was seen waiting since (the current meetings'
 * lobbies and claims), so such a claim can tell "removed by my request" from "guarded under another href".
 */
export class CurrentView {
  constructor(
    private readonly ucwa: GatekeeperUcwa,
    private readonly lobbiesNow?: () => Promise<LobbiesNow | undefined>,
    private readonly claims?: ClaimStore,
  ) {}

  /** The participant at `href`, or undefined when the server says it is gone. */
  async reread(href: string): Promise<Participant | undefined> {
    try {
      return await this.ucwa.get('participant', href);
    } catch (error) {
      if (error instanceof UcwaError && error.action === 'target-gone') return undefined;
      throw error;
    }
  }

  /**
   * Seen under an application the server has since dropped (re-created after expiry): that href leads
   * nowhere, and a guest still waiting is a new participant under the current one, guarded there.
   */
  underDroppedApplication(href: string): boolean {
    const app = this.ucwa.currentApplication?.href;
    // Claims written by earlier versions may hold a relative href.
    return app !== undefined && !this.ucwa.resolve(href).startsWith(`${this.ucwa.resolve(app)}/`);
  }

  /**
   * What a removal comes to when its href shows nobody (`leadsNowhere`), as this view sees it now. `guess`:
   * lobbies that cannot be read count as not showing the guest.
   */
  nowhere(
    record: Pick<ClaimRecord, 'sentAt' | 'effectAt'>,
    report: ClaimReport,
    guess = false,
  ): Promise<ActionOutcome | 'unknown'> {
    const dropped = this.underDroppedApplication(report.participant);
    return leadsNowhere({ sent: Boolean(record.sentAt), dropped }, async () => {
      const where = await this.whereNow(report, record.sentAt || record.effectAt);
      return guess && where === 'unknown' ? 'absent' : where;
    });
  }

  /**
   * Whether the guest a report names waits in a lobby of the current application (by address, else name),
   * or was seen waiting in one since `since` (ISO: when the claim's request went out, or began).
   */
  async whereNow(report: ClaimReport, since: string): Promise<WhereNow> {
    if (!this.lobbiesNow) return 'absent';
    const lobbies = await this.lobbies();
    if (!lobbies) return 'unknown';
    const own = this.ucwa.resolve(report.participant);
    const matches = lobbies.waiting.filter((participant) =>
      sameGuest(senderFacts(participant), report.facts),
    );
    if (matches.some((participant) => this.ucwa.resolve(hrefOf(participant, 'self') ?? '') !== own))
      return 'waiting';
    // Back at this very href (left and knocked again while the request was out): not "elsewhere", and not
    // gone either; the claim is tried again, and a re-read then shows them.
    if (matches.length > 0) return 'unknown';
    return (await this.seenSince(report, since, lobbies.meetings)) ? 'seen-elsewhere' : 'absent';
  }

  /**
   * Whether a claim about one of the current meetings shows the guest at another href since `since`: then
   * they were waiting after this claim's request went out, so it did not remove them. A process killed after
   * both requests of a guest, the one under a dropped application and the one under the new one, leaves two
   * claims that each sent and find nobody (the soak's burst); this tells which one to report. A guest removed
   * by this request who knocked again since cannot be told apart: that comes to one removal reported, not two
   * (as for a guest waiting elsewhere now).
   */
  private async seenSince(report: ClaimReport, since: string, meetings: readonly string[]): Promise<boolean> {
    if (!this.claims) return false;
    const own = effectKeys.removal(this.ucwa.resolve(report.participant));
    const claims = this.claims;
    const found = await Promise.all(meetings.map((meeting) => claims.begunInMeeting(meeting, since)));
    return found.flat().some((claim) => {
      const other = claim.key !== own ? reportOf(claim)?.facts : undefined;
      return other !== undefined && sameGuest(other, report.facts);
    });
  }

  /** One scan of the lobbies at a time: a burst of removals answered 404 shares it. */
  private scan: Promise<LobbiesNow | undefined> | undefined;

  private lobbies(): Promise<LobbiesNow | undefined> {
    this.scan ??= (this.lobbiesNow?.() ?? Promise.resolve(undefined)).finally(() => {
      this.scan = undefined;
    });
    return this.scan;
  }
}

function sameGuest(a: SenderFacts, b: SenderFacts): boolean {
  if (b.uri) return a.uri?.toLowerCase() === b.uri.toLowerCase();
  return a.name === b.name && a.anonymous === b.anonymous;
}
