#!/usr/bin/env bash
# Runs the test files that exercise the native boundary (serialization,
# handles, results, cancellation, signals) with the client's R process
# under valgrind's memcheck. A file fails on a failed test, on any invalid
# read or write or use of uninitialised memory that tools/valgrind.supp does
# not explain, and on memory definitely lost. Worker processes run outside
# valgrind. Logs go to .valgrind/.
set -euo pipefail
cd "$(dirname "$0")/.."
files=(
  test-native.R
  test-serialization.R
  test-crew_serial_config.R
  test-crew_relay.R
  test-crew_controller_walk.R
  test-crew_controller.R
)
mkdir -p .valgrind
failed=0
for file in "${files[@]}"; do
  log=".valgrind/${file%.R}.log"
  started=$(date +%s)
  status=0
  R -d "valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite \
    --num-callers=30 --suppressions=tools/valgrind.supp --log-file=$log" \
    --vanilla --no-echo -f tools/valgrind-test-file.R --args "$file" || status=$?
  summary=$(grep -h "ERROR SUMMARY" "$log" | head -1 | sed 's/^==[0-9]*== //')
  lost=$(grep -h "definitely lost:" "$log" | head -1 | sed 's/^==[0-9]*== *//')
  echo "valgrind $file: $(( $(date +%s) - started )) s, ${summary}, ${lost:-no leak summary}"
  if [[ $status -ne 0 ]]; then
    echo "valgrind $file FAILED (status $status), see $log"
    failed=1
  fi
done
exit $failed
