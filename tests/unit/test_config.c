/* test_config.c: bottles.json validation, messages and merge semantics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tmp-tree.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "util.h"

/* Images every valid bottle needs, set once in defaults. */
#define IMAGES                                                                 \
	"\"defaults\": {\"vm\": {\"image\": \"vm:1\"}, \"bundle\": "           \
	"{\"image\": \"bundle:1\"}}"

/* parse_ok: json must parse with no origin; caller config_free()s. */
static struct config *parse_ok(const char *json)
{
	struct config *c = NULL;
	char *cause = NULL;

	if (config_parse(json, strlen(json), NULL, &c, &cause) != 0) {
		print_error("unexpected error: %s\n", cause);
		free(cause);
		fail();
	}
	assert_non_null(c);
	return c;
}

/* expect_error: json (len bytes) must fail with exactly want. */
static void expect_error(const char *json, size_t len, const char *origin,
			 const char *want)
{
	struct config *c = (struct config *)&c;
	char *cause = NULL;

	assert_int_equal(config_parse(json, len, origin, &c, &cause), -1);
	assert_null(c);
	assert_non_null(cause);
	assert_string_equal(cause, want);
	free(cause);
}

/* ---- malformed configurations: one test per case ----------------------- */

struct bad_case {
	const char *name; /* test name: what is refused */
	const char *json;
	size_t len; /* 0: strlen(json) */
	const char *want;
};

