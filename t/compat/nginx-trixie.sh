#!/usr/bin/env bash
# Build nginx 1.26 from Debian trixie's source package and the mado module
# against it, configured like bookworm's packaged nginx, so the test suite
# can run against a newer nginx than the one Debian bookworm ships.
#
#   bash t/compat/nginx-trixie.sh OUT [CFLAGS]
#
# OUT gets nginx (the binary), ngx_http_mado_module.so and madoctl (a link
# to the normal build's).  The source comes through apt with a private
# sources list, so the machine's own apt configuration is left alone and
# apt checks the files against trixie's signed index.
set -euo pipefail

out=$(realpath -m "$1")
cflags=${2:-"-pipe -fPIC -O2 -g -Wall -Wextra -Werror -Wpointer-arith"}
repo=$(cd "$(dirname "$0")/../.." && pwd)
conf_flags=${NGINX_SRC:-/usr/share/nginx/src}/conf_flags

mkdir -p "$out"
cd "$out"

if [ ! -x src/configure ]; then
    apt_dir=$out/apt
    mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
    cat > "$apt_dir/sources.list" << END
deb-src http://deb.debian.org/debian trixie main
deb-src http://deb.debian.org/debian-security trixie-security main
END
    apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list"
              -o "Dir::Etc::SourceParts=/dev/null"
              -o "Dir::State::Lists=$apt_dir/lists"
              -o "Dir::Cache=$apt_dir/cache"
              -o "Debug::NoLocking=1"
              -o "APT::Sandbox::User=$(id -un)"
              -o "Acquire::Retries=5")

    apt-get "${apt_opts[@]}" update > apt.log 2>&1 \
        || { cat apt.log; exit 1; }

    rm -rf dl && mkdir dl
    # The whole source package when the mirror has it; otherwise its
    # upstream tarball alone, which apt still checks against the index:
    # Debian's patches to nginx are packaging and do not change the API
    # a module builds against.
    if (cd dl && apt-get "${apt_opts[@]}" source nginx >> ../apt.log 2>&1); then
        src=$(find dl -mindepth 1 -maxdepth 1 -type d -name 'nginx-*' | head -1)
    else
        (cd dl && apt-get "${apt_opts[@]}" source --download-only nginx \
             >> ../apt.log 2>&1) || true
        tarball=$(ls dl/nginx_*.orig.tar.gz 2>/dev/null | head -1)
        if [ -z "$tarball" ]; then
            cat apt.log
            echo "$0: could not fetch trixie's nginx source" >&2
            exit 1
        fi
        echo "the mirror has no full source package: using $tarball" >> apt.log
        tar -C dl -xzf "$tarball"
        src=$(find dl -mindepth 1 -maxdepth 1 -type d -name 'nginx-*' | head -1)
    fi

    rm -rf src && mv "$src" src && rm -rf dl
fi

version=$(sed -n 's/^#define NGINX_VERSION *"\(.*\)"/\1/p' src/src/core/nginx.h)

if [ ! -f src/objs/Makefile ] || [ "$repo/config" -nt src/objs/Makefile ]; then
    # shellcheck disable=SC1090
    source "$conf_flags"
    (cd src && ./configure "${NGX_CONF_FLAGS[@]}" \
         --add-dynamic-module="$repo" > configure.log 2>&1) \
        || { tail -30 src/configure.log; exit 1; }
fi

make -C src -f objs/Makefile -j"$(nproc)" binary > build.log 2>&1 \
    || { tail -30 build.log; exit 1; }
# the module with the project's own warnings, as the bookworm build has
make -C src -f objs/Makefile modules CFLAGS="$cflags" >> build.log 2>&1 \
    || { tail -40 build.log; exit 1; }

cp src/objs/nginx nginx.tmp && mv -f nginx.tmp nginx
cp src/objs/ngx_http_mado_module.so mod.tmp && mv -f mod.tmp ngx_http_mado_module.so
ln -sfn "$repo/build/madoctl" madoctl

echo "nginx $version and the module built in $out"
