/**
 * The soak's world in the parent process: Azurite, storage fault proxies in front of its table and blob
 * endpoints, the UCWA simulator with test-sized P-GET timeouts, and the local chat sink. Everything listens
 * on 127.0.0.1 and is closed by `close()`, in reverse order, whatever failed.
 */
import { newWebhookSecret } from '../../shared/chat/signature.js';
import { type AzuriteInstance, startAzurite } from '../azurite.js';
import { type ChatSinkServer, startChatSink } from '../chat-sink/index.js';
import { type FaultProxy, proxiedConnectionString, startFaultProxy } from '../fault-proxy/index.js';
import { startUcwaSimulator, type UcwaSimulator } from '../ucwa-sim/index.js';

export interface Infra {
  azurite: AzuriteInstance;
  tableProxy: FaultProxy;
  blobProxy: FaultProxy;
  /** The connection string the worker gets: table and blob through the proxies. */
  proxiedStorage: string;
  sim: UcwaSimulator;
  chat: ChatSinkServer;
  webhookSecret: string;
  close(): Promise<void>;
}

/** Lowest P-GET timeout the simulator accepts; the worker asks for a few seconds (see worker.ts). */
const SIM_MIN_TIMEOUT_SEC = 1;

export async function startInfra(meetings: readonly string[]): Promise<Infra> {
  const closers: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const closer of closers.splice(0).reverse()) await closer().catch(() => undefined);
  };
  try {
    const azurite = await startAzurite();
    closers.push(() => azurite.stop());
    const tableProxy = await startFaultProxy({ target: azurite.tableEndpoint, host: '127.0.0.1' });
    closers.push(() => tableProxy.close());
    const blobProxy = await startFaultProxy({ target: azurite.blobEndpoint, host: '127.0.0.1' });
    closers.push(() => blobProxy.close());
    const sim = await startUcwaSimulator({
      host: '127.0.0.1',
      eventChannel: { minTimeoutSec: SIM_MIN_TIMEOUT_SEC },
    });
    closers.push(() => sim.close());
    for (const [index, uri] of meetings.entries()) {
      sim.scenario.meeting({
        onlineMeetingUri: uri,
        subject: `Soak meeting ${index}`,
        organizer: { name: `Organizer ${index}`, uri: `sip:organizer${index}@contoso.com` },
        accountIsLeader: true,
      });
    }
    const webhookSecret = newWebhookSecret();
    const chat = await startChatSink({ host: '127.0.0.1', secret: webhookSecret });
    closers.push(() => chat.close());
    return {
      azurite,
      tableProxy,
      blobProxy,
      proxiedStorage: proxiedConnectionString(azurite.connectionString, {
        table: tableProxy.url,
        blob: blobProxy.url,
      }),
      sim,
      chat,
      webhookSecret,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
