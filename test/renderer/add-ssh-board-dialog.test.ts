// @vitest-environment happy-dom
/**
 * The "Add SSH board" dialog flow: fields → devices:addSsh → fingerprint confirmation → the same
 * request again trusting exactly that fingerprint; cancel sends nothing; errors show their code.
 */
import { flushPromises, mount } from '@vue/test-utils'
import PrimeVue from 'primevue/config'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { nextTick } from 'vue'
import type { AddSshDeviceRequest, DeviceSummary } from '../../common/api.js'
import { setBridge } from '../../renderer/src/api/index.js'
import AddSshBoardDialog from '../../renderer/src/components/AddSshBoardDialog.vue'
import { fakeBridge, type FakeBridge } from './fake-bridge.js'

const FP = 'SHA256:uN0bq2mJ3Oa8XyKfVd4yqk2cQG0W9zVYc1cQ0h6d3xE'
const device: DeviceSummary = {
  id: 2,
  name: 'pi4',
  kind: 'ssh',
  config: { host: '10.0.0.2', port: 22, user: 'pi', auth: 'key' },
  info: null,
  status: { state: 'online', since: '2026-01-01T00:00:00Z' },
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
}

function byTestId(id: string): HTMLElement | null {
  return document.body.querySelector(`[data-testid="${id}"]`)
}

async function type(id: string, value: string): Promise<void> {
  const input = document.body.querySelector<HTMLInputElement>(`#${id}`)
  if (!input) throw new Error(`no #${id}`)
  input.value = value
  input.dispatchEvent(new Event('input'))
  await nextTick()
}

async function mountDialog(bridge: FakeBridge) {
  setBridge(bridge)
  const w = mount(AddSshBoardDialog, {
    props: { visible: true, 'onUpdate:visible': (v: boolean) => w.setProps({ visible: v }) },
    global: { plugins: [PrimeVue] },
    attachTo: document.body,
  })
  await flushPromises()
  await type('ssh-name', 'pi4')
  await type('ssh-host', '10.0.0.2')
  await type('ssh-user', 'pi')
  await type('ssh-key', '/home/me/.ssh/id_ed25519')
  await type('ssh-passphrase', 'open sesame')
  return w
}

async function submit(): Promise<void> {
  byTestId('add-ssh-submit')?.click()
  await flushPromises()
}

afterEach(() => {
  setBridge(null)
  document.body.innerHTML = ''
})

describe('AddSshBoardDialog', () => {
  beforeEach(() => setActivePinia(createPinia()))
  it('asks to confirm the SHA256 fingerprint, then trusts exactly that key and adds the board', async () => {
    const bridge = fakeBridge({
      'devices:addSsh': (p) => {
        const req = p as AddSshDeviceRequest
        if (req.trustFingerprint !== FP)
          return { kind: 'needs-trust', host: req.host, port: req.port ?? 22, fingerprint: FP }
        return { kind: 'added', device, secrets: 'session' }
      },
    })
    const w = await mountDialog(bridge)
    expect(byTestId('secret-note')?.textContent).toMatch(/memory for this session only/)
    await submit()
    expect(bridge.calls).toHaveLength(1)
    expect(bridge.calls[0]?.payload).toEqual({
      name: 'pi4',
      host: '10.0.0.2',
      port: 22,
      user: 'pi',
      auth: 'key',
      keyPath: '/home/me/.ssh/id_ed25519',
      passphrase: 'open sesame',
    })
    expect(byTestId('fingerprint')?.textContent).toBe(FP)
    expect(byTestId('fingerprint-dialog')?.textContent).toContain('10.0.0.2:22')
    byTestId('fingerprint-trust')?.click()
    await flushPromises()
    expect(bridge.calls).toHaveLength(2)
    expect((bridge.calls[1]?.payload as AddSshDeviceRequest).trustFingerprint).toBe(FP)
    expect(w.emitted('added')?.[0]).toEqual([device])
    expect(w.emitted('update:visible')?.at(-1)).toEqual([false])
    w.unmount()
  })

  it('cancelling the fingerprint dialog sends nothing more and adds nothing', async () => {
    const bridge = fakeBridge({
      'devices:addSsh': () => ({ kind: 'needs-trust', host: '10.0.0.2', port: 22, fingerprint: FP }),
    })
    const w = await mountDialog(bridge)
    await submit()
    byTestId('fingerprint-cancel')?.click()
    await flushPromises()
    expect(byTestId('fingerprint')).toBeNull()
    expect(bridge.calls).toHaveLength(1)
    expect(w.emitted('added')).toBeUndefined()
    w.unmount()
  })

  it('shows a refused connection with its code and keeps the form open', async () => {
    const bridge = fakeBridge({
      'devices:addSsh': () => {
        throw Object.assign(new Error('root@10.0.0.2:22 refused the key'), { code: 'HOST_KEY_MISMATCH' })
      },
    })
    const w = await mountDialog(bridge)
    await submit()
    expect(byTestId('error-notice')?.textContent).toContain('HOST_KEY_MISMATCH')
    expect(byTestId('add-ssh-form')).not.toBeNull()
    expect(w.emitted('added')).toBeUndefined()
    w.unmount()
  })
})
