/**
 * The QEMU guest's pure parts (no lab, no root): the cpio newc writer, module dependencies from
 * .modinfo, the guest control protocol's framing and quoting, the MSI-X choice per accelerator.
 */
import {execa} from 'execa'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {cpioNewc, GUEST_INIT, kernelConfig, modinfoDepends, moduleLoadOrder} from './initramfs.js'
import {msixVectors, parseGuestAnswer, qemuArgv, qemuPaths, shellLine} from './qemu.js'

describe('cpioNewc', () => {
  it('writes newc headers, 4-byte alignment and the trailer', () => {
    const buf = cpioNewc([
      {name: 'bin', kind: 'dir', mode: 0o755},
      {name: 'bin/x', kind: 'file', mode: 0o755, data: Buffer.from('hello')},
      {name: 'bin/sh', kind: 'symlink', mode: 0o777, data: Buffer.from('busybox')},
    ])
    expect(buf.length % 4).toBe(0)
    expect(buf.subarray(0, 6).toString()).toBe('070701')
    const text = buf.toString('latin1')
    expect(text).toContain('bin/x\0')
    expect(text).toContain('hello')
    expect(text.endsWith('\0')).toBe(true)
    expect(text).toContain('TRAILER!!!\0')
    // the file's header: mode 0100755, size 5, namesize 6 ("bin/x\0")
    const at = text.indexOf('bin/x\0') - 110
    const field = (i: number) => Number.parseInt(text.slice(at + 6 + i * 8, at + 14 + i * 8), 16)
    expect(field(1)).toBe(0o100755)
    expect(field(6)).toBe(5)
    expect(field(11)).toBe(6)
  })

  it('is read back by GNU cpio when it is installed (else by the header walk above)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dd-cpio-'))
    const archive = path.join(dir, 'a.cpio')
    fs.writeFileSync(archive, cpioNewc([{name: 'd', kind: 'dir', mode: 0o755}, {name: 'd/f', kind: 'file', mode: 0o644, data: Buffer.from('abc\n')}]))
    const r = await execa('cpio', ['-t', '-F', archive], {reject: false})
    if (r.exitCode === 0 || !String(r.shortMessage ?? '').includes('ENOENT')) expect(String(r.stdout).split('\n')).toEqual(['d', 'd/f'])
    fs.rmSync(dir, {recursive: true, force: true})
  })
})

describe('kernel modules', () => {
  it('reads depends= from .modinfo', () => {
    const ko = Buffer.concat([Buffer.from('\x7fELF....'), Buffer.from('\0license=GPL\0depends=virtio_ring,virtio,net_failover\0intree=Y\0')])
    expect(modinfoDepends(ko)).toEqual(['virtio_ring', 'virtio', 'net_failover'])
    expect(modinfoDepends(Buffer.from('\0depends=\0'))).toEqual([])
    expect(modinfoDepends(Buffer.from('no modinfo'))).toEqual([])
  })

  it('orders modules dependencies first and fails on a missing one', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dd-mods-'))
    const mod = (rel: string, deps: string) => {
      fs.mkdirSync(path.dirname(path.join(root, rel)), {recursive: true})
      fs.writeFileSync(path.join(root, rel), Buffer.from(`\0depends=${deps}\0`))
    }
    mod('drivers/net/virtio_net.ko', 'virtio_ring,virtio,net_failover')
    mod('drivers/net/net_failover.ko', 'failover')
    mod('net/core/failover.ko', '')
    mod('drivers/virtio/virtio.ko', '')
    mod('drivers/virtio/virtio_ring.ko', '')
    const order = moduleLoadOrder(root, ['virtio_net']).map((f) => path.basename(f, '.ko'))
    expect(order).toEqual(['virtio_ring', 'virtio', 'failover', 'net_failover', 'virtio_net'])
    expect(() => moduleLoadOrder(root, ['virtio_blk'])).toThrow(/virtio_blk not found/)
    fs.rmSync(root, {recursive: true, force: true})
  })

  it('reads =y/=m from the kernel config, n when absent', () => {
    expect(kernelConfig('CONFIG_VIRTIO=m\nCONFIG_SERIAL_8250=y\n# CONFIG_X is not set\n', ['CONFIG_VIRTIO', 'CONFIG_SERIAL_8250', 'CONFIG_X']))
      .toEqual({CONFIG_VIRTIO: 'm', CONFIG_SERIAL_8250: 'y', CONFIG_X: 'n'})
  })
})

describe('guest control protocol', () => {
  it('finds one answer by its id among others and decodes it', () => {
    const b64 = Buffer.from('Features for eth0:\ntcp-segmentation-offload: off\n').toString('base64')
    const other = `@@LAB-BEGIN aaaa@@\n${Buffer.from('x').toString('base64')}\n@@LAB-END aaaa 0@@\n`
    const mine = `\n@@LAB-BEGIN b1b2@@\n${b64.slice(0, 20)}\n${b64.slice(20)}\n@@LAB-END b1b2 3@@\n`
    expect(parseGuestAnswer(other + mine, 'b1b2')).toEqual({exitCode: 3, output: 'Features for eth0:\ntcp-segmentation-offload: off\n'})
    expect(parseGuestAnswer(other + mine.slice(0, 30), 'b1b2')).toBeNull()
  })

  it('quotes argv for the guest\'s sh', () => {
    expect(shellLine(['ethtool', '-k', 'eth0'])).toBe('ethtool -k eth0')
    expect(shellLine(['sh', '-c', "echo 'a b'; exit 3"])).toBe(`sh -c 'echo '\\''a b'\\''; exit 3'`)
  })

  it('the guest init answers with begin/end markers and the exit status', () => {
    expect(GUEST_INIT).toContain('@@LAB-BEGIN %s@@')
    expect(GUEST_INIT).toContain('@@LAB-END %s %s@@')
    expect(GUEST_INIT.startsWith('#!/bin/busybox sh\n')).toBe(true)
  })
})

describe('qemu argv', () => {
  const kernel = {pkg: 'linux-image-6.1.0-57-amd64', release: '6.1.0-57-amd64', vmlinuz: '/c/vmlinuz', config: '/c/config', modules: []}
  const spec = (accel: 'kvm' | 'tcg') => ({accel, queues: 2, vcpus: 2, memMiB: 512, vhostSock: '/r/vhost-user1', kernel, paths: qemuPaths('/r', '/l'), ip: '10.10.1.10/24', gw: null})

  it('vhost-user server with N queues, mq, shared memfd memory on the NUMA node', () => {
    const a = qemuArgv(spec('tcg')).join(' ')
    expect(a).toContain('-chardev socket,id=vhu0,path=/r/vhost-user1,server=on,wait=off')
    expect(a).toContain('-netdev vhost-user,id=net0,chardev=vhu0,queues=2')
    expect(a).toContain('mq=on')
    expect(a).toContain('-object memory-backend-memfd,id=mem0,size=512M,share=on -numa node,memdev=mem0')
    expect(a).toContain('-accel tcg')
    expect(a).toContain('lab.ip=10.10.1.10/24 lab.gw=none')
  })

  it('MSI-X vectors 2N+2 on KVM, none on TCG (QEMU 7.2 segfaults in msix_set_vector_notifiers there)', () => {
    expect(msixVectors('kvm', 2)).toBe(6)
    expect(msixVectors('tcg', 2)).toBe(0)
    expect(qemuArgv(spec('kvm')).join(' ')).toContain('vectors=6')
    expect(qemuArgv(spec('kvm')).join(' ')).toContain('-accel kvm')
  })
})
