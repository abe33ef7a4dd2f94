# mado: build, demo, tests.
#
#   make            build/ngx_http_mado_module.so and build/madoctl
#   make deps       install the Debian packages needed (idempotent)
#   make asan       the same in build-asan/ with AddressSanitizer + UBSan
#   make run        demo: 14 Kyoto offices on http://127.0.0.1:8080/
#   make run PROFILE=secure
#                   the same through the production configuration (TLS,
#                   limits, WAF): https://127.0.0.1:8443/, :8080 redirects
#   make unit       the library's C tests (t/unit/); unit-asan under asan
#   make test       the whole suite (normal build, then again under asan,
#                   then against nginx 1.26 from Debian trixie's source)
#   make compat     build-compat/: nginx 1.26 and the module built against it
#   make fuzz       the libFuzzer targets (t/fuzz/), FUZZ_SECONDS each;
#                   fuzz-short is make test's pass (FUZZ_SHORT seconds each)
#   make bench      benchmarks, written to docs/benchmarks.md

SHELL := /bin/bash

NGINX_SRC  ?= /usr/share/nginx/src
NGINX      ?= /usr/sbin/nginx
BUILD      ?= build
PORT       ?= 8080
PROFILE    ?=
HTTPS_PORT ?= 8443

# every Debian package the build, demo, tests and benchmarks use
DEB_PACKAGES = nginx nginx-dev liblmdb-dev lmdb-utils libyajl-dev libssl-dev \
               libpcre2-dev zlib1g-dev libqrencode-dev gcc make perl wrk hyperfine curl openssl \
               chromium fonts-noto-cjk clang libclang-rt-dev \
               libnginx-mod-http-modsecurity modsecurity-crs fail2ban nftables testssl.sh \
               iproute2
# the WAF tests' HTTPS client (t/lib/MadoTest/Staged.pm)
DEB_PACKAGES += libio-socket-ssl-perl
# access logs: rotation, forwarding to a log host (TCP, RELP), GoAccess
DEB_PACKAGES += logrotate rsyslog rsyslog-relp goaccess

WARN      = -Wall -Wextra -Werror
OPT       = -O2 -g
SANITIZE  =

LIB_SRCS  = lmdb_store/mado_store.c lmdb_store/mado_lang.c lmdb_store/mado_json.c \
            lmdb_store/mado_offices_parse.c lmdb_store/mado_offices_json.c \
            lmdb_store/mado_calendar.c lmdb_store/mado_estimate.c \
            lmdb_store/mado_display.c lmdb_store/mado_history.c \
            lmdb_store/mado_history_doc.c lmdb_store/mado_compact.c \
            lmdb_store/mado_forecast.c lmdb_store/mado_counter.c \
            lmdb_store/mado_ticket.c lmdb_store/mado_feed.c \
            lmdb_store/mado_audit.c lmdb_store/mado_account.c \
            lmdb_store/mado_retention.c lmdb_store/mado_crypt.c \
            lmdb_store/mado_update.c lmdb_store/mado_schema.c
