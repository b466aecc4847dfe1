/**
 * Who is reading the drive, and who wants to hear of a change: the part every CD backend
 * shares. The drive is busy (and its activity LED on) while at least one read runs.
 */
export class DriveActivity {
  private readers = 0;
  private readonly listeners = new Set<() => void>();

  get busy(): boolean {
    return this.readers > 0;
  }

  enter(): void {
    if (this.readers++ === 0) this.emit();
  }

  leave(): void {
    if (--this.readers === 0) this.emit();
  }

  /** Runs `use` with the drive busy, however it ends. */
  async during<T>(use: () => Promise<T>): Promise<T> {
    this.enter();
    try {
      return await use();
    } finally {
      this.leave();
    }
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(): void {
    for (const l of [...this.listeners]) l();
  }

  clear(): void {
    this.listeners.clear();
  }
}
