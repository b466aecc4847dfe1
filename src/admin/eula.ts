import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { World } from '../engine/index.js';
import { writeFileDurable } from '../util/durable-file.js';
import { consoleDir } from './console-password.js';

/** Bumped when the licence's text changes in substance: a new version must be accepted again. */
export const LICENCE_VERSION = 1;

interface Acceptance {
  version: number;
  acceptedAt: string;
}

const acceptanceFile = (dataDir: string) => path.join(consoleDir(dataDir), 'licence-accepted.json');

/** When the administrator accepted this version of the licence, or undefined if not yet. */
export function licenceAcceptedAt(dataDir: string): string | undefined {
  if (!existsSync(acceptanceFile(dataDir))) return undefined;
  const a = JSON.parse(readFileSync(acceptanceFile(dataDir), 'utf8')) as Acceptance;
  return a.version === LICENCE_VERSION ? a.acceptedAt : undefined;
}

export function acceptLicence(dataDir: string, world: World): string {
  const acceptedAt = new Date(world.now()).toISOString();
  writeFileDurable(acceptanceFile(dataDir), `${JSON.stringify({ version: LICENCE_VERSION, acceptedAt } satisfies Acceptance)}\n`, 0o600);
  return acceptedAt;
}