static const struct bad_case bad_cases[] = {
    {"rejects cpus given as a string",
     "{\"bottles\": {\"web\": {\"vm\": {\"cpus\": \"2\"}}}}", 0,
     "config: bottles.web.vm.cpus: expected an integer from 1 to 64, got "
     "\"2\""},
    {"rejects cpus above 64", "{\"defaults\": {\"vm\": {\"cpus\": 65}}}", 0,
     "config: defaults.vm.cpus: expected an integer from 1 to 64, got 65"},
    {"rejects a fractional cpus", "{\"defaults\": {\"vm\": {\"cpus\": 2.5}}}",
     0, "config: defaults.vm.cpus: expected an integer from 1 to 64, got 2.5"},
    {"rejects a huge number without overflowing",
     "{\"defaults\": {\"vm\": {\"memory\": 1e300}}}", 0,
     "config: defaults.vm.memory: expected an integer from 64 to 1048576, "
     "got 1e+300"},
    {"rejects memory below 64 MiB",
     "{\"defaults\": {\"vm\": {\"memory\": 32}}}", 0,
     "config: defaults.vm.memory: expected an integer from 64 to 1048576, "
     "got 32"},
    {"suggests the closest key for a misspelt one",
     "{\"bottles\": {\"web\": {\"vm\": {\"cpu\": 2}}}}", 0,
     "config: bottles.web.vm.cpu: unknown key (did you mean \"cpus\"?)"},
    {"suggests a key for a transposition",
     "{\"defaults\": {\"bundle\": {\"porxy\": \"pipelock\"}}}", 0,
     "config: defaults.bundle.porxy: unknown key (did you mean \"proxy\"?)"},
    {"lists the valid keys when nothing is close",
     "{\"defaults\": {\"vm\": {\"gpu_count\": 1}}}", 0,
     "config: defaults.vm.gpu_count: unknown key (expected one of: image, "
     "entrypoint, cmd, env, workdir, cpus, memory, volumes, git_writable)"},
    {"rejects an unknown top-level key", "{\"bottle\": {}}", 0,
     "config: bottle: unknown key (did you mean \"bottles\"?)"},
    {"quotes a key that is not a plain word in the path", "{\"my app\": {}}", 0,
     "config: [\"my app\"]: unknown key (expected one of: defaults, "
     "bottles)"},
    {"rejects an upper-case bottle name", "{\"bottles\": {\"Web\": {}}}", 0,
     "config: bottles.Web: invalid bottle name (lower-case letters, digits "
     "and single dashes, 1-32 characters, starting and ending with a letter "
     "or digit)"},
    {"rejects a bottle name with a double dash",
     "{\"bottles\": {\"a--b\": {}}}", 0,
     "config: bottles.a--b: invalid bottle name (lower-case letters, digits "
     "and single dashes, 1-32 characters, starting and ending with a letter "
     "or digit)"},
    {"rejects a duplicate key", "{\"bottles\": {\"a\": {}, \"a\": {}}}", 0,
     "config: bottles.a: duplicate key"},
    {"gives line and column of a missing comma",
     "{\n  \"defaults\": {\n    \"vmm\": \"sim\"\n    \"log_lines\": 100\n"
     "  }\n}\n",
     0,
     "config: line 4, column 5: invalid JSON near \"\\\"log_lines\\\": 100\""},
    {"gives the position of trailing garbage", "{}\n  x", 0,
     "config: line 2, column 3: invalid JSON near \"x\""},
    {"reports a truncated document", "{\"bottles\": {", 0,
     "config: line 1, column 14: invalid JSON: unexpected end of input"},
    {"reports an unterminated block comment where it starts",
     "{} /* note\n   still open", 0,
     "config: line 1, column 4: unterminated comment"},
    {"rejects a raw NUL byte with its position", "{\"a\":\n \0}", 9,
     "config: line 2, column 2: NUL byte in the input"},
    {"rejects an escaped NUL in a string",
     "{\"defaults\": {\"vm\": {\"env\": {\"A\": \"x\\u0000y\"}}}}", 0,
     "config: line 1, column 37: \"\\u0000\" in a string is not allowed "
     "(strings cannot contain NUL)"},
    {"rejects an empty file", " \n\t", 0,
     "config: top level: empty (expected a JSON object)"},
    {"rejects a top level that is not an object", "[1, 2]", 0,
     "config: top level: expected an object, got an array"},
    {"rejects bottles given as null", "{\"bottles\": null}", 0,
     "config: bottles: expected an object, got null"},
    {"rejects an unknown vmm", "{\"defaults\": {\"vmm\": \"qemu\"}}", 0,
     "config: defaults.vmm: expected one of \"auto\", \"smolvm\", \"sim\", "
     "got \"qemu\""},
    {"rejects on_unsafe given as a boolean",
     "{\"defaults\": {\"on_unsafe\": true}}", 0,
     "config: defaults.on_unsafe: expected one of \"report\", \"stop\", got "
     "true"},
    {"rejects agent_reachable given as a string",
     "{\"defaults\": {\"bundle\": {\"services\": {\"egress\": "
     "{\"agent_reachable\": \"false\"}}}}}",
     0,
     "config: defaults.bundle.services.egress.agent_reachable: expected "
     "true or false, got \"false\""},
    {"rejects port 0",
     "{\"defaults\": {\"bundle\": {\"services\": {\"pipelock\": {\"port\": "
     "0}}}}}",
     0,
     "config: defaults.bundle.services.pipelock.port: expected an integer "
     "from 1 to 65535, got 0"},
    {"rejects two services on one port",
     "{\"defaults\": {\"bundle\": {\"services\": {\"supervise\": "
     "{\"port\": 8888}}}}}",
     0,
     "config: defaults.bundle.services.supervise.port: 8888 is already used "
     "by the service \"pipelock\""},
    {"rejects a bind that is not an IPv4 literal",
     "{\"defaults\": {\"bundle\": {\"services\": {\"pipelock\": {\"bind\": "
     "\"localhost\"}}}}}",
     0,
     "config: defaults.bundle.services.pipelock.bind: expected an IPv4 "
     "address such as \"127.0.0.1\", got \"localhost\""},
    {"refuses a hidden service that binds every address",
     "{" IMAGES
     ", \"bottles\": {\"web\": {\"bundle\": {\"services\": {\"egress\": "
     "{\"bind\": \"0.0.0.0\"}}}}}}",
     0,
     "config: bottles.web.bundle.services.egress.bind: \"0.0.0.0\" is not a "
     "loopback address, but the service has agent_reachable false: the VM "
     "can reach every port on the bundle's IP, so a service hidden from the "
     "agent must bind 127.0.0.0/8 (e.g. \"127.0.0.1\")"},
    {"refuses an agent-reachable service on loopback",
     "{\"defaults\": {\"bundle\": {\"services\": {\"git-gate\": {\"bind\": "
     "\"127.0.0.1\"}}}}}",
     0,
     "config: defaults.bundle.services.git-gate.bind: \"127.0.0.1\" is a "
     "loopback address, but the service has agent_reachable true: the VM "
     "could not reach it (bind \"0.0.0.0\")"},
    {"refuses a proxy that names no service",
     "{\"defaults\": {\"bundle\": {\"proxy\": \"squid\"}}}", 0,
     "config: defaults.bundle.proxy: no service named \"squid\" (services: "
     "egress, git-gate, pipelock, supervise)"},
    {"refuses a proxy the agent cannot reach",
     "{\"defaults\": {\"bundle\": {\"proxy\": \"egress\"}}}", 0,
     "config: defaults.bundle.proxy: the service \"egress\" has "
     "agent_reachable false: the agent could not use it as its proxy"},
    {"refuses removing the proxy's service",
     "{" IMAGES ", \"bottles\": {\"web\": {\"bundle\": {\"services\": "
     "{\"pipelock\": null}}}}}",
     0,
     "config: bottles.web.bundle.proxy: no service named \"pipelock\" "
     "(services: egress, git-gate, supervise)"},
    {"rejects a health path without a leading slash",
     "{\"defaults\": {\"bundle\": {\"services\": {\"pipelock\": {\"health\": "
     "\"health\"}}}}}",
     0,
     "config: defaults.bundle.services.pipelock.health: expected null or an "
     "HTTP path starting with \"/\" (no spaces or control characters), got "
     "\"health\""},
    {"rejects an invalid service name",
     "{\"defaults\": {\"bundle\": {\"services\": {\"Pipe_lock\": {}}}}}", 0,
     "config: defaults.bundle.services.Pipe_lock: invalid service name (a "
     "lower-case letter, then lower-case letters, digits or dashes, 1-31 "
     "characters)"},
    {"suggests the service a new incomplete one was meant to be",
     "{" IMAGES ", \"bottles\": {\"web\": {\"bundle\": {\"services\": "
     "{\"pipelok\": {\"port\": 8889}}}}}}",
     0,
     "config: bottles.web.bundle.services.pipelok: missing \"bind\" (a "
     "service needs port, bind and agent_reachable; did you mean the service "
     "\"pipelock\"?)"},
    {"requires port on a new service",
     "{\"defaults\": {\"bundle\": {\"services\": {\"metrics\": {\"bind\": "
     "\"127.0.0.1\", \"agent_reachable\": false}}}}}",
     0,
     "config: defaults.bundle.services.metrics: missing \"port\" (a service "
     "needs port, bind and agent_reachable)"},
    {"rejects a service that is neither an object nor null",
     "{\"defaults\": {\"bundle\": {\"services\": {\"egress\": 1}}}}", 0,
     "config: defaults.bundle.services.egress: expected an object or null, "
     "got 1"},
    {"rejects subnet_pool with host bits set",
     "{\"defaults\": {\"subnet_pool\": \"10.213.0.1/16\"}}", 0,
     "config: defaults.subnet_pool: \"10.213.0.1/16\" has host bits set (did "
     "you mean \"10.213.0.0/16\"?)"},
    {"rejects subnet_pool 0.0.0.0/8 overlapping 0.0.0.0/8",
     "{\"defaults\": {\"subnet_pool\": \"0.0.0.0/8\"}}", 0,
     "config: defaults.subnet_pool: \"0.0.0.0/8\" overlaps 0.0.0.0/8 (\"this "
     "network\"): expected a private "
     "range such as \"10.213.0.0/16\""},
    {"rejects subnet_pool 127.0.0.0/16 overlapping 127.0.0.0/8",
     "{\"defaults\": {\"subnet_pool\": \"127.0.0.0/16\"}}", 0,
     "config: defaults.subnet_pool: \"127.0.0.0/16\" overlaps 127.0.0.0/8 "
     "(loopback): expected a private "
     "range such as \"10.213.0.0/16\""},
    {"rejects subnet_pool 100.96.0.0/28 overlapping 100.96.0.0/30",
     "{\"defaults\": {\"subnet_pool\": \"100.96.0.0/28\"}}", 0,
     "config: defaults.subnet_pool: \"100.96.0.0/28\" overlaps 100.96.0.0/30 "
     "(the guest's own link under smolvm's virtio-net): expected a private "
     "range such as \"10.213.0.0/16\""},
    {"rejects subnet_pool 100.64.0.0/10 overlapping 100.96.0.0/30",
     "{\"defaults\": {\"subnet_pool\": \"100.64.0.0/10\"}}", 0,
     "config: defaults.subnet_pool: \"100.64.0.0/10\" overlaps 100.96.0.0/30 "
     "(the guest's own link under smolvm's virtio-net): expected a private "
     "range such as \"10.213.0.0/16\""},
    {"rejects subnet_pool 100.96.0.0/16 overlapping 100.96.0.0/30",
     "{\"bottles\": {\"web\": {\"vm\": {\"image\": \"v\"}, \"bundle\": "
     "{\"image\": \"b\"}, \"subnet_pool\": \"100.96.0.0/16\"}}}",
     0,
     "config: bottles.web.subnet_pool: \"100.96.0.0/16\" overlaps "
     "100.96.0.0/30 (the guest's own link under smolvm's virtio-net): expected "
     "a private "
     "range such as \"10.213.0.0/16\""},
    {"rejects subnet_pool 169.254.0.0/16 overlapping 169.254.0.0/16",
     "{\"defaults\": {\"subnet_pool\": \"169.254.0.0/16\"}}", 0,
     "config: defaults.subnet_pool: \"169.254.0.0/16\" overlaps 169.254.0.0/16 "
     "(link-local, always denied by smolvm): expected a private "
     "range such as \"10.213.0.0/16\""},
    {"rejects subnet_pool 169.254.32.0/20 overlapping 169.254.0.0/16",
     "{\"defaults\": {\"subnet_pool\": \"169.254.32.0/20\"}}", 0,
     "config: defaults.subnet_pool: \"169.254.32.0/20\" overlaps "
     "169.254.0.0/16 (link-local, always denied by smolvm): expected a private "
     "range such as \"10.213.0.0/16\""},
    {"rejects subnet_pool 224.0.0.0/8 overlapping 224.0.0.0/4",
     "{\"defaults\": {\"subnet_pool\": \"224.0.0.0/8\"}}", 0,
     "config: defaults.subnet_pool: \"224.0.0.0/8\" overlaps 224.0.0.0/4 "
     "(multicast): expected a private "
     "range such as \"10.213.0.0/16\""},
    {"rejects subnet_pool 239.255.0.0/16 overlapping 224.0.0.0/4",
     "{\"defaults\": {\"subnet_pool\": \"239.255.0.0/16\"}}", 0,
     "config: defaults.subnet_pool: \"239.255.0.0/16\" overlaps 224.0.0.0/4 "
     "(multicast): expected a private "
     "range such as \"10.213.0.0/16\""},
    {"rejects subnet_pool 240.0.0.0/8 overlapping 240.0.0.0/4",
     "{\"defaults\": {\"subnet_pool\": \"240.0.0.0/8\"}}", 0,
     "config: defaults.subnet_pool: \"240.0.0.0/8\" overlaps 240.0.0.0/4 "
     "(reserved): expected a private "
     "range such as \"10.213.0.0/16\""},
    {"rejects subnet_pool 255.255.255.0/24 overlapping 240.0.0.0/4",
     "{\"defaults\": {\"subnet_pool\": \"255.255.255.0/24\"}}", 0,
     "config: defaults.subnet_pool: \"255.255.255.0/24\" overlaps 240.0.0.0/4 "
     "(reserved): expected a private "
     "range such as \"10.213.0.0/16\""},
    {"rejects an empty probes.dns_name",
     "{\"defaults\": {\"probes\": {\"dns_name\": \"\"}}}", 0,
     "config: defaults.probes.dns_name: expected a DNS name such as "
     "\"example.com\", got \"\""},
    {"rejects a probes.dns_name with an empty label",
     "{\"defaults\": {\"probes\": {\"dns_name\": \"a..b\"}}}", 0,
     "config: defaults.probes.dns_name: expected a DNS name such as "
     "\"example.com\", got \"a..b\""},
    {"rejects a probes.dns_name starting with a dot",
     "{\"bottles\": {\"web\": {\"probes\": {\"dns_name\": \".com\"}}}}", 0,
     "config: bottles.web.probes.dns_name: expected a DNS name such as "
     "\"example.com\", got \".com\""},
    {"rejects a probes.dns_name with a space",
     "{\"defaults\": {\"probes\": {\"dns_name\": \"exa mple.com\"}}}", 0,
     "config: defaults.probes.dns_name: expected a DNS name such as "
     "\"example.com\", got \"exa mple.com\""},
    {"rejects a probes.dns_name with an underscore or a slash",
     "{\"defaults\": {\"probes\": {\"dns_name\": \"a_b/c\"}}}", 0,
     "config: defaults.probes.dns_name: expected a DNS name such as "
     "\"example.com\", got \"a_b/c\""},
    {"rejects a probes.dns_name label of 64 bytes",
     "{\"defaults\": {\"probes\": {\"dns_name\": \""
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com\"}}"
     "}",
     0,
     "config: defaults.probes.dns_name: expected a DNS name such as "
     "\"example.com\", got "
     "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\""},
    {"rejects a probes.dns_name that is no string",
     "{\"defaults\": {\"probes\": {\"dns_name\": 5}}}", 0,
     "config: defaults.probes.dns_name: expected a string, got 5"},
    {"rejects a null probes.dns_name",
     "{\"defaults\": {\"probes\": {\"dns_name\": null}}}", 0,
     "config: defaults.probes.dns_name: expected a string, got null"},
    {"rejects smolvm_allow_newer in one bottle",
     "{" IMAGES ", \"bottles\": {\"web\": {}, \"db\": "
     "{\"smolvm_allow_newer\": true}}}",
     0,
     "config: bottles.db.smolvm_allow_newer: allowed only in defaults (one "
     "smolvm serves every bottle)"},
    {"rejects a bottle turning smolvm_allow_newer off",
     "{\"defaults\": {\"smolvm_allow_newer\": true, \"vm\": {\"image\": "
     "\"vm:1\"}, \"bundle\": {\"image\": \"bundle:1\"}}, \"bottles\": "
     "{\"web\": {\"smolvm_allow_newer\": false}}}",
     0,
     "config: bottles.web.smolvm_allow_newer: allowed only in defaults (one "
     "smolvm serves every bottle)"},
    {"rejects smolvm_allow_newer that is no boolean",
     "{\"defaults\": {\"smolvm_allow_newer\": \"yes\"}}", 0,
     "config: defaults.smolvm_allow_newer: expected true or false, got "
     "\"yes\""},
    {"rejects subnet_pool with a prefix out of range",
     "{\"defaults\": {\"subnet_pool\": \"10.0.0.0/30\"}}", 0,
     "config: defaults.subnet_pool: expected an IPv4 network such as "
     "\"10.213.0.0/16\" (prefix from 8 to 28), got \"10.0.0.0/30\""},
    {"rejects subnets larger than the pool",
     "{\"defaults\": {\"subnet_pool\": \"10.213.0.0/24\", "
     "\"subnet_prefix\": 20}}",
     0,
     "config: defaults.subnet_prefix: /20 subnets do not fit in the pool "
     "10.213.0.0/24 (expected a prefix from 24 to 29)"},
    {"rejects subnet_prefix out of range",
     "{\"defaults\": {\"subnet_prefix\": 30}}", 0,
     "config: defaults.subnet_prefix: expected an integer from 16 to 29, got "
     "30"},
    {"rejects an image with a space",
     "{\"defaults\": {\"vm\": {\"image\": \"my image\"}}}", 0,
     "config: defaults.vm.image: expected an image reference (non-empty, no "
     "spaces or control characters), got \"my image\""},
    {"rejects an empty image and escapes control characters",
     "{\"defaults\": {\"bundle\": {\"image\": \"a\\u001b[2J\"}}}", 0,
     "config: defaults.bundle.image: expected an image reference (non-empty, "
     "no spaces or control characters), got \"a\\x1b[2J\""},
    {"rejects a bottle without a VM image",
     "{\"bottles\": {\"web\": {\"bundle\": {\"image\": \"b:1\"}}}}", 0,
     "config: bottles.web.vm.image: required (set it in bottles.web.vm or in "
     "defaults.vm)"},
    {"rejects a bottle without a bundle image",
     "{\"bottles\": {\"web\": {\"vm\": {\"image\": \"v:1\"}}}}", 0,
     "config: bottles.web.bundle.image: required (set it in bottles.web.bundle "
     "or in defaults.bundle)"},
    {"rejects an environment variable bottle sets itself",
     "{\"defaults\": {\"vm\": {\"env\": {\"https_proxy\": \"x\"}}}}", 0,
     "config: defaults.vm.env.https_proxy: reserved: bottle sets HTTP_PROXY, "
     "HTTPS_PROXY and NO_PROXY (and their lower-case forms) itself"},
    {"rejects an environment variable name starting with a digit",
     "{\"defaults\": {\"vm\": {\"env\": {\"1X\": \"x\"}}}}", 0,
     "config: defaults.vm.env.1X: invalid environment variable name "
     "(letters, digits and underscores, not starting with a digit)"},
    {"rejects an environment value that is a number",
     "{\"defaults\": {\"vm\": {\"env\": {\"N\": 1}}}}", 0,
     "config: defaults.vm.env.N: expected a string or null, got 1"},
    {"rejects a relative workdir",
     "{\"defaults\": {\"vm\": {\"workdir\": \"src\"}}}", 0,
     "config: defaults.vm.workdir: expected an absolute path (starting with "
     "\"/\", no control characters), got \"src\""},
    {"rejects a command with a non-string element",
     "{\"defaults\": {\"vm\": {\"cmd\": [\"sleep\", 10]}}}", 0,
     "config: defaults.vm.cmd[1]: expected a string, got 10"},
    {"rejects an entrypoint given as a string",
     "{\"defaults\": {\"vm\": {\"entrypoint\": \"/bin/sh\"}}}", 0,
     "config: defaults.vm.entrypoint: expected an array of strings, got "
     "\"/bin/sh\""},
    {"rejects a volume without a guest path",
     "{\"defaults\": {\"vm\": {\"volumes\": [\"/src\"]}}}", 0,
     "config: defaults.vm.volumes[0]: expected \"/host/path:/guest/path\" or "
     "\"/host/path:/guest/path:ro\", got \"/src\""},
    {"rejects a volume with a relative host path",
     "{\"defaults\": {\"vm\": {\"volumes\": [\"src:/src\"]}}}", 0,
     "config: defaults.vm.volumes[0]: host path \"src\" is not absolute"},
    {"rejects a volume with a dot-dot component",
     "{\"defaults\": {\"vm\": {\"volumes\": [\"/a:/b/../etc\"]}}}", 0,
     "config: defaults.vm.volumes[0]: guest path \"/b/../etc\" has a \"..\" "
     "component"},
    {"rejects a volume mounted on the guest root",
     "{\"defaults\": {\"vm\": {\"volumes\": [\"/a:/\"]}}}", 0,
     "config: defaults.vm.volumes[0]: the guest path cannot be \"/\" (mount "
     "below it)"},
    {"rejects a volume option other than ro",
     "{\"defaults\": {\"vm\": {\"volumes\": [\"/a:/b:rw\"]}}}", 0,
     "config: defaults.vm.volumes[0]: unknown volume option \"rw\" (the only "
     "option is \"ro\")"},
    {"rejects a bundle.env value with a newline",
     "{\"bottles\": {\"web\": {\"bundle\": {\"env\": {\"TOKEN\": "
     "\"a\\nb\"}}}}}",
     0,
     "config: bottles.web.bundle.env.TOKEN: a value cannot contain a newline "
     "(docker's env file cannot carry one)"},
    {"rejects a bundle.env value ending in a carriage return",
     "{\"defaults\": {\"bundle\": {\"env\": {\"T\": \"ab\\r\"}}}}", 0,
     "config: defaults.bundle.env.T: a value cannot end in a carriage return "
     "(docker's env file would drop it)"},
    {"rejects a bundle.env value that is not UTF-8",
     "{\"defaults\": {\"bundle\": {\"env\": {\"T\": \"a\xff\"}}}}", 0,
     "config: defaults.bundle.env.T: a value must be valid UTF-8 (docker's "
     "env file refuses anything else)"},
    {"rejects a bundle.env name that is not an env name",
     "{\"defaults\": {\"bundle\": {\"env\": {\"1T\": \"x\"}}}}", 0,
     "config: defaults.bundle.env.1T: invalid environment variable name "
     "(letters, digits and underscores, not starting with a digit)"},
    {"rejects a git_writable that is not a boolean",
     "{\"defaults\": {\"vm\": {\"git_writable\": \"yes\"}}}", 0,
     "config: defaults.vm.git_writable: expected true or false, got \"yes\""},
    {"rejects two volumes on one guest path",
     "{\"defaults\": {\"vm\": {\"volumes\": [\"/a:/w\", \"/b:/w:ro\"]}}}", 0,
     "config: defaults.vm.volumes[1]: the guest path \"/w\" is already used "
     "by vm.volumes[0]"},
    {"rejects a resolver that is a host name",
     "{\"defaults\": {\"probes\": {\"resolver\": \"dns.google\"}}}", 0,
     "config: defaults.probes.resolver: expected an IPv4 address such as "
     "\"127.0.0.1\", got \"dns.google\""},
    {"rejects a probe timeout of zero",
     "{\"defaults\": {\"probes\": {\"timeout_s\": 0}}}", 0,
     "config: defaults.probes.timeout_s: expected an integer from 1 to 60, "
     "got 0"},
    {"rejects log_lines below 100", "{\"defaults\": {\"log_lines\": 50}}", 0,
     "config: defaults.log_lines: expected an integer from 100 to 1000000, "
     "got 50"},
    {"rejects probe_interval_s below 5",
     "{\"defaults\": {\"probe_interval_s\": 1}}", 0,
     "config: defaults.probe_interval_s: expected an integer from 5 to "
     "86400, got 1"},
    {"rejects health_interval_s above an hour",
     "{\"defaults\": {\"health_interval_s\": 4000}}", 0,
     "config: defaults.health_interval_s: expected an integer from 1 to "
     "3600, got 4000"},
    {"rejects null where a value is required",
     "{\"defaults\": {\"vm\": {\"image\": null}}}", 0,
     "config: defaults.vm.image: expected a string, got null"},
};

