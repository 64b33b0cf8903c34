/* test_docker.c: docker argv builders, output parsers and stderr
 * classification, against output captured from this machine's docker
 * (client 28.2.2 and 20.10.24, engine 20.10.24) and, when an engine is
 * reachable, against the engine itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "docker.h"

/* docker 28.2.2 client, dockerd 20.10.24: ps -a --no-trunc --filter label=dev.bottle.managed=1 --format {{json .}} */
static const char ps_docker28[] =
	"{\"Command\":\"\\\"/bin/busybox sh -c 'exit 3'\\\"\",\"CreatedAt\":\""
	"2026-11-28 16:11:32 +0000 UTC\",\"ID\":\"fa0222c302b2f2cc825f36d63dc"
	"51f085e329b38d416d63dbdc14e27f5d13a0e\",\"Image\":\"statedocker-test"
	":1\",\"Labels\":\"dev.bottle.managed=1,dev.bottle.name=sdtest-5170-e"
	"\",\"LocalVolumes\":\"0\",\"Mounts\":\"\",\"Names\":\"bottle-sdtest-"
	"5170-exited\",\"Networks\":\"bridge\",\"Platform\":null,\"Ports\":\""
	"\",\"RunningFor\":\"19 seconds ago\",\"Size\":\"0B (virtual 1.98MB)\""
	",\"State\":\"exited\",\"Status\":\"Exited (3) 18 seconds ago\"}\n"
	"{\"Command\":\"\\\"/bin/busybox true\\\"\",\"CreatedAt\":\"2026-11-2"
	"8 16:11:32 +0000 UTC\",\"ID\":\"b5444d42f954ed27811cd407b71f309785c7"
	"8d491b96b6ca84e1d633cad8dd9e\",\"Image\":\"statedocker-test:1\",\"La"
	"bels\":\"dev.bottle.managed=1,dev.bottle.name=sdtest-5170-c\",\"Loca"
	"lVolumes\":\"0\",\"Mounts\":\"\",\"Names\":\"bottle-sdtest-5170-crea"
	"ted\",\"Networks\":\"bridge\",\"Platform\":null,\"Ports\":\"\",\"Run"
	"ningFor\":\"19 seconds ago\",\"Size\":\"0B (virtual 1.98MB)\",\"Stat"
	"e\":\"created\",\"Status\":\"Created\"}\n"
	"{\"Command\":\"\\\"/bin/busybox sleep 3600\\\"\",\"CreatedAt\":\"202"
	"6-11-28 16:11:32 +0000 UTC\",\"ID\":\"ef62e9c9e64d75716cfa87d84faecc"
	"18914d25dfa7b6d37fb511489ef0af9692\",\"Image\":\"statedocker-test:1\""
	",\"Labels\":\"dev.bottle.managed=1,dev.bottle.name=sdtest-5170\",\"L"
	"ocalVolumes\":\"0\",\"Mounts\":\"\",\"Names\":\"bottle-sdtest-5170-b"
	"undle\",\"Networks\":\"bottle-sdtest-5170\",\"Platform\":null,\"Port"
	"s\":\"\",\"RunningFor\":\"19 seconds ago\",\"Size\":\"0B (virtual 1."
	"98MB)\",\"State\":\"running\",\"Status\":\"Up 18 seconds\"}\n";

/* the same from the docker 20.10.24 client (no "Platform") */
static const char ps_docker20[] =
	"{\"Command\":\"\\\"/bin/busybox sleep 3600\\\"\",\"CreatedAt\":\"202"
	"6-11-28 16:11:32 +0000 UTC\",\"ID\":\"ef62e9c9e64d75716cfa87d84faecc"
	"18914d25dfa7b6d37fb511489ef0af9692\",\"Image\":\"statedocker-test:1\""
	",\"Labels\":\"dev.bottle.managed=1,dev.bottle.name=sdtest-5170\",\"L"
	"ocalVolumes\":\"0\",\"Mounts\":\"\",\"Names\":\"bottle-sdtest-5170-b"
	"undle\",\"Networks\":\"bottle-sdtest-5170\",\"Ports\":\"\",\"Running"
	"For\":\"19 seconds ago\",\"Size\":\"0B (virtual 1.98MB)\",\"State\":"
	"\"running\",\"Status\":\"Up 18 seconds\"}\n";

