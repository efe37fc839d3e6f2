package report_test

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/rpcbench/rpcbench/harness/report"
)

func TestReportHTMLIsSelfContainedAndReproducible(t *testing.T) {
	var a, b bytes.Buffer
	for _, w := range []*bytes.Buffer{&a, &b} {
		if err := report.HTML(w, "rpcbench report --html report.html", browserFixture()); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("the same results gave two different pages")
	}
	page := a.String()
	// Nothing to fetch: no external script, style sheet, image or font.
	if m := regexp.MustCompile(`(?i)<(script|link|img)[^>]+(src|href)=|@import|url\(`).FindString(page); m != "" {
		t.Errorf("the page loads something from elsewhere: %q", m)
	}
	for _, want := range []string{`<script type="application/json" id="data">`, "Which codec, which transport", `<b>msgpack</b>`, `id="hide-peers"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}
