package msgpackmsgp

import (
	"reflect"

	"github.com/tinylib/msgp/msgp"
)

// Body is the msgpack.Body of the types with msgp's generated methods:
// msgpack.Codec{Body: Body{}} is the codec msgpack-msgp.
type Body struct{}

// Name returns "msgp".
func (Body) Name() string { return "msgp" }

// Module returns msgp's module path.
func (Body) Module() string { return "github.com/tinylib/msgp" }

func (Body) AppendBody(b []byte, v any) ([]byte, bool, error) {
	m, ok := v.(msgp.Marshaler)
	if !ok || isNil(v) { // the library writes a nil pointer as nil
		return b, false, nil
	}
	b, err := m.MarshalMsg(b)
	return b, true, err
}

func (Body) ReadBody(b []byte, v any) ([]byte, bool) {
	u, ok := v.(msgp.Unmarshaler)
	if !ok {
		return b, false
	}
	rest, err := u.UnmarshalMsg(b)
	return rest, err == nil
}

func isNil(v any) bool {
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}
