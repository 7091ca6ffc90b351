/**
 * `npm run bench:ssh` — the SSH board targets, on a real OpenSSH server started on 127.0.0.1:
 *  (a) SshDevice.deploy of a 20 MB file (local hash, SFTP upload to a temp name, hash on the board,
 *      rename) vs OpenSSH `scp` of the same file to the same server, in interleaved rounds
 *      (tools/bench/ab.ts); deploy/scp throughput = median of per-round ratios; target ≥ 70 %;
 *  (b) a second deploy of the same file (content-addressed skip: stat + hash on the board); < 200 ms;
 *  (c) median latency of resnet8 through the agent vs the local device, same settings, in
 *      interleaved rounds; agent/local = median of per-round ratios (spread printed); target within 5 %.
 * Options: --rounds N (default 3), --json.
 */
import { execFileSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { median } from '../../common/stats.js'
import { DEFAULT_SESSION_OPTIONS, type LatencySpec } from '../../common/types.js'
import { LocalDevice } from '../../devices/local/local-device.js'
import { SshDevice } from '../../devices/ssh/ssh-device.js'
import { startSshd } from '../../test/devices/ssh/sshd-server.js'
import { abRounds, formatDiffPct, formatRatio, interleave, ratioOf } from './ab.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const MODEL = join(ROOT, 'resources', 'models', 'resnet8.onnx')
const SIZE = 20 * 1024 * 1024
const SPEC: LatencySpec = {
  warmupRuns: 10,
  warmupMs: 500,
  minRuns: 300,
  minMs: 2000,
  maxMs: 60_000,
  profile: false,
}
const args = process.argv.slice(2)
const rounds = Number(args[args.indexOf('--rounds') + 1]) || 3
const json = args.includes('--json')

const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6
const log = (s: string): void => {
  if (!json) process.stderr.write(`${s}\n`)
}

async function main(): Promise<void> {
  const server = await startSshd()
  const work = mkdtempSync(join(tmpdir(), 'edgebench-bench-ssh-'))
  const knownHosts = join(work, 'known_hosts')
  writeFileSync(knownHosts, `[127.0.0.1]:${server.port} ${server.hostPublicKey}\n`)
  const board = join(server.dir, 'board')
  const config = {
    host: '127.0.0.1',
    port: server.port,
    user: server.user,
    auth: 'key' as const,
    keyPath: server.clientKey,
    remoteDir: board,
  }
  const device = new SshDevice({ name: 'loopback', config, knownHostsPath: knownHosts })
  const local = new LocalDevice()
  try {
    // The agent and its runtime go up first, so (a) times only the 20 MB file.
    const dep = await device.prepare({ name: 'resnet8', path: MODEL }, DEFAULT_SESSION_OPTIONS)
    const file = join(work, 'blob.onnx')
    const bytes = randomBytes(SIZE)
    writeFileSync(file, bytes)
    // As the studio deploys: the model's SHA-256 is known from the store (it was hashed on import).
    const blob = { name: 'blob', path: file, sha256: createHash('sha256').update(bytes).digest('hex') }
    const scpTarget = join(board, 'scp.bin')
    const sshOpts = [
      '-i',
      server.clientKey,
      '-o',
      `UserKnownHostsFile=${knownHosts}`,
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'BatchMode=yes',
    ]
    const scp = (from: string, to: string): number => {
      const t = process.hrtime.bigint()
      execFileSync('scp', ['-q', ...sshOpts, '-P', String(server.port), from, `${server.user}@127.0.0.1:${to}`])
      return ms(t)
    }
    const tiny = join(work, 'tiny.bin')
    writeFileSync(tiny, 'x')
    const fixedMs: number[] = []
    const transfer = await interleave({
      rounds,
      arms: {
        deploy: async () => {
          // The board is this machine: removing the file makes the next deploy a full upload.
          rmSync(join(board, 'models'), { recursive: true, force: true })
          const t = process.hrtime.bigint()
          const first = await device.deploy(blob)
          if (!first.uploaded) throw new Error('the first deploy did not upload')
          return ms(t)
        },
        scp: async () => {
          rmSync(scpTarget, { force: true })
          const whole = scp(file, scpTarget)
          // scp pays for its own connection and SFTP session; the device's deploy reuses them. The
          // same command with a 1-byte file times that fixed share, to compare transfers alone too.
          fixedMs.push(scp(tiny, `${scpTarget}.tiny`))
          return whole
        },
      },
      onRound: (r, f) => log(`round ${r + 1}: deploy ${f.deploy.toFixed(0)} ms, scp ${f.scp.toFixed(0)} ms`),
    })
    const deployMs = transfer.deploy
    const scpMs = transfer.scp
    const skipMs: number[] = []
    for (let r = 0; r < 5; r++) {
      const t = process.hrtime.bigint()
      const again = await device.deploy(blob)
      skipMs.push(ms(t))
      if (again.uploaded) throw new Error('the second deploy uploaded again')
    }
    // prepare() of the unchanged resnet8: deploy skip + loading the session in the agent.
    const prepareMs: number[] = []
    for (let r = 0; r < 3; r++) {
      const t = process.hrtime.bigint()
      await device.prepare({ name: 'resnet8', path: MODEL }, DEFAULT_SESSION_OPTIONS)
      prepareMs.push(ms(t))
    }

    const ldep = await local.prepare({ name: 'resnet8', path: MODEL }, DEFAULT_SESSION_OPTIONS)
    const lat = await abRounds({
      rounds,
      a: async () => median((await local.benchmark(ldep, SPEC)).samplesUs),
      b: async () => median((await device.benchmark(dep, SPEC)).samplesUs),
      onRound: (r, l, a) => log(`round ${r + 1}: agent p50 ${a.toFixed(1)} µs, local p50 ${l.toFixed(1)} µs`),
    })
    const agentP50 = lat.b
    const localP50 = lat.a
    const mb = SIZE / 1024 / 1024
    const deployMBs = mb / (median(deployMs) / 1000)
    const scpMBs = mb / (median(scpMs) / 1000)
    // Throughput ratio deploy/scp per round = scp time / deploy time in that round.
    const deployVsScp = ratioOf(deployMs, scpMs)
    // Per round, so the two scp runs share the machine's load; null when noise swallows the difference.
    const transferPerRound = scpMs.map((x, i) => x - (fixedMs[i] ?? 0))
    const transferMs = median(transferPerRound)
    const scpTransferMBs = transferMs > 5 ? mb / (transferMs / 1000) : null
    const deployVsTransfer = transferMs > 5 ? ratioOf(deployMs, transferPerRound) : null
    const latencyRatio = lat.ratio
    const result = {
      deploy20MB: {
        deployMBs,
        scpMBs,
        ratio: deployVsScp.ratio,
        spread: deployVsScp.spread,
        scpTransferOnlyMBs: scpTransferMBs,
        ratioTransferOnly: deployVsTransfer?.ratio ?? null,
        target: 0.7,
      },
      secondDeploy: { medianMs: median(skipMs), target: 200, prepareUnchangedMs: median(prepareMs) },
      latency: {
        agentP50Us: median(agentP50),
        localP50Us: median(localP50),
        ratio: latencyRatio,
        spread: lat.spread,
        rounds: lat.rounds,
        target: 0.05,
      },
    }
    if (json) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
      return
    }
    const rows: [string, string, string, string][] = [
      ['figure', 'measured', 'target', 'ok'],
      ['deploy 20 MB (hash, SFTP, verify, rename)', `${deployMBs.toFixed(1)} MB/s`, '', ''],
      ['scp 20 MB (whole command)', `${scpMBs.toFixed(1)} MB/s`, '', ''],
      [
        'scp 20 MB transfer only (minus a 1-byte scp)',
        scpTransferMBs === null ? 'n/a (noise)' : `${scpTransferMBs.toFixed(1)} MB/s`,
        '',
        '',
      ],
      [
        'deploy / scp throughput (median of per-round ratios)',
        formatRatio(deployVsScp, 2),
        '≥ 70 %',
        result.deploy20MB.ratio >= 0.7 ? 'yes' : 'NO',
      ],
      [
        'deploy / scp transfer only',
        result.deploy20MB.ratioTransferOnly === null
          ? 'n/a'
          : formatRatio(deployVsTransfer ?? deployVsScp, 2),
        '(stricter)',
        '',
      ],
      [
        'second deploy (skip), median of 5',
        `${median(skipMs).toFixed(0)} ms`,
        '< 200 ms',
        median(skipMs) < 200 ? 'yes' : 'NO',
      ],
      ['prepare() of an unchanged model', `${median(prepareMs).toFixed(0)} ms`, '(info)', ''],
      ['resnet8 p50 agent', `${median(agentP50).toFixed(1)} µs`, '', ''],
      ['resnet8 p50 local device', `${median(localP50).toFixed(1)} µs`, '', ''],
      [
        'agent / local (median of per-round ratios)',
        formatDiffPct(lat),
        '± 5 %',
        Math.abs(latencyRatio - 1) <= 0.05 ? 'yes' : 'NO',
      ],
    ]
    const w = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i]?.length ?? 0)))
    for (const r of rows) process.stdout.write(`${r.map((c, i) => c.padEnd(w[i] ?? 0)).join('  ')}\n`)
  } finally {
    await device.close()
    await local.close()
    await server.stop()
    rmSync(work, { recursive: true, force: true })
  }
}

await main()
