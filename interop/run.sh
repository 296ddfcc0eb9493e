#!/usr/bin/env bash
# Interop: real clients from outside the project against `pipeline emulate`.
#
# One `pipeline emulate` on free ports, then the tools people actually use:
#   - the paper's own Python producer (kafka-python, dict -> JSON serializer)
#     including its test message {'surnasdasdame':'parasdasdmar'}, which is
#     JSON like any other record: a row of the table, with its own column;
#   - the paper's row-shaped records (CSV rows as dicts: "Index", "Date",
#     "Adj Close", "CloseUSD", ...) to a topic of their own, which become a
#     table with those columns (queried in DuckDB and Athena, mixed case and
#     all), and one whose "Open" is "abc", which must become a dead letter;
#   - kafka-python producing gzip, snappy, lz4 and zstd batches;
#   - kcat (librdkafka): metadata, produce (plain and zstd), consume;
#   - our own producer (lz4 batches); the paper's kafka-python consumer then
#     reads every record back and must have decoded every codec;
#   - our sink, stopped with SIGTERM once kafka-python sees its group's
#     committed offsets at the end of every partition;
#   - kafka-python producing to a topic that does not exist: auto-created,
#     as Apache Kafka does by default;
#   - AWS CLI v2: s3 ls/cp (objects, dead letter), a Glue crawler (create,
#     start, poll; one over folders of different tables, one over a missing
#     bucket), get-tables, get-partitions (with --expression), the
#     database, table, partition, version and crawler operations, Athena
#     queries with Trino's semantics, and Athena DDL (CREATE EXTERNAL TABLE,
#     MSCK REPAIR TABLE, SHOW PARTITIONS, CREATE VIEW, DROP) on the same
#     catalog;
#   - AWS CLI v2 and boto3 on the emulated S3's own behaviours (tags,
#     multipart and UploadPartCopy, conditional requests, checksums,
#     versioning, presigned and virtual-hosted URLs, NotImplemented calls
#     that change nothing, foreign Host and Origin refused):
#     interop/s3_cli_check.sh and interop/boto3_s3_check.py;
#   - boto3 on the same endpoint; our own SQL count; a clean SIGTERM stop;
#   - a restart of the emulator on the same data dir keeps the crawler, the
#     workgroup and the query executions with their results.
# Each step prints its name; the first failure ends the run with one line
# saying which step and why, and the data dir and logs are kept.
#
# Needs Debian (apt) and root the first time, to install kcat, python3-kafka,
# python3-lz4, python3-zstandard, python3-snappy, python3-boto3 and awscli.
# Uses /usr/bin/python3 and /usr/bin/aws explicitly: the first python3 and
# aws on PATH may be other installs without these packages, or AWS CLI v1.
#
# INTEROP_KEEP=1 keeps the temp data dir; event counts: INTEROP_PY_EVENTS
# (paper producer), INTEROP_ROWS (the paper's rows), INTEROP_CODEC_EVENTS (per kafka-python codec),
# INTEROP_KCAT_EVENTS (per kcat run), INTEROP_OUR_EVENTS (pipeline produce);
# INTEROP_CALL_TIMEOUT bounds each client call (seconds).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

PY=/usr/bin/python3
AWS_BIN=/usr/bin/aws
BIN=$ROOT/bin/pipeline
TOPIC=stock_topic
BUCKET=stock-market-data
DB=stock_market
GROUP=pipeline-sink
N_PY=${INTEROP_PY_EVENTS:-500}
N_ROWS=${INTEROP_ROWS:-300}
ROWS_TOPIC=index_rows
N_CODEC=${INTEROP_CODEC_EVENTS:-10}
N_KCAT=${INTEROP_KCAT_EVENTS:-10}
N_OURS=${INTEROP_OUR_EVENTS:-2000}
N_FOREIGN=$((4 * N_CODEC + 2 * N_KCAT)) # kafka-python with codecs, kcat
N_TOTAL=$((N_PY + N_FOREIGN + N_OURS))  # ticks; the tutorial's test message is not one
N_RECORDS=$((N_TOTAL + 1))               # Kafka records and table rows, the test message included

T0=$(date +%s)
STEP="setup"
step() {
	STEP="$*"
	printf '\n=== [%3ss] %s\n' "$(($(date +%s) - T0))" "$STEP"
}
ok() { printf '    ok: %s\n' "$*"; }
fail() {
	printf '\ninterop: FAIL in step "%s": %s\n' "$STEP" "$*" >&2
	exit 1
}
trap 'rc=$?; printf "\ninterop: FAIL in step \"%s\": command exited %s: %s (line %s)\n" "$STEP" "$rc" "$BASH_COMMAND" "$LINENO" >&2' ERR

