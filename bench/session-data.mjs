// Session data of a given size for the benchmarks (bench/server.mjs with BENCH_SESSION_KB,
// bench/session-size.mjs, bench/codec.mjs): what the small payload of run.mjs has (a user
// id, a name, a cart, a counter) plus realistic bulk — nested objects with arrays of
// strings and numbers, as a shop's recently viewed items or a wizard's saved steps are —
// until its JSON text reaches the size asked for. Deterministic: every process that asks
// for the same size gets the same data.

/** The data of a session whose JSON text is about `kb` KB (1 KB = 1024 bytes; 0: the small payload alone). */
export function sessionOfSize(kb) {
  const data = { userId: 4711, name: 'ada', cart: ['apple', 'bread', 'cheese', 'dates', 'eggs'], counter: 0 };
  const target = kb * 1024;
  if (target <= JSON.stringify(data).length) return data;
  data.profile = { email: 'ada@example.com', locale: 'en-GB', roles: ['customer', 'beta'], address: { street: '12 Analytical Way', city: 'London', zip: 'N1 9GU' } };
  data.viewed = [];
  let size = JSON.stringify(data).length;
  for (let i = 0; size < target; i++) {
    const item = {
      sku: `SKU-${String(100000 + i * 7919)}`,
      title: `Product number ${i} in the catalogue`,
      price: Math.round(((i * 37) % 10000) + 99) / 100,
      at: 1764547200000 + i * 60_000,
      tags: ['new', i % 2 ? 'sale' : 'regular', `category-${i % 13}`],
      scores: [i % 5, (i * 3) % 11, (i * 7) % 101],
      seller: { id: i % 97, name: `Seller ${i % 97}`, rating: (i % 50) / 10 },
    };
    data.viewed.push(item);
    size += JSON.stringify(item).length + 1;
  }
  return data;
}
