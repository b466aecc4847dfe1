/** What the Config Test (integrity.ts) finds, shared with the scans it runs, which need not import it. */
export interface Problem {
  /** The key name, set or library the problem is in. */
  subject: string;
  problem: string;
}

export interface CheckReport {
  keysChecked: number;
  problems: Problem[];
}