static void test_bad_case(void **state)
{
	const struct bad_case *bc = *state;
	size_t len = bc->len != 0 ? bc->len : strlen(bc->json);

	expect_error(bc->json, len, NULL, bc->want);
}

static void test_messages_name_the_origin(void **state)
{
	static const char json[] = "{\"defaults\": {\"vm\": {\"cpus\": 0}}}";

	expect_error(json, strlen(json), "/etc/bottles.json",
		     "config: /etc/bottles.json: defaults.vm.cpus: expected an "
		     "integer from 1 to 64, got 0");
	expect_error("{", 1, "/etc/bottles.json",
		     "config: /etc/bottles.json: line 1, column 2: invalid "
		     "JSON: unexpected end of input");
}

/* ---- valid configurations ---------------------------------------------- */

static void test_empty_object_has_no_bottles(void **state)
{
	struct config *c = parse_ok("{}");

	assert_int_equal(c->n_bottles, 0);
	assert_null(c->bottles);
	assert_int_equal(c->warnings.n, 0);
	assert_null(c->path);
	config_free(c);
	c = parse_ok("{\"bottles\": {}}");
	assert_int_equal(c->n_bottles, 0);
	config_free(c);
}

static void test_builtin_defaults_fill_every_field(void **state)
{
	struct config *c = parse_ok("{" IMAGES ", \"bottles\": {\"web\": {}}}");
	const struct config_bottle *b = config_find(c, "web");
	const struct config_service *s;

	assert_non_null(b);
	assert_string_equal(b->name, "web");
	assert_string_equal(b->vm.image, "vm:1");
	assert_string_equal(b->bundle.image, "bundle:1");
	assert_int_equal(b->vm.cpus, 2);
	assert_int_equal(b->vm.memory_mib, 2048);
	assert_int_equal(b->vm.entrypoint.n, 0);
	assert_int_equal(b->vm.cmd.n, 0);
	assert_int_equal(b->vm.env.n, 0);
	assert_int_equal(b->vm.volumes.n, 0);
	assert_null(b->vm.workdir);
	assert_string_equal(b->bundle.proxy, "pipelock");
	assert_string_equal(b->subnet_pool, "10.213.0.0/16");
	assert_int_equal(b->subnet_prefix, 28);
	assert_int_equal(b->probe_interval_s, 60);
	assert_int_equal(b->health_interval_s, 10);
	assert_int_equal(b->probe_timeout_s, 5);
	assert_string_equal(b->resolver, "1.1.1.1");
	assert_int_equal(b->vmm, CONFIG_VMM_AUTO);
	assert_int_equal(b->on_unsafe, CONFIG_ON_UNSAFE_REPORT);
	assert_int_equal(b->log_lines, 10000);

	/* the standard four, sorted by name */
	assert_int_equal(b->bundle.n_services, 4);
	assert_string_equal(b->bundle.services[0].name, "egress");
	assert_string_equal(b->bundle.services[1].name, "git-gate");
	assert_string_equal(b->bundle.services[2].name, "pipelock");
	assert_string_equal(b->bundle.services[3].name, "supervise");
	s = config_service_find(b, "egress");
	assert_non_null(s);
	assert_int_equal(s->port, 9099);
	assert_string_equal(s->bind, "127.0.0.1");
	assert_int_equal(s->agent_reachable, 0);
	assert_null(s->health);
	s = config_service_find(b, "pipelock");
	assert_int_equal(s->port, 8888);
	assert_string_equal(s->bind, "0.0.0.0");
	assert_int_equal(s->agent_reachable, 1);
	assert_string_equal(s->health, "/health");
	assert_int_equal(config_service_find(b, "git-gate")->port, 9418);
	assert_int_equal(config_service_find(b, "supervise")->port, 7070);
	assert_null(config_service_find(b, "squid"));
	config_free(c);
}

