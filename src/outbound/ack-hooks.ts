import type { InboundHooks } from '../inbound/apply-decision.js';
import { queueAcknowledgement, queueAcknowledgements, type OutboundDeps } from './outbox.js';

/**
 * The inbound hooks that acknowledge every case opened by email (workers/worker.ts): the acknowledgement is
 * written to the outbox in the inbound transaction, so it commits with the case and never without it. Both
 * forms: one case (the single-message path) and the new cases of a batch (process-batch.ts).
 */
export function acknowledgementHooks(deps: OutboundDeps | (() => OutboundDeps)): InboundHooks {
  // A function when the deps exist only after the worker starts (the config of a test app, say).
  const get = typeof deps === 'function' ? deps : () => deps;
  return {
    onNewCaseFromEmail: async (trx, ctx) => void (await queueAcknowledgement(trx, get(), ctx)),
    onNewCasesFromEmail: async (trx, ctxs) => void (await queueAcknowledgements(trx, get(), ctxs)),
  };
}
