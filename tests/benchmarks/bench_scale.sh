#!/bin/sh
# Evaluation at scale (issue 23): the same grid (CP-CHILD's 50 boxed test polyps replicated to N
# images by symbolic links, 1 init = vit-tiny-ref, attention) at each N given: wall time, time
# per image, peak RSS (GNU time), report.html's size and the maps folder's. A benchmark, not a
# test: numbers are printed, never asserted; the checks of the issue's "Done means" are printed as
# yes/no lines at the end, for a reader to judge.
#
#   tests/benchmarks/bench_scale.sh [CLI] [N...]          (default: build/app/intermap-cli 500 5000)
#   KEEP_MAPS=none tests/benchmarks/bench_scale.sh ...    (passed as --keep-maps when set)
#
# Results go to $TMPDIR/intermap-bench-scale/results.tsv (one line per N) and, when gnuplot is
# installed, scale.png (time per image and peak RSS against N); the run folders stay there for a
# look. Replicated image names are r<replica>_<stem>: the first replica sorts first, so the 50
# distinct images are each N/50 times in the tables and the means equal those of 50 images.
set -eu
if [ ! -x /usr/bin/time ]; then
    echo "bench_scale.sh needs GNU time (/usr/bin/time): apt-get install time" >&2
    exit 2
fi
root=$(cd "$(dirname "$0")/../.." && pwd)
cli=${1:-$root/build/app/intermap-cli}
[ $# -gt 0 ] && shift
sizes=${*:-500 5000}
shared=${INTERMAP_SHARED:-$root/../shared}
source_images=$shared/data/cp-child-a/test/polyp
source_masks=$shared/data/cp-child-a/masks
checkpoint=$shared/fixtures/vit-tiny-ref/model.pth
work=${TMPDIR:-/tmp}/intermap-bench-scale
mkdir -p "$work/weights"
ln -sf "$checkpoint" "$work/weights/cpchild_sup.pth"
keep=${KEEP_MAPS:+--keep-maps $KEEP_MAPS}
results=$work/results.tsv
printf 'images\twall_s\tms_per_image\tpeak_rss_mb\treport_bytes\tmaps_bytes\n' >"$results"

for n in $sizes; do
    data=$work/data-$n
    if [ ! -d "$data/masks" ] || [ "$(ls "$data/masks" | wc -l)" -ne "$n" ]; then
        rm -rf "$data" && mkdir -p "$data/images" "$data/masks"
        # One perl process makes all the links (a process per link would take minutes at 50000).
        perl -e '
            my ($n, $images, $masks, $out) = @ARGV;
            opendir(my $d, $masks) or die "$masks: $!"; my @masks = sort grep { /\.png$/ } readdir($d); closedir($d);
            for my $i (0 .. $n - 1) {
                my $mask = $masks[$i % @masks]; (my $stem = $mask) =~ s/\.png$//;
                my $name = sprintf("r%05d_%s", int($i / @masks), $stem);
                symlink("$masks/$mask", "$out/masks/$name.png") or die "$name: $!";
                symlink("$images/$stem.jpg", "$out/images/$name.jpg") or die "$name: $!";
            }' "$n" "$source_images" "$source_masks" "$data"
    fi
    out=$work/out-$n
    rm -rf "$out"
    # shellcheck disable=SC2086
    /usr/bin/time -f '%e %M' -o "$work/time-$n" "$cli" evaluate --weights "$work/weights" \
        --dataset "cpchild=$data/images,$data/masks" --inits sup --methods attention $keep --out "$out" >"$work/log-$n" 2>&1 ||
        { echo "evaluate at $n images failed (exit $?): $work/log-$n" >&2; exit 1; }
    read -r wall rss <"$work/time-$n"
    report=$(stat -c %s "$out/report.html" 2>/dev/null || echo 0)
    maps=$(du -sb "$out/maps" 2>/dev/null | cut -f1)
    awk -v n="$n" -v wall="$wall" -v rss="$rss" -v report="$report" -v maps="${maps:-0}" 'BEGIN {
        printf "%d\t%.1f\t%.2f\t%.1f\t%d\t%d\n", n, wall, 1000 * wall / n, rss / 1024, report, maps }' >>"$results"
    tail -n 1 "$results"
done

echo
column -t "$results"
first=$(echo "$sizes" | awk '{ print $1 }')
last=$(echo "$sizes" | awk '{ print $NF }')
if [ "$first" != "$last" ]; then
    awk -F'\t' -v a="$first" -v b="$last" 'NR > 1 { t[$1] = $3; r[$1] = $4; s[$1] = $5 } END {
        printf "time per image %d vs %d: %.2fx (<= 1.25x: %s)\n", b, a, t[b] / t[a], t[b] / t[a] <= 1.25 ? "yes" : "no"
        printf "peak RSS %d vs %d: %+.1f MB (<= +64 MB: %s)\n", b, a, r[b] - r[a], r[b] - r[a] <= 64 ? "yes" : "no"
        printf "report.html at %d: %.2f MB (< 5 MB: %s)\n", b, s[b] / 1e6, s[b] < 5e6 ? "yes" : "no" }' "$results"
    # The pointing game's means are multiples of 1/50 and equal exactly; the IoU means are sums
    # of N doubles in another order, equal to ~1e-15.
    if cmp -s "$work/out-$first/pg_cpchild.csv" "$work/out-$last/pg_cpchild.csv"; then same=yes; else same=no; fi
    echo "pg_cpchild.csv byte-identical $first vs $last: $same"
    for table in "$work/out-$first"/iou*_mean_cpchild.csv; do
        name=$(basename "$table")
        paste -d, "$table" "$work/out-$last/$name" | awk -F, -v name="$name" 'NR == 2 {
            d = $2 - $4; if (d < 0) d = -d; printf "%s %d vs %d: |difference| %.3g\n", name, ARGV[0], 0, d }' | sed "s/ [0-9]* vs 0/ $first vs $last/"
    done
fi
if command -v gnuplot >/dev/null 2>&1; then
    gnuplot -e "set terminal pngcairo size 900,420; set output '$work/scale.png'; set logscale x; set key top left;
        set xlabel 'images'; set ylabel 'ms per image'; set y2label 'peak RSS (MB)'; set ytics nomirror; set y2tics;
        set yrange [0:*]; set y2range [0:*]; set datafile separator '\t';
        plot '$results' using 1:3 skip 1 with linespoints title 'time per image', '' using 1:4 skip 1 axes x1y2 with linespoints title 'peak RSS'"
    echo "plot: $work/scale.png"
fi
