import type { DbOrTrx } from '../db/database.js';
import {
  queueAcknowledgement,
  queueAcknowledgements,
  type OutboundDeps,
  type QueueAcknowledgementInput,
} from './outbox.js';

/**
 * The two inbound hooks (InboundHooks, src/inbound/apply-decision.ts) that acknowledge a new case, typed by what
 * they read: the inbound hook context has these fields and more, so the wiring (workers/worker.ts) checks the fit,
 * and outbound does not depend on inbound.
 */
export interface AcknowledgementHooks {
  onNewCaseFromEmail: (trx: DbOrTrx, ctx: QueueAcknowledgementInput) => Promise<void>;
  onNewCasesFromEmail: (trx: DbOrTrx, ctxs: readonly QueueAcknowledgementInput[]) => Promise<void>;
}

/**
 * The inbound hooks that acknowledge every case opened by email (workers/worker.ts): the acknowledgement is
 * written to the outbox in the inbound transaction, so it commits with the case and never without it. Both
 * forms: one case (the single-message path) and the new cases of a batch (process-batch.ts).
 */
export function acknowledgementHooks(deps: OutboundDeps | (() => OutboundDeps)): AcknowledgementHooks {
  // A function when the deps exist only after the worker starts (the config of a test app, say).
  const get = typeof deps === 'function' ? deps : () => deps;
  return {
    onNewCaseFromEmail: async (trx, ctx) => void (await queueAcknowledgement(trx, get(), ctx)),
    onNewCasesFromEmail: async (trx, ctxs) => void (await queueAcknowledgements(trx, get(), ctxs)),
  };
}
