#!/usr/bin/env bash
# The wait estimate against the baseline "waiting x configured
# minutes_per_person" on simulated days (bench/estimate.c), for a few seeds.
#
# usage: bench/estimate.sh        env: DAYS (default 60), SEEDS ("1 2 3")
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
days=${DAYS:-60}
seeds=${SEEDS:-1 2 3}
dir=$(mktemp -d /tmp/mado-bench-estimate.XXXXXX)
trap 'rm -rf "$dir"' EXIT

# the library the module and madoctl link, as they build it
cc -std=gnu99 -O2 -Wall -Wextra -Werror -I"$top/lmdb_store" -o "$dir/estimate" \
    "$top/bench/estimate.c" "$top"/lmdb_store/*.c -llmdb -lyajl -lcrypto -lm

status=0
for seed in $seeds; do
    echo "seed $seed:"
    "$dir/estimate" "$days" "$seed" || status=1
    echo
done
exit $status
