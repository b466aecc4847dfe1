/** Finding children in a decoded tree without caring where unknown tags sit among them. */
import type { ItemTypeName, TtlvItem, TtlvStructure } from './types.js';

export function isStructure(item: TtlvItem | undefined): item is TtlvStructure {
  return item?.type === 'Structure';
}

/** The first child with this tag; undefined when there is none or `parent` is not a Structure. */
export function findChild(parent: TtlvItem, tag: number): TtlvItem | undefined {
  if (parent.type !== 'Structure') return undefined;
  for (const child of parent.value) if (child.tag === tag) return child;
  return undefined;
}

/** Every child with this tag, in wire order. */
export function findChildren(parent: TtlvItem, tag: number): TtlvItem[] {
  if (parent.type !== 'Structure') return [];
  return parent.value.filter((child) => child.tag === tag);
}

/**
 * How many children have this tag. With findChild, reads a field that may appear at
 * most once without building an array per field (a request header has a dozen).
 */
export function countChildren(parent: TtlvItem, tag: number): number {
  if (parent.type !== 'Structure') return 0;
  let n = 0;
  for (const child of parent.value) if (child.tag === tag) n++;
  return n;
}

/** Follows first matches down a path of tags: `findPath(msg, Tag.RequestHeader, Tag.BatchCount)`. */
export function findPath(root: TtlvItem, ...tags: number[]): TtlvItem | undefined {
  let at: TtlvItem | undefined = root;
  for (const tag of tags) {
    if (at === undefined) return undefined;
    at = findChild(at, tag);
  }
  return at;
}

/** The first child with this tag only if it also has the expected type. */
export function findTyped<T extends ItemTypeName>(
  parent: TtlvItem,
  tag: number,
  type: T,
): Extract<TtlvItem, { type: T }> | undefined {
  const child = findChild(parent, tag);
  return child?.type === type ? (child as Extract<TtlvItem, { type: T }>) : undefined;
}
