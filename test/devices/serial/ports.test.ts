import { describe, expect, it } from 'vitest'
import { listPorts } from '../../../devices/serial/ports.js'

describe('listPorts', () => {
  it("maps serialport's list, dropping entries without a path", async () => {
    const r = await listPorts(async () => [
      {
        path: '/dev/ttyACM0',
        manufacturer: 'STMicroelectronics',
        serialNumber: '066B',
        vendorId: '0483',
        productId: '374b',
      },
      { path: '', manufacturer: 'ghost' },
    ])
    expect(r).toEqual({
      source: 'serialport',
      note: null,
      ports: [
        {
          path: '/dev/ttyACM0',
          manufacturer: 'STMicroelectronics',
          serialNumber: '066B',
          vendorId: '0483',
          productId: '374b',
        },
      ],
    })
  })

  it('falls back to scanning /dev names when the list fails, and says so', async () => {
    const r = await listPorts(async () => {
      throw new Error('spawn udevadm ENOENT')
    })
    expect(r.source).toBe('scan')
    expect(r.note).toMatch(
      /spawn udevadm ENOENT.*scanned \/dev\/ttyUSB\*, \/dev\/ttyACM\*, \/dev\/tty\.usb\*/,
    )
    for (const p of r.ports) expect(p.path).toMatch(/^\/dev\/(ttyUSB|ttyACM|tty\.usb|cu\.usb)/)
  })
})
