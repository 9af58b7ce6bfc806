# shellcheck shell=bash
# Timing arithmetic shared by the benchmark scripts; source it.
#
#   now                 seconds since the epoch, with nanoseconds
#   calc EXPR           EXPR evaluated by awk, e.g. calc "1.5 / 3"
#   median              the median of the numbers on stdin (one per line;
#                       the mean of the middle two for an even count)
#   fmt NUMBER          NUMBER with two decimals
#   wall FILE, best FILE, cpu FILE
#                       of a times file holding "<wall s> <cpu s>" per run:
#                       the median wall time, the shortest wall time and the
#                       median CPU time

now() { date +%s.%N; }
calc() { awk "BEGIN { print $1 }"; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
fmt() { printf '%.2f' "$1"; }
wall() { awk '{ print $1 }' "$1" | median; }
best() { awk '{ print $1 }' "$1" | sort -g | head -n 1; }
cpu() { awk '{ print $2 }' "$1" | median; }
