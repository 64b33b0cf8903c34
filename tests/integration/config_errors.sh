#!/usr/bin/env bash
# tests/integration/config_errors.sh: a bad configuration gets a clear
# error naming the key, exit 78, and changes nothing (no state directory,
# no docker object, no simulator machine).
. "$(dirname "$0")/../lib.sh"
. "$T_ROOT/tests/lib-bottle.sh"
t_world 202 ce1

check() { # check DESCRIPTION JSON EXPECTED-REGEX
	t_config_json "$2"
	brun up --all
	t_eq "$1: exit 78" 78 "$RC"
	t_match "$1: message" "$3" "$ERR"
}

base='"vm":{"image":"bottle-demo-vm:latest"},"bundle":{"image":"bottle-demo-bundle:latest"}'
check "typo in a key" "{\"bottles\":{\"ce1\":{$base,\"subnet_prefx\":28}}}" \
	'bottles\.ce1\.subnet_prefx: unknown key \(did you mean "subnet_prefix"\?\)'
check "cpus as a string" "{\"bottles\":{\"ce1\":{\"vm\":{\"image\":\"x\",\"cpus\":\"2\"},\"bundle\":{\"image\":\"y\"}}}}" \
	'bottles\.ce1\.vm\.cpus: expected an integer'
check "bad bottle name" "{\"bottles\":{\"../etc\":{$base}}}" \
	'invalid bottle name'
vm='"vm":{"image":"bottle-demo-vm:latest"}'
check "egress exposed" "{\"bottles\":{\"ce1\":{$vm,\"bundle\":{\"image\":\"y\",\"services\":{\"egress\":{\"bind\":\"0.0.0.0\"}}}}}}" \
	'bottles\.ce1\.bundle\.services\.egress.*(loopback|127)'
check "port out of range" "{\"bottles\":{\"ce1\":{$vm,\"bundle\":{\"image\":\"y\",\"services\":{\"pipelock\":{\"port\":70000}}}}}}" \
	'bottles\.ce1\.bundle\.services\.pipelock\.port'
check "JSON syntax" '{"bottles": {' 'line [0-9]+, column [0-9]+: invalid JSON'
check "missing image" '{"bottles":{"ce1":{}}}' 'bottles\.ce1\.vm\.image'

t_config_json '{"bottles":{"ce1":{}}}'
brun ls
t_eq "ls with a bad config also exits 78" 78 "$RC"
brun -c /nonexistent/bottles.json ls
t_eq "a missing -c file exits 78" 78 "$RC"
t_match "and names the file" "/nonexistent/bottles.json" "$ERR"

# a hostile configuration cannot hand the guest the host (the CLI adds
# bottle's own directories and the user's home to the config's checks)
vols() { # vols DESCRIPTION HOST-PATH EXPECTED-REGEX
	check "$1" "{\"bottles\":{\"ce1\":{\"vm\":{\"image\":\"v\",\"volumes\":[\"$2:/w\"]},\"bundle\":{\"image\":\"b\"}}}}" "$3"
}
vols "/root mounted" /root 'bottles\.ce1\.vm\.volumes\[0\]: .*/root is a system directory'
vols "/etc mounted" /etc/ssh 'bottles\.ce1\.vm\.volumes\[0\]: .*/etc is a system directory'
vols "the state directory mounted" "$BOTTLE_STATE_DIR" \
	"bottles\\.ce1\\.vm\\.volumes\\[0\\]: .*bottle's own"
vols "a directory holding the configuration" "$(dirname "$CFG")" \
	"bottles\\.ce1\\.vm\\.volumes\\[0\\]: .*bottle's own"
vols "another user's home" /home/someone-else/src \
	"bottles\\.ce1\\.vm\\.volumes\\[0\\]: .*another user's home"
check "a loopback subnet pool" "{\"defaults\":{\"subnet_pool\":\"127.0.0.0/16\"},\"bottles\":{\"ce1\":{$base}}}" \
	'defaults\.subnet_pool: "127\.0\.0\.0/16" overlaps 127\.0\.0\.0/8'
check "the guest's own link as a pool" "{\"defaults\":{\"subnet_pool\":\"100.96.0.0/24\"},\"bottles\":{\"ce1\":{$base}}}" \
	'defaults\.subnet_pool: .*100\.96\.0\.0/30'

# The release binary has no test switch: not in its strings, and the
# unsafe bind is refused whatever the environment holds.
if [ -x "$T_ROOT/bottle" ]; then
	n=$(strings "$T_ROOT/bottle" | grep -c 'BOTTLE_TEST_')
	t_eq "the release binary carries no BOTTLE_TEST_ string" 0 "$n"
	t_config_json "{\"bottles\":{\"ce1\":{$vm,\"bundle\":{\"image\":\"y\",\"services\":{\"egress\":{\"bind\":\"0.0.0.0\"}}}}}}"
	out=$(BOTTLE_TEST_UNSAFE_BIND=1 "$T_ROOT/bottle" -c "$CFG" ls 2>&1)
	t_eq "release: the unsafe bind is refused with BOTTLE_TEST_UNSAFE_BIND=1 (exit 78)" 78 "$?"
	t_match "release: and says why" 'egress.*(loopback|127)' "$out"
else
	t_fail "the release binary ./bottle is built (make test builds it)"
fi

t_check "no state directory was created" test ! -e "$BOTTLE_STATE_DIR"
t_world_clean_check
