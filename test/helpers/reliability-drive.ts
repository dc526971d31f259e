import type { Dispatcher } from 'undici'
import {
  callers,
  gatedUrls,
  judge,
  newTally,
  seeded,
  type Caller,
  type GatedUrl,
  type PlanSource,
  type Tally
} from './reliability-app'

// Drives interleaved callers on different plans against the gated URLs through a cache,
// and judges every response against what its caller is entitled to.

export interface DriveOptions {
  dispatcher: Dispatcher
  origin: string
  source: PlanSource
  requests: number
  seed: number
  concurrency?: number
  // Adds an Authorization header the app ignores to this share of requests (0..1).
  strayAuthorization?: number
  // The header in which the cache says what it did (nginx: X-Cache-Status).
  cacheStatusHeader?: string
}

export interface DriveResult extends Tally {
  // Responses that came from the origin (distinct sequence numbers) and from the cache.
  fromOrigin: number
  fromCache: number
  // 501s served from the cache (to callers of the same plan, or the run fails).
  cached501: number
  // Where the cache's own word disagrees with the origin's sequence numbers.
  inconsistent: string[]
}

export async function drive (options: DriveOptions): Promise<DriveResult> {
  const random = seeded(options.seed)
  const people = callers(options.source, 5)
  const plan: Array<{ caller: Caller, gated: GatedUrl, headers: Record<string, string> }> = []
  for (let i = 0; i < options.requests; i++) {
    const caller = people[Math.floor(random() * people.length)]
    const gated = gatedUrls[Math.floor(random() * gatedUrls.length)]
    const headers = { ...caller.headers }
    if (random() < (options.strayAuthorization ?? 0)) headers.authorization = `Bearer stray-${i}`
    plan.push({ caller, gated, headers })
  }
  const tally = newTally()
  const bySequence = new Map<string, { status: number, cacheStatuses: string[] }>()
  let next = 0
  async function worker (): Promise<void> {
    while (next < plan.length) {
      const { caller, gated, headers } = plan[next++]
      const response = await options.dispatcher.request({ origin: options.origin, path: gated.url, method: 'GET', headers })
      const text = await response.body.text()
      const sequence = String(response.headers['x-origin-seq'])
      const header = options.cacheStatusHeader === undefined ? undefined : response.headers[options.cacheStatusHeader]
      const cacheStatus = typeof header === 'string' ? header : 'n/a'
      const group = bySequence.get(sequence) ?? { status: response.statusCode, cacheStatuses: [] }
      group.cacheStatuses.push(cacheStatus)
      bySequence.set(sequence, group)
      let body = {}
      try {
        body = JSON.parse(text)
      } catch {}
      judge(tally, caller, gated, { status: response.statusCode, body, cacheStatus }, options.source)
    }
  }
  await Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker))

  const result: DriveResult = { ...tally, fromOrigin: bySequence.size, fromCache: tally.requests - bySequence.size, cached501: 0, inconsistent: [] }
  for (const [sequence, group] of bySequence) {
    if (group.status === 501) result.cached501 += group.cacheStatuses.length - 1
    if (options.cacheStatusHeader === undefined) continue
    // One response per origin answer came from the origin; every other copy is a hit.
    const hits = group.cacheStatuses.filter((status) => status === 'HIT').length
    if (hits !== group.cacheStatuses.length - 1) result.inconsistent.push(`origin answer ${sequence}: ${group.cacheStatuses.join(', ')}`)
  }
  return result
}

// One line for the test output with every figure of a run.
export function summary (name: string, result: DriveResult): string {
  return `${name}: ${result.requests} requests, ${result.fromOrigin} from the origin, ${result.fromCache} from the cache ` +
    `(${result.cached501} of them 501s); cache statuses ${JSON.stringify(result.cache)}; outcomes ${JSON.stringify(result.byOutcome)}; ` +
    `entitled callers denied ${result.deniedEntitled.length}; unentitled callers served ${result.leakedToUnentitled.length}`
}
