# bottle: one GNU Makefile. Objects under build/. See README.md.
#
#   make            build ./bottle (installs missing Debian packages as root)
#   make run        the dashboard (demo configuration when no smolvm/config)
#   make test       every test layer; ends with "N passed, N failed"
#   make lint       clang-format check, banned calls, cppcheck
#   make fuzz       libFuzzer targets with clang (FUZZ_SECONDS each)
#   make bench      benchmarks under tests/bench/
#   make valgrind   unit tests under valgrind --leak-check=full
#   make install    PREFIX=/usr/local DESTDIR=
#   make deb        build/deb/bottle_VERSION_ARCH.deb (dpkg-deb, PREFIX=/usr)
#   make clean

PREFIX ?= /usr/local
DESTDIR ?=
BINDIR = $(PREFIX)/bin
MANDIR = $(PREFIX)/share/man
DATADIR = $(PREFIX)/share/bottle
LIBEXECDIR = $(PREFIX)/libexec/bottle
BASHCOMPDIR = $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR = $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR = $(PREFIX)/share/fish/vendor_completions.d

VERSION := 0.1.0
CC ?= cc
CLANG ?= clang
PKGS = ncursesw libuv libcjson libcurl
DEPS_STAMP = build/.deps-build

# pkg-config is consulted lazily (after the deps stamp ran).
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS = $(shell pkg-config --libs cmocka 2>/dev/null)

WARN = -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wstrict-prototypes \
	-Wmissing-prototypes -Wformat=2 -Wformat-security -Wundef -Wvla \
	-Wimplicit-fallthrough -Wnull-dereference -Wno-unused-parameter
BASE_CFLAGS = -std=gnu11 $(WARN) -D_GNU_SOURCE -Isrc -Iui -Ibuild/gen \
	-DBOTTLE_VERSION='"$(VERSION)"' -DBOTTLE_SRCDIR='"$(CURDIR)"' \
	-DBOTTLE_DATADIR='"$(DATADIR)"' -DBOTTLE_LIBEXECDIR='"$(LIBEXECDIR)"'
OPT_CFLAGS = -O2 -g
SAN_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
ASAN_CFLAGS = -O1 -g $(SAN_FLAGS)

