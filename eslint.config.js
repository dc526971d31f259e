'use strict'

module.exports = require('neostandard')({
  ts: true,
  ignores: ['dist/**', 'coverage/**', '.tap/**', 'types/index.test-d.ts', ...require('neostandard').resolveIgnoresFromGitignore()]
})
