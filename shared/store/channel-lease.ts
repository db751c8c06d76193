import type { BlobServiceClient } from '@azure/storage-blob';
import { statusOf } from '../lib/azure-status.js';

/**
 * Only one consumer may hold the UCWA event channel (a second P-GET replaces the first). The timer trigger
 * is a singleton already; this blob lease guards against overlapping runs and a second app on the same state.
 */
export class ChannelLease {
  private leaseId: string | undefined;
  private loaded: BlobServiceClient | undefined;

  constructor(
    /** The blob service, or how to get it on first use (the Blob SDK loads only then). */
    private readonly blobs: BlobServiceClient | (() => Promise<BlobServiceClient>),
    private readonly container = 'gatekeeper-locks',
    private readonly blob = 'event-channel',
    /** The shortest lease Blob Storage grants: a successor to a crashed holder waits at most this long. */
    private readonly durationSec = 15,
  ) {}

  /** True when this instance now holds the lease; false when someone else does. */
  async acquire(): Promise<boolean> {
    const container = (await this.service()).getContainerClient(this.container);
    await container.createIfNotExists();
    const blob = container.getBlockBlobClient(this.blob);
    try {
      await blob.upload('', 0, { conditions: { ifNoneMatch: '*' } });
    } catch (error) {
      const status = statusOf(error);
      // 409/412: the blob exists (or is leased); either way it is there to lease.
      if (status !== 409 && status !== 412) throw error;
    }
    try {
      const lease = await blob.getBlobLeaseClient().acquireLease(this.durationSec);
      this.leaseId = lease.leaseId;
      return true;
    } catch (error) {
      if (statusOf(error) === 409) return false;
      throw error;
    }
  }

  /** Extend the lease; false when it was lost (expired and taken by another consumer). */
  async renew(): Promise<boolean> {
    if (!this.leaseId) return false;
    const blob = (await this.service()).getContainerClient(this.container).getBlockBlobClient(this.blob);
    try {
      await blob.getBlobLeaseClient(this.leaseId).renewLease();
      return true;
    } catch (error) {
      const status = statusOf(error);
      if (status === 409 || status === 412) {
        this.leaseId = undefined;
        return false;
      }
      throw error;
    }
  }

  async release(): Promise<void> {
    if (!this.leaseId) return;
    const blob = (await this.service()).getContainerClient(this.container).getBlockBlobClient(this.blob);
    const leaseId = this.leaseId;
    this.leaseId = undefined;
    await blob
      .getBlobLeaseClient(leaseId)
      .releaseLease()
      .catch(() => undefined);
  }

  private async service(): Promise<BlobServiceClient> {
    this.loaded ??= typeof this.blobs === 'function' ? await this.blobs() : this.blobs;
    return this.loaded;
  }
}
