package bench

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Table is a plain-text table with left-aligned first column and
// right-aligned other columns, as the benchmark prints it.
type Table struct {
	Header []string
	Rows   [][]string
}

// Add appends a row.
func (t *Table) Add(cells ...string) { t.Rows = append(t.Rows, cells) }

// WriteTo writes the table with columns separated by two spaces and a rule
// under the header.
func (t *Table) WriteTo(w io.Writer) (int64, error) {
	cols := len(t.Header)
	for _, r := range t.Rows {
		cols = max(cols, len(r))
	}
	width := make([]int, cols)
	measure := func(r []string) {
		for i, c := range r {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	measure(t.Header)
	for _, r := range t.Rows {
		measure(r)
	}
	var b strings.Builder
	line := func(r []string) {
		for i := 0; i < cols; i++ {
			c := ""
			if i < len(r) {
				c = r[i]
			}
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if i > 0 {
				b.WriteString("  ")
			}
			if i == 0 {
				b.WriteString(c)
				if i < cols-1 {
					b.WriteString(pad)
				}
			} else {
				b.WriteString(pad + c)
			}
		}
		b.WriteString("\n")
	}
	if len(t.Header) > 0 {
		line(t.Header)
		total := 2 * (cols - 1)
		for _, wd := range width {
			total += wd
		}
		b.WriteString(strings.Repeat("-", total) + "\n")
	}
	for _, r := range t.Rows {
		line(r)
	}
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}

// FormatSummary prints a summary as "median [min–max]" with the given
// number of decimals.
func FormatSummary(s Summary, decimals int) string {
	return fmt.Sprintf("%s [%s–%s]", FormatNumber(s.Median, decimals),
		FormatNumber(s.Min, decimals), FormatNumber(s.Max, decimals))
}

// FormatNumber prints x with the given decimals and thousands separators
// (a comma), e.g. 1234567.8 with 0 decimals is "1,234,568".
func FormatNumber(x float64, decimals int) string {
	s := fmt.Sprintf("%.*f", decimals, x)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	out := b.String()
	if hasFrac {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return out
}
