// Package all registers every transport rpcbench ships; import it for its
// side effect.
package all

import (
	_ "github.com/rpcbench/rpcbench/transports/duplex"
	_ "github.com/rpcbench/rpcbench/transports/httpconnect"
	_ "github.com/rpcbench/rpcbench/transports/pipe"
	_ "github.com/rpcbench/rpcbench/transports/quic"
	_ "github.com/rpcbench/rpcbench/transports/reverse"
	_ "github.com/rpcbench/rpcbench/transports/tcp"
	_ "github.com/rpcbench/rpcbench/transports/tls"
	_ "github.com/rpcbench/rpcbench/transports/unix"
)