static void test_bottle_overrides_only_what_it_names(void **state)
{
	struct config *c = parse_ok(
	    "{\"defaults\": {\"vm\": {\"image\": \"vm:1\", \"cpus\": 4, "
	    "\"memory\": 4096}, \"bundle\": {\"image\": \"bundle:1\"}, "
	    "\"vmm\": \"sim\"},"
	    " \"bottles\": {\"web\": {\"vm\": {\"cpus\": 8}, \"on_unsafe\": "
	    "\"stop\"}, \"db\": {}}}");
	const struct config_bottle *web = config_find(c, "web");
	const struct config_bottle *db = config_find(c, "db");

	assert_int_equal(web->vm.cpus, 8);
	assert_int_equal(web->vm.memory_mib, 4096);
	assert_string_equal(web->vm.image, "vm:1");
	assert_int_equal(web->vmm, CONFIG_VMM_SIM);
	assert_int_equal(web->on_unsafe, CONFIG_ON_UNSAFE_STOP);
	assert_int_equal(db->vm.cpus, 4);
	assert_int_equal(db->on_unsafe, CONFIG_ON_UNSAFE_REPORT);
	config_free(c);
}

static void test_bottles_keep_file_order(void **state)
{
	struct config *c = parse_ok(
	    "{" IMAGES ", \"bottles\": {\"zeta\": {}, \"alpha\": {}, \"m-2\": "
	    "{}}}");

	assert_int_equal(c->n_bottles, 3);
	assert_string_equal(c->bottles[0].name, "zeta");
	assert_string_equal(c->bottles[1].name, "alpha");
	assert_string_equal(c->bottles[2].name, "m-2");
	assert_ptr_equal(config_find(c, "alpha"), &c->bottles[1]);
	assert_null(config_find(c, "beta"));
	assert_null(config_find(c, NULL));
	config_free(c);
}

