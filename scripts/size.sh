#!/bin/sh
# size.sh: the stripped size of ocibox against its budget, and what the
# bytes are spent on: per object file (from the link map, after
# --gc-sections) and the largest symbols.
#   size.sh STRIPPED UNSTRIPPED MAP [BUDGET_BYTES]
set -eu
bin=$1 unstripped=$2 map=$3 budget=${4:-524288}
size=$(stat -c %s "$bin")
printf '%s: %d bytes (%d KiB) stripped; budget %d KiB: %s\n' "$bin" "$size" \
  $(((size + 1023) / 1024)) $((budget / 1024)) \
  "$([ "$size" -le "$budget" ] && echo within || echo OVER)"
echo
echo "By object (code and data kept by the linker):"
# Map lines name an input section, then (maybe on the next line) its
# address, size and file. Sum sizes per file; group libc/libarchive/... by
# archive name.
awk '
  function hex(s,   i, n) {
    s = tolower(s); sub(/^0x/, "", s); n = 0
    for (i = 1; i <= length(s); i++) n = n * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
    return n
  }
  /^Discarded input sections/ { skip = 1 }
  /^Memory map|^Linker script and memory map/ { skip = 0 }
  skip { next }
  /^ \.(text|data|rodata|bss|init_array|fini_array|tbss|tdata)/ {
    if (NF >= 4) { sz = $3; f = $4 } else { getline; sz = $2; f = $3 }
    if (sz !~ /^0x/) next
    n = hex(sz)
    if (f ~ /\.a\(/) { sub(/\(.*/, "", f); sub(/.*\//, "", f) }
    else sub(/.*build\/[^\/]*\//, "", f)
    total[f] += n
  }
  END { for (f in total) if (total[f] > 0) printf "%8d  %s\n", total[f], f }
' "$map" | sort -rn | head -n 25
echo
echo "Largest symbols:"
nm --size-sort -S -r "$unstripped" 2>/dev/null | head -n 15 |
  awk '{ s = tolower($2); n = 0
         for (i = 1; i <= length(s); i++) n = n * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
         printf "%8d  %s %s\n", n, $3, $4 }'
[ "$size" -le "$budget" ]
