#!/usr/bin/env bash
# tests/sim/cli.sh: the smolvm simulator's command surface without booting a
# machine: version, usage errors, needs-root, strict Smolfile parsing, create /
# duplicate / status JSON / ls / delete prompt / stop quirks / data-dir.
. "$(dirname "$0")/../lib.sh"
t_need_root

# sim_begin, the leftover checks and run()
. "$T_ROOT/tests/sim/lib-sim.bash"
sim_begin


# --- version, help, usage errors ---
run "$SMOLVM" --version
t_eq "--version prints smolvm 0.8.0" "smolvm 0.8.0" "$OUT"
t_eq "--version exits 0" 0 "$RC"
SMOLVM_SIM_VERSION=1.9.3 run "$SMOLVM" --version
t_eq "SMOLVM_SIM_VERSION=1.9.3 selects 1.9.3" "smolvm 1.9.3" "$OUT"
SMOLVM_SIM_VERSION=0.8.0 run "$SMOLVM" --version
t_eq "SMOLVM_SIM_VERSION=0.8.0 selects 0.8.0" "smolvm 0.8.0" "$OUT"
SMOLVM_SIM_VERSION=1.1.0 run "$SMOLVM" --version
t_eq "an unknown SMOLVM_SIM_VERSION is an error (exit 1)" 1 "$RC"
t_match "unknown version: says which ones exist" "^Error: .*SMOLVM_SIM_VERSION=1.1.0 .*0.8.0, 1.9.3" "$ERR"
t_eq "unknown version: nothing on stdout" "" "$OUT"
run "$SMOLVM" --help
t_match "--help lists the machine command" "machine +Manage machines" "$OUT"
run "$SMOLVM" machine bogus
t_eq "unknown subcommand exits 2" 2 "$RC"
t_match "unknown subcommand: clap error" "^error: unrecognized subcommand 'bogus'" "$ERR"
run "$SMOLVM" machine exec --name x
t_eq "exec without a command exits 2" 2 "$RC"
t_match "exec without a command names <COMMAND>" "required arguments were not provided" "$ERR"
run "$SMOLVM" machine exec -n x -- true
t_eq "exec has no -n (exit 2)" 2 "$RC"
t_match "exec -n is an unexpected argument" "unexpected argument '-n' found" "$ERR"
run "$SMOLVM" machine exec --name x --timeout 5 -- true
t_eq "--timeout without a unit is a usage error" 2 "$RC"
t_match "--timeout error names the value" "invalid value '5' for '--timeout <DURATION>'" "$ERR"
run "$SMOLVM" machine delete
t_eq "delete without NAME exits 2" 2 "$RC"

# --- needs root ---
run setpriv --reuid=65534 --regid=65534 --clear-groups "$SMOLVM" machine ls --json
t_eq "non-root: exit 1" 1 "$RC"
t_eq "non-root: the needs-root message" \
	"Error: smolvm simulator needs root (it enforces the network allowlist with netfilter); run as root or install real smolvm" "$ERR"
run setpriv --reuid=65534 --regid=65534 --clear-groups "$SMOLVM" --version
t_eq "non-root: --version still works" "smolvm 0.8.0" "$OUT"

# --- ls on an empty home; create without NAME generates one ---
run "$SMOLVM" machine ls --json
t_eq "ls --json on no machines prints []" "[]" "$OUT"
run "$SMOLVM" machine create
gen=$(printf '%s\n' "$OUT" | sed -n 's/^Created machine: //p')
note_uids
t_match "create without NAME generates vm- + 8 hex digits" "^vm-[0-9a-f]{8}\$" "$gen"
run "$SMOLVM" machine delete "$gen" -f
t_eq "generated machine deleted" 0 "$RC"

# --- strict Smolfile ---
mkdir -p "$TMP/ws"
sf() { printf '%s\n' "$@" >"$TMP/Smolfile"; }
sf 'image = "bottle-demo-vm:latest"' 'bogus_key = 1'
run "$SMOLVM" machine create s1 -s "$TMP/Smolfile"
t_eq "unknown top-level key: exit 1" 1 "$RC"
t_match "unknown top-level key: smolvm's message" \
	"^Error: config operation failed: load smolfile: failed to parse .*Smolfile: TOML parse error at line 2, column 1" "$ERR"
