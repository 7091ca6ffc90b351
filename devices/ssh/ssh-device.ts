/**
 * The `ssh` device: a Linux board reached over SSH. One connection and at most one agent per
 * device; the agent runs ONNX Runtime on the board and times inferences with the board's clock.
 *
 * Board layout under remoteDir (default ~/.edgebench), everything named by content hash:
 *   runtime/<bundle id>/agent.cjs + node_modules/onnxruntime-{node,common}
 *   models/<sha256>.onnx        data/<sha256>.f32 (preprocessed evaluation inputs)
 */
import { stat as statLocal } from 'node:fs/promises'
import { posix } from 'node:path'
import { StudioError, toStudioError } from '../../common/errors.js'
import type { DeviceInfo, LatencySpec, SessionOptions } from '../../common/types.js'
import type { LoadReply, SessionEvent } from '../session/protocol.js'
import type {
  Batch,
  BenchmarkHooks,
  ChainSpec,
  Deployment,
  Device,
  EarlyExitOptions,
  EarlyExitProgress,
  EvaluateHooks,
  ModelRef,
  Predictions,
  RawEarlyExit,
  RawLatency,
} from '../device.js'
import { deploymentOf, rawLatencyOf } from '../device.js'
import { benchProgress, sha256File } from '../local/local-device.js'
import { ortVersion } from '../local/probe.js'
import { AgentClient, type DeviceLogger } from './agent-client.js'
import { agentBundle } from './agent-bundle.js'
import { SshConnection, type SshConfig, type SshSecrets } from './connection.js'
import { secretNeed, type SecretNeed } from './ssh-config.js'
import { deployFile, deployTree, execHasher, resolveRemoteDir, type DeployResult, type RemoteHasher } from './deploy.js'
import { scoreCollector, writeEvalFile, type EvalFile } from './eval-file.js'
import { requestEarlyExit, type RequestFn } from '../session/early-exit-client.js'
import { PROBE_SCRIPT, checkNode, parseProbe, type BoardProbe } from './probe.js'

export const DEFAULT_REMOTE_DIR = '.edgebench'

export interface SshDeviceOptions {
  name: string
  config: SshConfig
  knownHostsPath: string
  /** Asked on each connect for what the auth needs; the device keeps no secret beyond that call. */
  secrets?: (need: SecretNeed) => Promise<SshSecrets>
  /** Accept and record an unknown host key (only after the user confirmed its fingerprint). */
  trustNewHostKey?: true | string
  logger?: DeviceLogger
}

const quiet: DeviceLogger = { debug() {}, info() {}, warn() {} }

function sessionKey(sha256: string, s: SessionOptions): string {
  return `${sha256}|${s.threads}|${s.graphOptimizationLevel}|${s.executionProvider}`
}

export class SshDevice implements Device {
  readonly kind = 'ssh' as const
  readonly name: string
  private conn: SshConnection | null = null
  private connecting: Promise<SshConnection> | null = null
  private base: string | null = null
  private board: BoardProbe | null = null
  private agent: AgentClient | null = null
  /** What the agent has loaded, and whether anything ran since (benchmarks want a fresh agent). */
  private loaded: { key: string; fresh: boolean } | null = null
  private readonly remoteModels = new Map<string, string>()
  private readonly localHashes = new Map<string, { key: string; sha256: string }>()
  private readonly logger: DeviceLogger

  constructor(private readonly opts: SshDeviceOptions) {
    this.name = opts.name
    this.logger = opts.logger ?? quiet
  }

  get config(): SshConfig {
    return this.opts.config
  }

  async probe(signal?: AbortSignal): Promise<DeviceInfo> {
    const conn = await this.connection(signal)
    const r = await conn.exec(['sh', '-c', PROBE_SCRIPT], signal)
    const probe = parseProbe(r.stdout)
    this.board = probe
    let nodeProblem: string | null = null
    try {
      checkNode(probe, this.name)
    } catch (e) {
      nodeProblem = (e as Error).message
    }
    return {
      kind: 'ssh',
      name: this.name,
      ...probe.info,
      runtime: 'onnxruntime-node',
      runtimeVersion: ortVersion(),
      extra: {
        host: this.config.host,
        port: this.config.port,
        user: this.config.user,
        ...(nodeProblem ? { nodeProblem } : {}),
      },
    }
  }

  /**
   * Puts a model on the board, content-addressed (`models/<sha256>.onnx`): skipped when already
   * there and verified by hash on the board. Starts the agent (uploading its runtime) if needed.
   */
  async deploy(
    model: ModelRef,
    signal?: AbortSignal,
  ): Promise<{ sha256: string; remotePath: string; uploaded: boolean }> {
    // With the store's hash known, the local check runs alongside the upload (the board verifies
    // the bytes against the same hash); without it, the hash names the file, so it comes first.
    const local = this.localSha256(model.path, signal)
    local.catch(() => undefined)
    const sha256 = model.sha256 ?? (await local)
    const agent = await this.ensureAgent(signal)
    const [deployed, hashed] = await Promise.allSettled([
      this.deployModel(model.path, sha256, agent, signal),
      local,
    ])
    if (hashed.status === 'rejected') throw hashed.reason
    if (hashed.value !== sha256) {
      throw new StudioError(
        'MODEL_INVALID',
        `Model file ${model.path} changed: its SHA-256 is ${hashed.value}, expected ${sha256}. Import it again.`,
      )
    }
    if (deployed.status === 'rejected') throw deployed.reason
    return { sha256, ...deployed.value }
  }

