import type { Config } from '../config.js';
import type { DbOrTrx } from '../db/database.js';
import { parseMessage } from '../mail/parse.js';
import { toParsedMessageJson } from '../mail/parsed-json.js';
import type { ParsedMessageJson, ThreadDecision } from '../mail/message.types.js';
import { DEFAULT_CASE_SETTINGS, type CaseSettings } from '../settings/case-settings.js';
import { getCaseSettings } from '../settings/settings.repository.js';
import { parseOptionsFor, parseRaw } from './process-message.js';
import { trustOptionsFor } from './trust-policy.js';
import { createThreadLookup } from './thread-lookup.js';
import { decideThread, lookupMessageIds } from './threading.js';

/**
 * `intake parse` and POST /api/inbound/parse: the normalised message plus the decision the worker
 * WOULD take, without storing anything (read-only lookups). Without a database (db null or unreachable)
 * the message is still shown, and the Reason says that threading could not be checked.
 */
export async function previewMessage(db: DbOrTrx | null, config: Config, raw: Buffer): Promise<ParsedMessageJson> {
  let settings: CaseSettings = DEFAULT_CASE_SETTINGS;
  let dbError: string | null = db ? null : 'no database';
  if (db) {
    try {
      settings = await getCaseSettings(db);
    } catch (err) {
      dbError = (err as Error).message || String(err);
    }
  }
  const parsed = await parseRaw(parseMessage, raw, parseOptionsFor(config, settings));
  let decision: ThreadDecision | null = null;
  if (db && !dbError) {
    try {
      decision = await decideThread(parsed, createThreadLookup(db, lookupMessageIds(parsed)), {
        statusClosed: settings.StatusClosed,
        trust: trustOptionsFor(config),
      });
    } catch (err) {
      dbError = (err as Error).message || String(err);
    }
  }
  if (dbError || !decision) {
    const normal = parsed.classification === 'normal';
    decision = {
      action: normal ? 'new-case' : 'ignore',
      caseId: null,
      caseNumber: null,
      reason: `database unreachable (${dbError ?? 'unknown error'}): threading not checked; ${normal ? 'a new case unless a known case matches' : `${parsed.classification} mail is never a new case`}`,
    };
  }
  return toParsedMessageJson(parsed, decision);
}
