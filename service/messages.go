package service

import (
	"reflect"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// Messages returns the struct type of every message rpcbench.proto
// declares (arguments, replies and what they nest, Stats.Read's included),
// in declaration order: the one list that codecs needing to know the
// service's types (msgpack's field names) take, derived from the schema so
// that a new message cannot be forgotten.
func Messages() []reflect.Type {
	msgs := File_service_rpcbench_proto.Messages()
	types := make([]reflect.Type, 0, msgs.Len())
	for i := range msgs.Len() {
		types = append(types, goType(msgs.Get(i)))
	}
	return types
}

// goType returns the generated Go struct for md.
func goType(md protoreflect.MessageDescriptor) reflect.Type {
	mt, err := protoregistry.GlobalTypes.FindMessageByName(md.FullName())
	if err != nil {
		panic("service: generated type for " + string(md.FullName()) + " not linked in: " + err.Error())
	}
	return reflect.TypeOf(mt.Zero().Interface()).Elem()
}