  /** SHA-256 of a local file, remembered while its size and mtime stay the same. */
  private async localSha256(path: string, signal?: AbortSignal): Promise<string> {
    const st = await statLocal(path).catch(() => null)
    const key = st ? `${st.size}|${st.mtimeMs}|${st.ino}` : ''
    const known = this.localHashes.get(path)
    if (st && known?.key === key) return known.sha256
    const sha256 = await sha256File(path, signal)
    if (st) this.localHashes.set(path, { key, sha256 })
    return sha256
  }

  async prepare(model: ModelRef, session: SessionOptions, signal?: AbortSignal): Promise<Deployment> {
    const { sha256, remotePath } = await this.deploy(model, signal)
    const agent = await this.ensureAgent(signal)
    const info = await this.load(agent, remotePath, sha256, session, signal)
    return deploymentOf(this.name, model, sha256, session, info)
  }

  async benchmark(dep: Deployment, spec: LatencySpec, hooks: BenchmarkHooks = {}): Promise<RawLatency> {
    const { agent, sessionRssBytes } = await this.agentFor(dep, true, hooks.signal)
    const samplesUs: number[] = []
    const onEvent = (e: SessionEvent): void => {
      if (e.event === 'samples') {
        for (const s of e.chunkUs) samplesUs.push(s)
        hooks.onSamples?.(e.chunkUs)
      } else if (e.event === 'progress') {
        hooks.onProgress?.(benchProgress(e, spec))
      }
    }
    const done = await agent.request({ op: 'bench', spec: { ...spec } }, onEvent, hooks.signal)
    return rawLatencyOf(samplesUs, done, sessionRssBytes, hooks)
  }

  async evaluate(
    dep: Deployment,
    batches: AsyncIterable<Batch>,
    total: number,
    hooks: EvaluateHooks = {},
  ): Promise<Predictions> {
    const file = await writeEvalFile(batches, total, hooks.signal)
    try {
      const { agent } = await this.agentFor(dep, false, hooks.signal)
      hooks.onProgress?.({ phase: 'accuracy', done: 0, total, fraction: 0, message: 'uploading inputs' })
      const remotePath = await this.uploadInputs(agent, file, hooks.signal)
      const collector = scoreCollector(total, hooks)
      await agent.request(
        { op: 'eval', inputs: { kind: 'file', path: remotePath, batches: file.batches }, ...(hooks.output !== undefined ? { output: hooks.output } : {}) },
        collector.onEvent,
        hooks.signal,
      )
      return collector.finish()
    } finally {
      await file.dispose()
    }
  }

  /** Early exit on the board: the inputs, the chain's segments and its cascade uploaded content-addressed. */
  async earlyExit(
    dep: Deployment,
    chain: ChainSpec,
    batches: AsyncIterable<Batch>,
    total: number,
    opts: EarlyExitOptions,
    hooks: EarlyExitProgress = {},
  ): Promise<RawEarlyExit> {
    const file = await writeEvalFile(batches, total, hooks.signal)
    try {
      const { agent } = await this.agentFor(dep, false, hooks.signal)
      const path = await this.uploadInputs(agent, file, hooks.signal)
      const upload = async (local: string): Promise<string> => {
        const sha256 = await this.localSha256(local, hooks.signal)
        return (await this.deployModel(local, sha256, agent, hooks.signal)).remotePath
      }
      const segments = []
      for (const seg of chain.segments) segments.push({ ...seg, path: await upload(seg.path) })
      const cascade = await upload(chain.cascade)
      const inputs = { kind: 'file' as const, path, batches: file.batches }
      const request: RequestFn = (req, onEvent, signal) => agent.request(req, onEvent, signal)
      return await requestEarlyExit(request, { ...chain, segments, cascade }, { inputs, ...opts }, hooks)
    } finally {
      await file.dispose()
    }
  }

  private async uploadInputs(agent: AgentClient, file: EvalFile, signal?: AbortSignal): Promise<string> {
    const remotePath = posix.join(await this.remoteBase(signal), 'data', `${file.sha256}.f32`)
    const sftp = await (await this.connection(signal)).sftp()
    const source = { localPath: file.path, sha256: file.sha256, size: file.size }
    await deployFile(sftp, this.agentHasher(agent), source, remotePath, signal)
    return remotePath
  }

  /** Process id of the running agent on the board (diagnostics and tests), or null. */
  agentPid(): number | null {
    return this.agent?.alive ? this.agent.info.pid : null
  }

  async close(): Promise<void> {
    const agent = this.agent
    this.agent = null
    this.loaded = null
    await agent?.close()
    this.conn?.end()
    this.conn = null
    this.connecting = null
  }

  // ---- connection, runtime, deployment --------------------------------------------------------

