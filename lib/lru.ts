// A least-recently-used map bounded to `max` entries. A Map iterates in insertion order,
// so re-inserting a key on each read keeps the least recently used one first, and the
// oldest is dropped in O(1) when the map grows past `max`: a flood of new keys costs a
// constant amount of memory, whatever their number.
export class LeastRecentlyUsed<Value> {
  readonly #entries = new Map<string, Value>()
  readonly #max: number

  constructor (max: number) {
    this.#max = max
  }

  get size (): number {
    return this.#entries.size
  }

  // The value, now the most recently used.
  get (key: string): Value | undefined {
    const value = this.#entries.get(key)
    if (value !== undefined) {
      this.#entries.delete(key)
      this.#entries.set(key, value)
    }
    return value
  }

  // The value, its place in the order untouched.
  peek (key: string): Value | undefined {
    return this.#entries.get(key)
  }

  set (key: string, value: Value): void {
    this.#entries.delete(key)
    this.#entries.set(key, value)
    if (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value as string)
  }

  delete (key: string): void {
    this.#entries.delete(key)
  }

  clear (): void {
    this.#entries.clear()
  }
}
