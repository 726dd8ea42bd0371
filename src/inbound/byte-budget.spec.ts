import { describe, expect, it } from 'vitest';
import { ByteBudget } from './byte-budget.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('ByteBudget', () => {
  it('lets holders in while their bytes fit and the rest wait in arrival order', async () => {
    const budget = new ByteBudget(100);
    const order: string[] = [];
    const a = await budget.acquire(60);
    const b = budget.acquire(50).then((release) => (order.push('b'), release));
    const c = budget.acquire(10).then((release) => (order.push('c'), release));
    await tick();
    // c would fit, but b came first: no overtaking, so a large message is not starved by small ones.
    expect(order).toEqual([]);
    a();
    (await b)();
    (await c)();
    expect(order).toEqual(['b', 'c']);
    expect(budget.free).toBe(100);
  });

  it('gives a message larger than the whole budget all of it, once nothing else is held', async () => {
    const budget = new ByteBudget(100);
    const small = await budget.acquire(30);
    let big = false;
    const pending = budget.acquire(500).then((release) => ((big = true), release));
    await tick();
    expect(big).toBe(false);
    small();
    const release = await pending;
    expect(budget.free).toBe(0);
    release();
    release(); // a second call gives nothing back twice
    expect(budget.free).toBe(100);
  });

  it('holds nothing for an unknown size instead of waiting forever', async () => {
    const budget = new ByteBudget(10);
    const release = await budget.acquire(Number.NaN);
    expect(budget.free).toBe(10);
    release();
  });
});
