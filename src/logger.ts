import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs (pino). Secrets never reach a log line: passwords, keys and
 * authorization headers are redacted wherever they appear in a logged object.
 */
export const REDACT_PATHS = [
  'pass',
  'password',
  '*.pass',
  '*.password',
  'req.headers.authorization',
  'headers.authorization',
  'apiKey',
  '*.apiKey',
  'key',
  'secret',
  '*.secret',
  'token',
  '*.token',
  'metricsToken',
  '*.metricsToken',
  'messageIdSecret',
  '*.messageIdSecret',
  'messageIdOldSecrets',
  '*.messageIdOldSecrets',
  // Mailbox auth (src/mailboxes): never logged on purpose, redacted should one be logged by mistake.
  'clientSecret',
  '*.clientSecret',
  'refreshToken',
  '*.refreshToken',
  'privateKey',
  '*.privateKey',
  'accessToken',
  '*.accessToken',
  'auth.*',
  '*.auth.*',
  'secretsKeys',
  '*.secretsKeys',
];

export function createLogger(level = 'info', name = 'intake'): Logger {
  return pino({ name, level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } });
}

/** Removes the password from a connection URL before it is logged or shown. */
export function redactUrl(raw: string): string {
  try {
    const u = new URL(raw);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<invalid url>';
  }
}
