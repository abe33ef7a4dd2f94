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
#   make deb        the Debian packages mado and libnginx-mod-http-mado
#                   in build/deb/ (DEB_VERSION=X.Y.Z: another version)
#   make install    DESTDIR=, PREFIX= (default /usr/local): the same files
#                   as the packages, for systems without them
#   make test-deb   (root) the packages installed, served by the system's
#                   nginx, upgraded under load, purged

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
# madoctl --server's HTTPS client (admin_tool/https.c), proxies included
DEB_PACKAGES += libcurl4-openssl-dev
# make deb and make test-deb: the packaging tools, the site's snakeoil
# certificate, lintian
DEB_PACKAGES += debhelper dpkg-dev fakeroot ssl-cert adduser lintian
# promtool, to check the metrics exposition and the alerting rules
DEB_PACKAGES += prometheus
# access logs: rotation, forwarding to a log host (TCP, RELP), GoAccess
DEB_PACKAGES += logrotate rsyslog rsyslog-relp goaccess

WARN      = -Wall -Wextra -Werror
OPT       = -O2 -g
SANITIZE  =
# debian/rules passes dpkg-buildflags' (hardening)
LDFLAGS  ?=

LIB_SRCS  = lmdb_store/mado_store.c lmdb_store/mado_lang.c lmdb_store/mado_json.c \
            lmdb_store/mado_offices_parse.c lmdb_store/mado_offices_json.c \
            lmdb_store/mado_calendar.c lmdb_store/mado_estimate.c \
            lmdb_store/mado_display.c lmdb_store/mado_history.c \
            lmdb_store/mado_history_doc.c lmdb_store/mado_compact.c \
            lmdb_store/mado_forecast.c lmdb_store/mado_visit.c lmdb_store/mado_counter.c \
            lmdb_store/mado_ticket.c lmdb_store/mado_feed.c \
            lmdb_store/mado_audit.c lmdb_store/mado_account.c \
            lmdb_store/mado_retention.c lmdb_store/mado_crypt.c \
            lmdb_store/mado_update.c lmdb_store/mado_schema.c \
            lmdb_store/mado_backup.c
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
        test-browser bench clean unit unit-asan fuzz fuzz-short fuzz-build \
        man install deb lintian test-deb

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
	    LINK="$(CC) $(SANITIZE) $(LDFLAGS)"
	# a new inode: overwriting a loaded .so in place crashes running workers
	cp $(BUILD)/nginx/objs/ngx_http_mado_module.so $@.tmp && mv -f $@.tmp $@

$(BUILD)/madoctl: $(TOOL_SRCS) $(TOOL_HDRS) $(LIB_SRCS) $(LIB_HDRS)
	mkdir -p $(BUILD)
	$(CC) -std=gnu99 $(OPT) $(WARN) $(SANITIZE) -Ilmdb_store -Iadmin_tool \
	    -o $@.tmp $(TOOL_SRCS) $(LIB_SRCS) $(LDFLAGS) -llmdb -lyajl -lcurl -lssl -lcrypto -lm -lz \
	    && mv -f $@.tmp $@

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
	$(MAKE) test-deb

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
	bash bench/metrics.sh
	bash bench/backup.sh
	bash bench/logs.sh

# ---- install, Debian packages -------------------------------------------

# madoctl(8), made from madoctl's own --help texts (one source)
man: $(BUILD)/madoctl.8

$(BUILD)/madoctl.8: $(BUILD)/madoctl admin_tool/madoctl-man.pl
	perl admin_tool/madoctl-man.pl $(BUILD)/madoctl > $@.tmp && mv -f $@.tmp $@

# The installed layout (docs/admin.md, "Where everything is").  PREFIX is
# for madoctl, the man page, the data and the docs; the configuration goes
# to SYSCONFDIR (/etc), the module to nginx's modules directory, the units
# to systemd's.  debian/rules runs this with PREFIX=/usr.
PREFIX        ?= /usr/local
SYSCONFDIR    ?= /etc
NGINX_MODULES ?= /usr/lib/nginx/modules
SYSTEMD_UNITS ?= /lib/systemd/system
DESTDIR       ?=

