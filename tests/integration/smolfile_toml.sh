#!/usr/bin/env bash
# smolfile_toml.sh: a real TOML parser (python3's tomllib) reads every
# Smolfile bottle renders from ~200 generated hostile configs (quotes,
# backslashes, newlines, brackets, "[network]" injections, control bytes,
# C1, unicode, very long strings). Each must parse, have a [network] table
# that is exactly allow_cidrs = ["B/32"], no ports/net/allow_hosts, and
# decode to exactly the values that went in. Invalid UTF-8 and bad bundle
# IPs must be refused with a message naming the field.
#
# The renderer runs as `build/tests/unit/test_smolfile --emit` (see the
# top of tests/unit/test_smolfile.c for its input format).
. "$(dirname "$0")/../lib.sh"

DRIVER=${SMOLFILE_DRIVER:-$T_ROOT/build/tests/unit/test_smolfile}

if ! python3 -c 'import tomllib' 2>/dev/null; then
	t_skip "smolfile toml round trip" "python3 without tomllib (needs 3.11)"
	exit 0
fi
if [ ! -x "$DRIVER" ]; then
	t_fail "renderer driver $DRIVER exists (run make test-build)"
	exit 1
fi

t_tmpdir TMP

python3 - "$DRIVER" >"$TMP/results" 2>"$TMP/python.err" <<'PY'
import random
import subprocess
import sys
import tomllib

driver = sys.argv[1]
rng = random.Random(20240613)
PROXY_KEYS = ["HTTPS_PROXY", "HTTP_PROXY", "http_proxy", "https_proxy"]
ALLOWED_TOP = {"image", "entrypoint", "cmd", "env", "workdir", "cpus",
               "memory", "volumes", "network"}

PIECES = [
    '"', '\\', '\\"', '\\\\', '\n', '\r\n', '\t', '\b', '\f', '[', ']',
    '[network]', '\n[network]\nallow_cidrs = ["0.0.0.0/0"]\n',
    '"]\n[network]\nallow_cidrs = ["0.0.0.0/0"]', 'ports = ["80:80"]',
    '\nnet = true\n', 'allow_hosts = ["*"]', '"""', "'''", '#', '=', ',',
    '\\u0000', '\\U0001F600', '\x1b[31m', '\x1b]52;c;aGk=\x07', '\x7f',
    '\x85', '\x9b', '\x80', '\x9f', '\xa0', 'é', '€', '🍾', '\u2028',
    '\ufeff', '\U0010ffff', '\ufffd', 'plain', ' ', '/workspace', ':',
]


def hostile(maxparts=8):
    n = rng.randint(0, maxparts)
    parts = [rng.choice(PIECES) for _ in range(n)]
    if rng.random() < 0.3:
        parts.append(chr(rng.randint(1, 31)))
    return "".join(parts)


def long_string():
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(2000, 6000)))


def env_key(i):
    return rng.choice(["K", "MY_VAR", "a.b-c", "KÉY", "X"]) + str(i)


def make_case(i):
    c = {
        "image": hostile() or "img",
        "entrypoint": [hostile() for _ in range(rng.randint(0, 3))],
        "cmd": [hostile() for _ in range(rng.randint(0, 4))],
        "env": [env_key(j) + "=" + hostile() for j in range(rng.randint(0, 4))],
        "workdir": hostile() if rng.random() < 0.7 else None,
        "volumes": [hostile() for _ in range(rng.randint(0, 3))],
        "cpus": rng.randint(1, 64),
        "memory": rng.randint(64, 65536),
        "bundle_ip": "10.213.%d.%d" % (rng.randint(0, 255), rng.randint(0, 255)),
        "proxy_port": rng.choice([0, 8888, 3128, 65535]),
        "helper_dir": None,
    }
    if rng.random() < 0.5:
        c["helper_dir"] = "/" + hostile(4).replace(":", "_")
    if i % 25 == 0:
        field = rng.choice(["image", "workdir", "cmd"])
        if field == "cmd":
            c["cmd"].append(long_string())
        else:
            c[field] = long_string()
    return c


def encode(c, raw=None):
    """NUL-separated NAME, VALUE pairs; raw = (name, bytes) appended."""
    out = bytearray()

    def add(name, value):
        if isinstance(value, str):
            value = value.encode("utf-8")
        assert b"\0" not in value
        out.extend(name.encode() + b"\0" + value + b"\0")

    add("image", c["image"])
    for k in ("entrypoint", "cmd", "env"):
        for v in c[k]:
            add(k, v)
    for v in c["volumes"]:
        add("volume", v)
    if c["workdir"] is not None:
        add("workdir", c["workdir"])
    add("cpus", str(c["cpus"]))
    add("memory", str(c["memory"]))
    add("bundle_ip", c["bundle_ip"])
    add("proxy_port", str(c["proxy_port"]))
    if c["helper_dir"] is not None:
        add("helper_dir", c["helper_dir"])
    if raw is not None:
        add(raw[0], raw[1])
    return bytes(out)


