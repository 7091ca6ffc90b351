/**
 * POSIX shell quoting for the one place a command must go through the board's login shell (an SSH
 * exec request is always a shell string). Every word is single-quoted, so no user text — host
 * names, paths, model names — can ever be read as shell syntax.
 */

/** One word, single-quoted (`'` becomes `'\''`). */
export function shellQuote(word: string): string {
  if (word.includes('\0')) throw new Error('A shell word cannot contain a NUL byte')
  return `'${word.replace(/'/g, `'\\''`)}'`
}

/** argv as one shell command line, each word quoted. */
export function shellCommand(argv: string[]): string {
  if (argv.length === 0) throw new Error('shellCommand needs at least one word')
  return argv.map(shellQuote).join(' ')
}
