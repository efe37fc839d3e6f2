package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"reflect"
	"strings"

	"github.com/rpcbench/rpcbench/codecs/rpcparams"
	"github.com/rpcbench/rpcbench/measure"
	"github.com/rpcbench/rpcbench/payload"
	"github.com/rpcbench/rpcbench/stack"
)

// foreignFlags load one method of a server rpcbench did not start:
// --method, --args and --expect.
type foreignFlags struct {
	method, args, expect string
}

func addForeignFlags(fs *flag.FlagSet) *foreignFlags {
	f := new(foreignFlags)
	fs.StringVar(&f.method, "method", "", "with --addr: load this method of the server instead of a --payload, the way ghz loads a gRPC one;\nany server that speaks --codec will do (a JSON-RPC service, Neovim's MessagePack-RPC, a net/rpc gob server)")
	fs.StringVar(&f.args, "args", "null", "with --method: the argument as JSON, or @FILE to read it from a file; decoded into the built-in\nservice's type for its methods (Arith.Multiply, Echo.Echo ...), sent as a generic value otherwise")
	fs.StringVar(&f.expect, "expect", "", "with --method: JSON the reply must equal (compared as JSON values), checked on the replies\n--check-every picks; a reply that is an error always fails the call")
	return f
}

// apply replaces the payloads with the method's and the codec stack with
// a Foreign one, when --method is given.
func (f *foreignFlags) apply(stacks []stack.Stack, payloads []payload.Payload, external bool) ([]stack.Stack, []payload.Payload, error) {
	if f.method == "" {
		if f.args != "null" || f.expect != "" {
			return nil, nil, fmt.Errorf("--args and --expect go with --method")
		}
		return stacks, payloads, nil
	}
	if !external {
		return nil, nil, fmt.Errorf("--method %s: give --addr, the address of the server that has it", f.method)
	}
	if len(stacks) != 1 || stacks[0].ID().Kind != measure.KindCodec {
		var names []string
		for _, s := range stacks {
			names = append(names, s.ID().String())
		}
		return nil, nil, fmt.Errorf("--method %s: name the one codec the server speaks and no peers (--codec json --peers none), not %s", f.method, strings.Join(names, ", "))
	}
	argJSON, err := readJSONArg("--args", f.args)
	if err != nil {
		return nil, nil, err
	}
	args, reply, err := decodeArgs(f.method, argJSON, rpcparams.Supported(stacks[0].ID().Name))
	if err != nil {
		return nil, nil, fmt.Errorf("--args: %w", err)
	}
	var expect any
	if f.expect != "" {
		text, err := readJSONArg("--expect", f.expect)
		if err != nil {
			return nil, nil, err
		}
		if err := json.Unmarshal([]byte(text), &expect); err != nil {
			return nil, nil, fmt.Errorf("--expect %q: %w", text, err)
		}
		if expect == nil {
			expect = json.RawMessage("null") // expect null, not nothing
		}
	}
	newReply := func() any { return newLike(reply) }
	p, err := stack.Method(f.method, args, newReply, expect)
	if err != nil {
		return nil, nil, err
	}
	return []stack.Stack{stack.Foreign{Codec: stacks[0].(stack.Codec)}}, []payload.Payload{p}, nil
}

// readJSONArg is s, or the contents of the file s names as @FILE.
func readJSONArg(flagName, s string) (string, error) {
	name, ok := strings.CutPrefix(s, "@")
	if !ok {
		return s, nil
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return "", fmt.Errorf("%s: %w", flagName, err)
	}
	return string(b), nil
}

// newLike returns a new value of what the pointer reply points to: each
// call gets its own reply.
func newLike(reply any) any { return reflect.New(reflect.TypeOf(reply).Elem()).Interface() }