# the shipped configuration with the installed paths (nothing else)
INSTALL_PATHS = sed -e 's\#/usr/bin/madoctl\#$(PREFIX)/bin/madoctl\#g' \
                    -e 's\#/usr/share/mado/\#$(PREFIX)/share/mado/\#g' \
                    -e 's\#/usr/share/doc/mado/\#$(PREFIX)/share/doc/mado/\#g' \
                    -e 's\#/etc/nginx/\#$(SYSCONFDIR)/nginx/\#g' \
                    -e 's\#/etc/mado/\#$(SYSCONFDIR)/mado/\#g' \
                    -e 's\#/usr/local/sbin/mado-textfile\#$(PREFIX)/lib/mado/mado-textfile\#g'

install: all man
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(NGINX_MODULES) \
	    $(DESTDIR)$(PREFIX)/share/man/man8 \
	    $(DESTDIR)$(PREFIX)/share/mado/i18n $(DESTDIR)$(PREFIX)/share/mado/assets \
	    $(DESTDIR)$(PREFIX)/share/nginx/modules-available \
	    $(DESTDIR)$(PREFIX)/share/doc/mado/examples \
	    $(DESTDIR)$(SYSCONFDIR)/mado/modsecurity \
	    $(DESTDIR)$(SYSCONFDIR)/nginx/sites-available $(DESTDIR)$(SYSCONFDIR)/nginx/snippets \
	    $(DESTDIR)$(SYSCONFDIR)/nginx/conf.d \
	    $(DESTDIR)$(SYSCONFDIR)/fail2ban/filter.d $(DESTDIR)$(SYSCONFDIR)/fail2ban/jail.d \
	    $(DESTDIR)$(SYSCONFDIR)/nftables.d $(DESTDIR)$(SYSTEMD_UNITS) \
	    $(DESTDIR)$(SYSCONFDIR)/logrotate.d $(DESTDIR)$(PREFIX)/lib/mado \
	    $(DESTDIR)$(PREFIX)/share/doc/mado/examples/rsyslog \
	    $(DESTDIR)$(PREFIX)/share/doc/mado/examples/goaccess \
	    $(DESTDIR)$(PREFIX)/share/doc/mado/examples/prometheus
	install -m 0755 $(BUILD)/madoctl $(DESTDIR)$(PREFIX)/bin/madoctl
	install -m 0644 $(BUILD)/ngx_http_mado_module.so $(DESTDIR)$(NGINX_MODULES)/
	echo "load_module $(NGINX_MODULES)/ngx_http_mado_module.so;" \
	    > $(DESTDIR)$(PREFIX)/share/nginx/modules-available/mod-http-mado.conf
	install -m 0644 $(BUILD)/madoctl.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	install -m 0644 conf.example/i18n/*.json $(DESTDIR)$(PREFIX)/share/mado/i18n/
	install -m 0644 conf.example/assets/* $(DESTDIR)$(PREFIX)/share/mado/assets/
	install -m 0644 README.md docs/*.md docs/openapi.yaml $(DESTDIR)$(PREFIX)/share/doc/mado/
	install -m 0644 conf.example/systemd/mado-feed.env.example $(DESTDIR)$(PREFIX)/share/doc/mado/examples/
	install -m 0644 conf.example/offices.json $(DESTDIR)$(SYSCONFDIR)/mado/
	for f in conf.example/modsecurity/*.conf; do \
	    $(INSTALL_PATHS) $$f > $(DESTDIR)$(SYSCONFDIR)/mado/modsecurity/$${f##*/}; done
	$(INSTALL_PATHS) conf.example/nginx/sites-available/mado > $(DESTDIR)$(SYSCONFDIR)/nginx/sites-available/mado
	$(INSTALL_PATHS) conf.example/nginx/conf.d/mado.conf > $(DESTDIR)$(SYSCONFDIR)/nginx/conf.d/mado.conf
	for f in conf.example/nginx/snippets/mado-*.conf; do \
	    $(INSTALL_PATHS) $$f > $(DESTDIR)$(SYSCONFDIR)/nginx/snippets/$${f##*/}; done
	install -m 0644 conf.example/fail2ban/filter.d/mado-*.conf $(DESTDIR)$(SYSCONFDIR)/fail2ban/filter.d/
	install -m 0644 conf.example/fail2ban/jail.d/mado.conf $(DESTDIR)$(SYSCONFDIR)/fail2ban/jail.d/
	install -m 0755 conf.example/nftables/mado.nft $(DESTDIR)$(SYSCONFDIR)/nftables.d/
	@# the access log's rotation, which seals each day's archive
	$(INSTALL_PATHS) conf.example/logrotate/mado > $(DESTDIR)$(SYSCONFDIR)/logrotate.d/mado
	@# every unit and timer there (what later helpers add comes along), and
	@# the textfile collector's script with its unit and timer
	for f in conf.example/systemd/*.service conf.example/systemd/*.timer \
	         conf.example/prometheus/mado-textfile.service conf.example/prometheus/mado-textfile.timer; do \
	    $(INSTALL_PATHS) $$f > $(DESTDIR)$(SYSTEMD_UNITS)/$${f##*/}; done
	install -m 0755 conf.example/prometheus/mado-textfile.sh $(DESTDIR)$(PREFIX)/lib/mado/mado-textfile
	@# examples for other programs' configuration (a log host, GoAccess,
	@# Prometheus and Alertmanager), as they are in conf.example/
	install -m 0644 conf.example/rsyslog/*.conf $(DESTDIR)$(PREFIX)/share/doc/mado/examples/rsyslog/
	install -m 0644 conf.example/goaccess/mado.conf $(DESTDIR)$(PREFIX)/share/doc/mado/examples/goaccess/
	install -m 0644 conf.example/prometheus/mado-rules.yml conf.example/prometheus/mado-rules.test.yml \
	    conf.example/prometheus/alertmanager.yml $(DESTDIR)$(PREFIX)/share/doc/mado/examples/prometheus/
	chmod 0644 $(DESTDIR)$(SYSCONFDIR)/mado/modsecurity/* $(DESTDIR)$(SYSCONFDIR)/nginx/*/mado* \
	    $(DESTDIR)$(SYSTEMD_UNITS)/mado* $(DESTDIR)$(SYSCONFDIR)/logrotate.d/mado

