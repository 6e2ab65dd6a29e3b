// A bounded queue where the latest frame wins: pushing onto a full queue drops the oldest waiting
// frame and says so, so a device that falls behind answers recent frames instead of queueing old ones.

export class LatestFrameQueue<T> {
  private items: T[] = [];
  readonly capacity: number;
  constructor(capacity: number) {
    this.capacity = capacity;
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be an integer ≥ 1');
  }

  get size(): number {
    return this.items.length;
  }

  /** Adds `item`; returns the frame dropped to make room, if one was. */
  push(item: T): T | undefined {
    this.items.push(item);
    return this.items.length > this.capacity ? this.items.shift() : undefined;
  }

  /** The oldest waiting frame (the only one, at capacity 1). */
  shift(): T | undefined {
    return this.items.shift();
  }

  /** Empties the queue and returns what was waiting. */
  clear(): T[] {
    const all = this.items;
    this.items = [];
    return all;
  }
}
