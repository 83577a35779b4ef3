package main

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// printStats prints a file's stats as a few aligned lines and a bucket
// table.
func printStats(w io.Writer, st fileStats) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "file\t%s\n", st.path)
	fmt.Fprintf(tw, "size\t%s\n", bytesOf(st.size))
	fmt.Fprintf(tw, "pages\t%d of %d bytes\n", st.pages, st.pageSize)
	fmt.Fprintf(tw, "in use\t%s\n", bytesOf(st.used()))
	fmt.Fprintf(tw, "free\t%d pages, %s (reused for new data; only compact gives it back)\n", st.free, bytesOf(int64(st.free)*int64(st.pageSize)))
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "bucket\tkeys\tin use")
	for _, b := range st.buckets {
		fmt.Fprintf(tw, "%s\t%d\t%s\n", b.name, b.keys, bytesOf(int64(b.bytes)))
	}
	_ = tw.Flush()
}

// printCompact prints one line about a compaction.
func printCompact(w io.Writer, r compactReport) {
	saved := r.before - r.after
	pct := 0.0
	if r.before > 0 {
		pct = 100 * float64(saved) / float64(r.before)
	}
	where := "in place"
	if r.dest != r.path {
		where = "into " + r.dest
	}
	fmt.Fprintf(w, "compacted %s %s: %s -> %s (%s, %.0f%% smaller); %d keys in %d buckets checked\n",
		r.path, where, bytesOf(r.before), bytesOf(r.after), bytesOf(saved), pct, r.keys, r.buckets)
}

// bytesOf formats a byte count in binary units.
func bytesOf(n int64) string {
	const unit = 1024
	if n < unit && n > -unit {
		return fmt.Sprintf("%d B", n)
	}
	v, suffix := float64(n), []string{"KiB", "MiB", "GiB", "TiB"}
	i := -1
	for (v >= unit || v <= -unit) && i < len(suffix)-1 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %s", v, suffix[i])
}