t_match "unknown top-level key: serde's unknown field" 'unknown field `bogus_key`, expected one of `image`, `entrypoint`' "$ERR"
sf 'image = "x"' '[network]' 'allow_cidrs = ["10.0.0.1/32"]' 'allow_ports = [80]'
run "$SMOLVM" machine create s1 -s "$TMP/Smolfile"
t_eq "unknown [network] key: exit 1" 1 "$RC"
t_match "unknown [network] key: message" 'unknown field `allow_ports`, expected `allow_hosts` or `allow_cidrs`' "$ERR"
sf 'name = "x"'
run "$SMOLVM" machine create s1 -s "$TMP/Smolfile"
t_match "there is no name key" 'unknown field `name`' "$ERR"
sf '[service]' 'port = 80' '[bogus]' 'x = 1'
run "$SMOLVM" machine create s1 -s "$TMP/Smolfile"
t_match "unknown table rejected" 'unknown field `bogus`' "$ERR"
sf '[health]' 'exec = ["true"]' 'every = "1s"'
run "$SMOLVM" machine create s1 -s "$TMP/Smolfile"
t_match "unknown key in another table rejected" 'unknown field `every`, expected one of `exec`' "$ERR"
sf 'cpus = "2"'
run "$SMOLVM" machine create s1 -s "$TMP/Smolfile"
t_match "type checked: string for u8" 'invalid type: string "2", expected u8' "$ERR"
sf 'cpus = 300'
run "$SMOLVM" machine create s1 -s "$TMP/Smolfile"
t_match "range checked: 300 for u8" 'invalid value: integer `300`, expected u8' "$ERR"
sf 'net = "yes"'
run "$SMOLVM" machine create s1 -s "$TMP/Smolfile"
t_match "type checked: bool" 'expected a boolean' "$ERR"
sf 'cmd = "sleep 1"'
run "$SMOLVM" machine create s1 -s "$TMP/Smolfile"
t_match "type checked: sequence" 'expected a sequence' "$ERR"
sf 'env = [1]'
run "$SMOLVM" machine create s1 -s "$TMP/Smolfile"
t_match "type checked: sequence element" 'invalid type: integer `1`, expected a string' "$ERR"
sf 'image = "unterminated'
run "$SMOLVM" machine create s1 -s "$TMP/Smolfile"
t_match "TOML syntax error reported" 'failed to parse .*TOML parse error at line 1' "$ERR"
sf '[network]' 'allow_cidrs = ["not-an-ip"]'
run "$SMOLVM" machine create s1 -s "$TMP/Smolfile"
t_eq "bad CIDR message" \
	"Error: config operation failed: smolfile [network] allow_cidrs: invalid CIDR 'not-an-ip': expected format like 10.0.0.0/8 or 1.1.1.1" "$ERR"
sf "volumes = [\"$TMP/missing:/w\"]"
run "$SMOLVM" machine create s1 -s "$TMP/Smolfile"
t_eq "volume host side must exist" "Error: mount source not found: $TMP/missing" "$ERR"
: >"$TMP/afile"
sf "volumes = [\"$TMP/afile:/w\"]"
run "$SMOLVM" machine create s1 -s "$TMP/Smolfile"
t_match "volume host side must be a directory" "must be a directory \\(virtiofs limitation\\)" "$ERR"
run "$SMOLVM" machine create s1 -s "$TMP/nonexistent"
t_eq "missing Smolfile" \
	"Error: config operation failed: load smolfile: failed to read $TMP/nonexistent: No such file or directory (os error 2)" "$ERR"
run "$SMOLVM" machine ls --json
t_eq "no machine was recorded by the failed creates" "[]" "$OUT"

# --- create, duplicate, status JSON ---
sf 'image = "bottle-demo-vm:latest"' 'cmd = ["sleep", "1000"]' 'env = ["A=1"]' \
	'workdir = "/workspace"' 'cpus = 2' 'memory = 2048' \
	"volumes = [\"$TMP/ws:/workspace\", \"$TMP/ws:/ro:ro\"]" \
	'[network]' 'allow_cidrs = ["10.213.250.2"]' \
	'[artifact]' 'cpus = 1' '[dev]' 'init = []' '[restart]' 'policy = "never"' \
	'[auth]' 'ssh_agent = false' '[service]' 'port = 8080' 'protocol = "http"'
run "$SMOLVM" machine create m1 -s "$TMP/Smolfile"
t_eq "create exits 0" 0 "$RC"
note_uids
t_eq "create prints smolvm's text" "Created machine: m1
  CPUs: 2, Memory: 2048 MiB
  Mounts: 2

