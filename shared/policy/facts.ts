/** Facts about a sender or lobby participant, as UCWA reported them (every property optional). */
export interface SenderFacts {
  name?: string;
  uri?: string;
  /** The domain of `uri` (`sip:alice@contoso.com` → `contoso.com`). */
  domain?: string;
  anonymous?: boolean;
  inLobby?: boolean;
  local?: boolean;
  organizer?: boolean;
  role?: string;
  sourceNetwork?: string;
  workPhoneNumber?: string;
  otherPhoneNumber?: string;
  /** Capability links the participant resource offered (`eject`, `reject`, `admit`, …). */
  links?: string[];
}
