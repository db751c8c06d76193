import type { SenderFacts } from '../policy/facts.js';
import { UcwaError } from '../ucwa/errors.js';
import type { Participant } from '../ucwa/schemas.js';
import type { ClaimReport } from './conclude.js';
import type { GatekeeperUcwa } from './ports.js';
import type { WhereNow } from './removal-outcomes.js';
import { senderFacts } from './sender-facts.js';

/** What the server shows now about a participant a claim names: the only view a removal may act on. */
export class CurrentView {
  constructor(
    private readonly ucwa: GatekeeperUcwa,
    private readonly waiting?: () => Promise<Participant[] | undefined>,
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

  /** Whether the guest a report names waits in a lobby of the current application, by address or name. */
  async whereNow(report: ClaimReport): Promise<WhereNow> {
    if (!this.waiting) return 'absent';
    const waiting = await this.waiting();
    if (!waiting) return 'unknown';
    return waiting.some((participant) => sameGuest(senderFacts(participant), report.facts))
      ? 'waiting'
      : 'absent';
  }
}

function sameGuest(a: SenderFacts, b: SenderFacts): boolean {
  if (b.uri) return a.uri?.toLowerCase() === b.uri.toLowerCase();
  return a.name === b.name && a.anonymous === b.anonymous;
}