Use 'smolvm machine start --name m1' to start the machine
Then use 'smolvm machine exec --name m1 -- <command>' to run commands" "$OUT"
sf 'image = "other"'
run "$SMOLVM" machine create m1 -s "$TMP/Smolfile"
t_eq "duplicate create exits 1" 1 "$RC"
t_eq "duplicate create message" "Error: config operation failed: create machine: machine 'm1' already exists" "$ERR"
run "$SMOLVM" machine status --name m1 --json
t_eq "status --json exits 0" 0 "$RC"
fields=$(printf '%s' "$OUT" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(" ".join(sorted(d)))
')
t_eq "status --json has exactly smolvm 0.8.0's fields" \
	"cmd cpus created_at entrypoint ephemeral gpu gpu_vram_mib health_cmd health_interval_secs health_retries health_startup_grace_secs health_timeout_secs image memory_mib mounts name network overlay_gb pid ports restart_count restart_max_retries restart_policy state storage_gb" "$fields"
vals=$(printf '%s' "$OUT" | python3 -c '
import json, sys, time
d = json.load(sys.stdin)
ok = (d["name"] == "m1" and d["state"] == "created" and d["cpus"] == 2
      and d["memory_mib"] == 2048 and d["pid"] is None and d["mounts"] == 2
      and d["ports"] == 0 and abs(d["created_at"] - time.time()) < 60
      and d["image"] == "bottle-demo-vm:latest" and d["cmd"] == ["sleep", "1000"]
      and d["entrypoint"] == [] and d["network"] is True and d["ephemeral"] is False
      and d["storage_gb"] is None and d["restart_policy"] == "never")
print("ok" if ok else d)
')
t_eq "status --json values" ok "$vals"
run "$SMOLVM" machine status --name m1
t_eq "status (text) of a created machine" "Machine 'm1': not running" "$OUT"
run "$SMOLVM" machine status --name nope --json
t_eq "status of unknown machine exits 1" 1 "$RC"
t_eq "status of unknown machine message" "Error: config operation failed: machine status: machine 'nope' not found" "$ERR"
sf 'image = "bottle-demo-vm:latest"'
"$SMOLVM" machine create m2 -s "$TMP/Smolfile" >/dev/null
note_uids
run "$SMOLVM" machine ls --json
names=$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(" ".join(sorted(m["name"]+":"+m["state"] for m in json.load(sys.stdin))))')
t_eq "ls --json lists both machines" "m1:created m2:created" "$names"
run "$SMOLVM" machine ls
t_match "ls (table) has smolvm's header" "^NAME +STATE +CPUS +MEMORY +MOUNTS +PORTS +STORAGE +OVERLAY" "$OUT"

# --- stop quirks, start/exec of unknown, data-dir ---
run "$SMOLVM" machine stop --name nope
t_eq "stop of unknown exits 0" 0 "$RC"
t_eq "stop of unknown: 0.8.0 quirk text" "Machine 'nope' not found or not running" "$OUT"
run "$SMOLVM" machine stop --name m1
t_eq "stop of a created machine exits 0" 0 "$RC"
t_eq "stop of a created machine text" "Machine 'm1' is not running (state: created)" "$OUT"
run "$SMOLVM" machine start --name nope
t_eq "start of unknown exits 1" 1 "$RC"
t_eq "start of unknown message" "Error: vm not found: nope" "$ERR"
run "$SMOLVM" machine exec --name m1 -- true
t_eq "exec on a never-started machine exits 1" 1 "$RC"
t_eq "exec on a never-started machine message" \
	"Error: agent operation failed: connect: machine 'm1' is not running. Use 'smolvm machine start --name m1' first." "$ERR"
run "$SMOLVM" machine exec --name nope -- true
t_eq "exec on unknown machine message" "Error: vm not found: nope" "$ERR"
run "$SMOLVM" machine data-dir m1
t_match "data-dir is under SMOLVM_SIM_HOME" "^$SMOLVM_SIM_HOME/vms/[0-9a-f]{16}\$" "$OUT"
t_check "data-dir exists for a created machine" test -d "$OUT"

# --- delete prompts without -f ---
run "$SMOLVM" machine delete m2
t_eq "delete without -f on EOF exits 0" 0 "$RC"
t_eq "delete without -f on EOF prints Cancelled" "Cancelled" "$OUT"
t_eq "delete prompt on stderr" "Delete machine 'm2'? [y/N] " "$ERR"
OUT=$(echo no | "$SMOLVM" machine delete m2 2>/dev/null)
t_eq "delete answered no: Cancelled" "Cancelled" "$OUT"
t_check "machine still there after Cancelled" "$SMOLVM" machine status --name m2 --json >/dev/null
OUT=$(echo y | "$SMOLVM" machine delete m2 2>/dev/null)
t_match "delete answered y deletes" "Deleted machine: m2\$" "$OUT"
run "$SMOLVM" machine delete m1 -f
t_eq "delete -f exits 0" 0 "$RC"
t_eq "delete -f text" "Cleaning up data directory for vm: m1
Deleted machine: m1" "$OUT"
run "$SMOLVM" machine delete m1 -f
t_eq "delete of unknown exits 1" 1 "$RC"
t_eq "delete of unknown message" "Error: vm not found: m1" "$ERR"
run "$SMOLVM" machine ls --json
t_eq "nothing left" "[]" "$OUT"

t_cleanup
check_leftovers
