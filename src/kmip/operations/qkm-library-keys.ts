/**
 * The vendor extensions a tape library uses for its own key set (see ../qkm-extensions.ts):
 * asking the server to generate it when encryption is enabled on a partition or when the
 * set runs low, and asking how much of it is used. They act only for the library the
 * client certificate names, as every operation does (ctx.library refuses any other name).
 */
import { LIBRARY_CLASSES, type LibraryClass } from '../../engine/index.js';
import { QkmOperation, QkmTag } from '../qkm-extensions.js';
import { boolean, integer } from '../ttlv/index.js';
import type { RequestMessage } from '../messages/index.js';
import type { OperationSpec } from './context.js';
import { invalidField, requiredField } from './payload.js';

export const generateLibraryKeys: OperationSpec = {
  operation: QkmOperation.GenerateLibraryKeys,
  since: { major: 1, minor: 0 },
  mutates: true,
  run(payload, ctx) {
    const cls = requiredField(payload, QkmTag.LibraryClass, 'TextString');
    if (!(LIBRARY_CLASSES as readonly string[]).includes(cls)) {
      throw invalidField(`the library class must be one of ${LIBRARY_CLASSES.join(', ')}`);
    }
    const result = ctx.objects.engine.generate(ctx.library, cls as LibraryClass);
    return {
      payload: [
        boolean(QkmTag.Generated, result.generated),
        integer(QkmTag.KeyCount, result.generated ? result.count : result.unused),
      ],
    };
  },
};

/** A request that is a library's generation alone: answered once the peers hold the set (server-handler.ts). */
export function isLibraryGeneration(request: RequestMessage): boolean {
  return request.batchItems.length === 1 && request.batchItems[0]!.operation === QkmOperation.GenerateLibraryKeys;
}

export const keyUsage: OperationSpec = {
  operation: QkmOperation.KeyUsage,
  since: { major: 1, minor: 0 },
  mutates: false,
  run(_payload, ctx) {
    const usage = ctx.objects.engine.usage(ctx.library);
    return { payload: [integer(QkmTag.KeysTotal, usage.total), integer(QkmTag.KeysUsed, usage.used)] };
  },
};
