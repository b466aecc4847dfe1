import { randomBytes } from 'node:crypto';

/** What the engine takes from the outside world, so tests can fix time and chance. */
export interface World {
  now(): number;
  randomBytes(n: number): Buffer;
}

export const realWorld: World = {
  now: () => Date.now(),
  randomBytes: (n) => randomBytes(n),
};
