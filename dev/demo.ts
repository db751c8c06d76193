/**
 * The embedded demo of `npm start`: three guarded accounts — two on one simulated server, one on another —
 * each playing its own scenario, signing in with MSAL against the local identity provider, and posting to
 * the local chat sink under a webhook path of its own. Every notice names its account, and so does the console.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { accountRuntimes } from '../shared/app/account-runtimes.js';
import { accountSetting } from '../shared/app/accounts.js';
import { newWebhookSecret } from '../shared/chat/signature.js';
import { type ChatSinkServer, startChatSink } from './chat-sink/index.js';
import { startIdentityProvider, type TestCa } from './idp/index.js';
import { type SimUser, startUcwaSimulator, type UcwaSimulator } from './ucwa-sim/index.js';

const DEMO_TENANT = '00000000-0000-4000-8000-00000000a11c';
const DEMO_CLIENT_ID = '11111111-1111-4111-8111-111111111111';
const scenarioFile = (name: string) => new URL(`./ucwa-sim/scenarios/${name}`, import.meta.url);

/** Who is guarded, where, and what each one's server plays. */
const ACCOUNTS = [
  {
    id: 'gatekeeper',
    uri: 'sip:gatekeeper@contoso.com',
    name: 'Gatekeeper',
    server: 'contoso',
    scenario: 'demo.json',
  },
  {
    id: 'townhall',
    uri: 'sip:townhall@contoso.com',
    name: 'Town Hall',
    server: 'contoso',
    scenario: 'demo-townhall.json',
  },
  {
    id: 'exec',
    uri: 'sip:exec@fabrikam.com',
    name: 'Executive Office',
    server: 'fabrikam',
    scenario: 'demo-exec.json',
  },
] as const;

export interface DemoAccount {
  id: string;
  sim: UcwaSimulator;
  user: SimUser;
  scenario: unknown;
}

export interface Demo {
  chat: ChatSinkServer;
  accounts: DemoAccount[];
  /** Everything started, to stop in reverse order. */
  cleanups: (() => Promise<unknown>)[];
}

/** Starts the identity provider, the two servers and the chat sink, and sets the accounts' settings. */
export async function startDemo(ca: TestCa, stateDir: string): Promise<Demo> {
  const cleanups: Demo['cleanups'] = [];
  const users = ACCOUNTS.map((account) => ({
    ...account,
    username: account.uri.replace(/^sip:/, ''),
    password: `demo-${randomUUID()}`,
  }));
  const idp = await startIdentityProvider({
    ca,
    tenant: DEMO_TENANT,
    users: users.map(({ username, password }) => ({ username, password })),
    clients: [{ clientId: DEMO_CLIENT_ID }],
  });
  cleanups.push(() => idp.close());
  const sims = new Map<string, UcwaSimulator>();
  for (const server of new Set(users.map((user) => user.server))) {
    const [first, ...more] = users.filter((user) => user.server === server);
    if (!first) continue;
    const sim = await startUcwaSimulator({
      account: { uri: first.uri, name: first.name },
      moreAccounts: more.map(({ uri, name }) => ({ uri, name })),
      tokens: { acceptJwt: [{ issuer: idp.issuer, jwksUri: idp.jwksUri }] },
    });
    cleanups.push(() => sim.close());
    sims.set(server, sim);
  }
  const secret = newWebhookSecret();
  const chat = await startChatSink({ secret, jsonlPath: join(stateDir, 'chat-sink.jsonl') });
  cleanups.push(() => chat.close());

  const accounts: DemoAccount[] = [];
  const env: Record<string, string> = {
    GATEKEEPER_ACCOUNTS: users.map((user) => user.id).join(','),
    AUTH_MODE: 'password',
    AZURE_TENANT_ID: DEMO_TENANT,
    AZURE_CLIENT_ID: DEMO_CLIENT_ID,
    AZURE_AUTHORITY_HOST: idp.authorityHost,
    INBOUND_AUDIENCE: 'api://ucwa-gatekeeper-demo',
    GATEKEEPER_MODE: process.env.GATEKEEPER_MODE ?? 'enforce',
    CHAT_TEAMS_WEBHOOK_URL: chat.teamsUrl,
    CHAT_SLACK_WEBHOOK_URL: chat.slackUrl,
    CHAT_WEBHOOK_SECRET: secret,
  };
  for (const user of users) {
    const sim = sims.get(user.server);
    if (!sim) continue;
    const scenario = JSON.parse(readFileSync(scenarioFile(user.scenario), 'utf8')) as {
      meetings?: { onlineMeetingUri: string }[];
    };
    const own = (name: string, value: string) => {
      env[accountSetting(user.id, name)] = value;
    };
    own('UCWA_DISCOVERY_URL', sim.discoveryUrl);
    own('UCWA_USERNAME', user.username);
    own('UCWA_PASSWORD', user.password);
    own('WATCHED_MEETINGS', (scenario.meetings ?? []).map((m) => m.onlineMeetingUri).join(','));
    // Chat destinations of its own too (the notices name their account either way).
    own('CHAT_WEBHOOK_URL', `${chat.webhookUrl}/${user.id}`);
    accounts.push({ id: user.id, sim, user: sim.user(user.username), scenario });
  }
  Object.assign(process.env, env);
  return { chat, accounts, cleanups };
}

/** Every account's scenario at once; the errors they report. */
export async function playScenarios(demo: Demo): Promise<string[]> {
  const results = await Promise.all(
    demo.accounts.map((account) => account.user.scenario.run(account.scenario)),
  );
  return results.flatMap((result, index) =>
    result.errors.map((error) => `${demo.accounts[index]?.id}: ${error}`),
  );
}

/**
 * The demo is over once every account has handled every event its server sent — the watch polls again only
 * after a batch is handled and its notices are queued, so a P-GET after the last batch that carried events
 * says so — and every queued notice reached every chat sink. Not "after a quiet spell", which a slow machine
 * could reach with the last removal still on its way.
 */
export async function demoProgress(demo: Demo): Promise<{ handled: boolean; pending: number }> {
  const runtimes = accountRuntimes();
  let handled = true;
  let pending = 0;
  for (const account of demo.accounts) {
    const username = account.user.credentials.username.toLowerCase();
    const polls = account.sim.requests.filter((r) => {
      const id = /\/applications\/(\d+)\/events\?/.exec(r.path)?.[1];
      return (
        !r.batchPart && r.method === 'GET' && id !== undefined && account.sim.applicationUser(id) === username
      );
    });
    const lastWithEvents = polls.findLastIndex((r) => (r.events?.length ?? 0) > 0);
    handled &&=
      account.user.scenario.pendingEvents().length === 0 &&
      lastWithEvents >= 0 &&
      lastWithEvents < polls.length - 1;
    const listed = runtimes.accounts().accounts.find((candidate) => candidate.id === account.id);
    // Without sinks a drain delivers nothing; it only counts the notices still pending.
    if (listed) pending += (await (await runtimes.runtimeOf(listed)).outbox.drain({ sinks: [] })).pending;
  }
  return { handled, pending };
}
