import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { AddressInfo } from 'node:net';

/** One message the receiver accepted: the SMTP envelope, the raw bytes and the parsed message. */
export interface ReceivedMail {
  mailFrom: string;
  rcptTo: string[];
  raw: Buffer;
  /** The raw header block (unparsed), for asserting on exactly what went over the wire. */
  headerBlock: string;
  parsed: ParsedMail;
}

/**
 * How the receiver answers: accept; refuse every message with a passing fault (4xx) or a permanent
 * one (5xx). `rejectRecipients` refuses single recipients with 550 at RCPT TO.
 */
export type ReceiverMode = 'accept' | 'tempfail' | 'permfail';

export interface SmtpReceiver {
  readonly port: number;
  /** smtp://127.0.0.1:<port> (no TLS, no auth) for SMTP_URL. */
  readonly url: string;
  readonly messages: ReceivedMail[];
  mode: ReceiverMode;
  readonly rejectRecipients: Set<string>;
  /** DATA commands answered (accepted or refused): shows that retries happened. */
  attempts: number;
  /** Stops listening: connections are refused like a server that is down. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  /** Waits until `count` messages have arrived (or throws after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

/** A real SMTP server (the `smtp-server` package) on 127.0.0.1 and a free port, collecting what it receives. */
export async function startSmtpReceiver(): Promise<SmtpReceiver> {
  let server: SMTPServer | null = null;
  let port = 0;

  const receiver: SmtpReceiver = {
    get port() {
      return port;
    },
    get url() {
      return `smtp://127.0.0.1:${port}`;
    },
    messages: [],
    mode: 'accept',
    rejectRecipients: new Set(),
    attempts: 0,
    async stop() {
      const s = server;
      server = null;
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    async start() {
      if (server) return;
      server = create();
      const s = server;
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(port, '127.0.0.1', () => {
          s.off('error', reject);
          resolve();
        });
      });
      port = (s.server.address() as AddressInfo).port;
    },
    async waitFor(count, timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      while (receiver.messages.length < count) {
        if (Date.now() > until)
          throw new Error(`SMTP receiver got ${receiver.messages.length} message(s), expected ${count}`);
        await new Promise((r) => setTimeout(r, 25));
      }
      return receiver.messages;
    },
    async close() {
      await receiver.stop();
    },
  };

  function create(): SMTPServer {
    const options: SMTPServerOptions = {
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      // No reverse DNS of 127.0.0.1: where no resolver answers, it holds every mail for seconds.
      disableReverseLookup: true,
      onRcptTo(address, _session, callback) {
        if (receiver.rejectRecipients.has(address.address.toLowerCase())) {
          const err = Object.assign(new Error('5.1.1 No such user here'), { responseCode: 550 });
          return callback(err);
        }
        callback();
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          receiver.attempts++;
          if (receiver.mode !== 'accept') {
            const code = receiver.mode === 'tempfail' ? 451 : 554;
            const err = Object.assign(new Error(code === 451 ? '4.3.0 Try again later' : '5.7.1 Message refused'), {
              responseCode: code,
            });
            return callback(err);
          }
          const raw = Buffer.concat(chunks);
          const end = raw.indexOf('\r\n\r\n');
          simpleParser(raw)
            .then((parsed) => {
              receiver.messages.push({
                mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
                rcptTo: session.envelope.rcptTo.map((r) => r.address),
                raw,
                headerBlock: raw.subarray(0, end === -1 ? raw.length : end).toString('utf8'),
                parsed,
              });
              callback();
            })
            .catch((err: Error) => callback(err));
        });
      },
    };
    const s = new SMTPServer(options);
    s.on('error', () => undefined);
    return s;
  }

  await receiver.start();
  return receiver;
}
