import type { ServerResponse } from 'node:http';
import { type StatusDocument, sameStatus } from '../status/document.js';
import { statusBody } from './status-view.js';

/** How often the document is drawn again while someone watches (the agent's passes also trigger it at once). */
const LOOK_EVERY_MS = 2_000;
/** A ping at this interval tells the page qkmd still answers even when nothing changes. */
const PING_EVERY_MS = 10_000;

/**
 * The page's server-sent events: each watcher gets the body as it is when it connects,
 * then again whenever the status document says something new (`status`), and a `ping`
 * every 10 s. Nothing is drawn while no one watches.
 */
export class StatusFeed {
  private readonly watchers = new Set<ServerResponse>();
  private last: StatusDocument | null = null;
  private timers: NodeJS.Timeout[] = [];

  constructor(private readonly document: () => StatusDocument, private readonly onError: (e: unknown) => void) {}

  get watching(): number {
    return this.watchers.size;
  }

  watch(res: ServerResponse): void {
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    res.write('retry: 2000\n\n');
    this.watchers.add(res);
    res.on('close', () => {
      this.watchers.delete(res);
      if (this.watchers.size === 0) this.stopTimers();
    });
    if (this.timers.length === 0) {
      this.timers = [setInterval(() => this.look(), LOOK_EVERY_MS), setInterval(() => this.send('ping', `{"at":${Date.now()}}`), PING_EVERY_MS)];
    }
    const doc = this.draw();
    if (doc) res.write(event('status', message(doc)));
  }

  /** Draws the document again and sends it if it says something new (the agent calls this after each pass). */
  look(): void {
    if (this.watchers.size === 0) return;
    const before = this.last;
    const doc = this.draw();
    if (doc && (!before || !sameStatus(before, doc))) this.send('status', message(doc));
  }

  close(): void {
    this.stopTimers();
    for (const w of this.watchers) w.end();
    this.watchers.clear();
  }

  private draw(): StatusDocument | null {
    try {
      this.last = this.document();
      return this.last;
    } catch (e) {
      this.onError(e);
      return null;
    }
  }

  private send(name: string, data: string): void {
    const text = event(name, data);
    for (const w of this.watchers) w.write(text);
  }

  private stopTimers(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }
}

const message = (doc: StatusDocument) => JSON.stringify({ at: doc.at, html: statusBody(doc) });
const event = (name: string, data: string) => `event: ${name}\ndata: ${data}\n\n`;
