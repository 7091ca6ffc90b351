// @vitest-environment happy-dom
/**
 * The "Add serial board" form: the port picker shows the engine's ports (and the scan note), a path
 * can be typed by hand, defaults are 115200 8N1, and saving sends one devices:add-serial request;
 * a board that does not answer is saved with the reason shown.
 */
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import PrimeVue from 'primevue/config'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { AddSerialRequest, DeviceSummary, PortListing } from '../../common/api.js'
import { setBridge } from '../../renderer/src/api/index.js'
import AddSerialBoardDialog from '../../renderer/src/components/AddSerialBoardDialog.vue'
import { fakeBridge, type FakeBridge } from './fake-bridge.js'

const PORTS: PortListing = {
  ports: [],
  source: 'scan',
  note: 'Listing ports with serialport failed (udevadm not found); scanned /dev/ttyUSB*, /dev/ttyACM*, /dev/tty.usb* instead.',
}

function device(name: string): DeviceSummary {
  return {
    id: 2,
    name,
    kind: 'serial',
    config: {},
    info: null,
    status: { state: 'unknown' },
    createdAt: '',
    updatedAt: '',
  }
}

let bridge: FakeBridge
let probeError: { code: 'TIMEOUT'; message: string } | null = null

beforeEach(() => {
  setActivePinia(createPinia())
  probeError = null
  bridge = fakeBridge({
    'ports:list': () => PORTS,
    'models:list': () => [],
    'datasets:list': () => [],
    'devices:add-serial': (p) => ({ device: device((p as AddSerialRequest).name), probeError }),
  })
  setBridge(bridge)
})
afterEach(() => {
  document.body.innerHTML = ''
})

async function open() {
  const w = mount(AddSerialBoardDialog, {
    props: { visible: true },
    global: { plugins: [PrimeVue], stubs: { teleport: true } },
    attachTo: document.body,
  })
  await flushPromises()
  return w
}

async function fill(w: Awaited<ReturnType<typeof open>>): Promise<void> {
  await w.find('[data-testid="serial-name"]').setValue('nucleo')
  await w.find('#serial-port').setValue('/dev/ttyACM7')
  await flushPromises()
}

describe('AddSerialBoardDialog', () => {
  it('lists ports from the engine and shows why it scanned instead', async () => {
    const w = await open()
    expect(bridge.calls.map((c) => c.channel)).toContain('ports:list')
    expect(w.find('[data-testid="ports-note"]').text()).toMatch(/scanned \/dev\/ttyUSB\*/)
    w.unmount()
  })

  it('cannot be saved until it has a name and a port', async () => {
    const w = await open()
    expect(w.find('[data-testid="serial-save"]').attributes('disabled')).toBeDefined()
    await fill(w)
    expect(w.find('[data-testid="serial-save"]').attributes('disabled')).toBeUndefined()
    w.unmount()
  })

  it('sends a typed path with 115200 8N1 defaults, emits the device and closes', async () => {
    const w = await open()
    await fill(w)
    await w.find('[data-testid="add-serial-form"]').trigger('submit')
    await flushPromises()
    const call = bridge.calls.find((c) => c.channel === 'devices:add-serial')
    expect(call?.payload).toEqual({
      name: 'nucleo',
      path: '/dev/ttyACM7',
      baudRate: 115200,
      dataBits: 8,
      parity: 'none',
      stopBits: 1,
      windowSeconds: 10,
    })
    expect(w.emitted('added')?.[0]?.[0]).toMatchObject({ name: 'nucleo', kind: 'serial' })
    expect(w.emitted('update:visible')?.at(-1)).toEqual([false])
    w.unmount()
  })

  it('keeps the dialog open with the reason when the board did not answer', async () => {
    probeError = { code: 'TIMEOUT', message: 'No m-ready within 2 s — wrong baud rate?' }
    const w = await open()
    await fill(w)
    await w.find('[data-testid="add-serial-form"]').trigger('submit')
    await flushPromises()
    expect(w.find('[data-testid="probe-warning"]').text()).toMatch(/wrong baud rate/)
    expect(w.emitted('update:visible')).toBeUndefined()
    w.unmount()
  })
})
