#!/usr/bin/env bash
# The long versions of the crash and fuzz tests, with a time budget (QKM_STRESS_SECONDS,
# default 600) shared between them. npm test runs short slices of the same tests.
set -euo pipefail
cd "$(dirname "$0")/.."
budget=${QKM_STRESS_SECONDS:-600}
start=$(date +%s)
left() { echo $(( budget - ($(date +%s) - start) )); }

npm run build --silent

echo "== SIGKILL loops over allocation and generation (${QKM_KILL_ITERATIONS:=100} kills each)"
QKM_KILL_ITERATIONS=$QKM_KILL_ITERATIONS timeout "$(left)" npx vitest run test/engine/crash-and-concurrency.test.ts

echo "== SIGKILL loops over qkmcmds backup and restore, then the next run or qkmd start-up cleans up (${QKM_BACKUP_KILLS:=40} kills each)"
QKM_BACKUP_KILLS=$QKM_BACKUP_KILLS timeout "$(left)" npx vitest run test/cli/backup-leftovers.test.ts

echo "== SIGKILL loop over certs library-bundle (${QKM_BUNDLE_KILLS:=60} kills): no private key left in the data dir"
QKM_BUNDLE_KILLS=$QKM_BUNDLE_KILLS timeout "$(left)" npx vitest run test/pki/certs-bundle-cli.test.ts

echo "== TTLV decoder fuzzing (1,000,000 random and mutated messages)"
timeout "$(left)" node dist/bench/ttlv-fuzz.js 1000000

echo "== ISO reader: ${QKM_ISO_FUZZ:=5000} damaged images, then a file over 4 GiB (multi-extent) where the disk has room"
QKM_ISO_FUZZ=$QKM_ISO_FUZZ timeout "$(left)" npx vitest run test/update/iso9660-fuzz.test.ts
QKM_ISO_LARGE=1 timeout "$(left)" npx vitest run test/update/iso9660-large.test.ts

echo "stress: all passed in $(( $(date +%s) - start )) s of a ${budget} s budget"
