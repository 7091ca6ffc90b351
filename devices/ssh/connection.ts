/**
 * One SSH connection to a board (ssh2): authentication by key file (+ passphrase), ssh-agent or
 * password; keep-alive; host key checked against the studio's known_hosts before anything else is
 * sent. Low-level failures become StudioErrors that say what to do. Secrets are passed straight
 * to ssh2 and never logged or kept beyond the connect call.
 */
import { readFileSync } from 'node:fs'
import { Client, type ClientChannel, type ConnectConfig, type SFTPWrapper } from 'ssh2'
import { StudioError } from '../../common/errors.js'
import {
  appendKnownHost,
  hostToken,
  readKnownHosts,
  verifyHostKey,
  type HostKeyVerdict,
} from './known-hosts.js'
import { keyIsEncrypted } from './private-key.js'
import { shellCommand } from './shell-quote.js'

export type SshAuth = 'key' | 'agent' | 'password'

/** Non-secret connection settings, as stored in the devices table. */
export interface SshConfig {
  host: string
  port: number
  user: string
  auth: SshAuth
  /** Private key file (auth 'key'). */
  keyPath?: string
  /** Studio folder on the board; relative paths are under the login's home. Default `.edgebench`. */
  remoteDir?: string
}

/** Secrets for one connect: never stored by this module. */
export interface SshSecrets {
  password?: string
  passphrase?: string
}

export interface ConnectOptions {
  knownHostsPath: string
  /**
   * Accept and record a host key the file does not know yet: `true` for any (the CLI's
   * --trust-new-host-key), or a SHA256 fingerprint the user confirmed — then only that key.
   */
  trustNewHostKey?: true | string
  secrets?: SshSecrets
  /** Handshake + authentication timeout. */
  readyTimeoutMs?: number
  /** ssh-agent socket; default SSH_AUTH_SOCK. */
  agentSocket?: string
  signal?: AbortSignal
}

export interface ExecResult {
  code: number | null
  stdout: string
  stderr: string
}

const KEEPALIVE_MS = 5000
const KEEPALIVE_MAX = 3

function where(cfg: SshConfig): string {
  return `${cfg.user}@${cfg.host}:${cfg.port}`
}

function authConfig(cfg: SshConfig, opts: ConnectOptions): Partial<ConnectConfig> {
  if (cfg.auth === 'password') {
    if (opts.secrets?.password === undefined)
      throw new StudioError(
        'AUTH_FAILED',
        `A password is needed for ${where(cfg)}; give it when asked (or --password-stdin).`,
      )
    return {
      password: opts.secrets.password,
      authHandler: ['password', 'keyboard-interactive'],
      tryKeyboard: true,
    }
  }
  if (cfg.auth === 'agent') {
    const sock = opts.agentSocket ?? process.env.SSH_AUTH_SOCK
    if (!sock)
      throw new StudioError(
        'AUTH_FAILED',
        'No ssh-agent is running (SSH_AUTH_SOCK is not set); start one and ssh-add your key, or use --key.',
      )
    return { agent: sock, authHandler: ['agent'] }
  }
  if (!cfg.keyPath)
    throw new StudioError('BAD_INPUT', `No key file is configured for ${where(cfg)}; give --key <file>.`)
  let key: Buffer
  try {
    key = readFileSync(cfg.keyPath)
  } catch (e) {
    throw new StudioError(
      'FILE_NOT_FOUND',
      `Cannot read the private key ${cfg.keyPath}: ${(e as Error).message}`,
      { cause: e },
    )
  }
  if (keyIsEncrypted(key) && opts.secrets?.passphrase === undefined) {
    throw new StudioError(
      'AUTH_FAILED',
      `The key ${cfg.keyPath} is protected by a passphrase; give it when asked, or load the key into ssh-agent and use --agent.`,
    )
  }
  return {
    privateKey: key,
    ...(opts.secrets?.passphrase !== undefined ? { passphrase: opts.secrets.passphrase } : {}),
    authHandler: ['publickey'],
  }
}