static void test_env_merges_per_key_and_null_removes(void **state)
{
	struct config *c = parse_ok(
	    "{\"defaults\": {\"vm\": {\"image\": \"v\", \"env\": {\"LANG\": "
	    "\"C\", \"TERM\": \"xterm\", \"A0\": \"x\"}}, \"bundle\": "
	    "{\"image\": \"b\"}},"
	    " \"bottles\": {\"web\": {\"vm\": {\"env\": {\"TERM\": null, "
	    "\"A\": \"http://x/y\", \"LANG\": \"C.UTF-8\"}}}}}");
	const struct config_bottle *b = config_find(c, "web");

	/* sorted by key: "A" before "A0" although '=' > '0' */
	assert_int_equal(b->vm.env.n, 3);
	assert_string_equal(b->vm.env.v[0], "A=http://x/y");
	assert_string_equal(b->vm.env.v[1], "A0=x");
	assert_string_equal(b->vm.env.v[2], "LANG=C.UTF-8");
	assert_null(b->vm.env.v[3]);
	config_free(c);
}

static void test_arrays_replace_instead_of_merging(void **state)
{
	struct config *c = parse_ok(
	    "{\"defaults\": {\"vm\": {\"image\": \"v\", \"cmd\": [\"a\", "
	    "\"b\", "
	    "\"c\"], \"volumes\": [\"/h:/g\", \"/h2:/g2:ro\"]}, \"bundle\": "
	    "{\"image\": \"b\"}},"
	    " \"bottles\": {\"web\": {\"vm\": {\"cmd\": [\"z\"], \"volumes\": "
	    "[]}}, \"db\": {}}}");
	const struct config_bottle *web = config_find(c, "web");
	const struct config_bottle *db = config_find(c, "db");

	assert_int_equal(web->vm.cmd.n, 1);
	assert_string_equal(web->vm.cmd.v[0], "z");
	assert_int_equal(web->vm.volumes.n, 0);
	assert_int_equal(db->vm.cmd.n, 3);
	assert_string_equal(db->vm.cmd.v[2], "c");
	assert_int_equal(db->vm.volumes.n, 2);
	assert_string_equal(db->vm.volumes.v[1], "/h2:/g2:ro");
	config_free(c);
}

static void test_services_merge_per_field_and_null_removes(void **state)
{
	struct config *c = parse_ok(
	    "{" IMAGES ", \"bottles\": {\"web\": {\"bundle\": {\"services\": {"
	    "\"supervise\": null,"
	    " \"git-gate\": {\"port\": 9419, \"health\": null},"
	    " \"metrics\": {\"port\": 9100, \"bind\": \"127.0.0.2\", "
	    "\"agent_reachable\": false, \"health\": \"/metrics\"}}}}}}");
	const struct config_bottle *b = config_find(c, "web");
	const struct config_service *s;

	assert_int_equal(b->bundle.n_services, 4);
	assert_null(config_service_find(b, "supervise"));
	s = config_service_find(b, "git-gate");
	assert_int_equal(s->port, 9419);
	assert_string_equal(s->bind, "0.0.0.0");
	assert_int_equal(s->agent_reachable, 1);
	assert_null(s->health);
	s = config_service_find(b, "metrics");
	assert_non_null(s);
	assert_string_equal(s->bind, "127.0.0.2");
	assert_string_equal(s->health, "/metrics");
	assert_string_equal(b->bundle.services[2].name, "metrics");
	config_free(c);
}

static void test_null_turns_off_the_resolver_and_workdir(void **state)
{
	struct config *c = parse_ok(
	    "{\"defaults\": {\"vm\": {\"image\": \"v\", \"workdir\": \"/w\"}, "
	    "\"bundle\": {\"image\": \"b\"}, \"probes\": {\"resolver\": "
	    "\"127.0.0.53\", \"timeout_s\": 9}},"
	    " \"bottles\": {\"a\": {}, \"b\": {\"vm\": {\"workdir\": null}, "
	    "\"probes\": {\"resolver\": null}}}}");

	assert_string_equal(config_find(c, "a")->resolver, "127.0.0.53");
	assert_string_equal(config_find(c, "a")->vm.workdir, "/w");
	assert_null(config_find(c, "b")->resolver);
	assert_null(config_find(c, "b")->vm.workdir);
	assert_int_equal(config_find(c, "b")->probe_timeout_s, 9);
	config_free(c);
}

static void test_comments_are_accepted(void **state)
{
	struct config *c = parse_ok("// the fleet\n"
				    "{ /* defaults first */ " IMAGES ",\n"
				    "  \"bottles\": { // one bottle\n"
				    "    \"web\": {\"vm\": {\"env\": {\"URL\": "
				    "\"http://a/*b*/c//d\"}}}\n"
				    "  } /* trailing\n block */\n}\n// end");
	const struct config_bottle *b = config_find(c, "web");

	/* comment markers inside strings are text, not comments */
	assert_string_equal(b->vm.env.v[0], "URL=http://a/*b*/c//d");
	config_free(c);
}

static void test_error_positions_count_through_comments(void **state)
{
	static const char blanked[] =
	    "{\n/* one\n two */ \"vmm\": \"sim\" \"log_lines\": 1}";
	static const char utf8[] = "{\"a\": \"\xc3\xa9\" x}";

	/* the comment is blanked in place: line 3, column 22 stays true */
	expect_error(blanked, strlen(blanked), NULL,
		     "config: line 3, column 22: invalid JSON near "
		     "\"\\\"log_lines\\\": 1}\"");
	/* columns count characters: the two bytes of U+00E9 are one */
	expect_error(utf8, strlen(utf8), NULL,
		     "config: line 1, column 11: invalid JSON near \"x}\"");
}

static void test_valid_limits_are_accepted(void **state)
{
	struct config *c = parse_ok(
	    "{" IMAGES ", \"bottles\": {\"a\": {\"vm\": {\"cpus\": 64, "
	    "\"memory\": 64, \"volumes\": [\"/srv/a b:/work\"]}, "
	    "\"subnet_pool\": \"10.0.0.0/8\", \"subnet_prefix\": 16, "
	    "\"log_lines\": 1000000, \"probe_interval_s\": 5, "
	    "\"health_interval_s\": 3600, \"probes\": {\"timeout_s\": 60}}}}");
	const struct config_bottle *b = config_find(c, "a");

	assert_int_equal(b->vm.cpus, 64);
	assert_int_equal(b->vm.memory_mib, 64);
	assert_int_equal(b->subnet_prefix, 16);
	assert_int_equal(b->log_lines, 1000000);
	assert_string_equal(b->vm.volumes.v[0], "/srv/a b:/work");
	config_free(c);
}

