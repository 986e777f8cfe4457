/** Parser registry: base source id -> parser (see src/collect/sources.ts for the ids). */

import {baseSourceId, sourceInstance} from '../capture/types.js'
import {parseDevbind} from './devbind.js'
import {parseDpctlShow, parseDpifShow} from './dpctl.js'
import {parseEthtoolInfo} from './ethtool.js'
import {parseFdbShow} from './fdb.js'
import {parseIpAddr, parseIpLink, parseIpRoute} from './ip.js'
import {isIpLinkText, isIpRouteText, parseIpAddrText, parseIpLinkText, parseIpRouteText} from './ip-text.js'
import {parseIperf3} from './iperf3.js'
import {parseOfctlPorts, parseOfctlShow} from './ofctl.js'
import {parseBridges, parseInterfaces, parseOpenVswitch, parseOvsdbMap, parsePorts} from './ovsdb.js'
import {isOvsdbListText, parseBridgesText, parseInterfacesText, parseOpenVswitchText, parsePortsText} from './ovsdb-text.js'
import {parsePmdPerf, parsePmdRxq, parsePmdStats} from './pmd.js'
import {parseCmdline, parseMeminfo} from './proc.js'
import {parsePsVmm} from './ps-vmm.js'
import {parseSysctl} from './sysctl.js'
import {parseSysfsNet, parseSysfsStats} from './sysfs.js'
import type {ParseResult} from './types.js'

export type SourceParser = (text: string, instance: string | null) => ParseResult<unknown>

export const PARSERS: Record<string, SourceParser> = {
  // ip and ovs-vsctl sources come as JSON (capture) or as text (sosreports); the output tells which.
  'ip-addr': (text) => (isIpLinkText(text) ? parseIpAddrText(text) : parseIpAddr(text)),
  'ip-route': (text) => (isIpRouteText(text) ? parseIpRouteText(text) : parseIpRoute(text)),
  'ip-link': (text) => (isIpLinkText(text) ? parseIpLinkText(text) : parseIpLink(text)),
  'sysctl-net': (text) => parseSysctl(text),
  'sysfs-net': (text) => parseSysfsNet(text),
  'sysfs-stats': (text) => parseSysfsStats(text),
  'ovsdb-open_vswitch': (text) => (isOvsdbListText(text) ? parseOpenVswitchText(text) : parseOpenVswitch(text)),
  'ovsdb-bridge': (text) => (isOvsdbListText(text) ? parseBridgesText(text) : parseBridges(text)),
  'ovsdb-port': (text) => (isOvsdbListText(text) ? parsePortsText(text) : parsePorts(text)),
  'ovsdb-interface': (text) => (isOvsdbListText(text) ? parseInterfacesText(text) : parseInterfaces(text)),
  'dpif-show': (text) => parseDpifShow(text),
  'dpctl-show': (text) => parseDpctlShow(text),
  'pmd-stats': (text) => parsePmdStats(text),
  'pmd-perf': (text) => parsePmdPerf(text),
  'pmd-rxq': (text) => parsePmdRxq(text),
  fdb: (text, bridge) => parseFdbShow(text, bridge),
  'ofctl-show': (text) => parseOfctlShow(text),
  'ofctl-ports': (text) => parseOfctlPorts(text),
  devbind: (text) => parseDevbind(text),
  'ethtool-i': (text) => parseEthtoolInfo(text),
  meminfo: (text) => parseMeminfo(text),
  cmdline: (text) => parseCmdline(text),
  'ps-vmm': (text) => parsePsVmm(text),
}

/**
 * Parsers for outputs that are not snapshot sources: the load's iperf3 JSON and the text OVSDB map of
 * `ovs-vsctl get ...`. Kept apart so PARSERS stays exactly the source ids.
 */
export const OTHER_PARSERS: Record<string, SourceParser> = {
  iperf3: (text) => parseIperf3(text),
  'ovsdb-map': (text) => parseOvsdbMap(text),
}

/** Parses the stdout of a source by its full id ("fdb.ovsbr0" -> fdb parser with instance "ovsbr0"). */
export function parseSource(id: string, text: string): ParseResult<unknown> {
  const parser = PARSERS[baseSourceId(id)]
  if (parser === undefined) return {ok: false, error: `no parser for ${id}`}
  return parser(text, sourceInstance(id))
}

export {
  parseBridges,
  parseCmdline,
  parseDevbind,
  parseDpctlShow,
  parseDpifShow,
  parseEthtoolInfo,
  parseFdbShow,
  parseInterfaces,
  parseIpAddr,
  parseIperf3,
  parseIpLink,
  parseIpRoute,
  parseMeminfo,
  parseOfctlPorts,
  parseOfctlShow,
  parseOpenVswitch,
  parseOvsdbMap,
  parsePmdPerf,
  parsePmdRxq,
  parsePmdStats,
  parsePorts,
  parseSysctl,
  parseSysfsNet,
  parseSysfsStats,
}
export {parseOvsdbTable} from './ovsdb.js'
export {parseIpAddrText, parseIpLinkText, parseIpRouteText} from './ip-text.js'
export {parseBridgesText, parseInterfacesText, parseOpenVswitchText, parsePortsText} from './ovsdb-text.js'
