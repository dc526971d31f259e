import { test } from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

// Every `js` block of the README runs as a user would paste it, against the built package
// (resolved by its own name), so the docs cannot drift from the code.
const root = join(__dirname, '..')
const readme = readFileSync(join(root, 'README.md'), 'utf8')
const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1])
const run = promisify(execFile)

// What each block prints, in README order; the comments in the README say the same.
const expected = [
  [
    'PATCH /users 501  FST_METHOD_NOT_IMPLEMENTED',
    'DELETE /users 405 GET, HEAD, POST, OPTIONS FST_METHOD_NOT_ALLOWED',
    'GET /nowhere 404  ',
    'OPTIONS /users 204 GET, HEAD, POST, OPTIONS ',
    'GET /reports 501  FST_TIER_REQUIRED',
    'GET /reports 200  ',
    'POST /exports 501  FST_FEATURE_DISABLED',
    'POST /invoices 501  FST_ENDPOINT_NOT_IMPLEMENTED'
  ],
  ['501 FST_ENDPOINT_NOT_IMPLEMENTED'],
  ['405 GET, HEAD, OPTIONS {"problem":"wrong-method","allowed":["GET","HEAD","OPTIONS"]}'],
  ['501 private, max-age=60 X-Plan'],
  [],
  ['501 FST_FEATURE_DISABLED'],
  ['64 [{"path":"/pets/:petId","methods":[{"method":"GET","implemented":true,"tier":"plus"},{"method":"HEAD","implemented":true,"tier":"plus"},{"method":"DELETE","implemented":false},{"method":"OPTIONS","implemented":true}]}]'],
  ['200 no-cache 304'],
  ['plus #/components/schemas/FST_TIER_REQUIRED'],
  []
]

test('the README has the blocks this test knows', async (t) => {
  t.equal(blocks.length, expected.length)
})

blocks.forEach((code, i) => {
  test(`README js block ${i + 1} runs and prints what the README says`, async (t) => {
    const { stdout, stderr } = await run(process.execPath, ['-e', code], { cwd: root, timeout: 30_000 })
    t.equal(stderr, '')
    t.same(stdout.split('\n').filter((line, n, all) => n < all.length - 1 || line !== ''), expected[i])
  })
})

test('the output the README shows for its first example is what it prints', async (t) => {
  const shown = /It prints:\n\n```text\n([\s\S]*?)```/.exec(readme)?.[1] as string
  t.same(shown.trimEnd().split('\n'), expected[0].map((line) => line.trimEnd()))
})

test('the README opens with the two commands a new user needs', async (t) => {
  const opening = readme.split('\n').slice(0, 6).join('\n')
  t.match(opening, /npm install && npm run demo/)
  t.match(opening, /npm test/)
})
