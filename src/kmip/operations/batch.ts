/**
 * Running the items of one request. Items run in order (which Batch Order Option "any
 * order" also allows), each through the operation table, sharing the ID Placeholder.
 *
 * A batch that changes anything runs as one keystore transaction, each item in its own
 * savepoint: a failed item leaves no trace, the batch costs one durable commit, and the
 * Batch Error Continuation Option can be honoured in full: Stop (the default) ends the
 * batch at the failed item and keeps what came before, Continue runs the rest, Undo
 * rolls back everything before the failed item and reports those items as undone.
 */
import { enumName } from '../ttlv/enums.js';
import { echoOf, formatVersion, type RequestBatchItem, type RequestMessage, type ResponseBatchItem } from '../messages/index.js';
import { BatchErrorContinuationOption, Operation, ResultReason, ResultStatus } from '../ttlv/index.js';
import type { ManagedObjects } from '../../engine/index.js';
import type { ClientRole } from '../../pki/client-role.js';
import { BatchIds, OperationContext, type OperationSpec, type ServerInfo } from './context.js';
import { OperationError, failureOf } from './errors.js';
import { OPERATIONS, operationFor } from './table.js';

export interface BatchLogger {
  info?(fields: Record<string, unknown>, msg: string): void;
  warn(fields: Record<string, unknown>, msg: string): void;
  error(fields: Record<string, unknown>, msg: string): void;
}

export interface BatchDeps {
  objects: ManagedObjects;
  server: ServerInfo;
  logger?: BatchLogger;
}

/** Operations whose result becomes the ID Placeholder: when they fail, there is none. */
const PRODUCERS: ReadonlySet<number> = new Set([Operation.Create, Operation.Register, Operation.Locate]);

interface Outcome {
  item: ResponseBatchItem;
  error?: unknown;
}

class UndoBatch extends Error {}

export function runBatch(request: RequestMessage, caller: { library: string; role?: ClientRole }, deps: BatchDeps): ResponseBatchItem[] {
  const version = request.header.protocolVersion;
  const option = request.header.batchErrorContinuationOption ?? BatchErrorContinuationOption.Stop;
  const library = caller.library;
  const ctx = new OperationContext(deps.objects, library, version, new BatchIds(), deps.server, caller.role ?? 'library', deps.logger);
  const mutating = request.batchItems.some((i) => operationFor(i.operation, version)?.mutates === true);
  const outcomes: Outcome[] = [];

  const runAll = (): void => {
    for (const item of request.batchItems) {
      const outcome = runItem(item, ctx, deps, library);
      outcomes.push(outcome);
      if (outcome.error === undefined || option === BatchErrorContinuationOption.Continue) continue;
      if (option === BatchErrorContinuationOption.Undo && mutating) throw new UndoBatch();
      break;
    }
  };

  if (!mutating) {
    runAll();
  } else {
    // An undone batch leaves the tickets of its refused Creates open: the engine sees to that.
    try {
      deps.objects.transaction(runAll);
    } catch (e) {
      if (!(e instanceof UndoBatch)) throw e;
    }
  }
  if (option === BatchErrorContinuationOption.Undo && outcomes.some((o) => o.error !== undefined)) {
    for (const o of outcomes) {
      // Undone, the item still says what it did before the rollback (its Unique Identifier ...), as KMIP asks.
      if (o.error === undefined) o.item = { ...echoOf(requestOf(o.item)), resultStatus: ResultStatus.OperationUndone, ...(o.item.payload !== undefined && { payload: o.item.payload }) };
    }
  }
  return outcomes.map((o) => o.item);
}

function runItem(item: RequestBatchItem, ctx: OperationContext, deps: BatchDeps, library: string): Outcome {
  const spec = operationFor(item.operation, ctx.version);
  try {
    if (!spec) throw notSupported(item.operation, ctx);
    const result = spec.mutates ? deps.objects.transaction(() => spec.run(item.payload, ctx)) : spec.run(item.payload, ctx);
    if (result.produced !== undefined) ctx.ids.produced(item.operation, result.produced);
    return { item: { ...echoOf(item), resultStatus: ResultStatus.Success, payload: result.payload } };
  } catch (e) {
    if (PRODUCERS.has(item.operation)) ctx.ids.produced(item.operation, null);
    const failure = failureOf(e, ctx.version);
    const fields = { library, operation: operationName(item.operation), reason: enumName(ResultReason, failure.resultReason), version: formatVersion(ctx.version) };
    if (failure.expected) deps.logger?.warn({ ...fields, message: failure.resultMessage }, 'KMIP operation refused');
    else deps.logger?.error({ ...fields, err: e instanceof Error ? e.message : String(e) }, 'KMIP operation failed');
    return {
      item: { ...echoOf(item), resultStatus: ResultStatus.OperationFailed, resultReason: failure.resultReason, resultMessage: failure.resultMessage },
      error: e,
    };
  }
}

function notSupported(operation: number, ctx: OperationContext): OperationError {
  const known = OPERATIONS.get(operation) as OperationSpec | undefined;
  const name = operationName(operation);
  return new OperationError('NOT_SUPPORTED', known
    ? `${name} does not exist in KMIP ${formatVersion(ctx.version)}; it came in ${formatVersion(known.since)}.`
    : `This server does not perform the operation ${name}.`, { params: { operation: name } });
}

export function operationName(operation: number): string {
  return enumName(Operation, operation) ?? `0x${operation.toString(16)}`;
}

/** The echo fields of a response item, to rebuild it as undone. */
function requestOf(item: ResponseBatchItem): Pick<RequestBatchItem, 'operation' | 'uniqueBatchItemId'> {
  return item.uniqueBatchItemId === undefined ? { operation: item.operation! } : { operation: item.operation!, uniqueBatchItemId: item.uniqueBatchItemId };
}
