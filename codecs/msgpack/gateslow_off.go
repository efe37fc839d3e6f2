//go:build !gateslow

package msgpack

// slowEncode is empty in the normal build; see gateslow.go.
func slowEncode() {}
