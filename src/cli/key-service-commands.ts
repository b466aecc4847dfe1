import type { Command } from 'commander';
import { type KeyServiceAction, type KeyServiceStatus, keyService } from '../admin/key-service.js';
import type { HwCommandDeps } from './hw-commands.js';

/** `qkmcmds key-service stop|start|status`: the running qkmd's key server, over the control socket. */
export function addKeyServiceCommands(program: Command, deps: HwCommandDeps): void {
  const ks = program.command('key-service').description('stop or start serving keys to the libraries (the hardware agent keeps running)');
  const say: Record<KeyServiceAction, (s: KeyServiceStatus) => string> = {
    stop: () => 'The key service is stopped: libraries are refused until "qkmcmds key-service start".',
    start: (s) => `The key service is running (${s.connections} library connection(s)).`,
    status: (s) => (s.running ? `The key service is running (${s.connections} library connection(s)).` : 'The key service is stopped; "qkmcmds key-service start" serves libraries again.'),
  };
  const descriptions: Record<KeyServiceAction, string> = {
    stop: 'refuse and close library connections',
    start: 'serve libraries again',
    status: 'whether libraries are served, and how many are connected',
  };
  for (const action of ['stop', 'start', 'status'] as const) {
    ks.command(action).description(descriptions[action]).action(deps.action(async () => {
      const s = await keyService(deps.context().config.paths.data_dir, action);
      process.stdout.write(`${say[action](s)}\n`);
    }));
  }
}
