# mado: build, demo, tests.
#
#   make            build/ngx_http_mado_module.so and build/madoctl
#   make deps       install the Debian packages needed (idempotent)
#   make asan       the same in build-asan/ with AddressSanitizer + UBSan
#   make run        demo: 14 Kyoto offices on http://127.0.0.1:8080/
#   make test       the whole suite (normal build, then again under asan)
#   make bench      benchmarks, written to docs/benchmarks.md

SHELL := /bin/bash

NGINX_SRC  ?= /usr/share/nginx/src
NGINX      ?= /usr/sbin/nginx
BUILD      ?= build
PORT       ?= 8080

# every Debian package the build, demo, tests and benchmarks use
DEB_PACKAGES = nginx nginx-dev liblmdb-dev lmdb-utils libyajl-dev libssl-dev \
               libpcre2-dev zlib1g-dev libqrencode-dev gcc make perl wrk hyperfine curl openssl \
               chromium fonts-noto-cjk

WARN      = -Wall -Wextra -Werror
OPT       = -O2 -g
SANITIZE  =

LIB_SRCS  = lmdb_store/mado_store.c lmdb_store/mado_json.c lmdb_store/mado_calendar.c \
            lmdb_store/mado_feed.c lmdb_store/mado_estimate.c lmdb_store/mado_history.c \
            lmdb_store/mado_audit.c lmdb_store/mado_account.c lmdb_store/mado_counter.c
LIB_HDRS  = lmdb_store/mado_store.h
TOOL_SRCS = $(wildcard admin_tool/*.c)
TOOL_HDRS = $(wildcard admin_tool/*.h)
MOD_SRCS  = $(wildcard ngx_module/*.c) $(wildcard ngx_module/*.h) config

.PHONY: all deps asan run test test-build test-asan test-browser bench clean

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
	    -o $@.tmp $(TOOL_SRCS) $(LIB_SRCS) -llmdb -lyajl -lssl -lcrypto -lm && mv -f $@.tmp $@

asan:
	$(MAKE) BUILD=build-asan OPT="-O1 -g -fno-omit-frame-pointer" \
	    SANITIZE="-fsanitize=address,undefined -fno-sanitize-recover=undefined"

# ---- demo ---------------------------------------------------------------


run: deps all
	@bash conf.example/demo.sh "$(CURDIR)/$(BUILD)" "$(PORT)"

# ---- tests --------------------------------------------------------------

test: deps all asan
	$(MAKE) test-build
	$(MAKE) test-asan
	$(MAKE) test-browser

# The test files are independent (own directory, own locked port), and
# much of their time is waiting (madoctl's retry delays, a 3-second crash
# loop, polls): three at once keep the 2 cores busy
PROVE_JOBS ?= 3

test-build:
	MADO_REQUIRE_BINARIES=1 MADO_BUILD=$(CURDIR)/build prove -j$(PROVE_JOBS) -r -I t/lib t/

test-asan:
	MADO_REQUIRE_BINARIES=1 MADO_BUILD=$(CURDIR)/build-asan MADO_ASAN=1 prove -j$(PROVE_JOBS) -r -I t/lib t/

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

clean:
	rm -rf build build-asan
