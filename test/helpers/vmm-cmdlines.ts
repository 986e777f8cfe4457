/**
 * Published VMM command lines (argv as /proc/<pid>/cmdline splits them), for the ps-vmm parser and rule tests. Origins:
 * - CH_OVS_DPDK: a cloud-hypervisor + OVS-DPDK notes README in the code corpus (file id 6724395210, the
 *   seed's setup: 8 vCPUs, num_queues=16); the repository is not named by the index.
 * - CH_VIRSHLE: a cloud-hypervisor + dpdkvhostuserclient script (corpus file id 3889195547): boot=1, num_queues=4.
 * - QEMU_OVS_DOC: openvswitch/ovs Documentation/topics/dpdk vhost-user multiqueue example (corpus file id 473812874).
 * - QEMU_SMALL: a QEMU vhost-user client-mode script (corpus file id 26276529913): -smp 2, queues=4.
 * Read, not copied: the command lines are retyped as argv arrays.
 */
export const CH_OVS_DPDK = ['cloud-hypervisor', '--cpus', 'boot=8', '--memory', 'size=4096M,hugepages=on,shared=true', '--kernel', '/tmp/vmlinux.bin',
  '--cmdline', 'console=ttyS0 console=hvc0 root=/dev/vda1 rw', '--disk', 'path=/tmp/focal-server-cloudimg-amd64.raw', 'path=/tmp/cloudinit-vm0.img',
  '--net', 'mac=52:54:00:02:d9:01,vhost_user=true,socket=/tmp/vhost-user1,num_queues=16,vhost_mode=server']
export const CH_VIRSHLE = ['/usr/bin/cloud-hypervisor', '--api-socket', '/var/lib/virshle/vm/test/ch.sock', '--kernel', '/run/cloud-hypervisor/hypervisor-fw',
  '--disk', 'path=os', '--cpus', 'boot=1', '--memory', 'size=2048M,hugepages=on,shared=true', '--console', 'off', '--serial', 'tty',
  '--net', 'vhost_user=true,socket=/tmp/vhost-user1,num_queues=4,vhost_mode=server']
export const QEMU_OVS_DOC = ['qemu-system-x86_64', '-cpu', 'host', '-smp', '2,cores=2', '-m', '4096M', '-drive', 'file=/tmp/vm.qcow2', '--enable-kvm',
  '-chardev', 'socket,id=char1,path=/usr/local/var/run/openvswitch/dpdkvhostuser0',
  '-netdev', 'type=vhost-user,id=mynet1,chardev=char1,vhostforce,queues=2', '-device', 'virtio-net-pci,mac=00:00:00:00:00:01,netdev=mynet1,mq=on,vectors=6']
export const QEMU_SMALL = ['qemu-system-x86_64', '-hda', 'ubuntu1810.qcow', '-m', '4096', '-cpu', 'host,+x2apic', '-enable-kvm',
  '-chardev', 'socket,id=char1,path=/tmp/vhost,server', '-netdev', 'type=vhost-user,id=mynet1,chardev=char1,vhostforce,queues=4',
  '-device', 'virtio-net-pci,mac=00:00:00:00:00:01,netdev=mynet1,mq=on,vectors=10,mrg_rxbuf=on,rx_queue_size=1024',
  '-object', 'memory-backend-file,id=mem,size=4096M,mem-path=/dev/hugepages,share=on', '-numa', 'node,memdev=mem', '-mem-prealloc', '-smp', '2', '-nographic']