static void test_pools_beside_the_reserved_ranges_are_accepted(void **state)
{
	static const char *const pools[] = {
	    "10.213.0.0/16", "10.0.0.0/8",     "100.96.0.16/28",
	    "100.95.0.0/16", "169.253.0.0/16", "126.0.0.0/8",
	    "128.0.0.0/8",   "1.0.0.0/8",      "223.255.255.0/24",
	    "172.16.0.0/12", "192.168.0.0/16", "100.97.0.0/16",
	};
	size_t i;

	(void)state;
	for (i = 0; i < UTIL_NELEM(pools); i++) {
		char *json = xasprintf("{" IMAGES ", \"bottles\": {\"web\": "
				       "{\"subnet_pool\": \"%s\"}}}",
				       pools[i]);
		struct config *c = parse_ok(json);
		assert_string_equal(config_find(c, "web")->subnet_pool,
				    pools[i]);
		config_free(c);
		free(json);
	}
}

static void test_dns_name_defaults_and_accepts_names(void **state)
{
	static const char *const names[] = {
	    "example.com", "a-b.example", "localhost",
	    "EXAMPLE.COM", "x1.y2.z3",	  "a.b.c.d.e.f",
	};
	struct config *c;
	size_t i;

	(void)state;
	c = parse_ok("{" IMAGES ", \"bottles\": {\"web\": {}}}");
	assert_string_equal(config_find(c, "web")->dns_name, "example.com");
	config_free(c);
	for (i = 0; i < UTIL_NELEM(names); i++) {
		char *json = xasprintf("{" IMAGES ", \"bottles\": {\"web\": "
				       "{\"probes\": {\"dns_name\": \"%s\"}}}}",
				       names[i]);
		c = parse_ok(json);
		assert_string_equal(config_find(c, "web")->dns_name, names[i]);
		/* the rest of probes still comes from the defaults */
		assert_string_equal(config_find(c, "web")->resolver, "1.1.1.1");
		config_free(c);
		free(json);
	}
}

static void test_smolvm_allow_newer_is_read_from_defaults(void **state)
{
	struct config *c;

	(void)state;
	c = parse_ok("{" IMAGES ", \"bottles\": {\"web\": {}}}");
	assert_int_equal(c->smolvm_allow_newer, 0);
	assert_int_equal(config_find(c, "web")->smolvm_allow_newer, 0);
	config_free(c);
	c = parse_ok("{\"defaults\": {\"smolvm_allow_newer\": true}}");
	assert_int_equal(c->smolvm_allow_newer, 1);
	assert_int_equal(c->n_bottles, 0);
	config_free(c);
	/* a bottle repeating the defaults' value is harmless */
	c = parse_ok("{\"defaults\": {\"smolvm_allow_newer\": true, \"vm\": "
		     "{\"image\": \"vm:1\"}, \"bundle\": {\"image\": "
		     "\"bundle:1\"}}, \"bottles\": {\"web\": {}, \"db\": "
		     "{\"smolvm_allow_newer\": true}}}");
	assert_int_equal(c->smolvm_allow_newer, 1);
	assert_int_equal(config_find(c, "db")->smolvm_allow_newer, 1);
	assert_int_equal(config_find(c, "web")->smolvm_allow_newer, 1);
	config_free(c);
	c = parse_ok("{" IMAGES ", \"bottles\": {\"web\": "
		     "{\"smolvm_allow_newer\": false}}}");
	assert_int_equal(c->smolvm_allow_newer, 0);
	config_free(c);
}

static void test_name_validity(void **state)
{
	static const struct {
		const char *name;
		int valid;
	} names[] = {
	    {"a", 1},
	    {"0", 1},
	    {"web", 1},
	    {"demo-a", 1},
	    {"a-b-c", 1},
	    {"9lives", 1},
	    {"abcdefghijklmnopqrstuvwxyz012345", 1},  /* 32 */
	    {"abcdefghijklmnopqrstuvwxyz0123456", 0}, /* 33 */
	    {"", 0},
	    {"-a", 0},
	    {"a-", 0},
	    {"a--b", 0},
	    {"Web", 0},
	    {"a_b", 0},
	    {"a.b", 0},
	    {"a b", 0},
	    {"\xc3\xa9", 0},
	};
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (config_name_valid(names[i].name) != names[i].valid)
			fail_msg("config_name_valid(\"%s\") != %d",
				 names[i].name, names[i].valid);
	}
}

/* Without the option the unsafe bind is refused, whatever the environment
 * holds (config_parse reads none); with it, the config loads and says so
 * loudly, once per bottle. */
static void test_unsafe_bind_override_warns(void **state)
{
	static const char json[] =
	    "{\"defaults\": {\"vm\": {\"image\": \"v\"}, \"bundle\": "
	    "{\"image\": "
	    "\"b\", \"services\": {\"egress\": {\"bind\": \"0.0.0.0\"}}}},"
	    " \"bottles\": {\"web\": {}}}";
	struct config *c = NULL;
	char *cause = NULL;

	struct config_opts o = {.unsafe_bind = 1};

	setenv("BOTTLE_TEST_UNSAFE_BIND", "1", 1);
	assert_int_equal(config_parse(json, strlen(json), "t.json", &c, &cause),
			 -1);
	unsetenv("BOTTLE_TEST_UNSAFE_BIND");
	assert_non_null(strstr(cause, "defaults.bundle.services.egress.bind"));
	free(cause);

	assert_int_equal(
	    config_parse_opts(json, strlen(json), "t.json", &o, &c, &cause), 0);
	assert_int_equal(c->n_bottles, 1);
	assert_string_equal(config_service_find(&c->bottles[0], "egress")->bind,
			    "0.0.0.0");
	assert_int_equal(c->warnings.n, 1);
	assert_string_equal(
	    c->warnings.v[0],
	    "config: t.json: bottles.web.bundle.services.egress.bind: UNSAFE: "
	    "\"0.0.0.0\" accepted for a service with agent_reachable false "
	    "only because of a test-only override: the agent CAN reach this "
	    "service");
	assert_string_equal(c->path, "t.json");
	config_free(c);
}

/* parse_volume: the error (or NULL) of a bottle mounting host, with o. */
static char *parse_volume(const char *host, const struct config_opts *o)
{
	char *json =
	    xasprintf("{\"defaults\": {\"vm\": {\"image\": \"v\", \"volumes\": "
		      "[\"%s:/work\"]}, \"bundle\": {\"image\": \"b\"}},"
		      " \"bottles\": {\"web\": {}}}",
		      host);
	struct config *c = NULL;
	char *cause = NULL;

	if (config_parse_opts(json, strlen(json), "t.json", o, &c, &cause) == 0)
		config_free(c);
	free(json);
	return cause;
}

/* A hostile configuration cannot hand the guest the host: system trees,
 * other homes and bottle's own directories are refused with the key
 * path; a project directory is fine. */
static void test_volume_host_policy(void **state)
{
	static const char *const protected_dirs[] = {
	    "/home/me/.local/state/bottle", "/home/me/.config/bottle",
	    "/opt/bottle-src", NULL};
	static const struct {
		const char *host;
		const char *why; /* NULL: accepted */
	} cases[] = {
	    {"/root", "/root is a system directory"},
	    {"/root/.ssh", "/root is a system directory"},
	    {"/etc", "/etc is a system directory"},
	    {"/var/lib/docker", "/var is a system directory"},
	    {"/", "the host's root directory"},
	    {"/home", "/home holds every user's home"},
	    {"/home/other/src", "another user's home"},
	    {"/home/me", "bottle's own /home/me/.local/state/bottle"},
	    {"/home/me/.config", "bottle's own /home/me/.config/bottle"},
	    {"/home/me/.local/state/bottle/web",
	     "bottle's own /home/me/.local/state/bottle"},
	    {"/opt/bottle-src/assets", "bottle's own /opt/bottle-src"},
	    {"/home/me/src/web", NULL},
	    {"/srv/work", NULL},
	    {"/tmp/project", NULL},
	    {"/etcetera/x", NULL},
	};
	struct config_opts o = {.protected_dirs = protected_dirs,
				.home = "/home/me"};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *cause = parse_volume(cases[i].host, &o);
		if (cases[i].why == NULL) {
			if (cause != NULL)
				fail_msg("%s: %s", cases[i].host, cause);
			continue;
		}
		if (cause == NULL)
			fail_msg("%s was accepted", cases[i].host);
		if (strstr(cause, "defaults.vm.volumes[0]") == NULL ||
		    strstr(cause, cases[i].why) == NULL)
			fail_msg("%s: %s", cases[i].host, cause);
		free(cause);
	}
}