CORE_SRC = $(filter-out src/main.c,$(wildcard src/*.c))
UI_SRC = $(wildcard ui/*.c)
GEN_SRC = build/gen/assets.c
LIB_SRC = $(CORE_SRC) $(UI_SRC)
UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_HDR = $(wildcard tests/unit/*.h) # helpers some of them include
FUZZ_SRC = $(wildcard tests/fuzz/fuzz_*.c)

# Every source compiles once per flavour into build/FLAVOUR/ and the
# flavour's objects go into build/FLAVOUR/libbottle.a: a test or fuzz
# target links the archive, so it takes only the objects it uses.
#   obj       the program (OPT_CFLAGS)
#   asan      the sanitizer build: build/asan/bottle, unit tests, replay
#   fuzz      clang, -fsanitize=fuzzer-no-link,address,undefined
#   vg        -O0 for make valgrind
LIB_OBJ = $(patsubst %.c,%.o,$(LIB_SRC)) gen/assets.o
OBJ = $(addprefix build/obj/,$(LIB_OBJ)) build/obj/src/main.o
ASAN_LIB = build/asan/libbottle.a
UNIT_BIN = $(patsubst tests/unit/%.c,build/tests/unit/%,$(UNIT_SRC))
REPLAY_BIN = $(patsubst tests/fuzz/%.c,build/tests/replay/%,$(FUZZ_SRC))
FUZZ_BIN = $(patsubst tests/fuzz/%.c,build/tests/fuzz/%,$(FUZZ_SRC))
PROBE_BIN = build/helper/bottle-probe

.PHONY: all run test test-build lint fuzz bench valgrind install deb clean deps FORCE \
	deps-test deps-run docker
.DELETE_ON_ERROR:

all: bottle $(PROBE_BIN) build/bottle-probe

deps: $(DEPS_STAMP)
$(DEPS_STAMP): assets/scripts/deps.sh
	@sh assets/scripts/deps.sh build
	@mkdir -p build && touch $@
deps-test:
	@sh assets/scripts/deps.sh test
deps-run:
	@sh assets/scripts/deps.sh run
docker:
	@sh assets/scripts/dockerd.sh

build/gen/assets.c: $(wildcard assets/text/*.txt) assets/scripts/embed.py | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	python3 assets/scripts/embed.py $@ $(wildcard assets/text/*.txt)

# $(call flavour,DIR,COMPILER,FLAGS): DIR's pattern rules and archive.
define flavour
build/$(1)/%.o: %.c | $$(DEPS_STAMP)
	@mkdir -p $$(dir $$@)
	$(2) $(3) $$(PKG_CFLAGS) $$(CFLAGS) -MMD -MP -c $$< -o $$@
build/$(1)/gen/assets.o: build/gen/assets.c
	@mkdir -p $$(dir $$@)
	$(2) $(3) -c $$< -o $$@
build/$(1)/libbottle.a: $$(addprefix build/$(1)/,$$(LIB_OBJ))
	@rm -f $$@
	$$(AR) rcs $$@ $$^
endef
$(eval $(call flavour,obj,$$(CC),$$(BASE_CFLAGS) $$(OPT_CFLAGS)))
# The test hooks (BOTTLE_TEST_*: shorter timeouts, a pause before every
# step, the unsafe-bind override) exist only in the test flavours: the
# release binary ./bottle has none of them.
TEST_HOOKS = -DBOTTLE_TEST_HOOKS
$(eval $(call flavour,asan,$$(CC),$$(BASE_CFLAGS) $$(ASAN_CFLAGS) $$(TEST_HOOKS)))
$(eval $(call flavour,fuzz,$$(CLANG),$$(FUZZ_CFLAGS) $$(FUZZ_OBJ_SAN)))
$(eval $(call flavour,vg,$$(CC),$$(BASE_CFLAGS) -O0 -g $$(TEST_HOOKS)))

# Objects that compile in PREFIX's data directory are rebuilt when it changes.
build/.prefix: FORCE
	@mkdir -p build; echo '$(DATADIR) $(LIBEXECDIR)' | cmp -s - $@ || \
		echo '$(DATADIR) $(LIBEXECDIR)' > $@
FORCE:
$(foreach f,obj asan fuzz vg,build/$(f)/src/paths.o build/$(f)/src/cli.o): build/.prefix

bottle: $(OBJ)
	$(CC) $(OPT_CFLAGS) $(LDFLAGS) -o $@ $(OBJ) $(PKG_LIBS)

# The sanitizer build of the program, used by the integration and UI tests.
build/asan/bottle: build/asan/src/main.o $(ASAN_LIB)
	$(CC) $(ASAN_CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# The in-VM probe helper: static, no libraries.
$(PROBE_BIN): src/helper/bottle-probe.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) -O2 -static -o $@ $<
# build/helper/ holds nothing else: it is mounted read-only in the VM.
build/bottle-probe: $(PROBE_BIN)
	cp $< $@

build/tests/unit/%: tests/unit/%.c $(UNIT_HDR) $(ASAN_LIB) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(ASAN_CFLAGS) $(PKG_CFLAGS) -Itests/unit -o $@ $< \
		$(ASAN_LIB) $(PKG_LIBS) $(CMOCKA_LIBS)

# Corpus replay: the fuzz targets with a plain main, built by gcc + ASan.
build/tests/replay/%: build/asan/tests/fuzz/%.o build/asan/tests/fuzz/replay.o \
		$(ASAN_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ASAN_CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

test-build: deps-test bottle $(PROBE_BIN) build/bottle-probe build/asan/bottle $(UNIT_BIN) $(REPLAY_BIN)

test: deps-test
	@sh assets/scripts/dockerd.sh
	@$(MAKE) --no-print-directory test-build
	@bash tests/run.sh

run: deps-run all
	@sh assets/scripts/dockerd.sh
	@bash assets/scripts/run.sh

FUZZ_SECONDS ?= 60
FUZZ_CFLAGS = -std=gnu11 -D_GNU_SOURCE -Isrc -Iui -Ibuild/gen -g -O1 \
	-DBOTTLE_VERSION='"$(VERSION)"' -DBOTTLE_SRCDIR='"$(CURDIR)"' \
	-DBOTTLE_DATADIR='"$(DATADIR)"' -DBOTTLE_LIBEXECDIR='"$(LIBEXECDIR)"'
# objects: instrumented, no libFuzzer main; the link adds libFuzzer
FUZZ_OBJ_SAN = -fsanitize=fuzzer-no-link,address,undefined
# the targets' own objects are kept (not make's deleted intermediates)
.SECONDARY: $(patsubst tests/%.c,build/fuzz/tests/%.o,$(FUZZ_SRC)) \
	$(patsubst tests/%.c,build/asan/tests/%.o,$(FUZZ_SRC) tests/fuzz/replay.c)
build/tests/fuzz/%: build/fuzz/tests/fuzz/%.o build/fuzz/libbottle.a
	@mkdir -p $(dir $@)
	$(CLANG) -g -fsanitize=fuzzer,address,undefined -o $@ $^ $(PKG_LIBS)
fuzz: $(FUZZ_BIN)
	@for f in $(FUZZ_BIN); do \
		n=$$(basename $$f); mkdir -p build/fuzz-corpus/$$n; \
		echo "fuzz: $$n for $(FUZZ_SECONDS) s"; \
		$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			build/fuzz-corpus/$$n tests/fuzz/corpus/$$n || exit 1; \
	done

bench: all build/asan/bottle
	@sh assets/scripts/dockerd.sh
	@bash tests/bench/run.sh

valgrind: deps-test
	@$(MAKE) --no-print-directory VALGRIND=1 build/valgrind/.done
VG_UNIT_BIN = $(patsubst tests/unit/%.c,build/valgrind/%,$(UNIT_SRC))
build/valgrind/%: tests/unit/%.c $(UNIT_HDR) build/vg/libbottle.a | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -O0 -g $(PKG_CFLAGS) -Itests/unit -o $@ $< \
		build/vg/libbottle.a $(PKG_LIBS) $(CMOCKA_LIBS)
build/valgrind/.done: $(VG_UNIT_BIN)
	@fail=0; for t in $(VG_UNIT_BIN); do \
		valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
			--error-exitcode=99 $$t >/dev/null 2>build/valgrind/$$(basename $$t).log \
			|| { echo "valgrind: $$t failed (build/valgrind/$$(basename $$t).log)"; fail=1; }; \
	done; [ $$fail = 0 ] && echo "valgrind: $(words $(VG_UNIT_BIN)) unit binaries clean"

lint: $(DEPS_STAMP)
	@bash assets/scripts/lint.sh

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(DATADIR)/demo/bundle
	install -m 755 bottle $(DESTDIR)$(BINDIR)/bottle
	install -m 644 man/bottle.1 $(DESTDIR)$(MANDIR)/man1/bottle.1
	install -m 644 man/bottle.json.5 $(DESTDIR)$(MANDIR)/man5/bottle.json.5
	install -d $(DESTDIR)$(LIBEXECDIR)/helper
	install -m 755 $(PROBE_BIN) $(DESTDIR)$(LIBEXECDIR)/helper/bottle-probe
	install -m 755 assets/demo/smolvm $(DESTDIR)$(DATADIR)/demo/smolvm
	install -m 644 assets/demo/bottles.json $(DESTDIR)$(DATADIR)/demo/bottles.json
	cp -R assets/demo/bundle/. $(DESTDIR)$(DATADIR)/demo/bundle/
	install -m 644 assets/bottles.example.json $(DESTDIR)$(DATADIR)/bottles.example.json
	install -d $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR)
	install -m 644 assets/completion/bottle.bash $(DESTDIR)$(BASHCOMPDIR)/bottle
	install -m 644 assets/completion/_bottle $(DESTDIR)$(ZSHCOMPDIR)/_bottle
	install -m 644 assets/completion/bottle.fish $(DESTDIR)$(FISHCOMPDIR)/bottle.fish

# A Debian package from a staged install (assets/deb/, assets/scripts/deb.sh).
# PREFIX=/usr rebuilds the objects that compile in the data directory.
deb:
	@sh assets/scripts/deps.sh deb
	rm -rf build/deb
	$(MAKE) --no-print-directory install PREFIX=/usr DESTDIR=$(CURDIR)/build/deb/root
	sh assets/scripts/deb.sh build/deb/root $(VERSION) build/deb

clean:
	rm -rf build bottle

-include $(shell find build -name '*.d' -type f 2>/dev/null)
