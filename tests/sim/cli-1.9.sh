#!/usr/bin/env bash
# tests/sim/cli-1.9.sh: the simulator's 1.9.3 command surface without booting
# a machine (SMOLVM_SIM_VERSION=1.9.3): --name flags instead of positional
# NAMEs, labels, --dns, -I local sources, egress-events, stop/data-dir of
# unknown names, the duplicate-create message, create-time refusals, the
# 1.9.3 JSON fields; and that the 0.8.0 surface refuses the 1.9.3 argv.
. "$(dirname "$0")/../lib.sh"
t_need_root

. "$T_ROOT/tests/sim/lib-sim.bash"
sim_begin
export SMOLVM_SIM_VERSION=1.9.3
# jx EXPR: EXPR over the JSON document d on stdin, printed as JSON
jx() { python3 -c "import json,sys; d=json.load(sys.stdin); print(json.dumps($1, sort_keys=True))"; }

run "$SMOLVM" --version
t_eq "--version: smolvm 1.9.3" "0 smolvm 1.9.3" "$RC $OUT"

# --- create: NAME is a flag ---
run "$SMOLVM" machine create c1
t_eq "positional NAME: usage error, exit 2" 2 "$RC"
t_match "positional NAME: clap's unexpected argument" "^error: unexpected argument 'c1' found" "$ERR"
run "$SMOLVM" machine create --name c1 --label bottle=1 --label owner=a=b
t_eq "create --name --label: exit 0" 0 "$RC"
t_match "create --name: Created machine" "^Created machine: c1\$" "$OUT"
note_uids
run "$SMOLVM" machine create -n c2
t_eq "create -n works too" 0 "$RC"
note_uids
run "$SMOLVM" machine create --name c1
t_eq "duplicate: exit 1" 1 "$RC"
t_eq "duplicate: 1.0.0+ message" "Error: config operation failed: create machine: machine 'c1' already exists or is being created" "$ERR"
run "$SMOLVM" machine create --name c3 --label novalue
t_eq "label without =: error" "1 Error: config operation failed: --label: expected KEY=VALUE, got 'novalue'" "$RC $ERR"
run "$SMOLVM" machine create --name c3 --label =v
t_eq "label with an empty key: error" "1 Error: config operation failed: --label: label key cannot be empty (in '=v')" "$RC $ERR"
run "$SMOLVM" machine create
gen=$(printf '%s\n' "$OUT" | sed -n 's/^Created machine: //p')
note_uids
t_match "create without --name: vm- + 8 hex digits" "^vm-[0-9a-f]{8}\$" "$gen"

# --- JSON ---
S=$("$SMOLVM" machine status --name c1 --json)
t_eq "status JSON: labels" '{"bottle": "1", "owner": "a=b"}' "$(printf '%s' "$S" | jx 'd["labels"]')"
t_eq "status JSON: the 1.9.3 field set" \
	'["cmd", "cpus", "created_at", "cuda", "cuda_fork_pool_size", "cuda_vram_limit_mib", "entrypoint", "ephemeral", "forkable", "forkpoint_held", "gpu", "gpu_vram_mib", "health_cmd", "health_interval_secs", "health_retries", "health_startup_grace_secs", "health_timeout_secs", "image", "labels", "memory_mib", "mounts", "name", "network", "overlay_gb", "pid", "ports", "restart_count", "restart_max_retries", "restart_policy", "state", "storage_gb"]' \
	"$(printf '%s' "$S" | jx 'sorted(d)')"
t_eq "ls JSON: labels {} when none" '{}' "$("$SMOLVM" machine ls --json | jx '[m for m in d if m["name"] == "c2"][0]["labels"]')"
run "$SMOLVM" machine status --name c1
t_eq "text status: the resolved state (1.0.0+)" "Machine 'c1': created" "$OUT"

# --- delete / data-dir / stop / egress-events ---
run "$SMOLVM" machine delete c2 -f
t_eq "delete with a positional NAME: exit 2" 2 "$RC"
run "$SMOLVM" machine delete -f
t_eq "delete without --name: exit 2" 2 "$RC"
t_match "delete without --name: names --name" "required arguments were not provided:.*--name <NAME>" "$(echo $ERR)"
run "$SMOLVM" machine data-dir c1
t_eq "data-dir with a positional NAME: exit 2" 2 "$RC"
run "$SMOLVM" machine data-dir --name c1
t_eq "data-dir --name: the machine's directory" "0 $SMOLVM_SIM_HOME/vms/$(printf c1 | sha256sum | cut -c1-16)" "$RC $OUT"
run "$SMOLVM" machine data-dir --name nosuch
t_eq "data-dir of an unknown name: vm not found (0.8.1+)" "1 Error: vm not found: nosuch" "$RC $ERR"
run "$SMOLVM" machine stop --name nosuch
t_eq "stop of an unknown name: exit 1, vm not found (0.8.1+)" "1 Error: vm not found: nosuch" "$RC $ERR"
run "$SMOLVM" machine stop --name c1
t_eq "stop of a created machine" "0 Machine 'c1' is not running (state: created)" "$RC $OUT"
run "$SMOLVM" machine egress-events --name nosuch --json
t_eq "egress-events of an unknown machine: [] exit 0" "0 []" "$RC $OUT"
run "$SMOLVM" machine egress-events --name c1
t_eq "egress-events text, no log" "0 No egress denials recorded for 'c1'." "$RC $OUT"
DD=$("$SMOLVM" machine data-dir --name c1)
printf '%s\n' "[2026-08-13T02:31:05Z]: egress policy denied connect to 10.0.0.9:443" \
	"noise" "[2026-08-13T02:31:06Z]: egress policy denied sendto 10.0.0.9:123" >"$DD/egress-denials.log"