/* bundle.env values go into docker's env file: what it can carry is
 * accepted (a carriage return inside, 60000 bytes), vm.env keeps taking
 * newlines (the Smolfile escapes them). */
static void test_bundle_env_values_docker_can_carry(void **state)
{
	struct buf j = BUF_INIT;
	struct config *c;
	char *cause = NULL;
	size_t i;

	(void)state;
	c = parse_ok("{" IMAGES ", \"bottles\": {\"web\": {\"vm\": {\"env\": "
		     "{\"A\": \"x\\ny\\r\"}}, \"bundle\": {\"env\": {\"B\": "
		     "\"x\\ry\", \"C\": \"\", \"D\": \"t\\tab \\u00e9\"}}}}}");
	assert_string_equal(c->bottles[0].vm.env.v[0], "A=x\ny\r");
	assert_int_equal(c->bottles[0].bundle.env.n, 3);
	config_free(c);
	for (i = 0; i < 2; i++) {
		buf_reset(&j);
		buf_adds(&j, "{" IMAGES ", \"bottles\": {\"web\": {\"bundle\": "
			     "{\"env\": {\"TOKEN\": \"");
		{
			char *v = xmalloc(60000 + i + 1);
			memset(v, 'x', 60000 + i);
			v[60000 + i] = '\0';
			buf_adds(&j, v);
			free(v);
		}
		buf_adds(&j, "\"}}}}}");
		c = NULL;
		if (i == 0) {
			if (config_parse(j.data, j.len, NULL, &c, &cause) != 0)
				fail_msg("%s", cause);
			config_free(c);
			continue;
		}
		assert_int_equal(config_parse(j.data, j.len, NULL, &c, &cause),
				 -1);
		assert_string_equal(cause,
				    "config: bottles.web.bundle.env.TOKEN: a "
				    "value is limited to 60000 bytes, got "
				    "60001 (docker's env file cannot carry a "
				    "longer line)");
		free(cause);
	}
	buf_release(&j);
}

/* A scratch tree for the up-time checks, removed by rm_tree. */
static char *scratch_tree(void)
{
	char tmpl[] = "/tmp/test_config_vol_XXXXXX";
	char *d = mkdtemp(tmpl);

	assert_non_null(d);
	return xstrdup(d);
}

/* up_check: parse a bottle "web" whose vm has extra (JSON members) and
 * run config_check_volumes_now; returns its rc, *cause set on failure. */
static int up_check(const char *extra, const struct config_opts *o,
		    struct config_mounts *m, char **cause)
{
	char *json = xasprintf("{" IMAGES ", \"bottles\": {\"web\": {\"vm\": "
			       "{%s}}}}",
			       extra);
	struct config *c = NULL;
	char *why = NULL;
	int rc;

	if (config_parse_opts(json, strlen(json), "t.json", o, &c, &why) != 0)
		fail_msg("%s", why);
	free(json);
	rc = config_check_volumes_now(c, &c->bottles[0], m, cause);
	config_free(c);
	return rc;
}

/* At up time each host path is resolved again and the policy applied to
 * what it resolves to; the mounts name the resolved paths. */
static void test_volumes_now_resolve_and_recheck(void **state)
{
	char *d = scratch_tree(), *p, *extra, *cause = NULL;
	char *state_dir = xasprintf("%s/state", d);
	const char *dirs[] = {state_dir, NULL};
	struct config_opts o = {.protected_dirs = dirs, .home = "/home/me"};
	struct config_mounts m;
	static const struct {
		const char *target;
		const char *why;
	} links[] = {
	    {"/etc", "resolves to \"/etc\", which may not be mounted into a "
		     "VM: /etc is a system directory"},
	    {"/root", "/root is a system directory"},
	    {"/", "the host's root directory"},
	    {"/home", "/home holds every user's home"},
	    {"@state", "bottle's own"},
	};
	size_t i;

	(void)state;
	p = xasprintf("%s/proj", d);
	assert_int_equal(mkdir(p, 0700), 0);
	assert_int_equal(mkdir(state_dir, 0700), 0);
	free(p);

	/* a plain directory, through a symbolic link to it: resolved */
	p = xasprintf("%s/via", d);
	assert_int_equal(symlink("proj", p), 0);
	free(p);
	extra = xasprintf(
	    "\"volumes\": [\"%s/via:/work/\", \"%s/proj:/ro:ro\"]", d, d);
	assert_int_equal(up_check(extra, &o, &m, &cause), 0);
	free(extra);
	assert_int_equal(m.n, 2);
	p = xasprintf("%s/proj", d);
	assert_string_equal(m.v[0].host, p);
	assert_string_equal(m.v[0].guest, "/work");
	assert_int_equal(m.v[0].ro, 0);
	assert_int_equal(m.v[0].git_ro, 0);
	assert_int_equal(m.v[1].ro, 1);
	free(p);
	config_mounts_release(&m);

	/* each link swapped in for the project is refused, naming the key */
	for (i = 0; i < sizeof links / sizeof links[0]; i++) {
		const char *t = links[i].target;
		char *target = t[0] == '@' ? xstrdup(state_dir) : xstrdup(t);
		p = xasprintf("%s/swapped%zu", d, i);
		assert_int_equal(symlink(target, p), 0);
		extra = xasprintf("\"volumes\": [\"%s:/work\"]", p);
		assert_int_equal(up_check(extra, &o, &m, &cause), -1);
		assert_int_equal(m.n, 0);
		if (strstr(cause, "config: t.json: bottles.web.vm.volumes[0]: "
				  "the host directory \"") != cause ||
		    strstr(cause, links[i].why) == NULL)
			fail_msg("%s -> %s: %s", p, target, cause);
		free(cause);
		free(extra);
		free(target);
		free(p);
	}

	/* a path that is gone, and a file */
	extra =
	    xasprintf("\"volumes\": [\"%s/proj:/a\", \"%s/gone:/b\"]", d, d);
	assert_int_equal(up_check(extra, &o, &m, &cause), -1);
	p = xasprintf("config: t.json: bottles.web.vm.volumes[1]: the host "
		      "directory \"%s/gone\" does not exist",
		      d);
	assert_string_equal(cause, p);
	free(p);
	free(cause);
	free(extra);
	free(state_dir);
	rm_tree(d);
	free(d);
}

/* A read-write mount of a repository keeps .git read-only unless
 * vm.git_writable; a .git that smolvm cannot mount is refused. */
