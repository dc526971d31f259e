import { unescape } from 'node:querystring'

// The one place that decides what a root catch-all is: a route at `*` or `/*` (as
// @fastify/cors registers for OPTIONS) answers every path, so it makes no path one that
// "has routes" (the path keeps its 404), and the plugin's OPTIONS answer does not apply
// to it. Declared routes are told by their template, matches by what they captured.

export function isRootCatchAll (template: string): boolean {
  return template === '*' || template === '/*'
}

// The path the router matches for a target, as find-my-way reads it: an absolute-form
// target (`http://host/users`, RFC 9112 §3.2.2) by its path, `/` when it has none, and the
// asterisk form (`*`) as it is; a fragment is no part of it.
function routerPath (target: string): string {
  let path = target
  if (target.charCodeAt(0) !== 47) {
    const scheme = target.indexOf('://')
    if (scheme !== -1) {
      const slash = target.indexOf('/', scheme + 3)
      path = slash === -1 ? '/' : target.slice(slash)
    }
  }
  const fragment = path.indexOf('#')
  return fragment === -1 ? path : path.slice(0, fragment)
}

function withoutSlashes (path: string): string {
  return path.replaceAll('/', '')
}

// Whether a match is a root catch-all's: it captures the whole path in its one `*`
// parameter, where a narrower wildcard such as `/files/*` captures only part of it.
// Slashes are left out of the comparison because the router may have merged duplicate
// slashes or dropped a trailing one (router options) before capturing; and with the
// router's `useSemicolonDelimiter` the path ends at the first `;`, which is why the
// capture may also equal the path up to there.
export function isWholePathCapture (params: unknown, target: string): boolean {
  const keys = Object.keys(params as object)
  if (keys.length !== 1 || keys[0] !== '*') return false
  const capture = withoutSlashes((params as Record<string, string>)['*'])
  const path = unescape(routerPath(target))
  if (capture === withoutSlashes(path)) return true
  const semicolon = path.indexOf(';')
  return semicolon !== -1 && capture === withoutSlashes(path.slice(0, semicolon))
}