DATA=""
EMU_PID=""
SINK_PID=""
cleanup() {
	local rc=$?
	trap - ERR
	for pid in $SINK_PID $EMU_PID; do
		if kill -0 "$pid" 2>/dev/null; then
			kill -TERM "$pid" 2>/dev/null || true
			for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
			kill -KILL "$pid" 2>/dev/null || true
			wait "$pid" 2>/dev/null || true
		fi
	done
	if [[ -n $DATA ]]; then
		if [[ $rc -ne 0 || ${INTEROP_KEEP:-} == 1 ]]; then
			echo "interop: data dir and logs kept in $DATA" >&2
			for f in "$DATA"/*.log; do [[ -s $f ]] && { echo "--- $f (last 20 lines)" >&2; tail -n 20 "$f" >&2; }; done
		else
			rm -rf "$DATA"
		fi
	fi
	if [[ $rc -eq 0 ]]; then
		printf '\ninterop: PASS in %ss\n' "$(($(date +%s) - T0))"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# stop_pid PID SECONDS: SIGTERM a child of this shell, wait for it and set
# STOP_RC to its exit status; return 1 if it still runs after SECONDS. (Not
# in a $(subshell): only this shell can wait for its children.)
STOP_RC=""
stop_pid() {
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < $2 * 10; i++)); do
		if ! kill -0 "$pid" 2>/dev/null || [[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) == Z ]]; then
			STOP_RC=0
			wait "$pid" || STOP_RC=$?
			return 0
		fi
		sleep 0.1
	done
	return 1
}
# Every client call is bounded, so a hung emulator fails the step, not CI.
bounded() { timeout --kill-after=5 "${INTEROP_CALL_TIMEOUT:-90}" "$@"; }

# ---------------------------------------------------------------------------
step "1. packages (kcat, kafka-python + codecs, boto3, AWS CLI v2)"
REQUIRED=(kcat python3-kafka python3-lz4 python3-zstandard python3-snappy awscli)
OPTIONAL=(python3-boto3)
installed() { [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]]; }
missing=()
for p in "${REQUIRED[@]}" "${OPTIONAL[@]}"; do installed "$p" || missing+=("$p"); done
if ((${#missing[@]})); then
	echo "    missing: ${missing[*]}"
	command -v apt-get >/dev/null || fail "no apt-get: install ${missing[*]} (Debian package names) by hand"
	[[ $(id -u) -eq 0 ]] || fail "not root: run 'sudo apt-get install -y --no-install-recommends ${missing[*]}' once, then rerun"
	t=$(date +%s)
	APT_LOG=$(mktemp "${TMPDIR:-/tmp}/pipeline-interop-apt.XXXXXX")
	DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$APT_LOG" 2>&1 || fail "apt-get update failed: $(tail -n 5 "$APT_LOG")"
	avail=()
	for p in "${missing[@]}"; do
		cand=$(apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/ {print $2}')
		if [[ -n $cand && $cand != "(none)" ]]; then
			avail+=("$p")
		elif [[ " ${REQUIRED[*]} " == *" $p "* ]]; then
			fail "apt has no package $p: this script needs it"
		else
			echo "    apt has no $p: the checks that need it are skipped"
		fi
	done
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${avail[@]}" >>"$APT_LOG" 2>&1 ||
		fail "apt-get install ${avail[*]} failed: $(tail -n 5 "$APT_LOG")"
	rm -f "$APT_LOG"
	ok "installed ${avail[*]} in $(($(date +%s) - t))s (apt-get update and install)"
fi
[[ -x $PY ]] || fail "$PY not found (python3-kafka needs Debian's python3)"
[[ -x $AWS_BIN ]] || fail "$AWS_BIN not found (Debian's awscli package)"
command -v kcat >/dev/null || fail "kcat not on PATH"
aws_version=$("$AWS_BIN" --version 2>&1)
[[ $aws_version == aws-cli/2.* ]] || fail "$AWS_BIN is not AWS CLI v2: $aws_version"
HAVE_BOTO3=0
"$PY" -c 'import boto3' 2>/dev/null && HAVE_BOTO3=1
"$PY" -c 'import kafka, lz4.frame, zstandard, snappy' || fail "$PY cannot import kafka, lz4, zstandard and snappy"
ok "kcat $(kcat -V 2>&1 | sed -n 's/^Version \([^ ]*\).*librdkafka \([^ ]*\).*/\1 (librdkafka \2)/p'); kafka-python $("$PY" -c 'import kafka; print(kafka.__version__)'); $aws_version"

# ---------------------------------------------------------------------------
step "2. build bin/pipeline and start 'pipeline emulate' on free ports"
go build -o "$BIN" . || fail "go build failed"
DATA=$(mktemp -d "${TMPDIR:-/tmp}/pipeline-interop.XXXXXX")
"$BIN" emulate --data-dir "$DATA" --kafka-addr 127.0.0.1:0 --s3-addr 127.0.0.1:0 >"$DATA/emulate.log" 2>&1 &
EMU_PID=$!
for _ in $(seq 150); do
	[[ -s $DATA/endpoints.json ]] && break
	kill -0 "$EMU_PID" 2>/dev/null || fail "pipeline emulate exited: $(cat "$DATA/emulate.log")"
	sleep 0.1
done
[[ -s $DATA/endpoints.json ]] || fail "no $DATA/endpoints.json after 15s"
BROKER=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["kafka_brokers"][0])' "$DATA/endpoints.json")
ENDPOINT=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["s3"])' "$DATA/endpoints.json")
[[ $BROKER == 127.0.0.1:* && $ENDPOINT == http://127.0.0.1:* ]] || fail "unexpected endpoints: $(cat "$DATA/endpoints.json")"
ok "kafka $BROKER, AWS endpoint $ENDPOINT (pid $EMU_PID)"

# ---------------------------------------------------------------------------
step "3. the paper's producer (kafka-python): $N_PY events + its test message"
bounded "$PY" interop/paper_producer.py "$BROKER" "$TOPIC" "$N_PY" || fail "the kafka-python producer failed"

# ---------------------------------------------------------------------------
step "4. kafka-python with every codec: $N_CODEC events each of gzip, snappy, lz4, zstd"
bounded "$PY" interop/codec_producer.py "$BROKER" "$TOPIC" "$N_CODEC" || fail "the kafka-python codec producer failed"

# ---------------------------------------------------------------------------
step "5. kcat: metadata, produce ($N_KCAT plain + $N_KCAT zstd events), consume"
meta=$(bounded kcat -b "$BROKER" -L -t "$TOPIC") || fail "kcat -L failed"
topic_line=$(grep -Eo "topic \"$TOPIC\" with [0-9]+ partitions" <<<"$meta") || fail "kcat -L does not list $TOPIC: $meta"
ok "kcat -L: $topic_line"
kcat_events() { # symbol
	local i
	for ((i = 0; i < N_KCAT; i++)); do
		printf '{"symbol":"%s","ts":"%s","seq":%d,"price":%d.25}\n' "$1" "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" "$i" $((40 + i))
	done
}
# Only zstd: librdkafka before 2.10 sends gzip, snappy and lz4 uncompressed
# to a broker whose Produce versions start at 3, as Kafka 4.0's and kfake's do
# (confluentinc/librdkafka#4956); kafka-python covers those codecs above.
kcat_events KC-PLAIN | bounded kcat -b "$BROKER" -P -t "$TOPIC" -k kcat-plain || fail "kcat -P failed"
kcat_events KC-ZSTD | bounded kcat -b "$BROKER" -P -t "$TOPIC" -k kcat-zstd -z zstd || fail "kcat -P -z zstd failed"
want=$((N_PY + 1 + 4 * N_CODEC + 2 * N_KCAT))
got=$(bounded kcat -b "$BROKER" -C -t "$TOPIC" -o beginning -c "$want" -e -q -f '%k\n' | sort | uniq -c | awk '{printf "%s=%s ", ($2==""?"(none)":$2), $1}')
for k in "(none)=$((N_PY + 1))" "kcat-plain=$N_KCAT" "kcat-zstd=$N_KCAT" kp-gzip=$N_CODEC kp-snappy=$N_CODEC kp-lz4=$N_CODEC kp-zstd=$N_CODEC; do
	[[ " $got" == *" $k "* ]] || fail "kcat -C read back by key: $got; want $k"
done
ok "kcat -C -c $want -e read back, by key: $got"

# ---------------------------------------------------------------------------
step "6. our producer: $N_OURS events (lz4 batches)"
out=$(bounded "$BIN" produce --data-dir "$DATA" --events "$N_OURS" --rate 0) || fail "pipeline produce failed: $out"
[[ $out == "produced $N_OURS events (0 failed)"* ]] || fail "pipeline produce said: $out"
ok "$out"

# ---------------------------------------------------------------------------
step "7. kafka-python consumer (the paper's) reads all $N_RECORDS records back, every codec"
bounded "$PY" interop/paper_consumer.py "$BROKER" "$TOPIC" "$N_RECORDS" "$N_PY" "$((4 * N_CODEC))" "$((2 * N_KCAT))" "$N_OURS" ||
	fail "the kafka-python consumer did not read everything back"

# ---------------------------------------------------------------------------
step "7b. kafka-python to a topic that does not exist: auto-created"
bounded "$PY" interop/autocreate_check.py "$BROKER" interop_autocreated 3 || fail "kafka-python could not produce to a new topic"

# ---------------------------------------------------------------------------
step "8. our sink until its group's committed offsets reach the end (kafka-python), then SIGTERM"
"$BIN" sink --data-dir "$DATA" >"$DATA/sink.log" 2>&1 &
SINK_PID=$!
bounded "$PY" interop/wait_committed.py "$BROKER" "$TOPIC" "$GROUP" "$N_RECORDS" 60 "$SINK_PID" ||
	fail "the sink did not commit every record: $(cat "$DATA/sink.log")"
stop_pid "$SINK_PID" 30 || fail "the sink did not exit within 30s of SIGTERM"
SINK_PID=""
[[ $STOP_RC -eq 0 ]] || fail "the sink exited $STOP_RC on SIGTERM: $(cat "$DATA/sink.log")"
sink_out=$(tail -n1 "$DATA/sink.log")
[[ $sink_out =~ ^stored\ $N_RECORDS\ records\ in\ [0-9]+\ objects\ \(0\ dead\ letters\)$ ]] ||
	fail "the sink said \"$sink_out\"; want stored $N_RECORDS records (0 dead letters)"
ok "exit 0: $sink_out"

# ---------------------------------------------------------------------------
step "8b. the paper's row-shaped records (kafka-python): $N_ROWS rows + 1 with Open \"abc\", then our sink with --time-field Date"
bounded "$PY" interop/paper_rows_producer.py "$BROKER" "$ROWS_TOPIC" "$N_ROWS" || fail "the kafka-python rows producer failed"
"$BIN" sink --data-dir "$DATA" --topic "$ROWS_TOPIC" --group pipeline-sink-rows --time-field Date >"$DATA/sink-rows.log" 2>&1 &
SINK_PID=$!
bounded "$PY" interop/wait_committed.py "$BROKER" "$ROWS_TOPIC" pipeline-sink-rows "$((N_ROWS + 1))" 60 "$SINK_PID" ||
	fail "the sink did not commit every row: $(cat "$DATA/sink-rows.log")"
stop_pid "$SINK_PID" 30 || fail "the sink did not exit within 30s of SIGTERM"
SINK_PID=""
[[ $STOP_RC -eq 0 ]] || fail "the sink exited $STOP_RC on SIGTERM: $(cat "$DATA/sink-rows.log")"
sink_out=$(tail -n1 "$DATA/sink-rows.log")
[[ $sink_out =~ ^stored\ $N_ROWS\ records\ in\ [0-9]+\ objects\ \(1\ dead\ letters\)$ ]] ||
	fail "the sink said \"$sink_out\"; want stored $N_ROWS records (1 dead letters)"
ok "exit 0: $sink_out"

# ---------------------------------------------------------------------------
step "9. AWS CLI v2: S3"
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1 AWS_PAGER=""
# Nobody's ~/.aws or AWS_PROFILE may change what this talks to.
export AWS_CONFIG_FILE=$DATA/aws-config AWS_SHARED_CREDENTIALS_FILE=$DATA/aws-credentials
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 AWS_ENDPOINT_URL_GLUE AWS_ENDPOINT_URL_ATHENA 2>/dev/null || true
aws() { bounded "$AWS_BIN" --endpoint-url "$ENDPOINT" --output json "$@"; }
listing=$(aws s3 ls "s3://$BUCKET/$TOPIC/" --recursive) || fail "aws s3 ls failed"
[[ -n $listing ]] || fail "aws s3 ls lists no object under s3://$BUCKET/$TOPIC/"
n_obj=$(grep -c . <<<"$listing")
bad=$(awk '{print $4}' <<<"$listing" | grep -Ev "^$TOPIC/dt=[0-9]{4}-[0-9]{2}-[0-9]{2}/$TOPIC\+[0-9]+\+[0-9]+\.json$" || true)
[[ -z $bad ]] || fail "unexpected keys under $TOPIC/: $bad"
ok "aws s3 ls --recursive: $n_obj objects, all $TOPIC/dt=YYYY-MM-DD/$TOPIC+<partition>+<offset>.json"
first=$(awk 'NR==1 {print $4}' <<<"$listing")
aws s3 cp "s3://$BUCKET/$first" - | "$PY" -c '
import json, sys
n = 0
for line in sys.stdin:
    ev = json.loads(line)
    if ev == {"surnasdasdame": "parasdasdmar"}:
        continue  # the tutorial test message, stored as it is
    assert isinstance(ev.get("symbol"), str) and ev["ts"].endswith("Z") and isinstance(ev["seq"], int), line
    n += 1
assert n > 0, "empty object"
print("    ok: aws s3 cp %s - : %d JSON lines, each with symbol, ts, seq" % (sys.argv[1], n))
' "$first" || fail "s3://$BUCKET/$first is not JSON lines of events"
aws s3 cp "s3://$BUCKET/$TOPIC/" "$DATA/download/" --recursive --only-show-errors || fail "aws s3 cp --recursive failed"
lines=$(cat "$DATA"/download/dt=*/*.json | wc -l)
[[ $lines -eq $N_RECORDS ]] || fail "the downloaded objects hold $lines lines; want $N_RECORDS"
ok "aws s3 cp --recursive: $lines lines in all = every record once"
errs=$(aws s3api list-objects-v2 --bucket "$BUCKET" --prefix "_errors/$TOPIC/" --query 'length(Contents || `[]`)') ||
	fail "aws s3api list-objects-v2 _errors failed"
[[ $errs == 0 ]] || fail "$errs dead-letter objects under s3://$BUCKET/_errors/$TOPIC/; want none"
errs=$(aws s3 ls "s3://$BUCKET/_errors/$ROWS_TOPIC/" --recursive) || fail "aws s3 ls _errors failed"
[[ -n $errs ]] || fail "no dead-letter object under s3://$BUCKET/_errors/$ROWS_TOPIC/"
errkey=$(awk 'NR==1 {print $4}' <<<"$errs")
aws s3 cp "s3://$BUCKET/$errkey" - | "$PY" -c '
import json, sys
dls = [json.loads(l) for l in sys.stdin]
assert len(dls) == 1, dls
d = dls[0]
assert json.loads(d["value_text"])["Open"] == "abc", d
assert d["reason"] == "Open: \"abc\" is not a double", d
print("    ok: dead letter %s: partition %d offset %d, reason: %s" % (sys.argv[1], d["partition"], d["offset"], d["reason"]))
' "$errkey" || fail "the dead letter is not the row with Open \"abc\""
interop/s3_cli_check.sh "$ENDPOINT" "$DATA" || fail "the S3 features check (AWS CLI) failed"

# ---------------------------------------------------------------------------
step "10. AWS CLI v2: Glue crawler, tables, partitions"
aws glue create-crawler --name interop-crawler --role arn:aws:iam::000000000000:role/interop-glue \
	--database-name "$DB" --targets "{\"S3Targets\":[{\"Path\":\"s3://$BUCKET/$TOPIC/\"}]}" >/dev/null ||
	fail "aws glue create-crawler failed"
aws glue start-crawler --name interop-crawler >/dev/null || fail "aws glue start-crawler failed"
state=""
for _ in $(seq 120); do
	crawler=$(aws glue get-crawler --name interop-crawler) || fail "aws glue get-crawler failed"
	state=$("$PY" -c 'import json,sys; c=json.load(sys.stdin)["Crawler"]; l=c.get("LastCrawl") or {}
print(c["State"], l.get("Status", "-"), l.get("ErrorMessage", ""))' <<<"$crawler")
	[[ $state == "READY -"* || $state != READY* ]] || break
	sleep 0.5
done
[[ $state == "READY SUCCEEDED"* ]] || fail "crawler state, last crawl: $state; want READY SUCCEEDED"
ok "crawler READY, last crawl SUCCEEDED"
tables=$(aws glue get-tables --database-name "$DB") || fail "aws glue get-tables failed"
"$PY" -c '
import json, sys
ts = {t["Name"]: t for t in json.load(sys.stdin)["TableList"]}
t = ts.get(sys.argv[1])
assert t, "no table %s in %s" % (sys.argv[1], sorted(ts))
cols = {c["Name"]: c["Type"] for c in t["StorageDescriptor"]["Columns"]}
want = {"symbol": "string", "seq": "bigint", "price": "double"}
for k, v in want.items():
    assert cols.get(k) == v, "column %s is %r, want %s (columns %s)" % (k, cols.get(k), v, cols)
assert "ts" in cols, cols
pk = [c["Name"] for c in t.get("PartitionKeys", [])]
assert pk == ["dt"], "partition keys %s" % pk
loc = t["StorageDescriptor"]["Location"]
assert loc.rstrip("/") == "s3://%s/%s" % (sys.argv[2], sys.argv[1]), loc
print("    ok: get-tables: %s at %s, columns %s, partitioned by %s" % (
    t["Name"], loc, ", ".join("%s %s" % kv for kv in cols.items()), pk))
r = ts.get(sys.argv[3])
assert r, "no table %s in %s" % (sys.argv[3], sorted(ts))
cols = [(c["Name"], c["Type"]) for c in r["StorageDescriptor"]["Columns"]]
want = [("Index", "string"), ("Date", "date"), ("Open", "double"), ("High", "double"), ("Low", "double"), ("Close", "double"),
        ("Adj Close", "double"), ("Volume", "double"), ("CloseUSD", "double")]
assert cols == want, "%s columns %s, want %s" % (sys.argv[3], cols, want)
print("    ok: get-tables: %s (made by the sink, no crawler), columns %s" % (r["Name"], ", ".join("%s %s" % c for c in cols)))
' "$TOPIC" "$BUCKET" "$ROWS_TOPIC" <<<"$tables" || fail "get-tables does not show $TOPIC and $ROWS_TOPIC as expected: $tables"
parts=$(aws glue get-partitions --database-name "$DB" --table-name "$TOPIC") || fail "aws glue get-partitions failed"
"$PY" -c '
import json, sys
ps = json.load(sys.stdin)["Partitions"]
assert ps, "no partitions"
for p in ps:
    assert p["StorageDescriptor"]["Location"].rstrip("/").endswith("/dt=" + p["Values"][0]), p
print("    ok: get-partitions: %s" % ", ".join("dt=" + p["Values"][0] for p in ps))
' <<<"$parts" || fail "get-partitions: $parts"

# ---------------------------------------------------------------------------
step "10b. AWS CLI v2: Glue databases, tables, partitions, versions, crawlers"
first_dt=$("$PY" -c 'import json,sys; print(json.load(sys.stdin)["Partitions"][0]["Values"][0])' <<<"$parts")
got=$(aws glue get-partitions --database-name "$DB" --table-name "$TOPIC" --expression "dt='$first_dt'" \
	--query 'Partitions[].Values[0]' --output text) || fail "aws glue get-partitions --expression failed"
[[ $got == "$first_dt" ]] || fail "get-partitions --expression \"dt='$first_dt'\" = $got; want $first_dt"
ok "get-partitions --expression \"dt='$first_dt'\": $got"
aws glue create-database --database-input '{"Name":"interop_db","Description":"made by interop","Parameters":{"k":"v"}}' >/dev/null ||
	fail "aws glue create-database failed"
got=$(aws glue get-databases --query 'DatabaseList[?Name==`interop_db`].[Description, CreateTime]' --output text) || fail "aws glue get-databases failed"
[[ $got == "made by interop"$'\t'* ]] || fail "get-databases lists interop_db as: $got; want its description and CreateTime"
ok "get-databases: interop_db, its description and CreateTime ($(cut -f2 <<<"$got"))"
aws glue create-table --database-name interop_db --table-input '{"Name":"t","PartitionKeys":[{"Name":"dt","Type":"string"}],
	"StorageDescriptor":{"Columns":[{"Name":"x","Type":"bigint"}],"Location":"s3://'"$BUCKET"'/t/"}}' >/dev/null || fail "aws glue create-table failed"
aws glue batch-create-partition --database-name interop_db --table-name t --partition-input-list \
	'[{"Values":["2026-12-04"]},{"Values":["2026-12-05"]},{"Values":["2026-12-06"]}]' >/dev/null || fail "aws glue batch-create-partition failed"
aws glue create-partition --database-name interop_db --table-name t --partition-input '{"Values":["2026-12-07"]}' >/dev/null ||
	fail "aws glue create-partition failed"
got=$(aws glue get-partition --database-name interop_db --table-name t --partition-values 2026-12-07 --query 'Partition.Values[0]' --output text) ||
	fail "aws glue get-partition failed"
[[ $got == 2026-12-07 ]] || fail "get-partition = $got"
got=$(aws glue get-partitions --database-name interop_db --table-name t --expression "dt BETWEEN '2026-12-05' AND '2026-12-06' OR dt IN ('2026-12-07')" \
	--query 'Partitions[].Values[0]' --output text) || fail "aws glue get-partitions --expression failed"
[[ $got == $'2026-12-05\t2026-12-06\t2026-12-07' ]] || fail "get-partitions with BETWEEN, OR and IN = $got"
got=$(aws glue batch-get-partition --database-name interop_db --table-name t --partitions-to-get '[{"Values":["2026-12-04"]},{"Values":["1999-01-01"]}]' \
	--query 'length(Partitions)' --output text) || fail "aws glue batch-get-partition failed"
[[ $got == 1 ]] || fail "batch-get-partition found $got partitions; want 1"
got=$(aws glue batch-delete-partition --database-name interop_db --table-name t --partitions-to-delete '[{"Values":["2026-12-04"]},{"Values":["1999-01-01"]}]' \
	--query 'Errors[].ErrorDetail.ErrorCode' --output text) || fail "aws glue batch-delete-partition failed"
[[ $got == EntityNotFoundException ]] || fail "batch-delete-partition errors = $got; want the missing one EntityNotFoundException"
got=$(aws glue get-partitions --database-name interop_db --table-name t --query 'length(Partitions)' --output text)
[[ $got == 3 ]] || fail "$got partitions left; want 3"
ok "create-partition, batch-create-partition, get-partition, get-partitions (BETWEEN, OR, IN), batch-get-partition, batch-delete-partition"
aws glue update-table --database-name interop_db --table-input '{"Name":"t","PartitionKeys":[{"Name":"dt","Type":"string"}],
	"StorageDescriptor":{"Columns":[{"Name":"x","Type":"bigint"},{"Name":"y","Type":"string"}],"Location":"s3://'"$BUCKET"'/t/"}}' ||
	fail "aws glue update-table failed"
got=$(aws glue get-table-versions --database-name interop_db --table-name t --query 'TableVersions[].[VersionId, length(Table.StorageDescriptor.Columns)]' --output text) ||
	fail "aws glue get-table-versions failed"
[[ $got == $'2\t2\n1\t1' ]] || fail "get-table-versions = $got; want version 2 with 2 columns, then version 1 with 1"
ok "get-table-versions: $(tr '\n\t' '; ' <<<"$got")"
got=$(aws glue list-crawlers --query 'CrawlerNames' --output text) || fail "aws glue list-crawlers failed"
[[ $got == *interop-crawler* ]] || fail "list-crawlers = $got"
got=$(aws glue get-crawlers --query 'Crawlers[?Name==`interop-crawler`].LastCrawl.Status' --output text) || fail "aws glue get-crawlers failed"
[[ $got == SUCCEEDED ]] || fail "get-crawlers: interop-crawler's last crawl is $got"
ok "list-crawlers, get-crawlers: interop-crawler, last crawl SUCCEEDED"
aws glue delete-table --database-name interop_db --name t || fail "aws glue delete-table failed"
aws glue delete-database --name interop_db || fail "aws glue delete-database failed"
if out=$(aws glue get-database --name interop_db 2>&1); then fail "interop_db is still there: $out"; fi
[[ $out == *EntityNotFoundException* ]] || fail "get-database of a deleted database: $out"
ok "delete-table, delete-database: get-database then answers EntityNotFoundException"

# ---------------------------------------------------------------------------
step "10c. AWS CLI v2: a Glue crawler over folders of different tables, and over a missing bucket"
# crawl_done NAME: starts the crawler and waits for it; prints "STATE STATUS ERRORMESSAGE".
crawl_done() {
	aws glue start-crawler --name "$1" >/dev/null || fail "aws glue start-crawler $1 failed"
	local c state=""
	for _ in $(seq 120); do
		c=$(aws glue get-crawler --name "$1") || fail "aws glue get-crawler $1 failed"
		state=$("$PY" -c 'import json,sys; c=json.load(sys.stdin)["Crawler"]; l=c.get("LastCrawl") or {}
print(c["State"], l.get("Status", "-"), l.get("ErrorMessage", ""))' <<<"$c")
		[[ $state == "READY -"* || $state != READY* ]] || break
		sleep 0.5
	done
	echo "$state"
}
aws s3 mb s3://interop-crawl >/dev/null || fail "aws s3 mb s3://interop-crawl failed"
for kv in 'orders/dt=2024-01-01/a.json|{"oid":1,"amt":2.5,"who":"x"}' 'orders/dt=2024-01-02/b.json|{"oid":2,"amt":3,"extra":true}' \
	'users/u.json|{"uid":"a","n":1,"tags":[1,2]}' 'top.json|{"top":1}'; do
	aws s3 cp - "s3://interop-crawl/mixed/${kv%%|*}" <<<"${kv#*|}" >/dev/null || fail "aws s3 cp ${kv%%|*} failed"
done
aws glue create-crawler --name interop-mixed --role arn:aws:iam::000000000000:role/interop-glue --database-name interop_crawl \
	--targets '{"S3Targets":[{"Path":"s3://interop-crawl/mixed/"}]}' >/dev/null || fail "aws glue create-crawler interop-mixed failed"
state=$(crawl_done interop-mixed)
[[ $state == "READY SUCCEEDED"* ]] || fail "crawler interop-mixed: $state; want READY SUCCEEDED"
tables=$(aws glue get-tables --database-name interop_crawl) || fail "aws glue get-tables interop_crawl failed"
"$PY" -c '
import json, sys
ts = {t["Name"]: t for t in json.load(sys.stdin)["TableList"]}
def desc(n):
    t = ts[n]
    cols = ", ".join("%s %s" % (c["Name"], c["Type"]) for c in t["StorageDescriptor"]["Columns"])
    return "%s at %s (%s) by %s" % (n, t["StorageDescriptor"]["Location"], cols, [k["Name"] for k in t.get("PartitionKeys", [])])
assert sorted(ts) == ["orders", "top_json", "users"], sorted(ts)
assert desc("orders") == "orders at s3://interop-crawl/mixed/orders/ (oid bigint, amt double, who string, extra boolean) by [\x27dt\x27]", desc("orders")
assert desc("users") == "users at s3://interop-crawl/mixed/users/ (uid string, n bigint, tags array<bigint>) by []", desc("users")
assert desc("top_json") == "top_json at s3://interop-crawl/mixed/top.json (top bigint) by []", desc("top_json")
for n in sorted(ts):
    print("    ok: " + desc(n))
' <<<"$tables" || fail "the crawl of s3://interop-crawl/mixed/ made: $tables"
aws glue create-crawler --name interop-nobucket --role arn:aws:iam::000000000000:role/interop-glue --database-name interop_crawl \
	--targets '{"S3Targets":[{"Path":"s3://nosuchbkt/x/"}]}' >/dev/null || fail "aws glue create-crawler interop-nobucket failed"
state=$(crawl_done interop-nobucket)
[[ $state == "READY FAILED The specified bucket does not exist: s3://nosuchbkt/x/" ]] || fail "crawler over a missing bucket: $state"
ok "a crawl of a missing bucket: LastCrawl $state"

# athena_run SQL: runs SQL in $DB with the AWS CLI and waits for it; sets
# QID, QSTATE, QSCANNED, QOUT and QREASON.
athena_run() {
	local out qe
	out=$(aws athena start-query-execution --query-string "$1" --query-execution-context "Database=$DB" \
		--result-configuration "OutputLocation=s3://$BUCKET/athena-results/" 2>&1) ||
		fail "aws athena start-query-execution failed for \"$1\": $out"
	QID=$("$PY" -c 'import json,sys; print(json.load(sys.stdin)["QueryExecutionId"])' <<<"$out") ||
		fail "start-query-execution answered no QueryExecutionId: $out"
	for _ in $(seq 240); do
		qe=$(aws athena get-query-execution --query-execution-id "$QID") || fail "aws athena get-query-execution failed"
		QSTATE=$("$PY" -c 'import json,sys; print(json.load(sys.stdin)["QueryExecution"]["Status"]["State"])' <<<"$qe")
		[[ $QSTATE == QUEUED || $QSTATE == RUNNING ]] || break
		sleep 0.25
	done
	IFS=$'\t' read -r QSCANNED QOUT QREASON < <("$PY" -c '
import json, sys
q = json.load(sys.stdin)["QueryExecution"]
print("%s\t%s\t%s" % (q["Statistics"]["DataScannedInBytes"], q["ResultConfiguration"]["OutputLocation"], q["Status"].get("StateChangeReason", "")))
' <<<"$qe")
}

# athena_rows QID: the query's rows, one a line, values joined by | (NULL
# for a null), the header first for a query.
athena_rows() {
	aws athena get-query-results --query-execution-id "$1" | "$PY" -c '
import json, sys
for r in json.load(sys.stdin)["ResultSet"]["Rows"]:
    print("|".join(d.get("VarCharValue", "NULL") for d in r["Data"]))
'
}

# ---------------------------------------------------------------------------
step "11. AWS CLI v2: Athena (the emulator serves it: any failure is one)"
athena_run "SELECT count(*) FROM $TOPIC"
[[ $QSTATE == SUCCEEDED ]] || fail "query $QID: $QSTATE ($QREASON); want SUCCEEDED"
n=$(athena_rows "$QID" | tail -n1) || fail "aws athena get-query-results failed"
[[ $n -eq $N_RECORDS ]] || fail "Athena counted $n; want $N_RECORDS"
((QSCANNED > 0)) || fail "DataScannedInBytes = $QSCANNED for a count over every object; want the bytes read"
ok "query $QID SUCCEEDED: count(*) = $n, DataScannedInBytes $QSCANNED"
[[ $QOUT == "s3://$BUCKET/athena-results/$QID.csv" ]] || fail "output location $QOUT; want s3://$BUCKET/athena-results/$QID.csv"
csv=$(aws s3 cp "$QOUT" -) || fail "no result CSV at $QOUT"
[[ $(tail -n1 <<<"$csv" | tr -d '"\r') == "$N_RECORDS" ]] || fail "result CSV at $QOUT is: $csv"
ok "result CSV at $QOUT: $(paste -sd' ' <<<"$csv")"
COUNT_QID=$QID
# The original's row-shaped records, by their mixed-case columns (Athena lowers names).
athena_run "SELECT count(*), count(DISTINCT \"index\"), min(\"date\"), round(sum(closeusd), 2), round(sum(\"adj close\"), 2) FROM $ROWS_TOPIC"
[[ $QSTATE == SUCCEEDED ]] || fail "query $QID over $ROWS_TOPIC: $QSTATE ($QREASON); want SUCCEEDED"
ATHENA_ROWS=$(athena_rows "$QID" | tail -n1 | tr '|' ',')
[[ $ATHENA_ROWS == "$N_ROWS,"* ]] || fail "Athena over $ROWS_TOPIC: $ATHENA_ROWS; want $N_ROWS rows first"
ok "Athena over the row-shaped records: count, indexes, first date, sum(closeusd), sum(\"adj close\") = $ATHENA_ROWS"
athena_run "SELECT 7/2, 7.0/2, regexp_like('abc', 'b'), date_add('day', 1, DATE '2026-12-06'), ROW(1, 'x'), sequence(1, 3), approx_percentile(x, 0.5) FROM UNNEST(ARRAY[1, 2, 3]) AS t(x)"
got=$(athena_rows "$QID" | tail -n1)
[[ $got == "3|3.5|true|2026-12-07|{field0=1, field1=x}|[1, 2, 3]|2" ]] || fail "Trino's answers: $got ($QSTATE $QREASON)"
ok "SELECT 7/2, 7.0/2, regexp_like, date_add, ROW, sequence, approx_percentile = $got, as Trino answers"
athena_run "SELECT 1/0"
[[ $QSTATE == FAILED && $QREASON == *"Division by zero"* ]] || fail "SELECT 1/0: $QSTATE $QREASON; want FAILED, Division by zero"
athena_run "SELECT * FROM read_text('/etc/passwd')"
[[ $QSTATE == FAILED && $QREASON == *"FUNCTION_NOT_FOUND"* ]] || fail "read_text: $QSTATE $QREASON; want FAILED, FUNCTION_NOT_FOUND"
ok "SELECT 1/0 and DuckDB's read_text are FAILED: $QREASON"

# ---------------------------------------------------------------------------
step "11b. AWS CLI v2: Athena DDL on the same catalog"
athena_run "CREATE EXTERNAL TABLE ticks_ext (symbol string, seq bigint, price double) PARTITIONED BY (dt string)
	ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe' LOCATION 's3://$BUCKET/$TOPIC/'"
[[ $QSTATE == SUCCEEDED ]] || fail "CREATE EXTERNAL TABLE: $QSTATE $QREASON"
athena_run "SELECT count(*) FROM ticks_ext"
[[ $(athena_rows "$QID" | tail -n1) == 0 ]] || fail "ticks_ext before MSCK REPAIR TABLE: $(athena_rows "$QID")"
athena_run "MSCK REPAIR TABLE ticks_ext"
[[ $QSTATE == SUCCEEDED ]] || fail "MSCK REPAIR TABLE: $QSTATE $QREASON"
repaired=$(athena_rows "$QID" | grep -c "Repair: Added partition to metastore ticks_ext:dt=") || fail "MSCK REPAIR TABLE added nothing: $(athena_rows "$QID")"
athena_run "SELECT count(*), count(DISTINCT dt) FROM ticks_ext"
got=$(athena_rows "$QID" | tail -n1)
[[ $got == "$N_RECORDS|$repaired" ]] || fail "ticks_ext after MSCK REPAIR TABLE: $got; want $N_RECORDS|$repaired"
glue_parts=$(aws glue get-partitions --database-name "$DB" --table-name ticks_ext --expression "dt >= '1970-01-01'" --query 'length(Partitions)' --output text)
[[ $glue_parts == "$repaired" ]] || fail "Glue lists $glue_parts partitions of ticks_ext; MSCK added $repaired"
athena_run "SHOW PARTITIONS ticks_ext"
[[ $(athena_rows "$QID" | grep -c '^dt=') == "$repaired" ]] || fail "SHOW PARTITIONS: $(athena_rows "$QID")"
ok "CREATE EXTERNAL TABLE ... PARTITIONED BY ... LOCATION, MSCK REPAIR TABLE ($repaired partitions, in Glue too), count(*) = $N_RECORDS"
athena_run "CREATE VIEW py_ticks AS SELECT symbol, count(*) AS n FROM ticks_ext WHERE symbol LIKE 'PY-%' GROUP BY symbol"
[[ $QSTATE == SUCCEEDED ]] || fail "CREATE VIEW: $QSTATE $QREASON"
athena_run "SELECT sum(n) FROM py_ticks"
[[ $(athena_rows "$QID" | tail -n1) == "$N_PY" ]] || fail "the view counts $(athena_rows "$QID" | tail -n1); want $N_PY"
got=$(aws glue get-table --database-name "$DB" --name py_ticks --query 'Table.TableType' --output text)
[[ $got == VIRTUAL_VIEW ]] || fail "Glue's py_ticks is a $got"
athena_run "DROP VIEW py_ticks"
athena_run "DROP TABLE ticks_ext"
[[ $QSTATE == SUCCEEDED ]] || fail "DROP TABLE: $QSTATE $QREASON"
if out=$(aws glue get-table --database-name "$DB" --name ticks_ext 2>&1); then fail "ticks_ext is still in Glue: $out"; fi
ok "CREATE VIEW (a VIRTUAL_VIEW in Glue), a query of it, DROP VIEW, DROP TABLE (gone from Glue)"
athena_run "CREATE TABLE interop_nested WITH (external_location = 's3://$BUCKET/interop-nested/') AS
	SELECT ARRAY['a', 'b, c'] arr, MAP(ARRAY['k'], ARRAY[1]) m, to_utf8('a') vb, symbol FROM $TOPIC LIMIT 1"
[[ $QSTATE == SUCCEEDED ]] || fail "CTAS of array, map and varbinary columns: $QSTATE $QREASON"
got=$(aws glue get-table --database-name "$DB" --name interop_nested --query 'Table.StorageDescriptor.Columns[].[Name, Type]' --output text | tr '\t\n' ': ')
[[ $got == "arr:array<string> m:map<string,int> vb:binary symbol:string " ]] || fail "Glue's interop_nested columns: $got"
athena_run "SELECT arr[2], cardinality(arr), m['k'], to_hex(vb) FROM interop_nested"
got=$(athena_rows "$QID" | tail -n1)
[[ $got == "b, c|2|1|61" ]] || fail "interop_nested read back: $got ($QSTATE $QREASON)"
athena_run "SELECT count(*) FROM interop_nested"
((QSCANNED > 0)) || fail "count(*) of a Parquet table scanned $QSCANNED bytes; want its footer's"
ok "CTAS keeps array, map and varbinary columns ($got), count(*) of its Parquet scans $QSCANNED bytes"
aws athena create-work-group --name interop-wg --configuration "ResultConfiguration={OutputLocation=s3://$BUCKET/athena-wg/}" ||
	fail "aws athena create-work-group failed"
got=$(aws athena list-data-catalogs --query 'DataCatalogsSummary[].[CatalogName,Type]' --output text) || fail "aws athena list-data-catalogs failed"
[[ $got == $'AwsDataCatalog\tGLUE' ]] || fail "aws athena list-data-catalogs: $got; want AwsDataCatalog GLUE"
aws athena list-databases --catalog-name AwsDataCatalog --query 'DatabaseList[].Name' --output text | tr '\t' '\n' | grep -qx "$DB" ||
	fail "aws athena list-databases does not list $DB"
got=$(aws athena list-table-metadata --catalog-name AwsDataCatalog --database-name "$DB" --page-size 1 --query 'TableMetadataList[].Name' --output text | tr '\t' '\n' | sort) ||
	fail "aws athena list-table-metadata failed"
want=$(aws glue get-tables --database-name "$DB" --query 'TableList[].Name' --output text | tr '\t' '\n' | sort)
[[ -n $got && $got == "$want" ]] || fail "aws athena list-table-metadata, a page of one at a time: $got; glue get-tables: $want"
got=$(aws athena get-table-metadata --catalog-name AwsDataCatalog --database-name "$DB" --table-name "$TOPIC" \
	--query '[TableMetadata.TableType, TableMetadata.PartitionKeys[0].Name, TableMetadata.Parameters.location]' --output text) ||
	fail "aws athena get-table-metadata failed"
[[ $got == "EXTERNAL_TABLE"$'\t'"dt"$'\t'"s3://$BUCKET/"* ]] || fail "aws athena get-table-metadata $TOPIC: $got"
out=$(aws athena get-table-metadata --catalog-name AwsDataCatalog --database-name "$DB" --table-name no_such_table 2>&1) &&
	fail "get-table-metadata of a missing table succeeded: $out"
[[ $out == *MetadataException*"Error Code: EntityNotFoundException"* ]] || fail "get-table-metadata of a missing table: $out"
NQID=$(aws athena create-named-query --work-group interop-wg --name "count ticks" --database "$DB" --query-string "SELECT count(*) FROM $TOPIC" \
	--query NamedQueryId --output text) || fail "aws athena create-named-query failed"
aws athena update-work-group --work-group interop-wg --state DISABLED || fail "aws athena update-work-group failed"
out=$(aws athena start-query-execution --work-group interop-wg --query-string "SELECT 1" 2>&1) && fail "a query ran in a DISABLED workgroup: $out"
aws athena update-work-group --work-group interop-wg --state ENABLED --description "interop's" || fail "aws athena update-work-group failed"
out=$(aws athena delete-work-group --work-group interop-wg 2>&1) && fail "delete-work-group of a workgroup with a named query succeeded: $out"
ok "the AWS CLI browses the catalog (list-data-catalogs, list-databases, list-table-metadata a page at a time, get-table-metadata), saves a named query, disables and enables a workgroup"

# ---------------------------------------------------------------------------
step "12. boto3 through the same endpoint"
if ((HAVE_BOTO3)); then
	bounded "$PY" interop/boto3_check.py "$ENDPOINT" "$BUCKET" "$TOPIC" "$DB" "$n_obj" || fail "the boto3 check failed"
	bounded "$PY" interop/boto3_s3_check.py "$ENDPOINT" || fail "the S3 features check (boto3) failed"
else
	echo "    SKIP boto3: python3-boto3 is not installed"
fi

# ---------------------------------------------------------------------------
step "13. pipeline query: count and per-source counts over what the Glue crawler cataloged"
q="SELECT count(*) AS n, count(DISTINCT symbol || ':' || seq) AS uniq,
  sum(CASE WHEN symbol LIKE 'PY-%' THEN 1 ELSE 0 END) AS py,
  sum(CASE WHEN symbol LIKE 'KP-%' THEN 1 ELSE 0 END) AS kp,
  sum(CASE WHEN symbol LIKE 'KC-%' THEN 1 ELSE 0 END) AS kcat FROM $TOPIC"
got=$(bounded "$BIN" query --data-dir "$DATA" --output csv "$q" | tail -n1) || fail "pipeline query failed"
[[ $got == "$N_RECORDS,$N_TOTAL,$N_PY,$((4 * N_CODEC)),$((2 * N_KCAT))" ]] ||
	fail "n,uniq,py,kp,kcat = $got; want $N_RECORDS,$N_TOTAL,$N_PY,$((4 * N_CODEC)),$((2 * N_KCAT))"
got=$(bounded "$BIN" query --data-dir "$DATA" --output csv "SELECT count(*) FROM $TOPIC WHERE surnasdasdame = 'parasdasdmar' AND symbol IS NULL" | tail -n1) ||
	fail "pipeline query failed"
[[ $got == 1 ]] || fail "the tutorial's test message is $got rows of $TOPIC; want 1"
ok "count(*) = $N_RECORDS = $N_PY (paper) + $((4 * N_CODEC)) (kafka-python codecs) + $((2 * N_KCAT)) (kcat) + $N_OURS (ours) + the tutorial's test message, a row with its own column; no (symbol, seq) twice"
rows_q="SELECT count(*), count(DISTINCT \"Index\"), min(\"Date\"), round(sum(CloseUSD), 2), round(sum(\"Adj Close\"), 2) FROM $ROWS_TOPIC"
got=$(bounded "$BIN" query --data-dir "$DATA" --output csv "$rows_q" | tail -n1) || fail "pipeline query failed"
[[ $got == "$N_ROWS,14,2021-01-01,"* ]] || fail "$rows_q = $got; want $N_ROWS rows of 14 indexes from 2021-01-01"
[[ -z ${ATHENA_ROWS:-} || $got == "$ATHENA_ROWS" ]] || fail "$rows_q = $got in DuckDB, $ATHENA_ROWS in Athena"
ok "the paper's rows: count, indexes, first date, sum(CloseUSD), sum(\"Adj Close\") = $got${ATHENA_ROWS:+, as in Athena}"

# ---------------------------------------------------------------------------
step "14. stop the emulator with SIGTERM"
stop_pid "$EMU_PID" 30 || fail "pipeline emulate did not exit within 30s of SIGTERM"
EMU_PID=""
[[ $STOP_RC -eq 0 ]] || fail "pipeline emulate exited $STOP_RC on SIGTERM: $(cat "$DATA/emulate.log")"
[[ ! -e $DATA/endpoints.json ]] || fail "pipeline emulate left $DATA/endpoints.json behind"
ok "exit 0, endpoints.json removed"

# ---------------------------------------------------------------------------
step "15. restart the emulator on the same data dir: crawler, workgroup, query executions kept"
"$BIN" emulate --data-dir "$DATA" --kafka-addr 127.0.0.1:0 --s3-addr 127.0.0.1:0 >"$DATA/emulate2.log" 2>&1 &
EMU_PID=$!
for _ in $(seq 150); do
	[[ -s $DATA/endpoints.json ]] && break
	kill -0 "$EMU_PID" 2>/dev/null || fail "pipeline emulate exited: $(cat "$DATA/emulate2.log")"
	sleep 0.1
done
ENDPOINT=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["s3"])' "$DATA/endpoints.json")
got=$(aws glue get-crawler --name interop-crawler --query 'Crawler.LastCrawl.Status' --output text) || fail "the crawler is gone after a restart"
[[ $got == SUCCEEDED ]] || fail "the crawler's last crawl after a restart: $got"
got=$(aws athena get-work-group --work-group interop-wg --query 'WorkGroup.[State,Description]' --output text) || fail "the workgroup is gone after a restart"
[[ $got == "ENABLED"$'\t'"interop's" ]] || fail "the workgroup after a restart: $got; want ENABLED, interop's"
got=$(aws athena get-named-query --named-query-id "$NQID" --query NamedQuery.QueryString --output text) || fail "named query $NQID is gone after a restart"
[[ $got == "SELECT count(*) FROM $TOPIC" ]] || fail "named query $NQID after a restart: $got"
aws athena delete-work-group --work-group interop-wg --recursive-delete-option || fail "aws athena delete-work-group --recursive-delete-option failed"
out=$(aws athena get-named-query --named-query-id "$NQID" 2>&1) && fail "named query $NQID outlived its workgroup: $out"
got=$(aws athena get-query-execution --query-execution-id "$COUNT_QID" --query 'QueryExecution.Status.State' --output text) ||
	fail "query $COUNT_QID is gone after a restart"
[[ $got == SUCCEEDED && $(athena_rows "$COUNT_QID" | tail -n1) == "$N_RECORDS" ]] || fail "query $COUNT_QID after a restart: $got, $(athena_rows "$COUNT_QID")"
ok "after a restart: crawler interop-crawler (last crawl SUCCEEDED), workgroup interop-wg (then deleted with its named query), query $COUNT_QID and its result"
stop_pid "$EMU_PID" 30 || fail "pipeline emulate did not exit within 30s of SIGTERM"
EMU_PID=""
