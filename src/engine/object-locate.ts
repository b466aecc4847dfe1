/**
 * Locate: the objects of one library that satisfy every criterion. The plan is always an
 * index range: the most selective criterion picks the candidates (a Unique Identifier,
 * then an indexed attribute value, then a State, else the library's objects in order),
 * and each candidate is checked against the remaining criteria. Candidates come in key
 * order and the walk stops as soon as Offset + Maximum Items matches are found, so a
 * Locate by a tape's key identifier reads a handful of index entries, whatever the size
 * of the keystore.
 */
import type Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';
import { encodeValue } from './attribute-codec.js';
import { applicationKey, derivedAttributes, isKnownName, ruleFor, satisfies, searchKey } from './attributes.js';
import { FieldTag, isDestroyedState, type AttributeValue, type NewAttribute, type ObjectAttribute } from './object-model.js';
import { type ObjectRows, toManagedObject, type ObjectRow } from './object-rows.js';

export interface LocateQuery {
  /** Every criterion must hold; several of one name must each be met by some instance. */
  criteria: NewAttribute[];
  maxItems?: number;
  offsetItems?: number;
  /** Include destroyed objects (KMIP 2.x Storage Status Mask "destroyed storage"). */
  includeDestroyed?: boolean;
}

/** The most identifiers one Locate answers with, so that an answer always fits a response. */
export const LOCATE_CAP = 10_000;

type Source = { kind: 'uid'; uid: string } | { kind: 'exact'; name: string; type: string; key: string } | { kind: 'prefix'; name: string; prefix: string } | { kind: 'state'; state: number } | { kind: 'all' };

export class Locator {
  private readonly exact: Statement;
  private readonly prefix: Statement;
  private readonly byState: Statement;
  private readonly all: Statement;
  private readonly uid: Statement;

  constructor(db: Database.Database, private readonly rows: ObjectRows) {
    this.exact = db.prepare(
      'SELECT key_seq FROM attributes WHERE library_id = ? AND name = ? AND type = ? AND coalesce(search, value) = ? ORDER BY key_seq',
    ).pluck();
    this.prefix = db.prepare(
      "SELECT key_seq FROM attributes WHERE library_id = ? AND name = ? AND type = 'Structure' AND coalesce(search, value) >= ? AND coalesce(search, value) < ? ORDER BY key_seq",
    ).pluck();
    this.byState = db.prepare('SELECT key_seq FROM objects WHERE library_id = ? AND state = ? ORDER BY key_seq').pluck();
    this.all = db.prepare('SELECT key_seq FROM objects WHERE library_id = ? ORDER BY key_seq').pluck();
    this.uid = db.prepare('SELECT o.key_seq FROM keys k JOIN objects o ON o.key_seq = k.seq WHERE k.name = ? AND o.library_id = ?').pluck();
  }

  locate(library: string, query: LocateQuery): string[] {
    const libraryId = this.rows.libraryIdOf(library);
    if (libraryId === undefined) return [];
    // A criterion on an attribute this store never keeps cannot be met by any object.
    if (query.criteria.some((c) => !isKnownName(c.name))) return [];
    const offset = Math.max(0, query.offsetItems ?? 0);
    const max = Math.min(LOCATE_CAP, query.maxItems ?? LOCATE_CAP);
    if (max <= 0) return [];
    const includeDestroyed = query.includeDestroyed === true || query.criteria.some(
      (c) => c.name === 'State' && c.value.type === 'Enumeration' && isDestroyedState(c.value.value),
    );
    const groups = groupByName(query.criteria);
    const found: string[] = [];
    let skipped = 0;
    let last = -1;
    for (const seq of this.candidates(libraryId, pickSource(query.criteria))) {
      if (seq === last) continue; // two matching instances on one object
      last = seq;
      const row = this.rows.atSeq(seq);
      if (!row || row.library_id !== libraryId) continue;
      if (!includeDestroyed && isDestroyedState(row.state)) continue;
      if (!this.meets(row, groups)) continue;
      if (skipped < offset) { skipped++; continue; }
      found.push(row.uid);
      if (found.length >= max) break;
    }
    return found;
  }