  private async connection(signal?: AbortSignal): Promise<SshConnection> {
    if (this.conn && this.conn.lost === null) return this.conn
    if (this.conn) this.forget()
    this.connecting ??= (async (): Promise<SshConnection> => {
      const need = secretNeed(this.config)
      const secrets =
        this.opts.secrets && (need.password || need.passphrase) ? await this.opts.secrets(need) : {}
      const conn = await SshConnection.connect(this.config, {
        knownHostsPath: this.opts.knownHostsPath,
        ...(this.opts.trustNewHostKey !== undefined ? { trustNewHostKey: this.opts.trustNewHostKey } : {}),
        secrets,
        ...(signal ? { signal } : {}),
      })
      this.logger.info(`connected to ${this.config.user}@${this.config.host}:${this.config.port}`)
      conn.onLost(() => this.logger.warn(`${this.name}: connection lost`))
      this.conn = conn
      return conn
    })()
    try {
      return await this.connecting
    } finally {
      this.connecting = null
    }
  }

  /** After a lost connection everything tied to it is gone; the next call starts over. */
  private forget(): void {
    this.conn = null
    this.agent = null
    this.loaded = null
    this.base = null
  }

  private async remoteBase(signal?: AbortSignal): Promise<string> {
    const conn = await this.connection(signal)
    this.base ??= await resolveRemoteDir(await conn.sftp(), this.config.remoteDir ?? DEFAULT_REMOTE_DIR)
    return this.base
  }

  private agentHasher(agent: AgentClient): RemoteHasher {
    return async (paths, signal) => (await agent.request({ op: 'hash', paths }, undefined, signal)).sha256
  }

  /** The running agent, or a new one (runtime uploaded first when the board lacks it). */
  private async ensureAgent(signal?: AbortSignal): Promise<AgentClient> {
    if (this.agent?.alive) return this.agent
    this.agent = null
    this.loaded = null
    const conn = await this.connection(signal)
    if (!this.board) await this.probe(signal)
    const node = checkNode(this.board as BoardProbe, this.name)
    const base = await this.remoteBase(signal)
    const bundle = await agentBundle(node.platform, node.arch)
    const dir = posix.join(base, 'runtime', bundle.id)
    const r = await deployTree(
      await conn.sftp(),
      execHasher(conn, this.name),
      bundle.files.map((f) => ({
        path: f.path,
        source: { content: f.content, sha256: f.sha256, size: f.content.length },
      })),
      dir,
      signal,
    )
    if (r.uploaded) this.logger.info(`${this.name}: agent runtime uploaded to ${dir}`)
    this.agent = await AgentClient.start(conn, ['node', posix.join(dir, bundle.entry)], this.logger, signal)
    return this.agent
  }

  private async deployModel(
    path: string,
    sha256: string,
    agent: AgentClient,
    signal?: AbortSignal,
  ): Promise<DeployResult> {
    const base = await this.remoteBase(signal)
    const remotePath = posix.join(base, 'models', `${sha256}.onnx`)
    const size = (await statLocal(path)).size
    const sftp = await (await this.connection(signal)).sftp()
    const r = await deployFile(
      sftp,
      this.agentHasher(agent),
      { localPath: path, sha256, size },
      remotePath,
      signal,
    )
    this.logger.debug(`${this.name}: model ${r.uploaded ? 'uploaded to' : 'already at'} ${remotePath}`)
    this.remoteModels.set(sha256, remotePath)
    return r
  }

  private async load(
    agent: AgentClient,
    remotePath: string,
    sha256: string,
    session: SessionOptions,
    signal?: AbortSignal,
  ): Promise<LoadReply> {
    this.loaded = null
    const info = await agent.request(
      { op: 'load', modelPath: remotePath, session: { ...session } },
      undefined,
      signal,
    )
    this.loaded = { key: sessionKey(sha256, session), fresh: true }
    return info
  }

  /**
   * An agent with `dep` loaded. A benchmark gets an agent that has done nothing since loading
   * (its peak RSS then belongs to the benchmark alone), as the local device does with its runners.
   */
  private async agentFor(
    dep: Deployment,
    fresh: boolean,
    signal?: AbortSignal,
  ): Promise<{ agent: AgentClient; sessionRssBytes: number | null }> {
    const key = sessionKey(dep.sha256, dep.session)
    const current = this.agent?.alive ? this.agent : null
    if (current && this.loaded?.key === key && (this.loaded.fresh || !fresh)) {
      this.loaded.fresh = false
      return { agent: current, sessionRssBytes: dep.sessionRssBytes }
    }
    try {
      if (current && fresh) {
        await current.close()
        this.agent = null
      }
      const agent = await this.ensureAgent(signal)
      const remotePath =
        this.remoteModels.get(dep.sha256) ??
        (await this.deployModel(dep.model.path, dep.sha256, agent, signal)).remotePath
      const info = await this.load(agent, remotePath, dep.sha256, dep.session, signal)
      if (this.loaded) this.loaded.fresh = false
      return { agent, sessionRssBytes: info.sessionRssBytes }
    } catch (e) {
      throw toStudioError(e, 'DEVICE_ERROR')
    }
  }
}
