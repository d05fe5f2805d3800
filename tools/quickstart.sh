#!/usr/bin/env bash
# Brook in one command: builds if needed, starts a local ZooKeeper and 3 brokers
# (tools/local-cluster.sh), creates a topic with brook-topics, writes a message with kcat, reads
# it back, and leaves the cluster running. Stop it with: tools/local-cluster.sh stop
#
# Same environment variables as tools/local-cluster.sh (BROOK_BUILD_DIR, BROOK_CLUSTER_DIR, ...),
# plus BROOK_TOPIC [quickstart].
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CLUSTER=$ROOT/tools/local-cluster.sh
BUILD_DIR=${BROOK_BUILD_DIR:-build}
[[ $BUILD_DIR == /* ]] || BUILD_DIR=$ROOT/$BUILD_DIR
TOPIC=${BROOK_TOPIC:-quickstart}
BROKERS=${BROOK_BROKERS:-3}
# Replication factor 1 until followers replicate (issue 4): the 3 partitions' leaders spread over
# the brokers, and every replica listed is one that really holds the data.
RF=${BROOK_REPLICATION_FACTOR:-1}

step() { printf '\n==> %s\n' "$*"; }

# A fresh machine first gets the Debian packages (build tools, ZooKeeper, java, kcat); a no-op
# when they are all there.
bash "$ROOT/.ci/install-deps"

step "starting ZooKeeper and $BROKERS brokers"
"$CLUSTER" start
BOOTSTRAP=$("$CLUSTER" bootstrap)

step "creating topic '$TOPIC' (3 partitions, replication factor $RF)"
echo "\$ brook-topics --bootstrap-server $BOOTSTRAP --create --topic $TOPIC --partitions 3 --replication-factor $RF --if-not-exists"
"$BUILD_DIR/tools/brook-topics" --bootstrap-server "$BOOTSTRAP" --create --topic "$TOPIC" \
    --partitions 3 --replication-factor "$RF" --if-not-exists
"$BUILD_DIR/tools/brook-topics" --bootstrap-server "$BOOTSTRAP" --describe --topic "$TOPIC"

# A message that is new on every run, so reading it back proves this run's write landed even when
# the topic already holds messages from earlier runs.
MESSAGE="hello from brook, $(date -u +%Y-%m-%dT%H:%M:%SZ) #$$"
step "producing one message with kcat"
echo "\$ echo '$MESSAGE' | kcat -P -b $BOOTSTRAP -t $TOPIC -X request.required.acks=all"
echo "$MESSAGE" | kcat -P -b "$BOOTSTRAP" -t "$TOPIC" -X request.required.acks=all

step "consuming the topic from the beginning with kcat"
echo "\$ kcat -C -b $BOOTSTRAP -t $TOPIC -o beginning -e -q"
found=0
for attempt in 1 2 3 4 5; do
    if output=$(timeout 30 kcat -C -b "$BOOTSTRAP" -t "$TOPIC" -o beginning -e -q); then
        if grep -qxF -- "$MESSAGE" <<<"$output"; then
            found=1
            break
        fi
    fi
    sleep 1
done
printf '%s\n' "$output"
if ((!found)); then
    echo "quickstart: error: the message just produced was not read back (attempts: $attempt)" >&2
    echo "quickstart: the cluster is still running; logs are under ${BROOK_CLUSTER_DIR:-/tmp/brook-quickstart}" >&2
    exit 1
fi

step "done: read back '$MESSAGE'"
"$CLUSTER" status
cat <<TXT

The cluster keeps running in the background. Try:
  $BUILD_DIR/tools/brook-topics --bootstrap-server $BOOTSTRAP --list
  kcat -b $BOOTSTRAP -L
Stop it with:
  tools/local-cluster.sh stop
TXT
