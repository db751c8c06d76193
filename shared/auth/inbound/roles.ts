/** App roles the gatekeeper's HTTP functions require. Apart from the verifier, so naming one loads no jose. */
export const GatekeeperRole = {
  EventsSend: 'Gatekeeper.Events.Send',
  Inspect: 'Gatekeeper.Inspect',
} as const;
