/** Every image `duplicate` times; shuffled with a fixed seed when duplicated, as the dual-CNN paper does. */
export function requestOrder(count: number, duplicate: number): number[] {
  const order = Array.from({ length: count * duplicate }, (_, k) => k % count);
  if (duplicate === 1) return order;
  let seed = 0x9e3779b9;
  for (let i = order.length - 1; i > 0; i--) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    const j = seed % (i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}
