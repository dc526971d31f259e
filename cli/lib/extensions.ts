// The OpenAPI extensions the plugin writes on an operation of @fastify/swagger's document,
// which the audit reads back from a spec. They are part of the document's format, not of
// the plugin's JavaScript API: test/extensions.test.ts checks them against what the plugin writes.
export const X_TIER = 'x-tier'
export const X_FEATURE = 'x-feature'
export const X_NOT_IMPLEMENTED = 'x-not-implemented'
// A deprecated operation's sunset (ISO 8601), and that an operation is retired (410).
// Beside them the plugin sets OpenAPI's own `deprecated: true`.
export const X_SUNSET = 'x-sunset'
export const X_GONE = 'x-gone'