function mapConnectError(
  e: Error & { level?: string; code?: string },
  cfg: SshConfig,
  verdict: HostKeyVerdict | null,
  opts: ConnectOptions,
): StudioError {
  const knownHosts = opts.knownHostsPath
  if (verdict?.kind === 'unknown') {
    return new HostKeyUnknownError(
      verdict.fingerprint,
      `The host key of ${cfg.host}:${cfg.port} is not known yet. Its fingerprint is ${verdict.fingerprint}. ` +
        `Compare it with \`ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub\` on the board, then trust it ` +
        `(--trust-new-host-key in the CLI, or confirm the dialog in the app).`,
    )
  }
  if (verdict?.kind === 'mismatch') {
    return new StudioError(
      'HOST_KEY_MISMATCH',
      `The host key of ${cfg.host}:${cfg.port} has CHANGED: it presented ${verdict.fingerprint}, but ${knownHosts} ` +
        `expects ${verdict.expected.join(' or ')}. Someone may be intercepting the connection, or the board was ` +
        `reinstalled. If you are sure it is the board, remove its line with \`ssh-keygen -R '${hostToken(cfg.host, cfg.port)}' -f ${knownHosts}\` and add it again.`,
    )
  }
  if (verdict?.kind === 'revoked') {
    return new StudioError(
      'HOST_KEY_MISMATCH',
      `The host key ${verdict.fingerprint} of ${cfg.host}:${cfg.port} is marked @revoked in ${knownHosts}; the connection was refused.`,
    )
  }
  if (e.level === 'client-authentication') {
    const how =
      cfg.auth === 'key'
        ? `the key ${cfg.keyPath ?? ''}`
        : cfg.auth === 'agent'
          ? 'the keys in ssh-agent'
          : 'the password'
    return new StudioError(
      'AUTH_FAILED',
      `${where(cfg)} refused ${how}. Check the user name and that the board's ~/.ssh/authorized_keys holds the public key (or the password).`,
      { cause: e },
    )
  }
  if (e.level === 'client-timeout') {
    return new StudioError(
      'TIMEOUT',
      `${cfg.host}:${cfg.port} did not complete the SSH handshake in time; check that it is an SSH server and not overloaded.`,
      { cause: e },
    )
  }
  if (/passphrase|decrypt|Cannot parse privateKey/i.test(e.message)) {
    return new StudioError(
      'AUTH_FAILED',
      `Cannot use the private key ${cfg.keyPath ?? ''}: ${e.message}. Check the passphrase and the key format.`,
      { cause: e },
    )
  }
  const code = e.code ?? ''
  const hint =
    code === 'ECONNREFUSED'
      ? 'nothing listens there: is sshd running and the port right?'
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? 'the host name does not resolve: check --host.'
        : code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'ETIMEDOUT'
          ? 'the network cannot reach it: is the board on and on this network?'
          : 'check the address and the network.'
  return new StudioError(
    'DEVICE_UNREACHABLE',
    `Cannot connect to ${cfg.host}:${cfg.port} (${e.message}); ${hint}`,
    { cause: e },
  )
}

/** An unknown host key: carries the fingerprint so the app can ask the user to confirm it. */
export class HostKeyUnknownError extends StudioError {
  constructor(
    readonly fingerprint: string,
    message: string,
  ) {
    super('HOST_KEY_UNKNOWN', message)
  }
}

/** SFTP sessions closed or being closed; never handed out again. */
const closedSessions = new WeakSet<SFTPWrapper>()

/**
 * Ends an SFTP session (the only way to stop a transfer half-way). The connection opens a new
 * session for the next caller at once, without waiting for the old one's close to arrive.
 */
export function closeSftp(sftp: SFTPWrapper): void {
  closedSessions.add(sftp)
  sftp.end()
}

export class SshConnection {
  private sftpPromise: Promise<SFTPWrapper> | null = null
  private closedError: StudioError | null = null
  private readonly closeListeners = new Set<(e: StudioError) => void>()

  private constructor(
    private readonly client: Client,
    readonly config: SshConfig,
  ) {
    const lost = (why: string): void => {
      if (this.closedError) return
      this.closedError = new StudioError(
        'DEVICE_UNREACHABLE',
        `The connection to ${where(config)} was lost (${why}); the run is interrupted. Check the board and the network, then run again.`,
      )
      for (const l of this.closeListeners) l(this.closedError)
    }
    client.on('error', (e: Error) => lost(e.message))
    client.on('close', () => lost('closed'))
  }

