import { readFile, stat } from 'node:fs/promises'
import { extname, resolve } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { UsageError, reasonOf } from './errors'

type JsonObject = Record<string, unknown>

// One operation of the contract, with what is needed to find it in an app.
export interface SpecOperation {
  method: string
  // The path as written in the spec: `/pets/{petId}`.
  template: string
  // The base paths the operation is served under (from `servers`, or `basePath` in 2.0),
  // each without a trailing slash: '' for the root.
  bases: string[]
  // A sample value for each path parameter, from its schema or example.
  samples: Record<string, string>
  // The operation object, for its `x-` extensions.
  operation: JsonObject
}

export interface Spec {
  file: string
  version: string
  title: string
  operations: SpecOperation[]
}

const operationMethods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']

function isObject (value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function parseText (text: string, name: string): unknown {
  try {
    return name.toLowerCase().endsWith('.json') ? JSON.parse(text) : parseYaml(text)
  } catch (error) {
    throw new UsageError(`${name} is not ${name.toLowerCase().endsWith('.json') ? 'JSON' : 'YAML'}: ${reasonOf(error)}`)
  }
}

function versionOf (document: unknown, name: string): string {
  if (!isObject(document)) throw new UsageError(`${name} is not an OpenAPI document: it holds no object`)
  const version = document.openapi ?? document.swagger
  if (version === undefined) throw new UsageError(`${name} is not an OpenAPI document: it has no "openapi" field`)
  if (typeof version !== 'string' || !/^(3\.0|3\.1|2\.0)(\.|$)/.test(version)) {
    throw new UsageError(`${name}: OpenAPI ${String(version)} is not supported; use OpenAPI 3.0 or 3.1 (or Swagger 2.0)`)
  }
  return version
}

// The path of a server URL, its variables replaced by their defaults.
export function basePathOf (server: unknown): string {
  if (!isObject(server) || typeof server.url !== 'string') return ''
  const variables = isObject(server.variables) ? server.variables : {}
  const url = server.url.replace(/\{([^{}]+)\}/g, (_, name: string) => {
    const variable = variables[name]
    return isObject(variable) && variable.default !== undefined ? String(variable.default) : ''
  })
  let path: string
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) || url.startsWith('//')) {
    try {
      path = new URL(url, 'http://localhost').pathname
    } catch {
      return ''
    }
  } else {
    // A relative server URL is relative to where the document is served: a path.
    path = '/' + url.replace(/^\.?\/*/, '').replace(/[?#].*$/, '')
  }
  return path.replace(/\/+$/, '')
}

function basesOf (servers: unknown): string[] | undefined {
  if (!Array.isArray(servers) || servers.length === 0) return undefined
  return [...new Set(servers.map(basePathOf))]
}

function sampleOf (parameter: JsonObject): string {
  const schema = isObject(parameter.schema) ? parameter.schema : parameter
  const examples = isObject(parameter.examples) ? Object.values(parameter.examples) : []
  const candidates = [
    parameter.example,
    isObject(examples[0]) ? examples[0].value : undefined,
    schema.example,
    Array.isArray(schema.examples) ? schema.examples[0] : undefined,
    Array.isArray(schema.enum) ? schema.enum[0] : undefined,
    schema.default
  ]
  const found = candidates.find((value) => ['string', 'number', 'boolean'].includes(typeof value))
  if (found !== undefined) return String(found)
  if (schema.format === 'uuid') return '00000000-0000-4000-8000-000000000000'
  return '1'
}

function samplesOf (pathItem: JsonObject, operation: JsonObject): Record<string, string> {
  const samples: Record<string, string> = {}
  for (const list of [pathItem.parameters, operation.parameters]) {
    if (!Array.isArray(list)) continue
    for (const parameter of list) {
      if (isObject(parameter) && parameter.in === 'path' && typeof parameter.name === 'string') {
        samples[parameter.name] = sampleOf(parameter)
      }
    }
  }
  return samples
}

function operationsOf (document: JsonObject): SpecOperation[] {
  const rootBases = document.swagger !== undefined
    ? [basePathOf({ url: typeof document.basePath === 'string' ? document.basePath : '/' })]
    : basesOf(document.servers) ?? ['']
  const operations: SpecOperation[] = []
  const paths = isObject(document.paths) ? document.paths : {}
  for (const [template, pathItem] of Object.entries(paths) as Array<[string, JsonObject]>) {
    for (const method of operationMethods) {
      const operation = pathItem[method]
      if (!isObject(operation)) continue
      operations.push({
        method: method.toUpperCase(),
        template,
        bases: basesOf(operation.servers) ?? basesOf(pathItem.servers) ?? rootBases,
        samples: samplesOf(pathItem, operation),
        operation
      })
    }
  }
  return operations
}

// Where the parser may read the spec itself, by its path: a regular file named .json, .yaml
// or .yml, or with no extension at all (the parser then tries JSON, then YAML). Its relative
// `$ref`s to other files resolve from the file's folder. Anything else (a pipe such as
// /dev/stdin, which cannot be read twice; another extension, such as .txt, which the parser
// would take as plain text) is parsed here, once, and handed over as a document: its
// relative `$ref`s resolve from the current folder.
const parsedByName = /^(|\.json|\.ya?ml)$/i

async function readsByPath (file: string): Promise<boolean> {
  return parsedByName.test(extname(file)) && (await stat(file)).isFile()
}

// Reads an OpenAPI 3.0 or 3.1 document (JSON or YAML), resolves its `$ref`s and checks it
// against its schema with @readme/openapi-parser. Any problem is a UsageError.
export async function readSpec (specifier: string, cwd: string): Promise<Spec> {
  const file = resolve(cwd, specifier)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new UsageError(`cannot read the spec ${specifier}: ${code === 'ENOENT' ? 'no such file' : reasonOf(error)}`)
  }

  const parser = await import('@readme/openapi-parser')
  const byPath = await readsByPath(file)
  const source = byPath ? file : parseText(text, specifier)
  let document: JsonObject
  try {
    document = await parser.dereference(source as never, { dereference: { circular: 'ignore' }, resolve: { file: true } }) as unknown as JsonObject
  } catch (error) {
    // Said the way a person fixes it: a syntax error with its line, or what is not OpenAPI.
    const version = versionOf(byPath ? parseText(text, specifier) : source, specifier)
    throw new UsageError(`${specifier} is not a valid OpenAPI ${version} document: ${reasonOf(error)}`)
  }
  const version = versionOf(document, specifier)
  // The resolved document, so the file is parsed once; validate() may change what it gets.
  const result = await parser.validate(structuredClone(document) as never)
  if (!result.valid) {
    const more = result.errors.length > 1 ? ` (and ${result.errors.length - 1} more)` : ''
    throw new UsageError(`${specifier} is not a valid OpenAPI ${version} document: ${reasonOf(result.errors[0].message)}${more}`)
  }
  return {
    file: specifier,
    version,
    title: (document.info as { title: string }).title,
    operations: operationsOf(document)
  }
}
