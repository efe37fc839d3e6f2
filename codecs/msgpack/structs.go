package msgpack

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"

	"github.com/rpcbench/rpcbench/service"
)

// The library's struct codec knows one name per field (from one struct
// tag), but the service's structs should be written under their JSON names,
// which foreign clients expect, and read under those or their Go names. So
// each service struct gets a codec of its own, registered with the library
// for the struct type: nested structs (RecordBatch's records) use it too.
func init() {
	for _, typ := range service.Messages() {
		sc := newStructCodec(typ)
		msgpack.Register(reflect.Zero(typ).Interface(), sc.encode, sc.decode)
	}
}

// structCodec writes a struct as a map of every exported field under its
// JSON name, and reads one keyed by JSON or Go names, skipping other keys.
type structCodec struct {
	fields []structField
	byName map[string]int // JSON and Go names to field index
}

type structField struct {
	name  string // the JSON name
	index int
}

func newStructCodec(t reflect.Type) *structCodec {
	sc := &structCodec{byName: make(map[string]int)}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() { // protobuf's state, sizeCache and unknownFields
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		sc.fields = append(sc.fields, structField{name, i})
		sc.byName[name] = i
		sc.byName[f.Name] = i
	}
	return sc
}

func (sc *structCodec) encode(e *msgpack.Encoder, v reflect.Value) error {
	if err := e.EncodeMapLen(len(sc.fields)); err != nil {
		return err
	}
	for _, f := range sc.fields {
		if err := e.EncodeString(f.name); err != nil {
			return err
		}
		if err := e.EncodeValue(v.Field(f.index)); err != nil {
			return err
		}
	}
	return nil
}

func (sc *structCodec) decode(d *msgpack.Decoder, v reflect.Value) error {
	if err := notExt(d); err != nil {
		return err
	}
	n, err := d.DecodeMapLen()
	if err != nil {
		return err
	}
	if n == -1 {
		v.SetZero()
		return nil
	}
	for range n {
		key, err := structKey(d)
		if err != nil {
			return err
		}
		i, ok := sc.byName[string(key)]
		if !ok {
			err = d.Skip()
		} else if err = notExt(d); err == nil {
			err = d.DecodeValue(v.Field(i))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// notExt fails on an extension value where a struct or field is due. The
// library's DecodeMapLen reads a map header from inside an extension, whose
// bytes the reader took as opaque, and it sizes a Go map by the count it
// finds there (up to a million entries from a few bytes).
func notExt(d *msgpack.Decoder) error {
	c, err := d.PeekCode()
	if err != nil {
		return err
	}
	if msgpcode.IsExt(c) {
		return fmt.Errorf("msgpack: extension value (type byte 0x%02x) where a map or field is expected", c)
	}
	return nil
}

// structKey reads a map key. From a codec's message it lends the key's bytes
// rather than allocate a string per key, as the library's own struct
// decoding does; other readers (msgpack.Unmarshal) get a copy.
func structKey(d *msgpack.Decoder) ([]byte, error) {
	m, ok := d.Buffered().(*message)
	if !ok {
		s, err := d.DecodeString()
		return []byte(s), err
	}
	n, err := d.DecodeBytesLen()
	if err != nil {
		return nil, err
	}
	return m.take(max(n, 0))
}

// decodeMap decodes a map inside a generic value: a map[string]any when
// every key is a string (or binary), so that the value prints as JSON, and
// a map[any]any otherwise. The library's default assumes string keys.
func decodeMap(d *msgpack.Decoder) (any, error) {
	n, err := d.DecodeMapLen()
	if err != nil || n == -1 {
		return nil, err
	}
	m := make(map[string]any, n)
	var other map[any]any // once a key is not a string
	for range n {
		k, err := d.DecodeInterface()
		if err != nil {
			return nil, err
		}
		v, err := d.DecodeInterface()
		if err != nil {
			return nil, err
		}
		if b, ok := k.([]byte); ok {
			k = string(b)
		}
		if s, ok := k.(string); ok && other == nil {
			m[s] = v
			continue
		}
		if k != nil && !reflect.TypeOf(k).Comparable() {
			return nil, fmt.Errorf("msgpack: map key of type %T", k)
		}
		if other == nil {
			other = make(map[any]any, n)
			for s, v := range m {
				other[s] = v
			}
		}
		other[k] = v
	}
	if other != nil {
		return other, nil
	}
	return m, nil
}

// errorText renders a response's error value, which MessagePack-RPC lets be
// of any type: strings as they are, other values as JSON where they can be
// (Neovim sends [code, "message"]).
func errorText(v any) string {
	switch v := v.(type) {
	case string:
		if v == "" {
			return "unspecified error"
		}
		return v
	case []byte:
		return errorText(string(v))
	}
	if b, err := json.Marshal(v); err == nil {
		return string(b)
	}
	return fmt.Sprint(v)
}
