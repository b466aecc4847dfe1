import type { Command } from 'commander';
import { verifyAudit } from '../logs/audit-verify.js';
import type { HwCommandDeps } from './hw-commands.js';

const out = (line = ''): void => void process.stdout.write(`${line}\n`);

/** `qkmcmds audit verify`: follows the audit log's hash chain and says where it is broken. */
export function addAuditCommands(program: Command, deps: HwCommandDeps): void {
  const audit = program.command('audit').description('the audit log: every administrative act, hash-chained');
  audit
    .command('verify')
    .description('check the audit log\'s chain of hashes and say where it was broken (exit status 1 if it was)')
    .option('--json', 'machine-readable output')
    .action(deps.action((o: { json?: boolean }) => {
      const r = verifyAudit(deps.context().config.paths.data_dir);
      if (o.json) {
        out(JSON.stringify(r, null, 2));
        return r.intact ? 0 : 1;
      }
      for (const b of r.breaks) out(`BROKEN: ${b.text}`);
      for (const n of r.notes) out(`Note: ${n}`);
      if (r.entries === 0 && r.breaks.length === 0) out('The audit log is empty.');
      else if (r.intact) out(`Audit chain intact: entries ${r.first} to ${r.last} in ${r.files.length} file(s).`);
      else out(`Audit chain BROKEN in ${r.breaks.length} place(s); ${r.entries} entries read in ${r.files.length} file(s). Keep a copy of the logs as they are (qkmcmds -L) and find out who changed them.`);
      return r.intact ? 0 : 1;
    }));
}
