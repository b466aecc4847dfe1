import { Readable } from 'node:stream';
import type { IsoSource } from './source.js';

/** Bytes per read of a file's data: large enough for full speed, small enough to hold two. */
export const DATA_CHUNK = 1024 * 1024;

export interface StreamPlan {
  extents: readonly { position: number; length: number }[];
  /** The error for bytes that end before the extent does (a truncated image), given where they ended. */
  cutShort(at: number): Error;
}

/**
 * A file's bytes, extent after extent, by positional reads. A Readable of its own rather
 * than one made from an async generator: Node reads ahead up to the high-water mark by
 * itself, so the next megabyte is on its way while the caller hashes this one.
 */
export class ExtentStream extends Readable {
  private plan: StreamPlan | null = null;
  private extent = 0;
  private offset = 0;

  constructor(
    private readonly src: IsoSource,
    private readonly open: () => Promise<StreamPlan>,
  ) {
    super({ highWaterMark: 2 * DATA_CHUNK });
  }

  override _construct(callback: (error?: Error | null) => void): void {
    this.open().then(
      (plan) => {
        this.plan = plan;
        callback();
      },
      (e: Error) => callback(e),
    );
  }

  override _read(): void {
    const plan = this.plan!;
    while (this.extent < plan.extents.length && this.offset >= plan.extents[this.extent]!.length) {
      this.extent++;
      this.offset = 0;
    }
    const e = plan.extents[this.extent];
    if (!e) {
      this.push(null);
      return;
    }
    const length = Math.min(DATA_CHUNK, e.length - this.offset);
    const position = e.position + this.offset;
    this.offset += length;
    const buf = Buffer.allocUnsafe(length);
    this.src.readInto(buf, position).then(
      (got) => (got < length ? this.destroy(plan.cutShort(position + got)) : this.push(buf)),
      (err: Error) => this.destroy(err),
    );
  }
}
