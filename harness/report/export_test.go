package report

import "fmt"

// DistinctMarkers is how many different markers the first n series get.
func DistinctMarkers(n int) int {
	seen := map[string]bool{}
	for i := range n {
		seen[fmt.Sprintf("%#v", seriesGlyph(i))] = true
	}
	return len(seen)
}
