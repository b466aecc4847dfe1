import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reconcile } from '../../src/agent/reconcile.js';
import type { KeyEngine } from '../../src/engine/key-engine.js';
import { worded } from '../../src/ras/ticket-catalogue.js';
import { openEngine, removeDir, tempDir, testWorld } from '../helpers/engine.js';

let dir: string;
let engine: KeyEngine;
let world: ReturnType<typeof testWorld>;
beforeEach(() => {
  dir = tempDir('qkm-reconcile-');
  world = testWorld();
  engine = openEngine(dir, {}, world);
});
afterEach(() => {
  engine.store.close();
  removeDir(dir);
});

const missing = { condition: 'hw:disk-missing:bay1', severity: 'error' as const, text: 'Bay 1 is empty; insert a disk.', wording: worded('disk-missing', { bay: 1, lastSerial: null }) };
const hot = { condition: 'hw:temperature-high:bay0', severity: 'warning' as const, text: 'Too hot; check the fans.', wording: worded('temperature-high', { bay: 0, serial: 'S0', temperatureC: 61 }) };

describe('ticket reconciliation', () => {
  it('opens once, closes when the condition clears, keeps history, and reopens a new ticket next time', () => {
    expect(reconcile(engine.tickets, [missing])).toEqual({ opened: ['hw:disk-missing:bay1'], closed: [] });
    world.advance(1000);
    expect(reconcile(engine.tickets, [missing])).toEqual({ opened: [], closed: [] });
    expect(reconcile(engine.tickets, [missing, hot]).opened).toEqual(['hw:temperature-high:bay0']);
    world.advance(1000);
    expect(reconcile(engine.tickets, [hot])).toEqual({ opened: [], closed: ['hw:disk-missing:bay1'] });
    expect(reconcile(engine.tickets, [missing, hot]).opened).toEqual(['hw:disk-missing:bay1']);
    const all = engine.tickets.list();
    expect(all.map((t) => [t.condition, t.open])).toEqual([
      ['hw:disk-missing:bay1', false],
      ['hw:temperature-high:bay0', true],
      ['hw:disk-missing:bay1', true],
    ]);
    expect(all[0]!.closedAt! - all[0]!.openedAt).toBe(2000);
    // Stored with its kind and parameters, for a front end to word it its own way.
    expect([all[1]!.kind, all[1]!.params, all[1]!.text]).toEqual(['temperature-high', { bay: 0, serial: 'S0', temperatureC: 61 }, 'Too hot; check the fans.']);
  });

  it('leaves other subsystems\' tickets alone', () => {
    engine.tickets.open('backup-needed', 'warning', 'Take a backup.');
    reconcile(engine.tickets, []);
    expect(engine.tickets.list({ openOnly: true }).map((t) => t.condition)).toEqual(['backup-needed']);
  });

  it('a blind agent opens but never closes', () => {
    reconcile(engine.tickets, [missing]);
    expect(reconcile(engine.tickets, [], false)).toEqual({ opened: [], closed: [] });
    expect(engine.tickets.list({ openOnly: true })).toHaveLength(1);
  });
});
