package format

import (
	"io"
	"strings"
)

// Markdown writes the text table's figures as a GitHub-flavoured Markdown
// table, numbers right-aligned, followed by the same notes as a list.
func Markdown(w io.Writer, run Run) error {
	rows := Rows(run.Results)
	cols := tableColumns(run, rows, false)
	var b strings.Builder
	b.WriteString("|")
	for _, c := range cols {
		b.WriteString(" " + c.head + " |")
	}
	b.WriteString("\n|")
	for i := range cols {
		if i < 3 {
			b.WriteString(" --- |")
		} else {
			b.WriteString(" ---: |")
		}
	}
	b.WriteString("\n")
	for i := range rows {
		b.WriteString("|")
		for _, c := range cols {
			b.WriteString(" " + strings.ReplaceAll(c.cells[i], "|", `\|`) + " |")
		}
		b.WriteString("\n")
	}
	var notesBuf strings.Builder
	if err := notes(&notesBuf, run, rows); err != nil {
		return err
	}
	if n := strings.TrimSpace(notesBuf.String()); n != "" {
		b.WriteString("\n")
		for _, l := range strings.Split(n, "\n") {
			b.WriteString("- " + l + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
