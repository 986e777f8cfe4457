import {describe, expect, it} from 'vitest'
import {parseDevbind} from '../../src/parsers/devbind.js'
import {valueOf} from './helpers.js'

const section = (title: string, ...rows: string[]): string => `\n${title}\n${'='.repeat(title.length)}\n${rows.join('\n')}\n`

describe('parseDevbind', () => {
  it('reads empty if= and unused=, comma lists and *Active*', () => {
    const devices = valueOf(
      parseDevbind(
        section(
          'Network devices using kernel driver',
          "0000:00:03.0 'Virtio 1.0 network device 1041' if= drv=virtio-pci unused= ",
          "0000:41:00.0 'MT27800 Family [ConnectX-5] 1017' if=enp65s0f0np0,rep0 drv=mlx5_core unused=vfio-pci,uio_pci_generic *Active*",
        ),
      ),
    )
    expect(devices.map((d) => [d.ifnames, d.unused, d.active, d.driver])).toEqual([
      [[], [], false, 'virtio-pci'],
      [['enp65s0f0np0', 'rep0'], ['vfio-pci', 'uio_pci_generic'], true, 'mlx5_core'],
    ])
  })

  it('ignores devices of other classes (Crypto, Misc...) even when they follow the network sections', () => {
    const text =
      section('Network devices using DPDK-compatible driver', "0000:03:00.0 'E810 1592' drv=vfio-pci unused=ice") +
      section('Crypto devices using kernel driver', "0000:05:00.0 'QAT 37c8' drv=qat unused=") +
      section('Misc (rawdev) devices using kernel driver', "0000:00:02.0 'Virtio block 1042' drv=virtio-pci unused=") +
      section('Other Network devices', "0000:82:00.1 'X710 1572' unused=i40e")
    expect(valueOf(parseDevbind(text)).map((d) => [d.pci, d.section])).toEqual([
      ['0000:03:00.0', 'dpdk'],
      ['0000:82:00.1', 'other'],
    ])
  })

  it('reads "No \'X\' devices detected" headers as other classes and <none> rows as nothing', () => {
    const text = section("No 'Crypto' devices detected") + section('Other network devices', '<none>')
    expect(valueOf(parseDevbind(text))).toEqual([])
  })

  it('fails on empty output and on an error message', () => {
    expect(parseDevbind('').ok).toBe(false)
    expect(parseDevbind("Error: 'lspci' required but not found\n").ok).toBe(false)
  })
})
