/** `edgebench serve`: prints a 127.0.0.1 URL with the token, serves, and stops on Ctrl-C. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Command } from 'commander'
import { afterAll, expect, it, vi } from 'vitest'
import { closeStudio, interruptAll } from '../../main/cli/context.js'
import { registerServe } from '../../main/cli/commands-serve.js'
import { StudioError } from '../../common/errors.js'

const dir = mkdtempSync(join(tmpdir(), 'edgebench-serve-'))

afterAll(async () => {
  await closeStudio()
  rmSync(dir, { recursive: true, force: true })
})

it('prints the URL with the token, answers with it, and stops on Ctrl-C', async () => {
  const lines: string[] = []
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk))
    return true
  })
  try {
    const program = new Command('edgebench').option('--db <file>').exitOverride()
    registerServe(program)
    const running = program.parseAsync(['node', 'edgebench', '--db', join(dir, 'studio.db'), 'serve', '--port', '0'])
    let url: string | undefined
    await vi.waitFor(
      () => {
        url = /http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{32}/.exec(lines.join(''))?.[0]
        if (!url) throw new Error('no URL yet')
      },
      { timeout: 30_000, interval: 50 },
    )
    const parsed = new URL(url ?? '')
    const token = parsed.searchParams.get('token') ?? ''
    const res = await fetch(new URL('/api/app:info', parsed.origin), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    })
    const body = (await res.json()) as { ok: boolean; value?: { mode: string } }
    expect(body).toMatchObject({ ok: true, value: { mode: 'browser' } })
    interruptAll(new StudioError('CANCELLED', 'Ctrl-C'))
    await running
    await expect(fetch(new URL('/', parsed.origin))).rejects.toThrow()
  } finally {
    write.mockRestore()
  }
})
