package thriftpeer

import "github.com/rpcbench/rpcbench/service"

// NewTClient lets tests call the generated clients directly.
var NewTClient = newTClient

// KVStore returns the store a served peer's KV serves.
func KVStore(s interface{ Close() error }) *service.KVStore { return s.(*server).kv }