# dpkg-buildpackage in a copy of the tree (build/deb/src/), so that its
# files beside the tree land in build/deb/ and DEB_VERSION can change the
# copy's changelog; the results are moved to build/deb/
DEB_VERSION ?=
DEB_DIR      = build/deb
# no -dbgsym packages unless asked for (make deb DEB_BUILD_OPTIONS=)
DEB_BUILD_OPTIONS ?= noautodbgsym

deb:
	rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/src/mado
	tar -cf - --exclude=./build --exclude='./build-*' --exclude=./node_modules \
	    --exclude=./.git --exclude=./t/out --exclude=./bench/out . \
	    | tar -C $(DEB_DIR)/src/mado -xf -
	if [ -n "$(DEB_VERSION)" ]; then \
	    sed -i -e '1s/^mado (\([^)]*\))/mado ($(DEB_VERSION))/' $(DEB_DIR)/src/mado/debian/changelog; fi
	cd $(DEB_DIR)/src/mado && DEB_BUILD_OPTIONS="$(DEB_BUILD_OPTIONS)" \
	    dpkg-buildpackage -b -us -uc > ../build.log 2>&1 \
	    || { tail -40 ../build.log; exit 1; }
	mv -f $(DEB_DIR)/src/*.deb $(DEB_DIR)/src/*.changes $(DEB_DIR)/src/*.buildinfo \
	    $(DEB_DIR)/src/build.log $(DEB_DIR)/
	rm -rf $(DEB_DIR)/src
	@ls -1 $(DEB_DIR)/*.deb

# lintian on what make deb built: errors fail, warnings are printed
# (debian/*.lintian-overrides says why the ones left are)
lintian:
	lintian --fail-on error $(DEB_DIR)/*.changes

# the packages on this machine (root): installed, served by the system's
# nginx, upgraded under load, purged; the machine is left as it was
test-deb:
	bash t/deb/test-deb.sh

clean:
	rm -rf build build-asan build-compat build-fuzz
