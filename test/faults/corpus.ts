/**
 * A mailbox backlog with a known thread structure, for the fault suite: conversations (a customer's first mail, then
 * replies by In-Reply-To/References, some with an out-of-office auto-reply in the thread) and automatic mail that
 * belongs to no thread. Every message carries real Message-ID / In-Reply-To / References headers, so the expected
 * cases, notes and acknowledgements follow from the corpus alone.
 */

export type MailKind = 'root' | 'reply' | 'auto-reply' | 'automatic';

export interface CorpusMail {
  messageId: string;
  kind: MailKind;
  /** Index of its conversation; null for automatic mail without a thread. */
  conversation: number | null;
  raw: string;
}

export interface Corpus {
  /** In mailbox order (the order they are appended). */
  mails: CorpusMail[];
  conversations: number;
  /** Messages per conversation (its case's notes). */
  perConversation: number[];
  /** Automatic mails without a thread (ignored, no case). */
  automatic: number;
}

const DATE = 'Wed, 02 Dec 2026 10:00:00 +0000';

function message(headers: Record<string, string>, body: string): string {
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}`);
  return [...lines, 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', body, ''].join('\r\n');
}

/**
 * `conversations` threads: conversation i has i % 3 customer replies (each answering the one before, References
 * the whole chain) and, every fourth one, an auto-reply in the thread; plus one automatic mail per five
 * conversations. Mail is ordered as it would arrive: a reply a few conversations after the mail it answers, so a
 * backlog processed in parallel meets replies before their parents.
 */
export function buildCorpus(tag: string, conversations: number): Corpus {
  const timed: { at: number; mail: CorpusMail }[] = [];
  const perConversation: number[] = [];
  const id = (i: number, part: string) => `${tag}-c${i}-${part}@customer${i}.example`;
  for (let i = 0; i < conversations; i++) {
    const customer = `Customer ${i} <customer${i}@customer${i}.example>`;
    const subject = `Order question ${i}`;
    const chain = [id(i, 'm0')];
    timed.push({
      at: i * 10,
      mail: {
        messageId: chain[0]!,
        kind: 'root',
        conversation: i,
        raw: message(
          { From: customer, To: 'support@example.com', Subject: subject, Date: DATE, 'Message-ID': `<${chain[0]}>` },
          `Hello, I have a question about order ${i}.`,
        ),
      },
    });
    let count = 1;
    if (i % 4 === 0) {
      const autoId = id(i, 'auto');
      timed.push({
        at: i * 10 + 3,
        mail: {
          messageId: autoId,
          kind: 'auto-reply',
          conversation: i,
          raw: message(
            {
              From: customer,
              To: 'support@example.com',
              Subject: `Out of office: ${subject}`,
              Date: DATE,
              'Message-ID': `<${autoId}>`,
              'In-Reply-To': `<${chain[0]}>`,
              References: `<${chain[0]}>`,
              'Auto-Submitted': 'auto-replied',
            },
            'I am out of the office until Monday.',
          ),
        },
      });
      count++;
    }
    for (let j = 1; j <= i % 3; j++) {
      const replyId = id(i, `m${j}`);
      timed.push({
        at: i * 10 + 25 * j + 5,
        mail: {
          messageId: replyId,
          kind: 'reply',
          conversation: i,
          raw: message(
            {
              From: customer,
              To: 'support@example.com',
              Subject: `Re: ${subject}`,
              Date: DATE,
              'Message-ID': `<${replyId}>`,
              'In-Reply-To': `<${chain[chain.length - 1]}>`,
              References: chain.map((c) => `<${c}>`).join(' '),
            },
            `More about order ${i}, part ${j}.`,
          ),
        },
      });
      chain.push(replyId);
      count++;
    }
    perConversation.push(count);
  }
  let automatic = 0;
  for (let k = 0; k * 5 < conversations; k++, automatic++) {
    const autoId = `${tag}-n${k}@shop.example`;
    timed.push({
      at: k * 50 + 7,
      mail: {
        messageId: autoId,
        kind: 'automatic',
        conversation: null,
        raw: message(
          {
            From: 'Shop <noreply@shop.example>',
            To: 'support@example.com',
            Subject: `Your weekly report ${k}`,
            Date: DATE,
            'Message-ID': `<${autoId}>`,
            'Auto-Submitted': 'auto-generated',
            Precedence: 'bulk',
          },
          'Figures of the week.',
        ),
      },
    });
  }
  timed.sort((a, b) => a.at - b.at);
  return { mails: timed.map((t) => t.mail), conversations, perConversation, automatic };
}
