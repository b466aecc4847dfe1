/**
 * The Config Test as a vendor extension (../qkm-extensions.ts): a library's path
 * diagnostics ask whether the server's keystore passes its integrity check. The check
 * reads every key record (worker threads on a large keystore), so it is answered on its
 * own, asynchronously, and never inside a batch's transaction: a request holding it must
 * hold nothing else.
 */
import { type Keystore, LIBRARY_NAME_PATTERN, checkKeystore } from '../../engine/index.js';
import { boundText } from '../../util/bounded-text.js';
import { echoOf, type ProtocolVersion, type RequestBatchItem, type RequestMessage, type ResponseBatchItem } from '../messages/index.js';
import { MAX_PROBLEMS_SENT, QkmOperation, QkmTag } from '../qkm-extensions.js';
import { ResultStatus, boolean, integer, textString } from '../ttlv/index.js';
import { OperationError, failureOf } from './errors.js';

/** Longest problem text sent back; the server's log and `check` have the rest. */
const PROBLEM_TEXT_MAX = 200;

export function isKeystoreCheck(request: RequestMessage): boolean {
  return request.batchItems.length === 1 && request.batchItems[0]!.operation === QkmOperation.CheckKeystore;
}

export async function keystoreCheckItem(item: RequestBatchItem, library: string, store: Keystore, version: ProtocolVersion): Promise<ResponseBatchItem> {
  try {
    if (!LIBRARY_NAME_PATTERN.test(library)) {
      throw new OperationError('BAD_LIBRARY', 'The Config Test answers tape libraries only, and this client certificate names none.', { params: { library } });
    }
    const report = await checkKeystore(store);
    return {
      ...echoOf(item),
      resultStatus: ResultStatus.Success,
      payload: [
        boolean(QkmTag.CheckPassed, report.problems.length === 0),
        integer(QkmTag.KeysChecked, report.keysChecked),
        integer(QkmTag.ProblemCount, report.problems.length),
        ...report.problems.slice(0, MAX_PROBLEMS_SENT).map((p) => textString(QkmTag.Problem, boundText(`${p.subject}: ${p.problem}`, PROBLEM_TEXT_MAX))),
      ],
    };
  } catch (e) {
    const failure = failureOf(e, version);
    return { ...echoOf(item), resultStatus: ResultStatus.OperationFailed, resultReason: failure.resultReason, resultMessage: failure.resultMessage };
  }
}
