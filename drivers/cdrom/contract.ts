/**
 * The cdrom family: the appliance's one optical drive, from which software updates
 * come (an ISO on CD). The agent needs its state (the CD activity LED is on while the
 * drive is read); the update feature needs to open and close the tray and to read the
 * disc. Backends: Linux (linux.ts: /dev/sr0, udev, /proc/sys/dev/cdrom/info, `eject`),
 * an image file standing for the disc (image.ts), and the simulator (sim.ts). The files
 * on a disc are read by the ISO 9660 reader (src/update/iso9660) through `withImage`.
 *
 * "No disc" and "a disc is already in" are reported as DriverError BAY_EMPTY and
 * BAY_OCCUPIED: the tray is a slot like a disk bay, and the shared error codes are
 * what callers and the control socket already know.
 */

/** What is known of the disc in the drive. */
export interface CdMedia {
  /** The ISO 9660 volume label (e.g. "QKM_2_4_0"), or null for a disc without one. */
  label: string | null;
  sizeBytes: number | null;
}

export interface CdStatus {
  /** False when the box has no drive (or the system no longer sees it). */
  present: boolean;
  /** Null when the backend cannot tell (a drive without tray sensing). */
  trayOpen: boolean | null;
  /** The disc that can be read now; null with no disc or an open tray. */
  media: CdMedia | null;
  /** The disc is being read. Drives the CD activity LED. */
  busy: boolean;
}

export interface CdReadOptions {
  /** Stops the read early; the iteration then ends without error. */
  signal?: AbortSignal;
}

export interface CdromBackend {
  readonly kind: string;
  status(): Promise<CdStatus>;
  /** Opens the tray (the eject button). Opening an open tray is not an error. */
  openTray(): Promise<void>;
  /** Closes the tray; the disc in it (if any) becomes readable. */
  closeTray(): Promise<void>;
  /**
   * The whole disc, front to back, at the drive's speed. The drive is busy from the
   * first chunk until the iteration ends (finished, broken off or aborted).
   * BAY_EMPTY when there is no readable disc.
   */
  read(opts?: CdReadOptions): AsyncIterable<Buffer>;
  /**
   * Lends the disc as a file path (an ISO image or the block device) to a tool that
   * reads it itself (mount, xorriso); the drive counts as busy until `use` settles.
   * BAY_EMPTY when there is no readable disc.
   */
  withImage<T>(use: (path: string) => Promise<T>): Promise<T>;
  /** Called whenever tray, disc or busy change, so the LED follows without polling. */
  onChange(listener: () => void): () => void;
}

export const NO_DRIVE: CdStatus = { present: false, trayOpen: null, media: null, busy: false };

/**
 * Reads the ISO 9660 volume label of an image file or a CD device (null for a disc
 * without an ISO 9660 volume). Injected, because the ISO reader lives above the drivers
 * (src/update/iso9660) and drivers import nothing from src/.
 */
export type VolumeLabelReader = (path: string) => Promise<string | null>;
