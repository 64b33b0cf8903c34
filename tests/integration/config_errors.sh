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

t_check "no state directory was created" test ! -e "$BOTTLE_STATE_DIR"
t_world_clean_check
