/** The cross-host rules (docs/multi-host.md), in report order. */
import type {CrossRule} from '../../src/cross/types.js'
import crossConfigConsistent from './cross-config-consistent.js'
import crossFdbSymmetric from './cross-fdb-symmetric.js'
import crossIdentityDistinct from './cross-identity-distinct.js'
import crossWireAccounting from './cross-wire-accounting.js'

export const CROSS_RULES: readonly CrossRule[] = [crossWireAccounting, crossFdbSymmetric, crossConfigConsistent, crossIdentityDistinct]
