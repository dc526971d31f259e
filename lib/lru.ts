// A map bounded to `max` entries that drops the least recently used first. A Map iterates in
// insertion order, so re-inserting a key when it is read keeps the least recently used one
// first, and the oldest is dropped in O(1) when the map grows past `max`: a flood of new keys
// costs a constant amount of memory, whatever their number.
//
// A read re-inserts its key only once at least half of `max` keys were inserted after it:
// an entry among the newer half cannot be the next dropped, and moving it would cost two
// map operations on every read of a hot key. So an entry read is kept for at least `max / 2`
// insertions after the read (a strict LRU keeps it for `max`), and for `max` after a write.
interface Slot<Value> {
  value: Value
  // The insertion count when the key was last (re)inserted.
  inserted: number
}

export class LeastRecentlyUsed<Value> {
  readonly #entries = new Map<string, Slot<Value>>()
  readonly #max: number
  // Inserted keys this many insertions ago or more are re-inserted when read.
  readonly #moveAfter: number
  #insertions = 0

  constructor (max: number) {
    this.#max = max
    this.#moveAfter = Math.ceil(max / 2)
  }

  get size (): number {
    return this.#entries.size
  }

  // The value, now as recently used as the rule above keeps it.
  get (key: string): Value | undefined {
    const slot = this.#entries.get(key)
    if (slot === undefined) return undefined
    if (this.#insertions - slot.inserted >= this.#moveAfter) {
      this.#entries.delete(key)
      slot.inserted = ++this.#insertions
      this.#entries.set(key, slot)
    }
    return slot.value
  }

  // The value, its place in the order untouched.
  peek (key: string): Value | undefined {
    return this.#entries.get(key)?.value
  }

  set (key: string, value: Value): void {
    this.#entries.delete(key)
    this.#entries.set(key, { value, inserted: ++this.#insertions })
    if (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value as string)
  }

  delete (key: string): void {
    this.#entries.delete(key)
  }

  clear (): void {
    this.#entries.clear()
  }
}
