package measure

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseSize parses a byte count with an optional KiB or MiB suffix: 16,
// 1KiB, 64MiB.
func ParseSize(s string) (int, error) {
	mult := 1
	num := s
	for suffix, m := range map[string]int{"KiB": 1 << 10, "MiB": 1 << 20} {
		if n, ok := strings.CutSuffix(s, suffix); ok {
			num, mult = n, m
		}
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 || n > (1<<30)/mult {
		return 0, fmt.Errorf("size %q is not a byte count like 16, 1KiB or 4MiB", s)
	}
	return n * mult, nil
}
