#!/usr/bin/env bash
# The long versions of the crash and fuzz tests, with a time budget (QKM_STRESS_SECONDS,
# default 3000: the loops took 25 minutes on a quiet 2-core machine on 2026-12-04) shared between them. npm test runs short slices of the same tests.
set -euo pipefail
cd "$(dirname "$0")/.."
budget=${QKM_STRESS_SECONDS:-3000}
start=$(date +%s)
# At least one second: timeout 0 would mean no limit at all.
left() { local l=$(( budget - ($(date +%s) - start) )); echo $(( l > 0 ? l : 1 )); }

npm run build --silent

echo "== SIGKILL loops over allocation and generation (${QKM_KILL_ITERATIONS:=100} kills each)"
QKM_KILL_ITERATIONS=$QKM_KILL_ITERATIONS timeout "$(left)" npx vitest run test/engine/crash-and-concurrency.test.ts

echo "== SIGKILL loop over changes and their journal entries (${QKM_JOURNAL_KILL_ITERATIONS:=200} kills): never one without the other"
QKM_JOURNAL_KILL_ITERATIONS=$QKM_JOURNAL_KILL_ITERATIONS timeout "$(left)" npx vitest run test/engine/journal.test.ts -t 'survive SIGKILL'

echo "== SIGKILL loop over replication to the peer (${QKM_REPLICATION_KILLS:=200} kills): nothing lost, nothing applied twice"
QKM_REPLICATION_KILLS=$QKM_REPLICATION_KILLS timeout "$(left)" npx vitest run test/engine/peer-copies.test.ts -t 'survives SIGKILL'

echo "== two sites that are each a pair sharing ${QKM_PAIRS_EXCHANGE_TAPES:=500} tapes: exported from either server of A, imported on either of B, read through both"
QKM_PAIRS_EXCHANGE_TAPES=$QKM_PAIRS_EXCHANGE_TAPES timeout "$(left)" npx vitest run test/exchange/pair-round-trip.test.ts

echo "== the server pair end to end with ${QKM_PAIR_E2E_TAPES:=5000} tapes: the primary killed mid-write, a partition, a restore that synchronises from the peer"
QKM_PAIR_E2E_TAPES=$QKM_PAIR_E2E_TAPES timeout "$(left)" npx vitest run test/pair/pair-e2e.test.ts

echo "== SIGKILL of either qkmd of a pair at random points of replication while a library writes (${QKM_PAIR_SERVER_KILLS:=200} kills, 2-3 s each: about 9 minutes on a busy 2-core machine): nothing lost, nothing applied twice"
QKM_PAIR_SERVER_KILLS=$QKM_PAIR_SERVER_KILLS timeout "$(left)" npx vitest run test/pair/pair-kills.test.ts

echo "== SIGKILL loops over qkmcmds backup and restore, then the next run or qkmd start-up cleans up (${QKM_BACKUP_KILLS:=40} kills each)"
QKM_BACKUP_KILLS=$QKM_BACKUP_KILLS timeout "$(left)" npx vitest run test/cli/backup-leftovers.test.ts

echo "== SIGKILL loop over certs library-bundle (${QKM_BUNDLE_KILLS:=60} kills): no private key left in the data dir"
QKM_BUNDLE_KILLS=$QKM_BUNDLE_KILLS timeout "$(left)" npx vitest run test/pki/certs-bundle-cli.test.ts

echo "== SIGKILL of qkm-launcher with qkmd (a power cut) during update installs, trial starts, and rollbacks with the restart they ask for (${QKM_UPDATE_KILLS:=100} kills in all: a fifth during installs, about 10 s each on a busy 2-core machine, the rest about 5 s each): the box starts the old or the new version, never neither"
QKM_UPDATE_KILLS=$QKM_UPDATE_KILLS timeout "$(left)" npx vitest run test/update/launcher.test.ts

echo "== SIGKILL loop over audit log writers (${QKM_AUDIT_KILLS:=50} kills, the size cap rotating and pruning): every acknowledged entry kept, one unbroken chain"
QKM_AUDIT_KILLS=$QKM_AUDIT_KILLS timeout "$(left)" npx vitest run test/logs/audit.test.ts -t 'killed \(SIGKILL\)'

echo "== TTLV decoder fuzzing (1,000,000 random and mutated messages)"
timeout "$(left)" node dist/bench/ttlv-fuzz.js 1000000

echo "== serial board: frame reader, parser and simulated firmware on ${QKM_SERIAL_FUZZ:=1000000} random and mutated inputs"
QKM_SERIAL_FUZZ=$QKM_SERIAL_FUZZ timeout "$(left)" npx vitest run test/drivers/serial/fuzz.test.ts
echo "== ISO reader: ${QKM_ISO_FUZZ:=5000} damaged images, then a file over 4 GiB (multi-extent) where the disk has room"
QKM_ISO_FUZZ=$QKM_ISO_FUZZ timeout "$(left)" npx vitest run test/update/iso9660-fuzz.test.ts
QKM_ISO_LARGE=1 timeout "$(left)" npx vitest run test/update/iso9660-large.test.ts

echo "stress: all passed in $(( $(date +%s) - start )) s of a ${budget} s budget"
