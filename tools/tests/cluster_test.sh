#!/usr/bin/env bash
# Integration test of the tools against a real cluster: runs tools/quickstart.sh (ZooKeeper + 3
# brook-server processes, topic creation, kcat round trip) in a temporary directory on ports of its
# own, then checks brook-topics' create/list/describe (incl. the partition reports)/delete
# behaviour, --alter's checks before CreatePartitions, and error texts, and stops everything it
# started. ctest label "integration"; needs BROOK_BUILD_DIR with brook-server and
# brook-topics built. Never skips: a cluster that does not come up is a failure.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
: "${BROOK_BUILD_DIR:?set BROOK_BUILD_DIR to the build directory}"
export BROOK_BUILD_DIR
export BROOK_CLUSTER_DIR=$(mktemp -d /tmp/brook-tools-test.XXXXXX)
export BROOK_BROKERS=3
# Ports of our own, away from the quickstart's 9092 and from other runs of this test.
base=$((30000 + (RANDOM % 200) * 10))
export BROOK_BASE_PORT=$base BROOK_ZK_PORT=$((base + 5)) BROOK_CHROOT=/brook-tools-test
TOPICS=$BROOK_BUILD_DIR/tools/brook-topics
BS=127.0.0.1:$base,127.0.0.1:$((base + 1))

cleanup() {
    "$ROOT/tools/local-cluster.sh" stop >/dev/null || true
    rm -rf "$BROOK_CLUSTER_DIR"
}
trap cleanup EXIT

failures=0
check() {  # check NAME EXPECTED ACTUAL
    if [[ $2 == "$3" ]]; then
        echo "ok   - $1"
    else
        echo "FAIL - $1"
        echo "       expected: $(printf '%q' "$2")"
        echo "       actual:   $(printf '%q' "$3")"
        failures=$((failures + 1))
    fi
}
# run ARGS...: sets rc, out, err
run() {
    local o e
    o=$(mktemp) e=$(mktemp)
    set +e
    "$TOPICS" --bootstrap-server "$BS" "$@" >"$o" 2>"$e"
    rc=$?
    set -e
    out=$(<"$o") err=$(<"$e")
    rm -f "$o" "$e"
}

echo "# quickstart"
BROOK_TOPIC=qs "$ROOT/tools/quickstart.sh"

echo "# brook-topics"
run --create --topic orders --partitions 3 --replication-factor 3
check "create: exit code" 0 "$rc"
check "create: output" "Created topic orders." "$out"

run --create --topic orders --partitions 3 --replication-factor 3
check "create existing: exit code" 1 "$rc"
check "create existing: message" "Error while executing topic command : Topic 'orders' already exists." "$err"

run --create --topic orders --if-not-exists
check "create existing --if-not-exists: exit code" 0 "$rc"
check "create existing --if-not-exists: quiet" "" "$out$err"

run --create --topic too-wide --replication-factor 7
check "create rf > brokers: exit code" 1 "$rc"
[[ $err == "Error while executing topic command : "*"(INVALID_REPLICATION_FACTOR)" ]] && m=yes || m="$err"
check "create rf > brokers: INVALID_REPLICATION_FACTOR" yes "$m"

run --list
check "list: exit code" 0 "$rc"
check "list: sorted, includes both topics" "$(printf 'orders\nqs')" "$(grep -v '^__' <<<"$out")"

# Leaders are elected asynchronously after creation; wait until all three have one.
for _ in $(seq 1 60); do
    run --describe --topic orders
    [[ $rc == 0 && $out != *"Leader: none"* && $(grep -c $'\tPartition: ' <<<"$out") == 3 ]] && break
    sleep 0.5
done
check "describe: exit code" 0 "$rc"
check "describe: header" $'Topic: orders\tTopicId: \tPartitionCount: 3\tReplicationFactor: 3\tConfigs: ' "$(head -n1 <<<"$out")"
partition_lines=$(tail -n +2 <<<"$out" | sed -E 's/Leader: [0-9]+/Leader: L/; s/Replicas: [0-9,]+/Replicas: R/; s/Isr: [0-9,]+/Isr: I/')
expected_partitions=$'\tTopic: orders\tPartition: 0\tLeader: L\tReplicas: R\tIsr: I\n\tTopic: orders\tPartition: 1\tLeader: L\tReplicas: R\tIsr: I\n\tTopic: orders\tPartition: 2\tLeader: L\tReplicas: R\tIsr: I'
check "describe: partition lines" "$expected_partitions" "$partition_lines"

# kafka-topics' partition reports: on a healthy cluster no partition is without a live leader;
# every line --under-replicated-partitions prints has a shorter Isr than Replicas, and neither
# report prints topic header lines.
run --describe --unavailable-partitions
check "describe --unavailable-partitions on a healthy cluster" "0:" "$rc:$out$err"
run --describe --under-replicated-partitions
check "describe --under-replicated-partitions: exit code" 0 "$rc"
bad_lines=$(awk -F'\t' 'NF && !($5 ~ /^Replicas: / && $6 ~ /^Isr: / &&
    split(substr($5, 11), r, ",") > split(substr($6, 6), i, ","))' <<<"$out")
check "describe --under-replicated-partitions: only partitions with ISR < replicas" "" "$bad_lines"

# --alter up to the point where the controller is asked (growing itself: see the broker's tests).
run --alter --topic orders --partitions 0
check "alter --partitions 0: client-side error" "1:Error: --partitions must be a positive integer" "$rc:$err"
run --alter --topic nope --partitions 4
check "alter missing: exit code" 1 "$rc"
check "alter missing: message" "Error while executing topic command : Topic 'nope' does not exist as expected" "$err"

run --describe --topic nope
check "describe missing: exit code" 1 "$rc"
check "describe missing: message" "Error while executing topic command : Topic 'nope' does not exist as expected" "$err"
run --describe --topic nope --if-exists
check "describe missing --if-exists" "0:" "$rc:$out$err"

run --delete --topic orders
check "delete: exit code" 0 "$rc"
check "delete: quiet" "" "$out$err"
for _ in $(seq 1 60); do
    run --list
    [[ $out != *orders* ]] && break
    sleep 0.5
done
check "delete: topic gone from --list" "" "$(grep -x orders <<<"$out" || true)"

run --delete --topic orders
check "delete missing: exit code" 1 "$rc"
run --delete --topic orders --if-exists
check "delete missing --if-exists: exit code" 0 "$rc"

set +e
"$TOPICS" --bootstrap-server 127.0.0.1:$((base + 9)) --list >/dev/null 2>"$BROOK_CLUSTER_DIR/err"
rc=$?
set -e
check "unreachable broker: exit code" 1 "$rc"
[[ $(<"$BROOK_CLUSTER_DIR/err") == "Error: no bootstrap server reachable ("* ]] && m=yes || m=$(<"$BROOK_CLUSTER_DIR/err")
check "unreachable broker: message" yes "$m"

echo "# stop"
"$ROOT/tools/local-cluster.sh" stop
left=0
for f in "$BROOK_CLUSTER_DIR"/pids/*.pid; do [[ -e $f ]] && left=$((left + 1)); done
check "stop removes every pid file" 0 "$left"

if ((failures)); then
    echo "$failures check(s) failed"
    exit 1
fi
echo "all checks passed"
