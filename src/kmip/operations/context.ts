/**
 * What an operation is given and what it gives back. An operation reads its Request
 * Payload, calls the object store for the calling library, and returns the children of
 * its Response Payload; it never sees bytes, sockets or the batch around it.
 */
import { type ManagedObjects, LIBRARY_NAME_PATTERN } from '../../engine/index.js';
import type { ClientRole } from '../../pki/client-role.js';
import type { ProtocolVersion } from '../messages/index.js';
import { Tag, UniqueIdentifierEnum, countChildren, findChild, type TtlvItem, type TtlvStructure } from '../ttlv/index.js';
import { OperationError } from './errors.js';
import { invalidField } from './payload.js';
import { quoteClientValue } from '../../util/bounded-text.js';

export interface OperationLogger {
  info?(fields: Record<string, unknown>, msg: string): void;
}

export interface ServerInfo {
  vendor: string;
  productName: string;
  serverName: string;
  serialNumber: string;
  version: string;
}

/**
 * The ID Placeholder and, for 2.x, the identifiers each kind of operation produced
 * earlier in the batch (a Unique Identifier may be the enumeration "Create", "Locate"...).
 */
export class BatchIds {
  private placeholder: string | undefined;
  private readonly byOperation = new Map<number, string>();

  /** After an item: `id` is what it produced; null means it produced nothing (a failed Create, an empty Locate). */
  produced(operation: number, id: string | null): void {
    this.placeholder = id ?? undefined;
    if (id === null) this.byOperation.delete(operation);
    else this.byOperation.set(operation, id);
  }

  current(): string | undefined {
    return this.placeholder;
  }

  ofOperation(operation: number): string | undefined {
    return this.byOperation.get(operation);
  }
}

/** 2.x Unique Identifier enumerations that name an earlier operation's result, by that operation. */
const ENUM_TO_OPERATION: ReadonlyMap<number, number> = new Map([
  [UniqueIdentifierEnum.Create, 0x01],
  [UniqueIdentifierEnum.Register, 0x03],
  [UniqueIdentifierEnum.Locate, 0x08],
]);

export class OperationContext {
  constructor(
    readonly objects: ManagedObjects,
    private readonly caller: string,
    readonly version: ProtocolVersion,
    readonly ids: BatchIds,
    readonly server: ServerInfo,
    /** A tape library's Create takes its set's next key; a general client's mints one. */
    readonly role: ClientRole = 'library',
    /** Where Log and Interop write (qkmd's log, whose `audit` lines are the audit log). */
    readonly logger?: OperationLogger,
  ) {}

  /** The calling library, as its certificate names it. */
  get library(): string {
    if (!LIBRARY_NAME_PATTERN.test(this.caller)) {
      throw new OperationError('BAD_LIBRARY', `The client certificate names ${quoteClientValue(this.caller)}, which is not a library name this server can keep keys for.`, { params: { library: this.caller } });
    }
    return this.caller;
  }

  get v2(): boolean {
    return this.version.major >= 2;
  }

  /**
   * The object an item acts on: its Unique Identifier, or, when it gives none, the ID
   * Placeholder left by the item before (Create then Get, Locate then Get ...).
   */
  uniqueIdentifier(payload: TtlvStructure): string {
    const item: TtlvItem | undefined = findChild(payload, Tag.UniqueIdentifier);
    if (item === undefined) return this.placeholder();
    if (countChildren(payload, Tag.UniqueIdentifier) > 1) throw invalidField('Unique Identifier appears more than once');
    if (item.type === 'TextString') return item.value;
    if (item.type === 'Enumeration' && this.v2) {
      if (item.value === UniqueIdentifierEnum.IDPlaceholder) return this.placeholder();
      const operation = ENUM_TO_OPERATION.get(item.value);
      const id = operation === undefined ? undefined : this.ids.ofOperation(operation);
      if (id === undefined) throw new OperationError('NO_IDENTIFIER', 'The Unique Identifier names an earlier result that this batch does not have.');
      return id;
    }
    throw invalidField(`Unique Identifier must be a Text String, not ${item.type}`);
  }

  private placeholder(): string {
    const id = this.ids.current();
    if (id === undefined) {
      throw new OperationError('NO_IDENTIFIER', 'No Unique Identifier was given, and no earlier item of this batch produced one.');
    }
    return id;
  }
}

export interface OperationResult {
  /** Children of the Response Payload. */
  payload: TtlvItem[];
  /** The identifier this item leaves as the ID Placeholder (Create, Register, Locate); null clears it. */
  produced?: string | null;
}

export interface OperationSpec {
  operation: number;
  /** The first protocol version that has this operation. */
  since: ProtocolVersion;
  /** Changes the keystore: the batch runs in a transaction and this item in a savepoint. */
  mutates: boolean;
  run(payload: TtlvStructure, ctx: OperationContext): OperationResult;
}
