package cli

import (
	"flag"
	"strings"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/measure"
)

// codecFlags are the flags that choose and configure a codec.
type codecFlags struct {
	name       string
	maxMessage string
}

func addCodecFlags(fs *flag.FlagSet) *codecFlags {
	f := new(codecFlags)
	fs.StringVar(&f.name, "codec", "gob", "wire format: "+strings.Join(codecs.Names(), ", "))
	addMaxMessageFlag(fs, &f.maxMessage)
	return f
}

func (f *codecFlags) codec() (codecs.Codec, error) {
	limit, err := parseMaxMessage(f.maxMessage)
	if err != nil {
		return nil, err
	}
	c, err := codecs.New(f.name, codecs.Options{MaxMessage: limit})
	if err != nil {
		return nil, usagef("--codec %q: %v", f.name, err)
	}
	return c, nil
}

// addMaxMessageFlag defines --max-message, which serve, call, run and
// matrix share: the cap every codec they make reads under.
func addMaxMessageFlag(fs *flag.FlagSet, p *string) {
	fs.StringVar(p, "max-message", "64MiB", "largest message a codec reads, in bytes (KiB and MiB suffixes allowed); the peers keep their own limits")
}

func parseMaxMessage(s string) (int, error) {
	limit, err := measure.ParseSize(s)
	if err != nil || limit <= 0 {
		return 0, usagef("--max-message %q: want a positive size such as 1MiB or 65536", s)
	}
	return limit, nil
}
