import type { Core } from '@strapi/strapi';
import { LEASE_UID } from '../plugin';
import { affected, tableFor } from '../outbox/rows';

/**
 * A named, cluster-wide lease in the plugin's lease table (one row per job), so that a job
 * every instance schedules (the retention purge's cron) runs on one instance at a time. Taken
 * and renewed with a conditional UPDATE, as the queues' claims are (docs/architecture.md): the
 * database re-checks the condition, so of several instances at most one gets the row. A lease
 * is a deadline: an instance that dies holding it blocks the job only until it expires.
 */
export function createLease(strapi: Core.Strapi, name: string, owner: string) {
  const knex = () => (strapi.db as any).connection;
  const t = () => tableFor(strapi, LEASE_UID);
  const row = () => knex()(t().name).where(t().col('name'), name);
  const exists = async () => Boolean(await row().first('id'));

  return {
    /** Take the lease for `ms` if it is free, expired or already ours; true when held. */
    async acquire(ms: number): Promise<boolean> {
      const now = new Date();
      const until = new Date(now.getTime() + ms);
      const owned = t().col('leaseOwner');
      const deadline = t().col('leaseUntil');
      const taken = await row()
        .where((qb: any) =>
          qb.whereNull(deadline).orWhere(deadline, '<', now).orWhere(owned, owner)
        )
        .update({ [owned]: owner, [deadline]: until });
      if (affected(taken) === 1) return true;
      if (await exists()) return false;
      // First use: the row is created already held. Of instances racing here, the unique index
      // on the name lets one insert succeed; the others find the row and do not hold it.
      try {
        await knex()(t().name).insert(
          t().toRow({ name, leaseOwner: owner, leaseUntil: until, createdAt: now, updatedAt: now })
        );
        return true;
      } catch (err) {
        if (await exists()) return false;
        throw err;
      }
    },

    /** Extend a lease we hold; false when it is no longer ours (it expired and was taken). */
    async renew(ms: number): Promise<boolean> {
      const res = await row()
        .where(t().col('leaseOwner'), owner)
        .update({ [t().col('leaseUntil')]: new Date(Date.now() + ms) });
      return affected(res) === 1;
    },

    /** Give the lease up now (rather than when it expires). */
    async release(): Promise<void> {
      await row()
        .where(t().col('leaseOwner'), owner)
        .update({ [t().col('leaseOwner')]: null, [t().col('leaseUntil')]: null });
    },
  };
}
