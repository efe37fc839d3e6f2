// Package all registers every transport rpcbench ships; import it for its
// side effect.
package all

import (
	_ "github.com/rpcbench/rpcbench/transports/tcp"
)