static void test_volumes_now_keep_git_read_only(void **state)
{
	char *d = scratch_tree(), *p, *extra, *cause = NULL;
	struct config_mounts m;
	FILE *f;

	(void)state;
	p = xasprintf("%s/repo", d);
	assert_int_equal(mkdir(p, 0700), 0);
	free(p);
	p = xasprintf("%s/repo/.git", d);
	assert_int_equal(mkdir(p, 0700), 0);
	free(p);

	extra = xasprintf("\"volumes\": [\"%s/repo:/work\"]", d);
	assert_int_equal(up_check(extra, NULL, &m, &cause), 0);
	assert_int_equal(m.v[0].git_ro, 1);
	config_mounts_release(&m);
	free(extra);

	extra = xasprintf("\"volumes\": [\"%s/repo:/work:ro\"]", d);
	assert_int_equal(up_check(extra, NULL, &m, &cause), 0);
	assert_int_equal(m.v[0].git_ro, 0); /* all of it is read-only */
	config_mounts_release(&m);
	free(extra);

	extra = xasprintf("\"volumes\": [\"%s/repo:/work\"], "
			  "\"git_writable\": true",
			  d);
	assert_int_equal(up_check(extra, NULL, &m, &cause), 0);
	assert_int_equal(m.v[0].git_ro, 0);
	config_mounts_release(&m);
	free(extra);

	/* the configuration mounts something on /work/.git itself */
	extra = xasprintf("\"volumes\": [\"%s/repo:/work\", "
			  "\"%s/repo/.git:/work/.git:ro\"]",
			  d, d);
	assert_int_equal(up_check(extra, NULL, &m, &cause), 0);
	assert_int_equal(m.v[0].git_ro, 0);
	config_mounts_release(&m);
	free(extra);

	/* a linked worktree: .git is a file */
	p = xasprintf("%s/wt", d);
	assert_int_equal(mkdir(p, 0700), 0);
	free(p);
	p = xasprintf("%s/wt/.git", d);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs("gitdir: /elsewhere\n", f);
	fclose(f);
	free(p);
	extra = xasprintf("\"volumes\": [\"%s/wt:/work\"]", d);
	assert_int_equal(up_check(extra, NULL, &m, &cause), -1);
	assert_non_null(strstr(cause, "bottles.web.vm.volumes[0]: "));
	assert_non_null(strstr(cause, "/wt/.git\" is not a directory"));
	assert_non_null(strstr(cause, "vm.git_writable"));
	free(cause);
	free(extra);
	extra = xasprintf("\"volumes\": [\"%s/wt:/work\"], "
			  "\"git_writable\": true",
			  d);
	assert_int_equal(up_check(extra, NULL, &m, &cause), 0);
	config_mounts_release(&m);
	free(extra);

	/* no volumes: nothing to check */
	assert_int_equal(up_check("\"cpus\": 1", NULL, &m, &cause), 0);
	assert_int_equal(m.n, 0);
	rm_tree(d);
	free(d);
}

static void test_cause_may_be_null(void **state)
{
	struct config *c = NULL;

	assert_int_equal(config_parse("{", 1, NULL, &c, NULL), -1);
	assert_null(c);
}

static void test_load_reads_a_file_and_names_it(void **state)
{
	char path[] = "/tmp/test_config_XXXXXX";
	static const char bad[] = "{\"bottles\": {\"Web\": {}}}";
	struct config *c = NULL;
	char *cause = NULL;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, bad, sizeof bad - 1),
			 (ssize_t)sizeof bad - 1);
	close(fd);
	assert_int_equal(config_load(path, &c, &cause), -1);
	assert_null(c);
	assert_non_null(strstr(cause, path));
	assert_non_null(strstr(cause, ": bottles.Web: invalid bottle name"));
	free(cause);
	unlink(path);

	assert_int_equal(config_load(path, &c, &cause), -1);
	assert_non_null(strstr(cause, "config: /tmp/test_config_"));
	assert_non_null(strstr(cause, "No such file"));
	free(cause);
}

static void test_default_path_follows_xdg(void **state)
{
	char *saved_xdg = getenv("XDG_CONFIG_HOME") != NULL
			      ? strdup(getenv("XDG_CONFIG_HOME"))
			      : NULL;
	char *saved_home =
	    getenv("HOME") != NULL ? strdup(getenv("HOME")) : NULL;
	char *p;

	setenv("XDG_CONFIG_HOME", "/x/conf", 1);
	p = config_default_path();
	assert_string_equal(p, "/x/conf/bottle/bottles.json");
	free(p);
	setenv("XDG_CONFIG_HOME", "relative", 1); /* ignored, per XDG */
	setenv("HOME", "/home/u", 1);
	p = config_default_path();
	assert_string_equal(p, "/home/u/.config/bottle/bottles.json");
	free(p);

	if (saved_xdg != NULL)
		setenv("XDG_CONFIG_HOME", saved_xdg, 1);
	else
		unsetenv("XDG_CONFIG_HOME");
	if (saved_home != NULL)
		setenv("HOME", saved_home, 1);
	free(saved_xdg);
	free(saved_home);
}

static void test_demo_config_is_two_simulated_bottles(void **state)
{
	struct config *c = NULL;
	char *cause = NULL;
	const struct config_bottle *b;
	size_t i;

	if (config_load(BOTTLE_SRCDIR "/assets/demo/bottles.json", &c,
			&cause) != 0)
		fail_msg("%s", cause);
	assert_int_equal(c->n_bottles, 2);
	assert_int_equal(c->warnings.n, 0);
	for (i = 0; i < 2; i++) {
		b = &c->bottles[i];
		assert_string_equal(b->name, i == 0 ? "demo-a" : "demo-b");
		assert_int_equal(b->vmm, CONFIG_VMM_SIM);
		assert_null(b->resolver); /* never probe off this machine */
		assert_string_equal(b->vm.image, "bottle-demo-vm:latest");
		assert_string_equal(b->bundle.image,
				    "bottle-demo-bundle:latest");
		assert_string_equal(b->subnet_pool, "10.213.0.0/16");
		assert_int_equal(b->bundle.n_services, 4);
		assert_true(b->vm.cmd.n > 0);
	}
	config_free(c);
}

static void test_example_config_is_valid(void **state)
{
	struct config *c = NULL;
	char *cause = NULL;

	if (config_load(BOTTLE_SRCDIR "/assets/bottles.example.json", &c,
			&cause) != 0)
		fail_msg("%s", cause);
	assert_true(c->n_bottles >= 1);
	assert_int_equal(c->warnings.n, 0);
	config_free(c);
}

static int group_setup(void **state)
{
	unsetenv("BOTTLE_TEST_UNSAFE_BIND");
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty_object_has_no_bottles),
	    cmocka_unit_test(test_builtin_defaults_fill_every_field),
	    cmocka_unit_test(test_bottle_overrides_only_what_it_names),
	    cmocka_unit_test(test_bottles_keep_file_order),
	    cmocka_unit_test(test_env_merges_per_key_and_null_removes),
	    cmocka_unit_test(test_arrays_replace_instead_of_merging),
	    cmocka_unit_test(test_services_merge_per_field_and_null_removes),
	    cmocka_unit_test(test_null_turns_off_the_resolver_and_workdir),
	    cmocka_unit_test(test_comments_are_accepted),
	    cmocka_unit_test(test_error_positions_count_through_comments),
	    cmocka_unit_test(test_valid_limits_are_accepted),
	    cmocka_unit_test(
		test_pools_beside_the_reserved_ranges_are_accepted),
	    cmocka_unit_test(test_dns_name_defaults_and_accepts_names),
	    cmocka_unit_test(test_smolvm_allow_newer_is_read_from_defaults),
	    cmocka_unit_test(test_name_validity),
	    cmocka_unit_test(test_unsafe_bind_override_warns),
	    cmocka_unit_test(test_messages_name_the_origin),
	    cmocka_unit_test(test_volume_host_policy),
	    cmocka_unit_test(test_bundle_env_values_docker_can_carry),
	    cmocka_unit_test(test_volumes_now_resolve_and_recheck),
	    cmocka_unit_test(test_volumes_now_keep_git_read_only),
	    cmocka_unit_test(test_cause_may_be_null),
	    cmocka_unit_test(test_load_reads_a_file_and_names_it),
	    cmocka_unit_test(test_default_path_follows_xdg),
	    cmocka_unit_test(test_demo_config_is_two_simulated_bottles),
	    cmocka_unit_test(test_example_config_is_valid),
	};
	struct CMUnitTest bad[sizeof bad_cases / sizeof bad_cases[0]];
	size_t i;
	int failed;

	for (i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
		memset(&bad[i], 0, sizeof bad[i]);
		bad[i].name = bad_cases[i].name;
		bad[i].test_func = test_bad_case;
		bad[i].initial_state = (void *)&bad_cases[i];
	}
	failed =
	    cmocka_run_group_tests_name("config", tests, group_setup, NULL);
	failed += cmocka_run_group_tests_name("config: malformed", bad,
					      group_setup, NULL);
	return failed != 0;
}