  /** Connects, verifies the host key and authenticates. */
  static async connect(cfg: SshConfig, opts: ConnectOptions): Promise<SshConnection> {
    if (opts.signal?.aborted) throw new StudioError('CANCELLED', 'Cancelled')
    const auth = authConfig(cfg, opts)
    const token = hostToken(cfg.host, cfg.port)
    const client = new Client()
    let verdict: HostKeyVerdict | null = null
    const hostVerifier = (key: Buffer): boolean => {
      verdict = verifyHostKey(readKnownHosts(opts.knownHostsPath), token, key)
      const trust = opts.trustNewHostKey
      if (verdict.kind === 'unknown' && (trust === true || trust === verdict.fingerprint)) {
        appendKnownHost(opts.knownHostsPath, token, key)
        return true
      }
      return verdict.kind === 'known'
    }
    // ssh2 may report a torn-down socket after we stopped listening; that must never crash the
    // process. The connection's own listeners (see the constructor) do the real work afterwards.
    client.on('error', () => undefined)
    const password = opts.secrets?.password
    if (cfg.auth === 'password' && password !== undefined) {
      // Servers that ask through keyboard-interactive (PAM) get the same password for each prompt.
      client.on('keyboard-interactive', (_name, _instructions, _lang, prompts, finish) =>
        finish(prompts.map(() => password)),
      )
    }
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        client.end()
        reject(new StudioError('CANCELLED', 'Cancelled'))
      }
      const onReady = (): void => done()
      const onError = (e: Error): void => done(e)
      opts.signal?.addEventListener('abort', onAbort, { once: true })
      const done = (e?: Error): void => {
        opts.signal?.removeEventListener('abort', onAbort)
        client.off('ready', onReady)
        client.off('error', onError)
        if (!e) return resolve()
        client.end()
        reject(mapConnectError(e, cfg, verdict, opts))
      }
      client.once('ready', onReady)
      client.once('error', onError)
      try {
        client.connect({
          host: cfg.host,
          port: cfg.port,
          username: cfg.user,
          readyTimeout: opts.readyTimeoutMs ?? 20_000,
          keepaliveInterval: KEEPALIVE_MS,
          keepaliveCountMax: KEEPALIVE_MAX,
          hostVerifier,
          ...auth,
        })
      } catch (e) {
        done(e as Error)
      }
    })
    return new SshConnection(client, cfg)
  }

  get lost(): StudioError | null {
    return this.closedError
  }

  /** Called once if the connection drops (or is ended); returns an unsubscribe function. */
  onLost(listener: (e: StudioError) => void): () => void {
    this.closeListeners.add(listener)
    return () => this.closeListeners.delete(listener)
  }

  /** Starts argv on the board (each word shell-quoted) and returns the channel. */
  spawn(argv: string[]): Promise<ClientChannel> {
    if (this.closedError) return Promise.reject(this.closedError)
    const command = shellCommand(argv)
    return new Promise((resolve, reject) => {
      this.client.exec(command, (err, channel) => {
        if (err)
          reject(
            this.closedError ??
              new StudioError('DEVICE_ERROR', `The board refused to run ${argv[0] ?? ''}: ${err.message}`, {
                cause: err,
              }),
          )
        else resolve(channel)
      })
    })
  }

  /** Runs argv on the board and collects its output (small outputs only). */
  async exec(argv: string[], signal?: AbortSignal): Promise<ExecResult> {
    const channel = await this.spawn(argv)
    return new Promise((resolve, reject) => {
      const out: Buffer[] = []
      const err: Buffer[] = []
      let code: number | null = null
      const onAbort = (): void => {
        channel.close()
        reject(new StudioError('CANCELLED', 'Cancelled'))
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      const unsubscribe = this.onLost((e) => reject(e))
      channel.on('data', (d: Buffer) => out.push(d))
      channel.stderr.on('data', (d: Buffer) => err.push(d))
      channel.on('exit', (c: number | null) => {
        code = c
      })
      channel.on('close', () => {
        signal?.removeEventListener('abort', onAbort)
        unsubscribe()
        resolve({
          code,
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
        })
      })
    })
  }

  /** The connection's SFTP session, opened on first use and again after one was closed. */
  async sftp(): Promise<SFTPWrapper> {
    if (this.closedError) throw this.closedError
    const cached = this.sftpPromise ? await this.sftpPromise.catch(() => null) : null
    if (cached && !closedSessions.has(cached)) return cached
    const fresh = new Promise<SFTPWrapper>((resolve, reject) => {
      this.client.sftp((err, sftp) => {
        if (!err) {
          sftp.on('close', () => closedSessions.add(sftp))
          return resolve(sftp)
        }
        reject(
          new StudioError(
            'DEVICE_ERROR',
            `The board's SSH server offers no SFTP (${err.message}); enable the sftp subsystem in its sshd_config.`,
            { cause: err },
          ),
        )
      })
    })
    this.sftpPromise = fresh
    fresh.catch(() => {
      if (this.sftpPromise === fresh) this.sftpPromise = null
    })
    return fresh
  }

  end(): void {
    this.closedError ??= new StudioError(
      'DEVICE_UNREACHABLE',
      `The connection to ${where(this.config)} was closed.`,
    )
    this.client.end()
  }
}