LIB_HDRS  = lmdb_store/mado_store.h
TOOL_SRCS = $(wildcard admin_tool/*.c)
TOOL_HDRS = $(wildcard admin_tool/*.h)
MOD_SRCS  = $(wildcard ngx_module/*.c) $(wildcard ngx_module/*.h) config

UNIT_SRCS = $(wildcard t/unit/test_*.c)
UNIT_BINS = $(patsubst t/unit/%.c,$(BUILD)/unit/%,$(UNIT_SRCS))
LIB_OBJS  = $(patsubst lmdb_store/%.c,$(BUILD)/lib/%.o,$(LIB_SRCS))

ASAN_VARS = BUILD=build-asan OPT="-O1 -g -fno-omit-frame-pointer" \
            SANITIZE="-fsanitize=address,undefined -fno-sanitize-recover=undefined"

.PHONY: all deps asan compat run test test-build test-asan test-compat \
        test-browser bench clean unit unit-asan fuzz fuzz-short fuzz-build

all: $(BUILD)/ngx_http_mado_module.so $(BUILD)/madoctl

deps:
	@missing=$$(for p in $(DEB_PACKAGES); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
	    echo "installing:" $$missing; \
	    SUDO=$$( [ $$(id -u) -eq 0 ] || echo sudo ); \
	    $$SUDO apt-get -o Acquire::Retries=5 update && \
	    DEBIAN_FRONTEND=noninteractive $$SUDO apt-get -o Acquire::Retries=5 install -y --no-install-recommends $$missing; \
	else \
	    echo "all Debian packages present"; \
	fi
	@# the browser tests need node and npm: Debian's when the machine has none
	@command -v npm > /dev/null || { \
	    SUDO=$$( [ $$(id -u) -eq 0 ] || echo sudo ); \
	    DEBIAN_FRONTEND=noninteractive $$SUDO apt-get -o Acquire::Retries=5 install -y --no-install-recommends nodejs npm; }

# nginx-dev ships the headers and configure scripts of the packaged nginx;
# configure a private copy with the package's own flags (--with-compat) so
# the module's binary signature matches /usr/sbin/nginx.
$(BUILD)/nginx/objs/Makefile: config $(NGINX_SRC)/conf_flags
	rm -rf $(BUILD)/nginx
	mkdir -p $(BUILD)
	cp -r $(NGINX_SRC) $(BUILD)/nginx
	cd $(BUILD)/nginx && source ./conf_flags && \
	    ./configure "$${NGX_CONF_FLAGS[@]}" \
	        --add-dynamic-module=$(CURDIR) > configure.log 2>&1 \
	    || { tail -30 configure.log; exit 1; }

# objs/Makefile's CFLAGS is replaced: ours warn more and may sanitize
$(BUILD)/ngx_http_mado_module.so: $(BUILD)/nginx/objs/Makefile $(MOD_SRCS) $(LIB_SRCS) $(LIB_HDRS)
	$(MAKE) -C $(BUILD)/nginx -f objs/Makefile modules \
	    CFLAGS="-pipe -fPIC $(OPT) $(WARN) -Wpointer-arith $(SANITIZE)" \
	    LINK="$(CC) $(SANITIZE)"
	# a new inode: overwriting a loaded .so in place crashes running workers
	cp $(BUILD)/nginx/objs/ngx_http_mado_module.so $@.tmp && mv -f $@.tmp $@

$(BUILD)/madoctl: $(TOOL_SRCS) $(TOOL_HDRS) $(LIB_SRCS) $(LIB_HDRS)
	mkdir -p $(BUILD)
	$(CC) -std=gnu99 $(OPT) $(WARN) $(SANITIZE) -Ilmdb_store -Iadmin_tool \
	    -o $@.tmp $(TOOL_SRCS) $(LIB_SRCS) -llmdb -lyajl -lssl -lcrypto -lm -lz && mv -f $@.tmp $@

# nginx 1.26 (Debian trixie's source package, fetched with apt into
# build-compat/) and the module built against it, bookworm's configure flags
compat: all
	bash t/compat/nginx-trixie.sh build-compat "-pipe -fPIC $(OPT) $(WARN) -Wpointer-arith"

asan:
	$(MAKE) $(ASAN_VARS)

# ---- demo ---------------------------------------------------------------


run: deps all
	@MADO_HTTPS_PORT=$(HTTPS_PORT) bash conf.example/demo.sh "$(CURDIR)/$(BUILD)" "$(PORT)" $(PROFILE)

# ---- tests --------------------------------------------------------------

test: deps all asan
	$(MAKE) unit
	$(MAKE) unit-asan
	$(MAKE) fuzz-short
	$(MAKE) test-build
	$(MAKE) test-asan
	$(MAKE) test-compat
	$(MAKE) test-browser

# the library's own tests in C (t/unit/), built with the same flags
unit: $(UNIT_BINS)
	@rc=0; for t in $(UNIT_BINS); do $$t || rc=1; done; exit $$rc

unit-asan:
	$(MAKE) $(ASAN_VARS) unit

# kept between runs: each test links them all
.SECONDARY: $(LIB_OBJS)

$(BUILD)/lib/%.o: lmdb_store/%.c $(LIB_HDRS)
	@mkdir -p $(BUILD)/lib
	$(CC) -std=gnu99 $(OPT) $(WARN) $(SANITIZE) -Ilmdb_store -c -o $@ $<

$(BUILD)/unit/%: t/unit/%.c t/unit/unit.h $(LIB_OBJS)
	@mkdir -p $(BUILD)/unit
	$(CC) -std=gnu99 $(OPT) $(WARN) $(SANITIZE) -Ilmdb_store -It/unit \
	    -o $@ $< $(LIB_OBJS) -llmdb -lyajl -lssl -lcrypto -lm

# ---- fuzzing ------------------------------------------------------------

# libFuzzer targets (clang's -fsanitize=fuzzer, with ASan and UBSan): one a
# reader of outside input, t/fuzz/fuzz_NAME.c, its seeds in
# t/fuzz/corpus/NAME/ (kept in the tree; new finds go to
# build-fuzz/corpus/NAME/, crashes to build-fuzz/crash-NAME-*).
# "make fuzz" runs each for FUZZ_SECONDS and prints its executions;
# "make fuzz-short" is make test's pass, FUZZ_SHORT seconds each.
FUZZ_CC      ?= clang
FUZZ_BUILD    = build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_SHORT   ?= 6
FUZZ_SAN      = -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS   = -std=gnu99 -g -O1 -fno-omit-frame-pointer $(WARN) $(FUZZ_SAN)
FUZZ_NAMES    = $(patsubst t/fuzz/fuzz_%.c,%,$(wildcard t/fuzz/fuzz_*.c))
FUZZ_BINS     = $(patsubst %,$(FUZZ_BUILD)/fuzz_%,$(FUZZ_NAMES))
FUZZ_OBJS     = $(patsubst lmdb_store/%.c,$(FUZZ_BUILD)/lib/%.o,$(LIB_SRCS)) \
                $(FUZZ_BUILD)/tool/feed_format.o $(FUZZ_BUILD)/tool/log_line.o

.SECONDARY: $(FUZZ_OBJS)

$(FUZZ_BUILD)/lib/%.o: lmdb_store/%.c $(LIB_HDRS)
	@mkdir -p $(FUZZ_BUILD)/lib
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -Ilmdb_store -c -o $@ $<

$(FUZZ_BUILD)/tool/%.o: admin_tool/%.c $(LIB_HDRS) $(TOOL_HDRS)
	@mkdir -p $(FUZZ_BUILD)/tool
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -Ilmdb_store \
	    -Iadmin_tool -c -o $@ $<

$(FUZZ_BUILD)/fuzz_%: t/fuzz/fuzz_%.c t/fuzz/fuzz.h $(FUZZ_OBJS) $(TOOL_SRCS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Ilmdb_store -Iadmin_tool \
	    -It/fuzz -o $@ $< $(FUZZ_OBJS) -llmdb -lyajl -lssl -lcrypto -lm

fuzz-build: $(FUZZ_BINS)

# each target in turn (the machine's cores are the fuzzer's); a crash
# stops make with libFuzzer's report and the input that made it
fuzz: fuzz-build
	@for n in $(FUZZ_NAMES); do \
	    bash t/fuzz/run.sh $(FUZZ_BUILD) $$n $(FUZZ_SECONDS) || exit 1; \
	done

fuzz-short:
	$(MAKE) fuzz FUZZ_SECONDS=$(FUZZ_SHORT)

# The test files are independent (own directory, own locked port), and
# much of their time is waiting (madoctl's retry delays, a 3-second crash
# loop, polls): three at once keep the 2 cores busy
PROVE_JOBS ?= 3

test-build:
	MADO_REQUIRE_BINARIES=1 MADO_BUILD=$(CURDIR)/build prove -j$(PROVE_JOBS) -r -I t/lib t/

test-asan:
	MADO_REQUIRE_BINARIES=1 MADO_BUILD=$(CURDIR)/build-asan MADO_ASAN=1 prove -j$(PROVE_JOBS) -r -I t/lib t/

test-compat: compat
	MADO_REQUIRE_BINARIES=1 MADO_BUILD=$(CURDIR)/build-compat \
	    MADO_NGINX=$(CURDIR)/build-compat/nginx prove -j$(PROVE_JOBS) -r -I t/lib t/

# headless Debian chromium driven by playwright-core, pages checked by axe-core
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

test-browser: node_modules/.package-lock.json
	MADO_BUILD=$(CURDIR)/build node --test --test-concurrency=1 t/browser/

bench: deps all
	bash bench/api.sh
	bash bench/feed.sh
	bash bench/estimate.sh
	bash bench/year.sh
	bash bench/admin.sh
	bash bench/login_flood.sh
	bash bench/waf.sh

clean:
	rm -rf build build-asan build-compat build-fuzz
