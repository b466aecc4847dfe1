/**
 * The operations this server performs, one row each. An operation that is not here, or
 * not in the request's protocol version, is Operation Not Supported: adding one is adding
 * a row.
 */
import { compareVersions, type ProtocolVersion } from '../messages/index.js';
import { activate } from './activate.js';
import { addAttribute } from './add-attribute.js';
import { check } from './check.js';
import type { OperationSpec } from './context.js';
import { create } from './create.js';
import { deleteAttribute } from './delete-attribute.js';
import { destroy } from './destroy.js';
import { discoverVersions } from './discover-versions.js';
import { get } from './get.js';
import { getAttributeList } from './get-attribute-list.js';
import { getAttributes } from './get-attributes.js';
import { locate } from './locate.js';
import { modifyAttribute } from './modify-attribute.js';
import { interop } from './interop.js';
import { log } from './log.js';
import { makeQuery } from './query.js';
import { generateLibraryKeys, keyUsage } from './qkm-library-keys.js';
import { register } from './register.js';
import { revoke } from './revoke.js';

const ROWS: OperationSpec[] = [
  create,
  register,
  locate,
  check,
  get,
  getAttributes,
  getAttributeList,
  addAttribute,
  modifyAttribute,
  deleteAttribute,
  activate,
  revoke,
  destroy,
  makeQuery((ctx) => operationsIn(ctx.version)),
  discoverVersions,
  log,
  interop,
  generateLibraryKeys,
  keyUsage,
];

export const OPERATIONS: ReadonlyMap<number, OperationSpec> = new Map(ROWS.map((r) => [r.operation, r]));

/** The row for this operation in this version, if the server performs it there. */
export function operationFor(operation: number, version: ProtocolVersion): OperationSpec | undefined {
  const spec = OPERATIONS.get(operation);
  return spec && compareVersions(version, spec.since) >= 0 ? spec : undefined;
}

/** The first value of KMIP's extension range; operations from here on are qkm's own. */
const EXTENSION_OPERATIONS_FROM = 0x8000_0000;

/**
 * What Query answers for "operations": those available in the version asked in, in
 * enumeration order. qkm's vendor operations are left out: clients such as PyKMIP refuse
 * a Query answer holding an Operation value they do not know.
 */
export function operationsIn(version: ProtocolVersion): number[] {
  return [...OPERATIONS.values()].filter((s) => s.operation < EXTENSION_OPERATIONS_FROM && compareVersions(version, s.since) >= 0).map((s) => s.operation).sort((a, b) => a - b);
}
