import { spawnSync } from 'node:child_process';
import { SYSTEM_PYTHON } from './pykmip.js';

/**
 * Some tests need a tool from Debian's packages (tmux, xorriso). Without it they are
 * skipped with a line saying which package to install; CI sets QKM_REQUIRE_TOOLS=1,
 * which turns a missing tool into a failure instead of a silent skip.
 */
export function needsTool(tool: string, pkg: string, testFile: string): { skip: boolean; missing: boolean } {
  const missing = spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0;
  const required = process.env.QKM_REQUIRE_TOOLS === '1';
  if (missing && !required) console.warn(`${testFile}: ${tool} is not installed (apt-get install -y ${pkg}); these tests are skipped.`);
  return { skip: missing && !required, missing };
}

/** As needsTool, for a Python module from Debian's packages (python3-prometheus-client's prometheus_client). */
export function needsPythonModule(module: string, pkg: string, testFile: string): { skip: boolean; missing: boolean } {
  const missing = spawnSync(SYSTEM_PYTHON, ['-c', `import ${module}`]).status !== 0;
  const required = process.env.QKM_REQUIRE_TOOLS === '1';
  if (missing && !required) console.warn(`${testFile}: the Python module ${module} is not installed (apt-get install -y ${pkg}); these tests are skipped.`);
  return { skip: missing && !required, missing };
}
