import { describe, expect, it } from 'vitest';
import { LoginGate, loginGateFromConfig, Slots, startSpreadMs, MAX_START_SPREAD_MS } from './login-gate.js';

/** Lets queued promise callbacks run. */
const settle = () => new Promise((r) => setImmediate(r));

describe('Slots', () => {
  it('lets `limit` holders in at once and the next waiter in, in arrival order, when one gives its slot back', async () => {
    const slots = new Slots(2);
    const a = await slots.acquire();
    await slots.acquire();
    const order: string[] = [];
    void slots.acquire().then(() => order.push('third'));
    void slots.acquire().then(() => order.push('fourth'));
    await settle();
    expect(order).toEqual([]);
    expect(slots.waiting).toBe(2);
    a();
    a(); // a second release of the same slot frees nothing more
    await settle();
    expect(order).toEqual(['third']);
    expect(slots.held).toBe(2);
  });

  it('has no limit at 0', async () => {
    const slots = new Slots(0);
    await Promise.all(Array.from({ length: 100 }, () => slots.acquire()));
    expect(slots.held).toBe(100);
  });

  it('ends a wait when its signal aborts, without taking a slot', async () => {
    const slots = new Slots(1);
    const release = await slots.acquire();
    const abort = new AbortController();
    const waiting = slots.acquire(abort.signal);
    abort.abort(new Error('stopped'));
    await expect(waiting).rejects.toThrow('stopped');
    expect(slots.waiting).toBe(0);
    release();
    expect(slots.held).toBe(0);
    await expect(slots.acquire(abort.signal)).rejects.toThrow('stopped');
  });
});

describe('LoginGate', () => {
  it('caps logins in progress for the whole process, on IMAP_MAX_CONCURRENT_LOGINS', async () => {
    const gate = loginGateFromConfig({ imapMaxConcurrentLogins: 3, imapMaxConnectionsPerHost: 0 });
    const held = await Promise.all([gate.login(), gate.login(), gate.login()]);
    let fourth = false;
    void gate.login().then(() => (fourth = true));
    await settle();
    expect(fourth).toBe(false);
    held[0]!();
    await settle();
    expect(fourth).toBe(true);
  });

  it('caps connections per host, each host on its own, host names compared without case', async () => {
    const gate = new LoginGate({ maxConnectionsPerHost: 1 });
    await gate.connection('outlook.office365.com');
    let second = false;
    void gate.connection('Outlook.Office365.com').then(() => (second = true));
    const other = await gate.connection('imap.gmail.com');
    await settle();
    expect(second).toBe(false);
    expect(typeof other).toBe('function');
    expect(gate.host('OUTLOOK.office365.com').waiting).toBe(1);
  });

  it('by default: 10 logins at once, no cap per host', async () => {
    const gate = loginGateFromConfig({});
    expect(gate.logins.limit).toBe(10);
    await Promise.all(Array.from({ length: 50 }, () => gate.connection('imap.example.com')));
    expect(gate.host('imap.example.com').held).toBe(50);
  });
});

describe('startSpreadMs', () => {
  it('spreads first logins over 5 ms per mailbox, at most 5 s', () => {
    expect(startSpreadMs(1)).toBe(5);
    expect(startSpreadMs(100)).toBe(500);
    expect(startSpreadMs(1000)).toBe(MAX_START_SPREAD_MS);
  });
});