run "$SMOLVM" machine egress-events --name c1 --json
t_eq "egress-events --json: oldest first, three fields" \
	'[{"dest": "10.0.0.9:443", "operation": "connect", "timestamp": "2026-08-13T02:31:05Z"}, {"dest": "10.0.0.9:123", "operation": "sendto", "timestamp": "2026-08-13T02:31:06Z"}]' \
	"$(printf '%s' "$OUT" | jx d)"
run "$SMOLVM" machine egress-events --name c1 --json --limit 1
t_eq "egress-events --limit keeps the newest" '["sendto"]' "$(printf '%s' "$OUT" | jx '[e["operation"] for e in d]')"
run "$SMOLVM" machine egress-events --name c1
t_eq "egress-events text table" "TIMESTAMP                      OP        DESTINATION
2026-08-13T02:31:05Z           connect   10.0.0.9:443
2026-08-13T02:31:06Z           sendto    10.0.0.9:123" "$OUT"

# --- create-time refusals ---
run "$SMOLVM" machine create --name r1 --storage 0
t_eq "--storage 0 refused" "1 Error: config operation failed: validate resources: storage disk size must be greater than 0 GiB" "$RC $ERR"
run "$SMOLVM" machine create --name r1 --overlay 0
t_eq "--overlay 0 refused" "1 Error: config operation failed: validate resources: overlay disk size must be greater than 0 GiB" "$RC $ERR"
run "$SMOLVM" machine create --name r1 --dns not-an-ip
t_eq "--dns takes an IPv4 address (exit 2)" 2 "$RC"
run "$SMOLVM" machine create --name r1 -I ./img.tar
t_eq "-I with a relative path: refused" 1 "$RC"
t_match "-I relative: says absolute" "give -I an absolute path" "$ERR"
run "$SMOLVM" machine create --name r1 -I alpine:3.20 --net
t_eq "-I with a registry reference: refused" 1 "$RC"
t_match "-I registry: documented refusal" "registry reference .* is not simulated" "$ERR"
run "$SMOLVM" machine create --name r1 -I /nonexistent.tar
t_match "-I missing archive" "^Error: config operation failed: --image: cannot read archive /nonexistent.tar" "$ERR"
printf '%s\n' 'image = "bottle-demo-vm:latest"' >"$TMP/noNet"
run "$SMOLVM" machine create --name r1 -s "$TMP/noNet"
t_eq "registry image without network: refused at create (1.7.3+)" 1 "$RC"
t_match "registry image without network: message" "image 'bottle-demo-vm:latest' must be pulled from a registry, but this machine has no network" "$ERR"
printf '%s\n' '[network]' 'allow_cidrs = ["10.0.0.1"]' >"$TMP/pol"
run "$SMOLVM" machine create --name r1 -s "$TMP/pol" --net-backend tsi
t_match "an allowlist with --net-backend tsi: refused" "^Error: config operation failed: egress: egress policy .* requires the virtio-net backend" "$ERR"
run "$SMOLVM" machine ls --json
t_eq "no refused create was recorded" '["c1", "c2", "'"$gen"'"]' "$(printf '%s' "$OUT" | jx 'sorted(m["name"] for m in d)')"
run "$SMOLVM" machine delete --name c1 -f
t_eq "delete --name -f" "0" "$RC"
t_match "delete --name -f: text" "Deleted machine: c1\$" "$OUT"

# --- 0.8.0 refuses the 1.9.3 argv ---
SMOLVM_SIM_VERSION=0.8.0 run "$SMOLVM" machine create --name z1
t_eq "0.8.0: create --name is a usage error" "2" "$RC"
t_match "0.8.0: unexpected argument '--name'" "unexpected argument '--name' found" "$ERR"
SMOLVM_SIM_VERSION=0.8.0 run "$SMOLVM" machine create z1 --label a=b
t_eq "0.8.0: --label is a usage error (exit 2)" 2 "$RC"
SMOLVM_SIM_VERSION=0.8.0 run "$SMOLVM" machine egress-events --name z1
t_eq "0.8.0: there is no egress-events (exit 2)" 2 "$RC"
SMOLVM_SIM_VERSION=0.8.0 run "$SMOLVM" machine stop --name nosuch
t_eq "0.8.0: stop of an unknown name still exits 0" "0 Machine 'nosuch' not found or not running" "$RC $OUT"
SMOLVM_SIM_VERSION=0.8.0 run "$SMOLVM" machine status --name "$gen" --json
t_eq "0.8.0: no labels field in status JSON" "False" "$(printf '%s' "$OUT" | python3 -c 'import json,sys; print("labels" in json.load(sys.stdin))')"

t_cleanup
check_leftovers
