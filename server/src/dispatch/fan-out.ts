/**
 * Which parts of a fan-out batch can be committed now (docs/architecture.md, "Fairness").
 *
 * Each outbox record is planned per webhook (condition, render) and the plans finish at
 * different times: one webhook's slow template must not hold back the deliveries the other
 * webhooks' plans already produced. A (record, webhook) part is ready when its plan is done
 * AND every earlier record of the same document in the batch is ready for that webhook too,
 * so each webhook still gets a document's deliveries in capture order. The rest stays in the
 * outbox record for a later batch.
 */

export interface BatchRecord {
  id: number;
  /** Content type and document id: the unit of ordering. */
  document: string;
  /** The webhooks this record is still to be planned for. */
  webhookIds: number[];
}

export interface RecordSplit {
  /** Webhooks whose deliveries of this record can be written now. */
  ready: number[];
  /** Webhooks left in the outbox record. */
  remaining: number[];
}

/**
 * Splits a batch (records in any order; capture order is their id) into ready and remaining
 * parts. `done(recordId, webhookId)` says whether that part's plan has finished.
 */
export function splitReady(
  records: BatchRecord[],
  done: (recordId: number, webhookId: number) => boolean
): Map<number, RecordSplit> {
  const blocked = new Set<string>();
  const out = new Map<number, RecordSplit>();
  for (const record of [...records].sort((a, b) => a.id - b.id)) {
    const split: RecordSplit = { ready: [], remaining: [] };
    for (const webhookId of record.webhookIds) {
      const key = `${webhookId}\u0000${record.document}`;
      if (!blocked.has(key) && done(record.id, webhookId)) split.ready.push(webhookId);
      else {
        // Later records of this document wait for this one, for this webhook only.
        blocked.add(key);
        split.remaining.push(webhookId);
      }
    }
    out.set(record.id, split);
  }
  return out;
}