/* docker network ls --no-trunc --format {{json .}} */
static const char netls_all[] =
	"{\"CreatedAt\":\"2026-11-28 16:11:31.941241282 +0000 UTC\",\"Driver\""
	":\"bridge\",\"ID\":\"53307bdc4a3aef2929922468588755e954f02b9b70824bf"
	"6116b0df491fb7bc1\",\"IPv4\":\"false\",\"IPv6\":\"false\",\"Internal"
	"\":\"false\",\"Labels\":\"dev.bottle.name=sdtest-5170,dev.bottle.man"
	"aged=1\",\"Name\":\"bottle-sdtest-5170\",\"Scope\":\"local\"}\n"
	"{\"CreatedAt\":\"2026-11-28 16:04:36.686627002 +0000 UTC\",\"Driver\""
	":\"bridge\",\"ID\":\"740fed572128f0b9dc623b1272bf1ec7a855acba2e25225"
	"95614fd998d31d10e\",\"IPv4\":\"false\",\"IPv6\":\"false\",\"Internal"
	"\":\"false\",\"Labels\":\"\",\"Name\":\"bridge\",\"Scope\":\"local\""
	"}\n"
	"{\"CreatedAt\":\"2026-11-28 16:04:36.668690693 +0000 UTC\",\"Driver\""
	":\"host\",\"ID\":\"ffced081096c6e671258349bd443bcb504165c16eda5510e3"
	"7094b2c77390965\",\"IPv4\":\"false\",\"IPv6\":\"false\",\"Internal\""
	":\"false\",\"Labels\":\"\",\"Name\":\"host\",\"Scope\":\"local\"}\n"
	"{\"CreatedAt\":\"2026-11-28 16:04:36.657656577 +0000 UTC\",\"Driver\""
	":\"null\",\"ID\":\"5fb0808679e4f8c65fcde55d4b053f6e38d801e02f49be708"
	"2e5e8188776cc53\",\"IPv4\":\"false\",\"IPv6\":\"false\",\"Internal\""
	":\"false\",\"Labels\":\"\",\"Name\":\"none\",\"Scope\":\"local\"}\n";

/* docker version --format {{json .}} (client 28.2.2, engine 20.10.24) */
static const char version_ok[] =
	"{\"Client\":{\"Version\":\"28.2.2\",\"ApiVersion\":\"1.41\",\"Defaul"
	"tAPIVersion\":\"1.50\",\"GitCommit\":\"e6534b4\",\"GoVersion\":\"go1"
	".24.3\",\"Os\":\"linux\",\"Arch\":\"amd64\",\"BuildTime\":\"Fri May "
	"30 12:07:14 2025\",\"Context\":\"default\"},\"Server\":{\"Platform\""
	":{\"Name\":\"\"},\"Components\":[{\"Name\":\"Engine\",\"Version\":\""
	"20.10.24+dfsg1\",\"Details\":{\"ApiVersion\":\"1.41\",\"Arch\":\"amd"
	"64\",\"BuildTime\":\"Thu May  7 21:09:36 2026\",\"Experimental\":\"f"
	"alse\",\"GitCommit\":\"5d6db84\",\"GoVersion\":\"go1.19.8\",\"Kernel"
	"Version\":\"6.18.44-fc-v669\",\"MinAPIVersion\":\"1.12\",\"Os\":\"li"
	"nux\"}},{\"Name\":\"containerd\",\"Version\":\"1.6.20~ds1\",\"Detail"
	"s\":{\"GitCommit\":\"1.6.20~ds1-1+deb12u3\"}},{\"Name\":\"runc\",\"V"
	"ersion\":\"1.1.5+ds1\",\"Details\":{\"GitCommit\":\"1.1.5+ds1-1+deb1"
	"2u1\"}},{\"Name\":\"docker-init\",\"Version\":\"0.19.0\",\"Details\""
	":{\"GitCommit\":\"\"}}],\"Version\":\"20.10.24+dfsg1\",\"ApiVersion\""
	":\"1.41\",\"MinAPIVersion\":\"1.12\",\"GitCommit\":\"5d6db84\",\"GoV"
	"ersion\":\"go1.19.8\",\"Os\":\"linux\",\"Arch\":\"amd64\",\"KernelVe"
	"rsion\":\"6.18.44-fc-v669\",\"BuildTime\":\"2026-05-07T21:09:36.0000"
	"00000+00:00\"}}\n";

/*@BODY@*/