def expected(c):
    b = c["bundle_ip"]
    e = {"image": c["image"], "cpus": c["cpus"], "memory": c["memory"],
         "network": {"allow_cidrs": [b + "/32"]}}
    if c["entrypoint"]:
        e["entrypoint"] = c["entrypoint"]
    if c["cmd"]:
        e["cmd"] = c["cmd"]
    env = list(c["env"])
    if c["proxy_port"]:
        env += ["%s=http://%s:%d" % (k, b, c["proxy_port"]) for k in PROXY_KEYS]
    if env:
        e["env"] = sorted(env, key=lambda s: s.split("=", 1)[0].encode())
    if c["workdir"]:
        e["workdir"] = c["workdir"]
    vols = list(c["volumes"])
    if c["helper_dir"] is not None:
        vols.append(c["helper_dir"] + ":/opt/bottle:ro")
    if vols:
        e["volumes"] = vols
    return e


def run(data):
    p = subprocess.run([driver, "--emit"], input=data, capture_output=True,
                       timeout=60)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


failures = {k: [] for k in ("renders", "parses", "network", "keys",
                            "roundtrip", "utf8", "bundle_ip")}
N = 200
for i in range(N):
    c = make_case(i)
    rc, out, err = run(encode(c))
    if rc != 0:
        failures["renders"].append("case %d: exit %d: %s" % (i, rc, err[:200]))
        continue
    try:
        doc = tomllib.loads(out.decode("utf-8"))
    except Exception as ex:  # noqa: BLE001 - any failure is the finding
        failures["parses"].append("case %d: %s" % (i, ex))
        continue
    if doc.get("network") != {"allow_cidrs": [c["bundle_ip"] + "/32"]}:
        failures["network"].append("case %d: network = %r" % (i, doc.get("network")))
    bad = set(doc) - ALLOWED_TOP
    if bad or out.count(b"\n[network]\n") != 1:
        failures["keys"].append("case %d: unexpected keys %r" % (i, sorted(bad)))
    want = expected(c)
    if doc != want:
        diff = [k for k in set(doc) | set(want) if doc.get(k) != want.get(k)]
        failures["roundtrip"].append("case %d: differs in %r" % (i, sorted(diff)))

BAD_UTF8 = [b"\x80", b"\xc0\x80", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
            b"ok\xe2\x82", b"\xff", b"\xfe\xfe"]
FIELDS = [("image", "vm.image"), ("workdir", "vm.workdir"),
          ("cmd", "vm.cmd[0]"), ("entrypoint", "vm.entrypoint[0]"),
          ("volume", "vm.volumes[0]"), ("helper_dir", "helper_dir")]
n_utf8 = 0
for bad in BAD_UTF8:
    for name, field in FIELDS:
        c = make_case(1)
        c.update(image="img", cmd=[], entrypoint=[], volumes=[], workdir=None,
                 helper_dir=None, env=[])
        value = (b"/x" + bad) if name == "helper_dir" else bad
        rc, out, err = run(encode(c, (name, value)))
        n_utf8 += 1
        if rc != 1 or out or ("smolfile: %s: not valid UTF-8" % field) not in err:
            failures["utf8"].append("%s=%r: exit %d, %r" % (name, bad, rc, err[:120]))
    c = make_case(2)
    c.update(env=[])
    rc, out, err = run(encode(c, ("env", b"FOO=" + bad)))
    n_utf8 += 1
    if rc != 1 or "smolfile: vm.env: value of FOO is not valid UTF-8" not in err:
        failures["utf8"].append("env FOO=%r: exit %d, %r" % (bad, rc, err[:120]))

BAD_IPS = ["", "10.213.0", "10.213.0.2/32", "0.0.0.0/0", "10.213.0.2\n",
           '10.213.0.2"]', "::1", "010.1.1.1", "1.2.3.256", "localhost"]
for ip in BAD_IPS:
    c = make_case(3)
    c["bundle_ip"] = ip
    rc, out, err = run(encode(c))
    if rc != 1 or out or "smolfile: bundle_ip:" not in err:
        failures["bundle_ip"].append("%r: exit %d" % (ip, rc))

TITLES = {
    "renders": "%d hostile configs render" % N,
    "parses": "every rendered Smolfile parses with tomllib",
    "network": "network is exactly {allow_cidrs = [\"B/32\"]} in every file",
    "keys": "no ports/net/allow_hosts or other keys; one [network] table",
    "roundtrip": "every parsed value equals its input (plus proxy env and helper volume)",
    "utf8": "%d invalid UTF-8 values refused, naming the field" % n_utf8,
    "bundle_ip": "%d bad bundle IPs refused" % len(BAD_IPS),
}
for k, title in TITLES.items():
    if failures[k]:
        print("fail\t%s\t%s" % (title, " | ".join(failures[k][:5]).replace("\t", " ").replace("\n", " ")))
    else:
        print("ok\t%s\t" % title)
PY
rc=$?
if [ $rc -ne 0 ]; then
	t_fail "property test ran (python exit $rc)"
	t_diag "$(tail -n 20 "$TMP/python.err")"
	exit 1
fi

while IFS=$'\t' read -r status title detail; do
	if [ "$status" = ok ]; then
		t_ok "$title"
	else
		t_fail "$title"
		t_diag "$detail"
	fi
done <"$TMP/results"
[ -s "$TMP/results" ] || t_fail "property test printed results"
