// A map bounded to `max` entries that drops the least recently used first. A Map iterates in
// insertion order, so re-inserting a key when it is read keeps the least recently used one
// first, and the oldest is dropped in O(1) when the map grows past `max`: a flood of new keys
// costs a constant amount of memory, whatever their number.
//
// The key read or written last is already the newest: reading it again moves nothing, which
// spares two map operations on every request of a tenant that sends several in a row.
export class LeastRecentlyUsed<Value> {
  readonly #entries = new Map<string, Value>()
  readonly #max: number
  #newest: string | undefined

  constructor (max: number) {
    this.#max = max
  }

  get size (): number {
    return this.#entries.size
  }

  // The value, now the most recently used.
  get (key: string): Value | undefined {
    const value = this.#entries.get(key)
    if (value !== undefined && key !== this.#newest) {
      this.#entries.delete(key)
      this.#entries.set(key, value)
      this.#newest = key
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
    this.#newest = key
    if (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value as string)
  }

  delete (key: string): void {
    this.#entries.delete(key)
    if (key === this.#newest) this.#newest = undefined
  }

  clear (): void {
    this.#entries.clear()
    this.#newest = undefined
  }
}
