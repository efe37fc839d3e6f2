package cli

import (
	"flag"
	"strings"

	"github.com/rpcbench/rpcbench/codecs"
	"github.com/rpcbench/rpcbench/harness/payload"
)

// codecFlags are the flags that choose and configure a codec.
type codecFlags struct {
	name       string
	maxMessage string
}

func addCodecFlags(fs *flag.FlagSet) *codecFlags {
	f := new(codecFlags)
	fs.StringVar(&f.name, "codec", "gob", "wire format: "+strings.Join(codecs.Names(), ", "))
	fs.StringVar(&f.maxMessage, "max-message", "64MiB", "largest message accepted, in bytes (KiB and MiB suffixes allowed)")
	return f
}

func (f *codecFlags) codec() (codecs.Codec, error) {
	limit, err := payload.ParseSize(f.maxMessage)
	if err != nil || limit == 0 {
		return nil, usagef("--max-message %q: want a positive size such as 1MiB or 65536", f.maxMessage)
	}
	c, err := codecs.New(f.name, codecs.Options{MaxMessage: limit})
	if err != nil {
		return nil, usagef("--codec %q: %v", f.name, err)
	}
	return c, nil
}