  private *candidates(libraryId: number, source: Source): Iterable<number> {
    switch (source.kind) {
      case 'uid': {
        const seq = this.uid.get(source.uid, libraryId) as number | undefined;
        if (seq !== undefined) yield seq;
        return;
      }
      case 'exact':
        yield* this.exact.iterate(libraryId, source.name, source.type, source.key) as Iterable<number>;
        return;
      case 'prefix':
        yield* this.prefix.iterate(libraryId, source.name, source.prefix, nextPrefix(source.prefix)) as Iterable<number>;
        return;
      case 'state':
        yield* this.byState.iterate(libraryId, source.state) as Iterable<number>;
        return;
      default:
        yield* this.all.iterate(libraryId) as Iterable<number>;
    }
  }

  private meets(row: ObjectRow, groups: Map<string, AttributeValue[]>): boolean {
    let derived: ObjectAttribute[] | undefined;
    for (const [name, wanted] of groups) {
      const have = ruleFor(name).stored
        ? this.rows.storedAttributes(row.seq, name)
        : (derived ??= derivedAttributes(toManagedObject(row))).filter((a) => a.name === name);
      if (!meetsGroup(wanted, have.map((a) => a.value))) return false;
    }
    return true;
  }
}

function groupByName(criteria: NewAttribute[]): Map<string, AttributeValue[]> {
  const groups = new Map<string, AttributeValue[]>();
  for (const c of criteria) groups.set(c.name, [...(groups.get(c.name) ?? []), c.value]);
  return groups;
}

/** Two dates of one name are a range (KMIP Locate); otherwise each wanted value needs a matching instance. */
function meetsGroup(wanted: AttributeValue[], have: AttributeValue[]): boolean {
  const [a, b] = wanted;
  if (wanted.length === 2 && a?.type === 'DateTime' && b?.type === 'DateTime') {
    const [lo, hi] = a.value < b.value ? [a.value, b.value] : [b.value, a.value];
    return have.some((h) => h.type === 'DateTime' && h.value >= lo && h.value <= hi);
  }
  return wanted.every((w) => have.some((h) => satisfies(w, h)));
}

function pickSource(criteria: NewAttribute[]): Source {
  const uid = criteria.find((c) => c.name === 'Unique Identifier' && c.value.type === 'TextString');
  if (uid && uid.value.type === 'TextString') return { kind: 'uid', uid: uid.value.value };
  let prefix: Source | undefined;
  for (const c of criteria) {
    if (!ruleFor(c.name).stored) continue;
    const key = c.value.type === 'Structure' ? searchKey(c.name, c.value) : encodeValue(c.value);
    if (key !== null) return { kind: 'exact', name: c.name, type: c.value.type, key };
    const ns = namespaceOnly(c);
    if (ns !== undefined) prefix ??= { kind: 'prefix', name: c.name, prefix: applicationKey(ns, undefined) };
  }
  if (prefix) return prefix;
  const state = criteria.find((c) => c.name === 'State' && c.value.type === 'Enumeration');
  if (state && state.value.type === 'Enumeration') return { kind: 'state', state: state.value.value };
  return { kind: 'all' };
}

/** An Application Specific Information criterion that gives a namespace and no data. */
function namespaceOnly(c: NewAttribute): string | undefined {
  if (c.name !== 'Application Specific Information' || c.value.type !== 'Structure') return undefined;
  const ns = c.value.value.find((f) => f.tag === FieldTag.ApplicationNamespace);
  return ns?.type === 'TextString' ? ns.value : undefined;
}

/** The smallest string greater than every string that starts with `p` (p ends in NUL, so bump it). */
function nextPrefix(p: string): string {
  return `${p.slice(0, -1)}\u0001`;
}
