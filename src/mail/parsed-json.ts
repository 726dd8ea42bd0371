import type { MailAddress, ParsedMessage, ParsedMessageJson, ThreadDecision } from './message.types.js';

function address(a: MailAddress): { Name: string; Email: string } {
  return { Name: a.name, Email: a.email };
}

/** The JSON of `intake parse` and POST /api/inbound/parse. Field names are a contract for scripts. */
export function toParsedMessageJson(parsed: ParsedMessage, decision: ThreadDecision): ParsedMessageJson {
  return {
    MessageId: parsed.messageId,
    InReplyTo: parsed.inReplyTo,
    References: [...parsed.references],
    From: parsed.from ? address(parsed.from) : null,
    ReplyTo: parsed.replyTo.map(address),
    To: parsed.to.map(address),
    Cc: parsed.cc.map(address),
    Subject: parsed.subject,
    Date: parsed.date ? parsed.date.toISOString() : null,
    Text: parsed.text,
    Html: parsed.html,
    ReplyText: parsed.replyText,
    OrderRefs: [...parsed.orderRefs],
    CaseRefs: [...parsed.caseRefs],
    Classification: parsed.classification,
    Attachments: parsed.attachments.map((a) => ({
      FileName: a.fileName,
      ContentType: a.contentType,
      Size: a.size,
      ContentId: a.contentId,
      Inline: a.inline,
    })),
    Decision: { Action: decision.action, CaseNumber: decision.caseNumber, Reason: decision.reason },
  };
}
