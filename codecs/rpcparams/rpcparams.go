// Package rpcparams lets a net/rpc call carry a foreign method's whole
// parameter list, for the codecs whose wire has one: JSON-RPC's "params"
// and MessagePack-RPC's params array. net/rpc sends exactly one argument,
// which those codecs wrap as [arg]; a method that takes none
// (nvim_get_api_info) or several needs the list itself.
package rpcparams

// List, given as a call's argument, is sent as the request's params array
// as it is, instead of as its one element, by the json and msgpack codecs.
// Other codecs, whose requests carry one argument, send it as one value.
type List []any

// A Lister is a codec whose requests carry a params array, and which sends
// a List as that array: the json and msgpack codecs, with whichever library
// encodes their bodies.
type Lister interface {
	// SendsParamsList marks the codec; it does nothing.
	SendsParamsList()
}

// Supported reports whether codec sends a List as the params array.
func Supported(codec any) bool {
	_, ok := codec.(Lister)
	return ok
}
