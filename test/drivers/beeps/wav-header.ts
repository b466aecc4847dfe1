/** A WAV header (PCM, 16-bit mono) claiming `dataBytes` of sound, as a recorder writes it before the sound. */
export function wavHeader(rate: number, dataBytes: number): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(Math.min(0xffffffff, 36 + dataBytes), 4);
  h.write('WAVEfmt ', 8, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

/**
 * Files a person might give for a recording that are none: text, an empty file, a WAV
 * of 0 seconds, 5 s of digital silence, and a 2-hour WAV (sparse: its header tells the
 * truth about its length, and the disk holds nothing), all written into `dir`.
 */
export async function writeBadRecordings(dir: string): Promise<Record<'notWav' | 'empty' | 'zero' | 'silence' | 'twoHours', string>> {
  const { promises: fs } = await import('node:fs');
  const path = await import('node:path');
  const files = {
    notWav: path.join(dir, 'notes.wav'),
    empty: path.join(dir, 'empty.wav'),
    zero: path.join(dir, 'zero.wav'),
    silence: path.join(dir, 'silence.wav'),
    twoHours: path.join(dir, 'two-hours.wav'),
  };
  await fs.writeFile(files.notWav, 'These are my notes about the server, not a recording.\n');
  await fs.writeFile(files.empty, '');
  await fs.writeFile(files.zero, wavHeader(8_000, 0));
  await fs.writeFile(files.silence, Buffer.concat([wavHeader(8_000, 80_000), Buffer.alloc(80_000)]));
  const twoHours = 2 * 3600 * 8_000 * 2;
  await fs.writeFile(files.twoHours, wavHeader(8_000, twoHours));
  await fs.truncate(files.twoHours, 44 + twoHours);
  return files;
}
