import { test } from 'tap'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

// Every `js` block of the README and of docs/*.md runs as a user would paste it, against the
// built package (resolved by its own name, from the repository root), and must print what
// the documentation says, so the docs cannot drift from the code.
//
// What a block prints is said next to it, never by its place in a list: when the text right
// after the block ends with "prints:" (such as "It prints:") and the next block is a ```text
// block, that block is its output, line for line (trailing spaces aside). Any other js block
// must print nothing; the marker below may say so where a reader would wonder.

const root = join(__dirname, '..')
const run = promisify(execFile)
const printsNothing = '<!-- prints nothing -->'

interface Block {
  file: string
  // The line of the opening fence, 1-based, for messages.
  line: number
  lang: string
  body: string
  // The text between the end of this block and the start of the next one (or the end of
  // the file).
  after: string
}

// The fenced blocks of a Markdown file, in order; a block indented inside a list item has
// that indent taken off its lines.
function blocksOf (file: string): Block[] {
  const lines = readFileSync(join(root, file), 'utf8').split('\n')
  const blocks: Block[] = []
  let between: string[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^( *)```(\S*)\s*$/.exec(lines[i])
    if (open === null) {
      between.push(lines[i])
      continue
    }
    if (blocks.length > 0) blocks[blocks.length - 1].after = between.join('\n')
    between = []
    const indent = open[1].length
    const body: string[] = []
    let end = i + 1
    while (end < lines.length && !/^ *```\s*$/.test(lines[end])) {
      body.push(lines[end].slice(Math.min(indent, /^ */.exec(lines[end])?.[0].length ?? 0)))
      end++
    }
    blocks.push({ file, line: i + 1, lang: open[2], body: body.join('\n') + '\n', after: '' })
    i = end
  }
  if (blocks.length > 0) blocks[blocks.length - 1].after = between.join('\n')
  return blocks
}

// The output a js block says it prints: the lines of the ```text block introduced by
// "...prints:" right after it; none without one.
function statedOutput (blocks: readonly Block[], index: number): string[] {
  const block = blocks[index]
  const next = blocks[index + 1]
  if (next !== undefined && next.lang === 'text' && /prints:\s*$/.test(block.after.trim())) {
    return next.body.replace(/\n$/, '').split('\n').map((line) => line.trimEnd())
  }
  return []
}

function linesOf (stdout: string): string[] {
  if (stdout === '') return []
  return stdout.replace(/\n$/, '').split('\n').map((line) => line.trimEnd())
}

const docs = readdirSync(join(root, 'docs')).filter((name) => name.endsWith('.md')).sort().map((name) => `docs/${name}`)
const files = ['README.md', ...docs]

test('the README and the docs have js blocks to run', async (t) => {
  t.ok(docs.length > 0, 'docs/*.md exist')
  t.ok(blocksOf('README.md').some((block) => block.lang === 'js'), 'README.md has js blocks')
  t.ok(docs.some((file) => blocksOf(file).some((block) => block.lang === 'js')), 'docs/*.md have js blocks')
})

for (const file of files) {
  const blocks = blocksOf(file)
  blocks.forEach((block, index) => {
    if (block.lang !== 'js') return
    const where = `${block.file}:${block.line}`
    const expected = statedOutput(blocks, index)
    const says = expected.length > 0 ? 'prints what the text block after it shows' : 'prints nothing'
    test(`${where}: the js block runs and ${says}`, async (t) => {
      // An output block that contradicts the marker is a mistake in the docs.
      if (expected.length > 0) t.notOk(block.after.includes(printsNothing), `${where}: an output block, or ${printsNothing}, not both`)
      const { stdout, stderr } = await run(process.execPath, ['-e', block.body], { cwd: root, timeout: 30_000 })
      t.equal(stderr, '', 'nothing on stderr')
      t.same(linesOf(stdout), expected)
    })
  })

  // A block whose first line is a comment naming a file of the repository
  // (`# docs/examples/openapi.yaml`) shows that file, below that line, as it is: what a reader
  // copies is what the commands shown in the docs read.
  blocks.forEach((block) => {
    const named = /^(?:#|\/\/) ((?:docs|example)\/\S+)\n/.exec(block.body)
    if (named === null) return
    test(`${block.file}:${block.line}: the block is the file it names, ${named[1]}`, async (t) => {
      const path = join(root, named[1])
      t.ok(existsSync(path), `${named[1]} exists`)
      if (existsSync(path)) t.equal(block.body.slice(named[0].length), readFileSync(path, 'utf8'))
    })
  })
}

test('the README opens with the two commands a new user needs', async (t) => {
  const opening = readFileSync(join(root, 'README.md'), 'utf8').split('\n').slice(0, 6).join('\n')
  t.match(opening, /npm install && npm run demo/)
  t.match(opening, /npm test/)
})
