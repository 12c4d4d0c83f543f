# Sourced by tools/scale-out-train.sh and tools/lm-stream-rss.sh: samples a running JVM's resident
# memory from /proc every 2 s until it exits.
# sample_rss PID START LOG PHASES SAMPLES: appends "t_s vmrss_mb rss_anon_mb rss_file_mb phase"
# rows to SAMPLES (START: the run's start, date +%s.%N; phase: the last match of the extended regex
# PHASES in LOG) and leaves the kernel's peak (VmHWM, MB) in the variable hwm.
sample_rss() {
  local pid=$1 start=$2 log=$3 phases=$4 samples=$5 status rss anon file h phase t
  hwm=0
  while kill -0 "$pid" 2>/dev/null; do
    if status=$(cat "/proc/$pid/status" 2>/dev/null); then
      rss=$(awk '/^VmRSS/ {print int($2/1024)}' <<<"$status")
      anon=$(awk '/^RssAnon/ {print int($2/1024)}' <<<"$status")
      file=$(awk '/^RssFile/ {print int($2/1024)}' <<<"$status")
      h=$(awk '/^VmHWM/ {print int($2/1024)}' <<<"$status")
      [ -n "$h" ] && hwm=$h
      phase=$(grep -oE "$phases" "$log" | tail -1 || true)
      t=$(echo "$(date +%s.%N) - $start" | bc)
      [ -n "$rss" ] && printf '%.0f\t%s\t%s\t%s\t%s\n' "$t" "$rss" "$anon" "$file" "${phase:-start}" >>"$samples"
    fi
    sleep 2
  done
}
