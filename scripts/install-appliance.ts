/**
 * The appliance profile's install step for the service: the systemd unit for qkm-launcher
 * (config/systemd/qkm.service filled in for this install) under --root, and the data
 * directory config/appliance.toml names. Changes nothing outside --root.
 *   scripts/install-appliance --root /            # on the appliance, as root
 *   scripts/install-appliance --root /tmp/staging # anywhere else
 */
import path from 'node:path';
import { Command } from 'commander';
import { PACKAGE_ROOT, loadConfig } from '../src/config/config.js';
import { isQkmError } from '../src/errors.js';
import { UNIT_NAME, installSystemdUnit } from '../src/install/systemd-unit.js';

const program = new Command('install-appliance')
  .description('installs the systemd unit for qkm-launcher with the appliance profile (config/appliance.toml)')
  .requiredOption('--root <dir>', 'the file system root to install under (/ on the appliance)')
  .option('--home <dir>', 'where qkm is installed', PACKAGE_ROOT)
  .option('--node <file>', 'the Node.js binary that runs qkm', process.execPath)
  .parse(process.argv);

const o = program.opts<{ root: string; home: string; node: string }>();
try {
  const home = path.resolve(o.home);
  // The unit runs with no QKM_* variables: the profile file alone says where the data goes.
  const config = loadConfig({ configFile: path.join(home, 'config', 'appliance.toml'), embeddedFile: path.join(home, 'config', 'qkm.toml'), env: {} });
  const r = installSystemdUnit({ root: path.resolve(o.root), home, node: o.node, dataDir: config.paths.data_dir, template: path.join(home, 'config', 'systemd', UNIT_NAME) });
  process.stdout.write(`Installed ${r.unitFile} (qkm-launcher from ${home}, data in ${config.paths.data_dir}).\n` +
    `On the appliance, start it now and at every boot: systemctl daemon-reload && systemctl enable --now ${UNIT_NAME}\n`);
} catch (e) {
  process.stderr.write(`${isQkmError(e) ? e.message : `The unit could not be installed: ${(e as Error).message}.`}\n`);
  process.exitCode = 1;
}
