#!/usr/bin/env bash
# Runs the test files that exercise the native boundary (serialization,
# handles, results, cancellation, signals) with the client's R process
# under valgrind's memcheck. A file fails on a failed test, on any invalid
# read or write or use of uninitialised memory that dev/valgrind.supp does
# not explain, and on memory definitely lost. Worker processes run outside
# valgrind. Logs go to .valgrind/.
#
# The files run in two lanes at once, one per core: the serialization
# file (with the short one on source references) takes about as long
# under valgrind as all the others.
#
# With file names as arguments (bash dev/valgrind-tests.sh test-native.R),
# runs only those, one after the other.
set -euo pipefail
cd "$(dirname "$0")/.."
lanes=(
  "test-serialization.R test-task_source_references.R"
  "test-native.R test-crew_serial_config.R test-crew_relay.R test-crew_controller_walk.R test-crew_controller.R"
)
if (($#)); then
  lanes=("$*")
fi
mkdir -p .valgrind

# Runs one file under valgrind, prints its line, and fails if it failed.
run_file() {
  local file=$1
  local log=".valgrind/${file%.R}.log"
  local started status summary lost
  started=$(date +%s)
  status=0
  R -d "valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite \
    --num-callers=30 --suppressions=dev/valgrind.supp --log-file=$log" \
    --vanilla --no-echo -f dev/valgrind-test-file.R --args "$file" || status=$?
  summary=$(grep -h "ERROR SUMMARY" "$log" | head -1 | sed 's/^==[0-9]*== //')
  lost=$(grep -h "definitely lost:" "$log" | head -1 | sed 's/^==[0-9]*== *//')
  echo "valgrind $file: $(( $(date +%s) - started )) s, ${summary}, ${lost:-no leak summary}"
  if [[ $status -ne 0 ]]; then
    echo "valgrind $file FAILED (status $status), see $log"
    return 1
  fi
}

# Runs a lane's files one after the other; fails if any failed.
run_lane() {
  local failed=0 file
  for file in $1; do
    run_file "$file" || failed=1
  done
  return $failed
}

pids=()
for lane in "${lanes[@]}"; do
  run_lane "$lane" &
  pids+=($!)
done
failed=0
for pid in "${pids[@]}"; do
  wait "$pid" || failed=1
done
exit $failed
