/** The board probe's parser on recorded outputs (Raspberry Pi 4, a Jetson without Node.js). */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { PROBE_SCRIPT, checkNode, parseProbe } from '../../../devices/ssh/probe.js'

const fixture = (name: string): string =>
  readFileSync(resolve(import.meta.dirname, '../../fixtures/ssh', name), 'utf8')

describe('board probe', () => {
  it('reads a Raspberry Pi 4: arch, OS, model, cores, RAM, governor, temperature, node', () => {
    const p = parseProbe(fixture('probe-rpi4.txt'))
    expect(p.info).toMatchObject({
      arch: 'arm64',
      os: 'Debian GNU/Linux 12 (bookworm) (Linux 6.1.0-rpi7-rpi-v8)',
      cpuModel: 'Raspberry Pi 4 Model B Rev 1.4',
      cores: 4,
      ramBytes: 3884188 * 1024,
      governor: 'ondemand',
      temperatureC: 48.686,
      loadAverage: [0.08, 0.12, 0.1],
      hostname: 'raspberrypi',
      nodeVersion: '18.19.0',
    })
    expect(checkNode(p, 'pi')).toEqual({ version: '18.19.0', platform: 'linux', arch: 'arm64' })
  })

  it('a board without Node.js: facts still read, and the message says what to install', () => {
    const p = parseProbe(fixture('probe-no-node.txt'))
    expect(p.node).toBeNull()
    expect(p.info.arch).toBe('arm64')
    expect(p.info.cpuModel).toBe('ARMv8 Processor rev 1 (v8l)')
    expect(p.info.governor).toBeNull()
    expect(p.info.temperatureC).toBeNull()
    expect(() => checkNode(p, 'jetson')).toThrow(
      /Node\.js was not found on jetson\. Install Node\.js 18 or newer.*apt install nodejs/,
    )
  })

  it('a too-old Node.js is refused with the version found', () => {
    const p = parseProbe(fixture('probe-rpi4.txt').replace('18.19.0 linux arm64', '16.20.2 linux arm64'))
    expect(() => checkNode(p, 'pi')).toThrow(/has Node\.js 16\.20\.2, too old.*Install Node\.js 18 or newer/)
  })

  it('the probe script runs under sh on this computer and parses', () => {
    const r = spawnSync('sh', ['-c', PROBE_SCRIPT], { encoding: 'utf8' })
    const p = parseProbe(r.stdout)
    expect(p.info.cores).toBeGreaterThan(0)
    expect(p.node?.version).toBe(process.versions.node)
  })
})
